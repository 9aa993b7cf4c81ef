//! The engine behind the weak collections: a hash table behind a mutex,
//! plus a queue of evictions that could not take the mutex at once.
//!
//! # Locking
//!
//! Each collection has one `Mutex` around its table. It is held only for
//! table operations: never while a key's `Hash` or `Eq` runs (keys are
//! hashed before locking; candidates with an equal hash are cloned out and
//! compared after unlocking, and a version number tells whether the table
//! changed meanwhile), never while a key, value or entry is dropped (removed
//! entries go to a graveyard dropped after unlocking), never while a
//! callback runs.
//!
//! An entry is evicted by its ref's death callback, on the thread where the
//! referent died. If the table's mutex is free it is removed at once. If it
//! is held (by another thread, or by this thread higher up the stack, when
//! a removal's drop killed the referent), the eviction is pushed on
//! `pending`, CPython's `_pending_removals`. Every holder drains `pending`
//! when it takes the mutex and again before it lets go, and after letting
//! go it looks once more and retakes the mutex if something arrived: an
//! eviction is never lost, never waits for a later call, and never
//! deadlocks.
//!
//! The common path never touches `pending`'s own mutex: an atomic count of
//! queued evictions says whether there is anything to drain. The one race
//! that matters is a holder letting go just as an eviction, having failed
//! to take the mutex, queues itself: the evictor increments the count, then
//! tries the mutex; the holder unlocks, then reads the count. Both are
//! read-modify-writes of the count (`AcqRel`), so they are ordered: if the
//! holder's comes first, the evictor's synchronises with it, the unlock
//! happens before the evictor's try, and that try sees the mutex free (or
//! held by a later holder, to which the same applies); otherwise the holder
//! sees the count and drains. `weakable/tests/loom.rs` checks this.

pub(crate) mod key;
pub(crate) mod set;
pub(crate) mod value;

use crate::sync::{AtomicUsize, Mutex, MutexGuard, Ordering};
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use hashbrown::HashTable;

use crate::slot::{NodeHead, RawHandle};

/// An entry of a weak table: it knows its hash and its ref's node.
pub(crate) trait TableEntry {
    fn hash(&self) -> u64;
    fn node(&self) -> NonNull<NodeHead>;
}

/// The entries a lookup clones out of the table to compare after
/// unlocking: nearly always none or one, so the first is kept inline and
/// only a hash collision allocates (never while the common path holds the
/// lock).
pub(crate) struct Candidates<T> {
    first: Option<T>,
    rest: Vec<T>,
}

impl<T> FromIterator<T> for Candidates<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        let first = iter.next();
        Candidates {
            first,
            rest: iter.collect(),
        }
    }
}

impl<T> Candidates<T> {
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }
}

impl<T> IntoIterator for Candidates<T> {
    type Item = T;
    type IntoIter = core::iter::Chain<core::option::IntoIter<T>, std::vec::IntoIter<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

/// What a lookup found.
pub(crate) enum Lookup<'a, E: TableEntry, S, F> {
    /// No entry has the hash, so nothing needed comparing: the table is
    /// still locked, for an insertion to use at once.
    Vacant(TableGuard<'a, E, S>),
    /// What was found among the entries with the hash (first their clones,
    /// then, compared after unlocking, the match), and the table version it
    /// was found at.
    Searched(F, u64),
}

impl<'a, E: TableEntry, S, F> Lookup<'a, E, S, F> {
    /// Compares the candidates, with no lock held.
    pub(crate) fn compare<G>(self, compare: impl FnOnce(F) -> G) -> Lookup<'a, E, S, G> {
        match self {
            Lookup::Vacant(table) => Lookup::Vacant(table),
            Lookup::Searched(found, version) => Lookup::Searched(compare(found), version),
        }
    }
}

impl<E: TableEntry, S, X> Lookup<'_, E, S, Option<X>> {
    /// The match, if any, and the table version; unlocks a vacant table.
    pub(crate) fn found(self) -> (Option<X>, u64) {
        match self {
            Lookup::Vacant(table) => (None, table.version),
            Lookup::Searched(found, version) => (found, version),
        }
    }
}

/// A queued eviction: the dead entry's hash and a hold on its node.
pub(crate) struct Eviction<E> {
    hash: u64,
    node: RawHandle,
    _entry: PhantomData<E>,
}

// SAFETY: the hold is on the node of an entry of type `E`, which owns a
// handle to that same node; dropping the hold can do no more than dropping
// the entry can (drop the node's data and callback), so it may happen on
// any thread the entry may be sent to.
unsafe impl<E: Send> Send for Eviction<E> {}

/// Below this capacity a table is not worth shrinking.
const MIN_SHRINK_CAPACITY: usize = 64;

pub(crate) struct Table<E> {
    pub(crate) map: HashTable<E>,
    /// Incremented by every insertion and removal, so that a search done
    /// without the lock can tell whether its result still holds.
    pub(crate) version: u64,
}

impl<E: TableEntry> Table<E> {
    /// Removes the entry of `node`, if it is still in the table.
    pub(crate) fn remove_node(&mut self, hash: u64, node: NonNull<NodeHead>) -> Option<E> {
        let found = self.map.find_entry(hash, |e| e.node() == node).ok()?;
        self.version = self.version.wrapping_add(1);
        let removed = found.remove().0;
        // A dead entry costs nothing: once three quarters of the table is
        // empty, give the memory back (halving at most, so a table that
        // shrinks and grows again pays O(1) per operation, amortised).
        if self.map.capacity() > MIN_SHRINK_CAPACITY && self.map.len() * 4 < self.map.capacity() {
            self.map.shrink_to(self.map.len() * 2, |e| e.hash());
        }
        Some(removed)
    }

    pub(crate) fn insert(&mut self, entry: E) {
        self.version = self.version.wrapping_add(1);
        self.map.insert_unique(entry.hash(), entry, |e| e.hash());
    }

    pub(crate) fn take_all(&mut self) -> Vec<E> {
        self.version = self.version.wrapping_add(1);
        core::mem::take(&mut self.map).into_iter().collect()
    }
}

pub(crate) struct Shared<E, S> {
    pub(crate) hasher: S,
    table: Mutex<Table<E>>,
    pending: Mutex<Vec<Eviction<E>>>,
    /// `pending`'s length, changed only under its mutex; read without it
    /// to skip the mutex when there is nothing to drain.
    queued: AtomicUsize,
}

impl<E: TableEntry, S> Shared<E, S> {
    pub(crate) fn new(hasher: S) -> Self {
        Shared {
            hasher,
            table: Mutex::new(Table {
                map: HashTable::new(),
                version: 0,
            }),
            pending: Mutex::new(Vec::new()),
            queued: AtomicUsize::new(0),
        }
    }

    /// Locks the table, with every queued eviction applied.
    pub(crate) fn lock(&self) -> TableGuard<'_, E, S> {
        let table = self.table.lock();
        let mut guard = TableGuard::new(self, table);
        guard.drain_pending();
        guard
    }

    /// Clones (by `pick`) of the entries with `hash`, taken under the lock,
    /// for the caller to compare with its key after unlocking; or, if there
    /// is none, the table still locked.
    pub(crate) fn probe<C>(
        &self,
        hash: u64,
        pick: impl FnMut(&E) -> C,
    ) -> Lookup<'_, E, S, Candidates<C>> {
        let table = self.lock();
        let candidates: Candidates<C> = table
            .map
            .iter_hash(hash)
            .filter(|e| e.hash() == hash)
            .map(pick)
            .collect();
        if candidates.is_empty() {
            return Lookup::Vacant(table);
        }
        let version = table.version;
        Lookup::Searched(candidates, version)
    }

    /// The number of entries, with every queued eviction applied.
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Removes every entry; they are dropped after unlocking.
    pub(crate) fn clear(&self) {
        let mut table = self.lock();
        let all = table.take_all();
        table.graveyard.extend(all);
    }

    /// Removes the entry of a dead node, now or as soon as the table is free.
    pub(crate) fn evict(&self, hash: u64, node: RawHandle) {
        match self.table.try_lock() {
            Some(table) => {
                let mut guard = TableGuard::new(self, table);
                let ptr = node.ptr();
                guard.holds.push(node);
                if let Some(dead) = guard.table_mut().remove_node(hash, ptr) {
                    guard.graveyard.push(dead);
                }
                guard.drain_pending();
            }
            None => {
                {
                    let mut pending = self.pending.lock();
                    pending.push(Eviction {
                        hash,
                        node,
                        _entry: PhantomData,
                    });
                    // AcqRel: ordered with a holder's look after unlocking
                    // (see the module docs).
                    self.queued.fetch_add(1, Ordering::AcqRel);
                }
                // The holder may have let go between our try and our push;
                // then nobody would look at the queue until a later call.
                if let Some(table) = self.table.try_lock() {
                    TableGuard::new(self, table).drain_pending();
                }
            }
        }
    }

    /// Takes every queued eviction.
    fn take_pending(&self) -> Vec<Eviction<E>> {
        // Acquire: whoever queued the evictions this count stands for did so
        // before incrementing it.
        if self.queued.load(Ordering::Acquire) == 0 {
            return Vec::new();
        }
        let mut pending = self.pending.lock();
        self.queued.fetch_sub(pending.len(), Ordering::Relaxed);
        core::mem::take(&mut *pending)
    }

    /// Whether evictions were queued, ordered after the caller's unlock of
    /// the table (see the module docs).
    fn queued_after_unlock(&self) -> bool {
        self.queued.fetch_add(0, Ordering::AcqRel) != 0
    }
}

/// The locked table. Dropping it applies the queued evictions, unlocks,
/// and only then drops whatever was removed.
pub(crate) struct TableGuard<'a, E: TableEntry, S> {
    shared: &'a Shared<E, S>,
    table: Option<MutexGuard<'a, Table<E>>>,
    /// Removed entries, dropped after unlocking (their drops run user code).
    pub(crate) graveyard: Vec<E>,
    holds: Vec<RawHandle>,
}

impl<'a, E: TableEntry, S> TableGuard<'a, E, S> {
    fn new(shared: &'a Shared<E, S>, table: MutexGuard<'a, Table<E>>) -> Self {
        TableGuard {
            shared,
            table: Some(table),
            graveyard: Vec::new(),
            holds: Vec::new(),
        }
    }

    fn table_mut(&mut self) -> &mut Table<E> {
        self.table
            .as_mut()
            .expect("the guard holds the table until dropped")
    }

    fn drain_pending(&mut self) {
        let queued = self.shared.take_pending();
        for Eviction { hash, node, .. } in queued {
            if let Some(dead) = self.table_mut().remove_node(hash, node.ptr()) {
                self.graveyard.push(dead);
            }
            self.holds.push(node);
        }
    }
}

impl<E: TableEntry, S> Deref for TableGuard<'_, E, S> {
    type Target = Table<E>;
    fn deref(&self) -> &Table<E> {
        self.table
            .as_ref()
            .expect("the guard holds the table until dropped")
    }
}

impl<E: TableEntry, S> DerefMut for TableGuard<'_, E, S> {
    fn deref_mut(&mut self) -> &mut Table<E> {
        self.table_mut()
    }
}

impl<E: TableEntry, S> Drop for TableGuard<'_, E, S> {
    fn drop(&mut self) {
        loop {
            self.drain_pending();
            drop(self.table.take());
            // Dropping removed entries may kill more referents, whose
            // evictions then find the table free, or queue themselves.
            drop(core::mem::take(&mut self.graveyard));
            drop(core::mem::take(&mut self.holds));
            if !self.shared.queued_after_unlock() {
                return;
            }
            match self.shared.table.try_lock() {
                Some(table) => self.table = Some(table),
                // Its holder will drain the queue before it lets go.
                None => return,
            }
        }
    }
}
