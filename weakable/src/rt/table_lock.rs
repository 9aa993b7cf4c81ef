//! The lock around a weak collection's table, with room in its state word
//! for "an eviction is queued".
//!
//! An eviction runs on the thread where a referent died, and must not wait
//! for the table: its thread may be the holder, further up the stack. So if
//! the table is held, it queues itself and sets [`QUEUED`]; the holder's
//! unlock is a compare-and-swap from exactly [`LOCKED`], which fails while
//! the bit is set, so the holder cannot let go without seeing it, clearing
//! it and draining the queue. Because the bit lives in the lock's own word,
//! the holder's unlock and the evictor's flag are ordered by that word
//! alone: there is no separate counter to read after unlocking, and no
//! window in which an eviction could be left behind.
//!
//! Waiting is a short spin, then parking on a condition variable (the
//! [`PARKED`] bit tells the unlocker to wake the sleepers), so a thread
//! that waits for a table being resized or copied sleeps rather than burns
//! its core. Without std, which has no condition variable, it spins.
//!
//! The state word is 0 exactly when the table is free: [`QUEUED`] and
//! [`PARKED`] are only ever set together with [`LOCKED`], and the unlock
//! clears all three at once.
//!
//! # The unsync flavour: a borrow flag
//!
//! A `TableLock<T, Unsync>` is not `Sync` (nor is the table that holds
//! it reachable from another thread: it lives in an `Rc`), so only one
//! thread ever touches it, and the same word becomes a borrow flag, read
//! and written with plain loads and stores: no read-modify-write, no
//! spinning, no parking (nobody else could ever let go). The one way to
//! find it held is reentrancy on the holder's own stack: an eviction
//! (which queues itself and sets [`QUEUED`], exactly as in sync), or a
//! `WeakKeyDictionary` value's `Clone`, which runs under the lock, using
//! the dictionary again: [`lock`](TableLock::lock) then panics with a
//! message that says so (in the sync flavour, that would wait for ever).
//!
//! # User code under the lock
//!
//! Where a collection runs user code with its table held by design (the
//! closures of `WeakKeyDictionary::get_with` and `retain`, which read
//! values that live in the table), it marks the lock with its thread's
//! [`thread_token`] for that time ([`running_user_code`](TableLock::running_user_code)).
//! A sync-flavour lock that finds itself held checks the mark before it
//! waits: if its own thread is the holder running user code, it panics as
//! the unsync flavour does, instead of waiting for itself for ever. The
//! check is on the contended path only.

use core::marker::PhantomData;

#[cfg(feature = "std")]
use crate::rt::flavor::sealed::Lock;
use crate::rt::flavor::{self, Flavor};
use crate::rt::{spin_wait, thread_token, AtomicUsize, Cell, Ordering};

/// Someone holds the table.
const LOCKED: usize = 1;
/// An eviction was queued while the table was held: its holder must drain
/// the queue before letting go.
const QUEUED: usize = 2;
/// A thread sleeps (or is about to) on `unparked`, waiting for the table.
#[cfg_attr(not(feature = "std"), allow(dead_code))] // nobody parks without std
const PARKED: usize = 4;

/// How many rounds of [`spin_wait`] a waiter spends before it parks (none
/// under loom, where a spin is a yield: parking at once keeps the models
/// small).
const SPINS: u32 = 6;

/// The panic of a reentrant lock: of an unsync table, or of a sync one by
/// the thread that runs user code under it.
const REENTRANT: &str = "a weak collection was used from inside code that it runs while its \
table is held (a `WeakKeyDictionary` value's `Clone`, or the closure given to \
`WeakKeyDictionary::get_with` or `WeakKeyDictionary::retain`); that code must not use it";

/// A mutex around `T` whose holder learns of evictions queued meanwhile;
/// in the [`Unsync`](flavor::Unsync) flavour, a borrow flag (see the module
/// docs).
///
/// The guard is the caller's business: [`lock`](Self::lock) and
/// [`try_lock`](Self::try_lock) only take the lock, and the holder gives it
/// back with [`unlock_unless_queued`](Self::unlock_unless_queued).
pub(crate) struct TableLock<T, F: Flavor> {
    state: AtomicUsize,
    /// Where waiters sleep: a mutex and a condition variable in the sync
    /// flavour; a `RefCell<()>` and nothing in the unsync one, which never
    /// touches them.
    #[cfg(feature = "std")]
    parking: F::Lock<()>,
    #[cfg(feature = "std")]
    unparked: <F::Lock<()> as Lock<()>>::Event,
    /// The [`thread_token`] of the holder while it runs user code under
    /// the lock, otherwise 0 (sync flavour only).
    user: AtomicUsize,
    value: Cell<T>,
    _flavor: PhantomData<F>,
}

/// The mark of [`TableLock::running_user_code`], cleared on drop (also when
/// the user code panics).
pub(crate) struct UserCode<'a, T, F: Flavor>(&'a TableLock<T, F>);

impl<T, F: Flavor> Drop for UserCode<'_, T, F> {
    fn drop(&mut self) {
        if F::THREADED {
            self.0.user.store(0, Ordering::Relaxed);
        }
    }
}

// SAFETY: the value is reached only through `get`, whose callers hold the
// lock, so at most one thread touches it at a time: `T: Send` is enough to
// share the lock, as for `std::sync::Mutex`. Only the sync flavour's lock,
// whose every step is an atomic read-modify-write, is shared: the unsync
// one stays `!Sync` (its `Cell`), which is what makes its plain loads and
// stores enough.
unsafe impl<T: Send> Sync for TableLock<T, flavor::Sync> {}

impl<T, F: Flavor> TableLock<T, F> {
    pub(crate) fn new(value: T) -> Self {
        TableLock {
            state: AtomicUsize::new(0),
            #[cfg(feature = "std")]
            parking: Lock::new(()),
            #[cfg(feature = "std")]
            unparked: F::Lock::<()>::new_event(),
            user: AtomicUsize::new(0),
            value: Cell::new(value),
            _flavor: PhantomData,
        }
    }

    /// Takes the lock, waiting for it if need be. In the unsync flavour,
    /// where nobody else can be holding it, a held lock is a reentrant use
    /// and panics.
    #[inline]
    pub(crate) fn lock(&self) {
        if !F::THREADED {
            assert!(self.state.load(Ordering::Relaxed) == 0, "{REENTRANT}");
            return self.state.store(LOCKED, Ordering::Relaxed);
        }
        // Acquire: what the previous holder did to the table happens before
        // what we do with it.
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
    }

    /// Marks the lock, which the caller holds, as held by this thread
    /// running user code, until the mark is dropped: this thread's own
    /// [`lock`](Self::lock) then panics instead of waiting for itself (the
    /// unsync flavour's lock panics anyway).
    pub(crate) fn running_user_code(&self) -> UserCode<'_, T, F> {
        if F::THREADED {
            if let Some(token) = thread_token() {
                // Relaxed: only this thread ever reads its own token here
                // (see `lock_contended`); other threads' loads see another
                // number or 0, and either way wait as they would without
                // the mark.
                self.user.store(token, Ordering::Relaxed);
            }
        }
        UserCode(self)
    }

    #[cold]
    fn lock_contended(&self) {
        // Our own mark, if any, is our latest store to `user` (the mark is
        // cleared before the lock is let go), so a relaxed load sees it.
        if let Some(token) = thread_token() {
            assert!(self.user.load(Ordering::Relaxed) != token, "{REENTRANT}");
        }
        let mut spins = 0;
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state == 0 {
                if self
                    .state
                    .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return;
                }
                continue;
            }
            if !cfg!(feature = "std") || (!cfg!(loom) && spins < SPINS) {
                spin_wait(&mut spins);
                continue;
            }
            #[cfg(feature = "std")]
            self.park();
        }
    }

    /// Sleeps until the table is let go (or is found free meanwhile).
    #[cfg(feature = "std")]
    fn park(&self) {
        // Announce ourselves under `parking`: the unlocker, having
        // cleared PARKED, takes `parking` before it notifies, which it
        // can only do once we are waiting, so the wake-up cannot be
        // lost. If the table was let go meanwhile, the CAS fails and
        // we try again instead of sleeping. If PARKED is already set we
        // sleep without a CAS: the unlocker that clears that PARKED
        // cannot have taken `parking` before our load (we would then
        // have read its clear, or something later), so it takes it
        // after our wait and its notification reaches us.
        let parking = self.parking.lock();
        let state = self.state.load(Ordering::Relaxed);
        if state & LOCKED == 0
            || (state & PARKED == 0
                && self
                    .state
                    .compare_exchange(state, state | PARKED, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err())
        {
            return;
        }
        drop(F::Lock::<()>::wait(&self.unparked, parking));
    }

    /// Takes the lock if it is free now.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        if !F::THREADED {
            if self.state.load(Ordering::Relaxed) != 0 {
                return false;
            }
            self.state.store(LOCKED, Ordering::Relaxed);
            return true;
        }
        self.state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// For an evictor that found the table held and queued its eviction:
    /// flags the queue for the holder and returns `false`, or, if the table
    /// was let go meanwhile, takes the lock and returns `true`, and the
    /// caller drains the queue itself. Never waits.
    pub(crate) fn flag_queued_or_lock(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        if !F::THREADED {
            let new = if state & LOCKED != 0 {
                state | QUEUED
            } else {
                LOCKED
            };
            self.state.store(new, Ordering::Relaxed);
            return new == LOCKED;
        }
        loop {
            let (new, order) = if state & LOCKED != 0 {
                // Release: the queued eviction happens before the holder's
                // Acquire clear of the bit (and the queue's own mutex says
                // the same).
                (state | QUEUED, Ordering::Release)
            } else {
                (LOCKED, Ordering::Acquire)
            };
            match self
                .state
                .compare_exchange_weak(state, new, order, Ordering::Relaxed)
            {
                Ok(_) => return new == LOCKED,
                Err(actual) => state = actual,
            }
        }
    }

    /// Lets go of the lock, unless an eviction was queued since the holder
    /// last looked: then clears the flag, keeps the lock and returns
    /// `false`, and the holder drains the queue and calls again.
    ///
    /// # Safety
    ///
    /// The caller holds the lock.
    #[inline]
    pub(crate) unsafe fn unlock_unless_queued(&self) -> bool {
        if !F::THREADED {
            let state = self.state.load(Ordering::Relaxed);
            debug_assert!(state & LOCKED != 0, "unlocking a table nobody holds");
            // PARKED is never set: nobody waits for an unsync table.
            let new = if state & QUEUED != 0 { LOCKED } else { 0 };
            self.state.store(new, Ordering::Relaxed);
            return new == 0;
        }
        // Release: what we did to the table happens before the next
        // holder's Acquire.
        match self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
        {
            Ok(_) => true,
            Err(state) => self.unlock_contended(state),
        }
    }

    #[cold]
    fn unlock_contended(&self, mut state: usize) -> bool {
        loop {
            debug_assert!(state & LOCKED != 0, "unlocking a table nobody holds");
            let result = if state & QUEUED != 0 {
                // Acquire: pairs with the evictor's Release in
                // `flag_queued_or_lock`.
                self.state.compare_exchange_weak(
                    state,
                    state & !QUEUED,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
            } else {
                self.state
                    .compare_exchange_weak(state, 0, Ordering::Release, Ordering::Relaxed)
            };
            match result {
                Ok(_) if state & QUEUED != 0 => return false,
                Ok(_) => {
                    #[cfg(feature = "std")]
                    if state & PARKED != 0 {
                        // Taking `parking` waits out any waiter between its
                        // load of the state and its wait (see
                        // `lock_contended`).
                        let _parking = self.parking.lock();
                        F::Lock::<()>::notify_all(&self.unparked);
                    }
                    return true;
                }
                Err(actual) => state = actual,
            }
        }
    }

    /// The value, for one exclusive access.
    ///
    /// # Safety
    ///
    /// The caller holds the lock, and does not keep the pointer past its
    /// unlock.
    #[inline]
    pub(crate) unsafe fn get(&self) -> *mut T {
        self.value.get()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::rt::flavor::Unsync;

    #[test]
    fn unlock_fails_once_per_flag_and_the_flagger_never_waits() {
        unlock_fails_once_per_flag::<flavor::Sync>();
        unlock_fails_once_per_flag::<Unsync>();
    }

    #[test]
    #[should_panic(expected = "must not use it")]
    fn an_unsync_lock_taken_twice_panics() {
        let lock = TableLock::<_, Unsync>::new(0u32);
        lock.lock();
        lock.lock();
    }

    fn unlock_fails_once_per_flag<F: Flavor>() {
        let lock = TableLock::<_, F>::new(0u32);
        assert!(lock.try_lock());
        assert!(!lock.try_lock());
        assert!(!lock.flag_queued_or_lock(), "held: the flag is set");
        // SAFETY: we hold the lock.
        unsafe {
            assert!(!lock.unlock_unless_queued(), "the flag keeps the lock");
            assert!(lock.unlock_unless_queued());
        }
        assert!(lock.flag_queued_or_lock(), "free: the flagger takes it");
        // SAFETY: the flagger holds it now.
        assert!(unsafe { lock.unlock_unless_queued() });
        assert!(lock.try_lock());
        // SAFETY: `try_lock` just took it, so we hold it.
        assert!(unsafe { lock.unlock_unless_queued() });
    }

    #[cfg(feature = "std")] // parking; without std waiters spin
    #[test]
    fn excludes_and_wakes_parked_waiters() {
        let threads = 4;
        let rounds = if cfg!(miri) { 20 } else { 20_000 };
        let lock = std::sync::Arc::new(TableLock::<_, flavor::Sync>::new(0usize));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let lock = std::sync::Arc::clone(&lock);
                std::thread::spawn(move || {
                    for _ in 0..rounds {
                        lock.lock();
                        // SAFETY: we hold the lock until the unlock below.
                        unsafe {
                            let value = lock.get();
                            let seen = *value;
                            std::thread::yield_now();
                            *value = seen + 1;
                            while !lock.unlock_unless_queued() {}
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        lock.lock();
        // SAFETY: we hold the lock.
        assert_eq!(unsafe { *lock.get() }, threads * rounds);
    }
}
