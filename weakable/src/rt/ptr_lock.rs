//! A pointer whose bit 0 is a lock: the `__weakref__` slot's list head,
//! held only for a few pointer writes (never while allocating, never while
//! user code runs), so waiters spin. In the unsync flavour nobody can be
//! waiting, so locking is a load and unlocking a store.

use core::marker::PhantomData;
use core::ptr;

use super::flavor::Flavor;
use super::{spin_wait, AtomicPtr, Ordering};

const LOCKED: usize = 1;

/// A `*mut T` (to a type aligned to 2 or more) with a lock in bit 0.
pub(crate) struct PtrLock<T> {
    // Invariant: while unlocked, the pointer is the true value.
    word: AtomicPtr<T>,
}

/// The locked pointer: `ptr` is its value; dropping the guard publishes
/// `ptr` and unlocks.
pub(crate) struct PtrGuard<'a, T, F: Flavor> {
    lock: &'a PtrLock<T>,
    pub(crate) ptr: *mut T,
    _flavor: PhantomData<F>,
}

impl<T> PtrLock<T> {
    pub(crate) fn new() -> Self {
        const { assert!(core::mem::align_of::<T>() > LOCKED) };
        PtrLock {
            word: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Whether the pointer is null and unlocked, with everything published
    /// by the last unlock visible (Acquire).
    #[inline]
    pub(crate) fn is_null(&self) -> bool {
        self.word.load(Ordering::Acquire).is_null()
    }

    pub(crate) fn lock<F: Flavor>(&self) -> PtrGuard<'_, T, F> {
        let mut spins = 0;
        let mut cur = self.word.load(Ordering::Relaxed);
        if !F::THREADED {
            // The list is never locked while user code runs, and only this
            // thread reaches an unsync object: it cannot be locked now.
            debug_assert!(cur.addr() & LOCKED == 0, "an unsync slot list is locked");
            return PtrGuard {
                lock: self,
                ptr: cur,
                _flavor: PhantomData,
            };
        }
        loop {
            if cur.addr() & LOCKED == 0 {
                match self.word.compare_exchange_weak(
                    cur,
                    cur.map_addr(|a| a | LOCKED),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    // Take the value from what the exchange read, not from
                    // `cur`: the two have the same address, but `cur` may be
                    // a stale load of an allocation freed since, whose
                    // address a new one reused (ABA), and only the value in
                    // memory carries the live allocation's provenance.
                    Ok(ptr) => {
                        return PtrGuard {
                            lock: self,
                            ptr,
                            _flavor: PhantomData,
                        }
                    }
                    Err(actual) => cur = actual,
                }
            } else {
                spin_wait(&mut spins);
                cur = self.word.load(Ordering::Relaxed);
            }
        }
    }
}

impl<T, F: Flavor> Drop for PtrGuard<'_, T, F> {
    fn drop(&mut self) {
        // Release: what was done under the lock happens before the next
        // holder's Acquire.
        let order = if F::THREADED {
            Ordering::Release
        } else {
            Ordering::Relaxed
        };
        self.lock.word.store(self.ptr, order);
    }
}
