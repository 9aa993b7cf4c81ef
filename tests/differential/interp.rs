//! The Rust interpreter: runs a sequence over `weakable` and returns its
//! event log. Compiled once per flavour (`sync.rs`, `unsync.rs`), naming
//! the handles through `super::flavour`. `interp.py` is its mirror over CPython's `weakref`; the two
//! must stay line-for-line alike in what they log and when.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, Weak};

use super::flavour::{
    finalize, getweakrefcount, getweakrefs, Finalizer, Obj, Proxy, Ref, WeakKeyDictionary, WeakSet,
    WeakValueDictionary,
};
use weakable::Weakable;

use crate::ops::{Action, Op};

/// The objects of the language: Python's
/// `class Item: __slots__ = ('id', 'val', 'child', '__weakref__')`,
/// equal and hashed by `val` so that equal-but-distinct objects exist.
#[derive(Weakable)]
pub(crate) struct Item {
    id: u32,
    val: u32,
    /// `hold`: an attribute owning another object, released when this
    /// value drops, i.e. after this object's callbacks (CPython clears
    /// weakrefs before the instance's slots).
    child: Mutex<Option<Obj<Item>>>,
    _live: Live,
}

impl PartialEq for Item {
    fn eq(&self, other: &Item) -> bool {
        self.val == other.val
    }
}

impl Eq for Item {}

impl Hash for Item {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.val.hash(state);
    }
}

/// Counts the live `Item` values of one run, to catch leaks at teardown.
struct Live(Arc<AtomicUsize>);

impl Live {
    fn new(count: &Arc<AtomicUsize>) -> Live {
        count.fetch_add(1, Ordering::SeqCst);
        Live(count.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A finalizer's function and arguments: a function pointer and cloneable
/// arguments, so that `peek` works. The interpreter is held weakly, or the
/// `Arc`s would form a cycle (not a resurrection: the `Obj` would still die
/// when its slot is emptied, as in CPython where the bound method holds the
/// interpreter too).
#[derive(Clone)]
struct FinArgs {
    slot: u32,
    action: Option<Action>,
    interp: Weak<Interp>,
}

type FinFn = fn(FinArgs) -> u32;
type Fin = Finalizer<Item, FinFn, FinArgs>;

fn run_finalizer(args: FinArgs) -> u32 {
    if let Some(interp) = args.interp.upgrade() {
        interp.emit(format!("finalizer f{} ran", args.slot));
        interp.act(args.action);
    }
    1
}

struct Slots {
    objs: BTreeMap<u32, Obj<Item>>,
    refs: BTreeMap<u32, Ref<Item>>,
    proxies: BTreeMap<u32, Proxy<Item>>,
    fins: BTreeMap<u32, Fin>,
    vd: [WeakValueDictionary<u32, Item>; 2],
    kd: [WeakKeyDictionary<Item, u32>; 2],
    ws: [WeakSet<Item>; 2],
}

/// One run's state. Every `Obj` that may be the last one is dropped with no
/// lock of ours held, since its death runs callbacks that take them.
pub(crate) struct Interp {
    log: Mutex<Vec<String>>,
    slots: Mutex<Slots>,
    live: Arc<AtomicUsize>,
}

fn name(o: &Obj<Item>) -> String {
    format!("o{}", o.id)
}

fn opt_name(o: Option<&Obj<Item>>) -> String {
    o.map_or_else(|| "None".to_string(), name)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "None".to_string(), |v| v.to_string())
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(" "))
}

fn obj_list(objs: impl IntoIterator<Item = Obj<Item>>) -> String {
    let mut ids: Vec<u32> = objs.into_iter().map(|o| o.id).collect();
    ids.sort_unstable();
    list(ids.into_iter().map(|id| format!("o{id}")))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic)".to_string()
    }
}

/// Runs `ops`, then the teardown (drop every object slot, lowest first, so
/// that every finalizer and callback still due fires and is logged), and
/// returns the log.
pub(crate) fn run(ops: &[Op]) -> Vec<String> {
    // The one interpreter serves both flavours: over the unsync one its
    // handles make it neither `Send` nor `Sync`, and the `Arc` only
    // shares it with the callbacks, on this thread.
    #[allow(clippy::arc_with_non_send_sync)]
    let interp = Arc::new(Interp {
        log: Mutex::new(Vec::new()),
        slots: Mutex::new(Slots {
            objs: BTreeMap::new(),
            refs: BTreeMap::new(),
            proxies: BTreeMap::new(),
            fins: BTreeMap::new(),
            vd: [WeakValueDictionary::new(), WeakValueDictionary::new()],
            kd: [WeakKeyDictionary::new(), WeakKeyDictionary::new()],
            ws: [WeakSet::new(), WeakSet::new()],
        }),
        live: Arc::new(AtomicUsize::new(0)),
    });
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        for op in ops {
            interp.exec(op);
        }
        interp.teardown();
    }));
    if let Err(payload) = outcome {
        interp.emit(format!("panic: {}", panic_message(&*payload)));
    }
    let log = std::mem::take(&mut *lock(&interp.log));
    log
}

impl Interp {
    fn emit(&self, event: String) {
        lock(&self.log).push(event);
    }

    fn slots(&self) -> MutexGuard<'_, Slots> {
        lock(&self.slots)
    }

    fn obj(&self, n: u32) -> Option<Obj<Item>> {
        self.slots().objs.get(&n).cloned()
    }

    fn weakref(&self, n: u32) -> Option<Ref<Item>> {
        self.slots().refs.get(&n).cloned()
    }

    fn proxy(&self, n: u32) -> Option<Proxy<Item>> {
        self.slots().proxies.get(&n).cloned()
    }

    fn fin(&self, n: u32) -> Option<Fin> {
        self.slots().fins.get(&n).cloned()
    }

    /// A callback's or finalizer's action. Callbacks run inside a death, so
    /// this must never find our lock held: if it does, an object died where
    /// the interpreter did not expect one to, and the log says so.
    fn act(&self, action: Option<Action>) {
        let Some(Action { kind, slot }) = action else {
            return;
        };
        let mut slots = match self.slots.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return self.emit("interp: a callback ran while an op held the slots".into());
            }
        };
        match kind {
            'o' => {
                let old = slots.objs.remove(&slot);
                drop(slots);
                drop(old);
            }
            'r' => {
                let old = slots.refs.remove(&slot);
                drop(slots);
                drop(old);
            }
            'p' => {
                let old = slots.proxies.remove(&slot);
                drop(slots);
                drop(old);
            }
            'f' => {
                let f = slots.fins.get(&slot).cloned();
                drop(slots);
                if let Some(f) = f {
                    f.call();
                }
            }
            _ => {
                let i = slot as usize;
                let (len, items) = match kind {
                    'v' => {
                        let mut items: Vec<(u32, u32)> =
                            slots.vd[i].items().map(|(k, o)| (k, o.id)).collect();
                        items.sort_unstable();
                        let items = items.into_iter().map(|(k, id)| format!("{k}:o{id}"));
                        (slots.vd[i].len(), list(items))
                    }
                    'k' => {
                        let mut items: Vec<(u32, u32)> =
                            slots.kd[i].items().map(|(o, v)| (o.id, v)).collect();
                        items.sort_unstable();
                        let items = items.into_iter().map(|(id, v)| format!("o{id}:{v}"));
                        (slots.kd[i].len(), list(items))
                    }
                    _ => (slots.ws[i].len(), obj_list(slots.ws[i].iter())),
                };
                drop(slots);
                self.emit(format!("{kind}{slot} seen: len {len} {items}"));
            }
        }
    }

    fn ref_callback(self: &Arc<Self>, event: String, action: Option<Action>) -> impl FnOnce() {
        let interp = Arc::downgrade(self);
        move || {
            if let Some(interp) = interp.upgrade() {
                interp.emit(event);
                interp.act(action);
            }
        }
    }

    /// The name of a listed ref: the lowest ref slot, else the lowest proxy
    /// slot holding it, else `?` (a collection's or finalizer's own ref).
    fn listed_names(&self, o: &Obj<Item>) -> String {
        let listed = getweakrefs(o);
        let slots = self.slots();
        let names = listed.iter().map(|w| {
            if let Some((n, _)) = slots.refs.iter().find(|(_, r)| *w == **r) {
                format!("r{n}")
            } else if let Some((n, _)) = slots.proxies.iter().find(|(_, p)| *w == **p) {
                format!("p{n}")
            } else {
                "?".to_string()
            }
        });
        list(names)
    }

    fn exec(self: &Arc<Self>, op: &Op) {
        let a = &op.args;
        let out = |result: String| self.emit(format!("{op} -> {result}"));
        match op.verb {
            "new" => {
                let o = Obj::new(Item {
                    id: a[0],
                    val: a[1],
                    child: Mutex::new(None),
                    _live: Live::new(&self.live),
                });
                let old = self.slots().objs.insert(a[0], o);
                drop(old);
            }
            "alias" => {
                if let Some(o) = self.obj(a[1]) {
                    let old = self.slots().objs.insert(a[0], o);
                    drop(old);
                }
            }
            "del" => {
                let old = self.slots().objs.remove(&a[0]);
                drop(old);
            }
            "hold" => {
                let (Some(owner), Some(child)) = (self.obj(a[0]), self.obj(a[1])) else {
                    return;
                };
                if child.id < owner.id {
                    let old = lock(&owner.child).replace(child);
                    drop(owner);
                    drop(old);
                }
            }
            "unhold" => {
                if let Some(owner) = self.obj(a[0]) {
                    let old = lock(&owner.child).take();
                    drop(owner);
                    drop(old);
                }
            }
            "count" => {
                if let Some(o) = self.obj(a[0]) {
                    out(getweakrefcount(&o).to_string());
                }
            }
            "refs" => {
                if let Some(o) = self.obj(a[0]) {
                    out(self.listed_names(&o));
                }
            }
            "ref" | "refcb" => {
                let Some(o) = self.obj(a[1]) else { return };
                let r = if op.verb == "ref" {
                    Ref::new(&o)
                } else {
                    let cb = self.ref_callback(format!("callback r{}", a[0]), op.action);
                    Ref::with_callback(&o, move |_: &Ref<Item>| cb())
                };
                let old = self.slots().refs.insert(a[0], r);
                drop(old);
            }
            "ralias" => {
                if let Some(r) = self.weakref(a[1]) {
                    let old = self.slots().refs.insert(a[0], r);
                    drop(old);
                }
            }
            "rdel" => {
                let old = self.slots().refs.remove(&a[0]);
                drop(old);
            }
            "up" => {
                if let Some(r) = self.weakref(a[0]) {
                    out(opt_name(r.upgrade().as_ref()));
                }
            }
            "same" | "eq" => {
                let (Some(x), Some(y)) = (self.weakref(a[0]), self.weakref(a[1])) else {
                    return;
                };
                let result = if op.verb == "same" {
                    Ref::ptr_eq(&x, &y)
                } else {
                    x == y
                };
                out(py_bool(result).into());
            }
            "hash" => {
                if let Some(r) = self.weakref(a[0]) {
                    out(if r.try_hash().is_ok() {
                        "ok"
                    } else {
                        "TypeError"
                    }
                    .into());
                }
            }
            "hascb" => {
                if let Some(r) = self.weakref(a[0]) {
                    out(py_bool(r.has_callback()).into());
                }
            }
            "proxy" | "proxycb" => {
                let Some(o) = self.obj(a[1]) else { return };
                let p = if op.verb == "proxy" {
                    Proxy::new(&o)
                } else {
                    let cb = self.ref_callback(format!("callback p{}", a[0]), op.action);
                    Proxy::with_callback(&o, move |_: &Proxy<Item>| cb())
                };
                let old = self.slots().proxies.insert(a[0], p);
                drop(old);
            }
            "pdel" => {
                let old = self.slots().proxies.remove(&a[0]);
                drop(old);
            }
            "pget" => {
                if let Some(p) = self.proxy(a[0]) {
                    out(match p.get() {
                        Ok(o) => name(&o),
                        Err(_) => "ReferenceError".into(),
                    });
                }
            }
            "psame" => {
                if let (Some(x), Some(y)) = (self.proxy(a[0]), self.proxy(a[1])) {
                    out(py_bool(Proxy::ptr_eq(&x, &y)).into());
                }
            }
            "fin" => {
                let Some(o) = self.obj(a[1]) else { return };
                let args = FinArgs {
                    slot: a[0],
                    action: op.action,
                    interp: Arc::downgrade(self),
                };
                let f = finalize(&o, run_finalizer as FinFn, args);
                let old = self.slots().fins.insert(a[0], f);
                drop(old);
            }
            "fcall" => {
                if let Some(f) = self.fin(a[0]) {
                    let result = f.call();
                    out(opt(result));
                }
            }
            "fdetach" | "fpeek" => {
                if let Some(f) = self.fin(a[0]) {
                    let got = if op.verb == "fdetach" {
                        f.detach()
                    } else {
                        f.peek()
                    };
                    out(opt_name(got.as_ref().map(|g| &g.0)));
                }
            }
            "falive" => {
                if let Some(f) = self.fin(a[0]) {
                    out(py_bool(f.is_alive()).into());
                }
            }
            "fatexit" => {
                if let Some(f) = self.fin(a[0]) {
                    out(py_bool(f.atexit()).into());
                }
            }
            "fsetatexit" => {
                if let Some(f) = self.fin(a[0]) {
                    f.set_atexit(a[1] != 0);
                }
            }
            "fdel" => {
                let old = self.slots().fins.remove(&a[0]);
                drop(old);
            }
            verb if verb.starts_with('v') => self.exec_value_dict(op, &out),
            verb if verb.starts_with('k') => self.exec_key_dict(op, &out),
            verb if verb.starts_with('s') => self.exec_set(op, &out),
            verb => unreachable!("verb {verb} has no interpretation"),
        }
    }

    /// `vcopy`/`kcopy`, `vupdate`/`kupdate`, `veq`/`keq`: the verbs of a
    /// dictionary with the other one of its kind.
    fn exec_dict_pair<D>(
        &self,
        pair: DictPair,
        i: usize,
        j: usize,
        dicts: impl FnOnce(&mut Slots) -> &mut [D; 2],
        out: &dyn Fn(String),
    ) where
        D: Clone + PartialEq + for<'d> std::ops::BitOrAssign<&'d D>,
    {
        if i == j {
            return;
        }
        let mut slots = self.slots();
        let [d0, d1] = dicts(&mut slots);
        let (d, e) = if i == 0 { (d0, d1) } else { (d1, d0) };
        match pair {
            DictPair::Copy => {
                let old = std::mem::replace(e, d.clone());
                drop(slots);
                drop(old);
            }
            DictPair::Update => *d |= &*e,
            DictPair::Eq => {
                let equal = *d == *e;
                drop(slots);
                out(py_bool(equal).into());
            }
        }
    }

    fn exec_value_dict(&self, op: &Op, out: &dyn Fn(String)) {
        let a = &op.args;
        let i = a[0] as usize;
        if let Some(pair) = op.verb.strip_prefix('v').and_then(DictPair::of) {
            return self.exec_dict_pair(pair, i, a[1] as usize, |slots| &mut slots.vd, out);
        }
        let obj = match op.verb {
            "vset" | "vsetdefault" => match self.obj(a[2]) {
                Some(o) => Some(o),
                None => return,
            },
            _ => None,
        };
        let slots = self.slots();
        let d = &slots.vd[i];
        let result = match op.verb {
            "vset" => opt_name(d.insert(a[1], obj.as_ref().unwrap()).as_ref()),
            "vsetdefault" => name(&d.setdefault(a[1], obj.as_ref().unwrap())),
            "vget" => opt_name(d.get(&a[1]).as_ref()),
            "vhas" => py_bool(d.contains_key(&a[1])).into(),
            "vpop" => opt_name(d.remove(&a[1]).as_ref()),
            "vpopitem" => match d.len() {
                0 | 1 => opt(d.popitem().map(|(k, o)| format!("{k}:{}", name(&o)))),
                _ => "skipped".into(),
            },
            "vitems" | "vrefs" => {
                let mut items: Vec<(u32, String)> = if op.verb == "vitems" {
                    d.items().map(|(k, o)| (k, name(&o))).collect()
                } else {
                    let refs = d.valuerefs();
                    let items = refs
                        .iter()
                        .map(|r| (*r.data(), opt_name(r.upgrade().as_ref())))
                        .collect();
                    drop(refs);
                    items
                };
                items.sort();
                list(items.into_iter().map(|(k, o)| format!("{k}:{o}")))
            }
            "vkeys" => {
                let mut keys: Vec<u32> = d.keys().collect();
                keys.sort_unstable();
                list(keys)
            }
            "vvalues" => obj_list(d.values()),
            "vlen" => d.len().to_string(),
            "vclear" => {
                d.clear();
                return;
            }
            verb => unreachable!("verb {verb} has no interpretation"),
        };
        drop(slots);
        drop(obj);
        out(result);
    }

    fn exec_key_dict(&self, op: &Op, out: &dyn Fn(String)) {
        let a = &op.args;
        let i = a[0] as usize;
        if let Some(pair) = op.verb.strip_prefix('k').and_then(DictPair::of) {
            return self.exec_dict_pair(pair, i, a[1] as usize, |slots| &mut slots.kd, out);
        }
        let obj = match op.verb {
            "kset" | "kget" | "khas" | "kpop" | "ksetdefault" => match self.obj(a[1]) {
                Some(o) => Some(o),
                None => return,
            },
            _ => None,
        };
        let slots = self.slots();
        let d = &slots.kd[i];
        let key = || &**obj.as_ref().unwrap();
        let result = match op.verb {
            "kset" => opt(d.insert(obj.as_ref().unwrap(), a[2])),
            "ksetdefault" => d.setdefault(obj.as_ref().unwrap(), a[2]).to_string(),
            "kget" => opt(d.get(key())),
            "khas" => py_bool(d.contains_key(key())).into(),
            "kpop" => opt(d.remove(key())),
            "kpopitem" => match d.len() {
                0 | 1 => opt(d.popitem().map(|(o, v)| format!("{}:{v}", name(&o)))),
                _ => "skipped".into(),
            },
            "kitems" => {
                let mut items: Vec<(u32, u32)> = d.items().map(|(o, v)| (o.id, v)).collect();
                items.sort_unstable();
                list(items.into_iter().map(|(id, v)| format!("o{id}:{v}")))
            }
            "kkeys" => obj_list(d.keys()),
            "krefs" => {
                let refs = d.keyrefs();
                let mut names: Vec<(u32, String)> = refs
                    .iter()
                    .map(|r| match r.upgrade() {
                        Some(o) => (o.id, name(&o)),
                        None => (u32::MAX, "None".into()),
                    })
                    .collect();
                drop(refs);
                names.sort();
                list(names.into_iter().map(|n| n.1))
            }
            "kvalues" => {
                let mut values: Vec<u32> = d.values().collect();
                values.sort_unstable();
                list(values)
            }
            "klen" => d.len().to_string(),
            "kclear" => {
                d.clear();
                return;
            }
            verb => unreachable!("verb {verb} has no interpretation"),
        };
        drop(slots);
        drop(obj);
        out(result);
    }

    fn exec_set(&self, op: &Op, out: &dyn Fn(String)) {
        let a = &op.args;
        let i = a[0] as usize;
        let result = match op.verb {
            "sadd" | "shas" | "sdiscard" => {
                let Some(o) = self.obj(a[1]) else { return };
                let slots = self.slots();
                let s = &slots.ws[i];
                let result = match op.verb {
                    "sadd" => s.insert(&o),
                    "shas" => s.contains(&o),
                    _ => s.remove(&o),
                };
                py_bool(result).into()
            }
            "spop" => {
                let slots = self.slots();
                let s = &slots.ws[i];
                match s.len() {
                    0 | 1 => opt_name(s.pop().as_ref()),
                    _ => "skipped".into(),
                }
            }
            "sitems" => obj_list(self.slots().ws[i].iter()),
            "slen" => self.slots().ws[i].len().to_string(),
            "sclear" => return self.slots().ws[i].clear(),
            _ => match self.exec_set_pair(op) {
                Some(result) => result,
                None => return,
            },
        };
        out(result);
    }

    /// The set verbs with a second set.
    fn exec_set_pair(&self, op: &Op) -> Option<String> {
        let (i, j) = (op.args[0] as usize, op.args[1] as usize);
        if i == j {
            return None;
        }
        let mut slots = self.slots();
        let [s0, s1] = &mut slots.ws;
        let (s, t) = if i == 0 { (s0, s1) } else { (s1, s0) };
        let replaced = match op.verb {
            "scopy" => Some(std::mem::replace(t, s.clone())),
            "sand" => {
                let both = &*s & &*t;
                Some(std::mem::replace(s, both))
            }
            "sor" => {
                *s |= &*t;
                None
            }
            "ssub" => {
                *s -= &*t;
                None
            }
            "sxor" => {
                *s ^= &*t;
                None
            }
            "scmp" => {
                let (s, t) = (&*s, &*t);
                return Some(format!(
                    "le={} ge={} lt={} gt={} disjoint={} eq={}",
                    py_bool(s.is_subset(t)),
                    py_bool(s.is_superset(t)),
                    py_bool(s.is_proper_subset(t)),
                    py_bool(s.is_proper_superset(t)),
                    py_bool(s.is_disjoint(t)),
                    py_bool(s == t),
                ));
            }
            verb => unreachable!("verb {verb} has no interpretation"),
        };
        drop(slots);
        drop(replaced);
        None
    }

    /// Drops every object slot, lowest first (callbacks may empty others on
    /// the way), then everything else; logs any `Item` still alive.
    fn teardown(&self) {
        self.emit("end".into());
        loop {
            let next = {
                let mut slots = self.slots();
                slots.objs.pop_first()
            };
            match next {
                Some((_, o)) => drop(o),
                None => break,
            }
        }
        let mut slots = self.slots();
        let refs = std::mem::take(&mut slots.refs);
        let proxies = std::mem::take(&mut slots.proxies);
        let fins = std::mem::take(&mut slots.fins);
        drop(slots);
        drop((refs, proxies, fins));
        let live = self.live.load(Ordering::SeqCst);
        if live != 0 {
            self.emit(format!("leak: {live} objects still alive after teardown"));
        }
    }
}

/// The dictionary verbs that take a second dictionary, without their
/// `v`/`k` prefix.
#[derive(Clone, Copy)]
enum DictPair {
    Copy,
    Update,
    Eq,
}

impl DictPair {
    fn of(suffix: &str) -> Option<Self> {
        match suffix {
            "copy" => Some(DictPair::Copy),
            "update" => Some(DictPair::Update),
            "eq" => Some(DictPair::Eq),
            _ => None,
        }
    }
}
