//! The workloads `bench/instructions` counts and times, for this tree and
//! an older revision side by side: the sync flavour's rows of
//! `bench/compare` (single objects, and each collection's insert, hits,
//! misses and drop-all at a size given on the command line).
//!
//! Under callgrind, an instruction count does not move with a shared
//! machine's noise (criterion's times on this project's 2-core VM move
//! 10–50% between identical runs), so two revisions can be compared to the
//! instruction. Each workload is an `#[inline(never)]` `work_*` function
//! that runs its operation [`OPS`] times (a collection's, once per key), so
//! that callgrind's inclusive count of it, divided by that, is the cost of
//! one operation. With `--time`, each workload is timed instead, best of
//! several runs, so that `bench/instructions` can run the two builds in
//! turn and compare times taken seconds apart.
//!
//! Only the sync flavour's root API is used, so that the same file builds
//! against older trees (back to e8672af~1, the last commit before the core
//! restructure).
//!
//! Run with `bench/instructions` (or `bench/instructions --against REV`);
//! on its own (`instructions [--size N] [--time RUNS]`) it only runs the
//! workloads, and with `--time` prints each one's best ns per operation.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use weakable::{Obj, Ref, WeakKeyDictionary, WeakSet, WeakValueDictionary, Weakable};

/// How many times each single-object workload runs its operation.
const OPS: usize = 10_000;

#[derive(Weakable)]
struct Val(#[allow(dead_code)] u64);

#[derive(Weakable)]
#[weakable(no_weakref)]
struct Plain(#[allow(dead_code)] u64);

#[derive(Weakable, PartialEq, Eq, Hash)]
struct Key(u64);

// Workloads that share a loop each get their own `work_*` function around
// an `#[inline(always)]` loop: callgrind's inclusive count of a function
// adds up every call of it. Each passes the loop its own name, which the
// loop black-boxes once, so that the compiler cannot merge the identical
// functions into one.

#[inline(always)]
fn upgrades(name: &'static str, r: &Ref<Val>) {
    black_box(name);
    for _ in 0..OPS {
        drop(black_box(black_box(r).upgrade()));
    }
}

#[inline(never)]
fn work_upgrade_hit(r: &Ref<Val>) {
    upgrades("upgrade_hit", r);
}

#[inline(never)]
fn work_upgrade_hit_2_threads(r: &Ref<Val>) {
    upgrades("upgrade_hit_2_threads", r);
}

#[inline(never)]
fn work_upgrade_miss(r: &Ref<Val>) {
    upgrades("upgrade_miss", r);
}

#[inline(never)]
fn work_upgrade_miss_2_threads(r: &Ref<Val>) {
    upgrades("upgrade_miss_2_threads", r);
}

#[inline(always)]
fn ref_news(name: &'static str, o: &Obj<Val>) {
    black_box(name);
    for _ in 0..OPS {
        drop(black_box(Ref::new(black_box(o))));
    }
}

#[inline(never)]
fn work_ref_new_basic_exists(o: &Obj<Val>) {
    ref_news("ref_new_basic_exists", o);
}

#[inline(never)]
fn work_ref_new_first(o: &Obj<Val>) {
    ref_news("ref_new_first", o);
}

#[inline(never)]
fn work_ref_with_callback(o: &Obj<Val>) {
    for _ in 0..OPS {
        drop(black_box(Ref::with_callback(black_box(o), |_| {})));
    }
}

/// "object life, 0 refs" and "no_weakref new+drop, with slot".
#[inline(never)]
fn work_obj_new_drop() {
    for i in 0..OPS as u64 {
        drop(black_box(Obj::new(Val(black_box(i)))));
    }
}

#[inline(never)]
fn work_obj_no_weakref_new_drop() {
    for i in 0..OPS as u64 {
        drop(black_box(Obj::new(Plain(black_box(i)))));
    }
}

#[inline(never)]
fn work_object_life_1_callback() {
    for i in 0..OPS as u64 {
        let o = Obj::new(Val(black_box(i)));
        let r = Ref::with_callback(&o, |r| {
            black_box(r);
        });
        drop(o);
        drop(black_box(r));
    }
}

#[inline(never)]
fn work_object_life_8_callbacks() {
    for i in 0..OPS as u64 {
        let o = Obj::new(Val(black_box(i)));
        let refs = [(); 8].map(|()| {
            Ref::with_callback(&o, |r| {
                black_box(r);
            })
        });
        drop(o);
        drop(black_box(refs));
    }
}

#[inline(always)]
fn clones<T: Weakable>(name: &'static str, o: &Obj<T>) {
    black_box(name);
    for _ in 0..OPS {
        drop(black_box(Obj::clone(black_box(o))));
    }
}

#[inline(never)]
fn work_obj_clone_drop(o: &Obj<Val>) {
    clones("obj_clone_drop", o);
}

#[inline(never)]
fn work_obj_no_weakref_clone_drop(o: &Obj<Plain>) {
    clones("obj_no_weakref_clone_drop", o);
}

#[inline(never)]
fn work_wvd_insert(names: Vec<String>, vals: &[Obj<Val>]) -> WeakValueDictionary<String, Val> {
    let d = WeakValueDictionary::new();
    for (k, v) in names.into_iter().zip(vals) {
        d.insert(k, v);
    }
    d
}

#[inline(always)]
fn value_gets(name: &'static str, d: &WeakValueDictionary<String, Val>, names: &[String]) {
    black_box(name);
    for k in names {
        black_box(d.get(k.as_str()));
    }
}

#[inline(never)]
fn work_wvd_get_hit(d: &WeakValueDictionary<String, Val>, names: &[String]) {
    value_gets("wvd_get_hit", d, names);
}

#[inline(never)]
fn work_wvd_get_hit_shuffled(d: &WeakValueDictionary<String, Val>, names: &[String]) {
    value_gets("wvd_get_hit_shuffled", d, names);
}

#[inline(never)]
fn work_wvd_get_miss(d: &WeakValueDictionary<String, Val>, names: &[String]) {
    value_gets("wvd_get_miss", d, names);
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

#[inline(always)]
fn key_gets(name: &'static str, d: &WeakKeyDictionary<Key, u64>, keys: &[&Key]) {
    black_box(name);
    for k in keys {
        black_box(d.get(k));
    }
}

#[inline(never)]
fn work_wkd_get_hit(d: &WeakKeyDictionary<Key, u64>, keys: &[&Key]) {
    key_gets("wkd_get_hit", d, keys);
}

#[inline(never)]
fn work_wkd_get_miss(d: &WeakKeyDictionary<Key, u64>, keys: &[&Key]) {
    key_gets("wkd_get_miss", d, keys);
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

#[inline(always)]
fn set_contains(name: &'static str, s: &WeakSet<Key>, keys: &[&Key]) {
    black_box(name);
    for k in keys {
        black_box(s.contains(k));
    }
}

#[inline(never)]
fn work_set_contains_hit(s: &WeakSet<Key>, keys: &[&Key]) {
    set_contains("set_contains_hit", s, keys);
}

#[inline(never)]
fn work_set_contains_miss(s: &WeakSet<Key>, keys: &[&Key]) {
    set_contains("set_contains_miss", s, keys);
}

#[inline(never)]
fn work_set_drop_all(keys: Vec<Obj<Key>>, s: &WeakSet<Key>) {
    drop(keys);
    black_box(s.len());
}

/// Runs `work` while a second thread upgrades `r` in a loop, as
/// bench/compare's "2 threads" rows do.
fn contended<R>(r: &Ref<Val>, work: impl FnOnce() -> R) -> R {
    let (started, stop) = (AtomicBool::new(false), AtomicBool::new(false));
    thread::scope(|s| {
        s.spawn(|| {
            started.store(true, Ordering::Relaxed);
            while !stop.load(Ordering::Relaxed) {
                drop(black_box(r.upgrade()));
            }
        });
        while !started.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
        let out = work();
        stop.store(true, Ordering::Relaxed);
        out
    })
}

/// The same permutation of `items` on every run (a xorshift shuffle), so
/// that the shuffled hits reach neither entries nor keys in the order they
/// were allocated. The same as `benches/collections.rs`'s, copied: this
/// file builds alone, against `weakable` only (see the top).
fn shuffled<T: Clone>(items: &[T]) -> Vec<T> {
    let mut out = items.to_vec();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for i in (1..out.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.swap(i, (state % (i as u64 + 1)) as usize);
    }
    out
}

/// Runs the single-object workloads once, through `t`.
fn singles(t: &mut Timer) {
    let o = Obj::new(Val(1));
    let r = Ref::new(&o);
    t.time("upgrade_hit", || work_upgrade_hit(&r));
    contended(&r, || {
        t.time("upgrade_hit_2_threads", || work_upgrade_hit_2_threads(&r))
    });
    let dead = Ref::new(&Obj::new(Val(2)));
    t.time("upgrade_miss", || work_upgrade_miss(&dead));
    contended(&dead, || {
        t.time("upgrade_miss_2_threads", || {
            work_upgrade_miss_2_threads(&dead)
        })
    });

    t.time("ref_new_basic_exists", || work_ref_new_basic_exists(&o));
    let bare = Obj::new(Val(3));
    t.time("ref_new_first", || work_ref_new_first(&bare));
    t.time("ref_with_callback", || work_ref_with_callback(&bare));

    t.time("obj_new_drop", work_obj_new_drop);
    t.time("obj_no_weakref_new_drop", work_obj_no_weakref_new_drop);
    t.time("object_life_1_callback", work_object_life_1_callback);
    t.time("object_life_8_callbacks", work_object_life_8_callbacks);
    t.time("obj_clone_drop", || work_obj_clone_drop(&o));
    let plain = Obj::new(Plain(4));
    t.time("obj_no_weakref_clone_drop", || {
        work_obj_no_weakref_clone_drop(&plain)
    });
}

/// Runs each collection's workloads once at size `n`, through `t`.
fn collections(t: &mut Timer, n: usize) {
    let names: Vec<String> = (0..n).map(|i| format!("key-{i:08}")).collect();
    let misses: Vec<String> = (0..n).map(|i| format!("miss-{i:08}")).collect();
    let vals = || -> Vec<Obj<Val>> { (0..n as u64).map(|i| Obj::new(Val(i))).collect() };
    let vs = vals();
    let to_insert = names.clone();
    let d = t.time("wvd_insert", || work_wvd_insert(to_insert, &vs));
    t.time("wvd_get_hit", || work_wvd_get_hit(&d, &names));
    let names_shuffled = shuffled(&names);
    t.time("wvd_get_hit_shuffled", || {
        work_wvd_get_hit_shuffled(&d, &names_shuffled)
    });
    t.time("wvd_get_miss", || work_wvd_get_miss(&d, &misses));
    t.time("wvd_drop_all", || work_wvd_drop_all(vs, &d));
    assert!(d.is_empty());

    let keys = || -> Vec<Obj<Key>> { (0..n as u64).map(|i| Obj::new(Key(i))).collect() };
    let missing: Vec<Key> = (n as u64..2 * n as u64).map(Key).collect();
    let missing: Vec<&Key> = missing.iter().collect();
    let ks = keys();
    let hits: Vec<&Key> = ks.iter().map(|k| &**k).collect();
    let d = t.time("wkd_insert", || work_wkd_insert(&ks));
    t.time("wkd_get_hit", || work_wkd_get_hit(&d, &hits));
    t.time("wkd_get_miss", || work_wkd_get_miss(&d, &missing));
    drop(hits);
    t.time("wkd_drop_all", || work_wkd_drop_all(ks, &d));
    assert!(d.is_empty());

    let ks = keys();
    let hits: Vec<&Key> = ks.iter().map(|k| &**k).collect();
    let s = t.time("set_insert", || work_set_insert(&ks));
    t.time("set_contains_hit", || work_set_contains_hit(&s, &hits));
    t.time("set_contains_miss", || work_set_contains_miss(&s, &missing));
    drop(hits);
    t.time("set_drop_all", || work_set_drop_all(ks, &s));
    assert!(s.is_empty());
}

/// When timing, the best time per operation of each workload over the
/// runs; otherwise it only runs them.
struct Timer {
    timing: bool,
    /// How many operations the collections' workloads run (their size).
    n: usize,
    best: Vec<(&'static str, Duration)>,
}

impl Timer {
    fn time<R>(&mut self, name: &'static str, work: impl FnOnce() -> R) -> R {
        if !self.timing {
            return work();
        }
        let start = Instant::now();
        let out = work();
        let took = start.elapsed();
        match self.best.iter_mut().find(|(n, _)| *n == name) {
            Some((_, best)) => *best = (*best).min(took),
            None => self.best.push((name, took)),
        }
        out
    }

    fn ops(&self, name: &str) -> usize {
        let sized = ["wvd_", "wkd_", "set_"];
        if sized.iter().any(|p| name.starts_with(p)) {
            self.n
        } else {
            OPS
        }
    }
}

/// `instructions [--size N] [--time RUNS]`: runs every workload once (what
/// callgrind counts), the collections at size N (default 10,000); with
/// `--time`, runs them all `RUNS` times and prints each one's best time
/// per operation in ns, one `name ns` line each.
fn main() {
    const USAGE: &str = "usage: instructions [--size N] [--time RUNS]";
    let mut args = std::env::args().skip(1);
    let (mut n, mut runs, mut timing) = (OPS, 1, false);
    while let Some(flag) = args.next() {
        let value: usize = args
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{flag} needs a number; {USAGE}"));
        match flag.as_str() {
            "--size" => n = value,
            "--time" => (runs, timing) = (value, true),
            _ => panic!("unknown argument {flag:?}; {USAGE}"),
        }
    }
    let mut t = Timer {
        timing,
        n,
        best: Vec::new(),
    };
    for _ in 0..runs {
        singles(&mut t);
        collections(&mut t, n);
    }
    for (name, best) in &t.best {
        let ns = best.as_secs_f64() * 1e9 / t.ops(name) as f64;
        println!("{name} {ns:.3}");
    }
}
