//! Weak collections at N = 1,000 and 100,000 entries, against the
//! `weak-table` crate and a plain `HashMap` of `sync::Weak`.
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

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Weak};

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use weakable::{Obj, WeakKeyDictionary, WeakSet, WeakValueDictionary, Weakable};

const SIZES: [usize; 2] = [1_000, 100_000];

/// A cached value.
#[derive(Weakable)]
struct Val(#[allow(dead_code)] u64);

/// A weak key or set element, compared by value.
#[derive(Weakable, PartialEq, Eq, Hash)]
struct Key(u64);

type WtValueMap = weak_table::WeakValueHashMap<String, Weak<Val>>;
type WtKeyMap = weak_table::WeakKeyHashMap<Weak<Key>, u64>;
type WtSet = weak_table::WeakHashSet<Weak<Key>>;

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

fn value_dict(c: &mut Criterion) {
    for n in SIZES {
        let hit = keys(n, "key-");
        let miss = keys(n, "miss");
        let objs: Vec<Obj<Val>> = (0..n as u64).map(|i| Obj::new(Val(i))).collect();
        let arcs: Vec<Arc<Val>> = (0..n as u64).map(|i| Arc::new(Val(i))).collect();

        let ours = WeakValueDictionary::new();
        let mut wt = WtValueMap::new();
        let mut hm: HashMap<String, Weak<Val>> = HashMap::new();
        for (k, (o, a)) in hit.iter().zip(objs.iter().zip(&arcs)) {
            ours.insert(k.clone(), o);
            wt.insert(k.clone(), a.clone());
            hm.insert(k.clone(), Arc::downgrade(a));
        }

        let mut g = group(c, "WeakValueDictionary insert", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter_batched(
                || (hit.clone(), WeakValueDictionary::new()),
                |(ks, d)| {
                    for (k, o) in ks.into_iter().zip(&objs) {
                        d.insert(k, o);
                    }
                    d
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter_batched(
                || (hit.clone(), WtValueMap::new()),
                |(ks, mut d)| {
                    for (k, a) in ks.into_iter().zip(&arcs) {
                        d.insert(k, a.clone());
                    }
                    d
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function(BenchmarkId::new("HashMap<_, sync::Weak>", n), |b| {
            b.iter_batched(
                || (hit.clone(), HashMap::new()),
                |(ks, mut d)| {
                    for (k, a) in ks.into_iter().zip(&arcs) {
                        d.insert(k, Arc::downgrade(a));
                    }
                    d
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();

        let hit_shuffled = shuffled(&hit);
        for (name, probe) in [
            ("get hit", &hit),
            ("get hit, shuffled", &hit_shuffled),
            ("get miss", &miss),
        ] {
            let mut g = group(c, &format!("WeakValueDictionary {name}"), n);
            g.bench_function(BenchmarkId::new("weakable", n), |b| {
                b.iter(|| {
                    for k in probe {
                        black_box(ours.get(k.as_str()));
                    }
                })
            });
            g.bench_function(BenchmarkId::new("weak-table", n), |b| {
                b.iter(|| {
                    for k in probe {
                        black_box(wt.get(k.as_str()));
                    }
                })
            });
            g.bench_function(BenchmarkId::new("HashMap<_, sync::Weak>", n), |b| {
                b.iter(|| {
                    for k in probe {
                        black_box(hm.get(k.as_str()).and_then(Weak::upgrade));
                    }
                })
            });
            g.finish();
        }

        let mut g = group(c, "WeakValueDictionary drop all, len", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter_batched(
                || {
                    let d = WeakValueDictionary::new();
                    let vs: Vec<Obj<Val>> = (0..n as u64).map(|i| Obj::new(Val(i))).collect();
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
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter_batched(
                || {
                    let mut d = WtValueMap::new();
                    let vs: Vec<Arc<Val>> = (0..n as u64).map(|i| Arc::new(Val(i))).collect();
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
        });
        g.bench_function(BenchmarkId::new("HashMap<_, sync::Weak>", n), |b| {
            b.iter_batched(
                || {
                    let mut d = HashMap::new();
                    let vs: Vec<Arc<Val>> = (0..n as u64).map(|i| Arc::new(Val(i))).collect();
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
        });
        g.finish();
    }
}

fn key_dict(c: &mut Criterion) {
    for n in SIZES {
        let objs: Vec<Obj<Key>> = (0..n as u64).map(|i| Obj::new(Key(i))).collect();
        let arcs: Vec<Arc<Key>> = (0..n as u64).map(|i| Arc::new(Key(i))).collect();
        let miss: Vec<Key> = (n as u64..2 * n as u64).map(Key).collect();

        let ours = WeakKeyDictionary::new();
        let mut wt = WtKeyMap::new();
        for (i, (o, a)) in objs.iter().zip(&arcs).enumerate() {
            ours.insert(o, i as u64);
            wt.insert(a.clone(), i as u64);
        }

        let mut g = group(c, "WeakKeyDictionary insert", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter_batched(
                WeakKeyDictionary::new,
                |d| {
                    for (i, o) in objs.iter().enumerate() {
                        d.insert(o, i as u64);
                    }
                    d
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter_batched(
                WtKeyMap::new,
                |mut d| {
                    for (i, a) in arcs.iter().enumerate() {
                        d.insert(a.clone(), i as u64);
                    }
                    d
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();

        let mut g = group(c, "WeakKeyDictionary get hit", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter(|| {
                for o in &objs {
                    black_box(ours.get(o));
                }
            })
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter(|| {
                for a in &arcs {
                    black_box(wt.get(&**a).copied());
                }
            })
        });
        g.finish();

        let mut g = group(c, "WeakKeyDictionary get miss", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter(|| {
                for k in &miss {
                    black_box(ours.get(k));
                }
            })
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter(|| {
                for k in &miss {
                    black_box(wt.get(k).copied());
                }
            })
        });
        g.finish();

        let mut g = group(c, "WeakKeyDictionary drop all, len", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter_batched(
                || {
                    let d = WeakKeyDictionary::new();
                    let ks: Vec<Obj<Key>> = (0..n as u64).map(|i| Obj::new(Key(i))).collect();
                    for (i, k) in ks.iter().enumerate() {
                        d.insert(k, i as u64);
                    }
                    (d, ks)
                },
                |(d, ks)| {
                    drop(ks);
                    black_box(d.len());
                    d
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter_batched(
                || {
                    let mut d = WtKeyMap::new();
                    let ks: Vec<Arc<Key>> = (0..n as u64).map(|i| Arc::new(Key(i))).collect();
                    for (i, k) in ks.iter().enumerate() {
                        d.insert(k.clone(), i as u64);
                    }
                    (d, ks)
                },
                |(d, ks)| {
                    drop(ks);
                    black_box(d.len());
                    d
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

fn weak_set(c: &mut Criterion) {
    for n in SIZES {
        let objs: Vec<Obj<Key>> = (0..n as u64).map(|i| Obj::new(Key(i))).collect();
        let arcs: Vec<Arc<Key>> = (0..n as u64).map(|i| Arc::new(Key(i))).collect();
        let miss: Vec<Key> = (n as u64..2 * n as u64).map(Key).collect();

        let ours = WeakSet::new();
        let mut wt = WtSet::new();
        for (o, a) in objs.iter().zip(&arcs) {
            ours.insert(o);
            wt.insert(a.clone());
        }

        let mut g = group(c, "WeakSet insert", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter_batched(
                WeakSet::new,
                |s| {
                    for o in &objs {
                        s.insert(o);
                    }
                    s
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter_batched(
                WtSet::new,
                |mut s| {
                    for a in &arcs {
                        s.insert(a.clone());
                    }
                    s
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();

        let mut g = group(c, "WeakSet contains hit", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter(|| {
                for o in &objs {
                    black_box(ours.contains(o));
                }
            })
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter(|| {
                for a in &arcs {
                    black_box(wt.contains(&**a));
                }
            })
        });
        g.finish();

        let mut g = group(c, "WeakSet contains miss", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter(|| {
                for k in &miss {
                    black_box(ours.contains(k));
                }
            })
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter(|| {
                for k in &miss {
                    black_box(wt.contains(k));
                }
            })
        });
        g.finish();

        let mut g = group(c, "WeakSet drop all, len", n);
        g.bench_function(BenchmarkId::new("weakable", n), |b| {
            b.iter_batched(
                || {
                    let s = WeakSet::new();
                    let ks: Vec<Obj<Key>> = (0..n as u64).map(|i| Obj::new(Key(i))).collect();
                    for k in &ks {
                        s.insert(k);
                    }
                    (s, ks)
                },
                |(s, ks)| {
                    drop(ks);
                    black_box(s.len());
                    s
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function(BenchmarkId::new("weak-table", n), |b| {
            b.iter_batched(
                || {
                    let mut s = WtSet::new();
                    let ks: Vec<Arc<Key>> = (0..n as u64).map(|i| Arc::new(Key(i))).collect();
                    for k in &ks {
                        s.insert(k.clone());
                    }
                    (s, ks)
                },
                |(s, ks)| {
                    drop(ks);
                    black_box(s.len());
                    s
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, value_dict, key_dict, weak_set);
criterion_main!(benches);
