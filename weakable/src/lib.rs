//! Python's `weakref` for Rust: objects with a `__weakref__` slot, weak
//! references with death callbacks, checked by the compiler.
//!
//! ```sh
//! cargo add weakable
//! ```
//!
//! Rust 1.86 or newer. The Python words these docs borrow (`__weakref__`
//! slot, basic ref, `KeyedRef`, proxy, finalizer, unraisable) are explained
//! in the [glossary](#glossary).
//!
//! # Example
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use weakable::{getweakrefcount, Obj, Ref, Weakable};
//!
//! #[derive(Weakable)]
//! struct ExpensiveObject {
//!     name: String,
//! }
//!
//! let obj = Obj::new(ExpensiveObject { name: "big".into() });
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let log2 = log.clone();
//! let r = Ref::with_callback(&obj, move |r: &Ref<ExpensiveObject>| {
//!     log2.lock().unwrap().push(format!("callback({r:?})"));
//! });
//!
//! assert_eq!(r.upgrade().unwrap().name, "big");
//! assert_eq!(getweakrefcount(&obj), 1);
//! drop(obj); // the last strong reference: the object dies now
//! assert!(r.upgrade().is_none());
//! assert!(log.lock().unwrap()[0].ends_with("; dead>)"));
//! ```
//!
//! A longer walk-through, the examples of Python's `weakref` documentation
//! replayed in Rust, is
//! [`examples/tour.rs`](https://github.com/weakable/weakable/blob/main/weakable/examples/tour.rs):
//! `cargo run --example tour` in a clone of the repository.
//!
//! # Recipes
//!
//! ## A cache that does not keep images alive
//!
//! A [`WeakValueDictionary`] maps names to objects that something else owns.
//! When the last owner drops an image, its entry is gone at once: `len()`
//! is exact and the entry's memory is freed, with no sweep.
//!
//! ```
//! use weakable::{Obj, WeakValueDictionary, Weakable};
//!
//! #[derive(Weakable)]
//! struct Image {
//!     pixels: Vec<u8>,
//! }
//!
//! fn load(cache: &WeakValueDictionary<String, Image>, name: &str) -> Obj<Image> {
//!     if let Some(hit) = cache.get(name) {
//!         return hit;
//!     }
//!     let image = Obj::new(Image { pixels: vec![0; 64] }); // decode it here
//!     cache.setdefault(name.to_string(), &image)
//! }
//!
//! let cache = WeakValueDictionary::new();
//! let a = load(&cache, "cat.png");
//! let b = load(&cache, "cat.png");
//! assert!(Obj::ptr_eq(&a, &b)); // the second load was a hit
//! drop((a, b));
//! assert!(cache.is_empty()); // and the cache did not keep it
//! ```
//!
//! ## A texture cache shared by worker threads: load each texture once
//!
//! [`get_or_insert_with`](WeakValueDictionary::get_or_insert_with) runs the
//! loader only on a miss, and only once when workers miss the same texture
//! at the same time: the others wait for it and share its object. A loader
//! that panics leaves the texture to the next caller.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//! use weakable::{Obj, WeakValueDictionary, Weakable};
//!
//! #[derive(Weakable)]
//! struct Texture {
//!     pixels: Vec<u8>,
//! }
//!
//! static DECODED: AtomicUsize = AtomicUsize::new(0);
//!
//! fn load(cache: &WeakValueDictionary<String, Texture>, name: &str) -> Obj<Texture> {
//!     cache.get_or_insert_with(name.to_string(), || {
//!         DECODED.fetch_add(1, Ordering::Relaxed);
//!         Obj::new(Texture { pixels: vec![0; 64] }) // decode it here
//!     })
//! }
//!
//! let cache = Arc::new(WeakValueDictionary::new());
//! let workers: Vec<_> = (0..4)
//!     .map(|_| {
//!         let cache = cache.clone();
//!         std::thread::spawn(move || load(&cache, "grass.png"))
//!     })
//!     .collect();
//! let loaded: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
//! assert_eq!(DECODED.load(Ordering::Relaxed), 1);
//! assert!(loaded.iter().all(|t| Obj::ptr_eq(t, &loaded[0])));
//! assert_eq!(loaded[0].pixels.len(), 64);
//! drop(loaded);
//! assert!(cache.is_empty()); // nobody uses it: gone, and reloaded next time
//! ```
//!
//! ## Parent and child back-pointers
//!
//! Children hold a [`Ref`] to their parent, so the tree has no strong
//! cycle: dropping the root frees everything. [`Obj::new_cyclic`] gives a
//! node its own ref while it is built (as `Arc::new_cyclic`), so it can
//! make children that point back at it; the root's parent is
//! `Ref::default()`, which never upgrades (`Weak::new()`), so no field
//! needs an `Option` or a lock.
//!
//! ```
//! use weakable::{Obj, Ref, Weakable};
//!
//! #[derive(Weakable)]
//! struct Node {
//!     name: String,
//!     parent: Ref<Node>,
//!     children: Vec<Obj<Node>>,
//! }
//!
//! fn node(name: &str, parent: &Ref<Node>, leaves: &[&str]) -> Obj<Node> {
//!     Obj::new_cyclic(|me: &Ref<Node>| Node {
//!         name: name.into(),
//!         parent: parent.clone(),
//!         children: leaves.iter().map(|leaf| node(leaf, me, &[])).collect(),
//!     })
//! }
//!
//! let root = node("root", &Ref::default(), &["a", "b"]);
//! let leaf = root.children[1].clone();
//! assert_eq!(leaf.parent.upgrade().unwrap().name, "root");
//! assert!(root.parent.upgrade().is_none()); // the root has no parent
//! drop(root);
//! assert!(leaf.parent.upgrade().is_none()); // gone: no cycle kept it
//! ```
//!
//! ## Observers told of a death
//!
//! A callback runs when the object dies, before its value is dropped, on
//! the thread that dropped it. Here a registry forgets a session the moment
//! it ends, without the session knowing about the registry.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use weakable::{Obj, Ref, Weakable};
//!
//! #[derive(Weakable)]
//! struct Session {
//!     user: String,
//! }
//!
//! let online = Arc::new(Mutex::new(Vec::<String>::new()));
//! let session = Obj::new(Session { user: "ada".into() });
//! online.lock().unwrap().push(session.user.clone());
//!
//! let list = online.clone();
//! let user = session.user.clone();
//! let _watch = Ref::with_callback(&session, move |_| {
//!     list.lock().unwrap().retain(|u| *u != user);
//! });
//! assert_eq!(online.lock().unwrap().len(), 1);
//! drop(session);
//! assert!(online.lock().unwrap().is_empty());
//! ```
//!
//! ## Finalizers: clean up once, whichever comes first
//!
//! [`finalize`] registers a function to run when the object dies, when the
//! finalizer is called, or at exit, exactly once. Its function and
//! arguments must not own the object, or it never dies.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use weakable::{finalize, Obj, Weakable};
//!
//! #[derive(Weakable)]
//! struct Connection {
//!     id: u32,
//! }
//!
//! let closed = Arc::new(Mutex::new(Vec::new()));
//! let conn = Obj::new(Connection { id: 7 });
//! let log = closed.clone();
//! let f = finalize(&conn, move |id: u32| log.lock().unwrap().push(id), conn.id);
//! assert!(f.is_alive());
//! drop(conn); // dies: the finalizer runs
//! assert!(!f.is_alive());
//! assert_eq!(*closed.lock().unwrap(), [7]);
//! assert!(f.call().is_none()); // at most once
//! ```
//!
//! ## Observers of any type: trait objects
//!
//! Declare the view once with [`weakable_dyn!`]; then objects of any type
//! implementing the trait go into one [`WeakSet<dyn Listener>`](WeakSet)
//! through [`Obj::unsize`], a one-line conversion that stable Rust needs in
//! place of `CoerceUnsized`. A dropped listener silently leaves the set. A
//! set compares its elements with `Eq` and `Hash`; `identity` gives the
//! trait object Python's default ones: an object equals only itself.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use weakable::{weakable_dyn, Obj, WeakSet, Weakable};
//!
//! trait Listener: Send + Sync {
//!     fn notify(&self, event: &str);
//! }
//! weakable_dyn!(identity dyn Listener);
//!
//! #[derive(Weakable, Default)]
//! struct Counter(AtomicUsize);
//! impl Listener for Counter {
//!     fn notify(&self, _: &str) {
//!         self.0.fetch_add(1, Ordering::SeqCst);
//!     }
//! }
//!
//! #[derive(Weakable)]
//! struct Printer;
//! impl Listener for Printer {
//!     fn notify(&self, _: &str) {}
//! }
//!
//! let listeners: WeakSet<dyn Listener> = WeakSet::new();
//! let counter = Obj::new(Counter::default());
//! let printer: Obj<dyn Listener> = Obj::unsize(Obj::new(Printer));
//! listeners.insert(&Obj::unsize(counter.clone()));
//! listeners.insert(&printer);
//!
//! for l in listeners.iter() {
//!     l.notify("saved");
//! }
//! drop(printer);
//! assert_eq!(listeners.len(), 1);
//! assert_eq!(counter.0.load(Ordering::SeqCst), 1);
//! ```
//!
//! A set of one concrete type gets the same from the derive:
//! `#[weakable(identity)]` makes `==` and `Hash` the object's identity, so
//! two listeners with equal fields stay two:
//!
//! ```
//! use weakable::{Obj, WeakSet, Weakable};
//!
//! #[derive(Weakable)]
//! #[weakable(identity)]
//! struct Tab {
//!     title: &'static str,
//! }
//!
//! let (a, b) = (Obj::new(Tab { title: "new" }), Obj::new(Tab { title: "new" }));
//! let open: WeakSet<Tab> = [a.clone(), b.clone()].into_iter().collect();
//! assert_eq!(open.len(), 2);
//! drop(a);
//! assert!(open.contains(&b) && open.len() == 1);
//! ```
//!
//! ## Deaths received on the UI thread: a death queue
//!
//! A callback runs inside whatever drop killed the object, on that thread,
//! under whatever locks it holds: the classic way to deadlock a GUI. A
//! [`DeathQueue`] turns deaths into values instead (Java's
//! `ReferenceQueue`, JavaScript's `FinalizationRegistry`): the workers'
//! drops only deliver, and the UI thread drains the queue once per frame,
//! with its own state at hand. [`Registration::cancel`] takes a value back
//! if its death has not been delivered yet. Single-threaded programs have
//! [`unsync::DeathQueue`], whose values need not be `Send`, drained the
//! same way at a point of their choosing.
//!
//! ```
//! use std::sync::Arc;
//! use std::thread;
//! use weakable::{DeathQueue, Obj, Weakable};
//!
//! #[derive(Weakable)]
//! struct Download {
//!     url: String,
//! }
//!
//! struct Ui {
//!     rows: Vec<String>,
//! }
//!
//! let finished: Arc<DeathQueue<String>> = Arc::new(DeathQueue::new());
//! let mut ui = Ui { rows: vec!["a.iso".into(), "b.iso".into(), "c.iso".into()] };
//! let downloads: Vec<Obj<Download>> = ui
//!     .rows
//!     .iter()
//!     .map(|url| {
//!         let d = Obj::new(Download { url: url.clone() });
//!         finished.register(&d, d.url.clone());
//!         d
//!     })
//!     .collect();
//!
//! // Workers drop the downloads as they finish.
//! let workers: Vec<_> = downloads
//!     .into_iter()
//!     .map(|d| thread::spawn(move || drop(d)))
//!     .collect();
//!
//! // The UI loop: no callback ever runs on a worker, nothing to lock.
//! while !ui.rows.is_empty() {
//!     let url = finished.recv(); // or `try_recv()` once per frame
//!     ui.rows.retain(|row| *row != url);
//! }
//! for w in workers {
//!     w.join().unwrap();
//! }
//! assert!(finished.is_empty());
//! ```
//!
//! ## An async task that ends with its owner: `dead()`
//!
//! [`Ref::dead`] is a future of the referent's death that holds no strong
//! handle and needs no particular runtime. A connection task selects
//! between its work and its owner's death, and closes when the owner is
//! gone; with tokio that is `tokio::select! { () = &mut dead => .., req =
//! requests.recv() => .. }`. Here the select is written by hand, with a
//! `block_on` of a dozen lines, so that the example runs without a runtime.
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::sync::{mpsc, Arc};
//! use std::task::{Context, Poll, Wake, Waker};
//! use std::thread;
//! use weakable::{Obj, Ref, Weakable};
//!
//! #[derive(Weakable)]
//! struct Session;
//!
//! /// Serves `requests` until the session dies; says how many it served.
//! async fn connection(owner: Ref<Session>, requests: mpsc::Receiver<u32>) -> u32 {
//!     let mut served = 0;
//!     let mut dead = pin!(owner.dead());
//!     std::future::poll_fn(|cx| {
//!         if dead.as_mut().poll(cx).is_ready() {
//!             return Poll::Ready(()); // the owner died: close
//!         }
//!         // A real task would await its socket here; this one serves
//!         // what is queued and then waits for the death's wake-up.
//!         served += requests.try_iter().count() as u32;
//!         Poll::Pending
//!     })
//!     .await;
//!     served
//! }
//!
//! /// The smallest executor: poll, park until woken, poll again.
//! fn block_on<F: Future>(f: F) -> F::Output {
//!     struct Unpark(thread::Thread);
//!     impl Wake for Unpark {
//!         fn wake(self: Arc<Self>) {
//!             self.0.unpark();
//!         }
//!     }
//!     let waker = Waker::from(Arc::new(Unpark(thread::current())));
//!     let mut f = pin!(f);
//!     loop {
//!         if let Poll::Ready(out) = f.as_mut().poll(&mut Context::from_waker(&waker)) {
//!             return out;
//!         }
//!         thread::park();
//!     }
//! }
//!
//! let session = Obj::new(Session);
//! let (tx, rx) = mpsc::channel();
//! tx.send(1).unwrap();
//! let task = connection(Ref::new(&session), rx);
//! let owner = thread::spawn(move || drop(session)); // the owner leaves
//! let served = block_on(task); // completes: the death woke it
//! owner.join().unwrap();
//! assert!(served <= 1);
//! ```
//!
//! # The model
//!
//! - `#[derive(Weakable)]` lets a type live in an [`Obj<T>`], a
//!   thread-safe reference-counted pointer (think `Arc`) whose allocation
//!   carries a `__weakref__` slot. `#[weakable(no_weakref)]` opts out, as
//!   `__slots__` without `'__weakref__'` does, and then [`Ref::new`] on it is
//!   a compile error: `cannot create weak reference to 'Point' object`.
//! - A [`Ref<T>`] is `weakref.ref`: [`upgrade`](Ref::upgrade) gives the
//!   object back while it lives. An optional callback runs when it dies.
//! - When the last `Obj` drops, the object dies: all its refs go dead at
//!   once, then the callbacks run newest first, then the value is dropped.
//!   So a parent's callbacks run before its children's, as in CPython.
//!
//! | Python | Rust |
//! |---|---|
//! | `class Image: ...` | `#[derive(Weakable)] struct Image { .. }` |
//! | `__slots__` without `'__weakref__'` | `#[weakable(no_weakref)]` |
//! | `o = Image()` | `let o = Obj::new(Image { .. });` |
//! | `id(o)`, `a is b` | [`Obj::id`], [`Obj::ptr_eq`] |
//! | `weakref.ref(o)`, `weakref.ref(o, cb)` | [`Ref::new`], [`Ref::with_callback`] |
//! | `r()` | [`r.upgrade()`](Ref::upgrade) |
//! | `r.__callback__` | [`r.has_callback()`](Ref::has_callback) |
//! | ref subclass with fields | [`Ref<T, X>`] with [`Ref::with_data`], [`r.data()`](Ref::data) |
//! | `hash(r)` | `Hash for Ref`, [`Ref::try_hash`] |
//! | `weakref.proxy(o[, cb])` | [`Proxy::new`], [`Proxy::with_callback`] |
//! | `p.attr`, `ReferenceError` | `p.get()?.attr` ([`Proxy::get`]), [`ReferenceError`] |
//! | a function object, `p(args)` | [`Func`], [`Call`], [`Proxy::call`] |
//! | `weakref.getweakrefcount(o)` | [`getweakrefcount`] |
//! | `weakref.getweakrefs(o)` | [`getweakrefs`] |
//! | `weakref.WeakMethod(o.m[, cb])` | [`WeakMethod::new`]`(&o, T::m)`, [`WeakMethod::with_callback`], [`WeakMethod::with_function`] (a function object); for `fn(&self, &E)` called with borrows of any lifetime (event handlers), [`WeakMethod::by_ref`] → `WeakMethod<T, `[`ByRef<E>`](ByRef)`, R>` |
//! | `wm()`, `wm()(args)` | [`wm.upgrade()`](WeakMethod::upgrade) → [`BoundMethod`], [`bound.call(args)`](BoundMethod::call) |
//! | `weakref.finalize(o, f, *args)` | [`finalize`]`(&o, f, args)` → [`Finalizer`] |
//! | `weakref.finalize(o, f)` | [`finalize_with`]`(&o, \|\| ..)` → [`Finalizer<T>`](Finalizer) (the closure boxed: a type for a struct field) |
//! | `f()`, `f.detach()`, `f.peek()`, `f.alive`, `f.atexit` | [`call`](Finalizer::call), [`detach`](Finalizer::detach), [`peek`](Finalizer::peek), [`is_alive`](Finalizer::is_alive), [`atexit`](Finalizer::atexit) / [`set_atexit`](Finalizer::set_atexit) |
//! | `sys.unraisablehook` | [`set_unraisable_hook`] |
//! | `WeakKeyDictionary` | [`WeakKeyDictionary<K, V>`] (keys `Obj<K>`, compared by `K: Eq + Hash`) |
//! | `WeakSet` | [`WeakSet<T>`] (elements `Obj<T>`, compared by `T: Eq + Hash`) |
//!
//! # Thread safety
//!
//! `Obj<T>` and `Ref<T>` are `Send` and `Sync` when `T` is, as `Arc` and
//! `Weak` are. A callback runs on the thread that drops the last `Obj`, so
//! it must be `Send`. `upgrade` takes no lock. The slot's list of refs is
//! guarded by a lock bit held only for a few pointer writes; no lock of this
//! crate is ever held while user code (a callback, a `Drop`) runs.
//! [`DeathQueue<X>`](DeathQueue) is `Send` and `Sync` when `X` is `Send`;
//! a [`Ref::dead`] future is `Send + 'static` whatever the referent's
//! type, since it never reaches the object's value.
//!
//! # Which flavour?
//!
//! Everything above is the **sync** flavour ([`sync`], re-exported at the
//! crate root). Single-threaded programs (widget trees, interpreters,
//! observers) can use the **unsync** flavour ([`unsync`]) instead, as they
//! would use `Rc` instead of `Arc`: the same names with the same meanings,
//! from the same implementation (see [`flavor`]).
//!
//! | | [`sync`] (the crate root) | [`unsync`] |
//! |---|---|---|
//! | like | `Arc`, `sync::Weak` | `Rc`, `rc::Weak` |
//! | handles cross threads | yes, when the contents are `Send + Sync` | no: `!Send + !Sync` (a compile error) |
//! | callbacks and ref data | must be `Send` (data `Send + Sync`) | anything `'static`: may capture an `Rc`, hold a `RefCell` |
//! | counts | atomic read-modify-writes, `Arc`'s orderings | plain loads and stores, no lock |
//! | `upgrade` (hit) + drop¹ | 5.6 ns (`sync::Weak`: 5.5 ns) | 2.2 ns (`rc::Weak`: 1.5 ns) |
//! | `Ref::new` (basic ref exists) + drop¹ | 5.5 ns (`Arc::downgrade`: 5.6 ns) | 2.0 ns (`Rc::downgrade`: 1.7 ns) |
//! | has | everything in this crate | the same (objects, refs, proxies, views, the weak collections, `WeakMethod`, `finalize`, [`DeathQueue`](unsync::DeathQueue) and [`Ref::dead`](flavor::Ref::dead)), but no blocking `recv` on a `DeathQueue` (nothing else could deliver) |
//! | a collection reentered from a `WeakKeyDictionary` value's `Clone` | waits for ever (documented) | panics, saying so |
//! | finalizers at exit | at the process's exit | at the end of their thread (see [`unsync`](unsync#finalizers-at-exit)) |
//!
//! ¹ From the full `bench/compare` run behind `BENCHMARKS.md`; see
//! [Cost](#cost) for the machine and how far such figures move.
//!
//! One `#[derive(Weakable)]` type serves both: the same `Image` can live in
//! a [`sync::Obj`] in one place and an [`unsync::Obj`] in another. Code
//! generic over the flavour names [`flavor::Obj<T, F>`](flavor::Obj) with
//! `F: Flavor`.
//!
//! # `no_std`
//!
//! With `default-features = false` the crate needs only `alloc` (and
//! pointer-sized atomics): `cargo build -p weakable --no-default-features
//! --target thumbv7em-none-eabihf` builds, and CI runs the unsync suites
//! without std on the host. What you get and what you do not:
//!
//! | | without std |
//! |---|---|
//! | both flavours, `Obj`, `Ref`, `Proxy`, `AnyRef`, views, `weakable_dyn!` | yes (the sync flavour's locks spin instead of parking a thread) |
//! | death callbacks, `getweakrefcount`/`getweakrefs` | yes |
//! | the weak collections | yes; their default hasher ([`DefaultHashBuilder`]) is a SipHash with fixed keys (no source of randomness), so pass a seeded `BuildHasher` to `with_hasher` for keys an attacker chooses |
//! | `WeakMethod`, `BoundMethod`, `Func` | yes |
//! | [`Ref::dead`](flavor::Ref::dead), [`DeathQueue`]'s `register`, `try_recv`, `recv_async` | yes |
//! | `DeathQueue::recv`, `recv_timeout` (blocking) | no: nothing to put a thread to sleep with |
//! | `WeakValueDictionary::get_or_insert_with` | no: its waiters sleep on a condition variable |
//! | `finalize`, `Finalizer` | no: their registry keeps a finalizer alive for the exit, a thread-local in the unsync flavour |
//! | a panicking callback, or a value's `Drop` panicking during a death | **aborts** the process (core cannot catch a panic), where std reports it to the unraisable hook and carries on; the hook can still be set, and is never called |
//! | deaths nested past 100 | not postponed (the depth is per thread, a thread-local): a deep chain recurses as `Rc`'s drops do |
//! | a sync `WeakKeyDictionary` used from inside its own `get_with` or `retain` closure | waits for ever (with std it panics, saying so: std can tell the holder's own thread from another, with a thread-local) |
//! | `Weakable` for `HashMap`, `HashSet`, `Mutex`, `RwLock`, `PathBuf`, `OsString` | no (std types); `String`, `Vec`, `Box`, `RefCell`, the `alloc` collections: yes |
//!
//! On a target without 64-bit atomics a ref's cached hash is a word (the
//! hash truncated): [`Ref::try_hash`](flavor::Ref::try_hash) gives 32-bit
//! values there.
//!
//! # Comparison with `std::sync::Weak`
//!
//! `Ref::upgrade` is the same compare-and-swap as `Weak::upgrade`. What
//! `Weak` lacks: callbacks at death, a shared basic ref, counting and
//! listing an object's refs, hashing and comparing refs by referent, and
//! opting a type out at compile time. Like a dead `Weak`, a dead `Ref` still
//! keeps the object's allocation (not what the value owned) until dropped.
//!
//! # Glossary
//!
//! The Python terms, and what they are here.
//!
//! - **`__weakref__` slot**: in CPython, the field of an object that heads
//!   the list of weak references to it; an object without one (a class whose
//!   `__slots__` leaves out `'__weakref__'`) cannot be weakly referenced.
//!   Here it is a field of the header of the [`Obj`]'s allocation, 32 bytes
//!   ([`WeakrefSlot`]); `#[weakable(no_weakref)]` leaves it out ([`NoSlot`]).
//! - **basic ref**: `weakref.ref(o)` without a callback. CPython makes one
//!   per object and hands the same one to every caller; [`Ref::new`] does
//!   too ([`Ref::ptr_eq`] is true for two of them). A ref with a callback or
//!   data is new each time.
//! - **callback**: a function given when the ref is made, called once with
//!   the ref when the object dies (and never if the ref is dropped first).
//! - **dies**: the last strong reference goes (CPython: the refcount reaches
//!   zero); here, the last [`Obj`] handle is dropped.
//! - **`KeyedRef`**: the ref subclass with a `key` attribute that CPython's
//!   `WeakValueDictionary` stores, so its callback knows which entry to
//!   remove. Here any ref can carry data: [`Ref<T, X>`] made with
//!   [`Ref::with_data`].
//! - **proxy**: `weakref.proxy(o)`, an object that stands for `o` while it
//!   lives and raises `ReferenceError` afterwards. Here [`Proxy::get`]
//!   returns the object or a [`ReferenceError`].
//! - **finalizer**: `weakref.finalize(o, f, *args)`, which calls `f(*args)`
//!   once: when `o` dies, when called, or at exit ([`finalize`],
//!   [`Finalizer`]).
//! - **unraisable**: an exception raised where no caller can catch it, such
//!   as in a callback run by a death. CPython prints `Exception ignored in:
//!   ...` and calls `sys.unraisablehook`. Here a panic in a callback or a
//!   finalizer is caught, printed to stderr the same way, or handed to the
//!   hook installed with [`set_unraisable_hook`] ([`Unraisable`]).
//!
//! # Cost
//!
//! Nanoseconds per operation, lower is faster, for weakable and what you would
//! use instead (the `std` column names its operation): the medians measured
//! by `bench/compare` on an AMD EPYC with 2 cores, Linux, rustc 1.95.0
//! (release), CPython 3.11.7, at commit `a819ab6` (2026-11-28). A handle an
//! operation returns is dropped inside the timing; the collections' rows are
//! per key, over N keys (a value dictionary's keys are `String`s, looked up
//! by `&str`). The full tables, the methodology and the memory
//! measurements are in the repository's
//! [BENCHMARKS.md](https://github.com/weakable/weakable/blob/main/BENCHMARKS.md).
//!
//! | operation | weakable | `std` | `weak-table` | CPython `weakref` |
//! |---|---|---|---|---|
//! | `upgrade`, live object | 5.58 | 5.47 (`Weak::upgrade`) | — | 33.2 |
//! | `upgrade`, dead object | 1.22 | 1.48 (`Weak::upgrade`) | — | 29.6 |
//! | take a ref: [`Ref::new`], basic ref exists | 5.48 | 5.64 (`Arc::downgrade`) | — | 77.8 |
//! | take a ref: [`Ref::with_callback`] | 38.3 | — | — | 122 |
//! | an object's life, 1 callback ref | 49.9 | 24.1 (`Arc` + 1 `Weak`, no callback) | — | 452 |
//! | [`WeakValueDictionary`] insert, N = 100,000 | 204 | 181 (`HashMap<_, Weak>`) | 286 | 1385 |
//! | `WeakValueDictionary` get hit, N = 1,000 | 70.8 | 44.4 (`HashMap<_, Weak>`) | 40.5 | 111 |
//! | `WeakValueDictionary` get hit, N = 100,000 | 202 | 175 (`HashMap<_, Weak>`) | 189 | 188 |
//! | [`WeakKeyDictionary`] insert, N = 100,000 | 178 | — | 85.3 | 449 |
//! | `WeakKeyDictionary` get hit, N = 100,000 | 189 | — | 145 | 336 |
//! | [`WeakSet`] insert, N = 100,000 | 183 | — | 89.9 | 465 |
//! | `WeakSet` contains hit, N = 100,000 | 171 | — | 67.3 | 504 |
//!
//! The machine is a shared VM, where the same row moves by up to a half
//! between identical runs, CPython's and weak-table's as much as
//! weakable's: compare the columns of one row, not absolute times.
//! (`bench/instructions` compares two revisions by instructions per
//! operation, a figure that does not move.)
//!
//! The collections pay for exactness: an entry leaves the moment its object
//! dies, so `len()` is exact and no dead entry is kept. Once every value of
//! 100,000 died, `weak-table` and a `HashMap` of `Weak` still report `len()`
//! 100,000 and hold 8.3 MB until swept; weakable reports 0 and holds 1.7 kB.
//! Per live entry, a `WeakValueDictionary` of 100,000 entries takes 121 bytes
//! beyond its keys and values (`weak-table`: 43, CPython: 126).
//!
//! Death as data, from `cargo bench -p weakable-bench --bench death` and
//! the memory example on the same machine, busy (medians varied up to 2×
//! between runs; the differences within one run are steadier): a
//! [`DeathQueue`] registration with a `u64` value holds 97 bytes while it
//! waits (its ref node, 64, and its entry in the queue's map) and nothing
//! once delivered or cancelled but its value until received. Registering
//! costs 75–160 ns; register and cancel 90–200 ns; an object's whole
//! registration (register, death, delivery, `try_recv`) 120–195 ns beyond
//! the object's own life with 1,000 others waiting, where a callback that
//! sends on an `mpsc` channel adds 20–45 ns to the death. A pending
//! [`Ref::dead`] future is 16 bytes and holds 104 more (its node, and the
//! waker slot it shares with it); making and dropping one costs 60–105 ns.
//!
//! # Limitations
//!
//! - **No cycle collector.** An object that owns, directly or not, an
//!   [`Obj`] of itself never dies: it leaks, and its callbacks and
//!   finalizers never run (at exit, finalizers still do), as with `Arc`.
//!   CPython's garbage collector would free it. Break cycles with a [`Ref`],
//!   as in the [parent and child](#parent-and-child-back-pointers) recipe.
//! - **A dead ref keeps the allocation.** As with `Weak`, the object's
//!   allocation (its header and the value's own bytes, not what the value
//!   owned) stays until the last ref to it is dropped.
//! - **Callbacks run in the drop.** They run on the thread that drops the
//!   last `Obj`, inside that `drop`, so a slow callback slows it, and a
//!   callback must be `Send`. A panic in one is caught and reported (see
//!   *unraisable* above), not propagated.
//! - **The value drops after the callbacks.** CPython runs `__del__` before
//!   the weakref callbacks; here the value's `Drop` runs after them.
//! - **Deaths nested past 100 are postponed.** A death runs user code that
//!   may kill other objects, whose deaths nest inside it. So that a chain
//!   of a million objects, each kept alive by the one before (owning it,
//!   or through a callback, a finalizer or a weak dictionary), does not
//!   overflow the stack, a death that would nest deeper than 100 deaths on
//!   its thread is postponed, as CPython's "trashcan" does: the object is
//!   already dead to its refs (`upgrade` returns `None`), but its callbacks
//!   and its `Drop` run once the outermost death on the thread has
//!   finished, one postponed death after another, each nesting up to 100
//!   again. The order: deaths within the limit run as without it; the
//!   postponed ones run after everything they were nested in has finished,
//!   in the order the recursion would have started them (depth first: those
//!   postponed by a postponed death run before the ones postponed earlier).
//!   In a straight chain the deaths still start in order, in runs of 100;
//!   what each death had left to do after the one nested in it (the rest of
//!   its `Drop` or callback, and its value's `Drop`, which follows its
//!   callbacks) now runs before a postponed death instead of after it. A
//!   panic in a postponed `Drop` leaves out no other death and reaches the
//!   outermost `drop`.
//! - **Values are `'static`.** Because a death may be postponed past the
//!   `drop` that caused it, [`Obj::new`] takes only values that borrow
//!   nothing, as every Python object is; so does the data of a ref with a
//!   callback ([`Ref::with_data_and_callback`]) and a
//!   [`WeakValueDictionary`]'s keys, which a death may drop.
//! - **Only types that derive [`Weakable`](derive@Weakable).** The slot is in
//!   `Obj`'s allocation, so an existing `Arc<T>` cannot be weakly referenced
//!   with callbacks; a foreign type needs a newtype that derives it.
//! - **Trait objects need a declaration.** Stable Rust has no
//!   `CoerceUnsized`: declare each trait once with [`weakable_dyn!`] (and
//!   each upcast, `weakable_dyn!(upcast dyn Widget => dyn Listener)`) and
//!   convert with [`Obj::unsize`]. `dyn Any + Send + Sync` and `dyn Any`
//!   are declared already, for [`Obj::downcast`](flavor::Obj::downcast).
//!   Objects without a `__weakref__` slot have no `dyn Any` view.
//! - **Unordered collections.** The weak collections iterate in an arbitrary
//!   order, not insertion order as Python's dictionaries do.
//! - **Exit handlers.** Finalizers run at exit when `main` returns or
//!   [`std::process::exit`] is called, not when the process aborts or is
//!   killed.
//! - **Without std, less.** See [`no_std`](#no_std).
//!
//! # Soundness
//!
//! The public API is safe; the core (the object header, the list of refs in
//! the slot, the collections' table) uses `unsafe`, every block with a
//! `SAFETY` comment (`clippy::undocumented_unsafe_blocks` is denied). CI
//! (`.ci/run` in the repository) checks it with:
//!
//! - **Miri**, for undefined behaviour, over the unit, doc and integration
//!   tests: `cargo +nightly miri test -p weakable` and
//!   `cargo +nightly miri test -p weakable-tests`.
//! - **loom**, every interleaving (up to 3 preemptions) of the core's races:
//!   an `upgrade` racing the last drop, a ref's drop racing the death, refs
//!   taken while another thread drops the object, a collection's eviction
//!   racing an insert, an iteration or a lookup:
//!   `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test -p weakable --release --test loom`.
//! - **ThreadSanitizer** over the threaded unit and integration tests, with
//!   std rebuilt instrumented: `scripts/tsan`.
//! - **valgrind** memcheck over the test binaries, no invalid access and no
//!   leak: `scripts/valgrind`.
//! - **Differential testing against CPython 3.11**: 500 seeded random
//!   sequences of up to 40 operations run over weakable and over CPython's
//!   `weakref`, their event logs (deaths, callbacks, finalizers, collection
//!   contents) compared line for line:
//!   `cargo test -p weakable-tests --test differential -- --nocapture`.
//! - **CPython's own tests**, `test_weakref.py` and `test_weakset.py`, ported
//!   (`tests/it`), with threaded stress tests and model-based tests of the
//!   collections under threads.
//!
//! # Implementation notes
//!
//! An object is one allocation: `[slot][type info][strong count][value]`,
//! with `Obj<T>` pointing at the value, so every view of one object
//! (`Obj<Image>`, `Obj<dyn Listener>`) finds the same header 16 bytes below
//! it. The slot is 32 bytes; [`NoSlot`] is zero bytes, which leaves a
//! 16-byte header, the size of `Arc`'s. Each ref is a small node on the
//! object's list; the callback lives inline in the node.
//!
//! The source is layered one way, each layer using only those above it:
//!
//! ```text
//! rt/              primitives: the flavour parameter (rt/flavor), atomics
//!                  (or loom's), the reference count, the slot's list lock,
//!                  the collections' table lock, parking
//! core/header      an object's allocation: layout, address, strong count
//! core/node        a ref node: head, vtable, data, callback, its count
//! core/slot        the __weakref__ slot: weak count, node list, clearing
//! traits.rs        Weakable, WeakRefable, SlotKind
//! core/death       the death sequence: clear, drop the value, free;
//!                  postponing deaths nested past 100
//! obj.rs           Obj<T, F>
//! core/handle      the one handle under Ref, Proxy and AnyRef
//! core/table       the collections' engine: table, lock protocol, eviction
//! reference.rs proxy.rs collections/ method.rs finalize.rs   the public types
//! flavor.rs sync.rs unsync.rs   the generic names, and each flavour's
//! dead.rs death_queue.rs  death as data: Ref::dead, DeathQueue, on nodes
//!                  with an internal callback, as the collections' evictions
//! ```
//!
//! Every layer from `core/node` up is generic over the flavour `F`, which
//! picks the operations on the counts and the list lock (`rt::Count`,
//! `rt::ptr_lock`): an object and its nodes are laid out the same in both
//! flavours. The unsync flavour adds no `unsafe`: its operations are
//! relaxed atomic loads and stores, which compile to plain moves and are
//! correct because its handles never leave their thread.
//!
//! The pointer work is in `core/` and `rt/`. Outside them, `unsafe` is
//! limited to `Obj`'s own pointer (its `Deref` and conversions), the
//! `Send`/`Sync` impls (each with its argument beside it), the
//! [`CoerceFrom`] contract and the exit-time hook's registration; the
//! collections' files have none.
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

// Lets `#[derive(Weakable)]`'s `::weakable::..` paths resolve inside this
// crate's own tests.
#[allow(unused_extern_crates)]
extern crate self as weakable;

extern crate alloc;

mod coerce;
mod collections;
mod core;
mod dead;
mod death_queue;
mod error;
#[cfg(feature = "std")]
mod finalize;
pub mod flavor;
mod func;
mod method;
mod obj;
mod proxy;
mod reference;
mod rt;
mod std_impls;
pub mod sync;
#[cfg(test)]
mod test_util;
mod traits;
mod unraisable;
pub mod unsync;

pub use crate::core::node::RefKind;
pub use crate::core::slot::{NoSlot, WeakrefSlot};
pub use coerce::{AnyView, CoerceFrom};
pub use collections::DefaultHashBuilder;
pub use error::ReferenceError;
pub use func::{Call, Func};
pub use method::{ByRef, MethodArgs};
pub use reference::{getweakrefcount, getweakrefs, DeadHashError};
#[cfg(feature = "std")]
pub use sync::{finalize, finalize_with, Finalizer, FinalizerFn};
pub use sync::{AnyRef, Obj, Proxy, Ref};
pub use sync::{
    BoundMethod, WeakKeyDictionary, WeakKeyItems, WeakKeyValues, WeakKeys, WeakMethod, WeakSet,
    WeakValueDictionary, WeakValueItems, WeakValueKeys, WeakValueValues,
};
pub use sync::{Dead, DeathQueue, RecvAsync, Registration};
pub use traits::{SlotKind, WeakRefable, Weakable};
pub use unraisable::{set_unraisable_hook, take_unraisable_hook, Unraisable, UnraisableHook};

/// Derives [`Weakable`](trait@Weakable) (and [`WeakRefable`] unless
/// `#[weakable(no_weakref)]`), so the type can live in an [`Obj`].
///
/// Attributes, on the struct or enum:
/// - `#[weakable(no_weakref)]`: no `__weakref__` slot, as Python's
///   `__slots__` without `'__weakref__'`; refs to it do not compile.
/// - `#[weakable(name = "Shown")]`: the name reprs show (default: the
///   type's identifier).
/// - `#[weakable(crate = "path::to::weakable")]`: where the runtime is, for
///   crates that re-export it.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// #[weakable(name = "Picture")]
/// enum Image {
///     Png(Vec<u8>),
///     Empty,
/// }
///
/// let o = Obj::new(Image::Empty);
/// let r = Ref::new(&o);
/// assert!(format!("{r:?}").contains("to 'Picture' at"));
/// # drop(Image::Png(vec![]));
/// ```
pub use weakable_derive::Weakable;

// The README's examples are tested too (weakable/README.md links to the
// workspace's, and the published crate carries a copy at the same place).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
