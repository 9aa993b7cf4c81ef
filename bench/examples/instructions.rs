//! The workloads `bench/instructions` counts instructions of, under
//! callgrind: a figure that does not move with a shared machine's noise, so
//! that two revisions can be compared to the instruction (criterion's times
//! on this project's 2-core VM move 10–50% between identical runs).
//!
//! Each workload is an `#[inline(never)]` `work_*` function that
//! runs its operation [`OPS`] times, so that callgrind's inclusive count of
//! it, divided by `OPS`, is the cost of one operation. Only the sync
//! flavour's root API is used, so that the same file builds against older
//! trees (back to e8672af~1, the last commit before the core restructure).
//!
//! Run with `bench/instructions` (or `bench/instructions --against REV`);
//! on its own it only runs the workloads.
#![allow(missing_docs)]

use std::hint::black_box;

use weakable::{Obj, Ref, WeakKeyDictionary, WeakSet, WeakValueDictionary, Weakable};

/// How many times each workload runs its operation.
const OPS: usize = 10_000;

#[derive(Weakable)]
struct Val(#[allow(dead_code)] u64);

#[derive(Weakable)]
#[weakable(no_weakref)]
struct Plain(#[allow(dead_code)] u64);

#[derive(Weakable, PartialEq, Eq, Hash)]
struct Key(u64);

fn vals() -> Vec<Obj<Val>> {
    (0..OPS as u64).map(|i| Obj::new(Val(i))).collect()
}

fn keys() -> Vec<Obj<Key>> {
    (0..OPS as u64).map(|i| Obj::new(Key(i))).collect()
}

#[inline(never)]
fn work_upgrade_hit(r: &Ref<Val>) {
    for _ in 0..OPS {
        drop(black_box(r.upgrade()));
    }
}

#[inline(never)]
fn work_ref_new_basic_exists(o: &Obj<Val>) {
    for _ in 0..OPS {
        drop(black_box(Ref::new(o)));
    }
}

#[inline(never)]
fn work_ref_with_callback(o: &Obj<Val>) {
    for _ in 0..OPS {
        drop(black_box(Ref::with_callback(o, |_| {})));
    }
}

#[inline(never)]
fn work_obj_new_drop() {
    for i in 0..OPS as u64 {
        drop(black_box(Obj::new(Val(i))));
    }
}

#[inline(never)]
fn work_obj_no_weakref_new_drop() {
    for i in 0..OPS as u64 {
        drop(black_box(Obj::new(Plain(i))));
    }
}

#[inline(never)]
fn work_object_life_1_callback() {
    for i in 0..OPS as u64 {
        let o = Obj::new(Val(i));
        let r = Ref::with_callback(&o, |_| {});
        drop(o);
        drop(black_box(r));
    }
}

#[inline(never)]
fn work_wvd_insert(names: &[String], vals: &[Obj<Val>]) -> WeakValueDictionary<String, Val> {
    let d = WeakValueDictionary::new();
    for (k, v) in names.iter().zip(vals) {
        d.insert(k.clone(), v);
    }
    d
}

#[inline(never)]
fn work_wvd_get_hit(d: &WeakValueDictionary<String, Val>, names: &[String]) {
    for k in names {
        black_box(d.get(k.as_str()));
    }
}

#[inline(never)]
fn work_wvd_drop_all(vals: Vec<Obj<Val>>, d: &WeakValueDictionary<String, Val>) {
    drop(vals);
    black_box(d.len());
}

#[inline(never)]
fn work_wkd_insert(keys: &[Obj<Key>]) -> WeakKeyDictionary<Key, u64> {
    let d = WeakKeyDictionary::new();
    for (i, k) in keys.iter().enumerate() {
        d.insert(k, i as u64);
    }
    d
}

#[inline(never)]
fn work_wkd_get_hit(d: &WeakKeyDictionary<Key, u64>, keys: &[Obj<Key>]) {
    for k in keys {
        black_box(d.get(k));
    }
}

#[inline(never)]
fn work_wkd_drop_all(keys: Vec<Obj<Key>>, d: &WeakKeyDictionary<Key, u64>) {
    drop(keys);
    black_box(d.len());
}

#[inline(never)]
fn work_set_insert(keys: &[Obj<Key>]) -> WeakSet<Key> {
    let s = WeakSet::new();
    for k in keys {
        s.insert(k);
    }
    s
}

#[inline(never)]
fn work_set_contains_hit(s: &WeakSet<Key>, keys: &[Obj<Key>]) {
    for k in keys {
        black_box(s.contains(k));
    }
}

#[inline(never)]
fn work_set_drop_all(keys: Vec<Obj<Key>>, s: &WeakSet<Key>) {
    drop(keys);
    black_box(s.len());
}

fn main() {
    let o = Obj::new(Val(1));
    let r = Ref::new(&o);
    work_upgrade_hit(&r);
    work_ref_new_basic_exists(&o);
    work_ref_with_callback(&o);
    work_obj_new_drop();
    work_obj_no_weakref_new_drop();
    work_object_life_1_callback();

    let names: Vec<String> = (0..OPS).map(|i| format!("key-{i:08}")).collect();
    let vs = vals();
    let d = work_wvd_insert(&names, &vs);
    work_wvd_get_hit(&d, &names);
    work_wvd_drop_all(vs, &d);
    assert!(d.is_empty());

    let ks = keys();
    let d = work_wkd_insert(&ks);
    work_wkd_get_hit(&d, &ks);
    work_wkd_drop_all(ks, &d);
    assert!(d.is_empty());

    let ks = keys();
    let s = work_set_insert(&ks);
    work_set_contains_hit(&s, &ks);
    work_set_drop_all(ks, &s);
    assert!(s.is_empty());
}
