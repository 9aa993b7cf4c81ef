//! The report path against hostile user code (issue 18): an unraisable hook
//! that panics with a payload whose `Drop` panics, a hook whose captures
//! panic when its last handle goes mid-report, and a hook whose captures
//! use the hook when it is replaced. None of them may skip a callback, leak
//! the object or let a panic out of `drop(obj)`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use weakable::{set_unraisable_hook, take_unraisable_hook, Obj, Ref, Weakable};
use weakable_tests::{hook_lock, DropCounter, DropToken};

#[derive(Weakable)]
struct Holder(#[allow(dead_code)] DropToken);

/// Panics when dropped.
struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

type Log = Arc<Mutex<Vec<&'static str>>>;

/// An object with three callbacks, the middle one panicking (so that its
/// death reports once); the others log their name.
fn object_with_a_panicking_callback(
    drops: &DropCounter,
    log: &Log,
) -> (Obj<Holder>, Vec<Ref<Holder>>) {
    let o = Obj::new(Holder(drops.token()));
    let logger = |name: &'static str| {
        let log = log.clone();
        move |_: &Ref<Holder>| log.lock().unwrap().push(name)
    };
    let refs = vec![
        Ref::with_callback(&o, logger("first")),
        Ref::with_callback(&o, |_| panic!("callback")),
        Ref::with_callback(&o, logger("last")),
    ];
    (o, refs)
}

/// Drops `o` and checks that no panic came out, that every callback ran and
/// that the value was dropped.
fn dies_cleanly(o: Obj<Holder>, drops: &DropCounter, log: &Log) {
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(o)));
    assert!(dropped.is_ok(), "a panic escaped drop(obj)");
    assert_eq!(
        *log.lock().unwrap(),
        ["last", "first"],
        "a callback was skipped"
    );
    assert_eq!(drops.count(), 1, "the value was not dropped");
}

#[test]
fn a_hook_panicking_with_a_payload_whose_drop_panics() {
    let _serial = hook_lock();
    set_unraisable_hook(|_| std::panic::panic_any(PanicsOnDrop("payload drop")));
    let drops = DropCounter::new();
    let log = Log::default();
    let (o, refs) = object_with_a_panicking_callback(&drops, &log);
    let dropped = catch_unwind(AssertUnwindSafe(|| dies_cleanly(o, &drops, &log)));
    take_unraisable_hook();
    if let Err(payload) = dropped {
        std::panic::resume_unwind(payload);
    }
    assert!(refs.iter().all(|r| !r.is_alive()));
}

#[test]
fn a_hook_whose_last_handle_goes_mid_report_and_panics_in_drop() {
    let _serial = hook_lock();
    let captured = PanicsOnDrop("hook capture drop");
    set_unraisable_hook(move |_| {
        let _ = &captured;
        // Unset itself: the report's own handle is now the last one.
        take_unraisable_hook();
    });
    let drops = DropCounter::new();
    let log = Log::default();
    let (o, _refs) = object_with_a_panicking_callback(&drops, &log);
    let dropped = catch_unwind(AssertUnwindSafe(|| dies_cleanly(o, &drops, &log)));
    take_unraisable_hook();
    if let Err(payload) = dropped {
        std::panic::resume_unwind(payload);
    }
}

/// Unsets the hook when dropped, which takes the hook's lock.
struct UnsetsTheHook(mpsc::Sender<()>);

impl Drop for UnsetsTheHook {
    fn drop(&mut self) {
        take_unraisable_hook();
        let _ = self.0.send(());
    }
}

#[test]
fn the_replaced_hook_is_dropped_after_the_lock_is_released() {
    let _serial = hook_lock();
    let (tx, rx) = mpsc::channel();
    let captured = UnsetsTheHook(tx);
    set_unraisable_hook(move |_| {
        let _ = &captured;
    });
    // Replacing it drops it, and its capture takes the lock again: a
    // deadlock if it is still held. On a thread of its own, so that a
    // deadlock fails the test instead of hanging it.
    std::thread::spawn(|| set_unraisable_hook(|_| {}));
    let unset = rx.recv_timeout(Duration::from_secs(20));
    assert!(
        unset.is_ok(),
        "deadlocked: the old hook was dropped under the lock"
    );
    take_unraisable_hook();
}
