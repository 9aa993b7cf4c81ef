//! A queue that is pushed to and emptied whole, and nothing else: behind
//! a mutex in the sync flavour, a plain cell in the unsync one. The weak
//! collections queue the evictions that found their table held in it
//! (CPython's `_pending_removals`).

use core::marker::PhantomData;

use crate::rt::flavor::{self, Flavor};
use crate::rt::{Cell, Mutex};

pub(crate) struct Queue<T, F: Flavor> {
    // Never taken in the unsync flavour.
    lock: Mutex<()>,
    items: Cell<Vec<T>>,
    _flavor: PhantomData<F>,
}

// SAFETY: in the sync flavour the items are reached only under `lock`, so
// one thread at a time touches them: `T: Send` is enough, as for
// `std::sync::Mutex<Vec<T>>`. The unsync queue is not `Sync` (its `Cell`).
unsafe impl<T: Send> Sync for Queue<T, flavor::Sync> {}

impl<T, F: Flavor> Queue<T, F> {
    pub(crate) fn new() -> Self {
        Queue {
            lock: Mutex::new(()),
            items: Cell::new(Vec::new()),
            _flavor: PhantomData,
        }
    }

    /// Runs `f` on the items, alone: under the mutex in the sync flavour;
    /// in the unsync one the queue is on this thread only, and `f` (one of
    /// the two methods below) runs no user code and does not come back
    /// here, so no other access can overlap it.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut Vec<T>) -> R) -> R {
        let _guard = F::THREADED.then(|| self.lock.lock());
        // SAFETY: see above: this is the only access to the items until
        // `f` returns (and the guard, in sync, is held until then).
        f(unsafe { &mut *self.items.get() })
    }

    /// Adds an item at the end.
    pub(crate) fn push(&self, item: T) {
        self.with(|items| items.push(item));
    }

    /// Takes every item, leaving the queue empty.
    pub(crate) fn take(&self) -> Vec<T> {
        self.with(core::mem::take)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn push_and_take<F: Flavor>() {
        let q = Queue::<_, F>::new();
        q.push(1);
        q.push(2);
        assert_eq!(q.take(), [1, 2]);
        assert!(q.take().is_empty());
    }

    #[test]
    fn pushes_and_takes_in_both_flavours() {
        push_and_take::<flavor::Sync>();
        push_and_take::<flavor::Unsync>();
    }
}
