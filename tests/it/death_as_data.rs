//! Death as data under threads and async runtimes (the sync flavour):
//! `DeathQueue` deliveries from many dying threads while a consumer
//! receives, cancellation racing death, and `Ref::dead()` awaited under
//! tokio and under a hand-written `block_on`. Iteration counts shrink under
//! Miri (`cargo +nightly miri test -p weakable-tests --test it death`).
//! What both flavours do on one thread is `dead_and_death_queue`, compiled
//! once per flavour.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use weakable::{getweakrefcount, DeathQueue, Obj, Ref, Weakable};
use weakable_tests::{block_on, scaled, watchdog, DropCounter, DropToken};

/// How long a test may run before it counts as a deadlock.
const LIMIT: Duration = Duration::from_secs(120);

#[derive(Weakable)]
struct Item {
    _drop: DropToken,
}

/// What a registration delivers: which thread's object, and its index.
struct Death {
    thread: usize,
    index: usize,
    _drop: DropToken,
}

/// Four threads each register their own objects and then drop them one by
/// one, while a consumer receives: every value arrives exactly once, each
/// thread's in the order its objects died, and nothing is left behind.
fn many_dying_threads_one_consumer(receive: fn(&DeathQueue<Death>) -> Death) {
    const THREADS: usize = 4;
    let per_thread = scaled(5_000, 20);
    let items = DropCounter::new();
    let values = DropCounter::new();
    let queue = Arc::new(DeathQueue::new());
    let start = Arc::new(Barrier::new(THREADS + 1));
    let dying: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (queue, start) = (queue.clone(), start.clone());
            let (items, values) = (items.clone(), values.clone());
            thread::spawn(move || {
                let objs: Vec<_> = (0..per_thread)
                    .map(|index| {
                        let o = Obj::new(Item {
                            _drop: items.token(),
                        });
                        let death = Death {
                            thread,
                            index,
                            _drop: values.token(),
                        };
                        queue.register(&o, death);
                        o
                    })
                    .collect();
                start.wait();
                for o in objs {
                    drop(o);
                }
            })
        })
        .collect();
    start.wait();
    let mut next = [0; THREADS];
    for _ in 0..THREADS * per_thread {
        let death = receive(&queue);
        assert_eq!(
            death.index, next[death.thread],
            "thread {}'s deaths arrived out of order, or twice",
            death.thread
        );
        next[death.thread] += 1;
    }
    for t in dying {
        t.join().unwrap();
    }
    assert_eq!(next, [per_thread; THREADS], "a death was lost");
    assert!(queue.try_recv().is_none(), "a death was delivered twice");
    assert_eq!(queue.registered(), 0);
    assert_eq!(items.count(), THREADS * per_thread);
    assert_eq!(values.count(), THREADS * per_thread);
}

#[test]
fn death_queue_four_dying_threads_blocking_consumer() {
    watchdog(LIMIT, || many_dying_threads_one_consumer(DeathQueue::recv));
}

#[test]
fn death_queue_four_dying_threads_polling_consumer() {
    watchdog(LIMIT, || {
        many_dying_threads_one_consumer(|q| loop {
            if let Some(death) = q.try_recv() {
                return death;
            }
            if let Some(death) = q.recv_timeout(Duration::from_micros(50)) {
                return death;
            }
        });
    });
}

#[test]
fn death_queue_four_dying_threads_async_consumer() {
    watchdog(LIMIT, || {
        many_dying_threads_one_consumer(|q| block_on(q.recv_async()));
    });
}

/// Two threads race over the same registrations: one cancels them in
/// order, the other kills their objects in order. Each value ends up
/// exactly once either back in the canceller's hands or in the queue, and
/// is dropped once.
#[test]
fn death_queue_cancellation_racing_death_settles_each_on_exactly_one() {
    watchdog(LIMIT, || {
        let n = scaled(5_000, 30);
        let values = DropCounter::new();
        let queue = DeathQueue::new();
        let objs: Vec<_> = (0..n)
            .map(|_| {
                Obj::new(Item {
                    _drop: values.token(),
                })
            })
            .collect();
        let regs: Vec<_> = objs
            .iter()
            .enumerate()
            .map(|(i, o)| queue.register(o, (i, values.token())))
            .collect();
        let start = Arc::new(Barrier::new(2));
        let canceller = {
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                regs.into_iter()
                    .map(|r| r.cancel().map(|(i, _)| i))
                    .collect::<Vec<_>>()
            })
        };
        start.wait();
        for o in objs {
            drop(o);
        }
        let cancelled = canceller.join().unwrap();
        let mut delivered = vec![false; n];
        while let Some((i, _)) = queue.try_recv() {
            assert!(!delivered[i], "{i} was delivered twice");
            delivered[i] = true;
        }
        let mut both_ways = (0, 0);
        for (i, c) in cancelled.iter().enumerate() {
            match (c, delivered[i]) {
                (Some(j), false) => {
                    assert_eq!(*j, i);
                    both_ways.0 += 1;
                }
                (None, true) => both_ways.1 += 1,
                (Some(_), true) => panic!("{i} was cancelled and delivered"),
                (None, false) => panic!("{i} was neither cancelled nor delivered"),
            }
        }
        assert_eq!(both_ways.0 + both_ways.1, n);
        assert_eq!(queue.registered(), 0);
        // Every value (and every object, counted on the same counter) once.
        assert_eq!(values.count(), 2 * n);
    });
}

/// A queue dropped while its objects die on other threads: every value is
/// dropped exactly once, by the queue or by a delivery that found it gone,
/// and the surviving objects carry no registration.
#[test]
fn death_queue_dropped_while_objects_die() {
    watchdog(LIMIT, || {
        for _ in 0..scaled(200, 4) {
            let values = DropCounter::new();
            let queue = DeathQueue::new();
            let objs: Vec<_> = (0..16)
                .map(|_| {
                    Obj::new(Item {
                        _drop: DropCounter::new().token(),
                    })
                })
                .collect();
            for o in &objs {
                queue.register(o, values.token());
            }
            let (doomed, kept) = objs.split_at(8);
            let doomed = doomed.to_vec();
            let start = Arc::new(Barrier::new(2));
            let killer = {
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    drop(doomed);
                })
            };
            start.wait();
            drop(queue);
            killer.join().unwrap();
            assert_eq!(values.count(), 16);
            for o in kept {
                assert_eq!(getweakrefcount(o), 0);
            }
        }
    });
}

/// `dead()` futures awaited on one thread each, while another thread
/// drops the objects: none misses its death, and the objects carry no
/// registration once the futures are done.
#[test]
fn dead_futures_awaited_on_threads_while_another_drops() {
    watchdog(LIMIT, || {
        let n = scaled(2_000, 10);
        let objs: Vec<_> = (0..n)
            .map(|_| {
                Obj::new(Item {
                    _drop: DropCounter::new().token(),
                })
            })
            .collect();
        let refs: Vec<_> = objs.iter().map(Ref::new).collect();
        let start = Arc::new(Barrier::new(3));
        let waiters: Vec<_> = refs
            .chunks(n / 2)
            .map(|chunk| {
                let (chunk, start) = (chunk.to_vec(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    for r in &chunk {
                        block_on(r.dead());
                        assert!(r.upgrade().is_none());
                    }
                })
            })
            .collect();
        start.wait();
        for o in objs {
            drop(o);
        }
        for w in waiters {
            w.join().unwrap();
        }
    });
}

/// The recipe: a connection task under tokio serves requests until its
/// owner dies, then closes; the owner dies on a plain thread.
#[test]
#[cfg_attr(miri, ignore = "tokio's I/O driver is not supported by Miri")]
fn dead_under_tokio_closes_a_connection_when_its_owner_dies() {
    #[derive(Weakable)]
    struct Session;

    async fn connection(
        owner: Ref<Session>,
        mut requests: tokio::sync::mpsc::UnboundedReceiver<u32>,
    ) -> (u32, &'static str) {
        let mut served = 0;
        let dead = owner.dead();
        tokio::pin!(dead);
        loop {
            tokio::select! {
                () = &mut dead => return (served, "owner died: connection closed"),
                Some(r) = requests.recv() => served += r,
            }
        }
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let session = Obj::new(Session);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let task = rt.spawn(connection(Ref::new(&session), rx));
    let owner = thread::spawn(move || {
        for _ in 0..10 {
            tx.send(1).unwrap();
        }
        thread::sleep(Duration::from_millis(20));
        drop(session);
        tx // the requests channel stays open: only the death ends the task
    });
    let (served, why) = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("the task missed its owner's death")
            .unwrap()
    });
    assert_eq!(why, "owner died: connection closed");
    assert!(served <= 10);
    drop(owner.join().unwrap());
}

/// `recv_async` under tokio: one task receives the deaths of objects that
/// die on a plain thread.
#[test]
#[cfg_attr(miri, ignore = "tokio's I/O driver is not supported by Miri")]
fn recv_async_under_tokio() {
    let n = 1_000;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let queue = Arc::new(DeathQueue::new());
    let objs: Vec<_> = (0..n)
        .map(|i| {
            let o = Obj::new(Item {
                _drop: DropCounter::new().token(),
            });
            queue.register(&o, i);
            o
        })
        .collect();
    let killer = thread::spawn(move || {
        for o in objs {
            drop(o);
        }
    });
    let q = queue.clone();
    let got = rt.block_on(async move {
        let mut got = Vec::new();
        for _ in 0..n {
            got.push(q.recv_async().await);
        }
        got
    });
    killer.join().unwrap();
    assert_eq!(got, (0..n).collect::<Vec<_>>());
}
