//! The one handle under `Ref`, `Proxy` and `AnyRef`: a count on a ref node
//! and the referent's pointer, typed by the view it was taken through.

use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;

use crate::core::header::{HeaderPtr, ObjAddr};
use crate::core::node::{Callback, DetachedHandle, KindTag, NodeHandle, RefKind};
use crate::core::slot::{attach_node, basic_node, dead_node};
use crate::obj::Obj;
use crate::rt::flavor::{Flavor, Sync};
use crate::rt::AtomicHash;
use crate::traits::{WeakRefable, Weakable};

/// What an [`AnyRef`](crate::AnyRef)'s handle reads its node's data as:
/// nothing. A zero-sized type with alignment 1, so a reference to it at
/// any node's data address is valid whatever the data really is.
pub(crate) struct Erased {
    _private: (),
}

/// A count on a ref node of flavour `F` whose data is a `D` (or anything,
/// for [`Erased`]), and the referent's value pointer as a `T`.
pub(crate) struct Handle<T: ?Sized, D, F: Flavor = Sync> {
    node: NodeHandle<F>,
    // Invariant: the value address of the node's referent (the same
    // address as the node's `object`), with provenance over its allocation;
    // every object reachable as a `T` through it has `T`'s layout, except
    // the default ref's object, which never lives, so that no `T` is ever
    // read through it.
    target: NonNull<T>,
    _data: PhantomData<fn() -> D>,
}

/// A callback that gets back a handle typed as the one it was registered
/// through.
struct WithTarget<T: ?Sized, C> {
    target: NonNull<T>,
    f: C,
}

// SAFETY: `f` is `Send`. `target` is only used to build the handle handed
// to `f` on the thread where the referent dies; that handle is to a dead
// object, so it never yields a `&T`. (If `T` is not `Send + Sync`, no
// `Obj<T>` can leave its thread, so the referent dies on the thread that
// registered `f`.)
unsafe impl<T: ?Sized, C: Send> Send for WithTarget<T, C> {}

/// In the sync flavour, `f` is `Send`: every public constructor that takes
/// a user callback asks for `Sendable<F>` and wraps it in a closure that
/// captures nothing else, which is what the handles' `Send` impls rely on.
impl<T: ?Sized, D, C, F: Flavor> Callback<D, F> for WithTarget<T, C>
where
    C: FnOnce(Handle<T, D, F>),
{
    fn call(self, node: DetachedHandle<F>) {
        (self.f)(Handle {
            node: node.into_handle(),
            target: self.target,
            _data: PhantomData,
        });
    }
}

impl<T: ?Sized + WeakRefable, F: Flavor> Handle<T, (), F> {
    /// A handle to `obj`'s basic node of kind `K` (Python's shared basic
    /// ref or proxy), created on first use.
    #[inline]
    pub(crate) fn basic<K: KindTag>(obj: &Obj<T, F>) -> Self {
        // Read before the count's atomic increment, which the compiler may
        // not move a load of `obj`'s pointer across: read after, it is a
        // second load of the same word.
        let target = Obj::value_ptr(obj);
        Handle {
            node: basic_node::<K, F>(obj),
            target,
            _data: PhantomData,
        }
    }
}

impl<T, F: Flavor> Handle<T, (), F> {
    /// A handle to the shared node of refs to nothing, which never upgrade
    /// (`core::slot::dead_node`).
    pub(crate) fn dead() -> Self {
        let node = dead_node();
        // SAFETY: the dead node is never freed.
        let head = unsafe { node.as_ref() };
        // Its count never matters (releases of it do nothing), but a
        // handle owns one, so take one.
        head.handles.increment::<F>();
        Handle {
            // SAFETY: the count just taken.
            node: unsafe { NodeHandle::from_count(node) },
            // The object of that node never lived, so nothing is ever read
            // through this pointer as a `T` (see the field's invariant).
            target: head.object.as_ptr().cast::<T>(),
            _data: PhantomData,
        }
    }
}

impl<T: ?Sized + WeakRefable, D, F: Flavor> Handle<T, D, F> {
    /// A new node of kind `K` on `obj`, with `data` and the internal
    /// `callback`, which gets the bare node.
    pub(crate) fn attach<K: KindTag, C: Callback<D, F>>(
        obj: &Obj<T, F>,
        data: D,
        callback: Option<C>,
    ) -> Self {
        Handle {
            node: attach_node::<D, C, K, F>(obj, data, callback),
            target: Obj::value_ptr(obj),
            _data: PhantomData,
        }
    }

    /// A new node of kind `K` on `obj`, with `data` and a callback `f`
    /// that gets the handle back, typed as this one.
    ///
    /// `D: 'static` (`C: 'static` does not imply it: a closure that
    /// captures nothing is `'static` whatever its argument's type). A
    /// callback node outlives its handles when its last one goes after the
    /// referent died but before clearing reached it (`NodeHead::handles`):
    /// then clearing fires it and drops `D` later, and a postponed death
    /// (`core::death`) makes that later than the scope of a borrow the
    /// handles held. A node without a callback is never fired, and clearing
    /// only marks it unlinked: its data lives and dies with its handles.
    pub(crate) fn attach_with<K: KindTag, C>(obj: &Obj<T, F>, data: D, f: C) -> Self
    where
        C: FnOnce(Handle<T, D, F>) + 'static,
        D: 'static,
    {
        let target = Obj::value_ptr(obj);
        Self::attach::<K, _>(obj, data, Some(WithTarget { target, f }))
    }
}

impl<T: ?Sized + Weakable, D, F: Flavor> Handle<T, D, F> {
    /// The same handle seen through the view `U` (`dyn Trait`).
    pub(crate) fn unsize<U>(self) -> Handle<U, D, F>
    where
        U: ?Sized + crate::CoerceFrom<T> + Weakable<Slot = T::Slot>,
    {
        let target = U::coerce(self.target.as_ptr());
        debug_assert!(core::ptr::addr_eq(target, self.target.as_ptr()));
        Handle {
            node: self.node,
            // SAFETY: `CoerceFrom`'s contract: the same non-null pointer
            // (address and provenance), unsized.
            target: unsafe { NonNull::new_unchecked(target.cast_mut()) },
            _data: PhantomData,
        }
    }
}

impl<T: ?Sized, F: Flavor> Handle<T, Erased, F> {
    /// A handle to `node`, one of `obj`'s own nodes (as its slot lists
    /// them).
    pub(crate) fn listed(node: NodeHandle<F>, obj: &Obj<T, F>) -> Self {
        debug_assert!(node.head().object() == ObjAddr::of(Obj::value_ptr(obj)));
        Handle {
            node,
            target: Obj::value_ptr(obj),
            _data: PhantomData,
        }
    }
}

impl<T: ?Sized, D, F: Flavor> Handle<T, D, F> {
    /// The object, if it is still alive.
    #[inline]
    pub(crate) fn upgrade(&self) -> Option<Obj<T, F>> {
        // Through `target`, not the node: no load of the node on this path.
        if !self.tail().strong.try_increment::<F>() {
            return None;
        }
        // SAFETY: we just took a strong count on the live object `target`
        // points at (type invariant).
        Some(unsafe { Obj::from_raw_value(self.target) })
    }

    #[inline]
    pub(crate) fn is_alive(&self) -> bool {
        self.tail().is_alive()
    }

    #[inline]
    pub(crate) fn has_callback(&self) -> bool {
        self.node.has_live_callback()
    }

    #[inline]
    pub(crate) fn kind(&self) -> RefKind {
        self.node.head().vtable().kind
    }

    /// The node: a ref's identity (`r1 is r2`).
    #[inline]
    pub(crate) fn node(&self) -> &NodeHandle<F> {
        &self.node
    }

    /// Python's `id()` of the referent.
    #[inline]
    pub(crate) fn referent_id(&self) -> usize {
        ObjAddr::of(self.target).addr()
    }

    /// The referent's hash, cached in the node by the first hash taken.
    #[inline]
    pub(crate) fn cached_hash(&self) -> &AtomicHash {
        &self.node.head().hash
    }

    /// The node's data.
    #[inline]
    pub(crate) fn data(&self) -> &D {
        // SAFETY: the node is a `Node<D>` (type invariant), or `D` is
        // `Erased`, a zero-sized type with alignment 1 that any non-null
        // address can hold; our count keeps the node alive, and a node's
        // data is never written after it is made.
        unsafe {
            &(*self
                .node
                .ptr()
                .cast::<crate::core::node::Node<D>>()
                .as_ptr())
            .data
        }
    }

    /// CPython's repr: `<weakref at 0x..; to 'Image' at 0x..>`,
    /// `<weakproxy at 0x.. to Image at 0x..>`, or `; dead>`.
    pub(crate) fn fmt_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.node.ptr().as_ptr().addr();
        let target = self.referent_id();
        match (self.node.referent_alive(), self.kind()) {
            (true, RefKind::Proxy) => write!(
                f,
                "<weakproxy at {at:#x} to {} at {target:#x}>",
                self.node.referent_name()
            ),
            (false, RefKind::Proxy) => write!(f, "<weakproxy at {at:#x}; dead>"),
            (true, RefKind::Ref) => write!(
                f,
                "<weakref at {at:#x}; to '{}' at {target:#x}>",
                self.node.referent_name()
            ),
            (false, RefKind::Ref) => write!(f, "<weakref at {at:#x}; dead>"),
        }
    }
}

// SAFETY: `target` is the value address of the node's referent (type
// invariant), and the node, kept alive by our count, holds a weak count of
// that allocation until it is destroyed: the allocation outlives every
// borrow of the handle.
unsafe impl<T: ?Sized, D, F: Flavor> HeaderPtr for Handle<T, D, F> {
    #[inline(always)]
    fn object(&self) -> ObjAddr {
        ObjAddr::of(self.target)
    }
}

impl<T: ?Sized, D, F: Flavor> Clone for Handle<T, D, F> {
    #[inline]
    fn clone(&self) -> Self {
        Handle {
            node: self.node.clone(),
            target: self.target,
            _data: PhantomData,
        }
    }
}
