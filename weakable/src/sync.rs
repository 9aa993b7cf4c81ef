//! The thread-safe flavour: what the crate root re-exports.
//!
//! Handles are `Send` and `Sync` when their contents are, as `Arc` is;
//! callbacks must be `Send`, since they run on whichever thread drops an
//! object's last handle; the collections can be shared between threads.
//! Single-threaded code that wants `std::rc` speed or `!Send` contents
//! uses [`unsync`](crate::unsync) instead; the two have the same names
//! with the same meanings.
//!
//! # Examples
//!
//! ```
//! use weakable::sync::{Obj, Ref};
//! use weakable::Weakable;
//!
//! #[derive(Weakable)]
//! struct Texture(Vec<u8>);
//!
//! let t = Obj::new(Texture(vec![0; 64]));
//! let r = Ref::new(&t);
//! let seen = std::thread::spawn(move || r.upgrade().map(|t| t.0.len()))
//!     .join()
//!     .unwrap();
//! assert_eq!(seen, Some(64));
//! ```

use crate::collections::DefaultHashBuilder;
use crate::rt::flavor::Sync;
#[cfg(feature = "std")]
use crate::{rt::flavor::Shareable, traits::WeakRefable};

#[cfg(feature = "std")]
pub use crate::finalize::finalize;
pub use crate::reference::{getweakrefcount, getweakrefs};

/// A strong reference to an object of the sync flavour: an `Arc` whose
/// allocation carries the object's `__weakref__` slot. See
/// [`flavor::Obj`](crate::flavor::Obj) for everything it does.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let a = Obj::new(Image);
/// let b = a.clone();
/// assert!(Obj::ptr_eq(&a, &b));
/// ```
pub type Obj<T> = crate::obj::Obj<T, Sync>;

/// A weak reference of the sync flavour, Python's `weakref.ref`, with data
/// `X` (by default none). See [`flavor::Ref`](crate::flavor::Ref).
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
/// assert!(r.upgrade().is_some());
/// drop(o);
/// assert!(r.upgrade().is_none());
/// ```
pub type Ref<T, X = ()> = crate::reference::Ref<T, X, Sync>;

/// A proxy of the sync flavour, Python's `weakref.proxy`. See
/// [`flavor::Proxy`](crate::flavor::Proxy).
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Proxy, Weakable};
///
/// #[derive(Weakable)]
/// struct Image(u32);
///
/// let o = Obj::new(Image(7));
/// let p = Proxy::new(&o);
/// assert_eq!(p.get().unwrap().0, 7);
/// ```
pub type Proxy<T> = crate::proxy::Proxy<T, Sync>;

/// One of the weak references `getweakrefs` lists, in the sync flavour.
/// See [`flavor::AnyRef`](crate::flavor::AnyRef).
///
/// # Examples
///
/// ```
/// use weakable::{getweakrefs, AnyRef, Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let o = Obj::new(Image);
/// let r = Ref::with_callback(&o, |_| {});
/// let listed: Vec<AnyRef<Image>> = getweakrefs(&o);
/// assert!(listed[0] == r);
/// ```
pub type AnyRef<T> = crate::reference::AnyRef<T, Sync>;

/// A weak reference to a bound method of the sync flavour, Python's
/// `weakref.WeakMethod`. See [`flavor::WeakMethod`](crate::flavor::WeakMethod).
///
/// # Examples
///
/// ```
/// use weakable::sync::{Obj, WeakMethod};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Counter(u32);
///
/// impl Counter {
///     fn add(&self, x: u32) -> u32 {
///         self.0 + x
///     }
/// }
///
/// let c = Obj::new(Counter(1));
/// let m: WeakMethod<Counter, u32, u32> = WeakMethod::new(&c, Counter::add);
/// let seen = std::thread::spawn(move || m.upgrade().map(|b| b.call(2)));
/// assert_eq!(seen.join().unwrap(), Some(3));
/// ```
pub type WeakMethod<T, A, R> = crate::method::WeakMethod<T, A, R, Sync>;

/// A method bound to its object, in the sync flavour: what
/// [`WeakMethod::upgrade`](crate::flavor::WeakMethod::upgrade) returns. See
/// [`flavor::BoundMethod`](crate::flavor::BoundMethod).
///
/// # Examples
///
/// ```
/// use weakable::sync::{BoundMethod, Obj, WeakMethod};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Adder(i32);
///
/// impl Adder {
///     fn add(&self, x: i32) -> i32 {
///         self.0 + x
///     }
/// }
///
/// let a = Obj::new(Adder(2));
/// let bound: BoundMethod<Adder, i32, i32> = WeakMethod::new(&a, Adder::add).upgrade().unwrap();
/// assert_eq!(bound.call(40), 42);
/// ```
pub type BoundMethod<T, A, R> = crate::method::BoundMethod<T, A, R, Sync>;

/// A handle to a finalizer of the sync flavour, Python's `weakref.finalize`
/// object, made by [`finalize()`] or [`finalize_with`]. See
/// [`flavor::Finalizer`](crate::flavor::Finalizer).
///
/// At process exit, the live sync finalizers whose `atexit` flag is set run,
/// newest first.
///
/// The function and argument types default to [`finalize_with`]'s: a
/// `Finalizer<T>` is a finalizer of a `T` whose function is a boxed closure
/// without arguments ([`FinalizerFn`]), a type to store in a struct field.
///
/// # Examples
///
/// ```
/// use weakable::sync::{finalize, Finalizer, Obj};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let img = Obj::new(Image);
/// let f: Finalizer<Image, fn(u32) -> u32, u32> = finalize(&img, |x| x + 1, 41);
/// assert_eq!(f.call(), Some(42));
/// ```
#[cfg(feature = "std")]
pub type Finalizer<T, C = FinalizerFn, A = ()> = crate::finalize::Finalizer<T, C, A, Sync>;

/// The function of a finalizer made by [`finalize_with`]: its closure, boxed
/// and taking `()`, so that the handle's type names no closure:
/// [`Finalizer<T>`](Finalizer) is `Finalizer<T, FinalizerFn<()>, ()>`, and
/// `Finalizer<T, FinalizerFn<R>>` one whose function returns `R`.
///
/// # Examples
///
/// ```
/// use weakable::sync::{finalize_with, Finalizer, FinalizerFn, Obj};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let img = Obj::new(Image);
/// let f: Finalizer<Image, FinalizerFn<u32>> = finalize_with(&img, || 42);
/// let (_img, func, args) = f.detach().unwrap(); // what `detach` gives back
/// let func: FinalizerFn<u32> = func;
/// assert_eq!(func(args), 42);
/// ```
#[cfg(feature = "std")]
pub type FinalizerFn<R = ()> = Box<dyn FnOnce(()) -> R + Send>;

/// Registers `f()` to run when `obj` dies: [`finalize()`] for a closure
/// without arguments, Python's `weakref.finalize(obj, f)`.
///
/// The closure is boxed ([`FinalizerFn`]), so the handle's type names no
/// closure and fits a struct field: `Finalizer<T>`, or
/// `Finalizer<T, FinalizerFn<R>>` when `f` returns an `R`. Everything else
/// is [`finalize()`]'s: it runs at most once (at `obj`'s death, at
/// [`call`](Finalizer::call), or at exit), `f` must not own `obj`, and
/// [`detach`](Finalizer::detach) gives back `(obj, f, ())` with `f` the
/// box, so that `f(())` gives the result. [`peek`](Finalizer::peek) is not
/// available: a boxed `FnOnce` cannot be cloned.
///
/// # Examples
///
/// A connection that keeps its own finalizer, to close early or at its
/// death:
///
/// ```
/// use std::sync::{Arc, Mutex, OnceLock};
/// use weakable::{finalize_with, Finalizer, Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Conn {
///     id: u32,
///     close: OnceLock<Finalizer<Conn>>,
/// }
///
/// fn open(id: u32, closed: &Arc<Mutex<Vec<u32>>>) -> Obj<Conn> {
///     let conn = Obj::new(Conn { id, close: OnceLock::new() });
///     let closed = closed.clone();
///     let _ = conn.close.set(finalize_with(&conn, move || closed.lock().unwrap().push(id)));
///     conn
/// }
///
/// let closed = Arc::new(Mutex::new(Vec::new()));
/// let (a, b) = (open(1, &closed), open(2, &closed));
/// b.close.get().unwrap().call(); // closed early
/// drop(a); // closed at its death
/// drop(b); // already closed: nothing more
/// assert_eq!(*closed.lock().unwrap(), [2, 1]);
/// ```
#[cfg(feature = "std")]
pub fn finalize_with<T, R>(
    obj: &Obj<T>,
    f: impl FnOnce() -> R + Send + 'static,
) -> Finalizer<T, FinalizerFn<R>>
where
    T: ?Sized + WeakRefable + Shareable<Sync> + 'static,
    R: 'static,
{
    finalize(obj, Box::new(move |()| f()) as FinalizerFn<R>, ())
}

/// A map whose values are held weakly, Python's
/// `weakref.WeakValueDictionary`, shareable between threads. See
/// [`flavor::WeakValueDictionary`](crate::flavor::WeakValueDictionary).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use weakable::{Obj, WeakValueDictionary, Weakable};
///
/// #[derive(Weakable)]
/// struct Texture(u32);
///
/// let cache = Arc::new(WeakValueDictionary::new());
/// let t = Obj::new(Texture(3));
/// cache.insert("grass", &t);
/// let c = Arc::clone(&cache);
/// let seen = std::thread::spawn(move || c.get("grass").map(|t| t.0)).join().unwrap();
/// assert_eq!(seen, Some(3));
/// ```
pub type WeakValueDictionary<K, V, S = DefaultHashBuilder> =
    crate::collections::value::WeakValueDictionary<K, V, S, Sync>;

/// The iterator of [`WeakValueDictionary::items`] in the sync flavour.
pub type WeakValueItems<K, V> = crate::collections::value::WeakValueItems<K, V, Sync>;

/// The iterator of [`WeakValueDictionary::keys`] in the sync flavour.
pub type WeakValueKeys<K, V> = crate::collections::value::WeakValueKeys<K, V, Sync>;

/// The iterator of [`WeakValueDictionary::values`] in the sync flavour.
pub type WeakValueValues<K, V> = crate::collections::value::WeakValueValues<K, V, Sync>;

/// A map whose keys are held weakly, Python's `weakref.WeakKeyDictionary`,
/// shareable between threads. See
/// [`flavor::WeakKeyDictionary`](crate::flavor::WeakKeyDictionary).
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakKeyDictionary, Weakable};
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Socket(u16);
///
/// let notes = WeakKeyDictionary::new();
/// let s = Obj::new(Socket(80));
/// notes.insert(&s, "http");
/// std::thread::scope(|t| {
///     t.spawn(|| assert_eq!(notes.get(&Socket(80)), Some("http")));
/// });
/// ```
pub type WeakKeyDictionary<K, V, S = DefaultHashBuilder> =
    crate::collections::key::WeakKeyDictionary<K, V, S, Sync>;

/// The iterator of [`WeakKeyDictionary::items`] in the sync flavour.
pub type WeakKeyItems<K, V> = crate::collections::key::WeakKeyItems<K, V, Sync>;

/// The iterator of [`WeakKeyDictionary::values`] in the sync flavour.
pub type WeakKeyValues<K, V> = crate::collections::key::WeakKeyValues<K, V, Sync>;

/// The iterator of [`WeakKeyDictionary::keys`] and [`WeakSet::iter`] in
/// the sync flavour.
pub type WeakKeys<K> = crate::collections::key::WeakKeys<K, Sync>;

/// A set whose elements are held weakly, Python's `weakref.WeakSet`,
/// shareable between threads. See [`flavor::WeakSet`](crate::flavor::WeakSet).
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakSet, Weakable};
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Peer(u8);
///
/// let peers = WeakSet::new();
/// let p = Obj::new(Peer(1));
/// peers.insert(&p);
/// std::thread::scope(|t| {
///     t.spawn(|| assert!(peers.contains(&Peer(1))));
/// });
/// ```
pub type WeakSet<T, S = DefaultHashBuilder> = crate::collections::set::WeakSet<T, S, Sync>;

/// A queue that receives a value for each registered object's death, in
/// the sync flavour: objects may die on any thread, and the queue may be
/// shared between threads (it is `Send` and `Sync` when `X` is `Send`). See
/// [`flavor::DeathQueue`](crate::flavor::DeathQueue).
///
/// # Examples
///
/// ```
/// use std::thread;
/// use weakable::sync::{DeathQueue, Obj};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Job(u32);
///
/// let queue = DeathQueue::new();
/// let job = Obj::new(Job(7));
/// queue.register(&job, job.0);
/// thread::spawn(move || drop(job)).join().unwrap();
/// assert_eq!(queue.recv(), 7);
/// ```
pub type DeathQueue<X> = crate::death_queue::DeathQueue<X, Sync>;

/// The registration of an object in a sync [`DeathQueue`], returned by
/// [`register`](crate::flavor::DeathQueue::register). See
/// [`flavor::Registration`](crate::flavor::Registration).
///
/// # Examples
///
/// ```
/// use weakable::sync::{DeathQueue, Obj, Registration};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Lease;
///
/// let queue = DeathQueue::new();
/// let lease = Obj::new(Lease);
/// let registration: Registration<&str> = queue.register(&lease, "expired");
/// assert_eq!(registration.cancel(), Some("expired"));
/// ```
pub type Registration<X> = crate::death_queue::Registration<X, Sync>;

/// The future of a sync [`DeathQueue`]'s
/// [`recv_async`](crate::flavor::DeathQueue::recv_async). See
/// [`flavor::RecvAsync`](crate::flavor::RecvAsync).
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use weakable::sync::{DeathQueue, Obj, RecvAsync};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Job;
///
/// let queue = DeathQueue::new();
/// queue.register(&Obj::new(Job), 5); // dies at once
/// let next: RecvAsync<'_, i32> = queue.recv_async();
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(pin!(next).poll(&mut cx), Poll::Ready(5));
/// ```
pub type RecvAsync<'q, X> = crate::death_queue::RecvAsync<'q, X, Sync>;

/// The future of a sync [`Ref::dead`](crate::flavor::Ref::dead): `Send +
/// 'static` whatever the referent. See [`flavor::Dead`](crate::flavor::Dead).
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Waker};
/// use weakable::sync::{Dead, Obj, Ref};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Session;
///
/// let session = Obj::new(Session);
/// let dead: Dead = Ref::new(&session).dead();
/// let waiter = std::thread::spawn(move || {
///     let mut dead = pin!(dead);
///     while dead.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending() {
///         std::thread::yield_now();
///     }
/// });
/// drop(session);
/// waiter.join().unwrap();
/// ```
pub type Dead = crate::dead::Dead<Sync>;
