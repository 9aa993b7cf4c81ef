//! loom models of the concurrent core: every interleaving (up to a
//! preemption bound) of small scenarios where a weak reference races the
//! death of its referent.
//!
//! Built only with `--cfg loom`, which swaps the core's atomics, the mutex
//! and condition variable under the collections' table lock, the node
//! cells and the spin loops for loom's (`weakable/src/rt/`). A thread
//! that waits for a table parks at once under loom, so the models also
//! check that no wake-up is lost and no eviction is left queued:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p weakable --release --test loom
//! ```
//!
//! Each model asserts what the issue asks of it (a callback runs exactly
//! once when it is due and never when it is not, a value is dropped exactly
//! once, an eviction never removes a newer entry) and that nothing leaks:
//! the objects and ref data of these models are over-aligned to
//! [`TRACKED_ALIGN`], and a counting allocator checks that every such
//! allocation made by an execution was freed by its end.
#![cfg(loom)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc as StdArc;

use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use weakable::{DeathQueue, Obj, Ref, WeakKeyDictionary, WeakValueDictionary, Weakable};

/// Allocations this aligned are the models' objects and ref nodes, and
/// nothing else's (loom's and std's own allocations are far less aligned).
const TRACKED_ALIGN: usize = 1024;

/// Counts the live tracked allocations of this OS thread: loom runs every
/// modelled thread of an execution on the test's own OS thread, and the
/// test harness runs tests on several, so the count is per OS thread.
struct CountingAllocator;

thread_local! {
    static LIVE_TRACKED: Cell<isize> = const { Cell::new(0) };
}

fn add_live(delta: isize) {
    // `try_with`: the allocator also serves the thread's own teardown.
    let _ = LIVE_TRACKED.try_with(|live| live.set(live.get() + delta));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// bookkeeping around it does not allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() >= TRACKED_ALIGN {
            add_live(1);
        }
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.align() >= TRACKED_ALIGN {
            add_live(-1);
        }
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` under loom (at most two preemptions per execution unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise), checks after every execution
/// that it freed every tracked allocation it made, and prints how many
/// executions were explored.
fn model<F>(name: &str, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    model_capped(name, usize::MAX, f);
}

/// [`model`], with at most `cap` preemptions whatever
/// `LOOM_MAX_PREEMPTIONS` says: for a model whose every execution is long
/// (three threads through a lock, a mutex and a condition variable), where
/// a third preemption takes CI past its budget (over 17 minutes, against
/// 8 seconds with two).
fn model_capped<F>(name: &str, cap: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    let bound = builder.preemption_bound.unwrap_or(2).min(cap);
    builder.preemption_bound = Some(bound);
    let executions = StdArc::new(AtomicUsize::new(0));
    let counted = executions.clone();
    builder.check(move || {
        counted.fetch_add(1, SeqCst);
        let before = LIVE_TRACKED.with(Cell::get);
        f();
        let leaked = LIVE_TRACKED.with(Cell::get) - before;
        assert_eq!(leaked, 0, "{leaked} object or node allocation(s) leaked");
    });
    println!(
        "loom model {name}: {} executions (preemption bound {})",
        executions.load(SeqCst),
        builder.preemption_bound.unwrap_or(0),
    );
}

/// A test-side tally. std's atomics, not loom's: the models read tallies
/// only after joining, so they need no modelling and add no branch points.
#[derive(Clone, Default)]
struct Tally(StdArc<AtomicUsize>);

impl Tally {
    fn bump(&self) {
        self.0.fetch_add(1, SeqCst);
    }
    fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// A value that counts its drops; over-aligned so that its object is
/// tracked.
#[derive(Weakable)]
#[repr(align(1024))]
struct Big {
    id: u32,
    drops: Tally,
}

impl Big {
    fn new(id: u32, drops: &Tally) -> Self {
        Big {
            id,
            drops: drops.clone(),
        }
    }
}

impl Drop for Big {
    fn drop(&mut self) {
        self.drops.bump();
    }
}

/// As a weak key, compared by `id`.
impl PartialEq for Big {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Big {}

impl std::hash::Hash for Big {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// Data for a ref, so that its node is tracked.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(align(1024))]
struct Tag(u32);

/// A callback that counts its calls and its own drop.
fn counting_callback(calls: &Tally, drops: &Tally) -> impl FnOnce(&Ref<Big, Tag>) + Send {
    struct Token(Tally);
    impl Drop for Token {
        fn drop(&mut self) {
            self.0.bump();
        }
    }
    let calls = calls.clone();
    let token = Token(drops.clone());
    move |r: &Ref<Big, Tag>| {
        let _owned = &token;
        assert!(r.upgrade().is_none(), "a callback runs after the death");
        calls.bump();
    }
}

/// (a) `upgrade` racing the last `Obj` drop: the upgrade either fails or
/// returns a live value, and the value is dropped once, by whichever
/// handle went last.
#[test]
fn upgrade_races_last_obj_drop() {
    model("upgrade_races_last_obj_drop", || {
        let drops = Tally::default();
        let o = Obj::new(Big::new(7, &drops));
        let r = Ref::new(&o);
        let upgrader = thread::spawn(move || {
            if let Some(o) = r.upgrade() {
                assert_eq!(o.id, 7);
                assert_eq!(drops_of(&o), 0, "upgrade returned a dropped value");
            }
        });
        drop(o);
        upgrader.join().unwrap();
        assert_eq!(drops.get(), 1);
    });
}

fn drops_of(o: &Obj<Big>) -> usize {
    o.drops.get()
}

/// (a, with a callback) the same race with a callback ref: the callback
/// runs exactly once whichever thread ends up dropping the object.
#[test]
fn upgrade_races_last_obj_drop_with_callback() {
    model("upgrade_races_last_obj_drop_with_callback", || {
        let (drops, calls, callback_drops) = (Tally::default(), Tally::default(), Tally::default());
        let o = Obj::new(Big::new(1, &drops));
        let r = Ref::with_data_and_callback(&o, Tag(1), counting_callback(&calls, &callback_drops));
        let upgrader = thread::spawn(move || {
            let alive = r.upgrade().is_some();
            (r, alive)
        });
        drop(o);
        let (r, _) = upgrader.join().unwrap();
        assert_eq!(drops.get(), 1);
        assert_eq!(calls.get(), 1, "the callback of a live ref runs once");
        drop(r);
        assert_eq!(callback_drops.get(), 1);
    });
}

/// (b) a `Ref` drop racing the object's death: its callback runs at most
/// once; not at all if the ref was gone before the death began, and once
/// if the referent was dead (its strong count zero) when the ref's drop
/// began, even if the clearing had not reached the ref yet.
#[test]
fn ref_drop_races_death() {
    model("ref_drop_races_death", || {
        let (drops, calls, callback_drops) = (Tally::default(), Tally::default(), Tally::default());
        let o = Obj::new(Big::new(2, &drops));
        let r = Ref::with_data_and_callback(&o, Tag(2), counting_callback(&calls, &callback_drops));
        let ref_gone = Arc::new(AtomicBool::new(false));
        let dead = Arc::new(AtomicBool::new(false));
        let dropper = {
            let (ref_gone, dead) = (ref_gone.clone(), dead.clone());
            thread::spawn(move || {
                // Dead as soon as the strong count is zero, even if the
                // death's clearing has not reached this ref yet: the ref
                // outlived the object, so its callback is due.
                let saw_dead = dead.load(SeqCst) || !r.is_alive();
                drop(r);
                ref_gone.store(true, SeqCst);
                saw_dead
            })
        };
        let saw_gone = ref_gone.load(SeqCst);
        drop(o);
        dead.store(true, SeqCst);
        let saw_dead = dropper.join().unwrap();
        assert_eq!(drops.get(), 1);
        assert!(calls.get() <= 1, "a callback ran twice");
        if saw_gone {
            assert_eq!(calls.get(), 0, "the callback of a ref dropped first ran");
        }
        if saw_dead {
            assert_eq!(
                calls.get(),
                1,
                "the callback of a ref alive at death did not run"
            );
        }
        assert_eq!(callback_drops.get(), 1);
    });
}

/// (c) two refs with callbacks taken on two threads while a third (here,
/// the main one) drops the object: whichever handle is last, the object
/// dies once and each callback runs exactly once.
#[test]
fn refs_taken_on_two_threads_while_a_third_drops() {
    model("refs_taken_on_two_threads_while_a_third_drops", || {
        let drops = Tally::default();
        let calls = [Tally::default(), Tally::default()];
        let callback_drops = [Tally::default(), Tally::default()];
        let o = Obj::new(Big::new(3, &drops));
        let takers: Vec<_> = (0..2)
            .map(|i| {
                let mine = o.clone();
                let callback = counting_callback(&calls[i], &callback_drops[i]);
                thread::spawn(move || {
                    let r = Ref::with_data_and_callback(&mine, Tag(i as u32), callback);
                    drop(mine);
                    r
                })
            })
            .collect();
        drop(o);
        let refs: Vec<_> = takers.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(drops.get(), 1);
        for r in &refs {
            assert!(r.upgrade().is_none());
        }
        assert_eq!([calls[0].get(), calls[1].get()], [1, 1]);
        drop(refs);
        assert_eq!([callback_drops[0].get(), callback_drops[1].get()], [1, 1]);
    });
}

/// A key that counts its live instances (clones included), so that a
/// model can tell whether an evicted entry's ref node, which owns the
/// entry's key, was really freed.
struct Key {
    id: u32,
    live: Tally,
}

impl Key {
    fn new(id: u32, live: &Tally) -> Self {
        live.bump();
        Key {
            id,
            live: live.clone(),
        }
    }
}

impl Clone for Key {
    fn clone(&self) -> Self {
        Key::new(self.id, &self.live)
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.live.0.fetch_sub(1, SeqCst);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// (d) a weak collection's eviction racing an insert of the same key and
/// an iteration: the eviction of the dead entry never removes the new
/// one, never waits for a later call (once the threads are done, before
/// any further call, the dead entry's node and key are gone), and the
/// iteration yields only live values of that key.
#[test]
fn eviction_races_insert_of_same_key_and_iteration() {
    model("eviction_races_insert_of_same_key_and_iteration", || {
        let (old_drops, new_drops, keys) = (Tally::default(), Tally::default(), Tally::default());
        let d: Arc<WeakValueDictionary<Key, Big>> = Arc::new(WeakValueDictionary::new());
        let old = Obj::new(Big::new(1, &old_drops));
        let new = Obj::new(Big::new(2, &new_drops));
        d.insert(Key::new(0, &keys), &old);
        let inserter = {
            let (d, new, key) = (d.clone(), new.clone(), Key::new(0, &keys));
            thread::spawn(move || {
                d.insert(key, &new);
            })
        };
        let iterator = {
            let d = d.clone();
            thread::spawn(move || {
                for (k, v) in d.items() {
                    assert_eq!(k.id, 0);
                    assert!(v.id == 1 || v.id == 2);
                    assert_eq!(drops_of(&v), 0, "iteration yielded a dropped value");
                }
            })
        };
        drop(old); // the eviction
        inserter.join().unwrap();
        iterator.join().unwrap();
        assert_eq!((old_drops.get(), new_drops.get()), (1, 0));
        assert_eq!(keys.get(), 1, "the dead entry is still in the table");
        assert_eq!(d.len(), 1, "the new entry was lost");
        assert_eq!(d.get(&Key::new(0, &keys)).map(|v| v.id), Some(2));
        drop(new);
        assert_eq!(keys.get(), 0);
        assert_eq!(d.len(), 0);
    });
}

/// (d, a reader holding the lock) an eviction racing a lookup of another
/// key: the lookup holds the table's lock, so the eviction is queued; the
/// lookup's unlock must apply it, before either thread's next call.
#[test]
fn eviction_races_lookup() {
    model("eviction_races_lookup", || {
        let (drops, keys) = (Tally::default(), Tally::default());
        let d: Arc<WeakValueDictionary<Key, Big>> = Arc::new(WeakValueDictionary::new());
        let doomed = Obj::new(Big::new(1, &drops));
        let kept = Obj::new(Big::new(2, &drops));
        d.insert(Key::new(1, &keys), &doomed);
        d.insert(Key::new(2, &keys), &kept);
        let reader = {
            let (d, probe) = (d.clone(), Key::new(2, &keys));
            thread::spawn(move || assert_eq!(d.get(&probe).map(|v| v.id), Some(2)))
        };
        drop(doomed);
        reader.join().unwrap();
        assert_eq!(keys.get(), 1, "an eviction waits for a later call");
        assert_eq!(d.len(), 1);
        drop(kept);
        assert_eq!(d.len(), 0);
        assert_eq!(keys.get(), 0);
    });
}

/// Hashes every key to 0, so that all keys are candidates of every lookup.
#[derive(Clone, Copy, Default)]
struct Collide;

impl std::hash::BuildHasher for Collide {
    type Hasher = Collide;
    fn build_hasher(&self) -> Collide {
        Collide
    }
}

impl std::hash::Hasher for Collide {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, _: &[u8]) {}
}

/// (e) the key dictionary's lookup, which upgrades its candidates' keys
/// under the lock and names the entry it found by its node, racing the
/// death (and eviction) of the other key with the same hash: `remove`
/// takes exactly its own entry, the dead key's entry is evicted, and
/// every key and value is dropped once.
#[test]
fn key_dictionary_remove_races_eviction_of_a_colliding_key() {
    model(
        "key_dictionary_remove_races_eviction_of_a_colliding_key",
        || {
            let (drops, probes) = (Tally::default(), Tally::default());
            let d: Arc<WeakKeyDictionary<Big, u32, Collide>> =
                Arc::new(WeakKeyDictionary::with_hasher(Collide));
            let kept = Obj::new(Big::new(1, &drops));
            let doomed = Obj::new(Big::new(2, &drops));
            // The doomed key first: it is the first candidate of every probe.
            d.insert(&doomed, 20);
            d.insert(&kept, 10);
            let remover = {
                let (d, probe) = (d.clone(), Big::new(1, &probes));
                thread::spawn(move || {
                    assert_eq!(d.remove(&probe), Some(10));
                    assert_eq!(d.get(&probe), None);
                })
            };
            drop(doomed); // the eviction
            remover.join().unwrap();
            assert_eq!(
                drops.get(),
                1,
                "the dead key was dropped once, the kept one not"
            );
            assert_eq!(d.len(), 0, "the dead key's entry is still in the table");
            drop(kept);
            assert_eq!((drops.get(), probes.get()), (2, 1));
        },
    );
}

/// Polls `f` on this modelled thread, parking between polls (loom's own
/// `block_on` needs its `futures` feature): a wake-up that is lost leaves
/// the thread parked, which loom reports as a deadlock.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: StdArc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(StdArc::new(Unpark(thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

/// (f) `dead()` registered on one thread while another drops the last
/// `Obj`: the registration either finds the object dead (and completes at
/// once) or is found by its death, and the death wakes the waiting thread
/// whichever way the poll and the death interleave: a lost wake-up would
/// leave `block_on` parked for ever, which loom reports as a deadlock.
#[test]
fn dead_registration_races_the_last_drop() {
    model("dead_registration_races_the_last_drop", || {
        let drops = Tally::default();
        let o = Obj::new(Big::new(6, &drops));
        let r = Ref::new(&o);
        let waiter = thread::spawn(move || {
            block_on(r.dead());
            assert!(r.upgrade().is_none(), "dead() completed early");
        });
        drop(o);
        waiter.join().unwrap();
        assert_eq!(drops.get(), 1);
    });
}

/// (f, registered first) a `dead()` future made before the race and
/// polled on another thread while the last `Obj` drops: the poll's waker
/// and the death's wake never miss each other.
#[test]
fn dead_poll_races_the_last_drop() {
    model("dead_poll_races_the_last_drop", || {
        let drops = Tally::default();
        let o = Obj::new(Big::new(7, &drops));
        let dead = Ref::new(&o).dead();
        let waiter = thread::spawn(move || block_on(dead));
        drop(o);
        waiter.join().unwrap();
        assert_eq!(drops.get(), 1);
    });
}

/// A queue value that counts its drops.
struct Value(u32, Tally);

impl Drop for Value {
    fn drop(&mut self) {
        self.1.bump();
    }
}

/// (g) `register` on one thread racing the death on another (whichever
/// drops its `Obj` last kills it): exactly one delivery, the value dropped
/// once, and nothing left registered.
#[test]
fn register_races_death() {
    model("register_races_death", || {
        let (drops, values) = (Tally::default(), Tally::default());
        let queue = Arc::new(DeathQueue::new());
        let o = Obj::new(Big::new(8, &drops));
        let registrar = {
            let (queue, o, values) = (queue.clone(), o.clone(), values.clone());
            thread::spawn(move || {
                queue.register(&o, Value(8, values));
                drop(o);
            })
        };
        drop(o);
        registrar.join().unwrap();
        assert_eq!(drops.get(), 1);
        let delivered = queue.try_recv().expect("the death was not delivered");
        assert_eq!(delivered.0, 8);
        assert!(queue.try_recv().is_none(), "the death was delivered twice");
        assert_eq!(queue.registered(), 0);
        drop(delivered);
        assert_eq!(values.get(), 1);
    });
}

/// (g, cancelled) `cancel` racing the death: exactly one of "cancelled,
/// value back" and "delivered", and the value dropped once.
#[test]
fn cancel_races_death() {
    model("cancel_races_death", || {
        let (drops, values) = (Tally::default(), Tally::default());
        let queue = DeathQueue::new();
        let o = Obj::new(Big::new(9, &drops));
        let registration = queue.register(&o, Value(9, values.clone()));
        let canceller = thread::spawn(move || registration.cancel());
        drop(o);
        let cancelled = canceller.join().unwrap();
        let delivered = queue.try_recv();
        assert!(
            cancelled.is_some() != delivered.is_some(),
            "cancelled and delivered: {}, {}",
            cancelled.is_some(),
            delivered.is_some()
        );
        assert_eq!(queue.registered(), 0);
        drop((cancelled, delivered));
        assert_eq!((drops.get(), values.get()), (1, 1));
    });
}

/// (g, blocking) `recv` waiting while the death is delivered on another
/// thread: the condition variable's wake-up is never lost.
#[test]
fn recv_races_delivery() {
    model("recv_races_delivery", || {
        let (drops, values) = (Tally::default(), Tally::default());
        let queue = Arc::new(DeathQueue::new());
        let o = Obj::new(Big::new(10, &drops));
        queue.register(&o, Value(10, values.clone()));
        let killer = thread::spawn(move || drop(o));
        assert_eq!(queue.recv().0, 10);
        killer.join().unwrap();
        assert_eq!((drops.get(), values.get()), (1, 1));
    });
}

/// (g, async) `recv_async` polled while the death is delivered on another
/// thread: its waker is never lost.
#[test]
fn recv_async_races_delivery() {
    model("recv_async_races_delivery", || {
        let (drops, values) = (Tally::default(), Tally::default());
        let queue = Arc::new(DeathQueue::new());
        let o = Obj::new(Big::new(11, &drops));
        queue.register(&o, Value(11, values.clone()));
        let killer = thread::spawn(move || drop(o));
        assert_eq!(block_on(queue.recv_async()).0, 11);
        killer.join().unwrap();
        assert_eq!((drops.get(), values.get()), (1, 1));
    });
}

/// (g, the queue dropped) the queue dropped on one thread while its
/// object dies on another: the value is dropped exactly once (with the
/// queue, or by the delivery that found it gone, or with the delivered
/// values), and the object's allocation is freed (the leak check): no
/// registration node outlives the race.
#[test]
fn queue_drop_races_death() {
    model("queue_drop_races_death", || {
        let (drops, values) = (Tally::default(), Tally::default());
        let queue = DeathQueue::new();
        let o = Obj::new(Big::new(12, &drops));
        queue.register(&o, Value(12, values.clone()));
        let dropper = thread::spawn(move || {
            // A look under the queue's (modelled) lock first: the queue's
            // `Arc` is std's (loom has no `Weak`), so without it loom would
            // not see this thread touch the queue before its drop and would
            // not explore the drop before the delivery.
            let delivered_first = queue.registered() == 0;
            drop(queue);
            delivered_first
        });
        drop(o);
        let _delivered_first = dropper.join().unwrap();
        assert_eq!((drops.get(), values.get()), (1, 1));
    });
}

/// (e) `get_or_insert_with` from two threads racing a third (here, the
/// main one) that drops the key's current value: the factory runs at most
/// once for the new lifetime (the callers hold what they get until they
/// are joined), every caller gets a live object that is the key's value
/// at some point (the old one or the one made), and both callers that
/// got a made one got the same.
#[test]
fn get_or_insert_with_races_the_death_of_the_value() {
    model_capped("get_or_insert_with_races_the_death_of_the_value", 2, || {
        let (old_drops, new_drops, made, keys) = (
            Tally::default(),
            Tally::default(),
            Tally::default(),
            Tally::default(),
        );
        let d: Arc<WeakValueDictionary<Key, Big>> = Arc::new(WeakValueDictionary::new());
        let old = Obj::new(Big::new(1, &old_drops));
        d.insert(Key::new(0, &keys), &old);
        let callers: Vec<_> = (0..2)
            .map(|_| {
                let (d, key, made, new_drops) = (
                    d.clone(),
                    Key::new(0, &keys),
                    made.clone(),
                    new_drops.clone(),
                );
                thread::spawn(move || {
                    let got = d.get_or_insert_with(key, || {
                        made.bump();
                        Obj::new(Big::new(2, &new_drops))
                    });
                    assert_eq!(drops_of(&got), 0, "a caller got a dropped value");
                    got
                })
            })
            .collect();
        drop(old);
        let got: Vec<Obj<Big>> = callers.into_iter().map(|c| c.join().unwrap()).collect();
        assert!(made.get() <= 1, "the factory ran twice in one lifetime");
        let fresh: Vec<_> = got.iter().filter(|o| o.id == 2).collect();
        assert_eq!(fresh.is_empty(), made.get() == 0);
        assert!(fresh.iter().all(|o| Obj::ptr_eq(o, fresh[0])));
        match fresh.first() {
            Some(o) => assert!(Obj::ptr_eq(&d.get(&Key::new(0, &keys)).unwrap(), o)),
            None => assert_eq!(old_drops.get(), 0, "both got the old one, alive"),
        }
        drop(got);
        assert_eq!(d.len(), 0);
        assert_eq!(keys.get(), 0);
    });
}
