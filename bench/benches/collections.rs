//! Weak collections at N = 1,000 and 100,000 entries, against the
//! `weak-table` crate and a plain `HashMap` of `sync::Weak`.
//!
//! Rows: `weakable` (the sync flavour, the crate root's collections) and
//! `weakable unsync` (`weakable::unsync`), both from one generic function
//! per workload; `weak-table` (over `sync::Weak`) and `weak-table rc` (over
//! `rc::Weak`, the unsync rows' anchor), also from one generic function.
//!
//! Every group is one workload over N entries, with `Throughput::Elements(N)`
//! so `bench/compare` reports ns per operation. Workloads:
//! - `insert`: fill an empty collection with N entries (keys and values made
//!   beforehand, not timed);
//! - `get hit`, `get miss`: N lookups in a full collection (a hit returns a
//!   strong handle, dropped at once), in the order the keys were made;
//! - `get hit, shuffled` (`WeakValueDictionary`): the same N hits in a
//!   shuffled order, so that neither the entries nor the keys' strings are
//!   reached in the order they were allocated (a cache looked up by
//!   whatever the program asks for next);
//! - `drop all, len`: drop every value (key, element), then call `len()`.
//!   weakable evicts each entry as its referent dies, inside this timing;
//!   `weak-table` and `HashMap` evict nothing, and their `len()` says N.
//!
//! Run with `cargo bench -p weakable-bench --bench collections`.
#![allow(missing_docs)]

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hint::black_box;
use std::ops::Deref;
use std::rc::{self, Rc};
use std::sync::{Arc, Weak};

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use weak_table::traits::{WeakElement, WeakKey};
use weakable::flavor::{self, Flavor, Shareable};
use weakable::Weakable;

const SIZES: [usize; 2] = [1_000, 100_000];

/// A cached value.
#[derive(Weakable)]
struct Val(#[allow(dead_code)] u64);

/// A weak key or set element, compared by value.
#[derive(Weakable, PartialEq, Eq, Hash)]
struct Key(u64);

type WtValueMap<W> = weak_table::WeakValueHashMap<String, W>;
type WtKeyMap<W> = weak_table::WeakKeyHashMap<W, u64>;
type WtSet<W> = weak_table::WeakHashSet<W>;

type Group<'a> = BenchmarkGroup<'a, WallTime>;
type Obj<T, F> = flavor::Obj<T, F>;
type ValueDict<F> = flavor::WeakValueDictionary<String, Val, RandomState, F>;
type KeyDict<F> = flavor::WeakKeyDictionary<Key, u64, RandomState, F>;
type Set<F> = flavor::WeakSet<Key, RandomState, F>;

/// `Arc` or `Rc`: the strong side of weak-table's anchors.
trait Strong<T>: Clone + Deref<Target = T> {
    fn new(value: T) -> Self;
}
impl<T> Strong<T> for Arc<T> {
    fn new(value: T) -> Self {
        Arc::new(value)
    }
}
impl<T> Strong<T> for Rc<T> {
    fn new(value: T) -> Self {
        Rc::new(value)
    }
}

fn objs<T: Weakable + 'static, F: Flavor>(n: usize, make: impl Fn(u64) -> T) -> Vec<Obj<T, F>> {
    (0..n as u64).map(|i| Obj::new(make(i))).collect()
}

fn strongs<T, P: Strong<T>>(n: usize, make: impl Fn(u64) -> T) -> Vec<P> {
    (0..n as u64).map(|i| P::new(make(i))).collect()
}

fn keys(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:08}")).collect()
}

/// `items` in a fixed pseudo-random order (Fisher-Yates driven by a
/// xorshift generator with a constant seed: the same order every run).
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

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    n: usize,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(n as u64));
    if n >= 10_000 {
        g.sample_size(10);
    }
    g
}

/// weakable's value-dictionary rows in flavour `F`.
fn ours_value<F: Flavor>(
    g: &mut Group<'_>,
    label: &str,
    work: &str,
    n: usize,
    hit: &[String],
    probe: &[String],
) where
    String: Shareable<F>,
    Val: Shareable<F>,
    RandomState: Shareable<F>,
{
    let id = BenchmarkId::new(label, n);
    let vals: Vec<Obj<Val, F>> = objs(n, Val);
    match work {
        "insert" => g.bench_function(id, |b| {
            b.iter_batched(
                || (hit.to_vec(), ValueDict::<F>::new()),
                |(ks, d)| {
                    for (k, o) in ks.into_iter().zip(&vals) {
                        d.insert(k, o);
                    }
                    d
                },
                BatchSize::PerIteration,
            )
        }),
        "drop all, len" => g.bench_function(id, |b| {
            b.iter_batched(
                || {
                    let d = ValueDict::<F>::new();
                    let vs: Vec<Obj<Val, F>> = objs(n, Val);
                    for (k, v) in hit.iter().zip(&vs) {
                        d.insert(k.clone(), v);
                    }
                    (d, vs)
                },
                |(d, vs)| {
                    drop(vs);
                    black_box(d.len());
                    d
                },
                BatchSize::PerIteration,
            )
        }),
        _ => {
            let d = ValueDict::<F>::new();
            for (k, o) in hit.iter().zip(&vals) {
                d.insert(k.clone(), o);
            }
            g.bench_function(id, |b| {
                b.iter(|| {
                    for k in probe {
                        black_box(d.get(k.as_str()));
                    }
                })
            })
        }
    };
}

/// weak-table's value-map rows over `W` (`sync::Weak` or `rc::Weak`).
fn wt_value<W, P>(
    g: &mut Group<'_>,
    label: &str,
    work: &str,
    n: usize,
    hit: &[String],
    probe: &[String],
) where
    W: WeakElement<Strong = P>,
    P: Strong<Val>,
{
    let id = BenchmarkId::new(label, n);
    let vals: Vec<P> = strongs(n, Val);
    match work {
        "insert" => g.bench_function(id, |b| {
            b.iter_batched(
                || (hit.to_vec(), WtValueMap::<W>::new()),
                |(ks, mut d)| {
                    for (k, a) in ks.into_iter().zip(&vals) {
                        d.insert(k, a.clone());
                    }
                    d
                },
                BatchSize::PerIteration,
            )
        }),
        "drop all, len" => g.bench_function(id, |b| {
            b.iter_batched(
                || {
                    let mut d = WtValueMap::<W>::new();
                    let vs: Vec<P> = strongs(n, Val);
                    for (k, v) in hit.iter().zip(&vs) {
                        d.insert(k.clone(), v.clone());
                    }
                    (d, vs)
                },
                |(d, vs)| {
                    drop(vs);
                    black_box(d.len());
                    d
                },
                BatchSize::PerIteration,
            )
        }),
        _ => {
            let mut d = WtValueMap::<W>::new();
            for (k, a) in hit.iter().zip(&vals) {
                d.insert(k.clone(), a.clone());
            }
            g.bench_function(id, |b| {
                b.iter(|| {
                    for k in probe {
                        black_box(d.get(k.as_str()));
                    }
                })
            })
        }
    };
}

/// The `HashMap<_, sync::Weak>` value rows.
fn hm_value(g: &mut Group<'_>, work: &str, n: usize, hit: &[String], probe: &[String]) {
    let id = BenchmarkId::new("HashMap<_, sync::Weak>", n);
    let arcs: Vec<Arc<Val>> = strongs(n, Val);
    match work {
        "insert" => g.bench_function(id, |b| {
            b.iter_batched(
                || (hit.to_vec(), HashMap::new()),
                |(ks, mut d)| {
                    for (k, a) in ks.into_iter().zip(&arcs) {
                        d.insert(k, Arc::downgrade(a));
                    }
                    d
                },
                BatchSize::PerIteration,
            )
        }),
        "drop all, len" => g.bench_function(id, |b| {
            b.iter_batched(
                || {
                    let mut d = HashMap::new();
                    let vs: Vec<Arc<Val>> = strongs(n, Val);
                    for (k, v) in hit.iter().zip(&vs) {
                        d.insert(k.clone(), Arc::downgrade(v));
                    }
                    (d, vs)
                },
                |(d, vs)| {
                    drop(vs);
                    black_box(d.len());
                    d
                },
                BatchSize::PerIteration,
            )
        }),
        _ => {
            let mut d: HashMap<String, Weak<Val>> = HashMap::new();
            for (k, a) in hit.iter().zip(&arcs) {
                d.insert(k.clone(), Arc::downgrade(a));
            }
            g.bench_function(id, |b| {
                b.iter(|| {
                    for k in probe {
                        black_box(d.get(k.as_str()).and_then(Weak::upgrade));
                    }
                })
            })
        }
    };
}

fn value_dict(c: &mut Criterion) {
    for n in SIZES {
        let hit = keys(n, "key-");
        let miss = keys(n, "miss");
        let hit_shuffled = shuffled(&hit);
        for (work, probe) in [
            ("insert", &hit),
            ("get hit", &hit),
            ("get hit, shuffled", &hit_shuffled),
            ("get miss", &miss),
            ("drop all, len", &hit),
        ] {
            let mut g = group(c, &format!("WeakValueDictionary {work}"), n);
            ours_value::<flavor::Sync>(&mut g, "weakable", work, n, &hit, probe);
            ours_value::<flavor::Unsync>(&mut g, "weakable unsync", work, n, &hit, probe);
            wt_value::<Weak<Val>, _>(&mut g, "weak-table", work, n, &hit, probe);
            wt_value::<rc::Weak<Val>, _>(&mut g, "weak-table rc", work, n, &hit, probe);
            hm_value(&mut g, work, n, &hit, probe);
            g.finish();
        }
    }
}

/// weakable's key-dictionary (`set` false) or set (`set` true) rows in
/// flavour `F`.
fn ours_keyed<F: Flavor>(g: &mut Group<'_>, label: &str, work: &str, n: usize, set: bool)
where
    Key: Shareable<F>,
    u64: Shareable<F>,
    RandomState: Shareable<F>,
{
    let id = BenchmarkId::new(label, n);
    let ks: Vec<Obj<Key, F>> = objs(n, Key);
    let miss: Vec<Key> = (n as u64..2 * n as u64).map(Key).collect();
    let fill = |ks: &[Obj<Key, F>]| {
        let (d, s) = (KeyDict::<F>::new(), Set::<F>::new());
        for (i, k) in ks.iter().enumerate() {
            if set {
                s.insert(k);
            } else {
                d.insert(k, i as u64);
            }
        }
        (d, s)
    };
    match work {
        "insert" => g.bench_function(id, |b| {
            b.iter_batched(
                || (KeyDict::<F>::new(), Set::<F>::new()),
                |(d, s)| {
                    for (i, k) in ks.iter().enumerate() {
                        if set {
                            s.insert(k);
                        } else {
                            d.insert(k, i as u64);
                        }
                    }
                    (d, s)
                },
                BatchSize::PerIteration,
            )
        }),
        "drop all, len" => g.bench_function(id, |b| {
            b.iter_batched(
                || {
                    let ks: Vec<Obj<Key, F>> = objs(n, Key);
                    (fill(&ks), ks)
                },
                |((d, s), ks)| {
                    drop(ks);
                    black_box(if set { s.len() } else { d.len() });
                    (d, s)
                },
                BatchSize::PerIteration,
            )
        }),
        _ => {
            let (d, s) = fill(&ks);
            let probe: Vec<&Key> = if work.ends_with("hit") {
                ks.iter().map(|k| &**k).collect()
            } else {
                miss.iter().collect()
            };
            g.bench_function(id, |b| {
                b.iter(|| {
                    for k in &probe {
                        if set {
                            black_box(s.contains(k));
                        } else {
                            black_box(d.get(k));
                        }
                    }
                })
            })
        }
    };
}

/// weak-table's key-map or set rows over `W` (`sync::Weak` or `rc::Weak`).
fn wt_keyed<W, P>(g: &mut Group<'_>, label: &str, work: &str, n: usize, set: bool)
where
    W: WeakKey<Strong = P, Key = Key>,
    P: Strong<Key>,
{
    let id = BenchmarkId::new(label, n);
    let ks: Vec<P> = strongs(n, Key);
    let miss: Vec<Key> = (n as u64..2 * n as u64).map(Key).collect();
    let fill = |ks: &[P]| {
        let (mut d, mut s) = (WtKeyMap::<W>::new(), WtSet::<W>::new());
        for (i, k) in ks.iter().enumerate() {
            if set {
                s.insert(k.clone());
            } else {
                d.insert(k.clone(), i as u64);
            }
        }
        (d, s)
    };
    match work {
        "insert" => g.bench_function(id, |b| {
            b.iter_batched(
                || (WtKeyMap::<W>::new(), WtSet::<W>::new()),
                |(mut d, mut s)| {
                    for (i, k) in ks.iter().enumerate() {
                        if set {
                            s.insert(k.clone());
                        } else {
                            d.insert(k.clone(), i as u64);
                        }
                    }
                    (d, s)
                },
                BatchSize::PerIteration,
            )
        }),
        "drop all, len" => g.bench_function(id, |b| {
            b.iter_batched(
                || {
                    let ks: Vec<P> = strongs(n, Key);
                    (fill(&ks), ks)
                },
                |((d, s), ks)| {
                    drop(ks);
                    black_box(if set { s.len() } else { d.len() });
                    (d, s)
                },
                BatchSize::PerIteration,
            )
        }),
        _ => {
            let (d, s) = fill(&ks);
            let probe: Vec<&Key> = if work.ends_with("hit") {
                ks.iter().map(|k| &**k).collect()
            } else {
                miss.iter().collect()
            };
            g.bench_function(id, |b| {
                b.iter(|| {
                    for k in &probe {
                        if set {
                            black_box(s.contains(*k));
                        } else {
                            black_box(d.get(*k).copied());
                        }
                    }
                })
            })
        }
    };
}

fn keyed(c: &mut Criterion, name: &str, works: [&str; 4], set: bool) {
    for n in SIZES {
        for work in works {
            let mut g = group(c, &format!("{name} {work}"), n);
            ours_keyed::<flavor::Sync>(&mut g, "weakable", work, n, set);
            ours_keyed::<flavor::Unsync>(&mut g, "weakable unsync", work, n, set);
            wt_keyed::<Weak<Key>, _>(&mut g, "weak-table", work, n, set);
            wt_keyed::<rc::Weak<Key>, _>(&mut g, "weak-table rc", work, n, set);
            g.finish();
        }
    }
}

fn key_dict(c: &mut Criterion) {
    keyed(
        c,
        "WeakKeyDictionary",
        ["insert", "get hit", "get miss", "drop all, len"],
        false,
    );
}

fn weak_set(c: &mut Criterion) {
    keyed(
        c,
        "WeakSet",
        ["insert", "contains hit", "contains miss", "drop all, len"],
        true,
    );
}

criterion_group!(benches, value_dict, key_dict, weak_set);
criterion_main!(benches);
