//! Threaded stress tests of the core (not CPython ports): upgrades racing
//! the last drop, callbacks registered and dropped while the object dies on
//! another thread, and callbacks that cascade. Iteration counts shrink
//! under Miri (`cargo +nightly miri test -p weakable-tests stress`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use weakable::{getweakrefcount, Obj, Ref, Weakable};
use weakable_tests::{scaled, watchdog, CaptureUnraisable, DropCounter, DropToken};

/// How long a stress test may run before it counts as a deadlock.
const LIMIT: Duration = Duration::from_secs(60);

const MAGIC: u64 = 0x5eed_cafe_f00d_beef;

/// A value that poisons itself when dropped, so that a thread handed a
/// dropped value by a broken `upgrade` would see it.
#[derive(Weakable)]
struct Payload {
    magic: AtomicU64,
    _drop: DropToken,
}

impl Payload {
    fn new(drop: DropToken) -> Payload {
        Payload {
            magic: AtomicU64::new(MAGIC),
            _drop: drop,
        }
    }

    fn check(&self) {
        assert_eq!(
            self.magic.load(SeqCst),
            MAGIC,
            "a dropped value was handed out"
        );
    }
}

impl Drop for Payload {
    fn drop(&mut self) {
        *self.magic.get_mut() = 0;
    }
}

/// Spins a little, by an amount that varies with `n`, so that deaths land
/// at different moments of the other threads' work.
fn jitter(n: usize) {
    for _ in 0..(n % 64) * 8 {
        std::hint::spin_loop();
    }
    if n % 5 == 4 {
        thread::yield_now();
    }
}

/// (1) Threads upgrade clones of one ref while the main thread drops its
/// `Obj`: every upgrade fails or yields a live value, a failed upgrade is
/// never followed by a successful one, and the value is dropped once (by
/// whichever thread let go of the last `Obj`, often an upgrading one).
#[test]
fn upgrade_races_last_drop() {
    watchdog(LIMIT, || {
        const WORKERS: usize = 3;
        for round in 0..scaled(200, 8) {
            let drops = DropCounter::new();
            let o = Obj::new(Payload::new(drops.token()));
            let r = Ref::new(&o);
            let start = Arc::new(Barrier::new(WORKERS + 1));
            let workers: Vec<_> = (0..WORKERS)
                .map(|w| {
                    let (r, start) = (r.clone(), start.clone());
                    thread::spawn(move || {
                        start.wait();
                        // Bounded: workers that upgraded forever could keep
                        // the object alive between them for ever.
                        let mut died = false;
                        for i in 0..scaled(2000, 20) {
                            match r.upgrade() {
                                Some(obj) => {
                                    assert!(!died, "a dead object came back");
                                    obj.check();
                                    assert!(Obj::strong_count(&obj) >= 1);
                                    // The shared ref's fast path, racing the death too.
                                    assert!(Ref::ptr_eq(&Ref::new(&obj), &r));
                                    if (i + w) % 7 == 0 {
                                        thread::yield_now();
                                    }
                                    // `obj` may be the last `Obj`: this thread runs the death.
                                }
                                None => {
                                    died = true;
                                    assert!(!r.is_alive());
                                }
                            }
                        }
                    })
                })
                .collect();
            start.wait();
            jitter(round);
            drop(o);
            for w in workers {
                w.join().unwrap();
            }
            assert_eq!(drops.count(), 1, "round {round}: value drops");
            assert!(r.upgrade().is_none());
        }
    });
}

/// (1b) Threads holding clones of one `Obj` create its first basic ref at
/// the same moment: they all get the same ref, counted once.
#[test]
fn basic_ref_creation_races() {
    watchdog(LIMIT, || {
        const WORKERS: usize = 3;
        for round in 0..scaled(200, 8) {
            let drops = DropCounter::new();
            let o = Obj::new(Payload::new(drops.token()));
            let start = Arc::new(Barrier::new(WORKERS));
            let workers: Vec<_> = (0..WORKERS)
                .map(|_| {
                    let (o, start) = (o.clone(), start.clone());
                    thread::spawn(move || {
                        start.wait();
                        Ref::new(&o)
                    })
                })
                .collect();
            let refs: Vec<Ref<Payload>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
            assert!(
                refs.iter().all(|r| Ref::ptr_eq(r, &refs[0])),
                "round {round}: two basic refs for one object"
            );
            assert_eq!(getweakrefcount(&o), 1);
            drop(refs);
            assert_eq!(getweakrefcount(&o), 0);
            drop(o);
            assert_eq!(drops.count(), 1);
        }
    });
}

/// What happened to one callback ref, and how often its callback ran.
struct Record {
    calls: AtomicUsize,
    /// The callback must run exactly once (`Some(1)`), never (`Some(0)`), or
    /// we cannot know whether its ref was dropped before the death (`None`).
    expect: Mutex<Option<usize>>,
}

impl Record {
    fn new() -> Arc<Record> {
        Arc::new(Record {
            calls: AtomicUsize::new(0),
            expect: Mutex::new(Some(1)),
        })
    }

    fn expect(&self, calls: Option<usize>) {
        *self.expect.lock().unwrap() = calls;
    }

    fn check(&self, what: &str) {
        let calls = self.calls.load(SeqCst);
        match *self.expect.lock().unwrap() {
            Some(expected) => assert_eq!(calls, expected, "{what}: callback calls"),
            None => assert!(calls <= 1, "{what}: a callback ran {calls} times"),
        }
    }
}

/// (2) Threads create refs with callbacks (and drop some of them) while the
/// last `Obj` drops on another thread. Every callback whose ref was alive at
/// the death ran exactly once, none twice, none for a ref dropped before the
/// death; the value is dropped once and every callback closure is dropped
/// once, called or not.
#[test]
fn callbacks_run_once_under_threads() {
    watchdog(LIMIT, || {
        const WORKERS: usize = 3;
        let per_worker = scaled(200, 10);
        for round in 0..scaled(150, 6) {
            let value_drops = DropCounter::new();
            let closure_drops = DropCounter::new();
            let bad = Arc::new(AtomicUsize::new(0));
            let made = Arc::new(AtomicUsize::new(0));
            let o = Obj::new(Payload::new(value_drops.token()));
            let base = Ref::new(&o);
            let start = Arc::new(Barrier::new(WORKERS + 1));
            let workers: Vec<_> = (0..WORKERS)
                .map(|w| {
                    let (base, start, bad) = (base.clone(), start.clone(), bad.clone());
                    let (closure_drops, made) = (closure_drops.clone(), made.clone());
                    thread::spawn(move || {
                        start.wait();
                        let mut records = Vec::new();
                        let mut kept = Vec::new();
                        for i in 0..per_worker {
                            let Some(strong) = base.upgrade() else { break };
                            let record = Record::new();
                            let (rec, token, base2, bad2) = (
                                record.clone(),
                                closure_drops.token(),
                                base.clone(),
                                bad.clone(),
                            );
                            let r = Ref::with_data_and_callback(&strong, (w, i), move |r| {
                                let _token = &token;
                                // Its own ref, dead; every ref to the object dead.
                                if *r.data() != (w, i)
                                    || r.upgrade().is_some()
                                    || base2.upgrade().is_some()
                                {
                                    bad2.fetch_add(1, SeqCst);
                                }
                                rec.calls.fetch_add(1, SeqCst);
                            });
                            match i % 3 {
                                0 => {
                                    // Dropped while `strong` keeps the object alive.
                                    drop(r);
                                    record.expect(Some(0));
                                    drop(strong);
                                }
                                1 => {
                                    // Kept past the death.
                                    drop(strong);
                                    kept.push(r);
                                }
                                _ => {
                                    // Dropped racing the death: at most once.
                                    record.expect(None);
                                    drop(strong);
                                    drop(r);
                                }
                            }
                            records.push(record);
                            made.fetch_add(1, SeqCst);
                            if i % 16 == 0 {
                                thread::yield_now();
                            }
                        }
                        (records, kept)
                    })
                })
                .collect();
            start.wait();
            // Let the workers make a varying number of refs first, so that
            // the death lands at different points of their work.
            let target = (round * 37) % (WORKERS * per_worker / 2);
            while made.load(SeqCst) < target {
                thread::yield_now();
            }
            jitter(round * 13);
            drop(o);
            let mut records = Vec::new();
            let mut kept = Vec::new();
            for w in workers {
                let (r, k) = w.join().unwrap();
                records.extend(r);
                kept.extend(k);
            }
            // Every thread that could run the death has been joined.
            assert_eq!(value_drops.count(), 1, "round {round}: value drops");
            assert_eq!(
                bad.load(SeqCst),
                0,
                "round {round}: a callback saw a live ref or another's ref"
            );
            for (n, record) in records.iter().enumerate() {
                record.check(&format!("round {round}, ref {n}"));
            }
            drop(kept);
            assert_eq!(
                closure_drops.count(),
                records.len(),
                "round {round}: every callback closure dropped exactly once"
            );
        }
    });
}

/// (2b) A ref seen dead and then dropped was alive when its referent died
/// (every ref goes dead at that moment), so its callback must run — in
/// CPython, clearing the refs and collecting their callbacks is one step
/// under the GIL. Here the object dies on the main thread while a watcher
/// thread drops its ref the moment it sees it dead.
#[test]
fn callback_runs_for_ref_dropped_right_after_death() {
    watchdog(LIMIT, || {
        let rounds = scaled(1000, 30);
        let mut lost = 0;
        for round in 0..rounds {
            let calls = Arc::new(AtomicUsize::new(0));
            let drops = DropCounter::new();
            let o = Obj::new(Payload::new(drops.token()));
            let c = calls.clone();
            let r = Ref::with_callback(&o, move |_| {
                c.fetch_add(1, SeqCst);
            });
            let start = Arc::new(Barrier::new(2));
            let watcher = {
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    while r.is_alive() {
                        std::hint::spin_loop();
                    }
                    drop(r); // dead already: the death is under way
                })
            };
            start.wait();
            jitter(round);
            drop(o);
            watcher.join().unwrap();
            assert_eq!(drops.count(), 1);
            match calls.load(SeqCst) {
                0 => lost += 1,
                1 => {}
                n => panic!("round {round}: callback ran {n} times"),
            }
        }
        assert_eq!(lost, 0, "{lost} of {rounds} callbacks lost");
    });
}

/// A node of the cascade test: may own the next node.
#[derive(Weakable)]
struct Node {
    id: usize,
    next: Option<Obj<Node>>,
    _drop: DropToken,
}

/// Everything the cascade test's callbacks reach.
struct World {
    n: usize,
    /// The outside strong references; threads and callbacks take them.
    owners: Vec<Mutex<Option<Obj<Node>>>>,
    /// A plain ref per node, to upgrade.
    basic: Vec<Ref<Node>>,
    /// The callback refs to each node, which its "drop refs" callbacks drop.
    held: Vec<Mutex<Vec<Ref<Node, usize>>>>,
    /// Refs made by callbacks to other nodes.
    made_in_callbacks: Mutex<Vec<Ref<Node, usize>>>,
    records: Mutex<Vec<Arc<Record>>>,
    closures: DropCounter,
    created: AtomicUsize,
    panicked: AtomicUsize,
    bad: AtomicUsize,
}

/// The actions of the cascade test's callbacks.
const DROP_OTHER: usize = 0;
const NEW_REF_TO_OTHER: usize = 1;
const DROP_REFS_TO_SELF: usize = 2;
const PANIC: usize = 3;

/// A callback ref to `target` whose callback does `action`.
fn cascade_ref(
    world: &Arc<World>,
    target: &Obj<Node>,
    action: usize,
) -> (Ref<Node, usize>, Arc<Record>) {
    let record = Record::new();
    world.records.lock().unwrap().push(record.clone());
    world.created.fetch_add(1, SeqCst);
    let (w, rec, token) = (world.clone(), record.clone(), world.closures.token());
    let id = target.id;
    let r = Ref::with_data_and_callback(target, id, move |r: &Ref<Node, usize>| {
        let _token = &token;
        rec.calls.fetch_add(1, SeqCst);
        if *r.data() != id || r.upgrade().is_some() || w.basic[id].upgrade().is_some() {
            w.bad.fetch_add(1, SeqCst);
        }
        match action {
            DROP_OTHER => {
                // A cascade: maybe the victim's last strong reference.
                let victim = w.owners[(id * 7 + 3) % w.n].lock().unwrap().take();
                drop(victim);
            }
            NEW_REF_TO_OTHER => {
                if let Some(other) = w.basic[(id + 1) % w.n].upgrade() {
                    let (r, _) = cascade_ref(&w, &other, DROP_REFS_TO_SELF);
                    w.made_in_callbacks.lock().unwrap().push(r);
                    // `other` may be the last strong reference: a nested death.
                }
            }
            DROP_REFS_TO_SELF => {
                // Includes refs whose callbacks have not run yet (they still
                // must), and this very ref.
                let refs = std::mem::take(&mut *w.held[id].lock().unwrap());
                drop(refs);
            }
            _ => {
                w.panicked.fetch_add(1, SeqCst);
                // `resume_unwind` skips the panic hook: no noise on stderr.
                std::panic::resume_unwind(Box::new("cascade callback panics"));
            }
        }
    });
    (r, record)
}

/// (3) Callbacks that cascade — drop other objects, make refs to other
/// objects, drop refs to the dying object, panic — while threads drop the
/// objects. No deadlock, each callback of a ref alive at its death exactly
/// once, none for a ref dropped before, each panic reported, every value
/// and closure dropped once.
#[test]
fn cascading_callbacks_under_threads() {
    let capture = CaptureUnraisable::start();
    let total_panicked = Arc::new(AtomicUsize::new(0));
    let total = total_panicked.clone();
    watchdog(LIMIT, move || {
        const THREADS: usize = 3;
        let n = scaled(48, 6);
        for round in 0..scaled(100, 3) {
            let node_drops = DropCounter::new();
            // Node i may own node i + 1: chains of nested drops, no cycle.
            let mut nodes: Vec<Obj<Node>> = Vec::with_capacity(n);
            for id in (0..n).rev() {
                let next = (id % 3 == 0 && id + 1 < n).then(|| nodes.last().unwrap().clone());
                nodes.push(Obj::new(Node {
                    id,
                    next,
                    _drop: node_drops.token(),
                }));
            }
            nodes.reverse();
            assert!(nodes.iter().enumerate().all(|(i, o)| o.id == i));
            assert!(nodes[0].next.as_ref().is_some_and(|next| next.id == 1));
            let world = Arc::new(World {
                n,
                basic: nodes.iter().map(Ref::new).collect(),
                owners: nodes.iter().map(|o| Mutex::new(Some(o.clone()))).collect(),
                held: (0..n).map(|_| Mutex::default()).collect(),
                made_in_callbacks: Mutex::default(),
                records: Mutex::default(),
                closures: DropCounter::new(),
                created: AtomicUsize::new(0),
                panicked: AtomicUsize::new(0),
                bad: AtomicUsize::new(0),
            });
            for node in &nodes {
                for action in [DROP_OTHER, NEW_REF_TO_OTHER, DROP_REFS_TO_SELF, PANIC] {
                    let (r, _) = cascade_ref(&world, node, action);
                    world.held[node.id].lock().unwrap().push(r);
                }
            }
            drop(nodes); // `owners` (and the chains) hold the only strong refs now

            let start = Arc::new(Barrier::new(THREADS));
            let threads: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (world, start) = (world.clone(), start.clone());
                    thread::spawn(move || {
                        start.wait();
                        // Each thread drops every THREADS-th owner, in its
                        // own order; callbacks take some owners first.
                        let mine: Vec<usize> = (0..world.n).filter(|i| i % THREADS == t).collect();
                        let order: Box<dyn Iterator<Item = &usize>> = if t % 2 == 0 {
                            Box::new(mine.iter())
                        } else {
                            Box::new(mine.iter().rev())
                        };
                        for &i in order {
                            // A ref dropped while the object surely lives:
                            // its callback must never run.
                            if let Some(strong) = world.basic[i].upgrade() {
                                let (r, record) = cascade_ref(&world, &strong, PANIC);
                                drop(r);
                                record.expect(Some(0));
                                drop(strong);
                            }
                            let owner = world.owners[i].lock().unwrap().take();
                            drop(owner);
                            jitter(i + t);
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }

            // Every owner was taken and every node died, each once.
            assert_eq!(node_drops.count(), n, "round {round}: node drops");
            assert!(world.basic.iter().all(|r| !r.is_alive()));
            assert_eq!(
                world.bad.load(SeqCst),
                0,
                "round {round}: a callback saw a live ref or another's ref"
            );
            let records = world.records.lock().unwrap().clone();
            for (k, record) in records.iter().enumerate() {
                record.check(&format!("round {round}, ref {k}"));
            }
            let created = world.created.load(SeqCst);
            assert_eq!(records.len(), created);
            // Every callback ran or was dropped: no closure still holds the world.
            assert_eq!(
                world.closures.count(),
                created,
                "round {round}: every callback closure dropped exactly once"
            );
            total.fetch_add(world.panicked.load(SeqCst), SeqCst);
            let world = Arc::into_inner(world).expect("a callback closure still holds the world");
            drop(world);
        }
    });
    let reports = capture.reports();
    assert_eq!(
        reports.len(),
        total_panicked.load(SeqCst),
        "one report per panicking callback"
    );
    assert!(total_panicked.load(SeqCst) > 0);
    for report in reports {
        assert_eq!(
            (report.what, report.type_name, report.message.as_deref()),
            ("weakref callback", "Node", Some("cascade callback panics"))
        );
    }
}

#[derive(Weakable)]
struct Member(u64, #[allow(dead_code)] DropToken);

impl PartialEq for Member {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Member {}

impl std::hash::Hash for Member {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// A weak collection dropped on one thread while its keys die on another:
/// the entries' refs are released (through the slot's lock) while clearing
/// holds, and then lets go of, its own counts on the same nodes. The last
/// count of each node must free the object only after every other thread
/// is done with its slot (ThreadSanitizer and valgrind watch for it).
#[test]
fn a_collection_dropped_while_its_keys_die() {
    watchdog(Duration::from_secs(120), || {
        let per_round = scaled(32, 4);
        for round in 0..scaled(300, 6) {
            let drops = DropCounter::new();
            let keys: Vec<Obj<Member>> = (0..per_round as u64)
                .map(|i| Obj::new(Member(i, drops.token())))
                .collect();
            let set = weakable::WeakSet::new();
            let dict = weakable::WeakKeyDictionary::new();
            for k in &keys {
                set.insert(k);
                dict.insert(k, k.0);
            }
            let barrier = Arc::new(Barrier::new(2));
            let dropper = {
                let barrier = barrier.clone();
                thread::spawn(move || {
                    barrier.wait();
                    drop(set);
                    drop(dict);
                })
            };
            barrier.wait();
            for (i, k) in keys.into_iter().enumerate() {
                jitter(i);
                drop(k);
            }
            dropper.join().unwrap();
            assert_eq!(
                drops.count(),
                per_round,
                "round {round}: every key dropped once"
            );
        }
    });
}
