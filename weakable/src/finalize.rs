//! `finalize()` and [`Finalizer`], Python's `weakref.finalize`, with the
//! global registry that keeps finalizers alive and runs them at exit.
//!
//! # Design
//!
//! A finalizer's state (the function and its arguments, a [`Ref`] to the
//! object, the `atexit` flag) is shared by its handles through an `Arc`. A
//! process-wide registry, CPython's `finalize._registry`, owns one more
//! `Arc` of every live finalizer, keyed by its creation index, so a finalizer
//! lives on when all its handles are dropped. The `Ref` carries a death
//! callback that holds the state only weakly (the state owns the `Ref`: a
//! strong pointer back would be a cycle); while the finalizer is alive the
//! registry keeps the state, so the callback always finds it.
//!
//! A finalizer dies exactly once, by whichever comes first: [`call`],
//! [`detach`], the object's death, or the exit handler. Each of them takes the
//! function and arguments out of the state under its lock, so only one of them
//! gets them; the winner removes the registry's entry and then, with no lock
//! held, runs the function.
//!
//! At exit, a C `atexit` handler (registered once, by the first finalizer)
//! runs the registry's live finalizers whose `atexit` flag is set, newest
//! first, re-reading the registry when a finalizer was created meanwhile,
//! as CPython's `finalize._exitfunc` does.
//!
//! [`call`]: Finalizer::call
//! [`detach`]: Finalizer::detach

use core::fmt;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError, Weak};

use crate::obj::Obj;
use crate::reference::Ref;
use crate::traits::WeakRefable;

/// Registers `f(args)` to run when `obj` dies, Python's
/// `weakref.finalize(obj, f, *args)`.
///
/// The finalizer runs at most once: when `obj` dies (its last [`Obj`] is
/// dropped), when [`call`](Finalizer::call) is called, or at process exit if
/// [`atexit`](Finalizer::atexit) is still set (the default), whichever comes
/// first; [`detach`](Finalizer::detach) cancels it. It stays registered even
/// when every [`Finalizer`] handle is dropped: drop the handle freely if you
/// only want the clean-up.
///
/// At the object's death, the finalizer runs like a death callback, in
/// newest-first order with the object's other callbacks, on the thread that
/// drops the last `Obj`. A panic there, or at exit, is caught and reported
/// through the [unraisable hook](crate::set_unraisable_hook) as a
/// `"finalizer"`; [`call`](Finalizer::call) lets a panic through to its
/// caller instead.
///
/// # `f` and `args` must not own the object
///
/// They are kept until the object dies; if they hold an `Obj` to it (or to
/// something that holds one), it never dies, and the finalizer only runs at
/// exit, as CPython warns. Give `f` what it needs to clean up (a path, a
/// handle, a copy of a field), not the object:
///
/// ```
/// use std::sync::mpsc;
/// use weakable::{finalize, Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Image {
///     path: String,
/// }
///
/// let (tx, rx) = mpsc::channel();
/// let img = Obj::new(Image { path: "cat.png".into() });
///
/// // Wrong: the closure owns a clone of `img`, so `img` can never die.
/// let keep = img.clone();
/// let leaky = finalize(&img, move |tx: mpsc::Sender<String>| tx.send(keep.path.clone()), tx.clone());
/// // Right: the closure gets a copy of what it needs.
/// let path = img.path.clone();
/// let good = finalize(&img, move |tx: mpsc::Sender<String>| tx.send(path), tx);
///
/// drop(img);
/// assert!(rx.try_recv().is_err()); // still alive: `leaky` owns it
/// assert!(leaky.is_alive() && good.is_alive());
/// leaky.detach(); // (dropping what it owned lets the object die)
/// assert_eq!(rx.try_recv(), Ok("cat.png".to_string()));
/// assert!(!good.is_alive());
/// ```
///
/// This is not detected, in debug builds either: `f` and `args` are opaque
/// values (a closure's captures cannot be inspected), and the object's strong
/// count cannot tell an `Obj` inside them from any other owner.
///
/// # `f` must not exit the process at exit
///
/// A finalizer that runs at exit runs inside the C `exit` that ends the
/// process, whether `main` returned or [`std::process::exit`] was called.
/// If `f` calls [`std::process::exit`] there, std aborts the process
/// (`std::process::exit called re-entrantly`, then `SIGABRT` on Unix):
/// the exit status `f` asked for is lost, and the finalizers not yet run
/// never run. Outside exit (at the object's death, or through
/// [`call`](Finalizer::call)) it exits as usual.
///
/// # Examples
///
/// Python's temporary-directory recipe: the directory goes when the object
/// dies, when `remove()` is called, or at exit, whichever comes first, and
/// exactly once.
///
/// ```
/// use std::path::PathBuf;
/// use weakable::{finalize, Finalizer, Obj, Weakable};
///
/// type RemoveDir = fn(PathBuf) -> std::io::Result<()>;
///
/// #[derive(Weakable)]
/// struct TempDir {
///     path: PathBuf,
///     finalizer: std::sync::OnceLock<Finalizer<TempDir, RemoveDir, PathBuf>>,
/// }
///
/// impl TempDir {
///     fn new(name: &str) -> Obj<TempDir> {
///         let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
///         std::fs::create_dir_all(&path).unwrap();
///         let dir = Obj::new(TempDir { path: path.clone(), finalizer: Default::default() });
///         let f = finalize(&dir, std::fs::remove_dir_all as RemoveDir, path);
///         let _ = dir.finalizer.set(f);
///         dir
///     }
///
///     fn remove(&self) {
///         if let Some(result) = self.finalizer.get().and_then(Finalizer::call) {
///             result.unwrap();
///         }
///     }
///
///     fn removed(&self) -> bool {
///         !self.finalizer.get().is_some_and(Finalizer::is_alive)
///     }
/// }
///
/// # if cfg!(miri) { return; } // Miri keeps programs off the file system
/// let a = TempDir::new("weakable-doc-a");
/// let path = a.path.clone();
/// assert!(path.exists() && !a.removed());
/// a.remove();
/// assert!(!path.exists() && a.removed());
/// a.remove(); // nothing: already done
///
/// let b = TempDir::new("weakable-doc-b");
/// let path = b.path.clone();
/// drop(b); // the object dies: the directory goes
/// assert!(!path.exists());
/// ```
pub fn finalize<T, F, A, R>(obj: &Obj<T>, f: F, args: A) -> Finalizer<T, F, A>
where
    T: ?Sized + WeakRefable + Send + Sync + 'static,
    F: FnOnce(A) -> R + Send + 'static,
    A: Send + 'static,
{
    register_exit_handler();
    let index = NEXT_INDEX.fetch_add(1, Ordering::Relaxed);
    let state = Arc::new_cyclic(|weak: &Weak<State<T, F, A>>| {
        let weak = weak.clone();
        let obj_ref = Ref::with_callback(obj, move |_: &Ref<T>| {
            // The registry keeps the state while the finalizer is alive; if
            // it is gone, so is the finalizer, and there is nothing to do.
            if let Some(state) = weak.upgrade() {
                state.run_reporting();
            }
        });
        State {
            index,
            type_name: Obj::type_name(obj),
            armed: Mutex::new(Some(Armed {
                obj: obj_ref,
                f,
                args,
            })),
            atexit: AtomicBool::new(true),
        }
    });
    registry().insert(index, state.clone());
    DIRTY.store(true, Ordering::Release);
    Finalizer { state }
}

/// A handle to a finalizer registered by [`finalize()`], Python's
/// `weakref.finalize` object.
///
/// Clones share one finalizer, and every method takes `&self`. Dropping the
/// handles does not cancel it; [`detach`](Finalizer::detach) does. The type
/// parameters are the object's type, the function's and the arguments'; name
/// the function type with a function pointer (`fn(PathBuf) -> io::Result<()>`)
/// or a box (`Box<dyn FnOnce(A) -> R + Send>`) to store a handle in a struct.
///
/// `Debug` shows CPython's repr: `<finalize object at 0x..; for 'Image' at
/// 0x..>` while alive, `<finalize object at 0x..; dead>` after.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use weakable::{finalize, Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let img = Obj::new(Image);
/// for name in ["first", "second"] {
///     let log = log.clone();
///     finalize(&img, move |name| log.lock().unwrap().push(name), name); // handle dropped
/// }
/// drop(img);
/// assert_eq!(*log.lock().unwrap(), ["second", "first"]); // newest first
/// ```
pub struct Finalizer<T: ?Sized, F, A> {
    state: Arc<State<T, F, A>>,
}

/// What a finalizer's handles and the registry share.
struct State<T: ?Sized, F, A> {
    /// Creation order: the registry's key.
    index: u64,
    type_name: &'static str,
    /// Invariant: `Some` exactly while the finalizer is alive, and then the
    /// registry holds this state under `index`. Whoever takes it out
    /// removes the registry entry. No user code runs under this lock except
    /// `F::clone` and `A::clone` in `peek`, and nothing user-written is
    /// dropped under it.
    armed: Mutex<Option<Armed<T, F, A>>>,
    atexit: AtomicBool,
}

/// A live finalizer's parts. The ref lives only as long as the finalizer:
/// once it is called or detached, `getweakrefcount` no longer counts it, as
/// in CPython, whose registry entry holds the finalizer's weakref.
struct Armed<T: ?Sized, F, A> {
    /// The object, with the death callback that runs the finalizer.
    obj: Ref<T>,
    f: F,
    args: A,
}

impl<T: ?Sized, F, A> State<T, F, A> {
    fn armed(&self) -> MutexGuard<'_, Option<Armed<T, F, A>>> {
        self.armed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The object, if the finalizer is alive and the object too.
    fn object(&self) -> Option<Obj<T>> {
        self.armed().as_ref()?.obj.upgrade()
    }

    /// Kills the finalizer, handing back its parts if it was alive.
    fn take(&self) -> Option<Armed<T, F, A>> {
        self.take_locked(self.armed())
    }

    /// As [`take`](Self::take), with the lock already held; unlocks.
    fn take_locked(
        &self,
        mut armed: MutexGuard<'_, Option<Armed<T, F, A>>>,
    ) -> Option<Armed<T, F, A>> {
        let taken = armed.take();
        drop(armed);
        if taken.is_some() {
            registry().remove(&self.index);
        }
        taken
    }

    fn is_alive(&self) -> bool {
        self.armed().is_some()
    }
}

/// A registered finalizer, its types erased.
trait Entry: Send + Sync {
    fn atexit(&self) -> bool;
    /// Runs it if alive, catching and reporting a panic.
    fn run_reporting(&self);
}

impl<T, F, A, R> Entry for State<T, F, A>
where
    T: ?Sized + Send + Sync,
    F: FnOnce(A) -> R + Send,
    A: Send,
{
    fn atexit(&self) -> bool {
        self.atexit.load(Ordering::Acquire)
    }

    fn run_reporting(&self) {
        if let Some(Armed { obj, f, args }) = self.take() {
            // The result is dropped here too: its `Drop` may panic as well.
            let result = catch_unwind(AssertUnwindSafe(move || drop(f(args))));
            // As CPython's registry entry, the ref outlives the call.
            drop(obj);
            if let Err(payload) = result {
                crate::unraisable::report("finalizer", self.type_name, payload);
            }
        }
    }
}

impl<T, F, A, R> Finalizer<T, F, A>
where
    T: ?Sized + WeakRefable + Send + Sync + 'static,
    F: FnOnce(A) -> R + Send + 'static,
    A: Send + 'static,
{
    /// Registers a finalizer, as [`finalize()`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Finalizer, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let img = Obj::new(Image);
    /// let f = Finalizer::new(&img, |x: u32| x + 1, 41);
    /// assert_eq!(f.call(), Some(42));
    /// ```
    pub fn new(obj: &Obj<T>, f: F, args: A) -> Finalizer<T, F, A> {
        finalize(obj, f, args)
    }

    /// Runs the finalizer now if it is alive, and returns `f(args)`: Python's
    /// `f()`. It is dead afterwards: later calls, the object's death and the
    /// exit handler do nothing, and this returns `None`.
    ///
    /// A panic in `f` propagates to the caller (the finalizer is dead all
    /// the same).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{finalize, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let img = Obj::new(Image);
    /// let f = finalize(&img, |(x, y): (u32, u32)| x + y, (67, 43));
    /// assert_eq!(f.call(), Some(110));
    /// assert_eq!(f.call(), None);
    /// assert!(!f.is_alive());
    /// ```
    pub fn call(&self) -> Option<R> {
        let Armed { obj, f, args } = self.state.take()?;
        // As CPython's registry entry, the ref outlives the call, even if
        // it panics.
        let _obj = obj;
        Some(f(args))
    }

    /// Kills the finalizer without running it and hands back the object, the
    /// function and the arguments, so that `f(args)` gives the result:
    /// Python's `f.detach()`. `None` if it is dead already, or if the object
    /// is dying (its finalizer is about to run).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{finalize, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let img = Obj::new(Image);
    /// let f = finalize(&img, |x: u32| x * 2, 21);
    /// let (obj, func, args) = f.detach().unwrap();
    /// assert!(Obj::ptr_eq(&obj, &img));
    /// assert_eq!(func(args), 42);
    /// assert!(f.detach().is_none() && f.call().is_none());
    /// ```
    pub fn detach(&self) -> Option<(Obj<T>, F, A)> {
        let armed = self.state.armed();
        // Dead already, or the object is dying and its finalizer about to
        // run: leave it to the death.
        let obj = armed.as_ref()?.obj.upgrade()?;
        let Armed { obj: _ref, f, args } = self.state.take_locked(armed)?;
        Some((obj, f, args))
    }

    /// The object, the function and the arguments, without killing the
    /// finalizer: Python's `f.peek()`. `None` if it is dead, or the object is
    /// dying.
    ///
    /// The function and arguments are cloned: they live inside the shared
    /// finalizer, behind a lock, so no reference to them can be handed out.
    /// `F::clone` and `A::clone` run under that lock and must not use this
    /// finalizer. (Closures are `Clone` when their captures are; a function
    /// pointer always is.) Nothing is dropped under it: if `A::clone`
    /// panics, the clone of `F` already made is dropped after the lock is
    /// released, so its `Drop` may use the finalizer; the panic then
    /// propagates to the caller and the finalizer stays alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{finalize, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// fn add((x, y): (u32, u32)) -> u32 {
    ///     x + y
    /// }
    ///
    /// let add: fn((u32, u32)) -> u32 = add; // one function pointer
    /// let img = Obj::new(Image);
    /// let f = finalize(&img, add, (67, 43));
    /// let (obj, func, args) = f.peek().unwrap();
    /// assert!(Obj::ptr_eq(&obj, &img));
    /// assert!(std::ptr::fn_addr_eq(func, add));
    /// assert_eq!(args, (67, 43));
    /// assert!(f.is_alive()); // still armed
    /// ```
    pub fn peek(&self) -> Option<(Obj<T>, F, A)>
    where
        F: Clone,
        A: Clone,
    {
        // Nothing user-written may be dropped under the lock: a `Drop` may
        // use this finalizer, and would deadlock. The clones are declared
        // before the guard, so they are dropped after it even when a later
        // clone panics (locals drop in reverse order of declaration, and
        // unwinding drops the initialised ones the same way).
        let (f, args, obj);
        let armed = self.state.armed();
        let armed_parts = armed.as_ref()?;
        f = armed_parts.f.clone();
        args = armed_parts.args.clone();
        // Upgrade last: once the `Obj` exists nothing can panic before the
        // lock goes, so it is never dropped under it (the object's death
        // would take the lock again).
        obj = armed_parts.obj.upgrade();
        drop(armed);
        Some((obj?, f, args))
    }
}

impl<T: ?Sized, F, A> Finalizer<T, F, A> {
    /// Whether the finalizer is still to run, Python's `f.alive`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{finalize, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let img = Obj::new(Image);
    /// let f = finalize(&img, drop, ());
    /// assert!(f.is_alive());
    /// drop(img); // runs it
    /// assert!(!f.is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        self.state.is_alive()
    }

    /// Whether the finalizer runs at process exit if it is still alive then,
    /// Python's `f.atexit`: true by default, false once dead.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{finalize, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let img = Obj::new(Image);
    /// let f = finalize(&img, drop, ());
    /// assert!(f.atexit());
    /// f.call();
    /// assert!(!f.atexit());
    /// ```
    pub fn atexit(&self) -> bool {
        self.state.atexit.load(Ordering::Acquire) && self.is_alive()
    }

    /// Sets whether the finalizer runs at process exit; does nothing once it
    /// is dead. Python's `f.atexit = value`.
    ///
    /// At exit (`main` returning, or [`std::process::exit`]), every live
    /// finalizer whose flag is set runs, newest first; one created meanwhile
    /// (by another finalizer) runs too, next. A panic is reported through the
    /// [unraisable hook](crate::set_unraisable_hook) and the others still run.
    /// Finalizers left with the flag unset never run, since the process ends.
    /// (Not under Miri, which cannot register an exit handler.) A finalizer
    /// must not call [`std::process::exit`] then: see [`finalize()`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{finalize, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Cache;
    ///
    /// let cache = Obj::new(Cache);
    /// let flush = finalize(&cache, drop, ());
    /// flush.set_atexit(false); // not worth doing at exit
    /// assert!(!flush.atexit());
    /// # flush.call();
    /// ```
    pub fn set_atexit(&self, atexit: bool) {
        if self.is_alive() {
            self.state.atexit.store(atexit, Ordering::Release);
            if atexit {
                DIRTY.store(true, Ordering::Release);
            }
        }
    }

    /// Whether two handles are the same finalizer.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{finalize, Finalizer, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let img = Obj::new(Image);
    /// let f = finalize(&img, drop, ());
    /// let g = finalize(&img, drop, ());
    /// assert!(Finalizer::ptr_eq(&f, &f.clone()));
    /// assert!(!Finalizer::ptr_eq(&f, &g));
    /// ```
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        Arc::ptr_eq(&this.state, &other.state)
    }
}

impl<T: ?Sized, F, A> Clone for Finalizer<T, F, A> {
    /// Another handle to the same finalizer.
    fn clone(&self) -> Self {
        Finalizer {
            state: self.state.clone(),
        }
    }
}

impl<T: ?Sized, F, A> fmt::Debug for Finalizer<T, F, A> {
    /// CPython's repr: `<finalize object at 0x..; for 'Image' at 0x..>`, or
    /// `<finalize object at 0x..; dead>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = Arc::as_ptr(&self.state).addr();
        let obj = self.state.object();
        match obj {
            Some(obj) => write!(
                f,
                "<finalize object at {at:#x}; for '{}' at {:#x}>",
                self.state.type_name,
                Obj::id(&obj)
            ),
            None => write!(f, "<finalize object at {at:#x}; dead>"),
        }
    }
}

/// The live finalizers by creation index: CPython's `finalize._registry`.
static REGISTRY: Mutex<BTreeMap<u64, Arc<dyn Entry>>> = Mutex::new(BTreeMap::new());
static NEXT_INDEX: AtomicU64 = AtomicU64::new(0);
/// Set when a finalizer is registered (or re-armed for exit), so that the
/// exit handler looks at the registry again.
static DIRTY: AtomicBool = AtomicBool::new(false);

fn registry() -> MutexGuard<'static, BTreeMap<u64, Arc<dyn Entry>>> {
    // Only the registry's own operations run under this lock, never user
    // code, so a poisoned lock still holds a consistent map.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers [`exit_handler`] with the C runtime, once.
fn register_exit_handler() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        // Miri cannot run C exit handlers; finalizers just don't run at exit.
        if !cfg!(miri) && !crate::rt::exit::at_exit(exit_handler) {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "weakable: could not register the exit handler; finalizers will not run at exit"
            );
        }
    });
}

/// Runs at process exit, from C: must not unwind.
extern "C" fn exit_handler() {
    if let Err(payload) = catch_unwind(run_atexit_finalizers) {
        crate::unraisable::report("finalizer exit handler", "finalize", payload);
    }
}

/// Runs the live finalizers marked for exit, newest first, as CPython's
/// `finalize._exitfunc`: the list is re-read whenever a finalizer was
/// registered meanwhile, so one created by another finalizer runs next.
fn run_atexit_finalizers() {
    let mut pending: Vec<Arc<dyn Entry>> = Vec::new();
    let mut first = true;
    loop {
        if first || DIRTY.swap(false, Ordering::AcqRel) {
            first = false;
            // Oldest first, so that `pop` takes the newest. The clones leave
            // the registry lock before anything runs.
            pending = registry()
                .values()
                .filter(|entry| entry.atexit())
                .cloned()
                .collect();
        }
        let Some(entry) = pending.pop() else {
            break;
        };
        // Its flag may have been cleared since the list was read; a dead one
        // (already run) does nothing.
        if entry.atexit() {
            entry.run_reporting();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Weakable;

    #[derive(Weakable)]
    struct Image;

    #[test]
    fn a_called_or_detached_finalizer_lets_go_of_its_ref() {
        // As CPython: the finalizer's weakref lives in its registry entry.
        let img = Obj::new(Image);
        let called = finalize(&img, drop, ());
        let detached = finalize(&img, drop, ());
        assert_eq!(crate::getweakrefcount(&img), 2);
        assert_eq!(called.call(), Some(()));
        assert_eq!(crate::getweakrefcount(&img), 1);
        assert!(detached.detach().is_some());
        assert_eq!(crate::getweakrefcount(&img), 0);
        assert!(crate::getweakrefs(&img).is_empty());
    }

    #[test]
    fn a_finalizer_runs_once_at_death_and_leaves_the_registry() {
        let img = Obj::new(Image);
        let (tx, rx) = std::sync::mpsc::channel();
        let f = finalize(&img, move |x: u32| tx.send(x).unwrap(), 7);
        let index = f.state.index;
        assert!(registry().contains_key(&index));
        drop(img);
        assert_eq!(rx.try_recv(), Ok(7));
        assert!(rx.try_recv().is_err());
        assert!(!registry().contains_key(&index));
        assert!(!f.is_alive() && f.call().is_none());
    }

    #[test]
    fn a_handle_is_not_needed() {
        let img = Obj::new(Image);
        let (tx, rx) = std::sync::mpsc::channel();
        drop(finalize(&img, move |()| tx.send(()).unwrap(), ()));
        drop(img);
        assert_eq!(rx.try_recv(), Ok(()));
    }
}
