//! The engine behind the weak collections: a hash table behind a lock,
//! a queue of evictions that could not take the lock at once, and the
//! operations the three collections share (look up, put, remove, pop,
//! snapshot), so that the files that define them hold no `unsafe` and no
//! locking protocol of their own.
//!
//! # Locking
//!
//! Each collection has one lock around its table ([`TableLock`]). It is
//! held only for table operations: never while a key's `Hash` or `Eq` runs
//! (keys are hashed before locking; candidates with an equal hash are
//! cloned out and compared after unlocking), never while a key, value or
//! entry is dropped, never while a callback runs. Whatever an operation
//! takes out of the table, or made and did not put in, is dropped after
//! unlocking: removed entries go to the guard's graveyard, and the
//! candidates, the new entry and the left-over entry of a put live in
//! variables declared before the guard, so that even a panic drops them
//! after the unwinding unlocked. The one exception is `WeakKeyDictionary`,
//! which clones its values under the lock, and runs the closures of its
//! `get_with` and `retain` there, since that is where its values live (and
//! so runs whatever they do, and the callbacks of any referent they kill);
//! those closures are marked as user code on the lock, so that their own
//! use of the table panics in the sync flavour too (see `rt::table_lock`).
//!
//! # Progress
//!
//! A put or remove compares the candidates after unlocking, then locks
//! again to act on the one that matched. It looks again only if that very
//! entry went away meanwhile, or if entries with the same hash arrived
//! that it has not compared yet (and then it compares only those): however
//! often the rest of the table changes, and whatever the keys' `Eq` does to
//! it, a put or remove finishes. The candidates it compared stay held (a
//! count on their nodes) until it finishes, so a node address it has seen
//! cannot come back as another entry's.
//!
//! # Eviction
//!
//! An entry is evicted by its ref's death callback ([`Evictor`]), on the
//! thread where the referent died, with the hash the entry was stored
//! under (no key is hashed on the death path). If the table is free it is
//! removed at once. If it is held (by another thread, or by this thread
//! higher up the stack, when a `WeakKeyDictionary` value's `Clone` killed a
//! referent), the eviction is pushed on `pending`, CPython's
//! `_pending_removals`, and flagged in the lock's state word; the holder's
//! unlock cannot succeed while the flag is set, so the holder drains the
//! queue before it lets go. An eviction is never lost, never waits for a
//! later call, and never deadlocks; and an operation that finds nothing
//! queued never touches the queue.
//!
//! # Flavours
//!
//! The engine is written once, generic over the flavour `F`. In the sync
//! flavour the table is shared through an `Arc` (the evictors hold its
//! `sync::Weak`), the lock is [`TableLock`]'s compare-and-swap word and
//! the queue sits behind a mutex. In the unsync flavour the table is in an
//! `Rc` (the evictors hold an `rc::Weak`), so it never leaves its thread;
//! the lock's word is a borrow flag set and cleared with plain stores, and
//! the queue is a `RefCell` (both `Flavor::Lock`, borrowed only for a
//! push or a take). Reentrancy is handled by the same
//! protocol as in sync, without any lock: no user code runs while the flag
//! is set (but for `WeakKeyDictionary`'s `V::clone`), so a callback, a
//! key's `Eq` or a loop body that uses the collection finds it free; an
//! eviction that does find it set (a `V::clone` killed a referent) is
//! queued, flagged, and applied by the holder's unlock, exactly as above;
//! and a `V::clone` that uses the same collection gets a panic that says
//! so (where the sync flavour would wait for ever), never undefined
//! behaviour.

use alloc::vec::Vec;

use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr::NonNull;

use hashbrown::HashTable;

use crate::core::first_inline::FirstInline;
use crate::core::handle::Handle;
use crate::core::node::{Callback, DetachedHandle, NodeHead};
use crate::rt::flavor::sealed::Lock;
use crate::rt::flavor::sealed::{SharedPtr, WeakPtr};
use crate::rt::flavor::Flavor;
use crate::rt::table_lock::TableLock;

/// An entry of a weak table.
pub(crate) trait TableEntry {
    /// The hash it is stored under.
    fn hash(&self) -> u64;
    /// Its identity: its ref's node.
    fn id(&self) -> EntryId;
}

/// What a put or remove compares, cloned out of an entry: it must hold a
/// count on the entry's node (so that while it is held, no other entry's
/// node can have its address).
pub(crate) trait Candidate {
    /// The identity of the entry it was taken from.
    fn id(&self) -> EntryId;
}

/// An entry's identity: the address of its ref's node. Compared only,
/// never followed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryId(NonNull<NodeHead>);

impl EntryId {
    /// The identity of the entry whose ref is `handle`.
    pub(crate) fn of<T: ?Sized, D, F: Flavor>(handle: &Handle<T, D, F>) -> EntryId {
        EntryId(handle.node().ptr())
    }
}

/// The entries with a lookup's hash, cloned out of the table to compare
/// after unlocking.
pub(crate) type Candidates<T> = FirstInline<T>;

/// Where a put found its key.
pub(crate) enum Slot<'t, E, C> {
    /// No entry has an equal key.
    Vacant,
    /// This entry has, and this is what was compared of it.
    Occupied(&'t mut E, &'t C),
}

/// What a put does once it decided.
pub(crate) enum Put {
    /// Insert the new entry.
    Insert,
    /// Remove the matching entry and insert the new one.
    Replace,
    /// Leave the table as it is (the new entry is handed back).
    Keep,
}

/// How a collection of flavour `F` holds its table: `Arc` or `Rc`.
pub(crate) type SharedTable<E, S, F> = <F as Flavor>::Shared<WeakTable<E, S, F>>;

/// How an evictor reaches the table: `sync::Weak` or `rc::Weak`.
type WeakTableRef<E, S, F> = <SharedTable<E, S, F> as SharedPtr<WeakTable<E, S, F>>>::Weak;

/// The death callback of a collection's entries: evicts the entry from its
/// table, if the table still exists.
pub(crate) struct Evictor<E, S, F: Flavor> {
    table: WeakTableRef<E, S, F>,
    hash: u64,
}

// A sync callback must be `Send` (see `core::node::Callback`). Generic
// code cannot state that here (whether a `sync::Weak` of the table is
// `Send` follows from the contents' bounds only once `F` is known), so
// the makers do: an evictor is made only by `WeakTable::evictor`, whose
// two callers have `K`, `V` and `S` that are `Shareable<F>`, i.e. `Send +
// Sync` in the sync flavour, which makes the table `Send + Sync` and so
// its `sync::Weak` `Send`: `WeakValueDictionary::new_entry` by its impl's
// bounds, `WeakKeyDictionary::put` by its bounds on `K` and `S` and its
// callers' on `V` (every public method that reaches it asks for it, and
// `WeakSet`'s `V` is `()`). The
// sync-flavour test `evictors_are_send` checks this for the three
// collections' entry types.
impl<X, E: TableEntry, S, F: Flavor> Callback<X, F> for Evictor<E, S, F> {
    fn call(self, node: DetachedHandle<F>) {
        if let Some(table) = self.table.upgrade() {
            table.evict(self.hash, node);
        }
    }
}

/// What a put or remove holds while it works: declared by the caller
/// before any guard, so that everything in it is dropped after unlocking.
struct Search<C> {
    /// Compared and not equal; held until the operation ends.
    seen: FirstInline<C>,
    /// Not compared yet.
    fresh: FirstInline<C>,
    /// Compared and equal.
    found: Option<C>,
}

impl<C> Search<C> {
    fn new() -> Self {
        Search {
            seen: FirstInline::new(),
            fresh: FirstInline::new(),
            found: None,
        }
    }
}

/// A queued eviction: the dead entry's hash and a hold on its node.
pub(crate) struct Eviction<E, F: Flavor> {
    hash: u64,
    node: DetachedHandle<F>,
    _entry: PhantomData<E>,
}

// SAFETY: the hold is on the node of an entry of type `E`, which owns a
// handle to that same node; dropping the hold can do no more than dropping
// the entry can (drop the node's data and callback), so it may happen on
// any thread the entry may be sent to. Only the sync flavour's evictions
// are queued from other threads; the unsync flavour's are never `Send`.
unsafe impl<E: Send> Send for Eviction<E, crate::rt::flavor::Sync> {}

/// Below this capacity a table is not worth shrinking.
const MIN_SHRINK_CAPACITY: usize = 64;

pub(crate) struct Table<E> {
    pub(crate) map: HashTable<E>,
}

impl<E: TableEntry> Table<E> {
    /// Removes the entry `id`, if it is still in the table.
    pub(crate) fn remove(&mut self, hash: u64, id: EntryId) -> Option<E> {
        let found = self.map.find_entry(hash, |e| e.id() == id).ok()?;
        let removed = found.remove().0;
        // A dead entry costs nothing.
        self.shrink_if_sparse();
        Some(removed)
    }

    pub(crate) fn insert(&mut self, entry: E) {
        self.map.insert_unique(entry.hash(), entry, |e| e.hash());
    }

    /// Gives memory back once three quarters of the table is empty
    /// (halving at most, so that shrinking and growing again costs O(1)
    /// per operation, amortised).
    fn shrink_if_sparse(&mut self) {
        if self.map.capacity() > MIN_SHRINK_CAPACITY && self.map.len() * 4 < self.map.capacity() {
            self.map.shrink_to(self.map.len() * 2, |e| e.hash());
        }
    }

    pub(crate) fn take_all(&mut self) -> Vec<E> {
        core::mem::take(&mut self.map).into_iter().collect()
    }
}

/// A weak collection's table: the engine every collection is built on.
pub(crate) struct WeakTable<E, S, F: Flavor> {
    hasher: S,
    table: TableLock<Table<E>, F>,
    pending: F::Lock<Vec<Eviction<E, F>>>,
}

// A panic never leaves a table half-changed: each operation changes it
// only through a guard that, on unwinding too, applies the queued
// evictions and lets go, and drops what it took out after that. So, as
// `Mutex<HashMap>` (whose poisoning the collections do not need), a
// collection can be used across `catch_unwind`; what its entries hand out
// (keys, values, objects) is unwind-safe when they are.
impl<E: RefUnwindSafe, S: RefUnwindSafe, F: Flavor> UnwindSafe for WeakTable<E, S, F> {}
impl<E: RefUnwindSafe, S: RefUnwindSafe, F: Flavor> RefUnwindSafe for WeakTable<E, S, F> {}

impl<E: TableEntry, S, F: Flavor> WeakTable<E, S, F> {
    /// A new empty table, in the flavour's shared pointer.
    pub(crate) fn new_shared(hasher: S) -> SharedTable<E, S, F> {
        SharedPtr::new(WeakTable {
            hasher,
            table: TableLock::new(Table {
                map: HashTable::new(),
            }),
            pending: Lock::new(Vec::new()),
        })
    }

    pub(crate) fn hasher(&self) -> &S {
        &self.hasher
    }

    /// The death callback for an entry stored under `hash`.
    ///
    /// The caller makes sure that in the sync flavour the table is `Send +
    /// Sync` (see the `Callback` impl of [`Evictor`]).
    pub(crate) fn evictor(this: &SharedTable<E, S, F>, hash: u64) -> Evictor<E, S, F> {
        Evictor {
            table: SharedPtr::downgrade(this),
            hash,
        }
    }

    /// Locks the table.
    fn lock(&self) -> TableGuard<'_, E, S, F> {
        self.table.lock();
        // SAFETY: we have just taken the lock.
        unsafe { TableGuard::new(self) }
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

    /// What `pick` takes from every entry, in table order.
    pub(crate) fn snapshot<C>(&self, pick: impl FnMut(&E) -> C) -> Vec<C> {
        // Declared before the guard, so that if `pick` (a `V::clone`)
        // panics, what it made so far is dropped after the unwinding
        // unlocked.
        let mut out = Vec::new();
        let table = self.lock();
        out.reserve(table.map.len());
        out.extend(table.map.iter().map(pick));
        drop(table);
        out
    }

    /// The first thing `matches` makes of what `pick` pushed for the
    /// entries with `hash`: one lock, and the comparison after unlocking.
    /// What `pick` pushed before a panic is dropped after the unwinding
    /// unlocked. The answer is the table's state at that lock.
    pub(crate) fn find<C, R>(
        &self,
        hash: u64,
        mut pick: impl FnMut(&E, &mut Candidates<C>),
        matches: impl FnMut(C) -> Option<R>,
    ) -> Option<R> {
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
        drop(table);
        candidates.find_map(matches)
    }

    /// Locks the table with `search.found` holding what `pick` took from
    /// the entry with `hash` that `is_match` accepts, and that entry still
    /// in the table; or with `search.found` empty and no entry with `hash`
    /// that `is_match` accepts. Entries for which `pick` gives nothing are
    /// not candidates. See the module docs, "Progress".
    fn locate<C: Candidate>(
        &self,
        hash: u64,
        search: &mut Search<C>,
        mut pick: impl FnMut(&E) -> Option<C>,
        mut is_match: impl FnMut(&C) -> bool,
    ) -> TableGuard<'_, E, S, F> {
        loop {
            let table = self.lock();
            if let Some(found) = &search.found {
                let id = found.id();
                if table.map.find(hash, |e| e.id() == id).is_some() {
                    return table;
                }
                // It went away meanwhile: look again.
                drop(table);
                search.found = None;
                continue;
            }
            let seen = &search.seen;
            let fresh = &mut search.fresh;
            table.map.find(hash, |e| {
                if e.hash() == hash && !seen.any(|c| c.id() == e.id()) {
                    if let Some(c) = pick(e) {
                        fresh.push(c);
                    }
                }
                false
            });
            if search.fresh.is_empty() {
                return table;
            }
            drop(table);
            for c in search.fresh.take() {
                if search.found.is_none() && is_match(&c) {
                    search.found = Some(c);
                } else {
                    search.seen.push(c);
                }
            }
        }
    }

    /// Puts `new` in the table, as `decide` says once it has seen whether
    /// an entry with an equal key (by `is_match` on what `pick` takes, and
    /// `new`) is there. `decide` runs under the lock. Returns what `decide` returned
    /// and, unless it was inserted, `new` (or what `decide` left in it),
    /// for the caller to drop after unlocking.
    pub(crate) fn put<C: Candidate, R>(
        &self,
        new: E,
        pick: impl FnMut(&E) -> Option<C>,
        mut is_match: impl FnMut(&C, &E) -> bool,
        decide: impl FnOnce(Slot<'_, E, C>, &mut E) -> (R, Put),
    ) -> (R, Option<E>) {
        let hash = new.hash();
        // Both declared before the guard: dropped after unlocking.
        let mut spare = Some(new);
        let mut search = Search::new();
        let mut table = {
            let new = spare.as_ref().expect("the new entry");
            self.locate(hash, &mut search, pick, |c| is_match(c, new))
        };
        let new = spare.as_mut().expect("the new entry is only taken below");
        let (out, put) = match &search.found {
            None => decide(Slot::Vacant, new),
            Some(found) => {
                let id = found.id();
                let Some(old) = table.map.find_mut(hash, |e| e.id() == id) else {
                    unreachable!("`locate` returns with the found entry in the table")
                };
                decide(Slot::Occupied(old, found), new)
            }
        };
        match put {
            Put::Keep => {}
            Put::Insert => table.insert(spare.take().expect("the new entry")),
            Put::Replace => {
                if let Some(found) = &search.found {
                    if let Some(old) = table.remove(hash, found.id()) {
                        table.graveyard.push(old);
                    }
                }
                table.insert(spare.take().expect("the new entry"));
            }
        }
        drop(table);
        (out, spare)
    }

    /// Removes the entry with `hash` that `is_match` accepts (on what
    /// `pick` takes from it), and returns it, to be dropped by the caller
    /// (after unlocking).
    pub(crate) fn remove<C: Candidate>(
        &self,
        hash: u64,
        pick: impl FnMut(&E) -> Option<C>,
        is_match: impl FnMut(&C) -> bool,
    ) -> Option<E> {
        let mut search = Search::new();
        let mut table = self.locate(hash, &mut search, pick, is_match);
        let removed = table.remove(hash, search.found.as_ref()?.id());
        drop(table);
        removed
    }

    /// Takes every entry out, for the caller to drop (after unlocking).
    pub(crate) fn take_all(&self) -> Vec<E> {
        let mut table = self.lock();
        let all = table.take_all();
        drop(table);
        all
    }

    /// Keeps the entries for which `keep` says so, calling it with no lock
    /// held: on what `pick` takes from each entry of a snapshot (entries
    /// for which it gives nothing, such as dead ones, are kept). An entry
    /// `keep` refuses is removed if it is still in the table, and dropped
    /// after unlocking; entries inserted meanwhile are kept.
    pub(crate) fn retain<C: Candidate>(
        &self,
        pick: impl FnMut(&E) -> Option<C>,
        mut keep: impl FnMut(&C) -> bool,
    ) {
        let mut pick = pick;
        let snapshot = self.snapshot(|e| (e.hash(), pick(e)));
        for (hash, c) in snapshot {
            let Some(c) = c else { continue };
            if !keep(&c) {
                // `c` holds the entry's node, so its id is still its own.
                let mut table = self.lock();
                if let Some(removed) = table.remove(hash, c.id()) {
                    table.graveyard.push(removed);
                }
            }
        }
    }

    /// Keeps the entries for which `keep` says so, calling it with the
    /// table held (for what can only be read there), on what `pick` takes
    /// from each entry (entries for which it gives nothing, such as dead
    /// ones, are kept) and the entry. `keep` runs as user code: this
    /// thread's own use of the table panics (see `rt::table_lock`). What
    /// `pick` took and the removed entries are dropped after unlocking.
    pub(crate) fn retain_locked<U>(
        &self,
        mut pick: impl FnMut(&E) -> Option<U>,
        mut keep: impl FnMut(&U, &E) -> bool,
    ) {
        // Declared before the guard: dropped after unlocking, panic or not.
        let mut picked = Vec::new();
        let mut removed = Vec::new();
        let mut table = self.lock();
        let user = self.table.running_user_code();
        removed.extend(table.map.extract_if(|e| match pick(e) {
            None => false,
            Some(u) => {
                let refused = !keep(&u, e);
                picked.push(u);
                refused
            }
        }));
        drop(user);
        table.shrink_if_sparse();
        drop(table);
    }

    /// What `read` makes of the entry with `hash` that `is_match` accepts
    /// (on what `pick` takes from it), read with the table held, or `None`
    /// if there is none. Keys are compared with no lock held (see
    /// "Progress"); `read` runs as user code: this thread's own use of the
    /// table panics (see `rt::table_lock`).
    pub(crate) fn read<C: Candidate, R>(
        &self,
        hash: u64,
        pick: impl FnMut(&E) -> Option<C>,
        is_match: impl FnMut(&C) -> bool,
        read: impl FnOnce(&E) -> R,
    ) -> Option<R> {
        let mut search = Search::new();
        let table = self.locate(hash, &mut search, pick, is_match);
        let id = search.found.as_ref()?.id();
        let Some(entry) = table.map.find(hash, |e| e.id() == id) else {
            unreachable!("`locate` returns with the found entry in the table")
        };
        let _user = self.table.running_user_code();
        Some(read(entry))
    }

    /// Removes some entry for which `alive` gives something (its referent
    /// upgraded), and returns both; entries whose referent died on the way
    /// are dropped. The caller drops what it does not keep after unlocking.
    pub(crate) fn pop<X>(&self, mut alive: impl FnMut(&E) -> Option<X>) -> Option<(E, X)> {
        let mut table = self.lock();
        loop {
            let (hash, id) = {
                let any = table.map.iter().next()?;
                (any.hash(), any.id())
            };
            let removed = table.remove(hash, id)?;
            if let Some(x) = alive(&removed) {
                drop(table);
                return Some((removed, x));
            }
            // Its referent died and its eviction is on the way: skip it.
            table.graveyard.push(removed);
        }
    }

    /// Removes the entry of a dead node, now or, if the table is held,
    /// before its holder lets go.
    fn evict(&self, hash: u64, node: DetachedHandle<F>) {
        if self.table.try_lock() {
            // Declared before the guard, so dropped after unlocking, as
            // `node` (a parameter) is: the common case keeps the removed
            // entry out of the graveyard's bookkeeping.
            let _dead;
            // SAFETY: we have just taken the lock.
            let mut table = unsafe { TableGuard::new(self) };
            _dead = table.remove(hash, EntryId(node.ptr()));
            drop(table);
            return;
        }
        self.pending.lock().push(Eviction {
            hash,
            node,
            _entry: PhantomData,
        });
        if self.table.flag_queued_or_lock() {
            // Let go meanwhile, and now ours: so is the queue.
            // Declared before the guard: the holds are let go after
            // unlocking.
            let mut holds = Vec::new();
            // SAFETY: `flag_queued_or_lock` has just taken the lock.
            unsafe { TableGuard::new(self) }.drain_queued(&mut holds);
        }
    }

    /// Takes every queued eviction.
    fn take_pending(&self) -> Vec<Eviction<E, F>> {
        core::mem::take(&mut *self.pending.lock())
    }
}

impl<E: TableEntry, S: core::hash::BuildHasher, F: Flavor> WeakTable<E, S, F> {
    /// `value`'s hash by the table's hasher.
    pub(crate) fn hash_of<Q: ?Sized + core::hash::Hash>(&self, value: &Q) -> u64 {
        self.hasher.hash_one(value)
    }
}

/// The locked table. Dropping it applies the evictions queued meanwhile,
/// unlocks, and only then drops whatever was removed.
pub(crate) struct TableGuard<'a, E: TableEntry, S, F: Flavor> {
    shared: &'a WeakTable<E, S, F>,
    /// Removed entries, dropped after unlocking (their drops run user code).
    pub(crate) graveyard: FirstInline<E>,
}

impl<'a, E: TableEntry, S, F: Flavor> TableGuard<'a, E, S, F> {
    /// The guard of the table the caller has just locked.
    ///
    /// # Safety
    ///
    /// The caller holds `shared`'s table lock and hands it to the guard,
    /// which lets go of it when dropped.
    unsafe fn new(shared: &'a WeakTable<E, S, F>) -> Self {
        TableGuard {
            shared,
            graveyard: FirstInline::new(),
        }
    }

    /// Applies the evictions queued while the table was held, until the
    /// unlock succeeds; returns their holds on their nodes, to let go of
    /// after unlocking. Off the lookups' path: their guard carries no
    /// list of holds.
    #[cold]
    #[inline(never)]
    fn drain_queued_and_unlock(&mut self) -> Vec<DetachedHandle<F>> {
        let mut holds = Vec::new();
        loop {
            self.drain_queued(&mut holds);
            // SAFETY: the guard holds the lock; once the unlock succeeds,
            // the table is not touched again.
            if unsafe { self.shared.table.unlock_unless_queued() } {
                return holds;
            }
        }
    }

    /// Applies the evictions queued now, putting their holds in `holds`.
    fn drain_queued(&mut self, holds: &mut Vec<DetachedHandle<F>>) {
        for Eviction { hash, node, .. } in self.shared.take_pending() {
            if let Some(dead) = self.remove(hash, EntryId(node.ptr())) {
                self.graveyard.push(dead);
            }
            holds.push(node);
        }
    }
}

impl<E: TableEntry, S, F: Flavor> Deref for TableGuard<'_, E, S, F> {
    type Target = Table<E>;
    fn deref(&self) -> &Table<E> {
        // SAFETY: the guard holds the lock until dropped, and the borrow
        // cannot outlive the guard.
        unsafe { &*self.shared.table.get() }
    }
}

impl<E: TableEntry, S, F: Flavor> DerefMut for TableGuard<'_, E, S, F> {
    fn deref_mut(&mut self) -> &mut Table<E> {
        // SAFETY: the guard holds the lock until dropped, so no other
        // thread touches the table (in the unsync flavour no other thread
        // can reach it at all, and the flag keeps this thread's other
        // frames out), and `&mut self` makes this the only
        // borrow of it on this one; the borrow cannot outlive the guard.
        unsafe { &mut *self.shared.table.get() }
    }
}

impl<E: TableEntry, S, F: Flavor> Drop for TableGuard<'_, E, S, F> {
    #[inline]
    fn drop(&mut self) {
        // Declared before the graveyard is emptied, so dropped after it
        // (and still dropped if dropping it panics).
        let mut holds = Vec::new();
        // SAFETY: the guard holds the lock; once the unlock succeeds, the
        // table is not touched again.
        if !unsafe { self.shared.table.unlock_unless_queued() } {
            holds = self.drain_queued_and_unlock();
        }
        // Dropping removed entries may kill more referents, whose evictions
        // then find the table free, or flag its next holder.
        if !self.graveyard.is_empty() {
            drop(core::mem::replace(&mut self.graveyard, FirstInline::new()));
        }
        drop(holds);
    }
}
