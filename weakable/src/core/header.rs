//! The object header: how an object's allocation is laid out, the typed
//! address every other layer reaches it through, and the strong count.
//!
//! # Layout
//!
//! An object is one heap allocation:
//!
//! ```text
//! [padding][slot: T::Slot][info: &ObjInfo][strong: AtomicUsize][value: T]
//!                          \_________ Tail (16 bytes) _________/ ^
//!                                                                ObjAddr / `Obj<T>` point here
//! ```
//!
//! `Obj<T>` holds a pointer to the value itself, so `Deref` costs nothing and
//! an `Obj<dyn Trait>` is an ordinary fat pointer. The header is packed
//! against the value, so the tail (type info and strong count) is always 16
//! bytes below the value and the slot right below the tail, whatever the
//! value's alignment or the view's type: every view of one object finds the
//! same header. Any padding the value's alignment needs goes in front.
//! [`NoSlot`](crate::NoSlot) is zero-sized, so an object without a
//! `__weakref__` slot has a 16-byte header, the same as `Arc`'s.
//!
//! # Reaching the header
//!
//! [`ObjAddr`] is an object's value address. Turning it into a reference
//! to the header is unsafe (the allocation must be alive), and is done in
//! one place: [`HeaderPtr`], implemented by the types whose existence keeps
//! an allocation alive (`Obj` by its strong count, a ref node by its weak
//! count), as std's `RcInnerPtr` is implemented by `Rc` and `Weak`.

use alloc::alloc;
use core::alloc::Layout;
use core::mem::size_of;
use core::ptr::NonNull;

use crate::rt::Count;

/// What a type-erased header knows about its concrete type.
pub(crate) struct ObjInfo {
    /// The name reprs show (`Weakable::NAME`).
    pub(crate) name: &'static str,
    /// Runs the death sequence, or postpones it past the deaths it is
    /// nested in (`core::death`); called once, when the strong count
    /// reaches zero.
    pub(crate) die: unsafe fn(ObjAddr),
    /// Frees the allocation; called once, after the value was dropped and
    /// the last ref node let go.
    pub(crate) dealloc: unsafe fn(ObjAddr),
}

/// The part of the header every object has, directly below the value.
#[repr(C)]
pub(crate) struct Tail {
    pub(crate) info: &'static ObjInfo,
    /// Invariant: the number of live `Obj` handles. Once it reaches zero it
    /// never leaves zero again: [`Count::try_increment`] refuses to move it
    /// from 0 to 1.
    pub(crate) strong: Count,
}

/// The full header of an object whose type has slot `S`.
#[repr(C)]
pub(crate) struct Header<S> {
    pub(crate) slot: S,
    pub(crate) tail: Tail,
}

const TAIL_SIZE: usize = size_of::<Tail>();

/// The value address of an object, with provenance over its whole
/// allocation. It says nothing about whether the allocation is alive:
/// whoever holds one knows that from a count it owns (see [`HeaderPtr`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ObjAddr(NonNull<u8>);

impl ObjAddr {
    /// The address of the object whose value `value` points at (through
    /// any view: the metadata of a fat pointer is dropped).
    #[inline(always)]
    pub(crate) fn of<T: ?Sized>(value: NonNull<T>) -> ObjAddr {
        ObjAddr(value.cast::<u8>())
    }

    /// The value pointer, with provenance over the allocation.
    #[inline(always)]
    pub(crate) fn as_ptr(self) -> NonNull<u8> {
        self.0
    }

    /// The address as a number: Python's `id()`.
    #[inline(always)]
    pub(crate) fn addr(self) -> usize {
        self.0.as_ptr().addr()
    }

    /// The object's tail.
    ///
    /// # Safety
    ///
    /// The allocation is alive (not yet freed) for `'a`.
    #[inline(always)]
    pub(crate) unsafe fn tail<'a>(self) -> &'a Tail {
        // SAFETY: every object is laid out by `layout_of`, which puts the
        // tail `TAIL_SIZE` bytes below the value, initialised by
        // `allocate` and never moved; the caller keeps the memory alive.
        unsafe { &*self.0.as_ptr().sub(TAIL_SIZE).cast::<Tail>() }
    }

    /// The object's slot, of type `S`.
    ///
    /// # Safety
    ///
    /// The allocation is alive for `'a`, and its header is a `Header<S>`
    /// (the object's type has `Slot = S`).
    #[inline(always)]
    pub(crate) unsafe fn slot<'a, S>(self) -> &'a S {
        // SAFETY: a `Header<S>` ends flush against the value (`layout_of`,
        // and the layout assertions beside each slot type), and its first
        // field is the slot; the caller vouches for `S` and for liveness.
        unsafe { &*self.0.as_ptr().sub(size_of::<Header<S>>()).cast::<S>() }
    }
}

/// A type whose values keep an object's allocation alive while borrowed:
/// the one safe way from an object's address to its header.
///
/// # Safety
///
/// While `&self` is borrowed, [`object`](Self::object) returns the value
/// address of an object allocation that has not been freed.
pub(crate) unsafe trait HeaderPtr {
    /// The object's address.
    fn object(&self) -> ObjAddr;

    /// The object's tail: its type info and strong count.
    #[inline(always)]
    fn tail(&self) -> &Tail {
        // SAFETY: the trait's contract keeps the allocation alive for as
        // long as `self` is borrowed, which bounds the result.
        unsafe { self.object().tail() }
    }
}

impl Tail {
    /// Whether the object is alive (racy by nature, as Python's `r() is
    /// not None`).
    #[inline]
    pub(crate) fn is_alive(&self) -> bool {
        self.strong.get() != 0
    }
}

/// The allocation layout of an object with slot `S` and value `T`, and the
/// value's offset in it.
pub(crate) fn layout_of<S, T>() -> (Layout, usize) {
    let header = Layout::new::<Header<S>>();
    let value = Layout::new::<T>();
    // The header's size is a multiple of its alignment (8), so rounding up to
    // the value's alignment keeps the header start aligned too.
    let offset = header.size().next_multiple_of(value.align());
    let size = offset
        .checked_add(value.size())
        .expect("object too large for the address space");
    let layout = Layout::from_size_align(size, header.align().max(value.align()))
        .expect("object too large for the address space")
        .pad_to_align();
    (layout, offset)
}

/// Allocates an object holding `value` and `slot`, with a strong count of
/// one (the caller's).
pub(crate) fn allocate<S, T>(value: T, slot: S, info: &'static ObjInfo) -> NonNull<T> {
    let (layout, offset) = layout_of::<S, T>();
    // SAFETY: `layout` has a non-zero size (the header alone is 16 bytes).
    let base = unsafe { alloc::alloc(layout) };
    if base.is_null() {
        alloc::handle_alloc_error(layout);
    }
    // SAFETY: `offset + size_of::<T>() <= layout.size()`, and the header
    // fits below `offset` (see `layout_of`); both are suitably aligned.
    unsafe {
        let value_ptr = base.add(offset);
        value_ptr
            .sub(size_of::<Header<S>>())
            .cast::<Header<S>>()
            .write(Header {
                slot,
                tail: Tail {
                    info,
                    strong: Count::new(1),
                },
            });
        value_ptr.cast::<T>().write(value);
        NonNull::new_unchecked(value_ptr.cast::<T>())
    }
}

/// Frees the allocation of an object with slot `S` and value `T`.
///
/// # Safety
///
/// `object` was made by `allocate::<S, T>`, its value has been dropped,
/// and nothing references it any more.
pub(crate) unsafe fn dealloc<S, T>(object: ObjAddr) {
    let (layout, offset) = layout_of::<S, T>();
    // SAFETY: `allocate` allocated this block with `layout` and placed the
    // value `offset` bytes into it.
    unsafe { alloc::dealloc(object.as_ptr().as_ptr().sub(offset), layout) };
}

/// Frees an object's allocation, whatever its type.
///
/// # Safety
///
/// The object's value has been dropped, and no count of any kind (strong,
/// weak, a node's) remains: nothing else can reach the allocation.
pub(crate) unsafe fn free(object: ObjAddr) {
    // SAFETY: the allocation is alive until the call below, which the
    // caller's guarantee makes the only access left; `info` (a static) is
    // read before the memory goes.
    unsafe {
        let dealloc = object.tail().info.dealloc;
        dealloc(object);
    }
}
