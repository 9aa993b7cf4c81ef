//! Death as data: what a `DeathQueue` registration and a `Ref::dead()`
//! future cost, next to the death callback they replace.
//!
//! - `death queue: register` registers a live object (timed alone, the
//!   objects made beforehand); `register + cancel` is a whole registration
//!   that never fires;
//! - `death with ...`: an object's death (the drop of its last `Obj`) with
//!   nothing registered, with one queue registration (the delivery), and
//!   with one `Ref::with_callback` whose closure sends on an `mpsc`
//!   channel, the hand-made equivalent; the differences are the cost of
//!   delivering;
//! - `death queue: try_recv` takes one delivered value;
//! - `dead()`: making and dropping the future on a live object, and the
//!   whole of make, death and the poll that sees it;
//! - `unsync death queue`: the same register, register + cancel and
//!   delivery in the unsync flavour (an `Rc` and a `RefCell` instead of an
//!   `Arc` and a mutex).
//!
//! Run with `cargo bench -p weakable-bench --bench death`.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::mpsc;
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use weakable::{DeathQueue, Obj, Ref, Weakable};

#[derive(Weakable)]
struct Val(#[allow(dead_code)] u64);

fn objects(n: u64) -> Vec<Obj<Val>> {
    (0..n).map(Val).map(Obj::new).collect()
}

/// Times only the drops of `objs`, one by one, in order.
fn time_deaths(objs: Vec<Obj<Val>>) -> Duration {
    let mut objs = objs.into_iter();
    let t = Instant::now();
    for o in objs.by_ref() {
        drop(black_box(o));
    }
    t.elapsed()
}

fn register(c: &mut Criterion) {
    let mut g = c.benchmark_group("death queue");
    g.bench_function("register", |b| {
        b.iter_custom(|iters| {
            let q = DeathQueue::new();
            let objs = objects(iters);
            let t = Instant::now();
            for o in &objs {
                black_box(q.register(o, 1_u64));
            }
            let elapsed = t.elapsed();
            drop(q); // untimed: cancels them all
            elapsed
        })
    });
    let q = DeathQueue::new();
    let o = Obj::new(Val(1));
    g.bench_function("register + cancel", |b| {
        b.iter(|| q.register(black_box(&o), 1_u64).cancel())
    });
    g.bench_function("try_recv", |b| {
        b.iter_custom(|iters| {
            let q = DeathQueue::new();
            for o in objects(iters) {
                q.register(&o, 1_u64);
            }
            let t = Instant::now();
            for _ in 0..iters {
                black_box(q.try_recv());
            }
            t.elapsed()
        })
    });
    g.finish();
}

fn deliver(c: &mut Criterion) {
    let mut g = c.benchmark_group("death with");
    g.bench_function("nothing registered", |b| {
        b.iter_custom(|iters| time_deaths(objects(iters)))
    });
    g.bench_function("one queue registration", |b| {
        b.iter_custom(|iters| {
            let q = DeathQueue::new();
            let objs = objects(iters);
            for o in &objs {
                q.register(o, 1_u64);
            }
            time_deaths(objs)
        })
    });
    // Steady state, with the queue's map small and warm: each iteration
    // makes an object, registers it, kills the one registered 1,000
    // iterations ago and receives its value.
    g.bench_function(
        "one queue registration, 1k waiting (make+register+die+recv)",
        |b| {
            let q = DeathQueue::new();
            let mut window: std::collections::VecDeque<_> = objects(1_000).into();
            for o in &window {
                q.register(o, 1_u64);
            }
            b.iter(|| {
                let o = Obj::new(Val(2));
                q.register(&o, 2_u64);
                window.push_back(o);
                drop(window.pop_front());
                black_box(q.try_recv())
            })
        },
    );
    g.bench_function("nothing registered, 1k alive (make+die)", |b| {
        let mut window: std::collections::VecDeque<_> = objects(1_000).into();
        b.iter(|| {
            window.push_back(Obj::new(Val(2)));
            drop(window.pop_front());
        })
    });
    g.bench_function("one callback sending on mpsc", |b| {
        b.iter_custom(|iters| {
            let (tx, rx) = mpsc::channel();
            let objs = objects(iters);
            let refs: Vec<_> = objs
                .iter()
                .map(|o| {
                    let tx = tx.clone();
                    Ref::with_callback(o, move |_| tx.send(1_u64).unwrap())
                })
                .collect();
            let elapsed = time_deaths(objs);
            drop((refs, rx));
            elapsed
        })
    });
    g.finish();
}

fn dead(c: &mut Criterion) {
    let mut g = c.benchmark_group("dead()");
    let o = Obj::new(Val(1));
    let r = Ref::new(&o);
    g.bench_function("make + drop (alive)", |b| b.iter(|| black_box(&r).dead()));
    g.bench_function("make + death + poll", |b| {
        b.iter_custom(|iters| {
            let objs = objects(iters);
            let refs: Vec<_> = objs.iter().map(Ref::new).collect();
            let mut cx = Context::from_waker(Waker::noop());
            let t = Instant::now();
            for (o, r) in objs.into_iter().zip(&refs) {
                let mut d = pin!(r.dead());
                drop(o);
                assert!(d.as_mut().poll(&mut cx).is_ready());
            }
            t.elapsed()
        })
    });
    g.finish();
}

fn unsync(c: &mut Criterion) {
    use weakable::unsync;

    fn objects(n: u64) -> Vec<unsync::Obj<Val>> {
        (0..n).map(Val).map(unsync::Obj::new).collect()
    }

    let mut g = c.benchmark_group("unsync death queue");
    g.bench_function("register", |b| {
        b.iter_custom(|iters| {
            let q = unsync::DeathQueue::new();
            let objs = objects(iters);
            let t = Instant::now();
            for o in &objs {
                black_box(q.register(o, 1_u64));
            }
            let elapsed = t.elapsed();
            drop(q);
            elapsed
        })
    });
    let q = unsync::DeathQueue::new();
    let o = unsync::Obj::new(Val(1));
    g.bench_function("register + cancel", |b| {
        b.iter(|| q.register(black_box(&o), 1_u64).cancel())
    });
    g.bench_function("death with one registration", |b| {
        b.iter_custom(|iters| {
            let q = unsync::DeathQueue::new();
            let objs = objects(iters);
            for o in &objs {
                q.register(o, 1_u64);
            }
            let mut objs = objs.into_iter();
            let t = Instant::now();
            for o in objs.by_ref() {
                drop(black_box(o));
            }
            t.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, register, deliver, dead, unsync);
criterion_main!(benches);
