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
//! `WeakKeyDictionary`, `WeakSet`), [`WeakMethod`] and [`finalize()`],
//! whose contents, data and callbacks need not be `Send` or `Sync`; all
//! but death as data ([`DeathQueue`](crate::DeathQueue) and
//! [`Ref::dead`](crate::flavor::Ref::dead)), which is the sync flavour's
//! only, for now.
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

use std::collections::hash_map::RandomState;

use crate::rt::flavor::Unsync;

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
/// [the module's docs](self#finalizers-at-exit).
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
pub type Finalizer<T, C, A> = crate::finalize::Finalizer<T, C, A, Unsync>;

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
pub type WeakValueDictionary<K, V, S = RandomState> =
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
pub type WeakKeyDictionary<K, V, S = RandomState> =
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
pub type WeakSet<T, S = RandomState> = crate::collections::set::WeakSet<T, S, Unsync>;
