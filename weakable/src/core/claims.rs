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
//! that finds its own thread's claim on an equal key panics, saying so, in
//! both flavours (in the unsync one every claim is the caller's own). Two
//! factories on two threads that each ask for the other's key wait for each
//! other, as two nested locks taken in opposite orders do.

use crate::rt::{thread_token, Arc, Condvar, Mutex};

/// The panic of a factory that asks for its own key.
const REENTRANT: &str = "`WeakValueDictionary::get_or_insert_with` was called for a key from \
inside the factory that is making that key's value, which would wait for itself; a factory \
may use the dictionary for other keys only";

/// The keys being made, and the values made for callers still collecting
/// them.
pub(crate) struct Claims<K, R> {
    list: Mutex<List<K, R>>,
    /// Notified when a claim with waiters is settled.
    settled: Condvar,
}

struct List<K, R> {
    /// The id of the next claim.
    next: u64,
    claims: Vec<Claim<K, R>>,
}

struct Claim<K, R> {
    id: u64,
    hash: u64,
    /// Shared, so that callers compare it after letting go of the list.
    key: Arc<K>,
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
pub(crate) enum Claimed<'a, K, R> {
    /// The key is the caller's to make: settle it with
    /// [`ClaimGuard::settle`] (dropping the guard settles it as failed).
    Mine(ClaimGuard<'a, K, R>),
    /// Another caller had claimed it, and made this (`None`: its factory
    /// panicked, or its claim was gone by the time we looked; look again).
    Theirs(Option<R>),
}

impl<K, R: Clone> Claims<K, R> {
    pub(crate) fn new() -> Self {
        Claims {
            list: Mutex::new(List {
                next: 0,
                claims: Vec::new(),
            }),
            settled: Condvar::new(),
        }
    }

    /// Claims `key` (with `hash`), or waits for the caller that claimed an
    /// equal key and takes what it made.
    ///
    /// # Panics
    ///
    /// If this thread has claimed an equal key and not settled it: a
    /// factory asking for its own key.
    pub(crate) fn claim(&self, hash: u64, key: &K) -> Claimed<'_, K, R>
    where
        K: Eq + Clone,
    {
        let me = thread_token().expect("claims are std-only, and std has thread-locals");
        // Cloned before locking: a `Clone` is user code.
        let mut mine = Some(Arc::new(key.clone()));
        // Claims compared and found unequal.
        let mut unequal: Vec<u64> = Vec::new();
        loop {
            let candidates: Vec<(u64, Arc<K>)> = {
                let mut list = self.list.lock();
                let candidates: Vec<_> = list
                    .claims
                    .iter()
                    .filter(|c| {
                        c.hash == hash
                            && matches!(c.outcome, Outcome::Running)
                            && !unequal.contains(&c.id)
                    })
                    .map(|c| (c.id, Arc::clone(&c.key)))
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
        if claim.owner == me {
            drop(list);
            panic!("{REENTRANT}");
        }
        claim.waiters += 1;
        let at = loop {
            list = self.settled.wait(list);
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

impl<K, R> List<K, R> {
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

impl<K, R> Claims<K, R> {
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
            self.settled.notify_all();
        }
        drop(gone);
    }
}

/// A claim of the caller's: settled as failed if dropped unsettled (the
/// factory or the insertion panicked).
pub(crate) struct ClaimGuard<'a, K, R> {
    claims: &'a Claims<K, R>,
    id: u64,
    settled: bool,
}

impl<K, R> ClaimGuard<'_, K, R> {
    /// Settles the claim with `value`, which its waiters take.
    pub(crate) fn settle(mut self, value: R) {
        self.settled = true;
        self.claims.settle(self.id, Outcome::Made(value));
    }
}

impl<K, R> Drop for ClaimGuard<'_, K, R> {
    fn drop(&mut self) {
        if !self.settled {
            self.claims.settle(self.id, Outcome::Failed);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_of_an_equal_key_waits_and_takes_the_value() {
        let claims = std::sync::Arc::new(Claims::<String, u32>::new());
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

    #[test]
    #[should_panic(expected = "from inside the factory")]
    fn claiming_an_own_key_again_panics() {
        let claims = Claims::<u8, u8>::new();
        let _mine = claims.claim(1, &1);
        let _ = claims.claim(1, &1);
    }
}
