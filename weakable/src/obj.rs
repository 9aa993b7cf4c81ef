//! `Obj<T>`, a strong reference to an object, and the allocation header
//! every object carries in front of its value.
//!
//! # Layout
//!
//! An object is one heap allocation:
//!
//! ```text
//! [padding][slot: T::Slot][info: &ObjInfo][strong: AtomicUsize][value: T]
//!                          \_________ Tail (16 bytes) _________/ ^
//!                                                                `Obj<T>` points here
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

use core::alloc::Layout;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ops::Deref;
use core::ptr::{self, NonNull};
use std::alloc;

use crate::traits::{SlotKind, Weakable};
use crate::slot::WeakrefSlot;
use crate::rt::{acquire_after_last_release, AtomicUsize, Ordering};

/// What a type-erased header knows about its concrete type.
pub(crate) struct ObjInfo {
    /// The name reprs show (`Weakable::NAME`).
    pub(crate) name: &'static str,
    /// Runs the death sequence; called once, when the strong count reaches zero.
    pub(crate) die: unsafe fn(NonNull<u8>),
    /// Frees the allocation; called once, after the value was dropped and
    /// the last ref node let go.
    pub(crate) dealloc: unsafe fn(NonNull<u8>),
}

/// The part of the header every object has, directly below the value.
#[repr(C)]
pub(crate) struct Tail {
    pub(crate) info: &'static ObjInfo,
    /// Invariant: the number of live `Obj` handles. Once it reaches zero it
    /// never leaves zero again: `upgrade` refuses to move it from 0 to 1.
    pub(crate) strong: AtomicUsize,
}

/// The full header of an object whose type has slot `S`.
#[repr(C)]
pub(crate) struct Header<S> {
    pub(crate) slot: S,
    pub(crate) tail: Tail,
}

const TAIL_SIZE: usize = size_of::<Tail>();
const SLOT_HEADER_SIZE: usize = size_of::<Header<WeakrefSlot>>();

// The tail is flush against the value in both layouts only if the slot
// leaves no padding before it; checked here once for all.
const _: () = {
    assert!(core::mem::offset_of!(Header<WeakrefSlot>, tail) == size_of::<WeakrefSlot>());
    assert!(SLOT_HEADER_SIZE == size_of::<WeakrefSlot>() + TAIL_SIZE);
    assert!(size_of::<Header<crate::NoSlot>>() == TAIL_SIZE);
    assert!(align_of::<Header<WeakrefSlot>>() == align_of::<Tail>());
    assert!(align_of::<Header<crate::NoSlot>>() == align_of::<Tail>());
};

/// A guard against reference-count overflow, as `Arc` has: a program would
/// need this many handles to leak memory faster than it can allocate it.
const MAX_REFCOUNT: usize = isize::MAX as usize;

/// The tail of the object whose value starts at `value`.
///
/// # Safety
///
/// `value` must point at the value of a live object allocation (one whose
/// memory has not been freed), with provenance over the whole allocation.
#[inline(always)]
pub(crate) unsafe fn tail<'a>(value: *const u8) -> &'a Tail {
    // SAFETY: the caller guarantees `value` is the value address of a live
    // allocation laid out by `layout_of`; the tail lies `TAIL_SIZE` bytes
    // below it, initialised by `Obj::new` and never moved.
    unsafe { &*value.sub(TAIL_SIZE).cast::<Tail>() }
}

/// The `__weakref__` slot of the object whose value starts at `value`.
///
/// # Safety
///
/// As for [`tail`], and the object's type must have `Slot = WeakrefSlot`.
#[inline(always)]
pub(crate) unsafe fn slot<'a>(value: *const u8) -> &'a WeakrefSlot {
    // SAFETY: the caller guarantees a live allocation whose header is a
    // `Header<WeakrefSlot>`, which starts `SLOT_HEADER_SIZE` bytes below the
    // value; its first field is the slot.
    unsafe { &*value.sub(SLOT_HEADER_SIZE).cast::<WeakrefSlot>() }
}

/// The allocation layout of an object of type `T`, and the value's offset in it.
fn layout_of<T: Weakable>() -> (Layout, usize) {
    let header = Layout::new::<Header<T::Slot>>();
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

/// The static type information of `T`'s objects.
struct InfoOf<T>(PhantomData<T>);

impl<T: Weakable> InfoOf<T> {
    const INFO: &'static ObjInfo = &ObjInfo {
        name: T::NAME,
        die: die::<T>,
        dealloc: dealloc::<T>,
    };
}

/// The death sequence of an object of type `T` (SPEC 3): every ref is
/// already dead (the strong count is zero); run the callbacks, drop the value,
/// release the memory.
///
/// # Safety
///
/// `value` is the value address of an object of type `T` whose strong count
/// just reached zero; called once.
unsafe fn die<T: Weakable>(value: NonNull<u8>) {
    /// Releases the allocation even if the value's `Drop` panics.
    struct Release<T: Weakable>(NonNull<u8>, PhantomData<T>);
    impl<T: Weakable> Drop for Release<T> {
        fn drop(&mut self) {
            if T::Slot::HAS_WEAKREFS {
                // SAFETY: `T` has a `WeakrefSlot`; the strong count is zero,
                // the value dropped (or its drop unwound, which counts as
                // dropped), and the strong side's weak count is ours.
                unsafe { crate::slot::release_weak_after_death(self.0) };
            } else {
                // SAFETY: no ref can point at an object without a slot, so
                // nothing else holds this memory; `T` is its type.
                unsafe { dealloc::<T>(self.0) };
            }
        }
    }

    if T::Slot::HAS_WEAKREFS {
        // SAFETY: `T`'s slot is a `WeakrefSlot` and the allocation is alive.
        unsafe { slot(value.as_ptr()).clear(value) };
    }
    let release = Release::<T>(value, PhantomData);
    // SAFETY: the strong count is zero and stays zero, no ref can upgrade,
    // and the callbacks are done: nobody else can reach the value, which
    // is still initialised. It is dropped exactly once, here.
    unsafe { ptr::drop_in_place(value.cast::<T>().as_ptr()) };
    drop(release);
}

/// Frees the allocation of an object of type `T`.
///
/// # Safety
///
/// `value` is the value address of an object of type `T` whose value has
/// been dropped and which nothing references any more.
unsafe fn dealloc<T: Weakable>(value: NonNull<u8>) {
    let (layout, offset) = layout_of::<T>();
    // SAFETY: `Obj::new` allocated this block with `layout` and placed the
    // value `offset` bytes into it.
    unsafe { alloc::dealloc(value.as_ptr().sub(offset), layout) };
}

/// A strong reference to an object: Python's ordinary reference.
///
/// `Obj<T>` is a thread-safe reference-counted pointer, like
/// [`Arc<T>`](std::sync::Arc), whose allocation also carries the type's
/// `__weakref__` slot. While any `Obj` to an object lives, every weak
/// reference to it can [`upgrade`](crate::Ref::upgrade); when the last one
/// is dropped the object dies: all its refs go dead at once, their callbacks
/// run newest first, then the value is dropped.
///
/// Like `Arc`, `Obj` forwards `PartialEq`, `Eq`, `Hash`, `PartialOrd`, `Ord`,
/// `Display` and `Debug` to `T`; identity is [`Obj::ptr_eq`] and [`Obj::id`]
/// (Python's `is` and `id()`). Methods are associated functions
/// (`Obj::id(&o)`) so they never shadow `T`'s own.
///
/// `Obj<T>` is `Send` and `Sync` when `T` is both, as `Arc<T>` is.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable, Debug, PartialEq)]
/// struct Image {
///     name: String,
/// }
///
/// let a = Obj::new(Image { name: "cat.png".into() });
/// let b = Obj::clone(&a);
/// assert!(Obj::ptr_eq(&a, &b));
/// assert_eq!(a.name, "cat.png");
/// assert_eq!(Obj::strong_count(&a), 2);
///
/// let r = Ref::new(&a);
/// drop((a, b));
/// assert!(r.upgrade().is_none());
/// ```
pub struct Obj<T: ?Sized> {
    // Invariant: points at the value of a live object allocation, with
    // provenance over the whole allocation, and owns one strong count.
    ptr: NonNull<T>,
    _owns: PhantomData<T>,
}

// SAFETY: as for `Arc<T>`: an `Obj` hands out `&T` on any thread holding one
// (so `T: Sync`), and the last one to drop drops the `T` on its own thread
// (so `T: Send`). The header is atomics and immutable data.
unsafe impl<T: ?Sized + Send + Sync> Send for Obj<T> {}
// SAFETY: `&Obj<T>` allows cloning it, hence the same as `Send` above.
unsafe impl<T: ?Sized + Send + Sync> Sync for Obj<T> {}

impl<T: Weakable> Obj<T> {
    /// Allocates an object holding `value`, with the slot its type chose.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Counter(u32);
    ///
    /// let c = Obj::new(Counter(7));
    /// assert_eq!(c.0, 7);
    /// ```
    #[must_use = "an object dies as soon as its last Obj is dropped"]
    pub fn new(value: T) -> Obj<T> {
        let (layout, offset) = layout_of::<T>();
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
                .sub(size_of::<Header<T::Slot>>())
                .cast::<Header<T::Slot>>()
                .write(Header {
                    slot: T::Slot::__new(),
                    tail: Tail {
                        info: InfoOf::<T>::INFO,
                        strong: AtomicUsize::new(1),
                    },
                });
            value_ptr.cast::<T>().write(value);
            Obj::from_raw_value(NonNull::new_unchecked(value_ptr.cast::<T>()))
        }
    }
}

impl<T: Weakable> Obj<T> {
    /// The same object seen through a trait-object view: `Obj<Image>` to
    /// `Obj<dyn Listener>`. Costs nothing at run time: the pointer gains the
    /// trait's vtable; the object, its slot and its counts are shared.
    ///
    /// The view must be declared once with [`weakable_dyn!`](crate::weakable_dyn),
    /// which stable Rust needs in place of `CoerceUnsized`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{weakable_dyn, Obj, Weakable};
    ///
    /// trait Greet {
    ///     fn hello(&self) -> String;
    /// }
    /// weakable_dyn!(dyn Greet);
    ///
    /// #[derive(Weakable)]
    /// struct En;
    /// impl Greet for En {
    ///     fn hello(&self) -> String {
    ///         "hello".into()
    ///     }
    /// }
    ///
    /// let en = Obj::new(En);
    /// let g: Obj<dyn Greet> = Obj::unsize(en.clone());
    /// assert_eq!(g.hello(), "hello");
    /// assert_eq!(Obj::id(&g), Obj::id(&en));
    /// assert_eq!(Obj::strong_count(&en), 2);
    /// assert_eq!(Obj::type_name(&g), "En");
    /// ```
    pub fn unsize<U>(this: Obj<T>) -> Obj<U>
    where
        U: ?Sized + crate::CoerceFrom<T> + Weakable<Slot = T::Slot>,
    {
        let this = core::mem::ManuallyDrop::new(this);
        let fat = U::coerce(this.ptr.as_ptr());
        debug_assert!(ptr::addr_eq(fat, this.ptr.as_ptr()));
        // SAFETY: `CoerceFrom`'s contract: the same pointer (address and
        // provenance), unsized; the strong count moves from `this`, which is
        // not dropped.
        unsafe { Obj::from_raw_value(NonNull::new_unchecked(fat.cast_mut())) }
    }
}

impl<T: ?Sized> Obj<T> {
    /// Takes ownership of one strong count.
    ///
    /// # Safety
    ///
    /// `ptr` points at the value of a live object, with provenance over its
    /// allocation, and the caller transfers one strong count to the result.
    #[inline]
    pub(crate) unsafe fn from_raw_value(ptr: NonNull<T>) -> Obj<T> {
        Obj {
            ptr,
            _owns: PhantomData,
        }
    }

    /// A new strong count on the object at `ptr`, unless it is dead:
    /// one compare-and-swap that never moves the count from zero.
    ///
    /// # Safety
    ///
    /// `ptr` points at the value of an object whose allocation is alive
    /// (the value itself may be dead), with provenance over it.
    #[inline]
    pub(crate) unsafe fn try_upgrade(ptr: NonNull<T>) -> Option<Obj<T>> {
        // SAFETY: the caller guarantees the allocation is alive.
        let strong = unsafe { &tail(ptr.as_ptr().cast::<u8>()).strong };
        let mut n = strong.load(Ordering::Relaxed);
        loop {
            if n == 0 {
                return None;
            }
            if n > MAX_REFCOUNT {
                std::process::abort();
            }
            // Acquire on success, as `Weak::upgrade`: the new handle must see
            // everything done to the value before the count was published.
            match strong.compare_exchange_weak(n, n + 1, Ordering::Acquire, Ordering::Relaxed) {
                // SAFETY: we took a strong count on a live object.
                Ok(_) => return Some(unsafe { Obj::from_raw_value(ptr) }),
                Err(actual) => n = actual,
            }
        }
    }

    /// The value pointer, with provenance over the whole allocation.
    #[inline]
    pub(crate) fn value_ptr(this: &Self) -> NonNull<T> {
        this.ptr
    }

    /// The value's address as a thin pointer.
    #[inline]
    pub(crate) fn thin(this: &Self) -> NonNull<u8> {
        this.ptr.cast::<u8>()
    }

    #[inline]
    fn tail(&self) -> &Tail {
        // SAFETY: `self` owns a strong count, so the allocation is alive.
        unsafe { tail(self.ptr.as_ptr().cast::<u8>()) }
    }

    /// The object's identity, Python's `id(o)`: its value's address, the
    /// same through every view and every clone while the object lives.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Node;
    ///
    /// let a = Obj::new(Node);
    /// let b = Obj::new(Node);
    /// assert_eq!(Obj::id(&a), Obj::id(&a.clone()));
    /// assert_ne!(Obj::id(&a), Obj::id(&b));
    /// ```
    #[inline]
    pub fn id(this: &Self) -> usize {
        this.ptr.as_ptr().cast::<u8>().addr()
    }

    /// Whether two handles are the same object, Python's `a is b`.
    ///
    /// Compares addresses only, as [`Arc::ptr_eq`](std::sync::Arc::ptr_eq)
    /// does, so two views of one object (`Obj<Image>`, `Obj<dyn Listener>`)
    /// compare equal through `Obj::id`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable, PartialEq)]
    /// struct Word(&'static str);
    ///
    /// let a = Obj::new(Word("hi"));
    /// let b = Obj::new(Word("hi"));
    /// assert!(a == b); // equal values
    /// assert!(!Obj::ptr_eq(&a, &b)); // different objects
    /// assert!(Obj::ptr_eq(&a, &a.clone()));
    /// ```
    #[inline]
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        ptr::addr_eq(this.ptr.as_ptr(), other.ptr.as_ptr())
    }

    /// The number of `Obj` handles to this object (Python's reference count).
    ///
    /// Another thread may change it at any moment, so it is a snapshot.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Node;
    ///
    /// let a = Obj::new(Node);
    /// let b = a.clone();
    /// assert_eq!(Obj::strong_count(&a), 2);
    /// drop(b);
    /// assert_eq!(Obj::strong_count(&a), 1);
    /// ```
    #[inline]
    pub fn strong_count(this: &Self) -> usize {
        this.tail().strong.load(Ordering::Relaxed)
    }

    /// The name of the object's concrete type as reprs show it
    /// ([`Weakable::NAME`]), even through a trait-object view.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// #[weakable(name = "ExpensiveObject")]
    /// struct Expensive;
    ///
    /// assert_eq!(Obj::type_name(&Obj::new(Expensive)), "ExpensiveObject");
    /// ```
    #[inline]
    pub fn type_name(this: &Self) -> &'static str {
        this.tail().info.name
    }

    /// A raw pointer to the value, valid while the object lives.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Node(u8);
    ///
    /// let a = Obj::new(Node(3));
    /// // SAFETY: `a` keeps the object alive.
    /// assert_eq!(unsafe { (*Obj::as_ptr(&a)).0 }, 3);
    /// ```
    #[inline]
    pub fn as_ptr(this: &Self) -> *const T {
        this.ptr.as_ptr()
    }
}

impl<T: ?Sized> Clone for Obj<T> {
    /// Another strong reference to the same object.
    #[inline]
    fn clone(&self) -> Self {
        // Relaxed suffices, as in `Arc::clone`: a new handle can only come
        // from an existing one, which already keeps the object alive.
        let old = self.tail().strong.fetch_add(1, Ordering::Relaxed);
        if old > MAX_REFCOUNT {
            std::process::abort();
        }
        Obj {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized> Drop for Obj<T> {
    #[inline]
    fn drop(&mut self) {
        let tail = self.tail();
        // Release publishes this handle's uses of the value to whoever drops
        // it; the acquire below makes the last dropper see all of them.
        if tail.strong.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        acquire_after_last_release(&tail.strong);
        let die = tail.info.die;
        // SAFETY: the strong count just reached zero, so this is the one
        // call of `die` for this object, and the allocation is alive.
        unsafe { die(Obj::thin(self)) };
    }
}

impl<T: ?Sized> Deref for Obj<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: a live `Obj` keeps the value alive and initialised, and
        // the value is only ever shared, never mutably borrowed, before death.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: ?Sized> AsRef<T> for Obj<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized> core::borrow::Borrow<T> for Obj<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: ?Sized> Unpin for Obj<T> {}

impl<T: Weakable> From<T> for Obj<T> {
    /// Moves `value` into a new object, as [`Obj::new`].
    fn from(value: T) -> Self {
        Obj::new(value)
    }
}

impl<T: Weakable + Default> Default for Obj<T> {
    /// An object holding `T::default()`.
    fn default() -> Self {
        Obj::new(T::default())
    }
}

impl<T: ?Sized + PartialEq> PartialEq for Obj<T> {
    /// Compares the values, as `Arc` does; identity is [`Obj::ptr_eq`].
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq> Eq for Obj<T> {}

impl<T: ?Sized + PartialOrd> PartialOrd for Obj<T> {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord> Ord for Obj<T> {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash> Hash for Obj<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> fmt::Pointer for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&self.ptr.as_ptr().cast::<u8>(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Weakable;
    use std::sync::atomic::AtomicUsize as Counter;

    static DROPS: Counter = Counter::new(0);

    #[derive(Weakable)]
    #[weakable(no_weakref)]
    struct Plain(#[allow(dead_code)] u64);

    #[derive(Weakable)]
    struct Slotted(#[allow(dead_code)] u64);

    #[repr(align(64))]
    #[derive(Weakable)]
    struct Aligned(u8);

    struct CountDrop;
    impl Drop for CountDrop {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    #[derive(Weakable)]
    struct Holder(#[allow(dead_code)] CountDrop);

    #[test]
    fn header_sizes() {
        assert_eq!(size_of::<Header<crate::NoSlot>>(), 16);
        assert_eq!(size_of::<Header<WeakrefSlot>>(), 48);
        assert_eq!(layout_of::<Plain>().0.size(), 24);
        assert_eq!(layout_of::<Slotted>().0.size(), 56);
    }

    #[test]
    fn over_aligned_values_keep_the_tail_flush() {
        let a = Obj::new(Aligned(9));
        assert_eq!(Obj::id(&a) % 64, 0);
        assert_eq!(a.0, 9);
        assert_eq!(Obj::type_name(&a), "Aligned");
        let r = crate::Ref::new(&a);
        assert!(r.upgrade().is_some());
        drop(a);
        assert!(r.upgrade().is_none());
    }

    #[test]
    fn last_drop_drops_the_value_once() {
        let before = DROPS.load(Ordering::SeqCst);
        let a = Obj::new(Holder(CountDrop));
        let b = a.clone();
        drop(a);
        assert_eq!(DROPS.load(Ordering::SeqCst), before);
        drop(b);
        assert_eq!(DROPS.load(Ordering::SeqCst), before + 1);
    }

    #[test]
    fn no_slot_objects_work_without_weak_bookkeeping() {
        let p = Obj::new(Plain(5));
        let q = p.clone();
        assert_eq!(Obj::strong_count(&p), 2);
        drop(p);
        assert_eq!(q.0, 5);
    }

    #[test]
    fn zero_sized_values() {
        #[derive(Weakable, PartialEq, Debug)]
        struct Unit;
        let a = Obj::new(Unit);
        let b = Obj::new(Unit);
        assert!(!Obj::ptr_eq(&a, &b));
        assert_eq!(a, b);
    }
}
