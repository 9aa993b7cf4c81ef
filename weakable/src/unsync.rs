//! The single-threaded flavour: the same objects and weak references at
//! `std::rc` speed, for contents and callbacks that are not `Send` or
//! `Sync`.
//!
//! Its handles are neither `Send` nor `Sync`, so every object of this
//! flavour lives and dies on the thread that made it; in exchange no
//! count is updated with an atomic read-modify-write and no lock is taken.
//! An object may hold `Cell`s and `RefCell`s, and a callback may capture
//! an `Rc`. The names and their meanings are [`sync`](crate::sync)'s; any
//! `#[derive(Weakable)]` type works in both.
//!
//! This flavour has what the sync one has: objects, refs, proxies,
//! `getweakrefs`, the weak collections (`WeakValueDictionary`,
//! `WeakKeyDictionary`, `WeakSet`), [`WeakMethod`], [`finalize()`] and
//! death as data ([`DeathQueue`] and [`Ref::dead`](crate::flavor::Ref::dead)),
//! whose contents, data, values and callbacks need not be `Send` or
//! `Sync`. A `DeathQueue` has no blocking `recv` or `recv_timeout` here:
//! see [`DeathQueue`].
//!
//! # Reentrancy without locks
//!
//! The collections take `&self` and keep no lock: their table sits in an
//! `Rc` behind a borrow flag that is set only while the table itself is
//! being read or changed, never while user code runs (a key's `Hash` or
//! `Eq`, a drop, a callback, a loop body), so all of those may use the
//! collection again. An entry whose referent dies while the flag is set
//! (only possible from a `WeakKeyDictionary` value's `Clone`, which runs
//! under it) is queued, as CPython's `_pending_removals`, and removed
//! before the flag is cleared; a `V::clone` that uses the same dictionary
//! panics with a message that says so.
//!
//! # Death as data on one thread
//!
//! A [`DeathQueue`]'s deaths and a [`Dead`] future's wake-up happen inside
//! the drop that kills the object, on this thread, as callbacks do; what
//! the program gains is choosing when to act on them. The queue keeps no
//! borrow while a value is dropped or a waker runs, so a value's `Drop`, a
//! waker or a death callback may register, cancel, receive or drop the
//! queue, and a death delivered while the queue is being drained is simply
//! received next.
//!
//! # Finalizers at exit
//!
//! An unsync finalizer belongs to the thread that made it, as its object
//! does, and that thread's end is its exit: when the thread's locals are
//! destroyed, its live finalizers whose [`atexit`](Finalizer::atexit) flag
//! is set run, newest first (one created meanwhile runs next), as the sync
//! flavour's do at process exit; the others die without running, their
//! function and arguments dropped. A thread's locals are destroyed when it
//! returns, and, for the thread that ends the process (`main` returning,
//! or [`std::process::exit`]), where the platform destroys the exiting
//! thread's locals: Linux with glibc does; see [`std::thread::LocalKey`]
//! for the platforms that do not. A thread that is still running when
//! another one ends the process never reaches its exit, and its unsync
//! finalizers do not run then.
//!
//! # Examples
//!
//! A widget tree with `RefCell` state and parent pointers:
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use weakable::unsync::{Obj, Ref};
//! use weakable::Weakable;
//!
//! #[derive(Weakable)]
//! struct Widget {
//!     name: String,
//!     parent: Option<Ref<Widget>>,
//!     children: RefCell<Vec<Obj<Widget>>>,
//! }
//!
//! fn add_child(parent: &Obj<Widget>, name: &str) -> Obj<Widget> {
//!     let child = Obj::new(Widget {
//!         name: name.into(),
//!         parent: Some(Ref::new(parent)),
//!         children: RefCell::new(Vec::new()),
//!     });
//!     parent.children.borrow_mut().push(child.clone());
//!     child
//! }
//!
//! let window = Obj::new(Widget {
//!     name: "window".into(),
//!     parent: None,
//!     children: RefCell::new(Vec::new()),
//! });
//! let button = add_child(&window, "ok");
//! let parent = button.parent.as_ref().and_then(Ref::upgrade).unwrap();
//! assert_eq!(parent.name, "window");
//! drop(parent);
//!
//! // Closing the window: its children's parent pointers go dead, and a
//! // callback that captures an `Rc` hears of it.
//! let closed = Rc::new(RefCell::new(Vec::new()));
//! let log = closed.clone();
//! let _watch = Ref::with_callback(&window, move |_| log.borrow_mut().push("window"));
//! drop(window);
//! assert_eq!(*closed.borrow(), ["window"]);
//! assert!(button.parent.as_ref().unwrap().upgrade().is_none());
//! ```
//!
//! A collection of this flavour cannot leave its thread,
//!
//! ```compile_fail
//! use weakable::unsync::WeakSet;
//! use weakable::Weakable;
//!
//! #[derive(Weakable, PartialEq, Eq, Hash)]
//! struct Widget;
//!
//! let s: WeakSet<Widget> = WeakSet::new();
//! std::thread::spawn(move || drop(s)); // error: `Rc<..>` cannot be sent
//! ```
//!
//! while a sync collection asks its contents to be `Sync` (E0599):
//!
//! ```compile_fail
//! use std::cell::RefCell;
//! use weakable::{Obj, WeakValueDictionary, Weakable};
//!
//! #[derive(Weakable)]
//! struct Document(RefCell<String>);
//!
//! let d = WeakValueDictionary::new();
//! d.insert("notes", &Obj::new(Document(RefCell::default())));
//! ```
//!
//! Handles cannot leave their thread:
//!
//! ```compile_fail
//! use weakable::unsync::Obj;
//! use weakable::Weakable;
//!
//! #[derive(Weakable)]
//! struct Widget;
//!
//! let w = Obj::new(Widget);
//! std::thread::spawn(move || drop(w)); // error: `Obj<Widget, Unsync>` cannot be sent
//! ```

use crate::collections::DefaultHashBuilder;
use crate::rt::flavor::Unsync;
#[cfg(feature = "std")]
use crate::traits::WeakRefable;

#[cfg(feature = "std")]
pub use crate::finalize::finalize;
pub use crate::reference::{getweakrefcount, getweakrefs};

/// A strong reference to an object of the unsync flavour: an `Rc` whose
/// allocation carries the object's `__weakref__` slot. See
/// [`flavor::Obj`](crate::flavor::Obj) for everything it does.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use weakable::unsync::Obj;
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Counter(Cell<u32>);
///
/// let a = Obj::new(Counter(Cell::new(0)));
/// let b = a.clone();
/// b.0.set(b.0.get() + 1);
/// assert_eq!(a.0.get(), 1);
/// assert_eq!(Obj::strong_count(&a), 2);
/// ```
pub type Obj<T> = crate::obj::Obj<T, Unsync>;

/// A weak reference of the unsync flavour, Python's `weakref.ref`, with
/// data `X` (by default none). See [`flavor::Ref`](crate::flavor::Ref).
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use weakable::unsync::{Obj, Ref};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let o = Obj::new(Image);
/// let keyed = Ref::with_data(&o, Rc::new("thumbnail")); // `Rc` data is fine
/// assert_eq!(**keyed.data(), "thumbnail");
/// drop(o);
/// assert!(keyed.upgrade().is_none());
/// ```
pub type Ref<T, X = ()> = crate::reference::Ref<T, X, Unsync>;

/// A proxy of the unsync flavour, Python's `weakref.proxy`. See
/// [`flavor::Proxy`](crate::flavor::Proxy).
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use weakable::unsync::{Obj, Proxy};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Doc(RefCell<String>);
///
/// let o = Obj::new(Doc(RefCell::new("draft".into())));
/// let p = Proxy::new(&o);
/// p.get().unwrap().0.borrow_mut().push('!');
/// assert_eq!(*o.0.borrow(), "draft!");
/// drop(o);
/// assert!(p.get().is_err());
/// ```
pub type Proxy<T> = crate::proxy::Proxy<T, Unsync>;

/// One of the weak references `getweakrefs` lists, in the unsync flavour.
/// See [`flavor::AnyRef`](crate::flavor::AnyRef).
///
/// # Examples
///
/// ```
/// use weakable::unsync::{getweakrefs, AnyRef, Obj, Ref};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let o = Obj::new(Image);
/// let r = Ref::with_callback(&o, |_| {});
/// let listed: Vec<AnyRef<Image>> = getweakrefs(&o);
/// assert!(listed[0] == r);
/// ```
pub type AnyRef<T> = crate::reference::AnyRef<T, Unsync>;

/// A weak reference to a bound method of the unsync flavour, Python's
/// `weakref.WeakMethod`. See [`flavor::WeakMethod`](crate::flavor::WeakMethod).
///
/// # Examples
///
/// A callback that captures an `Rc`:
///
/// ```
/// use std::cell::{Cell, RefCell};
/// use std::rc::Rc;
/// use weakable::unsync::{Obj, WeakMethod};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Button {
///     clicks: Cell<u32>,
/// }
///
/// impl Button {
///     fn click(&self, times: u32) -> u32 {
///         self.clicks.set(self.clicks.get() + times);
///         self.clicks.get()
///     }
/// }
///
/// let gone = Rc::new(RefCell::new(Vec::new()));
/// let log = gone.clone();
/// let b = Obj::new(Button { clicks: Cell::new(0) });
/// let m = WeakMethod::with_callback(&b, Button::click, move |_| log.borrow_mut().push("button"));
/// assert_eq!(m.upgrade().map(|bound| bound.call(2)), Some(2));
/// drop(b);
/// assert!(m.upgrade().is_none());
/// assert_eq!(*gone.borrow(), ["button"]);
/// ```
pub type WeakMethod<T, A, R> = crate::method::WeakMethod<T, A, R, Unsync>;

/// A method bound to its object, in the unsync flavour: what
/// [`WeakMethod::upgrade`](crate::flavor::WeakMethod::upgrade) returns. See
/// [`flavor::BoundMethod`](crate::flavor::BoundMethod).
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use weakable::unsync::{BoundMethod, Obj, WeakMethod};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Total(Cell<i32>);
///
/// impl Total {
///     fn add(&self, x: i32) -> i32 {
///         self.0.set(self.0.get() + x);
///         self.0.get()
///     }
/// }
///
/// let t = Obj::new(Total(Cell::new(40)));
/// let bound: BoundMethod<Total, i32, i32> = WeakMethod::new(&t, Total::add).upgrade().unwrap();
/// assert_eq!(bound.call(2), 42);
/// ```
pub type BoundMethod<T, A, R> = crate::method::BoundMethod<T, A, R, Unsync>;

/// A handle to a finalizer of the unsync flavour, Python's
/// `weakref.finalize` object, made by [`finalize()`]. See
/// [`flavor::Finalizer`](crate::flavor::Finalizer); at exit, see
/// [the module's docs](self#finalizers-at-exit). It is also made by
/// [`finalize_with`], whose function and argument types are the defaults: a
/// `Finalizer<T>` is a finalizer of a `T` whose function is a boxed closure
/// without arguments ([`FinalizerFn`]), a type to store in a struct field.
///
/// # Examples
///
/// The function and its arguments need not be `Send`:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use weakable::unsync::{finalize, Obj};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let closed = Rc::new(RefCell::new(Vec::new()));
/// let img = Obj::new(Image);
/// let f = finalize(&img, |(log, name): (Rc<RefCell<Vec<&str>>>, &str)| log.borrow_mut().push(name), (closed.clone(), "img"));
/// drop(img);
/// assert!(!f.is_alive());
/// assert_eq!(*closed.borrow(), ["img"]);
/// ```
#[cfg(feature = "std")]
pub type Finalizer<T, C = FinalizerFn, A = ()> = crate::finalize::Finalizer<T, C, A, Unsync>;

/// The function of a finalizer made by [`finalize_with`]: its closure, boxed
/// and taking `()`, so that the handle's type names no closure:
/// [`Finalizer<T>`](Finalizer) is `Finalizer<T, FinalizerFn<()>, ()>`, and
/// `Finalizer<T, FinalizerFn<R>>` one whose function returns `R`. Unlike
/// the sync flavour's, it need not be `Send`.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use weakable::unsync::{finalize_with, Finalizer, FinalizerFn, Obj};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let answer = Rc::new(42); // not `Send`: fine here
/// let img = Obj::new(Image);
/// let f: Finalizer<Image, FinalizerFn<u32>> = finalize_with(&img, move || *answer);
/// let (_img, func, args) = f.detach().unwrap(); // what `detach` gives back
/// let func: FinalizerFn<u32> = func;
/// assert_eq!(func(args), 42);
/// ```
#[cfg(feature = "std")]
pub type FinalizerFn<R = ()> = Box<dyn FnOnce(()) -> R>;

/// Registers `f()` to run when `obj` dies: [`finalize()`] for a closure
/// without arguments, Python's `weakref.finalize(obj, f)`; `f` need not be
/// `Send`.
///
/// The closure is boxed ([`FinalizerFn`]), so the handle's type names no
/// closure and fits a struct field: `Finalizer<T>`, or
/// `Finalizer<T, FinalizerFn<R>>` when `f` returns an `R`. Everything else
/// is [`finalize()`]'s: it runs at most once (at `obj`'s death, at
/// [`call`](Finalizer::call), or at the thread's exit, see
/// [the module's docs](self#finalizers-at-exit)), `f` must not own `obj`,
/// and [`detach`](Finalizer::detach) gives back `(obj, f, ())` with `f` the
/// box, so that `f(())` gives the result. [`peek`](Finalizer::peek) is not
/// available: a boxed `FnOnce` cannot be cloned.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use weakable::unsync::{finalize_with, Finalizer, Obj};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Conn {
///     id: u32,
///     close: RefCell<Option<Finalizer<Conn>>>,
/// }
///
/// let closed = Rc::new(RefCell::new(Vec::new()));
/// let conn = Obj::new(Conn { id: 7, close: RefCell::new(None) });
/// let (log, id) = (closed.clone(), conn.id);
/// *conn.close.borrow_mut() = Some(finalize_with(&conn, move || log.borrow_mut().push(id)));
/// drop(conn);
/// assert_eq!(*closed.borrow(), [7]);
/// ```
#[cfg(feature = "std")]
pub fn finalize_with<T, R>(
    obj: &Obj<T>,
    f: impl FnOnce() -> R + 'static,
) -> Finalizer<T, FinalizerFn<R>>
where
    T: ?Sized + WeakRefable + 'static,
    R: 'static,
{
    finalize(obj, Box::new(move |()| f()) as FinalizerFn<R>, ())
}

/// A map whose values are held weakly, Python's
/// `weakref.WeakValueDictionary`, for one thread: the values need not be
/// `Sync`. See [`flavor::WeakValueDictionary`](crate::flavor::WeakValueDictionary).
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use weakable::unsync::{Obj, WeakValueDictionary};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Document {
///     text: RefCell<String>,
/// }
///
/// let open: WeakValueDictionary<String, Document> = WeakValueDictionary::new();
/// let doc = Obj::new(Document { text: RefCell::new("draft".into()) });
/// open.insert("notes.txt".into(), &doc);
/// open.get("notes.txt").unwrap().text.borrow_mut().push('!');
/// assert_eq!(*doc.text.borrow(), "draft!");
/// drop(doc);
/// assert!(open.is_empty());
/// ```
pub type WeakValueDictionary<K, V, S = DefaultHashBuilder> =
    crate::collections::value::WeakValueDictionary<K, V, S, Unsync>;

/// The iterator of [`WeakValueDictionary::items`] in the unsync flavour.
pub type WeakValueItems<K, V> = crate::collections::value::WeakValueItems<K, V, Unsync>;

/// The iterator of [`WeakValueDictionary::keys`] in the unsync flavour.
pub type WeakValueKeys<K, V> = crate::collections::value::WeakValueKeys<K, V, Unsync>;

/// The iterator of [`WeakValueDictionary::values`] in the unsync flavour.
pub type WeakValueValues<K, V> = crate::collections::value::WeakValueValues<K, V, Unsync>;

/// A map whose keys are held weakly, Python's `weakref.WeakKeyDictionary`,
/// for one thread. See
/// [`flavor::WeakKeyDictionary`](crate::flavor::WeakKeyDictionary).
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use weakable::unsync::{Obj, WeakKeyDictionary};
/// use weakable::Weakable;
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Widget(u32);
///
/// let styles = WeakKeyDictionary::new();
/// let w = Obj::new(Widget(1));
/// styles.insert(&w, Rc::new("bold")); // an `Rc` value is fine
/// assert_eq!(styles.get(&Widget(1)).as_deref(), Some(&"bold"));
/// drop(w);
/// assert!(styles.is_empty());
/// ```
pub type WeakKeyDictionary<K, V, S = DefaultHashBuilder> =
    crate::collections::key::WeakKeyDictionary<K, V, S, Unsync>;

/// The iterator of [`WeakKeyDictionary::items`] in the unsync flavour.
pub type WeakKeyItems<K, V> = crate::collections::key::WeakKeyItems<K, V, Unsync>;

/// The iterator of [`WeakKeyDictionary::values`] in the unsync flavour.
pub type WeakKeyValues<K, V> = crate::collections::key::WeakKeyValues<K, V, Unsync>;

/// The iterator of [`WeakKeyDictionary::keys`] and [`WeakSet::iter`] in
/// the unsync flavour.
pub type WeakKeys<K> = crate::collections::key::WeakKeys<K, Unsync>;

/// A set whose elements are held weakly, Python's `weakref.WeakSet`, for
/// one thread. See [`flavor::WeakSet`](crate::flavor::WeakSet).
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use weakable::unsync::{Obj, WeakSet};
/// use weakable::Weakable;
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Observer(u8);
///
/// let observers = WeakSet::new();
/// let o = Obj::new(Observer(1));
/// observers.insert(&o);
/// let calls = Cell::new(0);
/// for _ in &observers {
///     calls.set(calls.get() + 1);
/// }
/// assert_eq!(calls.get(), 1);
/// drop(o);
/// assert!(observers.is_empty());
/// ```
pub type WeakSet<T, S = DefaultHashBuilder> = crate::collections::set::WeakSet<T, S, Unsync>;

/// A queue that receives a value for each registered object's death, for
/// one thread: Java's `ReferenceQueue`, JavaScript's
/// `FinalizationRegistry`. The values need not be `Send` (an `Rc` may be
/// registered). See [`flavor::DeathQueue`](crate::flavor::DeathQueue).
///
/// It has `register`, `Registration::cancel`, `try_recv`, `recv_async`,
/// `len`, `is_empty` and `registered`, with the sync flavour's meanings,
/// but no blocking `recv` or `recv_timeout`: an unsync object dies on the
/// queue's own thread, so a thread blocked on an empty queue could only
/// wait for ever. Drain it with `try_recv` in a loop at a point of the
/// program's choosing (a frame, an event loop's turn), or await
/// `recv_async` under a local executor, where another task's drop
/// delivers.
///
/// # Examples
///
/// An event loop closes the tabs of documents that died during its turn,
/// after the turn, with `Rc` values:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use weakable::unsync::{DeathQueue, Obj};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Document {
///     title: RefCell<String>,
/// }
///
/// struct Tab {
///     label: Rc<str>,
/// }
///
/// let closed: DeathQueue<Rc<Tab>> = DeathQueue::new();
/// let mut docs = Vec::new();
/// for title in ["a.txt", "b.txt", "c.txt"] {
///     let doc = Obj::new(Document { title: RefCell::new(title.into()) });
///     let tab = Rc::new(Tab { label: doc.title.borrow().as_str().into() });
///     closed.register(&doc, tab.clone()); // the UI keeps its own `Rc` too
///     docs.push(doc);
/// }
///
/// // The turn: some documents die.
/// docs.remove(1);
/// docs.remove(0);
///
/// // After the turn: act on the deaths.
/// let mut labels = Vec::new();
/// while let Some(tab) = closed.try_recv() {
///     labels.push(tab.label.to_string());
/// }
/// assert_eq!(labels, ["b.txt", "a.txt"]); // death order
/// assert_eq!(closed.registered(), 1);
/// ```
///
/// There is no blocking receive in this flavour:
///
/// ```compile_fail
/// use weakable::unsync::DeathQueue;
///
/// let queue: DeathQueue<u8> = DeathQueue::new();
/// queue.recv(); // error: `recv` is the sync flavour's only
/// ```
///
/// and the queue stays on its thread:
///
/// ```compile_fail
/// use weakable::unsync::DeathQueue;
///
/// let queue: DeathQueue<u8> = DeathQueue::new();
/// std::thread::spawn(move || drop(queue)); // error: `Rc<..>` cannot be sent
/// ```
pub type DeathQueue<X> = crate::death_queue::DeathQueue<X, Unsync>;

/// The registration of an object in an unsync [`DeathQueue`], returned by
/// [`register`](crate::flavor::DeathQueue::register): a way to cancel it.
/// See [`flavor::Registration`](crate::flavor::Registration).
///
/// # Examples
///
/// Cancelling gives a `!Send` value back:
///
/// ```
/// use std::rc::Rc;
/// use weakable::unsync::{DeathQueue, Obj, Registration};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Upload;
///
/// let queue = DeathQueue::new();
/// let upload = Obj::new(Upload);
/// let note = Rc::new("upload 7 abandoned");
/// let registration: Registration<Rc<&str>> = queue.register(&upload, note.clone());
/// assert_eq!(Rc::strong_count(&note), 2);
/// // The upload finished properly: its death is no news any more.
/// let back = registration.cancel().unwrap();
/// assert!(Rc::ptr_eq(&back, &note));
/// drop(upload);
/// assert!(queue.try_recv().is_none());
/// ```
pub type Registration<X> = crate::death_queue::Registration<X, Unsync>;

/// The future of an unsync [`DeathQueue`]'s
/// [`recv_async`](crate::flavor::DeathQueue::recv_async): the oldest
/// delivered value, once there is one. See
/// [`flavor::RecvAsync`](crate::flavor::RecvAsync).
///
/// # Examples
///
/// Under a local executor, one task receives what another task's drops
/// deliver; here a hand-written poll of the two in turn:
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use weakable::unsync::{DeathQueue, Obj, RecvAsync};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Job(u32);
///
/// let queue = DeathQueue::new();
/// let jobs: Vec<_> = (1..=2).map(|i| Obj::new(Job(i))).collect();
/// for job in &jobs {
///     queue.register(job, job.0);
/// }
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut next: std::pin::Pin<&mut RecvAsync<'_, u32>> = pin!(queue.recv_async());
/// assert!(next.as_mut().poll(&mut cx).is_pending());
/// let mut worker = pin!(async move {
///     drop(jobs); // the other task finishes with its jobs
/// });
/// assert!(worker.as_mut().poll(&mut cx).is_ready());
/// assert_eq!(next.as_mut().poll(&mut cx), Poll::Ready(1));
/// assert_eq!(queue.try_recv(), Some(2));
/// ```
pub type RecvAsync<'q, X> = crate::death_queue::RecvAsync<'q, X, Unsync>;

/// The future of an unsync [`Ref::dead`](crate::flavor::Ref::dead): it
/// completes when the referent dies. See [`flavor::Dead`](crate::flavor::Dead).
///
/// It is `'static` but not `Send`: the object dies on this thread, so the
/// task awaiting it runs under a local executor (or is polled by hand),
/// and the death, inside some other code's drop on this thread, wakes it.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::future::Future;
/// use std::pin::pin;
/// use std::rc::Rc;
/// use std::task::{Context, Poll, Waker};
/// use weakable::unsync::{Dead, Obj, Ref};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Window {
///     title: RefCell<String>,
/// }
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let window = Obj::new(Window { title: RefCell::new("main".into()) });
/// let dead: Dead = Ref::new(&window).dead();
/// let sink = log.clone(); // the task may hold an `Rc`
/// let mut closer = pin!(async move {
///     dead.await;
///     sink.borrow_mut().push("window closed: release its textures");
/// });
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(closer.as_mut().poll(&mut cx).is_pending());
/// window.title.borrow_mut().push('*');
/// drop(window);
/// assert_eq!(closer.as_mut().poll(&mut cx), Poll::Ready(()));
/// assert_eq!(*log.borrow(), ["window closed: release its textures"]);
/// ```
///
/// It cannot be awaited on another thread:
///
/// ```compile_fail
/// use weakable::unsync::{Obj, Ref};
/// use weakable::Weakable;
///
/// #[derive(Weakable)]
/// struct Window;
///
/// let window = Obj::new(Window);
/// let dead = Ref::new(&window).dead();
/// std::thread::spawn(move || drop(dead)); // error: it cannot be sent between threads
/// ```
pub type Dead = crate::dead::Dead<Unsync>;
