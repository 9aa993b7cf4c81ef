//! Without std: the sync flavour's mutex is a spin lock (its critical
//! sections are a push, a take, or a finalizer's clones), with the shape
//! of `std::sync`'s `Mutex` and `MutexGuard` that `rt::Mutex` wraps.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};

use crate::rt::spin_wait;

#[allow(unreachable_pub)]
pub struct Mutex<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and a guard exists
// only while its thread holds `locked` (taken with an Acquire exchange,
// let go with a Release store), so one thread at a time reaches it, in
// order: `T: Send` is enough, as for `std::sync::Mutex`.
unsafe impl<T: Send> Sync for Mutex<T> {}

/// The lock of a [`Mutex`], held until dropped.
#[allow(unreachable_pub)]
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Mutex {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Spins until the lock is free, then takes it. Never poisoned: a
    /// panic under the lock unlocks it as the guard drops.
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        let mut spins = 0;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while self.locked.load(Ordering::Relaxed) {
                spin_wait(&mut spins);
            }
        }
        MutexGuard { mutex: self }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock (see the `Sync` impl), and the
        // borrow cannot outlive it.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`, and `&mut self` makes this the one borrow.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.locked.store(false, Ordering::Release);
    }
}
