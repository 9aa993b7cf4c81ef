//! The engine behind the weak collections: a hash table behind a lock,
//! plus a queue of evictions that could not take the lock at once.
//!
//! # Locking
//!
//! Each collection has one lock around its table ([`TableLock`]). It
//! is held only for table operations: never while a key's `Hash` or `Eq`
//! runs (keys are hashed before locking; candidates with an equal hash are
//! cloned out and compared after unlocking, and a version number tells
//! whether the table changed meanwhile), never while a key, value or entry
//! is dropped (removed entries are dropped after unlocking), never while a
//! callback runs. The one exception is `WeakKeyDictionary`, which clones
//! its values under the lock (and so runs whatever a `V::clone` does, and
//! the callbacks of any referent it kills).
//!
//! An entry is evicted by its ref's death callback, on the thread where the
//! referent died. If the table is free it is removed at once. If it is held
//! (by another thread, or by this thread higher up the stack, when a
//! `WeakKeyDictionary` value's `Clone` killed a referent), the eviction is
//! pushed on `pending`, CPython's `_pending_removals`, and flagged in the
//! lock's state word; the holder's unlock cannot succeed while the flag is
//! set, so the holder drains the queue before it lets go. An eviction is
//! never lost, never waits for a later call, and never deadlocks; and an
//! operation that finds nothing queued never touches the queue.

use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use hashbrown::HashTable;

use crate::core::first_inline::FirstInline;
use crate::core::node::{NodeHandle, NodeHead};
use crate::rt::table_lock::TableLock;
use crate::rt::Mutex;

/// An entry of a weak table: it knows its hash and its ref's node.
pub(crate) trait TableEntry {
    fn hash(&self) -> u64;
    fn node(&self) -> NonNull<NodeHead>;
}

/// The entries with a lookup's hash, cloned out of the table to compare
/// after unlocking.
pub(crate) type Candidates<T> = FirstInline<T>;

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
    node: NodeHandle,
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
        self.remove_where(hash, |e| e.node() == node)
    }

    /// Removes the entry with `hash` that `is` picks, if there is one.
    pub(crate) fn remove_where(&mut self, hash: u64, is: impl FnMut(&E) -> bool) -> Option<E> {
        let found = self.map.find_entry(hash, is).ok()?;
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
    table: TableLock<Table<E>>,
    pending: Mutex<Vec<Eviction<E>>>,
}

impl<E: TableEntry, S> Shared<E, S> {
    pub(crate) fn new(hasher: S) -> Self {
        Shared {
            hasher,
            table: TableLock::new(Table {
                map: HashTable::new(),
                version: 0,
            }),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// Locks the table.
    pub(crate) fn lock(&self) -> TableGuard<'_, E, S> {
        self.table.lock();
        // SAFETY: we have just taken the lock.
        unsafe { TableGuard::new(self) }
    }

    /// Clones (by `pick`) of the entries with `hash`, taken under the lock,
    /// for the caller to compare with its key after unlocking; or, if there
    /// is none, the table still locked.
    pub(crate) fn probe<C>(
        &self,
        hash: u64,
        mut pick: impl FnMut(&E) -> C,
    ) -> Lookup<'_, E, S, Candidates<C>> {
        self.probe_into(hash, |e, out| out.push(pick(e)))
    }

    /// As [`probe`](Self::probe), with `pick` pushing what it takes from
    /// each entry itself: what it has pushed before a panic is dropped
    /// only after the unwinding unlocked.
    pub(crate) fn probe_into<C>(
        &self,
        hash: u64,
        mut pick: impl FnMut(&E, &mut Candidates<C>),
    ) -> Lookup<'_, E, S, Candidates<C>> {
        // Declared before the guard, so that if `pick` (a `V::clone`)
        // panics, the clones made so far are dropped after the unwinding
        // unlocked.
        let mut candidates = FirstInline::new();
        let table = self.lock();
        // `find` with a predicate that never matches visits every entry with
        // this hash, as `iter_hash` does, but inlines into one probe loop.
        table.map.find(hash, |e| {
            if e.hash() == hash {
                pick(e, &mut candidates);
            }
            false
        });
        if candidates.is_empty() {
            return Lookup::Vacant(table);
        }
        let version = table.version;
        Lookup::Searched(candidates, version)
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Removes every entry; they are dropped after unlocking.
    pub(crate) fn clear(&self) {
        let mut table = self.lock();
        let all = table.take_all();
        table.graveyard.extend(all);
    }

    /// Removes the entry of a dead node, now or, if the table is held,
    /// before its holder lets go.
    pub(crate) fn evict(&self, hash: u64, node: NodeHandle) {
        if self.table.try_lock() {
            // SAFETY: we have just taken the lock.
            let mut table = unsafe { TableGuard::new(self) };
            if let Some(dead) = table.remove_node(hash, node.ptr()) {
                table.graveyard.push(dead);
            }
            table.holds.push(node);
            return;
        }
        self.pending.lock().push(Eviction {
            hash,
            node,
            _entry: PhantomData,
        });
        if self.table.flag_queued_or_lock() {
            // Let go meanwhile, and now ours: so is the queue.
            // SAFETY: `flag_queued_or_lock` has just taken the lock.
            unsafe { TableGuard::new(self) }.drain_queued();
        }
    }

    /// Takes every queued eviction.
    fn take_pending(&self) -> Vec<Eviction<E>> {
        core::mem::take(&mut *self.pending.lock())
    }
}

/// The locked table. Dropping it applies the evictions queued meanwhile,
/// unlocks, and only then drops whatever was removed.
pub(crate) struct TableGuard<'a, E: TableEntry, S> {
    shared: &'a Shared<E, S>,
    /// Removed entries, dropped after unlocking (their drops run user code).
    pub(crate) graveyard: FirstInline<E>,
    /// The queued evictions' holds on their nodes, let go after unlocking.
    holds: FirstInline<NodeHandle>,
}

impl<'a, E: TableEntry, S> TableGuard<'a, E, S> {
    /// The guard of the table the caller has just locked.
    ///
    /// # Safety
    ///
    /// The caller holds `shared`'s table lock and hands it to the guard,
    /// which lets go of it when dropped.
    unsafe fn new(shared: &'a Shared<E, S>) -> Self {
        TableGuard {
            shared,
            graveyard: FirstInline::new(),
            holds: FirstInline::new(),
        }
    }

    #[cold]
    #[inline(never)]
    fn drain_queued(&mut self) {
        for Eviction { hash, node, .. } in self.shared.take_pending() {
            if let Some(dead) = self.remove_node(hash, node.ptr()) {
                self.graveyard.push(dead);
            }
            self.holds.push(node);
        }
    }
}

impl<E: TableEntry, S> Deref for TableGuard<'_, E, S> {
    type Target = Table<E>;
    fn deref(&self) -> &Table<E> {
        // SAFETY: the guard holds the lock until dropped, and the borrow
        // cannot outlive the guard.
        unsafe { &*self.shared.table.get() }
    }
}

impl<E: TableEntry, S> DerefMut for TableGuard<'_, E, S> {
    fn deref_mut(&mut self) -> &mut Table<E> {
        // SAFETY: the guard holds the lock until dropped, so no other
        // thread touches the table, and `&mut self` makes this the only
        // borrow of it on this one; the borrow cannot outlive the guard.
        unsafe { &mut *self.shared.table.get() }
    }
}

impl<E: TableEntry, S> Drop for TableGuard<'_, E, S> {
    fn drop(&mut self) {
        // SAFETY: the guard holds the lock; once the unlock succeeds, the
        // table is not touched again.
        while !unsafe { self.shared.table.unlock_unless_queued() } {
            self.drain_queued();
        }
        // Dropping removed entries may kill more referents, whose evictions
        // then find the table free, or flag its next holder.
        if !self.graveyard.is_empty() {
            drop(core::mem::replace(&mut self.graveyard, FirstInline::new()));
        }
        if !self.holds.is_empty() {
            drop(core::mem::replace(&mut self.holds, FirstInline::new()));
        }
    }
}
