//! `Proxy<T, F>`, Python's `weakref.proxy`: a weak reference used as if it
//! were the object, through a guard.

use core::fmt;
use core::marker::{self, PhantomData};
use core::panic::{RefUnwindSafe, UnwindSafe};

use crate::core::handle::Handle;
use crate::core::node::ProxyTag;
use crate::error::ReferenceError;
use crate::obj::Obj;
use crate::rt::flavor::{Flavor, Sendable, Sync};
use crate::traits::WeakRefable;

/// A weak reference that stands for its object, Python's `weakref.proxy`.
///
/// Where Python forwards every attribute access, a `Proxy` hands out the
/// object through [`get`](Proxy::get): `p.get()?.width` reads like
/// `p.width`, and fails with [`ReferenceError`] once the object died. The
/// `Obj` it returns is the guard: it keeps the object alive while it is
/// used, so the object cannot die in the middle of a method call.
///
/// [`Proxy::new`] reuses the object's basic proxy, as CPython does; proxies
/// count in [`getweakrefcount`](crate::getweakrefcount), are listed by
/// [`getweakrefs`](crate::getweakrefs), and their callbacks run in the same
/// newest-first order as refs'.
///
/// `PartialEq` compares referents, as CPython does. A proxy is not `Hash`
/// (CPython raises `TypeError`), so it cannot be a map key:
///
/// ```compile_fail
/// use std::collections::HashSet;
/// use weakable::{Obj, Proxy, Weakable};
///
/// #[derive(Weakable, Hash, PartialEq, Eq)]
/// struct Image;
///
/// let o = Obj::new(Image);
/// let mut set = HashSet::new();
/// set.insert(Proxy::new(&o)); // error: `Proxy<Image>: Hash` is not satisfied
/// ```
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use weakable::{Obj, Proxy, Weakable};
///
/// #[derive(Weakable)]
/// struct Counter {
///     hits: AtomicU32,
/// }
///
/// let o = Obj::new(Counter { hits: AtomicU32::new(0) });
/// let p = Proxy::new(&o);
/// p.get().unwrap().hits.fetch_add(1, Ordering::SeqCst); // through the proxy
/// assert_eq!(o.hits.load(Ordering::SeqCst), 1); // seen through the object
/// drop(o);
/// assert!(p.get().is_err());
/// ```
pub struct Proxy<T: ?Sized, F: Flavor = Sync> {
    handle: Handle<T, (), F>,
    _marker: PhantomData<*const T>,
}

// SAFETY: a sync proxy hands out an `Obj<T>` (`get`) on whatever thread has
// it, so it may cross threads only if `Obj<T>` may: `T: Send + Sync`. Its node
// holds no data, and everything else in a node (counts, links, the cached
// hash) is atomics, or guarded by the slot's lock, or immutable.
// Its callback, if any, is `Send` (`Sendable<Sync>`). An unsync proxy is
// neither `Send` nor `Sync`: its counts are updated without atomics.
unsafe impl<T: ?Sized + Send + marker::Sync> Send for Proxy<T, Sync> {}
// SAFETY: `&Proxy` allows `clone` (a new `Proxy` on this thread, which may
// then be sent) and `get`, so sharing one needs what sending one does.
unsafe impl<T: ?Sized + Send + marker::Sync> marker::Sync for Proxy<T, Sync> {}

// As for `Ref`: no user code runs while a node is half-updated.
impl<T: ?Sized + RefUnwindSafe, F: Flavor> UnwindSafe for Proxy<T, F> {}
impl<T: ?Sized + RefUnwindSafe, F: Flavor> RefUnwindSafe for Proxy<T, F> {}

impl<T: ?Sized + WeakRefable, F: Flavor> Proxy<T, F> {
    /// A proxy to `obj`, Python's `weakref.proxy(obj)`; the object's basic
    /// proxy while one exists.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Proxy, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// assert!(Proxy::ptr_eq(&Proxy::new(&o), &Proxy::new(&o)));
    /// ```
    #[must_use = "a proxy that is never used does nothing"]
    pub fn new(obj: &Obj<T, F>) -> Proxy<T, F> {
        Proxy::from_handle(Handle::basic::<ProxyTag>(obj))
    }

    /// A proxy to `obj` whose `callback` runs once when `obj` dies, Python's
    /// `weakref.proxy(obj, callback)`; see
    /// [`Ref::with_callback`](crate::Ref::with_callback) for when and where.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use weakable::{Obj, Proxy, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let o = Obj::new(Image);
    /// let p = Proxy::with_callback(&o, move |p: &Proxy<Image>| {
    ///     tx.send(p.get().is_err()).unwrap();
    /// });
    /// drop(o);
    /// assert!(rx.recv().unwrap()); // dead inside its callback
    /// # drop(p);
    /// ```
    #[must_use = "dropping the proxy at once cancels its callback"]
    pub fn with_callback<C>(obj: &Obj<T, F>, callback: C) -> Proxy<T, F>
    where
        C: FnOnce(&Proxy<T, F>) + Sendable<F> + 'static,
    {
        Proxy::from_handle(Handle::attach_with::<ProxyTag, _>(obj, (), move |h| {
            callback(&Proxy::from_handle(h));
        }))
    }
}

impl<T: ?Sized + crate::Weakable, F: Flavor> Proxy<T, F> {
    /// The same proxy seen through a trait-object view, as
    /// [`Obj::unsize`]: `Proxy<Image>` to `Proxy<dyn Listener>`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{weakable_dyn, Obj, Proxy, Weakable};
    ///
    /// trait Named {
    ///     fn name(&self) -> &str;
    /// }
    /// weakable_dyn!(dyn Named);
    ///
    /// #[derive(Weakable)]
    /// struct File(String);
    /// impl Named for File {
    ///     fn name(&self) -> &str {
    ///         &self.0
    ///     }
    /// }
    ///
    /// let f = Obj::new(File("a.txt".into()));
    /// let p: Proxy<dyn Named> = Proxy::unsize(Proxy::new(&f));
    /// assert_eq!(p.get().unwrap().name(), "a.txt");
    /// ```
    pub fn unsize<U>(this: Proxy<T, F>) -> Proxy<U, F>
    where
        U: ?Sized + crate::CoerceFrom<T> + crate::Weakable<Slot = T::Slot>,
    {
        Proxy::from_handle(this.handle.unsize())
    }
}

impl<T: ?Sized, F: Flavor> Proxy<T, F> {
    /// The object, as a guard that keeps it alive while in use, or
    /// [`ReferenceError`] if it died. `p.get()?.field` is Python's `p.field`.
    ///
    /// # Errors
    ///
    /// [`ReferenceError`] once the object's last `Obj` was dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Proxy, ReferenceError, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image {
    ///     name: String,
    /// }
    ///
    /// let o = Obj::new(Image { name: "cat".into() });
    /// let p = Proxy::new(&o);
    /// assert_eq!(p.get().unwrap().name, "cat");
    /// drop(o);
    /// assert_eq!(p.get().err(), Some(ReferenceError::default()));
    /// ```
    #[inline]
    pub fn get(&self) -> Result<Obj<T, F>, ReferenceError> {
        self.handle.upgrade().ok_or(ReferenceError::new())
    }

    /// Runs `f` on the object, keeping it alive for the call.
    ///
    /// # Errors
    ///
    /// [`ReferenceError`] if the object died; `f` is not called then.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Proxy, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Stack(Vec<u8>);
    ///
    /// let o = Obj::new(Stack(vec![1, 2, 3]));
    /// let p = Proxy::new(&o);
    /// assert_eq!(p.with(|s| s.0.len()), Ok(3));
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> Result<R, ReferenceError> {
        let obj = self.get()?;
        Ok(f(&obj))
    }

    /// Calls the object (Python's `p(args)` on a callable proxy): one
    /// argument value, a tuple for several.
    ///
    /// # Errors
    ///
    /// [`ReferenceError`] if the object died.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Func, Obj, Proxy};
    ///
    /// let add = Obj::new(Func::new(|(a, b): (u32, u32)| a + b));
    /// let p = Proxy::new(&add);
    /// assert_eq!(p.call((2, 3)), Ok(5));
    /// drop(add);
    /// assert!(p.call((2, 3)).is_err());
    /// ```
    pub fn call<A>(&self, args: A) -> Result<T::Output, ReferenceError>
    where
        T: crate::Call<A>,
    {
        let obj = self.get()?;
        Ok(obj.call(args))
    }

    /// Whether the object is still alive (racy by nature).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Proxy, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let p = Proxy::new(&o);
    /// assert!(p.is_alive());
    /// drop(o);
    /// assert!(!p.is_alive());
    /// ```
    #[inline]
    pub fn is_alive(&self) -> bool {
        self.handle.is_alive()
    }

    /// Whether this proxy still has a callback to call (false once dead).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Proxy, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// assert!(!Proxy::new(&o).has_callback());
    /// assert!(Proxy::with_callback(&o, |_| {}).has_callback());
    /// ```
    #[inline]
    pub fn has_callback(&self) -> bool {
        self.handle.has_callback()
    }

    /// Whether two handles are the same proxy, Python's `p1 is p2`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Proxy, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let o = Obj::new(Image);
    /// let p = Proxy::with_callback(&o, |_| {});
    /// assert!(Proxy::ptr_eq(&p, &p.clone()));
    /// assert!(!Proxy::ptr_eq(&p, &Proxy::new(&o)));
    /// ```
    #[inline]
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.handle.node().ptr() == other.handle.node().ptr()
    }

    pub(crate) fn handle(&self) -> &Handle<T, (), F> {
        &self.handle
    }

    fn from_handle(handle: Handle<T, (), F>) -> Self {
        Proxy {
            handle,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized, F: Flavor> Clone for Proxy<T, F> {
    /// The same proxy once more: clones are [`Proxy::ptr_eq`].
    fn clone(&self) -> Self {
        Proxy::from_handle(self.handle.clone())
    }
}

impl<T: ?Sized + PartialEq, F: Flavor> PartialEq for Proxy<T, F> {
    /// Compares the referents, as CPython does. Where CPython raises
    /// `ReferenceError` because one is dead, two proxies are equal only if
    /// they are the same proxy.
    fn eq(&self, other: &Self) -> bool {
        match (self.get(), other.get()) {
            (Ok(a), Ok(b)) => *a == *b,
            _ => Proxy::ptr_eq(self, other),
        }
    }
}

impl<T: PartialEq, F: Flavor> PartialEq<T> for Proxy<T, F> {
    /// Compares the referent with `other`; a dead proxy equals no value.
    fn eq(&self, other: &T) -> bool {
        self.get().is_ok_and(|o| *o == *other)
    }
}

impl<T: ?Sized, F: Flavor> fmt::Debug for Proxy<T, F> {
    /// CPython's repr, `<weakproxy at 0x.. to Image at 0x..>`; once dead,
    /// `<weakproxy at 0x..; dead>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.handle.fmt_repr(f)
    }
}
