//! The collections' conveniences Rust users expect (issue 15, SPEC "What
//! Rust users expect beyond Python"): `get_or_insert_with`, `retain`,
//! `WeakKeyDictionary::get_with`, owned conversions, named and fused
//! iterators, and unwind safety. Compiled once per flavour (see
//! `main.rs`); what needs threads is `sync_only`.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};

use super::flavour::{
    Obj, WeakKeyDictionary, WeakKeyItems, WeakKeyValues, WeakKeys, WeakSet, WeakValueDictionary,
    WeakValueItems, WeakValueKeys, WeakValueValues,
};
use super::Shared;
use weakable::Weakable;

#[derive(Weakable, Debug, PartialEq, Eq, Hash)]
struct Tex(u32);

/// The message of a caught panic.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_default()
}

#[cfg(feature = "std")]
#[test]
fn get_or_insert_with_makes_once_per_lifetime_of_the_value() {
    let d: WeakValueDictionary<String, Tex> = WeakValueDictionary::new();
    let made = Cell::new(0);
    let make = |n| {
        made.set(made.get() + 1);
        Obj::new(Tex(n))
    };
    let a = d.get_or_insert_with("a".into(), || make(1));
    let again = d.get_or_insert_with("a".into(), || make(2));
    assert!(Obj::ptr_eq(&a, &again));
    assert_eq!(made.get(), 1);
    assert_eq!(d.len(), 1);
    // The dictionary does not keep it alive; once dead, a new one is made
    // (a dead entry is never returned).
    drop((a, again));
    assert!(d.is_empty());
    let b = d.get_or_insert_with("a".into(), || make(3));
    assert_eq!((b.0, made.get()), (3, 2));
    assert!(Obj::ptr_eq(&d.get("a").unwrap(), &b));
    // A value that something else inserted is returned, and `make` not run.
    let c = Obj::new(Tex(4));
    d.insert("c".into(), &c);
    assert!(Obj::ptr_eq(
        &d.get_or_insert_with("c".into(), || make(5)),
        &c
    ));
    assert_eq!(made.get(), 2);
}

#[cfg(feature = "std")]
#[test]
fn a_panicking_factory_leaves_the_key_to_the_next_caller() {
    let d: WeakValueDictionary<&str, Tex> = WeakValueDictionary::new();
    let failed = catch_unwind(AssertUnwindSafe(|| {
        d.get_or_insert_with("k", || panic!("decoding failed"))
    }));
    assert_eq!(message(&*failed.unwrap_err()), "decoding failed");
    assert!(d.is_empty());
    let t = d.get_or_insert_with("k", || Obj::new(Tex(1)));
    assert_eq!(t.0, 1);
    assert!(Obj::ptr_eq(&d.get("k").unwrap(), &t));
}

#[cfg(feature = "std")]
#[test]
fn a_factory_may_use_the_dictionary_for_other_keys() {
    let d: WeakValueDictionary<&str, Tex> = WeakValueDictionary::new();
    let keep = Obj::new(Tex(0));
    let mut parts = Vec::new();
    let whole = d.get_or_insert_with("whole", || {
        // Nested makes, a plain insert and look-ups, all for other keys.
        let a = d.get_or_insert_with("part a", || Obj::new(Tex(1)));
        let b = d.get_or_insert_with("part b", || {
            assert!(d.get("part a").is_some());
            Obj::new(Tex(2))
        });
        d.insert("kept", &keep);
        assert!(d.get("whole").is_none(), "not inserted before it is made");
        let sum = a.0 + b.0;
        parts.extend([a, b]);
        Obj::new(Tex(sum))
    });
    assert_eq!(whole.0, 3);
    let mut keys: Vec<_> = d.keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["kept", "part a", "part b", "whole"]);
}

#[cfg(feature = "std")]
#[test]
fn a_factory_asking_for_its_own_key_panics_and_the_key_stays_usable() {
    let d: WeakValueDictionary<u8, Tex> = WeakValueDictionary::new();
    let reentered = catch_unwind(AssertUnwindSafe(|| {
        d.get_or_insert_with(1, || d.get_or_insert_with(1, || Obj::new(Tex(1))))
    }));
    let text = message(&*reentered.unwrap_err());
    assert!(
        text.contains("from inside the factory that is making that key's value"),
        "{text}"
    );
    assert!(d.is_empty());
    assert_eq!(d.get_or_insert_with(1, || Obj::new(Tex(2))).0, 2);
}

#[cfg(feature = "std")]
#[test]
fn an_insert_while_the_factory_runs_wins() {
    let d: WeakValueDictionary<u8, Tex> = WeakValueDictionary::new();
    let other = Obj::new(Tex(9));
    let got = d.get_or_insert_with(1, || {
        d.insert(1, &other);
        Obj::new(Tex(1))
    });
    assert!(Obj::ptr_eq(&got, &other));
    assert!(Obj::ptr_eq(&d.get(&1).unwrap(), &other));
}

#[test]
fn retain_on_a_value_dictionary_runs_unlocked_and_skips_the_dead() {
    let d: Shared<WeakValueDictionary<u32, Tex>> = Shared::default();
    let objs: Vec<_> = (0..8).map(|i| Some(Obj::new(Tex(i)))).collect();
    let objs = std::cell::RefCell::new(objs);
    for o in objs.borrow().iter().flatten() {
        d.insert(o.0, o);
    }
    let extra = Obj::new(Tex(100));
    let mut seen = Vec::new();
    d.retain(|k: &u32, v: &Tex| {
        assert_eq!(*k, v.0);
        seen.push(*k);
        // The closure may use the dictionary, and kill entries ahead.
        d.insert(100, &extra);
        assert!(!d.is_empty());
        if *k == seen[0] {
            for o in objs.borrow_mut().iter_mut().skip(1).step_by(2) {
                *o = None;
            }
        }
        k % 4 == 2
    });
    // The odd ones died on the way: none but the first was shown.
    assert!(seen.iter().skip(1).all(|k| k % 2 == 0), "{seen:?}");
    let mut left: Vec<_> = d.keys().collect();
    left.sort_unstable();
    // Multiples of 4 were refused; the entry inserted meanwhile is kept.
    assert_eq!(left, [2, 6, 100]);
}

#[test]
fn retain_drops_refused_keys_after_unlocking() {
    thread_local! {
        static DICT: std::cell::RefCell<Option<Shared<WeakValueDictionary<Nosy, Tex>>>> =
            const { std::cell::RefCell::new(None) };
        static LEN_IN_DROP: Cell<Option<usize>> = const { Cell::new(None) };
    }
    /// A key whose drop uses its dictionary.
    #[derive(PartialEq, Eq, Hash)]
    struct Nosy(u32);
    impl Drop for Nosy {
        fn drop(&mut self) {
            let len = DICT.with(|d| d.borrow().as_ref().map(|d| d.len()));
            if len.is_some() {
                LEN_IN_DROP.with(|l| l.set(len));
            }
        }
    }
    let d: Shared<WeakValueDictionary<Nosy, Tex>> = Shared::default();
    let (a, b) = (Obj::new(Tex(1)), Obj::new(Tex(2)));
    d.insert(Nosy(1), &a);
    d.insert(Nosy(2), &b);
    DICT.with(|slot| *slot.borrow_mut() = Some(Shared::clone(&d)));
    d.retain(|k, _| k.0 == 2);
    assert_eq!(LEN_IN_DROP.with(Cell::get), Some(1));
    DICT.with(|slot| slot.borrow_mut().take());
    assert_eq!(d.len(), 1);
}

#[test]
fn retain_on_a_set_runs_unlocked() {
    let objs: Vec<_> = (0..6).map(|i| Obj::new(Tex(i))).collect();
    let s: WeakSet<Tex> = objs.iter().collect();
    let extra = Obj::new(Tex(50));
    let mut calls = 0;
    s.retain(|t: &Tex| {
        calls += 1;
        s.insert(&extra); // not shown to this retain, and kept
        assert!(s.contains(t));
        matches!(t.0, 0 | 3)
    });
    assert_eq!(calls, 6);
    let mut left: Vec<_> = s.iter().map(|t| t.0).collect();
    left.sort_unstable();
    assert_eq!(left, [0, 3, 50]);
}

#[test]
fn retain_on_a_key_dictionary_reads_values_in_place() {
    struct Note(String); // not `Clone`
    let d: WeakKeyDictionary<Tex, Note> = WeakKeyDictionary::new();
    let objs: Vec<_> = (0..4).map(|i| Obj::new(Tex(i))).collect();
    for o in &objs {
        d.insert(o, Note(format!("n{}", o.0)));
    }
    let other: WeakSet<Tex> = WeakSet::new();
    d.retain(|k: &Tex, v: &Note| {
        assert_eq!(v.0, format!("n{}", k.0));
        other.insert(&objs[0]); // another collection is fine
        k.0 >= 2
    });
    assert_eq!(d.len(), 2);
    assert_eq!(d.get_with(&Tex(3), |n| n.0.clone()).as_deref(), Some("n3"));
    assert_eq!(other.len(), 1);
}

#[test]
fn retain_and_get_with_on_a_key_dictionary_panic_if_the_closure_uses_it() {
    let d: WeakKeyDictionary<Tex, u32> = WeakKeyDictionary::new();
    let a = Obj::new(Tex(1));
    d.insert(&a, 10);
    let nested = catch_unwind(AssertUnwindSafe(|| d.get_with(&Tex(1), |_| d.len())));
    let text = message(&*nested.unwrap_err());
    assert!(text.contains("must not use it"), "{text}");
    let nested = catch_unwind(AssertUnwindSafe(|| d.retain(|_, _| d.is_empty())));
    assert!(message(&*nested.unwrap_err()).contains("must not use it"));
    // The unwinding let go of the table.
    assert_eq!(d.get(&Tex(1)), Some(10));
    drop(a);
    assert!(d.is_empty());
}

#[test]
fn get_with_reads_without_clone_and_may_kill_keys_of_the_same_dictionary() {
    struct Holder(std::sync::Mutex<Option<Obj<Tex>>>); // not `Clone`
    let d: WeakKeyDictionary<Tex, Holder> = WeakKeyDictionary::new();
    let (a, b) = (Obj::new(Tex(1)), Obj::new(Tex(2)));
    d.insert(&b, Holder(std::sync::Mutex::new(None)));
    d.insert(&a, Holder(std::sync::Mutex::new(Some(b))));
    assert_eq!(d.len(), 2);
    // Dropping the last handle on `b` from inside: its eviction is queued
    // and applied before the table is let go.
    let took = d.get_with(&Tex(1), |h| h.0.lock().unwrap().take().map(|b| b.0));
    assert_eq!(took, Some(Some(2)));
    assert_eq!(d.len(), 1);
    assert_eq!(d.get_with(&Tex(2), |_| ()), None);
}

#[test]
fn owned_conversions_and_consuming_iteration() {
    let objs: Vec<_> = (0..3).map(|i| Obj::new(Tex(i))).collect();

    let mut values: WeakValueDictionary<u32, Tex> = objs.iter().map(|o| (o.0, o.clone())).collect();
    values.extend([(7, Obj::new(Tex(7)))]); // a temporary: dies at once
    assert_eq!(values.len(), 3);
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for (k, v) in values {
        pairs.push((k, v.0));
    }
    pairs.sort_unstable();
    assert_eq!(pairs, [(0, 0), (1, 1), (2, 2)]);

    let mut keys: WeakKeyDictionary<Tex, String> =
        objs.iter().map(|o| (o.clone(), o.0.to_string())).collect();
    keys.extend([(Obj::new(Tex(7)), String::new())]);
    assert_eq!(keys.len(), 3);
    let mut moved: Vec<String> = keys.into_iter().map(|(_, v)| v).collect();
    moved.sort();
    assert_eq!(moved, ["0", "1", "2"]);

    let mut set: WeakSet<Tex> = objs.iter().cloned().collect();
    set.extend([Obj::new(Tex(7))]);
    let mut n = 0;
    for t in set {
        assert!(t.0 < 3);
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn consuming_iteration_skips_what_dies_on_the_way() {
    let mut objs: Vec<_> = (0..4).map(|i| Some(Obj::new(Tex(i)))).collect();
    let set: WeakSet<Tex> = objs.iter().flatten().collect();
    let mut it = set.into_iter();
    let first = it.next().unwrap();
    for o in &mut objs {
        if o.as_ref().is_some_and(|o| !Obj::ptr_eq(o, &first)) {
            *o = None;
        }
    }
    assert!(it.next().is_none());
    assert!(it.next().is_none(), "fused");
}

#[test]
fn named_iterator_types_are_fused() {
    fn fused<I: std::iter::FusedIterator>(_: &I) {}
    let a = Obj::new(Tex(1));
    let values: WeakValueDictionary<u8, Tex> = WeakValueDictionary::new();
    values.insert(1, &a);
    let keyed: WeakKeyDictionary<Tex, u8> = WeakKeyDictionary::new();
    keyed.insert(&a, 1);
    let set: WeakSet<Tex> = WeakSet::new();
    set.insert(&a);

    let mut vk: WeakValueKeys<u8, Tex> = values.keys();
    let vv: WeakValueValues<u8, Tex> = values.values();
    let vi: WeakValueItems<u8, Tex> = values.items();
    let kk: WeakKeys<Tex> = keyed.keys();
    let mut kv: WeakKeyValues<Tex, u8> = keyed.values();
    let ki: WeakKeyItems<Tex, u8> = keyed.items();
    let si: WeakKeys<Tex> = set.iter();
    fused(&vk);
    fused(&vv);
    fused(&vi);
    fused(&kk);
    fused(&kv);
    fused(&ki);
    fused(&si);
    assert_eq!(format!("{vk:?}"), "WeakValueKeys { remaining: 1 }");
    assert_eq!(format!("{kv:?}"), "WeakKeyValues { remaining: 1 }");
    assert_eq!((vk.next(), vk.next(), vk.next()), (Some(1), None, None));
    assert_eq!((kv.next(), kv.next(), kv.next()), (Some(1), None, None));
}

#[test]
fn the_collections_are_unwind_safe() {
    fn unwind_safe<T: UnwindSafe + RefUnwindSafe>(_: &T) {}
    let a = Obj::new(Tex(1));
    let values: WeakValueDictionary<String, Tex> = WeakValueDictionary::new();
    values.insert("a".into(), &a);
    let keyed: WeakKeyDictionary<Tex, String> = WeakKeyDictionary::new();
    keyed.insert(&a, "a".into());
    let set: WeakSet<Tex> = WeakSet::new();
    set.insert(&a);
    unwind_safe(&values);
    unwind_safe(&keyed);
    unwind_safe(&set);
    // No `AssertUnwindSafe` needed around a look-up.
    assert!(catch_unwind(|| values.get("a").is_some()).unwrap());
    assert_eq!(
        catch_unwind(|| keyed.get(&Tex(1))).unwrap().as_deref(),
        Some("a")
    );
    assert!(catch_unwind(|| set.contains(&Tex(1))).unwrap());
}

super::sync_only! {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{Arc, Barrier};

    #[cfg(feature = "std")]
    #[test]
    fn racing_callers_of_one_key_run_the_factory_once() {
        let threads = 8;
        for _ in 0..if cfg!(miri) { 2 } else { 50 } {
            let d: Arc<WeakValueDictionary<String, Tex>> = Arc::default();
            let made = Arc::new(AtomicUsize::new(0));
            let start = Arc::new(Barrier::new(threads));
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (d, made, start) = (d.clone(), made.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        d.get_or_insert_with("grass.png".into(), || {
                            made.fetch_add(1, SeqCst);
                            std::thread::yield_now(); // let the others arrive
                            Obj::new(Tex(7))
                        })
                    })
                })
                .collect();
            let got: Vec<Obj<Tex>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            assert_eq!(made.load(SeqCst), 1);
            assert!(got.iter().all(|t| Obj::ptr_eq(t, &got[0])));
            assert!(Obj::ptr_eq(&d.get("grass.png").unwrap(), &got[0]));
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn waiters_of_a_panicking_factory_make_the_value_themselves() {
        let threads = 4;
        let d: Arc<WeakValueDictionary<u8, Tex>> = Arc::default();
        let attempts = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (d, attempts, start) = (d.clone(), attempts.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    catch_unwind(AssertUnwindSafe(|| {
                        d.get_or_insert_with(1, || {
                            // The first attempt fails after the others
                            // (may) have started waiting.
                            if attempts.fetch_add(1, SeqCst) == 0 {
                                std::thread::sleep(std::time::Duration::from_millis(20));
                                panic!("first attempt fails");
                            }
                            Obj::new(Tex(2))
                        })
                    }))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let made: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(made.len(), threads - 1, "one failure, no stuck waiter");
        assert!(made.iter().all(|t| Obj::ptr_eq(t, made[0])));
        assert_eq!(attempts.load(SeqCst), 2, "the factory ran once more");
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_factory_is_not_held_up_by_another_keys_factory() {
        let d: Arc<WeakValueDictionary<u8, Tex>> = Arc::default();
        let (entered, release) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
        let slow = {
            let (d, entered, release) = (d.clone(), entered.clone(), release.clone());
            std::thread::spawn(move || {
                d.get_or_insert_with(1, || {
                    entered.wait();
                    release.wait();
                    Obj::new(Tex(1))
                })
            })
        };
        entered.wait();
        // Key 2 is made while key 1's factory is blocked.
        let two = d.get_or_insert_with(2, || Obj::new(Tex(2)));
        assert_eq!(two.0, 2);
        release.wait();
        assert_eq!(slow.join().unwrap().0, 1);
    }

    #[test]
    fn retain_and_get_with_from_many_threads() {
        let d: Arc<WeakKeyDictionary<Tex, usize>> = Arc::default();
        let objs: Vec<_> = (0..64).map(|i| Obj::new(Tex(i))).collect();
        for o in &objs {
            d.insert(o, o.0 as usize);
        }
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let d = d.clone();
                std::thread::spawn(move || {
                    for i in 0..64u32 {
                        if let Some(v) = d.get_with(&Tex(i), |v| *v) {
                            assert_eq!(v, i as usize);
                        }
                    }
                    d.retain(|k, _| k.0 % 4 != t);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert!(d.is_empty());
    }
}
