//! A tour of weakable: Python's weakref walk-through (PyMOTW's "weakref —
//! Impermanent References to Objects"), replayed in Rust.
//!
//! Run it with `cargo run --example tour`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use weakable::{
    finalize, getweakrefcount, unsync, weakable_dyn, DeathQueue, Finalizer, Obj, Proxy, Ref,
    WeakSet, WeakValueDictionary, Weakable,
};

/// An object too expensive to keep alive just because a cache mentions it.
#[derive(Weakable)]
struct ExpensiveObject {
    name: &'static str,
}

impl fmt::Display for ExpensiveObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<ExpensiveObject {} at {:p}>", self.name, self)
    }
}

impl Drop for ExpensiveObject {
    // Python's `__del__`: runs after every weak reference is dead and every
    // callback has run.
    fn drop(&mut self) {
        println!("(Deleting {self})");
    }
}

fn references() {
    println!("== References: a ref goes dead when its object is dropped");
    let obj = Obj::new(ExpensiveObject { name: "first" });
    let r = Ref::new(&obj);
    println!("obj: {obj}");
    println!("ref: {r:?}");
    println!("r(): {}", show(r.upgrade()));
    println!("deleting obj");
    drop(obj);
    println!("r(): {}", show(r.upgrade()));
    println!("ref: {r:?}");
}

fn reference_callbacks() {
    println!("\n== Reference callbacks: the callback announces the death");
    let obj = Obj::new(ExpensiveObject { name: "second" });
    let r = Ref::with_callback(&obj, |r: &Ref<ExpensiveObject>| {
        println!("callback({r:?})");
    });
    println!("obj: {obj}");
    println!("ref: {r:?}");
    println!("r(): {}", show(r.upgrade()));
    println!("deleting obj");
    drop(obj);
    println!("r(): {}", show(r.upgrade()));
}

fn several_callbacks() {
    println!("\n== Several callbacks: the newest runs first, each exactly once");
    let obj = Obj::new(ExpensiveObject { name: "third" });
    let refs: Vec<Ref<ExpensiveObject, usize>> = (1..=3)
        .map(|i| {
            Ref::with_data_and_callback(&obj, i, |r: &Ref<ExpensiveObject, usize>| {
                println!("callback #{} ({r:?})", r.data());
            })
        })
        .collect();
    let basic = Ref::new(&obj);
    println!(
        "{} refs with callbacks and one basic ref: getweakrefcount = {}",
        refs.len(),
        getweakrefcount(&obj)
    );
    println!(
        "Ref::new twice gives the same ref: {}",
        Ref::ptr_eq(&basic, &Ref::new(&obj))
    );
    println!("deleting obj");
    drop(obj);
}

fn proxies() {
    println!("\n== Proxies: use the object through the proxy, until it is gone");
    let obj = Obj::new(ExpensiveObject { name: "fourth" });
    let p = Proxy::new(&obj);
    println!("via obj: {}", obj.name);
    match p.get() {
        Ok(o) => println!("via proxy: {}", o.name),
        Err(e) => println!("via proxy: ReferenceError: {e}"),
    }
    println!("deleting obj");
    drop(obj);
    match p.get() {
        Ok(o) => println!("via proxy: {}", o.name),
        Err(e) => println!("via proxy: ReferenceError: {e}"),
    }
}

/// A large image, as a cache would hold it.
#[derive(Weakable)]
struct Image {
    name: String,
    pixels: Vec<u8>,
}

impl Drop for Image {
    fn drop(&mut self) {
        println!("  (freeing {} bytes of {})", self.pixels.len(), self.name);
    }
}

fn caching_objects() {
    println!("\n== Caching objects: a WeakValueDictionary does not keep images alive");
    let weak_cache: WeakValueDictionary<String, Image> = WeakValueDictionary::new();
    let strong_cache: HashMap<String, Obj<Image>> = HashMap::new();
    let mut strong_cache = strong_cache;

    let image = Obj::new(Image {
        name: "weak.png".into(),
        pixels: vec![0; 1 << 20],
    });
    weak_cache.insert(image.name.clone(), &image);
    println!(
        "weak cache before: {:?}",
        weak_cache.keys().collect::<Vec<_>>()
    );
    println!("dropping the last strong reference to weak.png");
    drop(image);
    println!(
        "weak cache after: {:?} (len {})",
        weak_cache.keys().collect::<Vec<_>>(),
        weak_cache.len()
    );

    let image = Obj::new(Image {
        name: "strong.png".into(),
        pixels: vec![0; 1 << 20],
    });
    strong_cache.insert(image.name.clone(), image.clone());
    println!("dropping our reference to strong.png");
    drop(image);
    println!(
        "strong cache after: {:?}: the HashMap keeps it alive",
        strong_cache.keys().collect::<Vec<_>>()
    );
    strong_cache.clear();
}

fn id2obj() {
    println!("\n== id2obj: remember an object by id, get it back while it lives");
    let registry: WeakValueDictionary<usize, ExpensiveObject> = WeakValueDictionary::new();
    let obj = Obj::new(ExpensiveObject { name: "fifth" });
    let id = Obj::id(&obj);
    registry.insert(id, &obj);
    let back = registry.get(&id).expect("alive");
    println!("id2obj({id:#x}) is obj: {}", Obj::ptr_eq(&back, &obj));
    drop((back, obj));
    println!("after deleting it: {}", show(registry.get(&id)));
}

/// Python's `TempDir` example from the `weakref.finalize` docs: the
/// directory goes when the object dies, when `remove()` is called, or at
/// exit, whichever comes first, and only once.
#[derive(Weakable)]
struct TempDir {
    path: PathBuf,
    finalizer: OnceLock<RemoveDir>,
}

/// The finalizer of a `TempDir`: `remove_dir(path)`.
type RemoveDir = Finalizer<TempDir, fn(PathBuf), PathBuf>;

fn remove_dir(path: PathBuf) {
    std::fs::remove_dir_all(&path).expect("remove the temporary directory");
    println!("  (removed {})", path.display());
}

impl TempDir {
    fn new(name: &str) -> Obj<TempDir> {
        let path =
            std::env::temp_dir().join(format!("weakable-tour-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        let dir = Obj::new(TempDir {
            path: path.clone(),
            finalizer: OnceLock::new(),
        });
        // The finalizer's function and arguments must not own `dir`, or it
        // would never die: it gets the path, not the object.
        let f = finalize(&dir, remove_dir as fn(PathBuf), path);
        let _ = dir.finalizer.set(f);
        dir
    }

    fn remove(&self) {
        if let Some(f) = self.finalizer.get() {
            f.call();
        }
    }

    fn removed(&self) -> bool {
        !self.finalizer.get().is_some_and(Finalizer::is_alive)
    }
}

fn exists(path: &Path) -> &'static str {
    if path.exists() {
        "exists"
    } else {
        "is gone"
    }
}

fn finalizers() {
    println!("\n== finalize: a temporary directory removed exactly once");
    let a = TempDir::new("a");
    println!("a.remove():");
    a.remove();
    a.remove(); // already done: nothing happens
    println!(
        "a removed: {}, {} {}",
        a.removed(),
        a.path.display(),
        exists(&a.path)
    );

    let b = TempDir::new("b");
    let b_path = b.path.clone();
    println!("dropping b:");
    drop(b);
    println!("{} {}", b_path.display(), exists(&b_path));

    let c = TempDir::new("c");
    println!("c is kept until the program exits: {}", c.path.display());
    // Dropped without dying: `main` leaks it, so only the exit-time run of
    // its finalizer removes the directory.
    std::mem::forget(c);
}

/// Anything that wants to hear about a subject's events.
trait Listener: Send + Sync {
    fn notify(&self, event: &str);
}
// Objects of any `Listener` type can be seen as `Obj<dyn Listener>`, and
// compare by identity, as Python objects do by default.
weakable_dyn!(identity dyn Listener);

#[derive(Weakable)]
struct Logger {
    prefix: &'static str,
}

impl Listener for Logger {
    fn notify(&self, event: &str) {
        println!("  {}: {event}", self.prefix);
    }
}

#[derive(Weakable, Default)]
struct Counter {
    seen: std::sync::atomic::AtomicUsize,
}

impl Listener for Counter {
    fn notify(&self, _: &str) {
        let n = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        println!("  counter: {n} events so far");
    }
}

/// A subject that does not keep its listeners alive.
struct Subject {
    listeners: WeakSet<dyn Listener>,
}

impl Subject {
    fn subscribe(&self, listener: &Obj<dyn Listener>) {
        self.listeners.insert(listener);
    }

    fn emit(&self, event: &str) {
        println!("emit {event:?} to {} listener(s)", self.listeners.len());
        for listener in self.listeners.iter() {
            listener.notify(event);
        }
    }
}

fn observers() {
    println!("\n== Observers: a WeakSet<dyn Listener> of two listener types");
    let subject = Subject {
        listeners: WeakSet::new(),
    };
    let logger: Obj<dyn Listener> = Obj::unsize(Obj::new(Logger { prefix: "logger" }));
    let counter = Obj::new(Counter::default());
    subject.subscribe(&logger);
    subject.subscribe(&Obj::unsize(counter.clone()));
    subject.emit("opened");
    println!("dropping the logger");
    drop(logger); // it leaves the set by itself, and is never called again
    subject.emit("saved");
}

/// A widget of a single-threaded UI: `RefCell` state, which no thread-safe
/// container accepts, and a weak parent pointer.
#[derive(Weakable)]
struct Widget {
    name: String,
    parent: Option<unsync::Ref<Widget>>,
    children: RefCell<Vec<unsync::Obj<Widget>>>,
    clicks: Cell<u32>,
}

impl Widget {
    fn new(name: &str, parent: Option<&unsync::Obj<Widget>>) -> unsync::Obj<Widget> {
        let w = unsync::Obj::new(Widget {
            name: name.into(),
            parent: parent.map(unsync::Ref::new),
            children: RefCell::new(Vec::new()),
            clicks: Cell::new(0),
        });
        if let Some(parent) = parent {
            parent.children.borrow_mut().push(w.clone());
        }
        w
    }

    /// The path from the root, through the weak parent pointers.
    fn path(&self) -> String {
        match self.parent.as_ref().and_then(unsync::Ref::upgrade) {
            Some(parent) => format!("{}/{}", parent.path(), self.name),
            None => self.name.clone(),
        }
    }
}

fn widget_tree() {
    println!(
        "
== unsync: a single-threaded widget tree, at Rc speed"
    );
    let log = Rc::new(RefCell::new(Vec::new())); // an `Rc` in callbacks: fine in unsync
    let window = Widget::new("window", None);
    let ok = Widget::new("ok", Some(&window));
    ok.clicks.set(ok.clicks.get() + 1);
    println!("{} clicked {} time(s)", ok.path(), ok.clicks.get());
    let sink = log.clone();
    let _watch = unsync::Ref::with_callback(&window, move |_| {
        sink.borrow_mut().push("window closed".to_string());
    });
    println!("closing the window");
    drop(window); // the tree owned `ok` too, but this handle still does
    println!("callbacks: {:?}", log.borrow());
    println!("{}'s parent alive: {}", ok.name, ok.path() != ok.name);
}

fn death_queue() {
    println!("\n== Death as data: the UI thread drains a DeathQueue");
    // Workers drop the objects; no callback runs on them. The UI thread
    // receives each death as a value, in death order, when it chooses.
    let closed: std::sync::Arc<DeathQueue<&'static str>> = std::sync::Arc::new(DeathQueue::new());
    let docs: Vec<_> = ["third", "fourth"]
        .into_iter()
        .map(|name| {
            let doc = Obj::new(ExpensiveObject { name });
            closed.register(&doc, name);
            doc
        })
        .collect();
    let kept = Obj::new(ExpensiveObject { name: "fifth" });
    let registration = closed.register(&kept, "fifth");
    std::thread::spawn(move || drop(docs)).join().unwrap();
    while let Some(name) = closed.try_recv() {
        println!("UI thread: close the tab of {name}");
    }
    println!("cancelled: {:?}", registration.cancel());
    drop(kept); // cancelled: nothing is delivered
    println!("queue empty: {}", closed.is_empty());
}

fn awaiting_death() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    println!("\n== Death as data: a task awaits its owner's death");
    // A connection task selects between its work and `dead()` (with tokio,
    // `tokio::select!`); here it is polled by hand.
    let owner = Obj::new(ExpensiveObject { name: "sixth" });
    let owner_ref = Ref::new(&owner);
    let mut connection = std::pin::pin!(async move {
        let mut dead = std::pin::pin!(owner_ref.dead());
        std::future::poll_fn(|cx| dead.as_mut().poll(cx)).await;
        println!("connection task: owner died, closing the connection");
    });
    let mut cx = Context::from_waker(Waker::noop());
    println!(
        "polled while the owner lives: {:?}",
        connection.as_mut().poll(&mut cx)
    );
    println!("deleting the owner");
    drop(owner);
    assert_eq!(connection.as_mut().poll(&mut cx), Poll::Ready(()));
}

fn show(o: Option<Obj<ExpensiveObject>>) -> String {
    match o {
        Some(o) => o.to_string(),
        None => "None".to_string(),
    }
}

fn main() {
    references();
    reference_callbacks();
    several_callbacks();
    proxies();
    caching_objects();
    id2obj();
    observers();
    widget_tree();
    death_queue();
    awaiting_death();
    finalizers();
    println!("\n== exit: live finalizers run now, newest first");
}
