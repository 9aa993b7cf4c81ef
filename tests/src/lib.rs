//! Shared helpers for weakable's integration tests (the `it` test binary):
//! drop counters, a lock around the process-global unraisable hook,
//! iteration counts that shrink under Miri, and the smallest executor.
//!
//! The tests themselves live in `tests/it/`: one module per CPython test
//! file (`test_weakref`, …) and `stress`, threaded tests of the core.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use weakable::{set_unraisable_hook, take_unraisable_hook};

/// Counts how many of its [`DropToken`]s were dropped.
///
/// Put a token in a value, a callback closure or a ref's data to check that
/// it is dropped exactly once (no leak, no double drop).
///
/// # Examples
///
/// ```
/// use weakable_tests::DropCounter;
///
/// let drops = DropCounter::new();
/// let token = drops.token();
/// assert_eq!(drops.count(), 0);
/// drop(token);
/// assert_eq!(drops.count(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// A token that adds one to this counter when dropped.
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    /// How many tokens were dropped so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Adds one to its [`DropCounter`] when dropped.
#[derive(Debug)]
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Serialises the tests that set the unraisable hook, which is global to
/// the process while tests run on parallel threads. Prefer
/// [`CaptureUnraisable`], which takes it.
pub static HOOK_LOCK: Mutex<()> = Mutex::new(());

/// Takes [`HOOK_LOCK`], ignoring poison (a failed test must not fail the
/// others).
pub fn hook_lock() -> MutexGuard<'static, ()> {
    HOOK_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One report the unraisable hook received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// [`Unraisable::what`](weakable::Unraisable::what).
    pub what: &'static str,
    /// [`Unraisable::type_name`](weakable::Unraisable::type_name).
    pub type_name: &'static str,
    /// [`Unraisable::message`](weakable::Unraisable::message).
    pub message: Option<String>,
}

/// Records every unraisable report while it lives: holds [`HOOK_LOCK`],
/// sets a recording hook, and restores the default when dropped.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Ref, Weakable};
/// use weakable_tests::CaptureUnraisable;
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let capture = CaptureUnraisable::start();
/// let o = Obj::new(Image);
/// let _r = Ref::with_callback(&o, |_| panic!("boom"));
/// drop(o);
/// assert_eq!(capture.reports()[0].message.as_deref(), Some("boom"));
/// ```
pub struct CaptureUnraisable {
    reports: Arc<Mutex<Vec<Report>>>,
    // Dropped after `Drop::drop` restored the default hook.
    _lock: MutexGuard<'static, ()>,
}

impl CaptureUnraisable {
    /// Takes the hook lock and starts recording.
    pub fn start() -> Self {
        let lock = hook_lock();
        let reports = Arc::new(Mutex::new(Vec::new()));
        let sink = reports.clone();
        set_unraisable_hook(move |u| {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Report {
                    what: u.what(),
                    type_name: u.type_name(),
                    message: u.message().map(String::from),
                });
        });
        CaptureUnraisable {
            reports,
            _lock: lock,
        }
    }

    /// The reports so far.
    pub fn reports(&self) -> Vec<Report> {
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for CaptureUnraisable {
    fn drop(&mut self) {
        take_unraisable_hook();
    }
}

/// `normal`, or `miri` when running under Miri, which is some thousand
/// times slower.
pub const fn scaled(normal: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        normal
    }
}

/// How many times slower than native the tests run: the environment
/// variable `WEAKABLE_TEST_SLOWDOWN`, which the valgrind and
/// ThreadSanitizer scripts set (an instrumented run of a threaded stress
/// test, sharing the machine with other CI jobs, can take minutes), or 1.
fn slowdown() -> u32 {
    std::env::var("WEAKABLE_TEST_SLOWDOWN")
        .ok()
        .and_then(|factor| factor.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Runs `f` on its own thread and fails if it takes longer than `limit`
/// (a deadlock, most likely) instead of hanging the test run; the limit is
/// multiplied by `WEAKABLE_TEST_SLOWDOWN` where that is set (the valgrind
/// and ThreadSanitizer scripts set it). Panics in `f`
/// are passed on. Under Miri it just runs `f`: its clock is too slow to
/// judge by.
pub fn watchdog<F>(limit: Duration, f: F)
where
    F: FnOnce() + Send + 'static,
{
    if cfg!(miri) {
        f();
        return;
    }
    let limit = limit.saturating_mul(slowdown());
    let (done, finished) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    match finished.recv_timeout(limit) {
        Ok(()) => worker.join().expect("the watched thread panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // `f` panicked: rethrow its panic with its payload.
            if let Err(payload) = worker.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("still running after {limit:?}: deadlock or livelock?")
        }
    }
}

/// Polls `f` on this thread, parking between polls, until it is ready: the
/// smallest executor. A wake from any thread (or from inside a poll, on
/// this one) unparks it; `f` need not be `Send`.
///
/// A future that nothing wakes parks this thread for ever: run a test that
/// might do so under [`watchdog`].
///
/// # Examples
///
/// ```
/// use weakable_tests::block_on;
///
/// assert_eq!(block_on(async { 6 * 7 }), 42);
/// ```
pub fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}
