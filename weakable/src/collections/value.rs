//! `WeakValueDictionary<K, V>`: a map whose values are held weakly.

use alloc::vec::Vec;

use crate::collections::DefaultHashBuilder;
use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ops::{BitOr, BitOrAssign};

#[cfg(feature = "std")]
use crate::core::claims::{Claimed, Claims};
use crate::core::table::{Candidate, EntryId, Put, SharedTable, Slot, TableEntry, WeakTable};
use crate::obj::Obj;
use crate::reference::Ref;
use crate::rt::flavor::{Flavor, Shareable, Sync};
use crate::traits::WeakRefable;

/// One entry: the value's ref, which carries the key (CPython's `KeyedRef`).
pub(super) struct Entry<K, V: ?Sized, F: Flavor> {
    hash: u64,
    r: Ref<V, K, F>,
}

impl<K, V: ?Sized, F: Flavor> TableEntry for Entry<K, V, F> {
    fn hash(&self) -> u64 {
        self.hash
    }
    fn id(&self) -> EntryId {
        EntryId::of(self.r.handle())
    }
}

// A clone holds a count on the entry's node, through its ref.
impl<K, V: ?Sized, F: Flavor> Candidate for Entry<K, V, F> {
    fn id(&self) -> EntryId {
        EntryId::of(self.r.handle())
    }
}

impl<K, V: ?Sized, F: Flavor> Clone for Entry<K, V, F> {
    fn clone(&self) -> Self {
        Entry {
            hash: self.hash,
            r: self.r.clone(),
        }
    }
}

/// A map from keys to objects that does not keep its values alive, Python's
/// `weakref.WeakValueDictionary`: an entry disappears the moment its value
/// dies.
///
/// The typical use is a cache: look an object up by name while something
/// else keeps it alive, without the cache being what keeps it alive.
///
/// - **Eager and exact.** Each entry is a ref to the value carrying its key
///   (CPython's `KeyedRef`), and its death callback removes the entry, so
///   `len()` is exact once the value's last `Obj` is dropped, and the
///   entry's memory is freed then, with no later call. (The `weak-table`
///   crate instead keeps dead entries, and counts them in `len()`, until it
///   next resizes.)
/// - **Shared.** Every method takes `&self`; the dictionary is a handle to a
///   shared table (`Clone` copies the entries, as Python's `copy()`; to
///   share, put it in an `Arc`, `Rc` or `Obj`). In the sync flavour
///   (`weakable::WeakValueDictionary`) it is `Send + Sync` when `K` and `V`
///   are; in the unsync one (`weakable::unsync::WeakValueDictionary`) it
///   is neither, and `K` and `V` need not be either.
/// - **No lock around user code.** Keys are hashed and compared, and
///   entries dropped, with no lock held, so a key's `Eq`, a value's `Drop`
///   or a callback may use the dictionary again. A write compares its
///   candidates unlocked, then acts on the one that matched; it looks again
///   only if that entry went away or new keys with the same hash arrived,
///   so whatever an `Eq` or another thread does to the rest of the table,
///   the write finishes. An eviction never hashes the key (the hash is kept
///   with the entry's ref). An eviction that finds the table held is queued
///   (CPython's `_pending_removals`) and applied by the holder before it
///   lets go, so none is lost or done twice. The unsync flavour does all
///   this with a borrow flag instead of a lock (see
///   [`unsync`](crate::unsync)).
/// - **Iteration** (`keys`, `values`, `items`, `iter`) walks a snapshot of
///   the entries taken when it starts; it yields an entry only if its value
///   is still alive when reached, never a dead one, never panics and never
///   blocks other users. Entries inserted after it started are not yielded.
///
/// Keys are hashed with `S`, by default [`DefaultHashBuilder`](crate::DefaultHashBuilder):
/// std's DoS-resistant `RandomState` (a fixed-key hash without std).
/// They are `'static`: a value's death, which may be postponed past the
/// `drop` that caused it (see [`Obj`'s docs](Obj#values-are-static)), drops
/// its entry's key.
///
/// # Cost
///
/// An entry is one allocation (the ref, carrying the key) plus its slot in
/// the table, and nothing once its value has died. In the sync flavour the
/// table's lock is taken and given back with one compare-and-swap each, and an eviction
/// queued while it was held is picked up by that same unlock. A lookup pays
/// six atomic read-modify-writes where a single-threaded map of
/// `sync::Weak` (the `weak-table` crate's) pays two: the lock and its
/// unlock, a hold on the candidate entry (and its release) so that the key
/// can be compared after unlocking, and the value's upgrade (and the drop of
/// the handle it returns). That makes a hit in a small, cache-resident
/// dictionary about three times slower than `weak-table`'s, and a hit in a
/// large one, where memory latency dominates, about as fast. The holds are
/// the price of calling the key's `Eq` with no lock held. The unsync
/// flavour does the same steps with plain loads and stores (a borrow flag,
/// `Cell`-like counts), as a map of `rc::Weak` does. Measurements: the
/// crate docs' [Cost](crate#cost) section.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakValueDictionary, Weakable};
///
/// #[derive(Weakable)]
/// struct Image {
///     pixels: Vec<u8>,
/// }
///
/// let cache = WeakValueDictionary::new();
/// let img = Obj::new(Image { pixels: vec![0; 1024] });
/// cache.insert("cat.png".to_string(), &img);
/// assert_eq!(cache.get("cat.png").unwrap().pixels.len(), 1024);
///
/// drop(img); // the cache did not keep it alive
/// assert!(cache.get("cat.png").is_none());
/// assert!(cache.is_empty());
/// ```
pub struct WeakValueDictionary<K, V: ?Sized, S = DefaultHashBuilder, F: Flavor = Sync> {
    table: SharedTable<Entry<K, V, F>, S, F>,
    /// The keys `get_or_insert_with` is making values for.
    #[cfg(feature = "std")]
    claims: Claims<K, Obj<V, F>, F>,
}

impl<K, V: ?Sized, F: Flavor> WeakValueDictionary<K, V, DefaultHashBuilder, F> {
    /// An empty dictionary.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d: WeakValueDictionary<String, Image> = WeakValueDictionary::new();
    /// assert!(d.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::default())
    }
}

impl<K, V: ?Sized, S, F: Flavor> WeakValueDictionary<K, V, S, F> {
    /// An empty dictionary hashing keys with `hasher`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::hash_map::RandomState;
    /// use weakable::{WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d: WeakValueDictionary<u32, Image> = WeakValueDictionary::with_hasher(RandomState::new());
    /// assert_eq!(d.len(), 0);
    /// ```
    #[must_use]
    pub fn with_hasher(hasher: S) -> Self {
        WeakValueDictionary {
            table: WeakTable::<_, _, F>::new_shared(hasher),
            #[cfg(feature = "std")]
            claims: Claims::new(),
        }
    }

    /// The number of entries, all of them alive (exact whenever no other
    /// thread is dropping a value at that moment).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let (a, b) = (Obj::new(Image), Obj::new(Image));
    /// d.insert(1, &a);
    /// d.insert(2, &b);
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
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// assert!(d.is_empty());
    /// d.insert("x", &Obj::new(Image)); // a temporary: dies at once
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
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image);
    /// d.insert(1, &a);
    /// d.clear();
    /// assert!(d.is_empty());
    /// ```
    pub fn clear(&self) {
        self.table.clear();
    }

    /// The entries' own refs, each carrying its key as `data()`: Python's
    /// `valuerefs()`. Only entries alive at the call are listed.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image);
    /// d.insert("a", &a);
    /// let refs = d.valuerefs();
    /// assert_eq!(*refs[0].data(), "a");
    /// assert!(Obj::ptr_eq(&refs[0].upgrade().unwrap(), &a));
    /// ```
    #[must_use]
    pub fn valuerefs(&self) -> Vec<Ref<V, K, F>> {
        self.snapshot()
            .into_iter()
            .filter(|e| e.r.is_alive())
            .map(|e| e.r)
            .collect()
    }

    fn snapshot(&self) -> Vec<Entry<K, V, F>> {
        self.table.snapshot(Entry::clone)
    }

    /// The live `(key, value)` pairs: Python's `items()`.
    ///
    /// Walks a snapshot: see [the type's docs](WeakValueDictionary) for
    /// what iteration guarantees.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image(u8);
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image(1));
    /// d.insert("a", &a);
    /// let items: Vec<_> = d.items().map(|(k, v)| (k, v.0)).collect();
    /// assert_eq!(items, [("a", 1)]);
    /// ```
    pub fn items(&self) -> WeakValueItems<K, V, F>
    where
        K: Clone,
    {
        WeakValueItems {
            entries: self.snapshot().into_iter(),
        }
    }

    /// Same as [`items`](WeakValueDictionary::items).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image);
    /// d.insert(7, &a);
    /// assert_eq!(d.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> WeakValueItems<K, V, F>
    where
        K: Clone,
    {
        self.items()
    }

    /// The keys of live entries: Python's `keys()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image);
    /// d.insert("a", &a);
    /// d.insert("gone", &Obj::new(Image));
    /// assert_eq!(d.keys().collect::<Vec<_>>(), ["a"]);
    /// ```
    pub fn keys(&self) -> WeakValueKeys<K, V, F>
    where
        K: Clone,
    {
        WeakValueKeys {
            items: self.items(),
        }
    }

    /// The live values: Python's `values()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image(u8);
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image(3));
    /// d.insert("a", &a);
    /// assert_eq!(d.values().map(|v| v.0).sum::<u8>(), 3);
    /// ```
    pub fn values(&self) -> WeakValueValues<K, V, F> {
        WeakValueValues {
            entries: self.snapshot().into_iter(),
        }
    }

    /// Keeps only the live entries for which `keep` returns `true`:
    /// `HashMap::retain`.
    ///
    /// `keep` runs with no lock held, on a snapshot of the entries taken
    /// when the call starts, so it may use the dictionary (entries it
    /// inserts are kept, and not shown to it). Entries whose value died
    /// are skipped. An entry `keep` refuses is removed only if it is still
    /// the one in the dictionary (not replaced meanwhile); its key is
    /// dropped with no lock held.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image(u32);
    ///
    /// let d = WeakValueDictionary::new();
    /// let images: Vec<_> = (0..4).map(|i| Obj::new(Image(i))).collect();
    /// for (i, image) in images.iter().enumerate() {
    ///     d.insert(i, image);
    /// }
    /// d.retain(|_key: &usize, image: &Image| image.0 % 2 == 0);
    /// let mut left: Vec<_> = d.keys().collect();
    /// left.sort();
    /// assert_eq!(left, [0, 2]);
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.table.retain(
            |e| Some(e.clone()),
            |e| match e.r.upgrade() {
                Some(value) => keep(e.r.data(), &value),
                // Dead: its eviction is on the way.
                None => true,
            },
        );
    }
}

impl<K, V, S, F: Flavor> WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq,
    V: ?Sized,
    S: BuildHasher,
{
    /// The value of `key`, if its entry is alive: Python's `d.get(key)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image(u8);
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image(9));
    /// d.insert("a".to_string(), &a);
    /// assert_eq!(d.get("a").map(|v| v.0), Some(9)); // look up by &str
    /// assert!(d.get("b").is_none());
    /// ```
    #[must_use]
    pub fn get<Q>(&self, key: &Q) -> Option<Obj<V, F>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.get_hashed(self.table.hash_of(key), key)
    }

    fn get_hashed<Q>(&self, hash: u64, key: &Q) -> Option<Obj<V, F>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let found = self.table.find(
            hash,
            |e, out| out.push(e.clone()),
            |e| (e.r.data().borrow() == key).then_some(e),
        );
        found.and_then(|e| e.r.upgrade())
    }

    /// Whether `key` has a live entry: Python's `key in d`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image);
    /// d.insert(1, &a);
    /// assert!(d.contains_key(&1));
    /// assert!(!d.contains_key(&2));
    /// ```
    #[must_use]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.get(key).is_some()
    }

    /// Removes `key`'s entry and returns its value if it was alive:
    /// Python's `d.pop(key, None)` (and `del d[key]`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image);
    /// d.insert(1, &a);
    /// assert!(Obj::ptr_eq(&d.remove(&1).unwrap(), &a));
    /// assert!(d.remove(&1).is_none());
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<Obj<V, F>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let hash = self.table.hash_of(key);
        let removed =
            self.table
                .remove(hash, |e| Some(e.clone()), |e| e.r.data().borrow() == key)?;
        // Upgraded before the entry (and maybe its key) is dropped, which
        // is after unlocking.
        removed.r.upgrade()
    }

    /// Removes and returns some live entry: Python's `popitem()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image);
    /// d.insert("a", &a);
    /// let (k, v) = d.popitem().unwrap();
    /// assert_eq!(k, "a");
    /// assert!(Obj::ptr_eq(&v, &a));
    /// assert!(d.popitem().is_none());
    /// ```
    pub fn popitem(&self) -> Option<(K, Obj<V, F>)>
    where
        K: Clone,
    {
        let (removed, value) = self.table.pop(|e| e.r.upgrade())?;
        // The key is cloned, and the entry dropped, after unlocking.
        Some((removed.r.data().clone(), value))
    }
}

impl<K, V, S, F: Flavor> WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Shareable<F> + 'static,
    V: ?Sized + WeakRefable + Shareable<F>,
    S: BuildHasher + Shareable<F>,
{
    fn new_entry(&self, key: K, value: &Obj<V, F>) -> Entry<K, V, F> {
        let hash = self.table.hash_of(&key);
        let r = Ref::with_internal_callback(value, key, WeakTable::evictor(&self.table, hash));
        Entry { hash, r }
    }

    /// Maps `key` to `value` without keeping `value` alive, Python's
    /// `d[key] = value`, and returns the value it replaced, if alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let (a, b) = (Obj::new(Image), Obj::new(Image));
    /// assert!(d.insert("k", &a).is_none());
    /// assert!(Obj::ptr_eq(&d.insert("k", &b).unwrap(), &a));
    /// assert!(Obj::ptr_eq(&d.get("k").unwrap(), &b));
    /// ```
    pub fn insert(&self, key: K, value: &Obj<V, F>) -> Option<Obj<V, F>> {
        let entry = self.new_entry(key, value);
        self.put(entry, true).err()
    }

    /// Inserts `entry`, replacing an entry with an equal key if `replace`.
    /// `Ok(())` if inserted, `Err(old value)` if an equal live key was there
    /// (and was replaced if `replace`).
    fn put(&self, entry: Entry<K, V, F>, replace: bool) -> Result<(), Obj<V, F>> {
        // What is not inserted (the new entry, or an old one replaced) is
        // dropped after unlocking.
        let (out, _left) = self.table.put(
            entry,
            |e| Some(e.clone()),
            |old, new| old.r.data() == new.r.data(),
            |slot, _| match slot {
                Slot::Vacant => (Ok(()), Put::Insert),
                Slot::Occupied(_, old) => match old.r.upgrade() {
                    // Dead and about to be evicted: take its place.
                    None => (Ok(()), Put::Replace),
                    Some(value) if replace => (Err(value), Put::Replace),
                    Some(value) => (Err(value), Put::Keep),
                },
            },
        );
        out
    }

    /// The value of `key` if alive, otherwise maps `key` to `value` and
    /// returns it: Python's `setdefault`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let (a, b) = (Obj::new(Image), Obj::new(Image));
    /// assert!(Obj::ptr_eq(&d.setdefault("k", &a), &a));
    /// assert!(Obj::ptr_eq(&d.setdefault("k", &b), &a));
    /// ```
    pub fn setdefault(&self, key: K, value: &Obj<V, F>) -> Obj<V, F> {
        let entry = self.new_entry(key, value);
        match self.put(entry, false) {
            Ok(()) => value.clone(),
            Err(existing) => existing,
        }
    }

    /// The value of `key` if alive, otherwise the object `make` returns,
    /// now `key`'s value: moka's `get_with`, .NET's
    /// `ConditionalWeakTable.GetValue`, a cache's "load once".
    ///
    /// Concurrent callers for one key run `make` once: the first to miss
    /// claims the key and runs it (with no lock held); the others wait for
    /// it and all get the object it made. The dictionary does not keep that
    /// object alive, so once every caller has dropped it, the next call
    /// makes a new one: `make` runs at most once per lifetime of the key's
    /// value. Callers for other keys never wait for it.
    ///
    /// If `make` panics, the panic goes to its caller, the key is not
    /// left claimed, and a waiting caller runs its own `make` instead. If
    /// someone [`insert`](Self::insert)s the key while `make` runs, that
    /// value is kept and returned, and `make`'s object is dropped (as
    /// [`setdefault`](Self::setdefault)).
    ///
    /// `make` may use the dictionary, for other keys: it may call
    /// `get_or_insert_with` for them too, to build a value out of others.
    /// `K: Clone`: waiting callers compare their keys with a copy of the
    /// claimed one, with no lock held.
    ///
    /// # Panics
    ///
    /// If `make` asks for `key` itself (on the same thread, through this
    /// method): it would wait for itself. Two `make`s on two threads that
    /// each ask for the other's key wait for each other for ever, as two
    /// locks taken in opposite orders do.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Texture {
    ///     name: String,
    /// }
    ///
    /// let cache: Arc<WeakValueDictionary<String, Texture>> = Arc::default();
    /// let decoded = Arc::new(AtomicUsize::new(0));
    /// let workers: Vec<_> = (0..4)
    ///     .map(|_| {
    ///         let (cache, decoded) = (cache.clone(), decoded.clone());
    ///         std::thread::spawn(move || {
    ///             cache.get_or_insert_with("grass.png".to_string(), || {
    ///                 decoded.fetch_add(1, Ordering::SeqCst);
    ///                 Obj::new(Texture { name: "grass.png".into() })
    ///             })
    ///         })
    ///     })
    ///     .collect();
    /// let textures: Vec<Obj<Texture>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    /// assert_eq!(decoded.load(Ordering::SeqCst), 1); // decoded once
    /// assert!(textures.iter().all(|t| Obj::ptr_eq(t, &textures[0])));
    /// assert_eq!(textures[0].name, "grass.png");
    /// ```
    ///
    /// With the `std` feature only (callers wait for each other on a
    /// condition variable).
    #[cfg(feature = "std")]
    pub fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> Obj<V, F>) -> Obj<V, F>
    where
        K: Clone,
    {
        let hash = self.table.hash_of(&key);
        loop {
            if let Some(hit) = self.get_hashed(hash, &key) {
                return hit;
            }
            match self.claims.claim(hash, &key) {
                Claimed::Theirs(Some(made)) => return made,
                // Its `make` panicked, or its value is in the dictionary
                // (or died already): look again.
                Claimed::Theirs(None) => {}
                Claimed::Mine(claim) => {
                    // A caller that claimed the key before us may have
                    // settled between our look-up and our claim.
                    let value = match self.get_hashed(hash, &key) {
                        Some(hit) => hit,
                        None => {
                            let made = make();
                            self.setdefault(key, &made)
                        }
                    };
                    claim.settle(value.clone());
                    return value;
                }
            }
        }
    }

    /// Inserts every pair: Python's `update`. Later pairs win.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let d = WeakValueDictionary::new();
    /// let (a, b) = (Obj::new(Image), Obj::new(Image));
    /// d.update([("a", &a), ("b", &b)]);
    /// assert_eq!(d.len(), 2);
    /// ```
    pub fn update<'a, I>(&self, pairs: I)
    where
        I: IntoIterator<Item = (K, &'a Obj<V, F>)>,
        V: 'a,
    {
        for (k, v) in pairs {
            self.insert(k, v);
        }
    }
}

impl<K, V: ?Sized, S: Default, F: Flavor> Default for WeakValueDictionary<K, V, S, F> {
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

impl<K, V, S, F: Flavor> Clone for WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Clone + Shareable<F> + 'static,
    V: ?Sized + WeakRefable + Shareable<F>,
    S: BuildHasher + Clone + Shareable<F>,
{
    /// A new dictionary with the same live entries: Python's `copy()`.
    fn clone(&self) -> Self {
        let copy = Self::with_hasher(self.table.hasher().clone());
        for (k, v) in self.items() {
            copy.insert(k, &v);
        }
        copy
    }
}

impl<K, V, S, F: Flavor> PartialEq for WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Clone,
    V: ?Sized + PartialEq,
    S: BuildHasher,
{
    /// Equal when both map the same keys to equal values (compared with
    /// `V: PartialEq`), as Python compares mappings.
    fn eq(&self, other: &Self) -> bool {
        let mine: Vec<(K, Obj<V, F>)> = self.items().collect();
        mine.len() == other.len()
            && mine
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| **v == *w))
    }
}

impl<K, V, S, F: Flavor> fmt::Debug for WeakValueDictionary<K, V, S, F>
where
    K: Clone + fmt::Debug,
    V: ?Sized + fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.items()).finish()
    }
}

impl<'a, K, V, S, F: Flavor> Extend<(K, &'a Obj<V, F>)> for WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Shareable<F> + 'static,
    V: ?Sized + WeakRefable + Shareable<F> + 'a,
    S: BuildHasher + Shareable<F>,
{
    fn extend<I: IntoIterator<Item = (K, &'a Obj<V, F>)>>(&mut self, pairs: I) {
        self.update(pairs);
    }
}

impl<'a, K, V, S, F: Flavor> FromIterator<(K, &'a Obj<V, F>)> for WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Shareable<F> + 'static,
    V: ?Sized + WeakRefable + Shareable<F> + 'a,
    S: BuildHasher + Default + Shareable<F>,
{
    fn from_iter<I: IntoIterator<Item = (K, &'a Obj<V, F>)>>(pairs: I) -> Self {
        let d = Self::default();
        d.update(pairs);
        d
    }
}

impl<K, V, S, F: Flavor> Extend<(K, Obj<V, F>)> for WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Shareable<F> + 'static,
    V: ?Sized + WeakRefable + Shareable<F>,
    S: BuildHasher + Shareable<F>,
{
    /// Inserts every pair; later pairs win. The dictionary does not keep
    /// the objects alive: an object that nothing else holds dies with the
    /// pair, and its entry with it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let kept = Obj::new(Image);
    /// let mut d = WeakValueDictionary::new();
    /// d.extend([("kept", kept.clone()), ("temporary", Obj::new(Image))]);
    /// assert_eq!(d.keys().collect::<Vec<_>>(), ["kept"]);
    /// ```
    fn extend<I: IntoIterator<Item = (K, Obj<V, F>)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(k, &v);
        }
    }
}

impl<K, V, S, F: Flavor> FromIterator<(K, Obj<V, F>)> for WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Shareable<F> + 'static,
    V: ?Sized + WeakRefable + Shareable<F>,
    S: BuildHasher + Default + Shareable<F>,
{
    /// A dictionary of the pairs (see [`Extend`](#impl-Extend%3C(K,+Obj%3CV,+F%3E)%3E-for-WeakValueDictionary%3CK,+V,+S,+F%3E)).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image;
    ///
    /// let images = [Obj::new(Image), Obj::new(Image)];
    /// let d: WeakValueDictionary<usize, Image> = images.iter().cloned().enumerate().collect();
    /// assert_eq!(d.len(), 2);
    /// ```
    fn from_iter<I: IntoIterator<Item = (K, Obj<V, F>)>>(pairs: I) -> Self {
        let mut d = Self::default();
        d.extend(pairs);
        d
    }
}

impl<K: Clone, V: ?Sized, S, F: Flavor> IntoIterator for WeakValueDictionary<K, V, S, F> {
    type Item = (K, Obj<V, F>);
    type IntoIter = WeakValueItems<K, V, F>;

    /// The live `(key, value)` pairs, consuming the dictionary (so that
    /// `for (k, v) in d` works). Entries whose value dies before they are
    /// reached are skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, WeakValueDictionary, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image(u8);
    ///
    /// let d = WeakValueDictionary::new();
    /// let a = Obj::new(Image(1));
    /// d.insert("a", &a);
    /// for (k, v) in d {
    ///     assert_eq!((k, v.0), ("a", 1));
    /// }
    /// ```
    fn into_iter(self) -> WeakValueItems<K, V, F> {
        WeakValueItems {
            entries: self.table.take_all().into_iter(),
        }
    }
}

impl<K: Clone, V: ?Sized, S, F: Flavor> IntoIterator for &WeakValueDictionary<K, V, S, F> {
    type Item = (K, Obj<V, F>);
    type IntoIter = WeakValueItems<K, V, F>;
    fn into_iter(self) -> WeakValueItems<K, V, F> {
        self.items()
    }
}

impl<K, V, S, F: Flavor> BitOr for &WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Clone + Shareable<F> + 'static,
    V: ?Sized + WeakRefable + Shareable<F>,
    S: BuildHasher + Clone + Shareable<F>,
{
    type Output = WeakValueDictionary<K, V, S, F>;

    /// A new dictionary with `self`'s entries updated by `other`'s:
    /// Python's `d1 | d2`.
    fn bitor(self, other: Self) -> Self::Output {
        let out = self.clone();
        out.update(
            other
                .items()
                .collect::<Vec<_>>()
                .iter()
                .map(|(k, v)| (k.clone(), v)),
        );
        out
    }
}

impl<K, V, S, F: Flavor> BitOrAssign<&WeakValueDictionary<K, V, S, F>>
    for WeakValueDictionary<K, V, S, F>
where
    K: Hash + Eq + Clone + Shareable<F> + 'static,
    V: ?Sized + WeakRefable + Shareable<F>,
    S: BuildHasher + Shareable<F>,
{
    /// Updates `self` with `other`'s entries: Python's `d1 |= d2`.
    fn bitor_assign(&mut self, other: &WeakValueDictionary<K, V, S, F>) {
        let pairs: Vec<(K, Obj<V, F>)> = other.items().collect();
        self.update(pairs.iter().map(|(k, v)| (k.clone(), v)));
    }
}

/// The iterator of [`WeakValueDictionary::items`]: live `(key, value)`
/// pairs from a snapshot.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct WeakValueItems<K, V: ?Sized, F: Flavor = Sync> {
    entries: alloc::vec::IntoIter<Entry<K, V, F>>,
}

impl<K: Clone, V: ?Sized, F: Flavor> Iterator for WeakValueItems<K, V, F> {
    type Item = (K, Obj<V, F>);

    fn next(&mut self) -> Option<(K, Obj<V, F>)> {
        self.entries
            .by_ref()
            .find_map(|e| e.r.upgrade().map(|v| (e.r.data().clone(), v)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.entries.len()))
    }
}

snapshot_iterator!(WeakValueItems<K, V, F>, [K, V: ?Sized, F: Flavor], |it| it.entries.len());

/// The iterator of [`WeakValueDictionary::keys`]: the keys of live entries
/// from a snapshot.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakValueDictionary, WeakValueKeys, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let d = WeakValueDictionary::new();
/// let a = Obj::new(Image);
/// d.insert("a", &a);
/// let mut keys: WeakValueKeys<&str, Image> = d.keys();
/// assert_eq!(keys.next(), Some("a"));
/// assert_eq!(keys.next(), None);
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct WeakValueKeys<K, V: ?Sized, F: Flavor = Sync> {
    items: WeakValueItems<K, V, F>,
}

impl<K: Clone, V: ?Sized, F: Flavor> Iterator for WeakValueKeys<K, V, F> {
    type Item = K;

    fn next(&mut self) -> Option<K> {
        self.items.next().map(|(k, _)| k)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}

snapshot_iterator!(WeakValueKeys<K, V, F>, [K, V: ?Sized, F: Flavor], |it| it.items.entries.len());

/// The iterator of [`WeakValueDictionary::values`]: the live values from a
/// snapshot.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, WeakValueDictionary, WeakValueValues, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let d = WeakValueDictionary::new();
/// let a = Obj::new(Image);
/// d.insert("a", &a);
/// let mut values: WeakValueValues<&str, Image> = d.values();
/// assert!(Obj::ptr_eq(&values.next().unwrap(), &a));
/// assert!(values.next().is_none());
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct WeakValueValues<K, V: ?Sized, F: Flavor = Sync> {
    entries: alloc::vec::IntoIter<Entry<K, V, F>>,
}

impl<K, V: ?Sized, F: Flavor> Iterator for WeakValueValues<K, V, F> {
    type Item = Obj<V, F>;

    fn next(&mut self) -> Option<Obj<V, F>> {
        self.entries.by_ref().find_map(|e| e.r.upgrade())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.entries.len()))
    }
}

snapshot_iterator!(WeakValueValues<K, V, F>, [K, V: ?Sized, F: Flavor], |it| it.entries.len());

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use crate::{getweakrefcount, Obj, Ref, WeakValueDictionary, Weakable};

    #[derive(Weakable, Debug, PartialEq)]
    struct Val(usize);

    #[test]
    fn unsync_values_need_not_be_sync_and_a_callback_may_use_the_dictionary() {
        use std::cell::RefCell;
        use std::rc::Rc;

        #[derive(Weakable)]
        struct Doc(RefCell<String>);

        let d: Rc<crate::unsync::WeakValueDictionary<u8, Doc>> = Rc::default();
        let (a, b) = (
            crate::unsync::Obj::new(Doc(RefCell::new("a".into()))),
            crate::unsync::Obj::new(Doc(RefCell::new("b".into()))),
        );
        d.insert(1, &a);
        d.insert(2, &b);
        let d2 = Rc::clone(&d);
        let _r = crate::unsync::Ref::with_callback(&a, move |_| {
            d2.remove(&2);
            d2.insert(3, &crate::unsync::Obj::new(Doc(RefCell::default())));
        });
        d.get(&1).unwrap().0.borrow_mut().push('!');
        assert_eq!(*a.0.borrow(), "a!");
        drop(a);
        assert!(d.is_empty());
        assert_eq!(*b.0.borrow(), "b");
    }

    #[test]
    fn values_dying_inside_a_loop_over_the_dictionary() {
        let d = WeakValueDictionary::new();
        let objs: Mutex<Vec<Option<Obj<Val>>>> =
            Mutex::new((0..10).map(|i| Some(Obj::new(Val(i)))).collect());
        for (i, o) in objs.lock().unwrap().iter().enumerate() {
            d.insert(i, o.as_ref().unwrap());
        }
        let mut seen = 0;
        for (k, v) in &d {
            assert_eq!(k, v.0);
            seen += 1;
            // Kill every other entry, including ones the loop has not reached.
            let mut objs = objs.lock().unwrap();
            for j in (0..10).filter(|j| j % 2 == 1) {
                objs[j] = None;
            }
        }
        assert!((5..=10).contains(&seen));
        assert_eq!(d.len(), 5);
        assert!(d.keys().all(|k| k % 2 == 0));
    }

    #[test]
    fn a_callback_may_insert_into_the_dictionary() {
        let d = Arc::new(WeakValueDictionary::new());
        let keeper = Obj::new(Val(99));
        let doomed = Obj::new(Val(1));
        d.insert(1, &doomed);
        let (d2, k2) = (d.clone(), keeper.clone());
        let _r = Ref::with_callback(&doomed, move |_| {
            d2.insert(2, &k2);
        });
        drop(doomed);
        assert_eq!(d.len(), 1);
        assert_eq!(d.get(&2).map(|v| v.0), Some(99));
        assert!(d.get(&1).is_none());
    }

    #[test]
    fn removing_an_entry_may_kill_other_values_of_the_same_dictionary() {
        struct Key(usize, #[allow(dead_code)] Option<Obj<Val>>); // .1 is only dropped
                                                                 // Equality and hashing by the number only.
        impl PartialEq for Key {
            fn eq(&self, other: &Self) -> bool {
                self.0 == other.0
            }
        }
        impl Eq for Key {}
        impl std::hash::Hash for Key {
            fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
                self.0.hash(h);
            }
        }
        impl Key {
            fn new(n: usize, owned: Option<Obj<Val>>) -> Self {
                Key(n, owned)
            }
        }
        let d: WeakValueDictionary<usize, Val> = WeakValueDictionary::new();
        let owner_keys: WeakValueDictionary<Key, Val> = WeakValueDictionary::new();
        let a = Obj::new(Val(1));
        let b = Obj::new(Val(2));
        d.insert(2, &b);
        // The key of `a`'s entry owns `b`: removing the entry drops the key
        // and kills `b`, whose eviction from `owner_keys` must not deadlock.
        owner_keys.insert(Key::new(1, Some(b.clone())), &a);
        owner_keys.insert(Key::new(2, None), &b);
        drop(b);
        assert_eq!(owner_keys.len(), 2);
        owner_keys.clear();
        assert_eq!(d.len(), 0);
        assert!(owner_keys.is_empty());
        assert_eq!(getweakrefcount(&a), 0);
    }

    #[test]
    fn insert_replace_setdefault_popitem_and_refs() {
        let d = WeakValueDictionary::new();
        let (a, b) = (Obj::new(Val(1)), Obj::new(Val(2)));
        assert!(d.insert("k", &a).is_none());
        assert_eq!(getweakrefcount(&a), 1);
        assert!(Obj::ptr_eq(&d.insert("k", &b).unwrap(), &a));
        assert_eq!(getweakrefcount(&a), 0);
        assert_eq!(d.len(), 1);
        assert!(Obj::ptr_eq(&d.setdefault("k", &a), &b));
        assert!(Obj::ptr_eq(&d.setdefault("j", &a), &a));
        let refs = d.valuerefs();
        assert_eq!(refs.len(), 2);
        let copy = d.clone();
        assert!(copy == d);
        let union = &d | &copy;
        assert_eq!(union.len(), 2);
        let mut popped = Vec::new();
        while let Some((k, v)) = d.popitem() {
            popped.push((k, v.0));
        }
        popped.sort();
        assert_eq!(popped, [("j", 1), ("k", 2)]);
        assert_eq!(copy.len(), 2);
    }
}
