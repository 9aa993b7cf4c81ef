//! The flavour parameter: which primitives a handle's operations use.
//!
//! Every object, ref node and slot is laid out the same in both flavours:
//! the counts and the list head are atomics in memory. What differs is the
//! operations on them, chosen at compile time by the handle's type:
//! [`Sync`] uses read-modify-writes with `Arc`'s orderings and spins on
//! the slot's list lock; [`Unsync`] reads and writes them as plain
//! (relaxed) loads and stores, which compile to ordinary moves, and takes
//! no lock. That is sound without any `unsafe` of its own: a relaxed load
//! followed by a store is never undefined behaviour, only a lost update if
//! two threads did it at once, and an unsync handle cannot leave its
//! thread (none of them is `Send` or `Sync`), so every access to an unsync
//! object comes from the thread that made it.
//!
//! The bounds that make the sync flavour thread-safe (callbacks `Send`,
//! contents `Send + Sync`) are [`Sendable`] and [`Shareable`], which hold
//! for everything in the unsync flavour.
//!
//! The state that clones of a collection, a `WeakMethod` or a `Finalizer`
//! share is behind [`Flavor::Shared`] (`Arc` or `Rc`, with its weak side in
//! the death callbacks), and a finalizer's few-step state behind
//! [`Flavor::Lock`] (a mutex or a `RefCell`); the collections' table lock
//! and eviction queue (`rt::table_lock`, `rt::queue`) branch on
//! [`Flavor::THREADED`] as the counts do.

pub(crate) mod sealed {
    use core::ops::{Deref, DerefMut};

    pub trait Sealed {}
    impl Sealed for super::Sync {}
    impl Sealed for super::Unsync {}

    /// A flavour's shared pointer ([`Flavor::Shared`](super::Flavor::Shared)):
    /// `Arc` in the sync flavour, `Rc` in the unsync one. Public in a
    /// private module, so that it can bound the hidden associated type
    /// without being nameable outside the crate.
    pub trait SharedPtr<T>: Deref<Target = T> + Clone {
        /// Its weak pointer: `sync::Weak` or `rc::Weak`.
        type Weak: WeakPtr<T, Strong = Self>;
        fn new(value: T) -> Self;
        fn downgrade(this: &Self) -> Self::Weak;
        /// `Arc::new_cyclic`: `value` gets the weak pointer to its own
        /// allocation, which upgrades once it returns.
        fn new_cyclic(value: impl FnOnce(&Self::Weak) -> T) -> Self;
        fn ptr_eq(this: &Self, other: &Self) -> bool;
        /// The address of the value, for reprs.
        fn addr(this: &Self) -> usize;
    }

    /// The weak side of a [`SharedPtr`].
    pub trait WeakPtr<T>: Clone {
        type Strong;
        fn upgrade(&self) -> Option<Self::Strong>;
    }

    /// A flavour's lock ([`Flavor::Lock`](super::Flavor::Lock)): a mutex
    /// that ignores poisoning in the sync flavour, a `RefCell` in the
    /// unsync one, whose `lock` is a borrow flag's load and store (and
    /// panics, rather than deadlocks, if its holder's stack comes back).
    ///
    /// With std it comes with an event that a caller can sleep on, under
    /// the lock, until another thread changes the state it waits for (a
    /// claimed key's value, a delivery, the table lock's release): a
    /// condition variable in the sync flavour, nothing in the unsync one,
    /// where no caller ever waits for another (there is no other: every
    /// waiting path there panics or returns first), so an unsync
    /// structure carries no condition variable it would never use.
    pub trait Lock<T> {
        type Guard<'a>: DerefMut<Target = T>
        where
            Self: 'a;
        /// A condition variable, or nothing.
        #[cfg(feature = "std")]
        type Event;
        fn new(value: T) -> Self;
        fn lock(&self) -> Self::Guard<'_>;
        #[cfg(feature = "std")]
        fn new_event() -> Self::Event;
        /// Lets go of `guard`, sleeps until `event` is notified (or
        /// spuriously), and takes the lock again.
        ///
        /// # Panics
        ///
        /// In the unsync flavour, always: the callers wait only for
        /// another thread, and check the flavour first.
        #[cfg(feature = "std")]
        fn wait<'a>(event: &Self::Event, guard: Self::Guard<'a>) -> Self::Guard<'a>
        where
            Self: 'a;
        /// Wakes every caller sleeping on `event` (nobody, in unsync).
        #[cfg(feature = "std")]
        fn notify_all(event: &Self::Event);
    }

    macro_rules! shared_ptr {
        ($strong:ident, $weak:path) => {
            impl<T> SharedPtr<T> for $strong<T> {
                type Weak = $weak;
                #[inline]
                fn new(value: T) -> Self {
                    $strong::new(value)
                }
                #[inline]
                fn downgrade(this: &Self) -> Self::Weak {
                    $strong::downgrade(this)
                }
                #[inline]
                fn new_cyclic(value: impl FnOnce(&Self::Weak) -> T) -> Self {
                    $strong::new_cyclic(value)
                }
                #[inline]
                fn ptr_eq(this: &Self, other: &Self) -> bool {
                    $strong::ptr_eq(this, other)
                }
                #[inline]
                fn addr(this: &Self) -> usize {
                    $strong::as_ptr(this).addr()
                }
            }

            impl<T> WeakPtr<T> for $weak {
                type Strong = $strong<T>;
                #[inline]
                fn upgrade(&self) -> Option<$strong<T>> {
                    <$weak>::upgrade(self)
                }
            }
        };
    }

    use crate::rt::Arc;
    use alloc::rc::Rc;
    shared_ptr!(Arc, crate::rt::Weak<T>);
    shared_ptr!(Rc, alloc::rc::Weak<T>);

    use crate::rt::{Mutex, MutexGuard};
    use core::cell::{RefCell, RefMut};

    // `rt::Mutex` ignores poisoning: a panic under it (in `peek`'s clones)
    // leaves the state as consistent as it found it.
    impl<T> Lock<T> for Mutex<T> {
        type Guard<'a>
            = MutexGuard<'a, T>
        where
            T: 'a;
        #[cfg(feature = "std")]
        type Event = crate::rt::Condvar;
        #[inline]
        fn new(value: T) -> Self {
            Mutex::new(value)
        }
        #[inline]
        fn lock(&self) -> MutexGuard<'_, T> {
            Mutex::lock(self)
        }
        #[cfg(feature = "std")]
        fn new_event() -> crate::rt::Condvar {
            crate::rt::Condvar::new()
        }
        #[cfg(feature = "std")]
        fn wait<'a>(event: &crate::rt::Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T>
        where
            Self: 'a,
        {
            event.wait(guard)
        }
        #[cfg(feature = "std")]
        fn notify_all(event: &crate::rt::Condvar) {
            event.notify_all();
        }
    }

    impl<T> Lock<T> for RefCell<T> {
        type Guard<'a>
            = RefMut<'a, T>
        where
            T: 'a;
        #[cfg(feature = "std")]
        type Event = ();
        #[inline]
        fn new(value: T) -> Self {
            RefCell::new(value)
        }
        #[inline]
        fn lock(&self) -> RefMut<'_, T> {
            self.borrow_mut()
        }
        #[cfg(feature = "std")]
        fn new_event() {}
        #[cfg(feature = "std")]
        fn wait<'a>((): &(), _: RefMut<'a, T>) -> RefMut<'a, T>
        where
            Self: 'a,
        {
            unreachable!(
                "the unsync flavour's callers check that they would wait for another thread"
            )
        }
        #[cfg(feature = "std")]
        #[inline]
        fn notify_all((): &()) {}
    }

    /// Seals [`Sendable`](super::Sendable) and [`Shareable`](super::Shareable):
    /// their meaning is fixed by the blanket impls below.
    pub trait SealedBound<F> {}
    impl<T: ?Sized + Send> SealedBound<super::Sync> for T {}
    impl<T: ?Sized> SealedBound<super::Unsync> for T {}
}

/// The flavour of an object and its handles: [`Sync`] (thread-safe, the
/// default, what `weakable::sync` names) or [`Unsync`] (single-threaded,
/// `weakable::unsync`).
///
/// The flavour is a type parameter of the generic handles in this module
/// ([`Obj<T, F>`](crate::flavor::Obj), [`Ref<T, X, F>`](crate::flavor::Ref),
/// ...). Most code names them through `weakable::sync` or
/// `weakable::unsync`, whose types fix it; code that works with both can be
/// generic over `F: Flavor`.
///
/// This trait is sealed: the core's soundness argument depends on knowing
/// every flavour.
///
/// # Examples
///
/// ```
/// use weakable::flavor::{self, Flavor};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Node(u32);
///
/// // Works with `sync::Obj` and `unsync::Obj` alike.
/// fn alive<F: Flavor>(r: &flavor::Ref<Node, (), F>) -> bool {
///     r.upgrade().is_some()
/// }
///
/// let a = weakable::sync::Obj::new(Node(1));
/// let b = weakable::unsync::Obj::new(Node(2));
/// assert!(alive(&weakable::sync::Ref::new(&a)));
/// assert!(alive(&weakable::unsync::Ref::new(&b)));
/// ```
pub trait Flavor: sealed::Sealed + Sized + 'static {
    /// Whether handles of this flavour may be shared between threads (and
    /// so must use atomic read-modify-writes and locks).
    const THREADED: bool;

    /// The shared pointer of the state that clones of a handle share
    /// (a weak collection's table, `WeakMethod`, `Finalizer`), with a weak
    /// side for the death callbacks: `Arc` in the sync flavour, `Rc` in the unsync one
    /// (archery's `SharedPointerKind`, as an associated type). An
    /// implementation detail, sealed with the trait.
    #[doc(hidden)]
    type Shared<T>: sealed::SharedPtr<T>;

    /// A lock around state that is taken for a few steps: a mutex in the
    /// sync flavour, a `RefCell` in the unsync one. An implementation
    /// detail, sealed with the trait.
    #[doc(hidden)]
    type Lock<T>: sealed::Lock<T>;
}

/// The thread-safe flavour (`weakable::sync`, re-exported at the crate
/// root): handles are `Send` and `Sync` when their contents are, callbacks
/// must be `Send`, and counts are updated with atomic read-modify-writes.
///
/// This is a type, not the `Sync` auto trait; name it `flavor::Sync`.
///
/// # Examples
///
/// ```
/// use weakable::{flavor, Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let o: flavor::Obj<Image, flavor::Sync> = Obj::new(Image);
/// std::thread::spawn(move || drop(o)).join().unwrap();
/// ```
#[derive(Debug)]
pub enum Sync {}

/// The single-threaded flavour (`weakable::unsync`): handles are neither
/// `Send` nor `Sync`, callbacks and contents need not be either, and counts
/// are updated with plain loads and stores, as `std::rc` does.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use weakable::unsync::{Obj, Ref};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Doc {
///     text: RefCell<String>, // not `Sync`: fine in the unsync flavour
/// }
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let sink = log.clone(); // an `Rc` in a callback
/// let d = Obj::new(Doc { text: RefCell::new("draft".into()) });
/// let r = Ref::with_callback(&d, move |_| sink.borrow_mut().push("closed"));
/// d.text.borrow_mut().push_str(" 2");
/// assert_eq!(*r.upgrade().unwrap().text.borrow(), "draft 2");
/// drop(d);
/// assert_eq!(*log.borrow(), ["closed"]);
/// ```
#[derive(Debug)]
pub enum Unsync {}

impl Flavor for Sync {
    const THREADED: bool = true;
    type Shared<T> = crate::rt::Arc<T>;
    type Lock<T> = crate::rt::Mutex<T>;
}

impl Flavor for Unsync {
    const THREADED: bool = false;
    type Shared<T> = alloc::rc::Rc<T>;
    type Lock<T> = core::cell::RefCell<T>;
}

/// What a callback must be to be registered in flavour `F`: `Send` in the
/// [`Sync`] flavour (it may run on whichever thread the object dies on),
/// anything in the [`Unsync`] one.
///
/// Sealed: implemented for exactly those types.
///
/// # Examples
///
/// ```
/// use weakable::flavor::{self, Sendable};
///
/// fn check<F: flavor::Flavor, C: Sendable<F>>(_: &C) {}
/// let rc = std::rc::Rc::new(1);
/// check::<flavor::Unsync, _>(&rc); // an `Rc` is fine single-threaded
/// check::<flavor::Sync, _>(&1u8);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to another thread, which the sync flavour needs",
    label = "not `Send`",
    note = "single-threaded code can use `weakable::unsync`, whose callbacks need not be `Send`"
)]
pub trait Sendable<F: Flavor>: sealed::SealedBound<F> {}

impl<T: ?Sized + Send> Sendable<Sync> for T {}
impl<T: ?Sized> Sendable<Unsync> for T {}

/// What data a handle carries in flavour `F`: `Send + Sync` in the
/// [`Sync`] flavour (the handle may be used from any thread), anything in
/// the [`Unsync`] one.
///
/// Sealed: implemented for exactly those types.
///
/// # Examples
///
/// ```
/// use weakable::flavor::{self, Shareable};
///
/// fn check<F: flavor::Flavor, X: Shareable<F>>(_: &X) {}
/// check::<flavor::Unsync, _>(&std::cell::Cell::new(1));
/// check::<flavor::Sync, _>(&"thumbnail");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be shared between threads, which the sync flavour needs",
    label = "not `Send + Sync`",
    note = "single-threaded code can use `weakable::unsync`, which needs neither"
)]
pub trait Shareable<F: Flavor>: Sendable<F> {}

impl<T: ?Sized + Send + core::marker::Sync> Shareable<Sync> for T {}
impl<T: ?Sized> Shareable<Unsync> for T {}
