//! A reference count: the one shape of atomic the core counts with (an
//! object's strong and weak counts, a node's handle count), with the
//! orderings `Arc` uses for each step in the sync flavour, and as plain
//! loads and stores, as `Rc`'s `Cell`, in the unsync one.

use super::flavor::Flavor;
use super::{AtomicUsize, Ordering};

/// The sync flavour's guard against reference-count overflow, as `Arc`'s:
/// a program would need this many handles to leak memory faster than it
/// can allocate it, and the margin above it covers the increments other
/// threads make before the one that crossed it aborts. The unsync flavour
/// aborts only where the count would wrap, as `Rc` does.
const MAX_REFCOUNT: usize = isize::MAX as usize;

pub(crate) struct Count(AtomicUsize);

impl Count {
    pub(crate) fn new(n: usize) -> Count {
        Count(AtomicUsize::new(n))
    }

    /// The count now: a snapshot another thread may change at once.
    #[inline]
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// The count, with everything done before the decrements that brought
    /// it there visible here.
    #[inline]
    pub(crate) fn get_acquire(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }

    /// Sets a count nobody else can be changing (one that is zero, or
    /// that the caller owns entirely).
    #[inline]
    pub(crate) fn set(&self, n: usize) {
        self.0.store(n, Ordering::Relaxed);
    }

    /// Sets a count from zero to one, publishing everything the caller did
    /// before (Release) to whoever then takes a count with
    /// [`try_increment`](Self::try_increment) (Acquire): how a value built
    /// in place becomes reachable (`Obj::new_cyclic`).
    #[inline]
    pub(crate) fn publish_one(&self) {
        self.0.store(1, Ordering::Release);
    }

    /// Adds one; the caller holds one already, so the count is not zero.
    #[inline]
    pub(crate) fn increment<F: Flavor>(&self) {
        if !F::THREADED {
            // As `Rc`: only a count about to wrap aborts (one increment
            // and a branch on its carry; no other thread can add to it
            // meanwhile, so the margin `Arc` keeps is not needed).
            let Some(n) = self.0.load(Ordering::Relaxed).checked_add(1) else {
                crate::rt::abort();
            };
            return self.0.store(n, Ordering::Relaxed);
        }
        // Relaxed, as `Arc::clone`: a new count can only come from an
        // existing one, which already keeps the counted thing alive.
        if self.0.fetch_add(1, Ordering::Relaxed) > MAX_REFCOUNT {
            crate::rt::abort();
        }
    }

    /// Adds one unless the count is zero: one compare-and-swap that never
    /// moves it from zero.
    #[inline]
    pub(crate) fn try_increment<F: Flavor>(&self) -> bool {
        let mut n = self.0.load(Ordering::Relaxed);
        if !F::THREADED {
            if n == 0 {
                return false;
            }
            let Some(n) = n.checked_add(1) else {
                crate::rt::abort();
            };
            self.0.store(n, Ordering::Relaxed);
            return true;
        }
        loop {
            if n == 0 {
                return false;
            }
            if n > MAX_REFCOUNT {
                crate::rt::abort();
            }
            // Acquire on success, as `Weak::upgrade`: the new count must see
            // everything done before the one it was taken from was published.
            match self
                .0
                .compare_exchange_weak(n, n + 1, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => n = actual,
            }
        }
    }

    /// Takes the count from one to zero, if it is one (ours alone): true,
    /// and then everything done under earlier counts happens before the
    /// caller's next step; false, and nothing changed, otherwise.
    #[inline]
    pub(crate) fn take_unique<F: Flavor>(&self) -> bool {
        if !F::THREADED {
            let unique = self.0.load(Ordering::Relaxed) == 1;
            if unique {
                self.0.store(0, Ordering::Relaxed);
            }
            return unique;
        }
        // Acquire, as `Arc::try_unwrap`: the other handles' drops
        // (Release) happen before the value is taken.
        self.0
            .compare_exchange(1, 0, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes one away; true if it was the last, and then everything done
    /// under the other counts happens before the caller's next step.
    #[inline]
    pub(crate) fn decrement<F: Flavor>(&self) -> bool {
        if !F::THREADED {
            let n = self.0.load(Ordering::Relaxed);
            self.0.store(n - 1, Ordering::Relaxed);
            return n == 1;
        }
        // Release publishes this count's uses to whoever takes the last one
        // away; the acquire below makes the last one see all of them.
        if self.0.fetch_sub(1, Ordering::Release) != 1 {
            return false;
        }
        super::acquire_after_last_release(&self.0);
        true
    }

    /// Takes one away unless it is the last one: false, and nothing
    /// changed, if the count is 1.
    #[inline]
    pub(crate) fn decrement_unless_last<F: Flavor>(&self) -> bool {
        let mut n = self.0.load(Ordering::Relaxed);
        if !F::THREADED {
            if n > 1 {
                self.0.store(n - 1, Ordering::Relaxed);
            }
            return n > 1;
        }
        while n > 1 {
            match self
                .0
                .compare_exchange_weak(n, n - 1, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => n = actual,
            }
        }
        false
    }
}
