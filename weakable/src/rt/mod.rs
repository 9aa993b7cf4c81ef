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
//!   parking ([`Mutex`], [`Condvar`]) and the queued-eviction flag (a
//!   borrow flag in the unsync flavour);
//! - [`spin_wait`], and [`thread_token`], which tells threads apart;
//! - std-only: [`Arc`]/[`Weak`] (the sync collections' shared state;
//!   the unsync ones use `Rc`, see `Flavor::Shared`),
//!   [`catch_unwind`] (a panicking callback is reported, not propagated)
//!   and [`exit::at_exit`] (the exit-time finalizers).
//!
//! Built with `--cfg loom`, the atomics, the mutex and condition variable,
//! the cells and the spin loop are [loom]'s, which explores every
//! interleaving of a small test (`weakable/tests/loom.rs`) and checks each
//! access to a cell against the memory model.
//!
//! [loom]: https://docs.rs/loom

mod count;
pub(crate) mod exit;
pub(crate) mod flavor;
pub(crate) mod ptr_lock;
pub(crate) mod table_lock;

pub(crate) use count::Count;

/// The shared pointer the collections' handles and their evictors hold.
pub(crate) use std::sync::{Arc, Weak};

/// Runs `f`, catching a panic (std's unwinding), for the death path's
/// callbacks: a panic in one is reported and does not stop the others.
pub(crate) use std::panic::catch_unwind;

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

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
pub(crate) fn thread_token() -> usize {
    // Under loom every modelled thread runs on the test's one OS thread, so
    // the thread-local must be loom's.
    #[cfg(not(loom))]
    std::thread_local! {
        static TOKEN: u8 = const { 0 };
    }
    #[cfg(loom)]
    loom::thread_local! {
        static TOKEN: u8 = 0;
    }
    TOKEN.with(|token| core::ptr::from_ref(token).addr())
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
            std::thread::yield_now();
        }
    }
}

#[cfg(loom)]
use loom::sync as mutex_impl;
#[cfg(not(loom))]
use std::sync as mutex_impl;

pub(crate) use mutex_impl::MutexGuard;

/// A mutex that ignores poisoning: the sync flavour's `Flavor::Lock` (the
/// collections' eviction queue, a finalizer's or a `WeakMethod`'s state)
/// and the table lock's sleepers. A panic under one (in `Finalizer::peek`'s
/// clones, the only user code that runs under one) leaves its state as
/// consistent as it found it, so it must not make the holder unusable.
// `pub` (in this private module, so still unnameable outside the crate):
// it is the sync flavour's `Flavor::Lock`, a public trait's associated type.
#[allow(unreachable_pub)]
pub struct Mutex<T>(mutex_impl::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(mutex_impl::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A condition variable for [`Mutex`], which ignores poisoning as it does.
pub(crate) struct Condvar(mutex_impl::Condvar);

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
pub(crate) struct Cell<T>(
    #[cfg(not(loom))] core::cell::UnsafeCell<T>,
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
);

impl<T> Cell<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(loom))]
        return Cell(core::cell::UnsafeCell::new(value));
        #[cfg(loom)]
        return Cell(loom::cell::UnsafeCell::new(value));
    }

    /// A pointer to the contents, for one exclusive access (read or write).
    #[inline]
    pub(crate) fn get(&self) -> *mut T {
        #[cfg(not(loom))]
        return self.0.get();
        #[cfg(loom)]
        return self.0.with_mut(|p| p);
    }

    /// A pointer to the contents, for one read that may overlap other
    /// reads (loom checks it against writes only).
    #[inline]
    pub(crate) fn get_shared(&self) -> *const T {
        #[cfg(not(loom))]
        return self.0.get();
        #[cfg(loom)]
        return self.0.with(|p| p);
    }
}
