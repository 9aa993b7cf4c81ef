//! Reporting panics that nobody can catch: Python's "Exception ignored in"
//! and `sys.unraisablehook`.
//!
//! Without the `std` feature nothing is caught (core cannot catch a
//! panic): a panic in a death callback or a finalizer aborts the process
//! instead, so the hook, which still exists so that code setting it builds
//! either way, is never called, and there is no stderr for a default report.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;
use core::fmt;
#[cfg(feature = "std")]
use std::io::Write;

use crate::rt::catch_unwind;

/// A hook installed by [`set_unraisable_hook`], as [`take_unraisable_hook`]
/// returns it.
pub type UnraisableHook = Arc<dyn Fn(&Unraisable<'_>) + Send + Sync + 'static>;

#[cfg(feature = "std")]
static HOOK: std::sync::RwLock<Option<UnraisableHook>> = std::sync::RwLock::new(None);
#[cfg(not(feature = "std"))]
static HOOK: crate::rt::spin_mutex::Mutex<Option<UnraisableHook>> =
    crate::rt::spin_mutex::Mutex::new(None);

/// The hook set now, if any (a clone, to run without the lock).
fn current_hook() -> Option<UnraisableHook> {
    #[cfg(feature = "std")]
    return HOOK.read().unwrap_or_else(|e| e.into_inner()).clone();
    #[cfg(not(feature = "std"))]
    return HOOK.lock().clone();
}

/// Sets the hook to `new`, and returns the one it replaces, to be dropped
/// after the lock is let go.
fn replace_hook(new: Option<UnraisableHook>) -> Option<UnraisableHook> {
    #[cfg(feature = "std")]
    let mut hook = HOOK.write().unwrap_or_else(|e| e.into_inner());
    #[cfg(not(feature = "std"))]
    let mut hook = HOOK.lock();
    core::mem::replace(&mut *hook, new)
}

/// A panic caught where no caller could receive it: in a death callback,
/// or in a finalizer run at exit. Python calls these "unraisable".
///
/// The [hook](set_unraisable_hook) receives one; its `Display` is the
/// default report.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use weakable::{set_unraisable_hook, take_unraisable_hook, Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// set_unraisable_hook(move |u| {
///     sink.lock().unwrap().push((u.what(), u.type_name(), u.message().map(String::from)));
/// });
/// let o = Obj::new(Image);
/// let _r = Ref::with_callback(&o, |_| panic!("boom"));
/// drop(o); // the panic is caught and handed to the hook
/// take_unraisable_hook();
/// assert_eq!(
///     *seen.lock().unwrap(),
///     [("weakref callback", "Image", Some("boom".to_string()))]
/// );
/// ```
pub struct Unraisable<'a> {
    what: &'static str,
    type_name: &'static str,
    payload: &'a (dyn Any + Send),
}

impl<'a> Unraisable<'a> {
    /// What panicked: `"weakref callback"`, `"weakproxy callback"`,
    /// `"finalizer"`, ...
    ///
    /// # Examples
    ///
    /// See [`Unraisable`].
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The type name of the object whose death (or finalizer) it was, as
    /// [`Weakable::NAME`](crate::Weakable::NAME) gives it.
    ///
    /// # Examples
    ///
    /// See [`Unraisable`].
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The panic's payload, as `catch_unwind` returns it.
    ///
    /// # Examples
    ///
    /// See [`Unraisable`].
    pub fn payload(&self) -> &'a (dyn Any + Send) {
        self.payload
    }

    /// The panic message, when the payload is a string (as `panic!` makes).
    ///
    /// # Examples
    ///
    /// See [`Unraisable`].
    pub fn message(&self) -> Option<&'a str> {
        message_of(self.payload)
    }
}

/// The message of a panic payload, when it is a string (as `panic!` makes).
fn message_of(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some(s)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}

impl fmt::Display for Unraisable<'_> {
    /// The default report: `Exception ignored in: weakref callback for
    /// 'Image' object`, then `panicked: <message>` on the next line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Exception ignored in: {} for '{}' object\npanicked: {}",
            self.what,
            self.type_name,
            self.message().unwrap_or("Box<dyn Any>")
        )
    }
}

impl fmt::Debug for Unraisable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unraisable")
            .field("what", &self.what)
            .field("type_name", &self.type_name)
            .field("message", &self.message())
            .finish()
    }
}

/// Replaces what happens to a panic caught in a death callback or a
/// finalizer, Python's `sys.unraisablehook`. The default writes the
/// [`Unraisable`]'s `Display` to stderr.
///
/// The hook runs on the thread where the panic was caught, with no lock of
/// this crate held.
///
/// Nothing the hook does lets a panic out of the report, so a report never
/// stops the other callbacks of a death from running, nor leaks the object:
/// - a hook that panics is itself reported, to stderr (never to the hook
///   again, which could recurse without end), below the report it was
///   given: `(the unraisable hook panicked while reporting it: <message>)`;
/// - a panic payload whose own `Drop` panics (the hook's, a callback's, a
///   finalizer's) is reported to stderr as `Exception ignored in: dropping
///   a panic payload`, and the payload of that panic is dropped the same way
///   in turn;
/// - a hook replaced while it runs is dropped after it returns, and a
///   panic in its captures' `Drop` is reported to stderr as `Exception
///   ignored in: dropping the unraisable hook`.
///
/// The hook this replaces is dropped after the hook's lock is released, so
/// its captures' `Drop` may report, or set a hook, without deadlocking.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use weakable::{set_unraisable_hook, take_unraisable_hook, Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let count = Arc::new(AtomicUsize::new(0));
/// let c = count.clone();
/// set_unraisable_hook(move |_| {
///     c.fetch_add(1, Ordering::SeqCst);
/// });
/// let o = Obj::new(Image);
/// let _a = Ref::with_callback(&o, |_| panic!("first"));
/// let _b = Ref::with_callback(&o, |_| panic!("second"));
/// drop(o);
/// take_unraisable_hook();
/// assert_eq!(count.load(Ordering::SeqCst), 2); // both reported, none stopped the other
/// ```
pub fn set_unraisable_hook<F>(hook: F)
where
    F: Fn(&Unraisable<'_>) + Send + Sync + 'static,
{
    let old = replace_hook(Some(Arc::new(hook)));
    // Dropped with the lock released: the old hook's captures are user code,
    // and their `Drop` may report or set a hook, which takes the lock.
    drop(old);
}

/// Restores the default report (to stderr) and returns the hook that was
/// set, if any.
///
/// # Examples
///
/// ```
/// use weakable::{set_unraisable_hook, take_unraisable_hook};
///
/// set_unraisable_hook(|_| {});
/// assert!(take_unraisable_hook().is_some());
/// assert!(take_unraisable_hook().is_none());
/// ```
pub fn take_unraisable_hook() -> Option<UnraisableHook> {
    replace_hook(None)
}

/// Reports a caught panic through the hook. Never panics: every piece of
/// user code it runs or drops (the hook, the payload, the hook's captures,
/// the payload of any panic in those) is guarded, so the caller (a death,
/// the exit handler) carries on whatever they do.
pub(crate) fn report(what: &'static str, type_name: &'static str, payload: Box<dyn Any + Send>) {
    // Clone the hook out so that it runs without the lock: it may set
    // another hook, or trigger another report.
    let hook = current_hook();
    let unraisable = Unraisable {
        what,
        type_name,
        payload: &*payload,
    };
    match &hook {
        Some(hook) => {
            if let Err(hook_panic) = catch_unwind(|| hook(&unraisable)) {
                to_stderr(format_args!(
                    "{unraisable}\n(the unraisable hook panicked while reporting it: {})",
                    message_of(&*hook_panic).unwrap_or("Box<dyn Any>")
                ));
                drop_guarded(hook_panic, "dropping a panic payload");
            }
        }
        None => to_stderr(format_args!("{unraisable}")),
    }
    // If the hook was replaced while it ran, this may be its last handle,
    // and its captures' `Drop` runs here.
    drop_guarded(hook, "dropping the unraisable hook");
    drop_guarded(payload, "dropping a panic payload");
}

/// Drops `value`, letting no panic out: a panic in its `Drop` is written
/// to stderr as `Exception ignored in: <what>`, and that panic's payload is
/// dropped the same way in turn (until one drops quietly: each round is a
/// new panic raised by user code).
fn drop_guarded<T>(value: T, what: &str) {
    let mut dropped = catch_unwind(move || drop(value));
    let mut what = what;
    while let Err(payload) = dropped {
        to_stderr(format_args!(
            "Exception ignored in: {what}\npanicked: {}",
            message_of(&*payload).unwrap_or("Box<dyn Any>")
        ));
        what = "dropping a panic payload";
        dropped = catch_unwind(move || drop(payload));
    }
}

/// Writes a report line to stderr, ignoring a failure to (there is nobody
/// to tell). Without std there is no stderr, and nothing is ever caught
/// to report.
fn to_stderr(report: fmt::Arguments<'_>) {
    #[cfg(feature = "std")]
    let _ = writeln!(std::io::stderr(), "{report}");
    #[cfg(not(feature = "std"))]
    let _ = report;
}

#[cfg(all(test, feature = "std"))]
pub(crate) mod tests {
    use std::sync::Mutex;

    /// Serialises the unit tests that replace the process-wide hook.
    pub(crate) static HOOK_LOCK: Mutex<()> = Mutex::new(());
}
