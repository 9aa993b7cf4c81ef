//! Model-based tests of the weak collections, under threads (not CPython
//! ports: where threads interleave, CPython's own behaviour is not
//! deterministic, so these tests check what must hold whatever the order).
//!
//! A seeded generator drives several threads doing random operations
//! (insert, setdefault, remove, get, len, iterate while objects die, copy the
//! collection, drop owners, clone handles) on a shared
//! `WeakValueDictionary`, `WeakKeyDictionary` and `WeakSet`, all holding
//! objects of one pool. Each thread owns a share of the keys (value
//! dictionary) and of the pool's objects (key dictionary, set): only it
//! inserts or removes those, so it knows exactly what they map to, while any
//! thread may read any entry and drop any object's owner. Inside a round:
//!
//! - an insert, setdefault or remove of an entry the thread owns returns
//!   exactly what the model says whenever the thread holds the object (then
//!   it cannot have died); without the hold, the model's answer or nothing;
//! - every object a lookup or an iteration yields is alive (its drop counter
//!   did not run), nothing is yielded twice, and an iteration yields every
//!   owned entry whose object the thread holds, with the model's value;
//! - `len()` is at least the number of owned entries the thread holds.
//!
//! After each round (threads joined, so every object is either owned by the
//! pool or dead), against the union of the threads' models:
//!
//! - `len()` is the number of modelled entries whose object is alive;
//! - iteration yields exactly those entries, and `get`/`contains` of every
//!   key the model knows (dead ones too) agrees;
//! - every dead object's drop counter ran exactly once, no live one's ran.
//!
//! Loop counts shrink under Miri (`scaled`); the op sequence is fixed by the
//! seed (`WEAKABLE_MODEL_SEED=<u64>` to explore others), the interleaving is
//! whatever the scheduler makes of it.
//!
//! The file runs in both flavours (`sync::collection_model`,
//! `unsync::collection_model`). The `*_interleaved` tests run the same
//! workers and checks on one thread, taking turns one step at a time: the
//! unsync flavour's model (its collections cannot cross threads), and a
//! deterministic interleaving for the sync one; the `*_under_threads`
//! tests are sync-only.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::flavour::{Obj, Ref, WeakKeyDictionary, WeakSet, WeakValueDictionary};
use weakable::Weakable;
use weakable_tests::{scaled, watchdog, DropCounter, DropToken};

super::sync_only! {
    use std::sync::Barrier;
    use std::thread;
}

/// How long a model test may run before it counts as a deadlock.
const LIMIT: Duration = Duration::from_secs(120);

const THREADS: usize = 3;
/// Objects in the pool; dead ones are replaced by new ones between rounds.
const SLOTS: usize = 18;
/// Keys of the value dictionary.
const KEYS: usize = 18;
/// Owners each thread drops per round (at random moments: between
/// operations, during an iteration, after copying a collection): about a
/// third of the pool dies each round.
const DROPS: usize = 3;
/// Handles a thread keeps at most (`Obj` clones, `Ref`s).
const STASH: usize = 4;

/// splitmix64: a small, good-enough generator with a 64-bit state.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// The pool's objects: compared and hashed by `id`, unique per object.
#[derive(Weakable)]
struct Item {
    id: usize,
    drops: DropCounter,
    _token: Option<DropToken>,
}

impl Item {
    /// A key to look an object up by, not itself in an `Obj`.
    fn probe(id: usize) -> Item {
        Item {
            id,
            drops: DropCounter::new(),
            _token: None,
        }
    }
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Item {}
impl Hash for Item {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.id.hash(h);
    }
}

/// Which collections a test drives.
#[derive(Clone, Copy)]
struct Use {
    values: bool,
    keys: bool,
    set: bool,
}

/// What the threads share.
struct World {
    values: WeakValueDictionary<usize, Item>,
    keys: WeakKeyDictionary<Item, u64>,
    set: WeakSet<Item>,
    /// The pool: each object's owner, which any thread may drop.
    owners: Vec<Mutex<Option<Obj<Item>>>>,
    /// Each slot's object during the current round.
    slot_ids: Vec<usize>,
}

impl World {
    fn owner(&self, slot: usize) -> std::sync::MutexGuard<'_, Option<Obj<Item>>> {
        self.owners[slot]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One thread's knowledge of the entries it owns, kept across rounds.
#[derive(Default)]
struct Model {
    /// Its keys of the value dictionary → the object's id.
    values: HashMap<usize, usize>,
    /// Its objects in the key dictionary (by id) → their value.
    keys: HashMap<usize, u64>,
    /// Its objects in the set (by id).
    set: HashSet<usize>,
}

/// Where a check failed: shown only in failure messages.
#[derive(Clone, Copy)]
struct Ctx {
    seed: u64,
    round: usize,
    thread: usize,
    step: usize,
}

impl fmt::Display for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {:#x}, round {}, thread {}, step {}",
            self.seed, self.round, self.thread, self.step
        )
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Stash,
    Unstash,
    TakeRef,
    CheckRefs,
    VInsert,
    VSetdefault,
    VRemove,
    VGet,
    VIter,
    VValuerefs,
    VLen,
    VCopy,
    KInsert,
    KSetdefault,
    KRemove,
    KGet,
    KIter,
    KKeys,
    KLen,
    KCopy,
    SInsert,
    SRemove,
    SContains,
    SIter,
    SLen,
    SCopy,
}

fn op_table(on: Use) -> Vec<Op> {
    use Op::*;
    let mut ops = vec![Stash, Unstash, TakeRef, CheckRefs];
    if on.values {
        // The common operations twice, to weigh them.
        ops.extend([VInsert, VInsert, VSetdefault, VRemove, VGet, VGet]);
        ops.extend([VIter, VValuerefs, VLen, VCopy]);
    }
    if on.keys {
        ops.extend([KInsert, KInsert, KSetdefault, KRemove, KGet, KGet]);
        ops.extend([KIter, KKeys, KLen, KCopy]);
    }
    if on.set {
        ops.extend([SInsert, SInsert, SRemove, SContains, SContains]);
        ops.extend([SIter, SLen, SCopy]);
    }
    ops
}

/// One thread's state during a round.
struct Worker<'a> {
    world: &'a World,
    rng: Rng,
    ctx: Ctx,
    model: Model,
    /// `Obj` clones this thread holds: these objects cannot die meanwhile.
    stash: Vec<Obj<Item>>,
    /// Refs this thread keeps, with their referent's id.
    refs: Vec<(usize, Ref<Item>)>,
    /// Owners this thread may still drop this round, so that some objects
    /// survive each round and the end-of-round checks see live entries.
    drops_left: usize,
}

impl Worker<'_> {
    fn t(&self) -> usize {
        self.ctx.thread
    }

    fn held(&self, id: usize) -> bool {
        self.stash.iter().any(|o| o.id == id)
    }

    /// A live object from a random slot's owner, else from the stash.
    fn grab_any(&mut self) -> Option<Obj<Item>> {
        let slot = self.rng.below(SLOTS);
        if let Some(o) = self.world.owner(slot).clone() {
            return Some(o);
        }
        if self.stash.is_empty() {
            return None;
        }
        Some(self.stash[self.rng.below(self.stash.len())].clone())
    }

    /// One of this thread's slots, its object's id, and the object if it
    /// is still owned or held here.
    fn grab_own(&mut self) -> (usize, Option<Obj<Item>>) {
        let slot = self.t() + THREADS * self.rng.below(SLOTS / THREADS);
        let id = self.world.slot_ids[slot];
        let held = self.stash.iter().find(|o| o.id == id).cloned();
        let obj = self.world.owner(slot).clone().or(held);
        (id, obj)
    }

    fn own_key(&mut self) -> usize {
        self.t() + THREADS * self.rng.below(KEYS / THREADS)
    }

    fn owns_id(&self, id: usize) -> bool {
        // Ids of earlier rounds are in no slot now: their objects are dead,
        // and so is every entry of theirs.
        self.world
            .slot_ids
            .iter()
            .position(|&i| i == id)
            .is_some_and(|slot| slot % THREADS == self.t())
    }

    /// An object a collection handed out must be alive.
    fn check_alive(&self, o: &Item, what: &str) {
        assert_eq!(
            o.drops.count(),
            0,
            "{}: {what} yielded object {} after its drop",
            self.ctx,
            o.id
        );
    }

    /// Drops a random slot's owner: maybe the object's last `Obj`.
    fn drop_owner(&mut self) {
        if self.drops_left == 0 {
            return;
        }
        self.drops_left -= 1;
        let slot = self.rng.below(SLOTS);
        let owner = self.world.owner(slot).take();
        drop(owner); // after unlocking: the death runs callbacks and evictions
    }

    /// Keeps `o` or lets it go (maybe killing it), at random.
    fn keep_or_drop(&mut self, o: Obj<Item>) {
        if self.rng.one_in(3) && self.stash.len() < STASH {
            self.stash.push(o);
        }
    }

    fn step(&mut self, op: Op) {
        let world = self.world;
        let ctx = self.ctx;
        match op {
            Op::Stash => {
                if let Some(o) = self.grab_any() {
                    if self.stash.len() >= STASH {
                        let i = self.rng.below(self.stash.len());
                        self.stash.swap_remove(i);
                    }
                    self.stash.push(o);
                }
            }
            Op::Unstash => {
                if !self.stash.is_empty() {
                    let i = self.rng.below(self.stash.len());
                    self.stash.swap_remove(i);
                }
            }
            Op::TakeRef => {
                if let Some(o) = self.grab_any() {
                    if self.refs.len() >= STASH {
                        let i = self.rng.below(self.refs.len());
                        self.refs.swap_remove(i);
                    }
                    self.refs.push((o.id, Ref::new(&o)));
                }
            }
            Op::CheckRefs => {
                for (id, r) in &self.refs {
                    match r.upgrade() {
                        Some(o) => {
                            self.check_alive(&o, "Ref::upgrade");
                            assert_eq!(o.id, *id, "{ctx}: a ref upgraded to another object");
                        }
                        None => assert!(
                            !self.held(*id),
                            "{ctx}: the ref to the held object {id} is dead"
                        ),
                    }
                }
            }

            // ---- WeakValueDictionary<usize, Item>: keys owned by k % THREADS.
            Op::VInsert => {
                let k = self.own_key();
                let Some(o) = self.grab_any() else { return };
                let prev = self.model.values.get(&k).copied();
                let old = world.values.insert(k, &o);
                match (&old, prev) {
                    (Some(old), _) => {
                        self.check_alive(old, "insert");
                        assert_eq!(
                            Some(old.id),
                            prev,
                            "{ctx}: insert({k}) returned another object"
                        );
                    }
                    (None, Some(p)) => {
                        assert!(!self.held(p), "{ctx}: insert({k}) lost the live object {p}")
                    }
                    (None, None) => {}
                }
                drop(old);
                self.model.values.insert(k, o.id);
                let got = world.values.get(&k).map(|g| g.id);
                assert_eq!(got, Some(o.id), "{ctx}: get({k}) right after insert");
                self.keep_or_drop(o);
            }
            Op::VSetdefault => {
                let k = self.own_key();
                let Some(o) = self.grab_any() else { return };
                let prev = self.model.values.get(&k).copied();
                let got = world.values.setdefault(k, &o);
                self.check_alive(&got, "setdefault");
                match prev {
                    Some(p) if self.held(p) => {
                        assert_eq!(got.id, p, "{ctx}: setdefault({k}) replaced a live value")
                    }
                    Some(p) => assert!(
                        got.id == p || Obj::ptr_eq(&got, &o),
                        "{ctx}: setdefault({k}) returned object {}",
                        got.id
                    ),
                    None => assert!(
                        Obj::ptr_eq(&got, &o),
                        "{ctx}: setdefault({k}) found an entry the model lacks"
                    ),
                }
                self.model.values.insert(k, got.id);
                drop(got);
                self.keep_or_drop(o);
            }
            Op::VRemove => {
                let k = self.own_key();
                let prev = self.model.values.remove(&k);
                let removed = world.values.remove(&k);
                match (&removed, prev) {
                    (Some(r), _) => {
                        self.check_alive(r, "remove");
                        assert_eq!(
                            Some(r.id),
                            prev,
                            "{ctx}: remove({k}) returned another object"
                        );
                    }
                    (None, Some(p)) => assert!(
                        !self.held(p),
                        "{ctx}: remove({k}) missed the live object {p}"
                    ),
                    (None, None) => {}
                }
                drop(removed);
                assert!(
                    world.values.get(&k).is_none(),
                    "{ctx}: get({k}) after remove"
                );
            }
            Op::VGet => {
                let k = self.rng.below(KEYS);
                let got = world.values.get(&k);
                if let Some(g) = &got {
                    self.check_alive(g, "get");
                }
                if k % THREADS == self.t() {
                    let prev = self.model.values.get(&k).copied();
                    let got = got.map(|g| g.id);
                    match prev {
                        Some(p) if self.held(p) => {
                            assert_eq!(got, Some(p), "{ctx}: get({k}) of a held value")
                        }
                        _ => assert!(
                            got.is_none() || got == prev,
                            "{ctx}: get({k}) = {got:?}, model {prev:?}"
                        ),
                    }
                }
            }
            Op::VIter => {
                let mut seen = HashSet::new();
                for (k, v) in world.values.iter() {
                    self.check_alive(&v, "WeakValueDictionary::iter");
                    assert!(seen.insert(k), "{ctx}: iter yielded key {k} twice");
                    if k % THREADS == self.t() {
                        assert_eq!(
                            Some(v.id),
                            self.model.values.get(&k).copied(),
                            "{ctx}: iter yielded key {k} with another object"
                        );
                    }
                    drop(v);
                    if self.rng.one_in(8) {
                        self.drop_owner(); // deaths during the iteration
                    }
                }
                for (&k, &id) in &self.model.values {
                    assert!(
                        !self.held(id) || seen.contains(&k),
                        "{ctx}: iter missed key {k} of the held object {id}"
                    );
                }
            }
            Op::VValuerefs => {
                let mut seen = HashSet::new();
                for r in world.values.valuerefs() {
                    let k = *r.data();
                    assert!(seen.insert(k), "{ctx}: valuerefs has key {k} twice");
                    if let Some(v) = r.upgrade() {
                        self.check_alive(&v, "valuerefs");
                        if k % THREADS == self.t() {
                            assert_eq!(
                                Some(v.id),
                                self.model.values.get(&k).copied(),
                                "{ctx}: valueref {k}"
                            );
                        }
                    }
                }
                for (&k, &id) in &self.model.values {
                    assert!(
                        !self.held(id) || seen.contains(&k),
                        "{ctx}: valuerefs missed key {k} of the held object {id}"
                    );
                }
            }
            Op::VLen => {
                let held = self
                    .model
                    .values
                    .values()
                    .filter(|&&id| self.held(id))
                    .count();
                let len = world.values.len();
                assert!(len >= held, "{ctx}: len {len} < {held} held values");
            }
            Op::VCopy => {
                let copy = world.values.clone();
                if self.rng.one_in(3) {
                    self.drop_owner();
                }
                for (&k, &id) in &self.model.values {
                    if self.held(id) {
                        let got = copy.get(&k).map(|g| g.id);
                        assert_eq!(got, Some(id), "{ctx}: the copy lacks key {k}");
                    }
                }
                let n = copy
                    .iter()
                    .inspect(|(_, v)| self.check_alive(v, "a copy's iter"))
                    .count();
                assert!(n <= KEYS, "{ctx}: the copy has {n} entries");
            }

            // ---- WeakKeyDictionary<Item, u64>: objects owned by slot % THREADS.
            Op::KInsert => {
                let (id, Some(o)) = self.grab_own() else {
                    return;
                };
                let v = self.rng.next();
                let old = world.keys.insert(&o, v);
                // `o` is alive, so its entry is too: the model is exact.
                let prev = self.model.keys.insert(id, v);
                assert_eq!(old, prev, "{ctx}: insert of key {id}");
                assert_eq!(
                    world.keys.get(&o),
                    Some(v),
                    "{ctx}: get({id}) right after insert"
                );
                self.keep_or_drop(o);
            }
            Op::KSetdefault => {
                let (id, Some(o)) = self.grab_own() else {
                    return;
                };
                let v = self.rng.next();
                let got = world.keys.setdefault(&o, v);
                let want = *self.model.keys.entry(id).or_insert(v);
                assert_eq!(got, want, "{ctx}: setdefault of key {id}");
                self.keep_or_drop(o);
            }
            Op::KRemove => {
                let (id, obj) = self.grab_own();
                let prev = self.model.keys.remove(&id);
                match obj {
                    Some(o) => {
                        let removed = world.keys.remove(&o);
                        assert_eq!(removed, prev, "{ctx}: remove of the live key {id}");
                        assert_eq!(world.keys.get(&o), None, "{ctx}: get({id}) after remove");
                    }
                    None => {
                        // Maybe dead, maybe held by another thread.
                        let removed = world.keys.remove(&Item::probe(id));
                        assert!(
                            removed.is_none() || removed == prev,
                            "{ctx}: remove of key {id} = {removed:?}, model {prev:?}"
                        );
                    }
                }
            }
            Op::KGet => {
                let slot = self.rng.below(SLOTS);
                let id = world.slot_ids[slot];
                let got = world.keys.get(&Item::probe(id));
                if slot % THREADS == self.t() {
                    let prev = self.model.keys.get(&id).copied();
                    if self.held(id) {
                        assert_eq!(got, prev, "{ctx}: get of the held key {id}");
                    } else {
                        assert!(
                            got.is_none() || got == prev,
                            "{ctx}: get of key {id} = {got:?}, model {prev:?}"
                        );
                    }
                    // Only this thread inserts it: found now, found before.
                    let contains = world.keys.contains_key(&Item::probe(id));
                    assert!(
                        !contains || got.is_some(),
                        "{ctx}: contains_key({id}) but get found nothing"
                    );
                }
            }
            Op::KIter => {
                let mut seen = HashSet::new();
                for (k, v) in world.keys.iter() {
                    self.check_alive(&k, "WeakKeyDictionary::iter");
                    assert!(seen.insert(k.id), "{ctx}: iter yielded key {} twice", k.id);
                    if self.owns_id(k.id) {
                        assert_eq!(
                            Some(v),
                            self.model.keys.get(&k.id).copied(),
                            "{ctx}: iter yielded key {} with another value",
                            k.id
                        );
                    }
                    drop(k);
                    if self.rng.one_in(8) {
                        self.drop_owner();
                    }
                }
                for &id in self.model.keys.keys() {
                    assert!(
                        !self.held(id) || seen.contains(&id),
                        "{ctx}: iter missed the held key {id}"
                    );
                }
            }
            Op::KKeys => {
                let mut seen = HashSet::new();
                for k in world.keys.keys() {
                    self.check_alive(&k, "WeakKeyDictionary::keys");
                    assert!(seen.insert(k.id), "{ctx}: keys yielded {} twice", k.id);
                    assert!(
                        !self.owns_id(k.id) || self.model.keys.contains_key(&k.id),
                        "{ctx}: keys yielded {}, not in the model",
                        k.id
                    );
                    if self.rng.one_in(8) {
                        self.drop_owner();
                    }
                }
                let mut refs = HashSet::new();
                for r in world.keys.keyrefs() {
                    if let Some(k) = r.upgrade() {
                        self.check_alive(&k, "keyrefs");
                        refs.insert(k.id);
                    }
                }
                for &id in self.model.keys.keys() {
                    if self.held(id) {
                        assert!(seen.contains(&id), "{ctx}: keys missed the held key {id}");
                        assert!(
                            refs.contains(&id),
                            "{ctx}: keyrefs missed the held key {id}"
                        );
                    }
                }
            }
            Op::KLen => {
                let held = self.model.keys.keys().filter(|&&id| self.held(id)).count();
                let len = world.keys.len();
                assert!(len >= held, "{ctx}: len {len} < {held} held keys");
            }
            Op::KCopy => {
                let copy = world.keys.clone();
                if self.rng.one_in(3) {
                    self.drop_owner();
                }
                for o in &self.stash {
                    if let Some(&v) = self.model.keys.get(&o.id) {
                        assert_eq!(copy.get(o), Some(v), "{ctx}: the copy lacks key {}", o.id);
                    }
                }
                for (k, _) in copy.iter() {
                    self.check_alive(&k, "a copy's iter");
                }
            }

            // ---- WeakSet<Item>: objects owned by slot % THREADS.
            Op::SInsert => {
                let (id, Some(o)) = self.grab_own() else {
                    return;
                };
                let new = world.set.insert(&o);
                assert_eq!(new, self.model.set.insert(id), "{ctx}: insert of {id}");
                assert!(
                    world.set.contains(&o),
                    "{ctx}: contains({id}) right after insert"
                );
                self.keep_or_drop(o);
            }
            Op::SRemove => {
                let (id, obj) = self.grab_own();
                let was = self.model.set.remove(&id);
                match obj {
                    Some(o) => {
                        assert_eq!(world.set.remove(&o), was, "{ctx}: remove of the live {id}");
                        assert!(
                            !world.set.contains(&o),
                            "{ctx}: contains({id}) after remove"
                        );
                    }
                    None => {
                        let removed = world.set.remove(&Item::probe(id));
                        assert!(!removed || was, "{ctx}: removed {id}, not in the model");
                    }
                }
            }
            Op::SContains => {
                let slot = self.rng.below(SLOTS);
                let id = world.slot_ids[slot];
                let got = world.set.contains(&Item::probe(id));
                if slot % THREADS == self.t() {
                    let was = self.model.set.contains(&id);
                    if self.held(id) {
                        assert_eq!(got, was, "{ctx}: contains of the held {id}");
                    } else {
                        assert!(!got || was, "{ctx}: contains({id}), not in the model");
                    }
                }
            }
            Op::SIter => {
                let mut seen = HashSet::new();
                for e in world.set.iter() {
                    self.check_alive(&e, "WeakSet::iter");
                    assert!(seen.insert(e.id), "{ctx}: iter yielded {} twice", e.id);
                    assert!(
                        !self.owns_id(e.id) || self.model.set.contains(&e.id),
                        "{ctx}: iter yielded {}, not in the model",
                        e.id
                    );
                    drop(e);
                    if self.rng.one_in(8) {
                        self.drop_owner();
                    }
                }
                for &id in &self.model.set {
                    assert!(
                        !self.held(id) || seen.contains(&id),
                        "{ctx}: iter missed the held {id}"
                    );
                }
            }
            Op::SLen => {
                let held = self.model.set.iter().filter(|&&id| self.held(id)).count();
                let len = world.set.len();
                assert!(len >= held, "{ctx}: len {len} < {held} held elements");
            }
            Op::SCopy => {
                let copy = world.set.clone();
                if self.rng.one_in(3) {
                    self.drop_owner();
                }
                for o in &self.stash {
                    if self.model.set.contains(&o.id) {
                        assert!(copy.contains(o), "{ctx}: the copy lacks {}", o.id);
                    }
                }
                for e in copy.iter() {
                    self.check_alive(&e, "a copy's iter");
                }
            }
        }
    }
}

/// Runs `rounds` rounds of `steps` random operations per thread on the
/// collections `on` selects, checking the model after each round, then
/// drops the whole pool and checks that everything is gone.
fn run_model(on: Use, base_seed: u64, run: Runner) {
    let seed = std::env::var("WEAKABLE_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(base_seed);
    watchdog(LIMIT, move || run_rounds(on, seed, run));
}

/// How a round's workers run: on threads of their own, or interleaved
/// step by step on this one.
type Runner = fn(&World, Vec<Model>, u64, usize, usize, &[Op]) -> Vec<Model>;

/// Thread `t`'s worker for `round`.
fn worker(world: &World, model: Model, seed: u64, round: usize, t: usize) -> Worker<'_> {
    Worker {
        world,
        rng: Rng(seed ^ ((round as u64) << 32) ^ ((t as u64) << 16)),
        ctx: Ctx {
            seed,
            round,
            thread: t,
            step: 0,
        },
        model,
        stash: Vec::new(),
        refs: Vec::new(),
        drops_left: DROPS,
    }
}

impl Worker<'_> {
    /// One step: an operation, or now and then dropping an owner.
    fn step_at(&mut self, step: usize, steps: usize, ops: &[Op]) {
        self.ctx.step = step;
        if self.rng.below(steps) < 2 {
            self.drop_owner();
        } else {
            let op = ops[self.rng.below(ops.len())];
            self.step(op);
        }
    }
}

/// The workers take turns on this thread, one step each: the single-threaded
/// flavour's model (and a deterministic interleaving for the sync one).
fn interleaved(
    world: &World,
    models: Vec<Model>,
    seed: u64,
    round: usize,
    steps: usize,
    ops: &[Op],
) -> Vec<Model> {
    let mut workers: Vec<Worker<'_>> = models
        .into_iter()
        .enumerate()
        .map(|(t, model)| worker(world, model, seed, round, t))
        .collect();
    for step in 0..steps {
        for w in &mut workers {
            w.step_at(step, steps, ops);
        }
    }
    // Let go of every handle: after the round, an object lives exactly
    // while the pool owns it.
    workers.into_iter().map(|w| w.model).collect()
}

super::sync_only! {
    /// Each worker on a thread of its own, started together.
    fn threaded(
        world: &World,
        models: Vec<Model>,
        seed: u64,
        round: usize,
        steps: usize,
        ops: &[Op],
    ) -> Vec<Model> {
        let start = Barrier::new(THREADS);
        thread::scope(|s| {
            let handles: Vec<_> = models
                .into_iter()
                .enumerate()
                .map(|(t, model)| {
                    let start = &start;
                    s.spawn(move || {
                        let mut w = worker(world, model, seed, round, t);
                        start.wait();
                        for step in 0..steps {
                            w.step_at(step, steps, ops);
                        }
                        // Let go of every handle: after the round, an object
                        // lives exactly while the pool owns it.
                        w.model
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }
}

fn run_rounds(on: Use, seed: u64, run: Runner) {
    let rounds = scaled(40, 2);
    let steps = scaled(300, 15);
    let ops = op_table(on);
    let mut world = World {
        values: WeakValueDictionary::new(),
        keys: WeakKeyDictionary::new(),
        set: WeakSet::new(),
        owners: (0..SLOTS).map(|_| Mutex::new(None)).collect(),
        slot_ids: vec![usize::MAX; SLOTS],
    };
    // Every object ever made, by id.
    let mut counters: Vec<DropCounter> = Vec::new();
    let mut models: Vec<Model> = (0..THREADS).map(|_| Model::default()).collect();

    for round in 0..rounds {
        // Refill: an empty owner means a dead object (no thread holds any
        // handle between rounds); a new object with a new id takes its slot.
        for slot in 0..SLOTS {
            let mut owner = world.owner(slot);
            if owner.is_none() {
                let id = counters.len();
                let drops = DropCounter::new();
                *owner = Some(Obj::new(Item {
                    id,
                    drops: drops.clone(),
                    _token: Some(drops.token()),
                }));
                counters.push(drops);
                drop(owner);
                world.slot_ids[slot] = id;
            }
        }

        models = run(&world, models, seed, round, steps, &ops);

        check_round(
            &world,
            &counters,
            &mut models,
            on,
            &format!("seed {seed:#x}, round {round}"),
        );
    }

    // The end: drop the pool; everything dies, every collection empties.
    for slot in 0..SLOTS {
        let owner = world.owner(slot).take();
        drop(owner);
    }
    for (id, c) in counters.iter().enumerate() {
        assert_eq!(
            c.count(),
            1,
            "seed {seed:#x}: object {id} dropped {} times",
            c.count()
        );
    }
    assert_eq!(world.values.len(), 0, "seed {seed:#x}: values left");
    assert_eq!(world.values.iter().count(), 0);
    assert_eq!(world.keys.len(), 0, "seed {seed:#x}: keys left");
    assert_eq!(world.keys.iter().count(), 0);
    assert_eq!(world.set.len(), 0, "seed {seed:#x}: elements left");
    assert_eq!(world.set.iter().count(), 0);
}

/// The checks after a round, threads joined: the collections hold exactly
/// the modelled entries whose objects live.
fn check_round(world: &World, counters: &[DropCounter], models: &mut [Model], on: Use, ctx: &str) {
    let alive: HashSet<usize> = (0..SLOTS)
        .filter(|&s| world.owner(s).is_some())
        .map(|s| world.slot_ids[s])
        .collect();
    for (id, c) in counters.iter().enumerate() {
        let want = usize::from(!alive.contains(&id));
        assert_eq!(
            c.count(),
            want,
            "{ctx}: object {id} dropped {} times",
            c.count()
        );
    }

    if on.values {
        let want: HashMap<usize, usize> = models
            .iter()
            .flat_map(|m| m.values.iter())
            .filter(|(_, id)| alive.contains(id))
            .map(|(&k, &id)| (k, id))
            .collect();
        assert_eq!(
            world.values.len(),
            want.len(),
            "{ctx}: WeakValueDictionary::len"
        );
        let mut got = HashMap::new();
        for (k, v) in world.values.iter() {
            assert!(
                got.insert(k, v.id).is_none(),
                "{ctx}: iter yielded {k} twice"
            );
        }
        assert_eq!(got, want, "{ctx}: WeakValueDictionary::iter");
        assert_eq!(
            world.values.valuerefs().len(),
            want.len(),
            "{ctx}: valuerefs"
        );
        let keys: HashSet<usize> = world.values.keys().collect();
        assert_eq!(
            keys,
            want.keys().copied().collect(),
            "{ctx}: WeakValueDictionary::keys"
        );
        let mut values: Vec<usize> = world.values.values().map(|v| v.id).collect();
        let mut want_values: Vec<usize> = want.values().copied().collect();
        values.sort_unstable();
        want_values.sort_unstable();
        assert_eq!(values, want_values, "{ctx}: WeakValueDictionary::values");
        for k in 0..KEYS {
            let got = world.values.get(&k).map(|v| v.id);
            assert_eq!(
                got,
                want.get(&k).copied(),
                "{ctx}: WeakValueDictionary::get({k})"
            );
        }
    } else {
        assert!(world.values.is_empty());
    }

    if on.keys {
        let known: Vec<usize> = models.iter().flat_map(|m| m.keys.keys().copied()).collect();
        let want: HashMap<usize, u64> = models
            .iter()
            .flat_map(|m| m.keys.iter())
            .filter(|(id, _)| alive.contains(id))
            .map(|(&id, &v)| (id, v))
            .collect();
        assert_eq!(
            world.keys.len(),
            want.len(),
            "{ctx}: WeakKeyDictionary::len"
        );
        let mut got = HashMap::new();
        for (k, v) in world.keys.iter() {
            assert!(
                got.insert(k.id, v).is_none(),
                "{ctx}: iter yielded {} twice",
                k.id
            );
        }
        assert_eq!(got, want, "{ctx}: WeakKeyDictionary::iter");
        assert_eq!(world.keys.keyrefs().len(), want.len(), "{ctx}: keyrefs");
        let keys: HashSet<usize> = world.keys.keys().map(|k| k.id).collect();
        assert_eq!(
            keys,
            want.keys().copied().collect(),
            "{ctx}: WeakKeyDictionary::keys"
        );
        assert_eq!(
            world.keys.values().count(),
            want.len(),
            "{ctx}: WeakKeyDictionary::values"
        );
        for id in known.iter().copied().chain(world.slot_ids.iter().copied()) {
            let got = world.keys.get(&Item::probe(id));
            assert_eq!(
                got,
                want.get(&id).copied(),
                "{ctx}: WeakKeyDictionary::get({id})"
            );
            assert_eq!(world.keys.contains_key(&Item::probe(id)), got.is_some());
        }
    } else {
        assert!(world.keys.is_empty());
    }

    if on.set {
        let known: Vec<usize> = models.iter().flat_map(|m| m.set.iter().copied()).collect();
        let want: HashSet<usize> = known
            .iter()
            .copied()
            .filter(|id| alive.contains(id))
            .collect();
        assert_eq!(world.set.len(), want.len(), "{ctx}: WeakSet::len");
        let mut got = HashSet::new();
        for e in world.set.iter() {
            assert!(got.insert(e.id), "{ctx}: iter yielded {} twice", e.id);
        }
        assert_eq!(got, want, "{ctx}: WeakSet::iter");
        for id in known.iter().copied().chain(world.slot_ids.iter().copied()) {
            assert_eq!(
                world.set.contains(&Item::probe(id)),
                want.contains(&id),
                "{ctx}: WeakSet::contains({id})"
            );
        }
    } else {
        assert!(world.set.is_empty());
    }

    // Dead objects' entries are gone and checked gone: forget them.
    for m in models.iter_mut() {
        m.keys.retain(|id, _| alive.contains(id));
        m.set.retain(|id| alive.contains(id));
    }
}

super::sync_only! {
    #[test]
    fn weak_value_dictionary_matches_model_under_threads() {
        let on = Use {
            values: true,
            keys: false,
            set: false,
        };
        run_model(on, 0x5eed_0001, threaded);
    }

    #[test]
    fn weak_key_dictionary_matches_model_under_threads() {
        let on = Use {
            values: false,
            keys: true,
            set: false,
        };
        run_model(on, 0x5eed_0002, threaded);
    }

    #[test]
    fn weak_set_matches_model_under_threads() {
        let on = Use {
            values: false,
            keys: false,
            set: true,
        };
        run_model(on, 0x5eed_0003, threaded);
    }

    /// One pool's objects in all three collections at once: a death evicts
    /// from all three, racing the other threads' operations on each.
    #[test]
    fn all_collections_sharing_objects_match_model_under_threads() {
        let on = Use {
            values: true,
            keys: true,
            set: true,
        };
        run_model(on, 0x5eed_0004, threaded);
    }
}

#[test]
fn weak_value_dictionary_matches_model_interleaved() {
    let on = Use {
        values: true,
        keys: false,
        set: false,
    };
    run_model(on, 0x5eed_0001, interleaved);
}

#[test]
fn weak_key_dictionary_matches_model_interleaved() {
    let on = Use {
        values: false,
        keys: true,
        set: false,
    };
    run_model(on, 0x5eed_0002, interleaved);
}

#[test]
fn weak_set_matches_model_interleaved() {
    let on = Use {
        values: false,
        keys: false,
        set: true,
    };
    run_model(on, 0x5eed_0003, interleaved);
}

#[test]
fn all_collections_sharing_objects_match_model_interleaved() {
    let on = Use {
        values: true,
        keys: true,
        set: true,
    };
    run_model(on, 0x5eed_0004, interleaved);
}
