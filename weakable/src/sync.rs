//! The synchronisation primitives the concurrent core uses, in one place so
//! that a model checker's can be swapped in: built with `--cfg loom`, the
//! atomics, the collections' mutex, the node cells and the spin loop are
//! [loom]'s, which explores every interleaving of a small test
//! (`weakable/tests/loom.rs`) and checks each access to a cell against the
//! memory model.
//!
//! [loom]: https://docs.rs/loom

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

/// A mutex that ignores poisoning: the collections never leave their table
/// inconsistent when a panic unwinds through a holder (no user code runs
/// between a table change and its bookkeeping), so a panic elsewhere must
/// not make the collection unusable.
pub(crate) struct Mutex<T>(mutex_impl::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(mutex_impl::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The guard, or `None` if another holder has it now.
    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
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
}
