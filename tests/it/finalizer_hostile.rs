//! Finalizers against hostile user code (issue 18): a `Clone` that panics
//! in `peek` while a `Drop` uses the finalizer, and a finalizer that exits
//! the process while the process is already exiting.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

use weakable::{finalize, Obj, Weakable};

#[derive(Weakable)]
struct Image;

/// Runs `f` on a new thread and returns its result, or `None` if it has
/// not finished after `limit` (a deadlock: the stuck thread is left
/// behind), so that a deadlock fails the test instead of hanging it.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => Some(value),
        Err(mpsc::RecvTimeoutError::Timeout) => None,
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the watched thread panicked"),
    }
}

/// What a [`UsesTheFinalizer`] clone calls when dropped.
type OnDrop = Arc<OnceLock<Box<dyn Fn() + Send + Sync>>>;

/// A value whose clones, when dropped, call back (the original does not).
struct UsesTheFinalizer {
    on_drop: OnDrop,
    is_clone: bool,
}

impl Clone for UsesTheFinalizer {
    fn clone(&self) -> Self {
        UsesTheFinalizer {
            on_drop: self.on_drop.clone(),
            is_clone: true,
        }
    }
}

impl Drop for UsesTheFinalizer {
    fn drop(&mut self) {
        if self.is_clone {
            if let Some(on_drop) = self.on_drop.get() {
                on_drop();
            }
        }
    }
}

/// Arguments whose `Clone` panics.
struct PanicsOnClone;

impl Clone for PanicsOnClone {
    fn clone(&self) -> Self {
        panic!("clone failed");
    }
}

#[test]
fn peek_drops_nothing_under_its_lock_when_a_clone_panics() {
    let img = Obj::new(Image);
    let on_drop: OnDrop = Arc::new(OnceLock::new());
    let probe = UsesTheFinalizer {
        on_drop: on_drop.clone(),
        is_clone: false,
    };
    // `F` is `Clone` (its one capture is), `A::clone` panics: `peek` clones
    // `F` first, then `A`, whose panic drops the clone of `F`.
    let f = finalize(
        &img,
        move |_: PanicsOnClone| {
            let _ = &probe;
        },
        PanicsOnClone,
    );
    let saw_alive = Arc::new(AtomicUsize::new(0));
    {
        let f = f.clone();
        let saw_alive = saw_alive.clone();
        let set = on_drop.set(Box::new(move || {
            // Takes the finalizer's lock: a deadlock if it is still held.
            if f.is_alive() {
                saw_alive.fetch_add(1, Ordering::SeqCst);
            }
        }));
        assert!(set.is_ok());
    }
    let peeker = f.clone();
    let outcome = within(Duration::from_secs(20), move || {
        match catch_unwind(AssertUnwindSafe(|| peeker.peek().is_some())) {
            Ok(_) => (false, None),
            Err(payload) => (true, payload.downcast_ref::<&str>().map(|s| s.to_string())),
        }
    });
    let Some((panicked, message)) = outcome else {
        // The stuck thread holds the finalizer's lock: the object's death
        // (the finalizer runs) would wait for it forever.
        std::mem::forget((img, f));
        panic!("deadlocked: peek dropped the clone of `F` under the finalizer's lock");
    };
    assert!(panicked, "peek let no panic through");
    assert_eq!(message.as_deref(), Some("clone failed"));
    // The clone of `F` was dropped, after the lock was released, and found
    // the finalizer alive: a failed `peek` kills nothing.
    assert_eq!(saw_alive.load(Ordering::SeqCst), 1);
    assert!(f.is_alive());
    // Detaching takes `F` out of the finalizer, which breaks the cycle
    // finalizer → `F` → `on_drop` → finalizer.
    let (obj, func, _args) = f.detach().expect("still alive");
    assert!(Obj::ptr_eq(&obj, &img));
    drop(func); // the original: no call back
    assert_eq!(saw_alive.load(Ordering::SeqCst), 1);
}

/// Makes [`exit_from_an_exit_finalizer_child`] act: `exit` ends the child
/// with `std::process::exit`, `return` by returning from `main`.
const EXIT_CHILD: &str = "WEAKABLE_EXIT_FROM_EXIT_FINALIZER_CHILD";

/// The child process of `exit_from_an_exit_finalizer`: the test binary run
/// again with [`EXIT_CHILD`] set; otherwise it does nothing.
#[test]
fn exit_from_an_exit_finalizer_child() {
    let Ok(mode) = std::env::var(EXIT_CHILD) else {
        return;
    };
    static KEPT: OnceLock<Obj<Image>> = OnceLock::new();
    let kept = KEPT.get_or_init(|| Obj::new(Image));
    // Newest first at exit: `exits` runs before `never`.
    let _never = finalize(kept, |()| println!("never runs"), ());
    let _exits = finalize(
        kept,
        |()| {
            println!("finalizer calls exit");
            std::io::stdout().flush().unwrap();
            std::process::exit(3);
        },
        (),
    );
    std::io::stdout().flush().unwrap();
    if mode == "exit" {
        std::process::exit(0);
    }
}

/// `finalize`'s docs: a finalizer that calls `std::process::exit` at exit
/// makes std abort the process, whichever way it was exiting.
#[test]
#[cfg_attr(miri, ignore = "runs a child process")]
fn exit_from_an_exit_finalizer() {
    let module = module_path!();
    let module = &module[module.find("::").map_or(0, |i| i + 2)..];
    let child = format!("{module}::exit_from_an_exit_finalizer_child");
    for mode in ["exit", "return"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([child.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env(EXIT_CHILD, mode)
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stdout.contains("finalizer calls exit") && !stdout.contains("never runs"),
            "{mode}: {stdout}"
        );
        assert!(
            stderr.contains("std::process::exit called re-entrantly"),
            "{mode}: {stderr}"
        );
        assert!(!out.status.success(), "{mode}: {}", out.status);
        assert_ne!(out.status.code(), Some(3), "{mode}: the inner exit won");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(out.status.signal(), Some(6), "{mode}: not SIGABRT");
        }
    }
}
