//! The unsync collections with what the sync flavour cannot hold (`RefCell`
//! contents, callbacks capturing an `Rc`), and reentrancy without locks
//! (issue 14): callbacks that use the dictionary whose entry they evict,
//! loop bodies that kill entries, keys whose `Eq` reads the dictionary, a
//! value's `Clone` that kills a key of the dictionary cloning it. None may
//! panic, lose or double an eviction, or yield a dead entry; the one use
//! the engine forbids (a `WeakKeyDictionary` value's `Clone` using that
//! dictionary, which runs while its table is held) panics with a message
//! that says so, and leaves the dictionary usable.

use std::cell::{Cell, RefCell};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use weakable::unsync::{Obj, Ref, WeakKeyDictionary, WeakSet, WeakValueDictionary};
use weakable::Weakable;
use weakable_tests::{DropCounter, DropToken};

#[derive(Weakable)]
struct Document {
    text: RefCell<String>,
    _token: DropToken,
}

fn document(text: &str, drops: &DropCounter) -> Obj<Document> {
    Obj::new(Document {
        text: RefCell::new(text.into()),
        _token: drops.token(),
    })
}

#[derive(Weakable, Debug, PartialEq, Eq, Hash)]
struct Val(u32);

#[test]
fn refcell_contents_and_a_callback_capturing_an_rc() {
    let drops = DropCounter::new();
    let open: Rc<WeakValueDictionary<String, Document>> = Rc::new(WeakValueDictionary::new());
    let notes = document("draft", &drops);
    let todo = document("milk", &drops);
    open.insert("notes.txt".into(), &notes);
    open.insert("todo.txt".into(), &todo);

    // Edit through the dictionary: `RefCell` state, no `Sync` needed.
    open.get("notes.txt")
        .unwrap()
        .text
        .borrow_mut()
        .push_str(" 2");
    assert_eq!(*notes.text.borrow(), "draft 2");

    // A callback capturing an `Rc`, which reads the dictionary as the
    // document dies. Callbacks run newest first, as CPython's, so the
    // entry's own eviction (registered before) runs after this one: `len`
    // still counts the entry, but iteration never yields it, dead.
    let log: Rc<RefCell<Vec<(String, usize)>>> = Rc::default();
    let (sink, dict) = (Rc::clone(&log), Rc::clone(&open));
    let _watch = Ref::with_callback(&notes, move |_| {
        let live: Vec<String> = dict.keys().collect();
        sink.borrow_mut().push((live.join(","), dict.len()));
    });
    drop(notes);
    assert_eq!(*log.borrow(), [("todo.txt".to_string(), 2)]);
    assert_eq!(drops.count(), 1);
    assert_eq!(open.len(), 1);
    assert_eq!(*open.get("todo.txt").unwrap().text.borrow(), "milk");
    drop(todo);
    assert!(open.is_empty());
    assert_eq!(drops.count(), 2);
}

#[test]
fn a_callback_inserts_into_and_removes_from_the_evicting_dictionary() {
    let d: Rc<WeakValueDictionary<u32, Val>> = Rc::new(WeakValueDictionary::new());
    let (doomed, other, keeper) = (Obj::new(Val(1)), Obj::new(Val(2)), Obj::new(Val(3)));
    d.insert(1, &doomed);
    d.insert(2, &other);
    let (d2, k2) = (Rc::clone(&d), keeper.clone());
    let ran = Rc::new(Cell::new(false));
    let ran2 = Rc::clone(&ran);
    let _r = Ref::with_callback(&doomed, move |_| {
        // Its own entry: gone already or on its way out, never handed out.
        assert!(d2.get(&1).is_none(), "a dead value was handed out");
        assert!(d2.remove(&1).is_none(), "a dead value was handed out");
        assert_eq!(d2.remove(&2).map(|v| v.0), Some(2));
        d2.insert(3, &k2);
        d2.insert(4, &Obj::new(Val(4))); // dies at once
        ran2.set(true);
    });
    drop(doomed);
    assert!(ran.get());
    assert_eq!(d.len(), 1);
    assert!(Obj::ptr_eq(&d.get(&3).unwrap(), &keeper));
    assert!(d.get(&1).is_none() && d.get(&2).is_none() && d.get(&4).is_none());
    drop(other); // removed already: nothing to evict
    assert_eq!(d.len(), 1);
    assert_eq!(d.keys().collect::<Vec<_>>(), [3]);
}

#[test]
fn a_callback_uses_the_key_dictionary_and_the_set_evicting_its_referent() {
    let d: Rc<WeakKeyDictionary<Val, String>> = Rc::new(WeakKeyDictionary::new());
    let s: Rc<WeakSet<Val>> = Rc::new(WeakSet::new());
    let (doomed, other) = (Obj::new(Val(1)), Obj::new(Val(2)));
    d.insert(&doomed, "doomed".into());
    d.insert(&other, "other".into());
    s.insert(&doomed);
    s.insert(&other);
    let (d2, s2, o2) = (Rc::clone(&d), Rc::clone(&s), other.clone());
    let _r = Ref::with_callback(&doomed, move |_| {
        assert_eq!(d2.get(&Val(1)), None);
        assert!(!s2.contains(&Val(1)));
        d2.insert(&o2, "replaced".into());
        assert!(s2.remove(&Val(2)));
        s2.insert(&o2);
    });
    drop(doomed);
    assert_eq!(d.len(), 1);
    assert_eq!(d.get(&Val(2)).as_deref(), Some("replaced"));
    assert_eq!(s.len(), 1);
    drop(other);
    assert!(d.is_empty() && s.is_empty());
}

#[test]
fn the_last_handle_on_a_dictionary_dropped_by_a_callback_during_its_eviction() {
    let drops = DropCounter::new();
    let d: Rc<WeakValueDictionary<u32, Document>> = Rc::new(WeakValueDictionary::new());
    let doc = document("x", &drops);
    d.insert(1, &doc);
    let held = RefCell::new(Some(d));
    let holder = Rc::new(held);
    let h2 = Rc::clone(&holder);
    let _r = Ref::with_callback(&doc, move |_| drop(h2.borrow_mut().take()));
    drop(doc);
    assert!(holder.borrow().is_none());
    assert_eq!(drops.count(), 1);
}

#[test]
fn a_loop_body_kills_entries_reached_and_not_yet_reached() {
    for collection in 0..3 {
        let drops = DropCounter::new();
        let objs: RefCell<Vec<Option<Obj<Val>>>> =
            RefCell::new((0..16).map(|i| Some(Obj::new(Val(i)))).collect());
        let values: WeakValueDictionary<u32, Val> = WeakValueDictionary::new();
        let keys: WeakKeyDictionary<Val, Rc<DropToken>> = WeakKeyDictionary::new();
        let set: WeakSet<Val> = WeakSet::new();
        for o in objs.borrow().iter().flatten() {
            values.insert(o.0, o);
            keys.insert(o, Rc::new(drops.token()));
            set.insert(o);
        }
        let alive = |n: u32| objs.borrow()[n as usize].is_some();
        let kill_odd_and_next = |n: u32| {
            let mut objs = objs.borrow_mut();
            for j in (0..16).filter(|j| j % 2 == 1) {
                objs[j] = None;
            }
            // And the next even one, which the loop may not have reached.
            if let Some(next) = objs.get_mut(n as usize + 2) {
                *next = None;
            }
        };
        let mut seen = Vec::new();
        match collection {
            0 => {
                for (k, v) in &values {
                    assert_eq!(k, v.0);
                    // Yielded while alive: the loop holds it now.
                    assert!(alive(k) || Obj::strong_count(&v) >= 1);
                    seen.push(k);
                    drop(v);
                    kill_odd_and_next(k);
                    values.insert(100 + k, &Obj::new(Val(100 + k))); // dies at once
                }
            }
            1 => {
                for (k, _token) in keys.items() {
                    seen.push(k.0);
                    let n = k.0;
                    drop(k);
                    kill_odd_and_next(n);
                }
            }
            _ => {
                for k in &set {
                    seen.push(k.0);
                    let n = k.0;
                    drop(k);
                    kill_odd_and_next(n);
                    set.remove(&Val(n)); // removing the entry being visited
                }
            }
        }
        assert!(!seen.is_empty());
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "an entry was yielded twice");
        let live: Vec<u32> = objs.borrow().iter().flatten().map(|o| o.0).collect();
        assert_eq!(values.len(), live.len(), "evictions lost or doubled");
        assert_eq!(keys.len(), live.len());
        if collection == 2 {
            // Every element the loop reached was removed by it.
            assert!(set.iter().all(|o| !seen.contains(&o.0)));
        } else {
            assert_eq!(set.len(), live.len());
        }
        assert_eq!(drops.count(), 16 - live.len(), "a dead key's value lingers");
    }
}

/// A key whose `Eq` reads (and, once, writes) the dictionary it is in.
#[derive(Weakable, Debug)]
struct Nosy(u32);

thread_local! {
    static VALUES: RefCell<Option<Rc<WeakValueDictionary<Nosy, Val>>>> = const { RefCell::new(None) };
    static KEYS: RefCell<Option<Rc<WeakKeyDictionary<Nosy, u32>>>> = const { RefCell::new(None) };
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static VICTIM: RefCell<Option<Obj<Val>>> = const { RefCell::new(None) };
}

impl PartialEq for Nosy {
    fn eq(&self, other: &Self) -> bool {
        // Not reentrant past one level: the nested lookups compare keys too.
        if DEPTH.with(Cell::get) == 0 {
            DEPTH.with(|d| d.set(1));
            let values = VALUES.with(|v| v.borrow().clone());
            if let Some(values) = values {
                let _ = values.len();
                let _ = values.get(&Nosy(1));
                let _ = values.values().count();
                // Kill another value of the dictionary being searched.
                drop(VICTIM.with(|v| v.borrow_mut().take()));
            }
            let keys = KEYS.with(|k| k.borrow().clone());
            if let Some(keys) = keys {
                let _ = keys.len();
                let _ = keys.get(&Nosy(1));
                let _ = keys.keys().count();
            }
            DEPTH.with(|d| d.set(0));
        }
        self.0 == other.0
    }
}
impl Eq for Nosy {}
impl Hash for Nosy {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // One bucket for every key: every lookup compares.
        0u8.hash(h);
    }
}

#[test]
fn a_key_eq_that_reads_and_changes_the_dictionary() {
    let values: Rc<WeakValueDictionary<Nosy, Val>> = Rc::new(WeakValueDictionary::new());
    VALUES.with(|v| *v.borrow_mut() = Some(Rc::clone(&values)));
    let (a, b, victim) = (Obj::new(Val(1)), Obj::new(Val(2)), Obj::new(Val(9)));
    values.insert(Nosy(1), &a);
    values.insert(Nosy(9), &victim);
    VICTIM.with(|v| *v.borrow_mut() = Some(victim));
    values.insert(Nosy(2), &b); // compares with the others: kills 9
    assert_eq!(values.len(), 2);
    assert_eq!(values.get(&Nosy(1)).map(|v| v.0), Some(1));
    assert_eq!(values.remove(&Nosy(2)).map(|v| v.0), Some(2));
    assert!(values.get(&Nosy(9)).is_none());
    VALUES.with(|v| v.borrow_mut().take());

    let keys: Rc<WeakKeyDictionary<Nosy, u32>> = Rc::new(WeakKeyDictionary::new());
    KEYS.with(|k| *k.borrow_mut() = Some(Rc::clone(&keys)));
    let (k1, k2) = (Obj::new(Nosy(1)), Obj::new(Nosy(2)));
    keys.insert(&k1, 1);
    keys.insert(&k2, 2);
    assert_eq!(keys.insert(&Obj::new(Nosy(2)), 20), Some(2));
    assert_eq!(keys.get(&Nosy(2)), Some(20));
    assert_eq!(keys.remove(&Nosy(1)), Some(1));
    assert_eq!(keys.len(), 1);
    KEYS.with(|k| k.borrow_mut().take());
    drop((k1, k2));
    assert!(keys.is_empty());
}

/// A value whose `Clone`, which `WeakKeyDictionary` runs with its table
/// held, drops the last handle on another key of the same dictionary.
#[derive(Debug)]
struct Killer(Rc<RefCell<Option<Obj<Val>>>>);

impl Clone for Killer {
    fn clone(&self) -> Self {
        drop(self.0.borrow_mut().take());
        Killer(Rc::clone(&self.0))
    }
}

#[test]
fn a_value_clone_that_kills_a_key_of_the_same_dictionary() {
    // The eviction finds the table held by this thread, further up the
    // stack: it is queued, and the holder's unlock applies it.
    let d: WeakKeyDictionary<Val, Killer> = WeakKeyDictionary::new();
    let (a, b) = (Obj::new(Val(1)), Obj::new(Val(2)));
    d.insert(&b, Killer(Rc::default()));
    let holder = Rc::new(RefCell::new(Some(b)));
    d.insert(&a, Killer(Rc::clone(&holder)));
    assert_eq!(d.len(), 2);
    assert!(d.get(&Val(1)).is_some());
    assert!(holder.borrow().is_none(), "the clone ran");
    assert_eq!(d.len(), 1, "the queued eviction was left behind");
    // Again, with a snapshot that clones every value.
    let c = Obj::new(Val(3));
    d.insert(&c, Killer(Rc::default()));
    *holder.borrow_mut() = Some(c);
    assert_eq!(d.items().count(), 1, "a dead key was yielded");
    assert_eq!(d.len(), 1);
}

/// A value whose `Clone` uses the dictionary it is cloned from.
#[derive(Debug)]
struct Reentrant;

thread_local! {
    static REENTERED: RefCell<Option<Rc<WeakKeyDictionary<Val, Reentrant>>>> = const { RefCell::new(None) };
}

impl Clone for Reentrant {
    fn clone(&self) -> Self {
        let d = REENTERED.with(|d| d.borrow().clone());
        if let Some(d) = d {
            let _ = d.len();
        }
        Reentrant
    }
}

#[test]
fn a_value_clone_that_uses_its_own_dictionary_panics_clearly() {
    let d: Rc<WeakKeyDictionary<Val, Reentrant>> = Rc::new(WeakKeyDictionary::new());
    let a = Obj::new(Val(1));
    d.insert(&a, Reentrant);
    REENTERED.with(|r| *r.borrow_mut() = Some(Rc::clone(&d)));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.get(&Val(1))))
        .expect_err("a reentrant use of a held unsync table must panic");
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(msg.contains("`Clone`"), "unclear message: {msg}");
    REENTERED.with(|r| r.borrow_mut().take());
    // The unwinding let go of the table.
    assert_eq!(d.len(), 1);
    assert!(d.get(&Val(1)).is_some());
    drop(a);
    assert!(d.is_empty());
}
