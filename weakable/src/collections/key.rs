//! `WeakKeyDictionary<K, V>`: a map whose keys are held weakly.

use alloc::vec::Vec;

use crate::collections::DefaultHashBuilder;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ops::{BitOr, BitOrAssign};

use crate::core::table::{Candidate, EntryId, Put, SharedTable, Slot, TableEntry, WeakTable};
use crate::obj::Obj;
use crate::reference::Ref;
use crate::rt::flavor::{Flavor, Shareable, Sync};
use crate::traits::WeakRefable;

/// One entry: the key's ref, which carries the entry's hash (the key may be
/// dead when the entry is evicted, so the hash cannot be recomputed), and
/// the value.
pub(super) struct Entry<K: ?Sized, V, F: Flavor> {
    hash: u64,
    key: Ref<K, u64, F>,
    value: V,
}

impl<K: ?Sized, V, F: Flavor> TableEntry for Entry<K, V, F> {
    fn hash(&self) -> u64 {
        self.hash
    }
    fn id(&self) -> EntryId {
        EntryId::of(self.key.handle())
    }
}

/// A live entry's key, as a put or remove compares it: its ref (which
/// holds the entry's node) and the key object, kept alive.
struct KeyCandidate<K: ?Sized, F: Flavor> {
    r: Ref<K, u64, F>,
    key: Obj<K, F>,
}

impl<K: ?Sized, F: Flavor> Candidate for KeyCandidate<K, F> {
    fn id(&self) -> EntryId {
        EntryId::of(self.r.handle())
    }
}

impl<K: ?Sized, V, F: Flavor> Entry<K, V, F> {
    /// The entry's key as a candidate, if it is alive.
    fn candidate(&self) -> Option<KeyCandidate<K, F>> {
        let key = self.key.upgrade()?;
        Some(KeyCandidate {
            r: self.key.clone(),
            key,
        })
    }
}

/// A map from objects to values that does not keep its keys alive, Python's
/// `weakref.WeakKeyDictionary`: an entry disappears the moment its key dies.
///
/// The typical use is attaching extra data to objects owned by someone else,
/// without keeping them alive.
///
/// Keys are [`Obj<K>`]s compared by value (`K: Eq + Hash`), as CPython
/// compares keys with `__eq__` and `__hash__`; lookups take a plain `&K`.
///
/// - **Eager and exact.** Each entry holds a ref to its key (carrying the
///   entry's hash), whose death callback removes the entry, so `len()` is
///   exact once the key's last `Obj` is dropped and the entry (its value
///   included) is freed then, with no later call. (The `weak-table` crate
///   instead keeps dead entries, and counts them in `len()`, until it next
///   resizes.)
/// - **Shared.** Every method takes `&self`; the dictionary is a handle to a
///   shared table (`Clone` copies the entries, as Python's `copy()`). In
///   the sync flavour it is `Send + Sync` when `K` and `V` are; in the
///   unsync one (`weakable::unsync::WeakKeyDictionary`) it is neither, and
///   `K` and `V` need not be either.
/// - **No lock around user code.** Keys are hashed and compared, and keys
///   and values dropped, with no lock held, so a key's `Eq`, a value's
///   `Drop` or a callback may use the dictionary again. The one exception:
///   where a value is copied out (`get`, `values`, `items`, `setdefault`,
///   `Clone`, `==`, `Debug`), `V::clone` runs with the dictionary's lock
///   held, so it must not use this dictionary (in the sync flavour it would
///   wait for ever; in the unsync one it panics, saying so). The closures
///   of [`get_with`](Self::get_with) and [`retain`](Self::retain), which
///   read values in place, run there too; their use of this dictionary
///   panics, saying so, in both flavours. A `V::clone`
///   may kill other keys of the dictionary: their evictions are queued
///   (CPython's `_pending_removals`) and applied before the lock is let
///   go. A write compares its
///   candidates unlocked, then acts on the one that matched; it looks again
///   only if that entry went away or new keys with the same hash arrived,
///   so it finishes whatever the rest of the table goes through.
/// - **Iteration** (`keys`, `values`, `items`, `iter`) walks a snapshot of
///   the entries taken when it starts; it yields an entry only if its key
///   is still alive when reached, never a dead one, never panics and never
///   blocks other users. Entries inserted after it started are not yielded.
///
/// # CPython's key quirk
///
/// Inserting a key equal to (but not the same object as) an existing key
/// replaces the value and **keeps the old key object**, as CPython does.
/// The entry then still dies with the old key. To make the new object the
/// key, remove the entry first:
///
/// ```
/// use weakable::{Obj, WeakKeyDictionary, Weakable};
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Id(u32);
///
/// let d = WeakKeyDictionary::new();
/// let (old, new) = (Obj::new(Id(1)), Obj::new(Id(1)));
/// d.insert(&old, "a");
/// d.insert(&new, "b"); // replaces the value, keeps `old` as the key
/// assert!(Obj::ptr_eq(&d.keys().next().unwrap(), &old));
/// assert_eq!(d.get(&Id(1)), Some("b"));
///
/// d.remove(&new); // the workaround: remove, then insert
/// d.insert(&new, "b");
/// assert!(Obj::ptr_eq(&d.keys().next().unwrap(), &new));
/// drop(old);
/// assert_eq!(d.len(), 1);
/// ```
///
/// Keys are hashed with `S`, by default [`DefaultHashBuilder`](crate::DefaultHashBuilder):
/// std's DoS-resistant `RandomState` (a fixed-key hash without std).
/// Values are `'static`: a key's death drops its value, whenever that
/// comes (even after the dictionary was leaked with `mem::forget`).
///
/// # Cost
///
/// An entry is one allocation (the ref to its key, carrying the entry's
/// hash) plus its slot in the table, and nothing once its key has died. A
/// lookup takes the table's lock (one compare-and-swap, and one to give it
/// back), upgrades each key with the looked-up hash there (no user code
/// runs), compares them after unlocking and drops the upgrades: four atomic
/// read-modify-writes, against two for the `weak-table` crate's
/// single-threaded map. The unsync flavour does the same steps with plain
/// loads and stores. Measurements: the crate docs' [Cost](crate#cost)
/// section.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakKeyDictionary, Weakable};
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Widget(u32);
///
/// let extra = WeakKeyDictionary::new();
/// let w = Obj::new(Widget(1));
/// extra.insert(&w, "metadata");
/// assert_eq!(extra.get(&Widget(1)), Some("metadata"));
///
/// drop(w); // the dictionary did not keep it alive
/// assert!(extra.is_empty());
/// ```
pub struct WeakKeyDictionary<K: ?Sized, V, S = DefaultHashBuilder, F: Flavor = Sync> {
    table: SharedTable<Entry<K, V, F>, S, F>,
}

impl<K: ?Sized, V, F: Flavor> WeakKeyDictionary<K, V, DefaultHashBuilder, F> {
    /// An empty dictionary.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d: WeakKeyDictionary<Widget, u32> = WeakKeyDictionary::new();
    /// assert!(d.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::default())
    }
}

impl<K: ?Sized, V, S, F: Flavor> WeakKeyDictionary<K, V, S, F> {
    /// An empty dictionary hashing keys with `hasher`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::hash_map::RandomState;
    /// use weakable::{WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d: WeakKeyDictionary<Widget, u32> = WeakKeyDictionary::with_hasher(RandomState::new());
    /// assert_eq!(d.len(), 0);
    /// ```
    #[must_use]
    pub fn with_hasher(hasher: S) -> Self {
        WeakKeyDictionary {
            table: WeakTable::<_, _, F>::new_shared(hasher),
        }
    }

    /// The number of entries, all of them alive (exact whenever no other
    /// thread is dropping a key at that moment).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let (a, b) = (Obj::new(Widget(1)), Obj::new(Widget(2)));
    /// d.insert(&a, 1);
    /// d.insert(&b, 2);
    /// assert_eq!(d.len(), 2);
    /// drop(a);
    /// assert_eq!(d.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether there is no entry (Python's `not d`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d = WeakKeyDictionary::new();
    /// assert!(d.is_empty());
    /// d.insert(&Obj::new(Widget), 1); // a temporary: dies at once
    /// assert!(d.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget);
    /// d.insert(&a, 1);
    /// d.clear();
    /// assert!(d.is_empty());
    /// ```
    pub fn clear(&self) {
        self.table.clear();
    }

    pub(crate) fn hasher(&self) -> &S {
        self.table.hasher()
    }

    fn key_snapshot(&self) -> Vec<Ref<K, u64, F>> {
        self.table.snapshot(|e| e.key.clone())
    }

    /// Clones every value with the lock held.
    fn item_snapshot(&self) -> Vec<(Ref<K, u64, F>, V)>
    where
        V: Clone,
    {
        // If a `V::clone` panics, the clones made so far are dropped after
        // the unwinding unlocked.
        self.table.snapshot(|e| (e.key.clone(), e.value.clone()))
    }

    /// The entries' own key refs, each carrying its entry's hash as
    /// `data()`: Python's `keyrefs()`. Only entries alive at the call are
    /// listed.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget);
    /// d.insert(&a, "x");
    /// let refs = d.keyrefs();
    /// assert_eq!(refs.len(), 1);
    /// assert!(Obj::ptr_eq(&refs[0].upgrade().unwrap(), &a));
    /// ```
    #[must_use]
    pub fn keyrefs(&self) -> Vec<Ref<K, u64, F>> {
        let mut refs = self.key_snapshot();
        refs.retain(Ref::is_alive);
        refs
    }

    /// The live keys: Python's `keys()`.
    ///
    /// Walks a snapshot: see [the type's docs](WeakKeyDictionary) for what
    /// iteration guarantees.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash, Debug)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget(1));
    /// d.insert(&a, ());
    /// d.insert(&Obj::new(Widget(2)), ()); // dies at once
    /// assert_eq!(d.keys().map(|k| k.0).collect::<Vec<_>>(), [1]);
    /// ```
    pub fn keys(&self) -> WeakKeys<K, F> {
        WeakKeys {
            refs: self.key_snapshot().into_iter(),
        }
    }

    /// The live `(key, value)` pairs: Python's `items()`. The values are
    /// cloned when the iteration starts, with the lock held.
    ///
    /// Walks a snapshot: see [the type's docs](WeakKeyDictionary) for what
    /// iteration guarantees.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget(1));
    /// d.insert(&a, "one");
    /// let items: Vec<_> = d.items().map(|(k, v)| (k.0, v)).collect();
    /// assert_eq!(items, [(1, "one")]);
    /// ```
    pub fn items(&self) -> WeakKeyItems<K, V, F>
    where
        V: Clone,
    {
        WeakKeyItems {
            entries: self.item_snapshot().into_iter(),
        }
    }

    /// Same as [`items`](WeakKeyDictionary::items).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget);
    /// d.insert(&a, 7);
    /// assert_eq!(d.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> WeakKeyItems<K, V, F>
    where
        V: Clone,
    {
        self.items()
    }

    /// The values of live entries: Python's `values()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let (a, b) = (Obj::new(Widget(1)), Obj::new(Widget(2)));
    /// d.insert(&a, 10);
    /// d.insert(&b, 20);
    /// assert_eq!(d.values().sum::<i32>(), 30);
    /// ```
    pub fn values(&self) -> WeakKeyValues<K, V, F>
    where
        V: Clone,
    {
        WeakKeyValues {
            items: self.items(),
        }
    }

    /// Keeps only the live entries for which `keep` returns `true`:
    /// `HashMap::retain`.
    ///
    /// The values live in the dictionary's table, so `keep` reads them
    /// with the table held, in one pass (running user code there, as
    /// `V::clone` does elsewhere): it must not use this dictionary. If it
    /// does, it panics, saying so, in both flavours (rather than waiting
    /// for itself). It may use other collections, drop objects, and kill
    /// keys of this dictionary (their evictions are applied before the
    /// table is let go). Entries whose key died are skipped; the keys it
    /// is shown and the removed entries are dropped after the table is let
    /// go. [`WeakSet::retain`](crate::flavor::WeakSet::retain) and
    /// [`WeakValueDictionary::retain`](crate::flavor::WeakValueDictionary::retain),
    /// whose elements and values are objects, run their closure with no
    /// lock held.
    ///
    /// # Panics
    ///
    /// If `keep` uses this dictionary; and whatever `keep` panics with
    /// (the entries it refused before are removed).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let (a, b) = (Obj::new(Widget(1)), Obj::new(Widget(2)));
    /// d.insert(&a, "keep");
    /// d.insert(&b, "drop");
    /// d.retain(|_widget: &Widget, note: &&str| *note == "keep");
    /// assert_eq!(d.len(), 1);
    /// assert!(d.contains_key(&a));
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.table
            .retain_locked(|e| e.key.upgrade(), |key, e| keep(key, &e.value));
    }

    /// Keeps only the entries whose live key `keep` accepts, calling it
    /// with no lock held (what `WeakSet::retain` is).
    pub(crate) fn retain_keys(&self, mut keep: impl FnMut(&K) -> bool) {
        self.table.retain(Entry::candidate, |c| keep(&c.key));
    }

    /// Takes the entries out, as `(key ref, value)` pairs, for the owned
    /// iterators.
    fn into_pairs(self) -> alloc::vec::IntoIter<(Ref<K, u64, F>, V)> {
        let pairs: Vec<_> = self
            .table
            .take_all()
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect();
        pairs.into_iter()
    }

    /// The live keys, consuming the dictionary (what `WeakSet`'s owned
    /// iterator is).
    pub(crate) fn into_keys(self) -> WeakKeys<K, F> {
        WeakKeys {
            refs: self
                .into_pairs()
                .map(|(key, _)| key)
                .collect::<Vec<_>>()
                .into_iter(),
        }
    }

    /// Removes and returns some live entry: Python's `popitem()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget);
    /// d.insert(&a, "x");
    /// let (k, v) = d.popitem().unwrap();
    /// assert!(Obj::ptr_eq(&k, &a));
    /// assert_eq!(v, "x");
    /// assert!(d.popitem().is_none());
    /// ```
    pub fn popitem(&self) -> Option<(Obj<K, F>, V)> {
        let (removed, key) = self.table.pop(|e| e.key.upgrade())?;
        Some((key, removed.value))
    }
}

impl<K, V, S, F: Flavor> WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq,
    S: BuildHasher,
{
    /// The value of `key`'s entry, cloned: Python's `d.get(key)`.
    /// `V::clone` runs with the dictionary's lock held.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget(1));
    /// d.insert(&a, "one");
    /// assert_eq!(d.get(&Widget(1)), Some("one")); // any equal key finds it
    /// assert_eq!(d.get(&Widget(2)), None);
    /// ```
    #[must_use]
    pub fn get(&self, key: &K) -> Option<V>
    where
        V: Clone,
    {
        let hash = self.table.hash_of(key);
        // One lock: each candidate with a live key has its key upgraded and
        // its value cloned, and the keys are compared after unlocking. The
        // answer is the table's state at that lock, whatever happens after.
        // The key is pushed before the value is cloned, so that if the clone
        // panics, the key (maybe the last handle on it) is dropped after
        // the unwinding unlocked.
        let found = self.table.find(
            hash,
            |e, out| {
                if let Some(k) = e.key.upgrade() {
                    out.push((k, None));
                    if let Some((_, value)) = out.last_mut() {
                        *value = Some(e.value.clone());
                    }
                }
            },
            |(k, value)| (*k == *key).then_some(value),
        );
        found.flatten()
    }

    /// What `read` makes of `key`'s value, if it has an entry: a look-up
    /// that does not clone the value (`V` need not be `Clone`).
    ///
    /// Keys are compared with no lock held; `read` then runs with the
    /// dictionary's table held, as `V::clone` does in
    /// [`get`](Self::get), since that is where the value lives: it must not
    /// use this dictionary. If it does, it panics, saying so, in both
    /// flavours (rather than waiting for itself). It may use other
    /// collections, and kill keys of this one (their evictions are applied
    /// before the table is let go).
    ///
    /// # Panics
    ///
    /// If `read` uses this dictionary; and whatever `read` panics with.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// struct Style {
    ///     colour: String, // no `Clone`: read in place
    /// }
    ///
    /// let styles = WeakKeyDictionary::new();
    /// let w = Obj::new(Widget(1));
    /// styles.insert(&w, Style { colour: "red".into() });
    /// assert_eq!(styles.get_with(&Widget(1), |s| s.colour.len()), Some(3));
    /// assert_eq!(styles.get_with(&Widget(2), |s| s.colour.len()), None);
    /// ```
    pub fn get_with<R>(&self, key: &K, read: impl FnOnce(&V) -> R) -> Option<R> {
        let hash = self.table.hash_of(key);
        self.table.read(
            hash,
            Entry::candidate,
            |c| *c.key == *key,
            |e| read(&e.value),
        )
    }

    /// Whether `key` has a live entry: Python's `key in d`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget(1));
    /// d.insert(&a, ());
    /// assert!(d.contains_key(&Widget(1)));
    /// assert!(!d.contains_key(&Widget(2)));
    /// ```
    #[must_use]
    pub fn contains_key(&self, key: &K) -> bool {
        let hash = self.table.hash_of(key);
        let found = self.table.find(
            hash,
            |e, out| out.extend(e.key.upgrade()),
            |k| (*k == *key).then_some(()),
        );
        found.is_some()
    }

    /// Removes `key`'s entry and returns its value: Python's
    /// `d.pop(key, None)` (and `del d[key]`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget(1));
    /// d.insert(&a, "one");
    /// assert_eq!(d.remove(&Widget(1)), Some("one"));
    /// assert_eq!(d.remove(&Widget(1)), None);
    /// ```
    pub fn remove(&self, key: &K) -> Option<V> {
        let hash = self.table.hash_of(key);
        let removed = self
            .table
            .remove(hash, Entry::candidate, |c| *c.key == *key)?;
        // The rest of the entry is dropped after unlocking.
        Some(removed.value)
    }
}

impl<K, V, S, F: Flavor> WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    S: BuildHasher + Shareable<F>,
{
    /// Inserts `key` with `value` unless an equal live key is there; then
    /// `existing` gets that entry's value and the new one (it runs under
    /// the lock; whatever it leaves in the new entry's place is handed back
    /// with the unused entry, to be dropped after unlocking). `inserted`
    /// sees the new value before it goes in, also under the lock.
    ///
    /// The caller makes sure that `V` is `Shareable<F>` (the public
    /// methods ask for it; `WeakSet`'s `V` is `()`), which, with `K` and
    /// `S`, makes the entry's evictor `Sendable<F>` (see `core::table`).
    pub(crate) fn put<R>(
        &self,
        key: &Obj<K, F>,
        value: V,
        existing: impl FnOnce(&mut V, &mut V) -> R,
        inserted: impl FnOnce(&V) -> R,
    ) -> (R, Option<V>) {
        let hash = self.table.hash_of(&**key);
        let entry = Entry {
            hash,
            key: Ref::with_internal_callback(key, hash, WeakTable::evictor(&self.table, hash)),
            value,
        };
        let (out, unused) = self.table.put(
            entry,
            Entry::candidate,
            |c, _| *c.key == **key,
            |slot, new| match slot {
                // The common case, a new key: one lock, no comparison.
                Slot::Vacant => (inserted(&new.value), Put::Insert),
                // CPython's quirk (SPEC 14): the old key object stays.
                Slot::Occupied(old, _) => (existing(&mut old.value, &mut new.value), Put::Keep),
            },
        );
        (out, unused.map(|e| e.value))
    }
}

impl<K, V, S, F: Flavor> WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    // 'static: a key's death drops its value, and nothing ties when that
    // happens to a borrow the value holds (a dictionary leaked with
    // `mem::forget` still evicts).
    V: Shareable<F> + 'static,
    S: BuildHasher + Shareable<F>,
{
    /// Maps `key` to `value` without keeping `key` alive, Python's
    /// `d[key] = value`, and returns the value it replaced.
    ///
    /// If an equal key is already there, its value is replaced and the old
    /// key object is kept (CPython's quirk; see
    /// [the type's docs](WeakKeyDictionary#cpythons-key-quirk)).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget(1));
    /// assert_eq!(d.insert(&a, 1), None);
    /// assert_eq!(d.insert(&a, 2), Some(1));
    /// assert_eq!(d.get(&a), Some(2));
    /// ```
    pub fn insert(&self, key: &Obj<K, F>, value: V) -> Option<V> {
        // After a swap the unused entry holds the old value; after an
        // insertion there is none.
        let ((), old) = self.put(key, value, |cur, new| core::mem::swap(cur, new), |_| ());
        old
    }

    /// The value of `key` if it has an entry, otherwise maps `key` to
    /// `default` and returns it: Python's `setdefault`. `V::clone` runs
    /// with the dictionary's lock held.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget(1));
    /// assert_eq!(d.setdefault(&a, 1), 1);
    /// assert_eq!(d.setdefault(&a, 2), 1);
    /// ```
    pub fn setdefault(&self, key: &Obj<K, F>, default: V) -> V
    where
        V: Clone,
    {
        // The unused default is dropped after unlocking, even if a clone
        // panics.
        self.put(key, default, |cur, _| cur.clone(), V::clone).0
    }

    /// Inserts every pair: Python's `update`. Later pairs win.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let d = WeakKeyDictionary::new();
    /// let (a, b) = (Obj::new(Widget(1)), Obj::new(Widget(2)));
    /// d.update([(&a, 1), (&b, 2), (&a, 3)]);
    /// assert_eq!(d.len(), 2);
    /// assert_eq!(d.get(&a), Some(3));
    /// ```
    pub fn update<'a, I>(&self, pairs: I)
    where
        I: IntoIterator<Item = (&'a Obj<K, F>, V)>,
        K: 'a,
    {
        for (k, v) in pairs {
            self.insert(k, v);
        }
    }
}

impl<K: ?Sized, V, S: Default, F: Flavor> Default for WeakKeyDictionary<K, V, S, F> {
    /// An empty dictionary.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d: WeakKeyDictionary<Widget, u8> = Default::default();
    /// assert!(d.is_empty());
    /// ```
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

impl<K, V, S, F: Flavor> Clone for WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    V: Clone + Shareable<F> + 'static,
    S: BuildHasher + Clone + Shareable<F>,
{
    /// A new dictionary with the same live entries: Python's `copy()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget;
    ///
    /// let d = WeakKeyDictionary::new();
    /// let a = Obj::new(Widget);
    /// d.insert(&a, 1);
    /// let copy = d.clone();
    /// d.clear();
    /// assert_eq!(copy.get(&a), Some(1));
    /// ```
    fn clone(&self) -> Self {
        let copy = Self::with_hasher(self.table.hasher().clone());
        for (k, v) in self.items() {
            copy.insert(&k, v);
        }
        copy
    }
}

impl<K, V, S, F: Flavor> PartialEq for WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq,
    V: Clone + PartialEq,
    S: BuildHasher,
{
    /// Equal when both have equal keys mapped to equal values, as Python
    /// compares mappings.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let (d, e) = (WeakKeyDictionary::new(), WeakKeyDictionary::new());
    /// let (a, a2) = (Obj::new(Widget(1)), Obj::new(Widget(1)));
    /// d.insert(&a, 1);
    /// e.insert(&a2, 1);
    /// assert!(d == e);
    /// e.insert(&a2, 2);
    /// assert!(d != e);
    /// ```
    fn eq(&self, other: &Self) -> bool {
        let mine: Vec<(Obj<K, F>, V)> = self.items().collect();
        mine.len() == other.len()
            && mine
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| *v == w))
    }
}

impl<K, V, S, F: Flavor> fmt::Debug for WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + fmt::Debug,
    V: Clone + fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.items()).finish()
    }
}

impl<'a, K, V, S, F: Flavor> Extend<(&'a Obj<K, F>, V)> for WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F> + 'a,
    V: Shareable<F> + 'static,
    S: BuildHasher + Shareable<F>,
{
    fn extend<I: IntoIterator<Item = (&'a Obj<K, F>, V)>>(&mut self, pairs: I) {
        self.update(pairs);
    }
}

impl<'a, K, V, S, F: Flavor> FromIterator<(&'a Obj<K, F>, V)> for WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F> + 'a,
    V: Shareable<F> + 'static,
    S: BuildHasher + Default + Shareable<F>,
{
    /// A dictionary of the pairs (Python's `WeakKeyDictionary(dict)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let (a, b) = (Obj::new(Widget(1)), Obj::new(Widget(2)));
    /// let d: WeakKeyDictionary<_, _> = [(&a, "a"), (&b, "b")].into_iter().collect();
    /// assert_eq!(d.len(), 2);
    /// ```
    fn from_iter<I: IntoIterator<Item = (&'a Obj<K, F>, V)>>(pairs: I) -> Self {
        let d = Self::default();
        d.update(pairs);
        d
    }
}

impl<K, V, S, F: Flavor> Extend<(Obj<K, F>, V)> for WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    V: Shareable<F> + 'static,
    S: BuildHasher + Shareable<F>,
{
    /// Inserts every pair; later pairs win. The dictionary does not keep
    /// the keys alive: a key that nothing else holds dies with the pair,
    /// and its entry with it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let kept = Obj::new(Widget(1));
    /// let mut d = WeakKeyDictionary::new();
    /// d.extend([(kept.clone(), "kept"), (Obj::new(Widget(2)), "temporary")]);
    /// assert_eq!(d.values().collect::<Vec<_>>(), ["kept"]);
    /// ```
    fn extend<I: IntoIterator<Item = (Obj<K, F>, V)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(&k, v);
        }
    }
}

impl<K, V, S, F: Flavor> FromIterator<(Obj<K, F>, V)> for WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    V: Shareable<F> + 'static,
    S: BuildHasher + Default + Shareable<F>,
{
    /// A dictionary of the pairs (the keys it does not keep alive: see
    /// [`extend`](Extend::extend)).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let widgets = [Obj::new(Widget(1)), Obj::new(Widget(2))];
    /// let d: WeakKeyDictionary<Widget, u8> = widgets.iter().map(|w| (w.clone(), w.0)).collect();
    /// assert_eq!(d.get(&Widget(2)), Some(2));
    /// ```
    fn from_iter<I: IntoIterator<Item = (Obj<K, F>, V)>>(pairs: I) -> Self {
        let mut d = Self::default();
        d.extend(pairs);
        d
    }
}

impl<K: ?Sized, V, S, F: Flavor> IntoIterator for WeakKeyDictionary<K, V, S, F> {
    type Item = (Obj<K, F>, V);
    type IntoIter = WeakKeyItems<K, V, F>;

    /// The live `(key, value)` pairs, consuming the dictionary: the values
    /// are moved out, not cloned (`V` need not be `Clone`). Entries whose
    /// key dies before they are reached are skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// struct Note(String); // not `Clone`
    ///
    /// let d = WeakKeyDictionary::new();
    /// let w = Obj::new(Widget(1));
    /// d.insert(&w, Note("hello".into()));
    /// for (key, note) in d {
    ///     assert_eq!((key.0, note.0.as_str()), (1, "hello"));
    /// }
    /// ```
    fn into_iter(self) -> WeakKeyItems<K, V, F> {
        WeakKeyItems {
            entries: self.into_pairs(),
        }
    }
}

impl<K: ?Sized, V: Clone, S, F: Flavor> IntoIterator for &WeakKeyDictionary<K, V, S, F> {
    type Item = (Obj<K, F>, V);
    type IntoIter = WeakKeyItems<K, V, F>;
    fn into_iter(self) -> WeakKeyItems<K, V, F> {
        self.items()
    }
}

impl<K, V, S, F: Flavor> BitOr for &WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    V: Clone + Shareable<F> + 'static,
    S: BuildHasher + Clone + Shareable<F>,
{
    type Output = WeakKeyDictionary<K, V, S, F>;

    /// A new dictionary with `self`'s entries updated by `other`'s:
    /// Python's `d1 | d2`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let (d, e) = (WeakKeyDictionary::new(), WeakKeyDictionary::new());
    /// let (a, b) = (Obj::new(Widget(1)), Obj::new(Widget(2)));
    /// d.insert(&a, 1);
    /// e.insert(&a, 10);
    /// e.insert(&b, 20);
    /// let u = &d | &e;
    /// assert_eq!((u.get(&a), u.get(&b)), (Some(10), Some(20)));
    /// ```
    fn bitor(self, other: Self) -> Self::Output {
        let out = self.clone();
        for (k, v) in other.items() {
            out.insert(&k, v);
        }
        out
    }
}

impl<K, V, S, F: Flavor> BitOrAssign<&WeakKeyDictionary<K, V, S, F>>
    for WeakKeyDictionary<K, V, S, F>
where
    K: ?Sized + Hash + Eq + WeakRefable + Shareable<F>,
    V: Clone + Shareable<F> + 'static,
    S: BuildHasher + Shareable<F>,
{
    /// Updates `self` with `other`'s entries: Python's `d1 |= d2`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakKeyDictionary, Weakable};
    ///
    /// #[derive(Weakable, PartialEq, Eq, Hash)]
    /// struct Widget(u8);
    ///
    /// let (mut d, e) = (WeakKeyDictionary::new(), WeakKeyDictionary::new());
    /// let a = Obj::new(Widget(1));
    /// e.insert(&a, 1);
    /// d |= &e;
    /// assert_eq!(d.get(&a), Some(1));
    /// ```
    fn bitor_assign(&mut self, other: &WeakKeyDictionary<K, V, S, F>) {
        for (k, v) in other.items() {
            self.insert(&k, v);
        }
    }
}

/// The iterator of [`WeakKeyDictionary::items`]: live `(key, value)` pairs
/// from a snapshot.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakKeyDictionary, WeakKeyItems, Weakable};
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Widget;
///
/// let d = WeakKeyDictionary::new();
/// let a = Obj::new(Widget);
/// d.insert(&a, 1);
/// let mut it: WeakKeyItems<Widget, i32> = d.items();
/// assert_eq!(it.next().map(|(_, v)| v), Some(1));
/// assert!(it.next().is_none());
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct WeakKeyItems<K: ?Sized, V, F: Flavor = Sync> {
    entries: alloc::vec::IntoIter<(Ref<K, u64, F>, V)>,
}

impl<K: ?Sized, V, F: Flavor> Iterator for WeakKeyItems<K, V, F> {
    type Item = (Obj<K, F>, V);

    fn next(&mut self) -> Option<(Obj<K, F>, V)> {
        self.entries
            .by_ref()
            .find_map(|(r, v)| r.upgrade().map(|k| (k, v)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.entries.len()))
    }
}

snapshot_iterator!(WeakKeyItems<K, V, F>, [K: ?Sized, V, F: Flavor], |it| it.entries.len());

/// The iterator of [`WeakKeyDictionary::values`]: the values of live
/// entries, cloned from a snapshot.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakKeyDictionary, WeakKeyValues, Weakable};
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Widget;
///
/// let d = WeakKeyDictionary::new();
/// let a = Obj::new(Widget);
/// d.insert(&a, 1);
/// let mut values: WeakKeyValues<Widget, i32> = d.values();
/// assert_eq!(values.next(), Some(1));
/// assert_eq!(values.next(), None);
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct WeakKeyValues<K: ?Sized, V, F: Flavor = Sync> {
    items: WeakKeyItems<K, V, F>,
}

impl<K: ?Sized, V, F: Flavor> Iterator for WeakKeyValues<K, V, F> {
    type Item = V;

    fn next(&mut self) -> Option<V> {
        self.items.next().map(|(_, v)| v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}

snapshot_iterator!(WeakKeyValues<K, V, F>, [K: ?Sized, V, F: Flavor], |it| it.items.entries.len());

/// The iterator of [`WeakKeyDictionary::keys`] (and of
/// [`WeakSet::iter`](crate::WeakSet::iter)): live keys from a snapshot.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakKeyDictionary, WeakKeys, Weakable};
///
/// #[derive(Weakable, PartialEq, Eq, Hash)]
/// struct Widget;
///
/// let d = WeakKeyDictionary::new();
/// let a = Obj::new(Widget);
/// d.insert(&a, 1);
/// let mut it: WeakKeys<Widget> = d.keys();
/// assert!(Obj::ptr_eq(&it.next().unwrap(), &a));
/// assert!(it.next().is_none());
/// ```
pub struct WeakKeys<K: ?Sized, F: Flavor = Sync> {
    refs: alloc::vec::IntoIter<Ref<K, u64, F>>,
}

impl<K: ?Sized, F: Flavor> Iterator for WeakKeys<K, F> {
    type Item = Obj<K, F>;

    fn next(&mut self) -> Option<Obj<K, F>> {
        self.refs.by_ref().find_map(|r| r.upgrade())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.refs.len()))
    }
}

snapshot_iterator!(WeakKeys<K, F>, [K: ?Sized, F: Flavor], |it| it.refs.len());

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use crate::{getweakrefcount, Obj, Ref, WeakKeyDictionary, Weakable};

    #[derive(Weakable, Debug, PartialEq, Eq, Hash)]
    struct Key(usize);

    #[test]
    fn keys_dying_inside_a_loop_over_the_dictionary() {
        let d = WeakKeyDictionary::new();
        let objs: Mutex<Vec<Option<Obj<Key>>>> =
            Mutex::new((0..10).map(|i| Some(Obj::new(Key(i)))).collect());
        for (i, o) in objs.lock().unwrap().iter().enumerate() {
            d.insert(o.as_ref().unwrap(), i);
        }
        let mut seen = 0;
        for (k, v) in &d {
            assert_eq!(k.0, v);
            seen += 1;
            drop(k);
            // Kill every other key, including ones the loop has not reached.
            let mut objs = objs.lock().unwrap();
            for j in (0..10).filter(|j| j % 2 == 1) {
                objs[j] = None;
            }
        }
        assert!((5..=10).contains(&seen));
        assert_eq!(d.len(), 5);
        assert!(d.keys().all(|k| k.0 % 2 == 0));
        assert!(d.values().all(|v| v % 2 == 0));
    }

    #[test]
    fn a_callback_may_insert_into_the_dictionary() {
        let d = Arc::new(WeakKeyDictionary::new());
        let keeper = Obj::new(Key(99));
        let doomed = Obj::new(Key(1));
        d.insert(&doomed, 1);
        let (d2, k2) = (d.clone(), keeper.clone());
        let _r = Ref::with_callback(&doomed, move |_| {
            d2.insert(&k2, 2);
        });
        drop(doomed);
        assert_eq!(d.len(), 1);
        assert_eq!(d.get(&Key(99)), Some(2));
        assert_eq!(d.get(&Key(1)), None);
    }

    #[test]
    fn an_equal_key_replaces_the_value_and_keeps_the_old_key() {
        let d = WeakKeyDictionary::new();
        let (old, new) = (Obj::new(Key(1)), Obj::new(Key(1)));
        assert_eq!(d.insert(&old, "a"), None);
        assert_eq!(d.insert(&new, "b"), Some("a"));
        assert_eq!(d.len(), 1);
        assert!(Obj::ptr_eq(&d.keys().next().unwrap(), &old));
        assert_eq!(getweakrefcount(&old), 1);
        assert_eq!(getweakrefcount(&new), 0);
        // The entry dies with the old key even though `new` lives.
        drop(old);
        assert!(d.is_empty());
        assert_eq!(d.get(&new), None);
    }

    #[test]
    fn removing_an_entry_may_kill_other_keys_of_the_same_dictionary() {
        let d: WeakKeyDictionary<Key, Option<Obj<Key>>> = WeakKeyDictionary::new();
        let (a, b) = (Obj::new(Key(1)), Obj::new(Key(2)));
        d.insert(&b, None);
        // `a`'s value owns `b`: removing the entry drops the value and kills
        // `b`, whose eviction from the same dictionary must not deadlock.
        d.insert(&a, Some(b.clone()));
        drop(b);
        assert_eq!(d.len(), 2);
        let owned = d.remove(&Key(1)).unwrap();
        assert_eq!(d.len(), 1);
        drop(owned);
        assert!(d.is_empty());
        // The same through clear() and through the death of `a`.
        let c = Obj::new(Key(3));
        d.insert(&c, None);
        d.insert(&a, Some(c));
        d.clear();
        assert!(d.is_empty());
        let c = Obj::new(Key(3));
        d.insert(&c, None);
        d.insert(&a, Some(c));
        drop(a);
        assert!(d.is_empty());
    }

    #[test]
    fn insert_setdefault_popitem_keyrefs_and_operators() {
        let d = WeakKeyDictionary::new();
        let (a, b) = (Obj::new(Key(1)), Obj::new(Key(2)));
        assert_eq!(d.setdefault(&a, 10), 10);
        assert_eq!(d.setdefault(&a, 11), 10);
        assert_eq!(getweakrefcount(&a), 1);
        d.update([(&b, 20)]);
        assert!(d.contains_key(&Key(2)));
        let refs = d.keyrefs();
        assert_eq!(refs.len(), 2);
        for r in &refs {
            assert_eq!(
                r.upgrade().unwrap().0 * 10,
                d.get(&r.upgrade().unwrap()).unwrap()
            );
        }
        let copy = d.clone();
        assert!(copy == d);
        assert_eq!(format!("{copy:?}").len(), format!("{d:?}").len());
        let other: WeakKeyDictionary<Key, usize> = [(&b, 200)].into_iter().collect();
        let union = &d | &other;
        assert_eq!(union.get(&b), Some(200));
        assert_eq!(union.get(&a), Some(10));
        let mut inplace = copy.clone();
        inplace |= &other;
        assert!(inplace == union);
        assert!(inplace != d);
        let mut popped = Vec::new();
        while let Some((k, v)) = d.popitem() {
            popped.push((k.0, v));
        }
        popped.sort_unstable();
        assert_eq!(popped, [(1, 10), (2, 20)]);
        assert_eq!(copy.len(), 2);
        drop((a, b));
        assert!(copy.is_empty() && union.is_empty() && inplace.is_empty());
    }

    #[test]
    #[should_panic(expected = "must not use it")]
    fn an_unsync_value_clone_that_uses_its_dictionary_panics() {
        use std::rc::Rc;
        type Dict = crate::unsync::WeakKeyDictionary<Key, Nosy>;
        thread_local! {
            static DICT: std::cell::RefCell<Option<Rc<Dict>>> = const { std::cell::RefCell::new(None) };
        }
        struct Nosy;
        impl Clone for Nosy {
            fn clone(&self) -> Self {
                DICT.with(|d| d.borrow().as_ref().map(|d| d.len()));
                Nosy
            }
        }
        let d = Rc::new(Dict::new());
        DICT.with(|slot| *slot.borrow_mut() = Some(Rc::clone(&d)));
        let k = crate::unsync::Obj::new(Key(1));
        d.insert(&k, Nosy);
        let _ = d.get(&Key(1));
    }

    /// A value whose `Clone`, which the dictionary runs under its lock,
    /// drops the last handle on another key of the same dictionary.
    struct Killer(Arc<Mutex<Option<Obj<Key>>>>);

    impl Clone for Killer {
        fn clone(&self) -> Self {
            drop(self.0.lock().unwrap().take());
            Killer(Arc::clone(&self.0))
        }
    }

    #[test]
    fn a_value_clone_that_kills_a_key_of_the_same_dictionary() {
        // The eviction runs on the thread that holds the table, so it must
        // queue itself, and the holder's own unlock must apply it.
        let d = WeakKeyDictionary::new();
        let (a, b) = (Obj::new(Key(1)), Obj::new(Key(2)));
        d.insert(&b, Killer(Arc::new(Mutex::new(None))));
        let holder = Arc::new(Mutex::new(Some(b)));
        d.insert(&a, Killer(Arc::clone(&holder)));
        assert_eq!(d.len(), 2);
        assert!(d.get(&Key(1)).is_some());
        assert!(holder.lock().unwrap().is_none(), "the clone ran");
        assert_eq!(d.len(), 1, "the queued eviction was left behind");
    }

    #[test]
    fn a_panicking_value_clone_leaves_the_dictionary_usable() {
        #[derive(Debug)]
        struct Bomb;
        impl Clone for Bomb {
            fn clone(&self) -> Self {
                panic!("a value clone panicked")
            }
        }
        let d = WeakKeyDictionary::new();
        let a = Obj::new(Key(1));
        d.insert(&a, Bomb);
        let lookup = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.get(&Key(1))));
        assert!(lookup.is_err());
        assert_eq!(d.len(), 1, "the unwinding let go of the table");
        drop(a);
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn a_key_whose_last_handle_a_panicking_clone_leaves_to_get_dies_after_unlocking() {
        // `get` holds the key it upgraded; the value's clone drops the
        // caller's handle, then panics, so `get`'s is the last one. It must
        // be dropped after the unwinding unlocked: the key's `Drop` uses
        // the dictionary, which would otherwise wait for itself for ever.
        type Dict = WeakKeyDictionary<Reentrant, Dropper>;
        thread_local! {
            static DICT: std::cell::RefCell<Option<Arc<Dict>>> = const { std::cell::RefCell::new(None) };
            static LEN_IN_DROP: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
        }
        #[derive(Weakable, PartialEq, Eq, Hash)]
        struct Reentrant(u32);
        impl Drop for Reentrant {
            fn drop(&mut self) {
                let len = DICT.with(|d| d.borrow().as_ref().map(|d| d.len()));
                LEN_IN_DROP.with(|l| l.set(len));
            }
        }
        struct Dropper(Arc<Mutex<Option<Obj<Reentrant>>>>);
        impl Clone for Dropper {
            fn clone(&self) -> Self {
                drop(self.0.lock().unwrap().take());
                panic!("a value clone panicked after dropping its key's handle")
            }
        }
        let d = Arc::new(Dict::new());
        DICT.with(|slot| *slot.borrow_mut() = Some(Arc::clone(&d)));
        let holder = Arc::new(Mutex::new(Some(Obj::new(Reentrant(7)))));
        let key = holder.lock().unwrap().clone().unwrap();
        d.insert(&key, Dropper(Arc::clone(&holder)));
        drop(key);
        let lookup =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.get(&Reentrant(7))));
        assert!(lookup.is_err());
        assert_eq!(
            LEN_IN_DROP.with(|l| l.get()),
            Some(0),
            "the key died, unlocked, evicted"
        );
        DICT.with(|slot| slot.borrow_mut().take());
    }
}
