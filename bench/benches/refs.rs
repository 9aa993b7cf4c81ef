//! Single-object benchmarks: upgrading a ref, taking a ref, an object's
//! whole life, and a `no_weakref` object against `Arc`.
//!
//! Each criterion group is one workload; each function in it one
//! implementation (`weakable`, `weakable unsync` and their anchors), so
//! `bench/compare` can put them side by side. The unsync flavour's rows
//! are charted against `std::rc`. Run with `cargo bench -p weakable-bench
//! --bench refs`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use weakable::{unsync, weakable_dyn, Obj, Ref, Weakable};

/// A value with a `__weakref__` slot.
#[derive(Weakable)]
struct Val(#[allow(dead_code)] u64);

/// The same value without one (`__slots__` without `'__weakref__'`).
#[derive(Weakable)]
#[weakable(no_weakref)]
struct Plain(#[allow(dead_code)] u64);

/// Times `iters` calls of `f` on this thread while a second thread calls
/// `f` in a loop, so both hit the same counters at once.
fn contended<F: Fn() + Sync>(iters: u64, f: F) -> Duration {
    let stop = AtomicBool::new(false);
    let started = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            started.store(true, Ordering::Release);
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..64 {
                    f();
                }
            }
        });
        while !started.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        let elapsed = t.elapsed();
        stop.store(true, Ordering::Relaxed);
        elapsed
    })
}

fn upgrade(c: &mut Criterion) {
    let obj = Obj::new(Val(1));
    let r = Ref::new(&obj);
    let arc = Arc::new(Val(1));
    let w = Arc::downgrade(&arc);
    let rc = Rc::new(Val(1));
    let rw = Rc::downgrade(&rc);
    let local = unsync::Obj::new(Val(1));
    let local_r = unsync::Ref::new(&local);

    let mut g = c.benchmark_group("upgrade hit");
    g.bench_function("weakable", |b| b.iter(|| black_box(&r).upgrade()));
    g.bench_function("weakable unsync", |b| {
        b.iter(|| black_box(&local_r).upgrade())
    });
    g.bench_function("sync::Weak", |b| b.iter(|| black_box(&w).upgrade()));
    g.bench_function("rc::Weak", |b| b.iter(|| black_box(&rw).upgrade()));
    g.finish();

    let mut g = c.benchmark_group("upgrade hit, 2 threads");
    g.bench_function("weakable", |b| {
        b.iter_custom(|iters| {
            contended(iters, || {
                black_box(black_box(&r).upgrade());
            })
        })
    });
    g.bench_function("sync::Weak", |b| {
        b.iter_custom(|iters| {
            contended(iters, || {
                black_box(black_box(&w).upgrade());
            })
        })
    });
    g.finish();

    let dead_obj = Obj::new(Val(1));
    let dead_r = Ref::new(&dead_obj);
    drop(dead_obj);
    let dead_arc = Arc::new(Val(1));
    let dead_w = Arc::downgrade(&dead_arc);
    drop(dead_arc);
    let dead_rc = Rc::new(Val(1));
    let dead_rw = Rc::downgrade(&dead_rc);
    drop(dead_rc);
    let dead_local = unsync::Obj::new(Val(1));
    let dead_local_r = unsync::Ref::new(&dead_local);
    drop(dead_local);

    let mut g = c.benchmark_group("upgrade miss");
    g.bench_function("weakable", |b| b.iter(|| black_box(&dead_r).upgrade()));
    g.bench_function("weakable unsync", |b| {
        b.iter(|| black_box(&dead_local_r).upgrade())
    });
    g.bench_function("sync::Weak", |b| b.iter(|| black_box(&dead_w).upgrade()));
    g.bench_function("rc::Weak", |b| b.iter(|| black_box(&dead_rw).upgrade()));
    g.finish();

    let mut g = c.benchmark_group("upgrade miss, 2 threads");
    g.bench_function("weakable", |b| {
        b.iter_custom(|iters| {
            contended(iters, || {
                black_box(black_box(&dead_r).upgrade());
            })
        })
    });
    g.bench_function("sync::Weak", |b| {
        b.iter_custom(|iters| {
            contended(iters, || {
                black_box(black_box(&dead_w).upgrade());
            })
        })
    });
    g.finish();
}

fn take_ref(c: &mut Criterion) {
    // Each routine's result (the new ref) is dropped inside the timed loop,
    // so every row is "make a ref + drop it".
    let with_basic = Obj::new(Val(1));
    let basic = Ref::new(&with_basic);
    let bare = Obj::new(Val(1));
    let arc = Arc::new(Val(1));
    let rc = Rc::new(Val(1));
    let local_with_basic = unsync::Obj::new(Val(1));
    let local_basic = unsync::Ref::new(&local_with_basic);
    let local_bare = unsync::Obj::new(Val(1));

    let mut g = c.benchmark_group("take a ref");
    g.bench_function("weakable Ref::new, basic ref exists", |b| {
        b.iter(|| Ref::new(black_box(&with_basic)))
    });
    g.bench_function("weakable Ref::new, first", |b| {
        b.iter(|| Ref::new(black_box(&bare)))
    });
    g.bench_function("weakable Ref::with_callback", |b| {
        b.iter(|| Ref::with_callback(black_box(&bare), |_| {}))
    });
    g.bench_function("weakable unsync Ref::new, basic ref exists", |b| {
        b.iter(|| unsync::Ref::new(black_box(&local_with_basic)))
    });
    g.bench_function("weakable unsync Ref::with_callback", |b| {
        b.iter(|| unsync::Ref::with_callback(black_box(&local_bare), |_| {}))
    });
    g.bench_function("Arc::downgrade", |b| {
        b.iter(|| Arc::downgrade(black_box(&arc)))
    });
    g.bench_function("Rc::downgrade", |b| {
        b.iter(|| Rc::downgrade(black_box(&rc)))
    });
    g.finish();
    drop((basic, local_basic));
}

fn object_life(c: &mut Criterion) {
    // Create, take k refs with callbacks, drop the object (the callbacks
    // run), drop the dead refs.
    let mut g = c.benchmark_group("object life");
    g.bench_function("weakable Obj, 0 refs", |b| {
        b.iter(|| Obj::new(Val(black_box(1))))
    });
    g.bench_function("weakable Obj, 1 callback ref", |b| {
        b.iter(|| {
            let o = Obj::new(Val(black_box(1)));
            let r = Ref::with_callback(&o, |r| {
                black_box(r);
            });
            drop(o);
            r
        })
    });
    g.bench_function("weakable Obj, 8 callback refs", |b| {
        b.iter(|| {
            let o = Obj::new(Val(black_box(1)));
            let refs = [(); 8].map(|()| {
                Ref::with_callback(&o, |r| {
                    black_box(r);
                })
            });
            drop(o);
            refs
        })
    });
    g.bench_function("weakable unsync Obj, 0 refs", |b| {
        b.iter(|| unsync::Obj::new(Val(black_box(1))))
    });
    g.bench_function("weakable unsync Obj, 1 callback ref", |b| {
        b.iter(|| {
            let o = unsync::Obj::new(Val(black_box(1)));
            let r = unsync::Ref::with_callback(&o, |r| {
                black_box(r);
            });
            drop(o);
            r
        })
    });
    g.bench_function("Arc, 0 refs", |b| b.iter(|| Arc::new(Val(black_box(1)))));
    g.bench_function("Arc, 1 Weak", |b| {
        b.iter(|| {
            let a = Arc::new(Val(black_box(1)));
            let w = Arc::downgrade(&a);
            drop(a);
            w
        })
    });
    g.bench_function("Rc, 0 refs", |b| b.iter(|| Rc::new(Val(black_box(1)))));
    g.bench_function("Rc, 1 Weak", |b| {
        b.iter(|| {
            let a = Rc::new(Val(black_box(1)));
            let w = Rc::downgrade(&a);
            drop(a);
            w
        })
    });
    g.bench_function("Arc, 8 Weak", |b| {
        b.iter(|| {
            let a = Arc::new(Val(black_box(1)));
            let ws = [(); 8].map(|()| Arc::downgrade(&a));
            drop(a);
            ws
        })
    });
    g.finish();
}

fn no_weakref(c: &mut Criterion) {
    let mut g = c.benchmark_group("no_weakref new+drop");
    g.bench_function("weakable Obj, no_weakref", |b| {
        b.iter(|| Obj::new(Plain(black_box(1))))
    });
    g.bench_function("weakable Obj, with slot", |b| {
        b.iter(|| Obj::new(Val(black_box(1))))
    });
    g.bench_function("Arc", |b| b.iter(|| Arc::new(Plain(black_box(1)))));
    g.finish();

    let plain = Obj::new(Plain(1));
    let slotted = Obj::new(Val(1));
    let arc = Arc::new(Plain(1));
    let mut g = c.benchmark_group("no_weakref clone+drop");
    g.bench_function("weakable Obj, no_weakref", |b| {
        b.iter(|| Obj::clone(black_box(&plain)))
    });
    g.bench_function("weakable Obj, with slot", |b| {
        b.iter(|| Obj::clone(black_box(&slotted)))
    });
    g.bench_function("Arc", |b| b.iter(|| Arc::clone(black_box(&arc))));
    g.finish();
}

/// A trait-object view for the conversion benchmark.
trait Shape: Send + Sync {
    #[allow(dead_code)] // only the coercion is measured, never a call
    fn area(&self) -> u64;
}
weakable_dyn!(dyn Shape);

impl Shape for Val {
    fn area(&self) -> u64 {
        self.0
    }
}

fn unsize(c: &mut Criterion) {
    let obj = Obj::new(Val(1));
    let arc = Arc::new(Val(1));
    let mut g = c.benchmark_group("trait-object view clone+drop");
    g.bench_function("weakable Obj::unsize", |b| {
        b.iter(|| -> Obj<dyn Shape> { Obj::unsize(Obj::clone(black_box(&obj))) })
    });
    g.bench_function("weakable Obj::clone (no conversion)", |b| {
        b.iter(|| Obj::clone(black_box(&obj)))
    });
    g.bench_function("Arc as Arc<dyn>", |b| {
        b.iter(|| -> Arc<dyn Shape> { Arc::<Val>::clone(black_box(&arc)) })
    });
    g.finish();
}

criterion_group!(benches, upgrade, take_ref, object_life, no_weakref, unsize);
criterion_main!(benches);
