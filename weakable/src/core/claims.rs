//! The keys whose values are being made: what makes
//! `WeakValueDictionary::get_or_insert_with` run its factory once for
//! concurrent callers of one key (moka's `get_with`, .NET's
//! `ConditionalWeakTable.GetValue`).
//!
//! A caller that missed claims the key: it adds a claim (the hash, a
//! shared copy of the key, its thread) to a short list, runs the factory
//! with no lock held, inserts, and settles the claim with the value it
//! returns. A caller that finds an equal key claimed waits until the claim
//! is settled and takes the same value; if the factory panicked, the claim
//! is settled as failed and the waiters look again (one of them claims the
//! key next), so no key is poisoned and no waiter is stuck.
//!
//! # Locking
//!
//! The list's lock is held for list operations only: keys are cloned
//! before it is taken, compared after it is let go (the candidates with the
//! caller's hash are taken out as shared copies, as the table does), and
//! everything a settled claim owned is dropped after it is let go. So no
//! user code runs under it, and a key's `Eq` or `Clone`, or a factory, may
//! use the dictionary.
//!
//! # Reentrancy
//!
//! A factory that asks for its own key from inside itself would wait for
//! itself. A claim remembers its thread ([`thread_token`]), and a caller
//! that finds its own thread's claim on an equal key panics, saying so. Two
//! factories on two threads that each ask for the other's key wait for each
//! other, as two nested locks taken in opposite orders do.
//!
//! # Flavours
//!
//! The list is behind the flavour's lock and the keys are shared by the
//! flavour's pointer: a mutex, a condition variable and `Arc`s in the sync
//! flavour; a `RefCell` and `Rc`s in the unsync one, with no condition
//! variable and no thread token, since there every claim found is the
//! caller's own (its dictionary cannot leave its thread), so finding one
//! panics as above and nobody ever waits.

use core::panic::{RefUnwindSafe, UnwindSafe};

use crate::rt::flavor::sealed::{Lock, SharedPtr};
use crate::rt::flavor::Flavor;
use crate::rt::thread_token;

/// The panic of a factory that asks for its own key.
const REENTRANT: &str = "`WeakValueDictionary::get_or_insert_with` was called for a key from \
inside the factory that is making that key's value, which would wait for itself; a factory \
may use the dictionary for other keys only";

/// The keys being made, and the values made for callers still collecting
/// them.
pub(crate) struct Claims<K, R, F: Flavor> {
    list: F::Lock<List<K, R, F>>,
    /// Notified when a claim with waiters is settled (nothing in unsync).
    settled: Event<K, R, F>,
}

// No user code runs under the list's lock or borrow, and each change to
// the list is one `Vec` operation: a panic (a factory's, a key's `Eq` or
// `Clone`) never leaves it half-changed, and a claim whose factory
// panicked is settled as failed by its guard. So, as the table
// (`core::table`), the claims can be used across `catch_unwind`; what they
// hand out (keys compared, values made) is unwind-safe when it is.
impl<K: RefUnwindSafe, R: RefUnwindSafe, F: Flavor> UnwindSafe for Claims<K, R, F> {}
impl<K: RefUnwindSafe, R: RefUnwindSafe, F: Flavor> RefUnwindSafe for Claims<K, R, F> {}

/// The lock the list is behind.
type ListLock<K, R, F> = <F as Flavor>::Lock<List<K, R, F>>;

/// What waiters sleep on: a condition variable, or `()` in unsync.
type Event<K, R, F> = <ListLock<K, R, F> as Lock<List<K, R, F>>>::Event;

struct List<K, R, F: Flavor> {
    /// The id of the next claim.
    next: u64,
    claims: Vec<Claim<K, R, F>>,
}

struct Claim<K, R, F: Flavor> {
    id: u64,
    hash: u64,
    /// Shared, so that callers compare it after letting go of the list.
    key: F::Shared<K>,
    /// The [`thread_token`] of the thread running the factory.
    owner: usize,
    /// Callers waiting for the outcome or yet to collect it: the last one
    /// removes the settled claim.
    waiters: usize,
    outcome: Outcome<R>,
}

enum Outcome<R> {
    /// The factory is running.
    Running,
    /// It panicked: the waiters look again.
    Failed,
    /// What the claimant's caller got.
    Made(R),
}

/// What [`Claims::claim`] found.
pub(crate) enum Claimed<'a, K, R, F: Flavor> {
    /// The key is the caller's to make: settle it with
    /// [`ClaimGuard::settle`] (dropping the guard settles it as failed).
    Mine(ClaimGuard<'a, K, R, F>),
    /// Another caller had claimed it, and made this (`None`: its factory
    /// panicked, or its claim was gone by the time we looked; look again).
    Theirs(Option<R>),
}

impl<K, R: Clone, F: Flavor> Claims<K, R, F> {
    pub(crate) fn new() -> Self {
        Claims {
            list: Lock::new(List {
                next: 0,
                claims: Vec::new(),
            }),
            settled: ListLock::<K, R, F>::new_event(),
        }
    }

    /// Claims `key` (with `hash`), or waits for the caller that claimed an
    /// equal key and takes what it made.
    ///
    /// # Panics
    ///
    /// If this thread has claimed an equal key and not settled it: a
    /// factory asking for its own key.
    pub(crate) fn claim(&self, hash: u64, key: &K) -> Claimed<'_, K, R, F>
    where
        K: Eq + Clone,
    {
        // Unsync: every claim is this thread's; no need to ask which.
        let me = if F::THREADED {
            thread_token().expect("claims are std-only, and std has thread-locals")
        } else {
            0
        };
        // Cloned before locking: a `Clone` is user code.
        let mut mine = Some(F::Shared::new(key.clone()));
        // Claims compared and found unequal.
        let mut unequal: Vec<u64> = Vec::new();
        loop {
            let candidates: Vec<(u64, F::Shared<K>)> = {
                let mut list = self.list.lock();
                let candidates: Vec<_> = list
                    .claims
                    .iter()
                    .filter(|c| {
                        c.hash == hash
                            && matches!(c.outcome, Outcome::Running)
                            && !unequal.contains(&c.id)
                    })
                    .map(|c| (c.id, c.key.clone()))
                    .collect();
                if candidates.is_empty() {
                    let id = list.next;
                    list.next += 1;
                    list.claims.push(Claim {
                        id,
                        hash,
                        key: mine.take().expect("pushed once, then returned"),
                        owner: me,
                        waiters: 0,
                        outcome: Outcome::Running,
                    });
                    return Claimed::Mine(ClaimGuard {
                        claims: self,
                        id,
                        settled: false,
                    });
                }
                candidates
            };
            // Compared with no lock held: `Eq` is user code.
            let matched = candidates
                .iter()
                .find(|(_, other)| **other == *key)
                .map(|(id, _)| *id);
            match matched {
                Some(id) => return Claimed::Theirs(self.wait(id, me)),
                // Claims that arrived meanwhile are compared next round.
                None => unequal.extend(candidates.iter().map(|(id, _)| *id)),
            }
        }
    }

    /// Waits for claim `id` to be settled and takes its outcome.
    fn wait(&self, id: u64, me: usize) -> Option<R> {
        let mut list = self.list.lock();
        // Gone: settled and collected meanwhile; its value, if it lives, is
        // in the dictionary.
        let at = list.at(id)?;
        let claim = &mut list.claims[at];
        if !matches!(claim.outcome, Outcome::Running) {
            // Settled, and still there for other waiters: take its outcome
            // without counting ourselves.
            return claim.outcome.value();
        }
        if !F::THREADED || claim.owner == me {
            drop(list);
            panic!("{REENTRANT}");
        }
        claim.waiters += 1;
        let at = loop {
            list = ListLock::<K, R, F>::wait(&self.settled, list);
            let at = list.at(id).expect(STAYS);
            if !matches!(list.claims[at].outcome, Outcome::Running) {
                break at;
            }
        };
        let claim = &mut list.claims[at];
        claim.waiters -= 1;
        let outcome = claim.outcome.value();
        // The last waiter removes it; what it owned is dropped after
        // unlocking.
        let gone = (claim.waiters == 0).then(|| list.claims.swap_remove(at));
        drop(list);
        drop(gone);
        outcome
    }
}

/// Why a claim is found where it is looked for.
const STAYS: &str = "a claim stays until it is settled and its waiters collected";

impl<K, R, F: Flavor> List<K, R, F> {
    /// Where claim `id` is, if it is still there.
    fn at(&self, id: u64) -> Option<usize> {
        self.claims.iter().position(|c| c.id == id)
    }
}

impl<R: Clone> Outcome<R> {
    /// What a waiter gets of a settled claim.
    fn value(&self) -> Option<R> {
        match self {
            Outcome::Made(value) => Some(value.clone()),
            Outcome::Failed | Outcome::Running => None,
        }
    }
}

impl<K, R, F: Flavor> Claims<K, R, F> {
    /// Settles claim `id`, waking its waiters.
    fn settle(&self, id: u64, outcome: Outcome<R>) {
        let mut list = self.list.lock();
        let at = list.at(id).expect(STAYS);
        let claim = &mut list.claims[at];
        let waiters = claim.waiters;
        // What is replaced or removed is dropped after unlocking.
        let (_running, gone) = if waiters == 0 {
            (None, Some(list.claims.swap_remove(at)))
        } else {
            (Some(core::mem::replace(&mut claim.outcome, outcome)), None)
        };
        drop(list);
        if waiters > 0 {
            ListLock::<K, R, F>::notify_all(&self.settled);
        }
        drop(gone);
    }
}

/// A claim of the caller's: settled as failed if dropped unsettled (the
/// factory or the insertion panicked).
pub(crate) struct ClaimGuard<'a, K, R, F: Flavor> {
    claims: &'a Claims<K, R, F>,
    id: u64,
    settled: bool,
}

impl<K, R, F: Flavor> ClaimGuard<'_, K, R, F> {
    /// Settles the claim with `value`, which its waiters take.
    pub(crate) fn settle(mut self, value: R) {
        self.settled = true;
        self.claims.settle(self.id, Outcome::Made(value));
    }
}

impl<K, R, F: Flavor> Drop for ClaimGuard<'_, K, R, F> {
    fn drop(&mut self) {
        if !self.settled {
            self.claims.settle(self.id, Outcome::Failed);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::rt::flavor::{Sync, Unsync};

    #[test]
    fn a_second_claim_of_an_equal_key_waits_and_takes_the_value() {
        let claims = std::sync::Arc::new(Claims::<String, u32, Sync>::new());
        let Claimed::Mine(guard) = claims.claim(7, &"k".to_string()) else {
            panic!("the first claim is the caller's")
        };
        // An unequal key with the same hash is not held up.
        let Claimed::Mine(other) = claims.claim(7, &"j".to_string()) else {
            panic!("an unequal key is claimed on its own")
        };
        drop(other);
        let waiter = {
            let claims = std::sync::Arc::clone(&claims);
            std::thread::spawn(move || match claims.claim(7, &"k".to_string()) {
                Claimed::Theirs(v) => v,
                Claimed::Mine(_) => panic!("the key was claimed"),
            })
        };
        // Settle only once the waiter waits.
        while claims.list.lock().claims.iter().all(|c| c.waiters == 0) {
            std::thread::yield_now();
        }
        guard.settle(5);
        assert_eq!(waiter.join().unwrap(), Some(5));
        assert!(
            claims.list.lock().claims.is_empty(),
            "the waiter removed it"
        );
    }

    /// Claims key 1 twice on this thread: the second claim must panic.
    fn claim_an_own_key_again<F: Flavor>() {
        let claims = Claims::<u8, u8, F>::new();
        let _mine = claims.claim(1, &1);
        let _ = claims.claim(1, &1);
    }

    #[test]
    #[should_panic(expected = "from inside the factory")]
    fn claiming_an_own_key_again_panics() {
        claim_an_own_key_again::<Sync>();
    }

    #[test]
    #[should_panic(expected = "from inside the factory")]
    fn claiming_an_own_key_again_panics_in_unsync() {
        claim_an_own_key_again::<Unsync>();
    }

    #[test]
    fn unsync_claims_settle_and_free_without_waiting() {
        let claims = Claims::<String, u32, Unsync>::new();
        let Claimed::Mine(guard) = claims.claim(7, &"k".to_string()) else {
            panic!("the first claim is the caller's")
        };
        // Unequal keys with the same hash are claimed on their own.
        let Claimed::Mine(other) = claims.claim(7, &"j".to_string()) else {
            panic!("an unequal key is claimed on its own")
        };
        other.settle(1);
        drop(guard); // settled as failed: the key is free again
        assert!(claims.list.lock().claims.is_empty());
        assert!(matches!(
            claims.claim(7, &"k".to_string()),
            Claimed::Mine(_)
        ));
    }
}
