//! The runtime's primitives: every synchronisation primitive and std-only
//! piece the core is built from comes from here, so this is the one seam
//! where a model checker, a single-threaded flavour or `no_std` plugs in.
//!
//! - [`flavor`]: the flavour parameter, which picks the operations below
//!   (atomic read-modify-writes and locks, or plain loads and stores);
//! - atomics and the cells of the nodes (`Cell`), and [`Count`], the
//!   reference count with `Arc`'s orderings;
//! - [`ptr_lock::PtrLock`], the slot's list lock (bit 0 of the head);
//! - [`table_lock::TableLock`], the collections' table lock, with its
//!   parking (std only) and the queued-eviction flag (a borrow flag in the
//!   unsync flavour);
//! - [`Mutex`] (std's, or a spin lock without std), [`spin_wait`],
//!   [`thread_token`] (std only), which tells threads apart,
//!   [`OnceLock`], [`Arc`]/[`Weak`] (the sync collections' shared state;
//!   the unsync ones use `Rc`, see `Flavor::Shared`), and
//!   [`seeded_hasher`], the process-wide hasher of refs and methods;
//! - what only std has: [`catch_unwind`] (a panicking callback is
//!   reported, not propagated; without std it aborts), [`Condvar`] and
//!   [`exit::at_exit`] (the exit-time finalizers).
//!
//! Built with `--cfg loom`, the atomics, the mutex and condition variable,
//! the cells and the spin loop are [loom]'s, which explores every
//! interleaving of a small test (`weakable/tests/loom.rs`) and checks each
//! access to a cell against the memory model.
//!
//! [loom]: https://docs.rs/loom

mod count;
#[cfg(feature = "std")]
pub(crate) mod exit;
pub(crate) mod flavor;
mod once;
pub(crate) mod ptr_lock;
#[cfg(not(feature = "std"))]
pub(crate) mod spin_mutex;
pub(crate) mod table_lock;

pub(crate) use count::Count;
pub(crate) use once::OnceLock;

/// The shared pointer the collections' handles and their evictors hold.
pub(crate) use alloc::sync::{Arc, Weak};

/// A caught panic's payload.
pub(crate) type Payload = alloc::boxed::Box<dyn core::any::Any + Send>;

/// Runs `f`, catching a panic, for the code that runs user code nobody
/// could receive a panic from (death callbacks, finalizers, the unraisable
/// hook): a panic in one is reported and does not stop the others.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn catch_unwind<R>(f: impl FnOnce() -> R) -> Result<R, Payload> {
    std::panic::catch_unwind(core::panic::AssertUnwindSafe(f))
}

/// Runs `f`. Without std a panic cannot be caught: one that unwinds out of
/// `f` (where the panic strategy unwinds at all) aborts the process, by
/// panicking again while it unwinds, rather than leave a death half done.
#[cfg(not(feature = "std"))]
#[inline]
pub(crate) fn catch_unwind<R>(f: impl FnOnce() -> R) -> Result<R, Payload> {
    struct AbortOnUnwind;
    impl Drop for AbortOnUnwind {
        fn drop(&mut self) {
            panic!(
                "a death callback, finalizer or value's `Drop` panicked during a death; \
                 without the `std` feature a panic there cannot be caught and reported, \
                 so the process aborts"
            );
        }
    }
    let guard = AbortOnUnwind;
    let result = f();
    core::mem::forget(guard);
    Ok(result)
}

/// Aborts the process, where continuing would be unsound (a count about
/// to overflow, as `Arc` does). Without std, which has no `abort`, by
/// panicking while a panic unwinds (or at once, where panics abort).
#[cold]
pub(crate) fn abort() -> ! {
    #[cfg(feature = "std")]
    std::process::abort();
    #[cfg(not(feature = "std"))]
    {
        struct PanicAgain;
        impl Drop for PanicAgain {
            fn drop(&mut self) {
                panic!("aborting");
            }
        }
        let _again = PanicAgain;
        panic!("a reference count overflowed");
    }
}

/// The hasher of a process-wide hash (`Ref::try_hash`, a `WeakMethod`'s
/// identity): seeded at random once with std, like Python's string
/// hashing, so hashes cannot be precomputed by an attacker; fixed keys
/// without std, which has no source of randomness (the collections that
/// store these hashes hash them again with their own `BuildHasher`).
#[cfg(feature = "std")]
pub(crate) fn seeded_hasher() -> &'static std::hash::RandomState {
    static HASHER: OnceLock<std::hash::RandomState> = OnceLock::new();
    HASHER.get_or_init(Default::default)
}

/// See the std version.
#[cfg(not(feature = "std"))]
pub(crate) fn seeded_hasher() -> &'static crate::collections::DefaultHashBuilder {
    static HASHER: crate::collections::DefaultHashBuilder = core::hash::BuildHasherDefault::new();
    &HASHER
}

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// A ref's cached hash (`Ref::try_hash`): 64 bits where the target has
/// 64-bit atomics, a word (the hash truncated) where it does not (32-bit
/// microcontrollers).
#[cfg(all(not(loom), target_has_atomic = "64"))]
pub(crate) use core::sync::atomic::AtomicU64 as AtomicHash;
#[cfg(all(not(loom), target_has_atomic = "64"))]
pub(crate) use core::sync::atomic::AtomicU64;
#[cfg(all(loom, target_has_atomic = "64"))]
pub(crate) use loom::sync::atomic::AtomicU64 as AtomicHash;
#[cfg(all(loom, target_has_atomic = "64"))]
pub(crate) use loom::sync::atomic::AtomicU64;
#[cfg(not(target_has_atomic = "64"))]
pub(crate) use AtomicUsize as AtomicHash;
/// What an [`AtomicHash`] holds.
#[cfg(target_has_atomic = "64")]
pub(crate) type HashWord = u64;
/// What an [`AtomicHash`] holds.
#[cfg(not(target_has_atomic = "64"))]
pub(crate) type HashWord = usize;

/// After a `Release` decrement of `count` took it to zero, makes every
/// write that came before the other decrements visible here, as the
/// `Acquire` fence in `Arc::drop` does. An `Acquire` load of the counter
/// itself does the same job at the same cost on the usual targets, and,
/// unlike a fence, ThreadSanitizer understands it.
#[inline]
pub(crate) fn acquire_after_last_release(count: &AtomicUsize) {
    count.load(Ordering::Acquire);
}

/// A number that tells the calling thread from every other thread alive
/// (the address of a thread-local), never 0: how a lock tells its holder's
/// own reentrant use from another thread's, to panic instead of waiting for
/// itself. A thread that has ended may leave its number to a new one.
///
/// `None` without std, which cannot tell threads apart (it has no
/// thread-locals): there a reentrant use waits for ever.
pub(crate) fn thread_token() -> Option<usize> {
    // Under loom every modelled thread runs on the test's one OS thread, so
    // the thread-local must be loom's.
    #[cfg(all(feature = "std", not(loom)))]
    std::thread_local! {
        static TOKEN: u8 = const { 0 };
    }
    #[cfg(loom)]
    loom::thread_local! {
        static TOKEN: u8 = 0;
    }
    #[cfg(any(feature = "std", loom))]
    return Some(TOKEN.with(|token| core::ptr::from_ref(token).addr()));
    #[cfg(not(any(feature = "std", loom)))]
    return None;
}

/// Spins politely while another thread holds a short critical section.
#[inline]
pub(crate) fn spin_wait(spins: &mut u32) {
    #[cfg(loom)]
    {
        // Under loom a spin must hand the (modelled) processor over, or the
        // model would spin forever in one interleaving.
        let _ = spins;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    {
        if *spins < 6 {
            for _ in 0..(1u32 << *spins) {
                core::hint::spin_loop();
            }
            *spins += 1;
        } else {
            #[cfg(feature = "std")]
            std::thread::yield_now();
            // Without std there is no scheduler to hand the core to.
            #[cfg(not(feature = "std"))]
            for _ in 0..(1u32 << *spins) {
                core::hint::spin_loop();
            }
        }
    }
}

#[cfg(loom)]
use loom::sync as mutex_impl;
#[cfg(all(not(loom), not(feature = "std")))]
use spin_mutex as mutex_impl;
#[cfg(all(not(loom), feature = "std"))]
use std::sync as mutex_impl;

pub(crate) use mutex_impl::MutexGuard;

/// A mutex that ignores poisoning: the sync flavour's `Flavor::Lock` (the
/// collections' eviction queue, a finalizer's or a `WeakMethod`'s state)
/// and the table lock's sleepers. A panic under one (in `Finalizer::peek`'s
/// clones, the only user code that runs under one) leaves its state as
/// consistent as it found it, so it must not make the holder unusable.
/// Without std it is a spin lock (every critical section under one is a
/// few instructions but for those clones).
// `pub` (in this private module, so still unnameable outside the crate):
// it is the sync flavour's `Flavor::Lock`, a public trait's associated type.
#[allow(unreachable_pub)]
pub struct Mutex<T>(mutex_impl::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(mutex_impl::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(any(loom, feature = "std"))]
        return self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        #[cfg(not(any(loom, feature = "std")))]
        return self.0.lock();
    }
}

/// A condition variable for [`Mutex`], which ignores poisoning as it does.
// `pub` as `Mutex` is: it is the sync flavour's lock's `Event`.
#[cfg(feature = "std")]
#[allow(unreachable_pub)]
pub struct Condvar(mutex_impl::Condvar);

#[cfg(feature = "std")]
impl Condvar {
    pub(crate) fn new() -> Self {
        Condvar(mutex_impl::Condvar::new())
    }

    /// Unlocks `guard`'s mutex and sleeps until notified (or spuriously
    /// woken), then locks it again.
    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.0
            .wait(guard)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// As [`wait`](Self::wait), for at most `timeout` (under loom, which
    /// does not model time, as long as it takes to be notified).
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: std::time::Duration,
    ) -> MutexGuard<'a, T> {
        match self.0.wait_timeout(guard, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// An `UnsafeCell` whose every access loom checks: under `--cfg loom`,
/// [`get`](Self::get) records an exclusive access at that point of the
/// execution and fails the model if another thread's access to the same
/// cell is not ordered before or after it by a happens-before edge.
pub(crate) struct Cell<T>(RawCell<T>);

#[cfg(loom)]
use loom::cell::UnsafeCell as RawCell;

/// `core`'s `UnsafeCell` with loom's closure-based access, so that
/// [`Cell`] is written once for both (loom's own advice): the closures
/// here only hand the pointer through.
#[cfg(not(loom))]
struct RawCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> RawCell<T> {
    fn new(value: T) -> Self {
        RawCell(core::cell::UnsafeCell::new(value))
    }

    #[inline]
    fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline]
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

impl<T> Cell<T> {
    pub(crate) fn new(value: T) -> Self {
        Cell(RawCell::new(value))
    }

    /// A pointer to the contents, for one exclusive access (read or write).
    #[inline]
    pub(crate) fn get(&self) -> *mut T {
        self.0.with_mut(|p| p)
    }

    /// A pointer to the contents, for one read that may overlap other
    /// reads (loom checks it against writes only).
    #[inline]
    pub(crate) fn get_shared(&self) -> *const T {
        self.0.with(|p| p)
    }
}
