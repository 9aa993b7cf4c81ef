//! `Ref<T, X, F>`, Python's `weakref.ref` (and its subclasses that carry
//! extra fields), and `AnyRef<T, F>`, what `getweakrefs` lists.

use alloc::vec::Vec;

use core::fmt;
use core::hash::{BuildHasher, Hash, Hasher};
use core::marker::{self, PhantomData};
use core::panic::{RefUnwindSafe, UnwindSafe};

use crate::core::handle::{Erased, Handle};
use crate::core::node::{Callback, NoCallback, RefKind, RefTag};
use crate::core::slot::{SlotPtr, WeakrefSlot};
use crate::obj::Obj;
use crate::rt::flavor::{Flavor, Sendable, Shareable, Sync};
use crate::rt::{HashWord, Ordering};
use crate::traits::{WeakRefable, Weakable};

/// A weak reference to an object: Python's `weakref.ref`.
///
/// A `Ref` does not keep its referent alive. [`upgrade`](Ref::upgrade)
/// returns a strong [`Obj`] while the object lives and `None` from the
/// moment its last `Obj` is dropped. A ref may carry a callback, called once
/// when the referent dies, and data `X` (Python's ref subclasses with extra
/// fields, such as `KeyedRef`); `Ref<T, (), F>` is `Ref<T, ()>`.
///
/// Clones of a `Ref` are the same ref: [`Ref::ptr_eq`] holds, and they are
/// equal even after death. [`Ref::new`] hands out the object's one basic
/// ref (no callback, no data) while it exists, as CPython does.
///
/// # Death
///
/// When the last `Obj` of the referent drops: every ref is dead at once,
/// then the callbacks run, most recently registered first, each exactly
/// once and with its own `&Ref`, then the value is dropped. A ref dropped
/// before that never has its callback called. Inside a callback, `upgrade`
/// returns `None` for every ref to the dying object. A callback that
/// panics is reported through the [unraisable hook](crate::set_unraisable_hook)
/// and the others still run. A death nested in more than 100 others on its
/// thread (a deep chain of objects) is postponed: its refs are dead at
/// once, but its callbacks run after the outermost death finished (see the
/// crate docs' [Limitations](crate#limitations)).
///
/// # Memory
///
/// A ref is a handle (two words) to a small node shared by its clones. A
/// dead ref keeps the object's allocation (its header and the dropped
/// value's bytes, not anything the value owned) until the ref is dropped,
/// as a dead `std::sync::Weak` does.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct ExpensiveObject;
///
/// let obj = Obj::new(ExpensiveObject);
/// let died = Arc::new(AtomicBool::new(false));
/// let flag = died.clone();
/// let r = Ref::with_callback(&obj, move |r: &Ref<ExpensiveObject>| {
///     assert!(r.upgrade().is_none());
///     flag.store(true, Ordering::SeqCst);
/// });
///
/// assert!(r.upgrade().is_some());
/// drop(obj);
/// assert!(r.upgrade().is_none());
/// assert!(died.load(Ordering::SeqCst));
/// ```
pub struct Ref<T: ?Sized, X = (), F: Flavor = Sync> {
    handle: Handle<T, X, F>,
    _marker: PhantomData<(*const T, X)>,
}

// SAFETY: a sync `Ref` can be upgraded on any thread that has it, handing
// out an `Obj<T>`: so `T: Send + Sync`, as for `Obj`. Its data is shared by
// all clones (`X: Sync`) and dropped by whichever clone goes last (`X:
// Send`), with its callback, which is `Send` in the sync flavour (see
// `core::node::Callback`). Everything else in a node is atomics or
// immutable.
// (An unsync `Ref` is neither: its counts are updated without atomics.)
unsafe impl<T: ?Sized + Send + marker::Sync, X: Send + marker::Sync> Send for Ref<T, X, Sync> {}
// SAFETY: `&Ref` allows `clone`, so the same conditions as `Send`.
unsafe impl<T: ?Sized + Send + marker::Sync, X: Send + marker::Sync> marker::Sync
    for Ref<T, X, Sync>
{
}

// A panic cannot leave a ref's node or the slot's list half-updated: no
// user code runs while either is being changed. So a ref is as unwind-safe
// as `Weak<T>`: when what it hands out (`T`, and its data `X`) is.
impl<T: ?Sized + RefUnwindSafe, X: RefUnwindSafe, F: Flavor> UnwindSafe for Ref<T, X, F> {}
impl<T: ?Sized + RefUnwindSafe, X: RefUnwindSafe, F: Flavor> RefUnwindSafe for Ref<T, X, F> {}
// As for `Ref`; an `AnyRef` never reads its node's data.
impl<T: ?Sized + RefUnwindSafe, F: Flavor> UnwindSafe for AnyRef<T, F> {}
impl<T: ?Sized + RefUnwindSafe, F: Flavor> RefUnwindSafe for AnyRef<T, F> {}

impl<T: ?Sized + WeakRefable, F: Flavor> Ref<T, (), F> {
    /// A weak reference to `obj`, without a callback: Python's
    /// `weakref.ref(obj)`.
    ///
    /// While a ref made this way is alive, `Ref::new` returns it again (the
    /// object's *basic* ref), so this costs one atomic increment after the
    /// first call.
    ///
    /// Only types with a `__weakref__` slot can be weakly referenced; for a
    /// `#[weakable(no_weakref)]` type this does not compile:
    /// `cannot create weak reference to 'Point' object`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let r1 = Ref::new(&o);
    /// let r2 = Ref::new(&o);
    /// assert!(Ref::ptr_eq(&r1, &r2)); // the same basic ref
    /// assert!(Obj::ptr_eq(&r1.upgrade().unwrap(), &o));
    /// ```
    #[inline]
    #[must_use = "a weak reference that is never used does nothing"]
    pub fn new(obj: &Obj<T, F>) -> Ref<T, (), F> {
        Ref::from_handle(Handle::basic::<RefTag>(obj))
    }

    /// A weak reference to `obj` whose `callback` runs once when `obj` dies:
    /// Python's `weakref.ref(obj, callback)`.
    ///
    /// The callback receives this ref (already dead). It runs on the thread
    /// that drops the last `Obj`, with no lock held, so it may do anything:
    /// drop other objects, make refs to others, touch weak collections. It
    /// never runs if every clone of this ref was dropped first. Each call
    /// makes a new ref.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let o = Obj::new(Image);
    /// let refs: Vec<Ref<Image>> = (0..3)
    ///     .map(|i| {
    ///         let log = log.clone();
    ///         Ref::with_callback(&o, move |_| log.lock().unwrap().push(i))
    ///     })
    ///     .collect();
    /// drop(o);
    /// assert_eq!(*log.lock().unwrap(), [2, 1, 0]); // newest first
    /// # drop(refs);
    /// ```
    #[must_use = "dropping the ref at once cancels its callback"]
    pub fn with_callback<C>(obj: &Obj<T, F>, callback: C) -> Ref<T, (), F>
    where
        C: FnOnce(&Ref<T, (), F>) + Sendable<F> + 'static,
    {
        Ref::attach(obj, (), callback)
    }
}

impl<T: ?Sized + WeakRefable, X: Shareable<F>, F: Flavor> Ref<T, X, F> {
    /// A weak reference to `obj` carrying `data`: a Python ref subclass with
    /// extra fields (`KeyedRef`, `ExtendedRef`). Never the shared basic ref.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{getweakrefcount, Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let keyed = Ref::with_data(&o, "thumbnail");
    /// assert_eq!(*keyed.data(), "thumbnail");
    /// let plain = Ref::new(&o);
    /// assert_eq!(getweakrefcount(&o), 2);
    /// # drop((keyed, plain));
    /// ```
    #[must_use = "a weak reference that is never used does nothing"]
    pub fn with_data(obj: &Obj<T, F>, data: X) -> Ref<T, X, F> {
        Ref::from_handle(Handle::attach::<RefTag, NoCallback>(obj, data, None))
    }

    /// A weak reference to `obj` carrying `data`, whose `callback` runs once
    /// when `obj` dies; see [`Ref::with_callback`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let o = Obj::new(Image);
    /// let r = Ref::with_data_and_callback(&o, String::from("cat.png"), move |r| {
    ///     tx.send(r.data().clone()).unwrap();
    /// });
    /// drop(o);
    /// assert_eq!(rx.recv().unwrap(), "cat.png");
    /// # drop(r);
    /// ```
    ///
    /// `X` must be `'static` here, unlike in [`Ref::with_data`]: a callback
    /// may run after its ref's last handle was dropped (the ref was dropped
    /// after the death, which may be postponed; see [`Obj`'s
    /// docs](Obj#values-are-static)), and it reads the data through its
    /// `&Ref`. A `'static` closure can still name a borrowing `X` in its
    /// argument's type, so the closure's own bound does not cover it:
    ///
    /// ```compile_fail
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let name = String::from("cat.png");
    /// let o = Obj::new(Image);
    /// // error: `name` does not live long enough
    /// let r = Ref::with_data_and_callback(&o, &name, |r: &Ref<Image, &String>| {
    ///     assert_eq!(*r.data(), "cat.png");
    /// });
    /// # drop((o, r));
    /// ```
    #[must_use = "dropping the ref at once cancels its callback"]
    pub fn with_data_and_callback<C>(obj: &Obj<T, F>, data: X, callback: C) -> Ref<T, X, F>
    where
        C: FnOnce(&Ref<T, X, F>) + Sendable<F> + 'static,
        X: 'static,
    {
        Ref::attach(obj, data, callback)
    }
}

impl<T: ?Sized + WeakRefable, X, F: Flavor> Ref<T, X, F> {
    /// A ref with data and a callback. The public constructors ask for
    /// what flavour `F` needs (`X: Shareable<F>`, `C: Sendable<F>`); the
    /// wrapper closure adds nothing but `C`. The crate's other callers
    /// (`WeakMethod`, `finalize`) make sure of the same: in the sync
    /// flavour, `C` must be `Send`.
    pub(crate) fn attach<C>(obj: &Obj<T, F>, data: X, f: C) -> Ref<T, X, F>
    where
        C: FnOnce(&Ref<T, X, F>) + 'static,
        X: 'static,
    {
        Ref::from_handle(Handle::attach_with::<RefTag, _>(obj, data, move |h| {
            f(&Ref::from_handle(h));
        }))
    }
}

impl<T: ?Sized + Weakable, X, F: Flavor> Ref<T, X, F> {
    /// The same ref seen through a trait-object view, as [`Obj::unsize`]:
    /// `Ref<Image>` to `Ref<dyn Listener>`. It stays the same ref
    /// ([`getweakrefs`] lists it once, its callback runs once).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{weakable_dyn, Obj, Ref, Weakable};
    ///
    /// trait Listener: Send + Sync {}
    /// weakable_dyn!(dyn Listener);
    ///
    /// #[derive(Weakable)]
    /// struct Window;
    /// impl Listener for Window {}
    ///
    /// let w = Obj::new(Window);
    /// let r: Ref<dyn Listener> = Ref::unsize(Ref::new(&w));
    /// assert!(Ref::ptr_eq(&r, &Ref::unsize(Ref::new(&w))));
    /// drop(w);
    /// assert!(r.upgrade().is_none());
    /// ```
    pub fn unsize<U>(this: Ref<T, X, F>) -> Ref<U, X, F>
    where
        U: ?Sized + crate::CoerceFrom<T> + Weakable<Slot = T::Slot>,
    {
        Ref::from_handle(this.handle.unsize())
    }
}

impl<T: ?Sized + WeakRefable, X, F: Flavor> Ref<T, X, F> {
    /// A ref carrying `data` whose death callback is crate-internal (the
    /// weak collections' evictions). The caller makes sure that `X` is
    /// `Shareable<F>` (`Send + Sync` in sync), as for every ref with data:
    /// an [`AnyRef`] from [`getweakrefs`] may be the last handle to drop
    /// the data, on any thread (see `AnyRef`'s `Send`), and that `C` is
    /// `Sendable<F>` (see `core::node::Callback`). Generic code over `F`
    /// cannot state either for the collections' own types (a `u64`, a
    /// `sync::Weak` of their table), which are `Send + Sync` once the
    /// collections' public bounds (`K`, `V`, `S`: `Shareable<F>`) hold.
    /// `X: 'static`, as for [`Ref::with_data_and_callback`]: the eviction
    /// may run, and drop the node's data, after the collection dropped its
    /// handle.
    pub(crate) fn with_internal_callback<C: Callback<X, F>>(
        obj: &Obj<T, F>,
        data: X,
        callback: C,
    ) -> Ref<T, X, F>
    where
        X: 'static,
    {
        Ref::from_handle(Handle::attach::<RefTag, C>(obj, data, Some(callback)))
    }
}

impl<T: ?Sized, X, F: Flavor> Ref<T, X, F> {
    /// A strong reference to the referent, Python's `r()`: `Some` while any
    /// `Obj` to it lives, `None` once the last one was dropped.
    ///
    /// Never blocks and takes no lock: one compare-and-swap on the strong
    /// count, as [`std::sync::Weak::upgrade`]. It never moves the count from
    /// zero, so a dead object stays dead.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image(u32);
    ///
    /// let o = Obj::new(Image(7));
    /// let r = Ref::new(&o);
    /// assert_eq!(r.upgrade().map(|img| img.0), Some(7));
    /// drop(o);
    /// assert!(r.upgrade().is_none());
    /// ```
    #[inline]
    #[must_use = "upgrading has no effect besides returning the object"]
    pub fn upgrade(&self) -> Option<Obj<T, F>> {
        self.handle.upgrade()
    }

    /// Whether the referent is still alive, Python's `r() is not None`.
    ///
    /// Racy by nature: another thread may drop the last `Obj` right after.
    /// Use [`upgrade`](Ref::upgrade) to act on the object.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let r = Ref::new(&o);
    /// assert!(r.is_alive());
    /// drop(o);
    /// assert!(!r.is_alive());
    /// ```
    #[inline]
    pub fn is_alive(&self) -> bool {
        self.handle.is_alive()
    }

    /// Whether this ref still has a callback to call, Python's
    /// `r.__callback__ is not None`: false for refs made without one, and
    /// false for every ref once the referent died.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let r = Ref::with_callback(&o, |_| {});
    /// assert!(r.has_callback());
    /// assert!(!Ref::new(&o).has_callback());
    /// drop(o);
    /// assert!(!r.has_callback());
    /// ```
    #[inline]
    pub fn has_callback(&self) -> bool {
        self.handle.has_callback()
    }

    /// Whether two handles are the same ref, Python's `r1 is r2`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let r = Ref::with_callback(&o, |_| {});
    /// assert!(Ref::ptr_eq(&r, &r.clone()));
    /// assert!(!Ref::ptr_eq(&r, &Ref::new(&o)));
    /// ```
    #[inline]
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.handle.node().ptr() == other.handle.node().ptr()
    }

    /// The data this ref carries (`()` for a plain `Ref<T, (), F>`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let r = Ref::with_data(&o, 42_u32);
    /// assert_eq!(*r.data(), 42);
    /// ```
    #[inline]
    pub fn data(&self) -> &X {
        self.handle.data()
    }

    /// The referent's hash, Python's `hash(r)`: taken from the referent
    /// the first time (with a process-wide randomly seeded hasher) and kept,
    /// so it stays the same after death.
    ///
    /// [`Hash`] for `Ref` writes this value.
    ///
    /// # Errors
    ///
    /// [`DeadHashError`] if the referent died before the ref was first
    /// hashed: there is nothing left to hash.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable, Hash)]
    /// struct Word(&'static str);
    ///
    /// let a = Obj::new(Word("hi"));
    /// let b = Obj::new(Word("hi"));
    /// let (ra, rb) = (Ref::new(&a), Ref::new(&b));
    /// let h = ra.try_hash().unwrap();
    /// assert_eq!(rb.try_hash(), Ok(h)); // equal referents, equal hashes
    /// drop((a, b));
    /// assert_eq!(ra.try_hash(), Ok(h)); // kept after death
    /// # drop(rb);
    ///
    /// let c = Obj::new(Word("bye"));
    /// let rc = Ref::new(&c);
    /// drop(c);
    /// assert!(rc.try_hash().is_err()); // never hashed while alive
    /// ```
    // `HashWord` is `u64` on most targets, `usize` on 32-bit ones without
    // 64-bit atomics, where the casts widen.
    #[allow(clippy::unnecessary_cast)]
    pub fn try_hash(&self) -> Result<u64, DeadHashError>
    where
        T: Hash,
    {
        let cached = self.handle.cached_hash();
        let h = cached.load(Ordering::Relaxed);
        if h != 0 {
            return Ok(h as u64);
        }
        let obj = self.upgrade().ok_or(DeadHashError { _private: () })?;
        // Truncated where the cache is a 32-bit word (see `rt::AtomicHash`).
        let h = (crate::rt::seeded_hasher().hash_one(&*obj) as HashWord).max(1);
        // Two threads may race here; they store the same value unless the
        // referent changed in between, and then the first store wins.
        let h = if F::THREADED {
            match cached.compare_exchange(0, h, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => h,
                Err(first) => first,
            }
        } else {
            cached.store(h, Ordering::Relaxed);
            h
        };
        drop(obj);
        Ok(h as u64)
    }

    pub(crate) fn handle(&self) -> &Handle<T, X, F> {
        &self.handle
    }

    fn from_handle(handle: Handle<T, X, F>) -> Self {
        Ref {
            handle,
            _marker: PhantomData,
        }
    }
}

/// A ref to nothing, which never upgrades: `Weak::new()`. Every default
/// ref is the same (shared, never freed) node, so making one allocates
/// nothing; `Ref::ptr_eq` holds between any two.
///
/// # Examples
///
/// ```
/// use std::sync::Mutex;
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Node {
///     parent: Mutex<Ref<Node>>,
/// }
///
/// let root = Obj::new(Node { parent: Mutex::default() }); // no parent
/// assert!(root.parent.lock().unwrap().upgrade().is_none());
/// let child = Obj::new(Node { parent: Mutex::new(Ref::new(&root)) });
/// assert!(child.parent.lock().unwrap().upgrade().is_some());
/// assert!(!Ref::<Node>::default().is_alive());
/// ```
impl<T, F: Flavor> Default for Ref<T, (), F> {
    fn default() -> Self {
        Ref::from_handle(Handle::dead())
    }
}

impl<T: ?Sized, X, F: Flavor> Clone for Ref<T, X, F> {
    /// The same ref, once more: clones are [`Ref::ptr_eq`].
    #[inline]
    fn clone(&self) -> Self {
        Ref::from_handle(self.handle.clone())
    }
}

impl<T: ?Sized + PartialEq, X, F: Flavor> PartialEq for Ref<T, X, F> {
    /// As CPython: while both referents live, compares them; otherwise a
    /// ref equals only itself (and its clones).
    fn eq(&self, other: &Self) -> bool {
        if let (Some(a), Some(b)) = (self.upgrade(), other.upgrade()) {
            return *a == *b;
        }
        Ref::ptr_eq(self, other)
    }
}

impl<T: ?Sized + Eq, X, F: Flavor> Eq for Ref<T, X, F> {}

impl<T: ?Sized + Hash, X, F: Flavor> Hash for Ref<T, X, F> {
    /// Writes [`Ref::try_hash`].
    ///
    /// # Panics
    ///
    /// With `weak object has gone away` if the referent died before the ref
    /// was first hashed; use [`Ref::try_hash`] to get an error instead.
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.try_hash() {
            Ok(h) => state.write_u64(h),
            Err(e) => panic!("{e}"),
        }
    }
}

impl<T: ?Sized, X, F: Flavor> fmt::Debug for Ref<T, X, F> {
    /// CPython's repr: `<weakref at 0x..; to 'Image' at 0x..>`, or
    /// `<weakref at 0x..; dead>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.handle.fmt_repr(f)
    }
}

/// The error of [`Ref::try_hash`]: the referent died before the ref was
/// first hashed (CPython raises `TypeError: weak object has gone away`).
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable, Hash)]
/// struct Word(&'static str);
///
/// let o = Obj::new(Word("gone"));
/// let r = Ref::new(&o);
/// drop(o);
/// let err = r.try_hash().unwrap_err();
/// assert_eq!(err.to_string(), "weak object has gone away");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DeadHashError {
    _private: (),
}

/// `DeadHashError`, without its private field.
impl fmt::Debug for DeadHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeadHashError")
    }
}

impl fmt::Display for DeadHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("weak object has gone away")
    }
}

impl core::error::Error for DeadHashError {}

/// One of the weak references [`getweakrefs`] lists: a ref or a proxy,
/// whatever data it carries, seen through the caller's view `T`.
///
/// Compare it with a [`Ref`] by identity (`any == r`), ask its
/// [`kind`](AnyRef::kind), or [`upgrade`](AnyRef::upgrade) it.
///
/// # Examples
///
/// ```
/// use weakable::{getweakrefs, Obj, Ref, RefKind, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let o = Obj::new(Image);
/// let r = Ref::with_callback(&o, |_| {});
/// let listed = getweakrefs(&o);
/// assert_eq!(listed.len(), 1);
/// assert!(listed[0] == r);
/// assert_eq!(listed[0].kind(), RefKind::Ref);
/// assert!(listed[0].has_callback());
/// ```
pub struct AnyRef<T: ?Sized, F: Flavor = Sync> {
    handle: Handle<T, Erased, F>,
    _marker: PhantomData<*const T>,
}

// SAFETY: a sync `AnyRef` hands out an `Obj<T>` (`upgrade`) on whatever
// thread has it, so `T: Send + Sync`, as for `Obj`. It may be the last
// handle of a node, and then drops the node's data and callback on its own
// thread: every node with data in the sync flavour has `Send + Sync` data
// (`Ref::with_data` and `Ref::with_data_and_callback` ask for it; the
// collections', `WeakMethod`'s and `finalize`'s public bounds make sure of
// it for `Ref::with_internal_callback` and `Ref::attach`), and every
// callback of the sync flavour is `Send` (see `core::node::Callback`). It
// never reads the data (it is `Erased`).
unsafe impl<T: ?Sized + Send + marker::Sync> Send for AnyRef<T, Sync> {}
// SAFETY: `&AnyRef` allows `clone` and `upgrade`, so sharing one needs what
// sending one does.
unsafe impl<T: ?Sized + Send + marker::Sync> marker::Sync for AnyRef<T, Sync> {}

impl<T: ?Sized, F: Flavor> AnyRef<T, F> {
    /// Whether it is a ref or a proxy.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{getweakrefs, Obj, Ref, RefKind, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let _r = Ref::new(&o);
    /// assert_eq!(getweakrefs(&o)[0].kind(), RefKind::Ref);
    /// ```
    pub fn kind(&self) -> RefKind {
        self.handle.kind()
    }

    /// A strong reference to the referent, as [`Ref::upgrade`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{getweakrefs, Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let _r = Ref::new(&o);
    /// let any = getweakrefs(&o).pop().unwrap();
    /// assert!(Obj::ptr_eq(&any.upgrade().unwrap(), &o));
    /// ```
    #[must_use = "upgrading has no effect besides returning the object"]
    pub fn upgrade(&self) -> Option<Obj<T, F>> {
        self.handle.upgrade()
    }

    /// Whether it still has a callback to call (false once dead).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{getweakrefs, Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let _r = Ref::new(&o);
    /// assert!(!getweakrefs(&o)[0].has_callback());
    /// ```
    pub fn has_callback(&self) -> bool {
        self.handle.has_callback()
    }

    /// Whether two listed refs are the same ref.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{getweakrefs, Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let _r = Ref::new(&o);
    /// assert!(weakable::AnyRef::ptr_eq(&getweakrefs(&o)[0], &getweakrefs(&o)[0]));
    /// ```
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.handle.node().ptr() == other.handle.node().ptr()
    }
}

impl<T: ?Sized, F: Flavor> Clone for AnyRef<T, F> {
    fn clone(&self) -> Self {
        AnyRef {
            handle: self.handle.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized, U: ?Sized, X, F: Flavor> PartialEq<Ref<U, X, F>> for AnyRef<T, F> {
    /// Identity: whether `other` is this very ref (through any view).
    fn eq(&self, other: &Ref<U, X, F>) -> bool {
        self.handle.node().ptr() == other.handle().node().ptr()
    }
}

impl<T: ?Sized, U: ?Sized, X, F: Flavor> PartialEq<AnyRef<U, F>> for Ref<T, X, F> {
    /// Identity: whether `other` is this very ref (through any view).
    fn eq(&self, other: &AnyRef<U, F>) -> bool {
        self.handle.node().ptr() == other.handle.node().ptr()
    }
}

impl<T: ?Sized, U: ?Sized, F: Flavor> PartialEq<crate::proxy::Proxy<U, F>> for AnyRef<T, F> {
    /// Identity: whether `other` is this very proxy (through any view).
    fn eq(&self, other: &crate::proxy::Proxy<U, F>) -> bool {
        self.handle.node().ptr() == other.handle().node().ptr()
    }
}

impl<T: ?Sized, U: ?Sized, F: Flavor> PartialEq<AnyRef<U, F>> for crate::proxy::Proxy<T, F> {
    /// Identity: whether `other` is this very proxy (through any view).
    fn eq(&self, other: &AnyRef<U, F>) -> bool {
        self.handle().node().ptr() == other.handle.node().ptr()
    }
}

impl<T: ?Sized, F: Flavor> fmt::Debug for AnyRef<T, F> {
    /// The repr of the ref or proxy it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.handle.fmt_repr(f)
    }
}

/// The number of weak references and proxies to `obj`, Python's
/// `weakref.getweakrefcount(obj)`: refs, proxies, and the internal refs of
/// weak collections that hold it. Zero for a type without a slot.
///
/// # Examples
///
/// ```
/// use weakable::{getweakrefcount, Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// #[derive(Weakable)]
/// #[weakable(no_weakref)]
/// struct Point;
///
/// let o = Obj::new(Image);
/// assert_eq!(getweakrefcount(&o), 0);
/// let a = Ref::new(&o);
/// let b = Ref::with_callback(&o, |_| {});
/// assert_eq!(getweakrefcount(&o), 2);
/// drop((a, b));
/// assert_eq!(getweakrefcount(&o), 0);
/// assert_eq!(getweakrefcount(&Obj::new(Point)), 0);
/// ```
pub fn getweakrefcount<T: ?Sized + Weakable, F: Flavor>(obj: &Obj<T, F>) -> usize {
    Obj::weakref_slot(obj).map_or(0, WeakrefSlot::weakref_count::<F>)
}

/// Every weak reference and proxy to `obj`, Python's
/// `weakref.getweakrefs(obj)`: the basic ref first, then the basic proxy,
/// then the others, newest first, as CPython lists them.
///
/// # Examples
///
/// ```
/// use weakable::{getweakrefs, Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let o = Obj::new(Image);
/// let cb = Ref::with_callback(&o, |_| {});
/// let basic = Ref::new(&o);
/// let listed = getweakrefs(&o);
/// assert!(listed[0] == basic && listed[1] == cb);
/// ```
pub fn getweakrefs<T: ?Sized + WeakRefable, F: Flavor>(obj: &Obj<T, F>) -> Vec<AnyRef<T, F>> {
    obj.slot()
        .weakrefs::<F>()
        .into_iter()
        .map(|node| Handle::listed(node, obj))
        .map(|handle| AnyRef {
            handle,
            _marker: PhantomData,
        })
        .collect()
}
