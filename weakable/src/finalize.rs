//! `finalize()` and [`Finalizer`], Python's `weakref.finalize`, with the
//! registry that keeps finalizers alive and runs them at exit.
//!
//! # Design
//!
//! A finalizer's state (the function and its arguments, a [`Ref`] to the
//! object, the `atexit` flag) is shared by its handles through the
//! flavour's shared pointer (`Arc` or `Rc`). A registry, CPython's
//! `finalize._registry`, owns one more pointer to every live finalizer,
//! keyed by its creation index, so a finalizer lives on when all its handles
//! are dropped. The `Ref` carries a death callback that holds the state only
//! weakly (the state owns the `Ref`: a strong pointer back would be a
//! cycle); while the finalizer is alive the registry keeps the state, so the
//! callback always finds it.
//!
//! A finalizer dies exactly once, by whichever comes first: [`call`],
//! [`detach`], the object's death, or the exit runner. Each of them takes
//! the function and arguments out of the state under its lock (a mutex in
//! sync, a `RefCell` in unsync), so only one of them gets them; the winner
//! removes the registry's entry and then, with no lock held, runs the
//! function.
//!
//! The one flavour-specific part is the registry and what "exit" means:
//!
//! - sync: one process-wide registry behind a mutex. At exit, a C `atexit`
//!   handler (registered once, by the first finalizer) runs it.
//! - unsync: one registry per thread, a thread-local (no lock, no atomic
//!   read-modify-write), since an unsync finalizer, like its object, never
//!   leaves the thread that made it. Its exit is that thread's end: a
//!   thread-local guard, armed by the thread's first finalizer, runs it when
//!   the thread's locals are destroyed (the thread returning, or the process
//!   exiting from that thread where the platform destroys the exiting
//!   thread's locals, as glibc does). The registry itself has no destructor,
//!   so finalizers can still reach it while the thread's other locals are
//!   being destroyed.
//!
//! Either way the exit runner runs the registry's live finalizers whose
//! `atexit` flag is set, newest first, starting over from the newest when a
//! finalizer was registered (or re-armed) meanwhile, as CPython's
//! `finalize._exitfunc` does.
//!
//! [`call`]: Finalizer::call
//! [`detach`]: Finalizer::detach

use core::cell::RefCell;
use core::fmt;
use core::mem::ManuallyDrop;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, PoisonError};

use crate::obj::Obj;
use crate::reference::Ref;
use crate::rt::flavor::sealed::{Lock, SharedPtr, WeakPtr as _};
use crate::rt::flavor::{Flavor, Sendable, Shareable, Sync, Unsync};
use crate::traits::WeakRefable;

/// Registers `f(args)` to run when `obj` dies, Python's
/// `weakref.finalize(obj, f, *args)`.
///
/// Needs the `std` feature (on by default; see the crate docs, `no_std`).
///
/// The finalizer runs at most once: when `obj` dies (its last [`Obj`] is
/// dropped), when [`call`](Finalizer::call) is called, or at exit if
/// [`atexit`](Finalizer::atexit) is still set (the default), whichever comes
/// first; [`detach`](Finalizer::detach) cancels it. It stays registered even
/// when every [`Finalizer`] handle is dropped: drop the handle freely if you
/// only want the clean-up.
///
/// `f` takes the arguments as one value (a tuple for several). A closure
/// without arguments goes to `finalize_with(&obj, || ..)` instead
/// ([`sync::finalize_with`](crate::sync::finalize_with),
/// [`unsync::finalize_with`](crate::unsync::finalize_with)), which also
/// boxes it, so that the handle's type, `Finalizer<T>`, names no closure.
///
/// It has the flavour of `obj`, which picks what "exit" means. In the sync
/// flavour it is the process's exit. An unsync finalizer belongs to the
/// thread that made it, as its object does, and its exit is that thread's
/// end, when the thread's locals are destroyed (see
/// [`unsync`'s docs](crate::unsync#finalizers-at-exit)): there its live
/// finalizers with `atexit` set run, newest first, and the others die
/// without running. In the unsync flavour `f` and `args` need not be
/// `Send`.
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
/// [`call`](Finalizer::call)) it exits as usual. An unsync finalizer run at
/// its thread's end is inside that `exit` too when the thread's end is the
/// process's (the thread called [`std::process::exit`], or is the main
/// thread returning from `main`).
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
pub fn finalize<T, C, A, R, F>(obj: &Obj<T, F>, f: C, args: A) -> Finalizer<T, C, A, F>
where
    T: ?Sized + WeakRefable + Shareable<F> + 'static,
    C: FnOnce(A) -> R + Sendable<F> + 'static,
    A: Sendable<F> + 'static,
    F: Flavor,
{
    arm_exit_runner::<F>();
    let index = with_registry::<F, _>(|r| {
        r.next_index += 1;
        r.next_index
    });
    let state = F::Shared::<State<T, C, A, F>>::new_cyclic(|weak| {
        let weak = weak.clone();
        // In the sync flavour this closure is `Send`, as `Ref::attach` asks
        // (checked by `parts_are_send`): it holds a weak `State`.
        let obj_ref = Ref::attach(obj, (), move |_: &Ref<T, (), F>| {
            // The registry keeps the state while the finalizer is alive; if
            // it is gone, so is the finalizer, and there is nothing to do.
            if let Some(state) = weak.upgrade() {
                state.run_reporting();
            }
        });
        State {
            index,
            type_name: Obj::type_name(obj),
            armed: Lock::new(Some(Armed {
                obj: obj_ref,
                f,
                args,
            })),
            atexit: AtomicBool::new(true),
        }
    });
    let entry: Box<dyn Entry> = Box::new(Registered::<T, C, A, F>(state.clone()));
    with_registry::<F, _>(|r| {
        r.entries.insert(index, entry);
        r.dirty = true;
    });
    Finalizer { state }
}

/// A handle to a finalizer registered by [`finalize()`], Python's
/// `weakref.finalize` object.
///
/// Needs the `std` feature (on by default; see the crate docs, `no_std`).
///
/// Clones share one finalizer, and every method takes `&self`. Dropping the
/// handles does not cancel it; [`detach`](Finalizer::detach) does. The type
/// parameters are the object's type, the function's, the arguments' and the
/// flavour's (by default sync: `weakable::Finalizer`). To store a handle in
/// a struct, name the function type: a function pointer (`fn(PathBuf) ->
/// io::Result<()>`), or a box, which is what `finalize_with(&obj, || ..)`
/// makes: its handle is `weakable::Finalizer<T>` (`sync::Finalizer<T>`,
/// `unsync::Finalizer<T>`), whose function and argument types default to
/// that box ([`sync::FinalizerFn`](crate::sync::FinalizerFn)) and `()`.
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
pub struct Finalizer<T: ?Sized, C, A, F: Flavor = Sync> {
    state: F::Shared<State<T, C, A, F>>,
}

/// What a finalizer's handles and the registry share.
struct State<T: ?Sized, C, A, F: Flavor> {
    /// Creation order: the registry's key.
    index: u64,
    type_name: &'static str,
    /// Invariant: `Some` exactly while the finalizer is alive, and then the
    /// registry holds this state under `index` (or the exit runner, which
    /// took it out of the registry, is about to run it). Whoever takes it
    /// out removes the registry entry. No user code runs under this lock
    /// except `C::clone` and `A::clone` in `peek`, and nothing user-written
    /// is dropped under it.
    armed: ArmedCell<T, C, A, F>,
    /// Loads and stores only, in both flavours.
    atexit: AtomicBool,
}

/// A live finalizer's parts. The ref lives only as long as the finalizer:
/// once it is called or detached, `getweakrefcount` no longer counts it, as
/// in CPython, whose registry entry holds the finalizer's weakref.
struct Armed<T: ?Sized, C, A, F: Flavor> {
    /// The object, with the death callback that runs the finalizer.
    obj: Ref<T, (), F>,
    f: C,
    args: A,
}

/// The flavour's lock around a finalizer's parts, and its guard.
type ArmedCell<T, C, A, F> = <F as Flavor>::Lock<Option<Armed<T, C, A, F>>>;
type ArmedGuard<'a, T, C, A, F> =
    <ArmedCell<T, C, A, F> as Lock<Option<Armed<T, C, A, F>>>>::Guard<'a>;

// Never called: type-checking it is the check that, in the sync flavour,
// `finalize`'s bounds make the registry's entry `Send` (the sync registry's
// `Send` relies on it) and the death callback's weak pointer `Send` (what
// `Ref::attach` asks).
#[allow(dead_code)]
fn parts_are_send<T: ?Sized + Send + core::marker::Sync, C: Send, A: Send>() {
    fn send<V: Send>() {}
    send::<Registered<T, C, A, Sync>>();
    send::<<crate::rt::Arc<State<T, C, A, Sync>> as SharedPtr<_>>::Weak>();
}

impl<T: ?Sized, C, A, F: Flavor> State<T, C, A, F> {
    fn armed(&self) -> ArmedGuard<'_, T, C, A, F> {
        self.armed.lock()
    }

    /// The object, if the finalizer is alive and the object too.
    fn object(&self) -> Option<Obj<T, F>> {
        self.armed().as_ref()?.obj.upgrade()
    }

    /// Kills the finalizer, handing back its parts if it was alive.
    fn take(&self) -> Option<Armed<T, C, A, F>> {
        self.take_locked(self.armed())
    }

    /// As [`take`](Self::take), with the lock already held; unlocks.
    fn take_locked(&self, mut armed: ArmedGuard<'_, T, C, A, F>) -> Option<Armed<T, C, A, F>> {
        let taken = armed.take();
        drop(armed);
        if taken.is_some() {
            // Dropped after the registry is let go.
            let _entry = with_registry::<F, _>(|r| r.entries.remove(&self.index));
        }
        taken
    }

    fn is_alive(&self) -> bool {
        self.armed().is_some()
    }

    /// Runs it if alive, catching and reporting a panic.
    fn run_reporting<R>(&self)
    where
        C: FnOnce(A) -> R,
    {
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

/// A registry's entry: one more pointer to a live finalizer's state.
struct Registered<T: ?Sized, C, A, F: Flavor>(F::Shared<State<T, C, A, F>>);

/// A registered finalizer, its types erased.
trait Entry {
    /// Its `atexit` flag.
    fn atexit(&self) -> bool;
    /// Runs it if alive, catching and reporting a panic.
    fn run_reporting(&self);
    /// Kills it without running it, if alive: its parts are dropped, and a
    /// panic in their `Drop` is reported.
    fn discard_reporting(&self);
}

impl<T: ?Sized, C, A, R, F: Flavor> Entry for Registered<T, C, A, F>
where
    C: FnOnce(A) -> R,
{
    fn atexit(&self) -> bool {
        self.0.atexit.load(Ordering::Acquire)
    }

    fn run_reporting(&self) {
        self.0.run_reporting();
    }

    fn discard_reporting(&self) {
        if let Some(parts) = self.0.take() {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(parts))) {
                crate::unraisable::report("finalizer", self.0.type_name, payload);
            }
        }
    }
}

impl<T, C, A, R, F> Finalizer<T, C, A, F>
where
    T: ?Sized + WeakRefable + Shareable<F> + 'static,
    C: FnOnce(A) -> R + Sendable<F> + 'static,
    A: Sendable<F> + 'static,
    F: Flavor,
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
    pub fn new(obj: &Obj<T, F>, f: C, args: A) -> Finalizer<T, C, A, F> {
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
    pub fn detach(&self) -> Option<(Obj<T, F>, C, A)> {
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
    /// `C::clone` and `A::clone` (the function's and the arguments') run
    /// under that lock and must not use this finalizer: in the sync flavour
    /// that deadlocks, in the unsync one (whose lock is a `RefCell`) it
    /// panics. (Closures are `Clone` when their captures are; a function
    /// pointer always is.) Nothing is dropped under it: if `A::clone`
    /// panics, the clone of the function already made is dropped after the
    /// lock is released, so its `Drop` may use the finalizer; the panic then
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
    pub fn peek(&self) -> Option<(Obj<T, F>, C, A)>
    where
        C: Clone,
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

impl<T: ?Sized, C, A, F: Flavor> Finalizer<T, C, A, F> {
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

    /// Whether the finalizer runs at exit if it is still alive then,
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

    /// Sets whether the finalizer runs at exit; does nothing once it is
    /// dead. Python's `f.atexit = value`.
    ///
    /// At exit (sync flavour: the process's, `main` returning or
    /// [`std::process::exit`]; unsync: the end of the finalizer's thread),
    /// every live finalizer whose flag is set runs, newest first; one created
    /// meanwhile (by another finalizer) runs too, next. A panic is reported
    /// through the [unraisable hook](crate::set_unraisable_hook) and the
    /// others still run. Finalizers left with the flag unset never run: the
    /// process ends, or, in unsync, they die with their thread, their
    /// function and arguments dropped. (Sync finalizers do not run at exit
    /// under Miri, which cannot register an exit handler; unsync ones do.) A
    /// finalizer must not call [`std::process::exit`] at exit: see
    /// [`finalize()`].
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
                with_registry::<F, _>(|r| r.dirty = true);
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
        SharedPtr::ptr_eq(&this.state, &other.state)
    }
}

impl<T: ?Sized, C, A, F: Flavor> Clone for Finalizer<T, C, A, F> {
    /// Another handle to the same finalizer.
    fn clone(&self) -> Self {
        Finalizer {
            state: self.state.clone(),
        }
    }
}

impl<T: ?Sized, C, A, F: Flavor> fmt::Debug for Finalizer<T, C, A, F> {
    /// CPython's repr: `<finalize object at 0x..; for 'Image' at 0x..>`, or
    /// `<finalize object at 0x..; dead>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = SharedPtr::addr(&self.state);
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

/// The live finalizers of a flavour by creation index: CPython's
/// `finalize._registry`. Only the registry's own operations run on it,
/// never user code (entries leave it before they are dropped), so it is
/// never reached twice at once from one thread.
struct Registry {
    entries: BTreeMap<u64, Box<dyn Entry>>,
    /// The last index given out.
    next_index: u64,
    /// Set when a finalizer is registered (or re-armed for exit), so that
    /// the exit runner starts over from the newest.
    dirty: bool,
}

// SAFETY: only the sync registry is ever reached from several threads (the
// unsync one is a thread-local), and `with_registry` puts in it only
// entries made by `finalize::<.., Sync>`: `Registered<T, C, A, Sync>` with
// `T: Send + Sync`, `C: Send` and `A: Send` (`finalize`'s bounds), which
// is `Send` (`parts_are_send`).
unsafe impl Send for Registry {}

impl Registry {
    const fn new() -> Registry {
        Registry {
            entries: BTreeMap::new(),
            next_index: 0,
            dirty: false,
        }
    }
}

/// The sync flavour's registry, for the whole process.
static SYNC_REGISTRY: Mutex<Registry> = Mutex::new(Registry::new());

thread_local! {
    /// The unsync flavour's registry: one per thread. It has no destructor
    /// (`ManuallyDrop`), so finalizers reach it even while the thread's
    /// locals are being destroyed; [`ThreadExit`] empties it.
    static UNSYNC_REGISTRY: ManuallyDrop<RefCell<Registry>> =
        const { ManuallyDrop::new(RefCell::new(Registry::new())) };
    /// Runs the unsync finalizers of the thread when its locals are
    /// destroyed; armed (first reached) by its first finalizer.
    static THREAD_EXIT: ThreadExit = const { ThreadExit };
}

/// Runs `f` on flavour `F`'s registry: the process's, under its mutex, or
/// this thread's.
fn with_registry<F: Flavor, V>(f: impl FnOnce(&mut Registry) -> V) -> V {
    if F::THREADED {
        // Never user code under this lock, so a poisoned lock still holds a
        // consistent map.
        f(&mut SYNC_REGISTRY.lock().unwrap_or_else(PoisonError::into_inner))
    } else {
        UNSYNC_REGISTRY.with(|r| f(&mut r.borrow_mut()))
    }
}

/// Makes sure flavour `F`'s registry is run at its exit: registers
/// [`exit_handler`] with the C runtime once (sync), or arms this thread's
/// [`ThreadExit`] (unsync).
fn arm_exit_runner<F: Flavor>() {
    if !F::THREADED {
        // Fails only while the thread's locals are being destroyed: its
        // exit has come, and a finalizer made now runs at its object's death
        // or not at all.
        let _ = THREAD_EXIT.try_with(|_| {});
        return;
    }
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
    if let Err(payload) = catch_unwind(run_atexit_finalizers::<Sync>) {
        crate::unraisable::report("finalizer exit handler", "finalize", payload);
    }
}

/// The unsync flavour's exit: when a thread's locals are destroyed, its
/// live finalizers marked for exit run, and then the others die without
/// running (their function and arguments are dropped), so that nothing
/// of the thread's finalizers outlives it.
struct ThreadExit;

impl Drop for ThreadExit {
    fn drop(&mut self) {
        // A panic must not leave a thread-local destructor (it would abort).
        let result = catch_unwind(|| loop {
            run_atexit_finalizers::<Unsync>();
            let rest = with_registry::<Unsync, _>(|r| core::mem::take(&mut r.entries));
            if rest.is_empty() {
                break;
            }
            // Newest first, as at death; dropping them may register more.
            for entry in rest.into_values().rev() {
                entry.discard_reporting();
            }
        });
        if let Err(payload) = result {
            crate::unraisable::report("finalizer exit handler", "finalize", payload);
        }
    }
}

/// Runs flavour `F`'s live finalizers marked for exit, newest first, as
/// CPython's `finalize._exitfunc`: whenever a finalizer was registered (or
/// re-armed) meanwhile it starts over from the newest, so one created by
/// another finalizer runs next.
fn run_atexit_finalizers<F: Flavor>() {
    // Only entries older than this are left to look at.
    let mut below = None;
    loop {
        let next = with_registry::<F, _>(|r| {
            if core::mem::take(&mut r.dirty) {
                below = None;
            }
            let older = match below {
                None => r.entries.range(..),
                Some(index) => r.entries.range(..index),
            };
            let (&index, _) = older.rev().find(|(_, entry)| entry.atexit())?;
            // Out of the registry before it runs, outside the lock; whoever
            // kills it first (this, `call`, `detach`, the death) runs it.
            Some((index, r.entries.remove(&index)?))
        });
        let Some((index, entry)) = next else {
            break;
        };
        below = Some(index);
        entry.run_reporting();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Weakable;

    #[derive(Weakable)]
    struct Image;

    crate::test_util::in_both_flavours! {
        #[test]
        fn a_called_or_detached_finalizer_lets_go_of_its_ref() {
            // As CPython: the finalizer's weakref lives in its registry entry.
            let img = flavour::Obj::new(Image);
            let called = flavour::finalize(&img, drop, ());
            let detached = flavour::finalize(&img, drop, ());
            assert_eq!(flavour::getweakrefcount(&img), 2);
            assert_eq!(called.call(), Some(()));
            assert_eq!(flavour::getweakrefcount(&img), 1);
            assert!(detached.detach().is_some());
            assert_eq!(flavour::getweakrefcount(&img), 0);
            assert!(flavour::getweakrefs(&img).is_empty());
        }

        #[test]
        fn a_finalizer_runs_once_at_death_and_leaves_the_registry() {
            let img = flavour::Obj::new(Image);
            let (tx, rx) = std::sync::mpsc::channel();
            let f = flavour::finalize(&img, move |x: u32| tx.send(x).unwrap(), 7);
            let index = f.state.index;
            let registered = || with_registry::<Flavour, _>(|r| r.entries.contains_key(&index));
            assert!(registered());
            drop(img);
            assert_eq!(rx.try_recv(), Ok(7));
            assert!(rx.try_recv().is_err());
            assert!(!registered());
            assert!(!f.is_alive() && f.call().is_none());
        }

        #[test]
        fn a_handle_is_not_needed() {
            let img = flavour::Obj::new(Image);
            let (tx, rx) = std::sync::mpsc::channel();
            drop(flavour::finalize(&img, move |()| tx.send(()).unwrap(), ()));
            drop(img);
            assert_eq!(rx.try_recv(), Ok(()));
        }
    }
}
