//! Death as data on one thread (issue 16, SPEC "Death as data"), in both
//! flavours (compiled once per flavour, see `main.rs`): `Ref::dead()`
//! completes at once on a dead referent and on the death otherwise, polling
//! again replaces the waker, dropping it unregisters; a `DeathQueue`
//! delivers in death order, each value exactly once, `cancel` gives the
//! value back, dropping the queue drops its registrations and values.
//! Reentrancy: deaths delivered while the queue is drained, callbacks that
//! register, cancel or drop the queue from inside a death, a value's `Drop`
//! and a formatter's writer that use the queue: nothing panics (in the
//! unsync flavour, no `BorrowMutError`), deadlocks (in the sync one), is
//! lost or doubled. Trait-object views, and deaths inside weak collections'
//! evictions. The unsync flavour's own: `Rc` values, and tasks of a local
//! executor. The threaded tests are `death_as_data` (sync only).

use std::fmt::{self, Write as _};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use super::flavour::{
    getweakrefcount, Dead, DeathQueue, Obj, Ref, Registration, WeakKeyDictionary,
    WeakValueDictionary,
};
use super::Shared;
use weakable::{weakable_dyn, Weakable};
use weakable_tests::{block_on, watchdog, DropCounter, DropToken};

/// How long a test that awaits may run before it counts as a lost wake-up.
const LIMIT: Duration = Duration::from_secs(60);

#[derive(Weakable)]
struct Item {
    id: u32,
    _drop: Option<DropToken>,
}

fn item(id: u32) -> Obj<Item> {
    Obj::new(Item { id, _drop: None })
}

fn counted(id: u32, drops: &DropCounter) -> Obj<Item> {
    Obj::new(Item {
        id,
        _drop: Some(drops.token()),
    })
}

/// A waker that counts its wakes.
#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (Arc<Wakes>, Waker) {
    let wakes = Arc::new(Wakes::default());
    (wakes.clone(), Waker::from(wakes))
}

fn wakes(w: &Wakes) -> usize {
    w.0.load(SeqCst)
}

/// Pending once (waking itself), then ready: lets a local executor's other
/// task run.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// Two tasks of a local executor: polls each in turn until both are done.
async fn join(a: impl Future<Output = ()>, b: impl Future<Output = ()>) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let (mut a_done, mut b_done) = (false, false);
    poll_fn(|cx| {
        if !a_done {
            a_done = a.as_mut().poll(cx).is_ready();
        }
        if !b_done {
            b_done = b.as_mut().poll(cx).is_ready();
        }
        if a_done && b_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

// ---- Ref::dead() ----

#[test]
fn dead_completes_at_once_when_the_referent_is_dead() {
    let o = item(1);
    let r = Ref::new(&o);
    drop(o);
    let (w, waker) = counting();
    let mut d = pin!(r.dead());
    let mut cx = Context::from_waker(&waker);
    assert!(d.as_mut().poll(&mut cx).is_ready());
    assert!(d.as_mut().poll(&mut cx).is_ready(), "ready again");
    assert_eq!(wakes(&w), 0);
    assert_eq!(Arc::strong_count(&w), 2, "no waker was kept");
    block_on(r.dead());
    assert_eq!(format!("{:?}", r.dead()), "Dead { done: true }");
}

#[test]
fn dead_completes_when_the_referent_dies_and_the_death_wakes_it() {
    watchdog(LIMIT, || {
        let o = item(2);
        let r = Ref::new(&o);
        let mut o = Some(o);
        let mut d = pin!(r.dead());
        let mut polls = 0;
        // The first poll finds it alive and drops the last handle: only
        // the death's wake-up lets `block_on` poll again.
        block_on(poll_fn(|cx| {
            polls += 1;
            let ready = d.as_mut().poll(cx);
            drop(o.take());
            ready
        }));
        assert_eq!(polls, 2);
        assert!(r.upgrade().is_none());
    });
}

#[test]
fn dead_awaited_by_one_task_while_another_drops_the_object() {
    watchdog(LIMIT, || {
        let o = item(3);
        let r = Ref::new(&o);
        let log = Mutex::new(Vec::new());
        block_on(join(
            async {
                log.lock().unwrap().push("waiting");
                r.dead().await;
                log.lock().unwrap().push("dead");
            },
            async {
                yield_now().await;
                log.lock().unwrap().push("dropping");
                drop(o);
            },
        ));
        assert_eq!(*log.lock().unwrap(), ["waiting", "dropping", "dead"]);
    });
}

#[test]
fn polling_dead_again_replaces_the_waker() {
    let o = item(4);
    let mut d = pin!(Ref::new(&o).dead());
    let (first, w1) = counting();
    let (second, w2) = counting();
    assert!(d.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
    assert!(d.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
    assert_eq!(
        Arc::strong_count(&first),
        3,
        "the same waker is stored once"
    );
    assert!(d.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
    assert_eq!(Arc::strong_count(&first), 2, "the old waker was dropped");
    drop(o);
    assert_eq!((wakes(&first), wakes(&second)), (0, 1));
    assert!(d.as_mut().poll(&mut Context::from_waker(&w2)).is_ready());
    assert_eq!(Arc::strong_count(&second), 2, "the woken waker is not kept");
}

#[test]
fn dropping_dead_unregisters_whether_polled_or_not() {
    let o = item(5);
    let r = Ref::new(&o);
    let before = getweakrefcount(&o);
    let d = r.dead();
    assert_eq!(getweakrefcount(&o), before + 1);
    drop(d);
    assert_eq!(getweakrefcount(&o), before);

    let (w, waker) = counting();
    let mut d = Box::pin(r.dead());
    assert!(d
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    assert_eq!(getweakrefcount(&o), before + 1);
    drop(d);
    assert_eq!(getweakrefcount(&o), before);
    assert_eq!(Arc::strong_count(&w), 2, "its waker was dropped with it");
    drop(o);
    assert_eq!(wakes(&w), 0, "an unregistered future is never woken");
}

#[test]
fn dead_through_a_trait_object_view() {
    trait Shape: Send + Sync {
        fn sides(&self) -> u32;
    }
    weakable_dyn!(dyn Shape);
    impl Shape for Item {
        fn sides(&self) -> u32 {
            self.id
        }
    }
    let o: Obj<dyn Shape> = Obj::unsize(item(4));
    let r: Ref<dyn Shape> = Ref::new(&o);
    assert_eq!(r.upgrade().map(|s| s.sides()), Some(4));
    let mut d = pin!(r.dead());
    let q = DeathQueue::new();
    q.register(&o, o.sides());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(d.as_mut().poll(&mut cx).is_pending());
    drop(o);
    assert!(d.as_mut().poll(&mut cx).is_ready());
    assert_eq!(q.try_recv(), Some(4));
}

/// Death callbacks beside a `dead()` registration read, poll and drop the
/// future during the death: before its own callback runs (registered
/// later, so run earlier) and after.
#[test]
fn dead_read_polled_and_dropped_from_callbacks_of_the_same_death() {
    let o = item(6);
    let r = Ref::new(&o);
    let seen = Shared::new(Mutex::new(Vec::new()));
    let after: Shared<Mutex<Option<Dead>>> = Shared::new(Mutex::new(None));
    let (s, a) = (seen.clone(), after.clone());
    // Made before the future: runs after its callback.
    let _late = Ref::with_callback(&o, move |_| {
        let d = a.lock().unwrap().take().unwrap();
        s.lock().unwrap().push(format!("after: {d:?}"));
        let mut d = pin!(d);
        let ready = d.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        s.lock().unwrap().push(format!("after: {ready:?}"));
    });
    *after.lock().unwrap() = Some(r.dead());
    let before: Shared<Mutex<Option<Dead>>> = Shared::new(Mutex::new(Some(r.dead())));
    let (s, b) = (seen.clone(), before.clone());
    // Made after both futures: runs before their callbacks.
    let _early = Ref::with_callback(&o, move |_| {
        let d = b.lock().unwrap().take().unwrap();
        s.lock().unwrap().push(format!("before: {d:?}"));
        drop(d); // during the death: its callback still runs, harmlessly
    });
    assert_eq!(getweakrefcount(&o), 5);
    drop(o);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "before: Dead { done: false }",
            "after: Dead { done: true }",
            "after: Ready(())",
        ]
    );
}

// ---- DeathQueue ----

#[test]
fn a_queue_delivers_in_death_order_each_value_exactly_once() {
    let values = DropCounter::new();
    let q = DeathQueue::new();
    let mut objs: Vec<_> = (0..6).map(|i| Some(item(i))).collect();
    for o in objs.iter().flatten() {
        q.register(o, (o.id, values.token()));
    }
    assert_eq!((q.registered(), q.len(), q.is_empty()), (6, 0, true));
    for i in [3, 0, 5, 1, 4, 2] {
        objs[i] = None;
    }
    assert_eq!((q.registered(), q.len(), q.is_empty()), (0, 6, false));
    let got: Vec<u32> = std::iter::from_fn(|| q.try_recv())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(got, [3, 0, 5, 1, 4, 2]);
    assert!(q.try_recv().is_none() && q.is_empty());
    assert_eq!(values.count(), 6, "each value once, no more");
}

#[test]
fn an_object_registered_twice_and_in_two_queues() {
    let (q1, q2) = (DeathQueue::new(), DeathQueue::new());
    let o = item(1);
    q1.register(&o, "first");
    q1.register(&o, "second");
    q2.register(&o, "other queue");
    assert_eq!(getweakrefcount(&o), 3);
    drop(o);
    assert_eq!(q1.try_recv(), Some("second"), "newest first, as callbacks");
    assert_eq!(q1.try_recv(), Some("first"));
    assert_eq!(q2.try_recv(), Some("other queue"));
    assert_eq!((q1.try_recv(), q2.try_recv()), (None, None));
}

#[test]
fn cancel_gives_the_value_back_once_and_unregisters() {
    let values = DropCounter::new();
    let q = DeathQueue::new();
    let (a, b, c) = (item(1), item(2), item(3));
    let ra = q.register(&a, (1, values.token()));
    let rb = q.register(&b, (2, values.token()));
    let rc = q.register(&c, (3, values.token()));
    assert_eq!(format!("{q:?}"), "DeathQueue { ready: 0, registered: 3 }");
    let (i, token) = ra.cancel().expect("not delivered: given back");
    assert_eq!(i, 1);
    assert_eq!(getweakrefcount(&a), 0);
    assert_eq!(values.count(), 0, "given back, not dropped");
    drop(token);
    drop(a);
    drop(b);
    assert!(rb.cancel().is_none(), "already delivered");
    assert_eq!(q.try_recv().map(|(i, _)| i), Some(2));
    assert!(q.try_recv().is_none(), "nothing from the cancelled one");
    drop(q);
    assert!(rc.cancel().is_none(), "the queue is gone, and dropped it");
    assert_eq!(values.count(), 3);
    assert_eq!(getweakrefcount(&c), 0);
}

#[test]
fn dropping_a_registration_keeps_it() {
    let q = DeathQueue::new();
    let o = item(1);
    drop(q.register(&o, 1));
    assert_eq!(q.registered(), 1);
    drop(o);
    assert_eq!(q.try_recv(), Some(1));
}

#[test]
fn dropping_the_queue_drops_its_registrations_and_values() {
    let values = DropCounter::new();
    let objects = DropCounter::new();
    let q = DeathQueue::new();
    let kept: Vec<_> = (0..3).map(|i| counted(i, &objects)).collect();
    for o in &kept {
        q.register(o, values.token());
    }
    let dead = counted(9, &objects);
    q.register(&dead, values.token());
    drop(dead); // delivered, never received
    assert_eq!((values.count(), objects.count()), (0, 1));
    drop(q);
    assert_eq!(values.count(), 4);
    for o in &kept {
        assert_eq!(getweakrefcount(o), 0, "no registration left behind");
    }
    drop(kept); // their deaths find nothing to deliver to
    assert_eq!((values.count(), objects.count()), (4, 4));
}

#[test]
fn recv_async_under_a_local_executor() {
    watchdog(LIMIT, || {
        let q = DeathQueue::new();
        let objs: Vec<_> = (0..5).map(item).collect();
        for o in &objs {
            q.register(o, o.id);
        }
        let got = Mutex::new(Vec::new());
        block_on(join(
            async {
                for _ in 0..5 {
                    let v = q.recv_async().await;
                    got.lock().unwrap().push(v);
                }
            },
            async {
                for o in objs.into_iter().rev() {
                    yield_now().await;
                    drop(o);
                }
            },
        ));
        assert_eq!(*got.lock().unwrap(), [4, 3, 2, 1, 0]);
    });
}

#[test]
fn recv_async_polled_again_replaces_its_waker_and_dropped_keeps_none() {
    let q = DeathQueue::new();
    let o = item(1);
    q.register(&o, 'o');
    let (first, w1) = counting();
    let (second, w2) = counting();
    {
        let mut f = pin!(q.recv_async());
        assert!(f.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
        assert!(f.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
        assert_eq!(Arc::strong_count(&first), 2, "replaced, and dropped");
        assert_eq!(Arc::strong_count(&second), 3);
    }
    assert_eq!(
        Arc::strong_count(&second),
        2,
        "a dropped receiver keeps none"
    );
    drop(o);
    assert_eq!((wakes(&first), wakes(&second)), (0, 0));
    assert_eq!(q.try_recv(), Some('o'), "a dropped receiver took nothing");
}

#[test]
fn a_queue_through_a_trait_object_view() {
    trait Named: Send + Sync {
        fn name(&self) -> String;
    }
    weakable_dyn!(dyn Named);
    impl Named for Item {
        fn name(&self) -> String {
            format!("item {}", self.id)
        }
    }
    let q = DeathQueue::new();
    let o: Obj<dyn Named> = Obj::unsize(item(7));
    let reg = q.register(&o, o.name());
    let p: Obj<dyn Named> = Obj::unsize(item(8));
    q.register(&p, p.name());
    assert_eq!(reg.cancel().as_deref(), Some("item 7"));
    drop((o, p));
    assert_eq!(q.try_recv().as_deref(), Some("item 8"));
    assert!(q.try_recv().is_none());
}

// ---- reentrancy ----

/// Each value owns the next object of a chain: receiving and dropping a
/// value kills the next object, whose death is delivered while the loop
/// drains the queue, and received by the same loop.
#[test]
fn deaths_delivered_while_the_queue_is_drained() {
    let q = DeathQueue::new();
    let mut next: Option<Obj<Item>> = None;
    for i in (0..5).rev() {
        let o = item(i);
        q.register(&o, (i, next.take()));
        next = Some(o);
    }
    drop(next); // object 0 dies
    let mut got = Vec::new();
    while let Some((i, owned)) = q.try_recv() {
        got.push(i);
        drop(owned); // the next death is delivered here
        assert_eq!(q.len(), usize::from(i < 4));
    }
    assert_eq!(got, [0, 1, 2, 3, 4]);
    assert_eq!(q.registered(), 0);
}

/// A death callback cancels the dying object's own registration (dead, not
/// yet delivered: the cancel wins), cancels another, registers a third
/// object and reads the queue, all from inside the death.
#[test]
fn a_callback_registers_and_cancels_from_inside_a_death() {
    let q = Shared::new(DeathQueue::new());
    let (o, other, later) = (item(1), item(2), item(3));
    let reg_other: Shared<Mutex<Option<Registration<&str>>>> =
        Shared::new(Mutex::new(Some(q.register(&other, "other"))));
    let reg_o = Shared::new(Mutex::new(Some(q.register(&o, "o"))));
    let log = Shared::new(Mutex::new(Vec::new()));
    let (q2, later2, log2) = (q.clone(), later.clone(), log.clone());
    // Made after the registration: runs before its delivery.
    let _r = Ref::with_callback(&o, move |_| {
        let mut log = log2.lock().unwrap();
        log.push(format!(
            "{:?}",
            reg_o.lock().unwrap().take().unwrap().cancel()
        ));
        log.push(format!(
            "{:?}",
            reg_other.lock().unwrap().take().unwrap().cancel()
        ));
        q2.register(&later2, "later");
        log.push(format!("{:?} {}", q2.try_recv(), q2.registered()));
    });
    drop(o);
    assert_eq!(
        *log.lock().unwrap(),
        ["Some(\"o\")", "Some(\"other\")", "None 1"]
    );
    assert!(
        q.try_recv().is_none(),
        "the cancelled death is not delivered"
    );
    assert_eq!(getweakrefcount(&other), 0);
    drop((other, later));
    assert_eq!(q.try_recv(), Some("later"));
}

/// A death callback drops the queue, after the death's delivery (the value
/// goes with the queue) or before it (the delivery finds the queue gone):
/// either way the value is dropped exactly once.
#[test]
fn the_queue_dropped_from_inside_a_death() {
    for queue_first in [true, false] {
        let values = DropCounter::new();
        let slot: Shared<Mutex<Option<DeathQueue<DropToken>>>> =
            Shared::new(Mutex::new(Some(DeathQueue::new())));
        let o = item(1);
        let register = || {
            let guard = slot.lock().unwrap();
            guard.as_ref().unwrap().register(&o, values.token());
        };
        let s = slot.clone();
        let drop_queue = move |_: &Ref<Item>| {
            let q = s.lock().unwrap().take().unwrap();
            // Run newest first: the delivery came first if the callback
            // was made first.
            assert_eq!(q.len(), usize::from(queue_first));
            drop(q);
        };
        // Callbacks run newest first.
        let _r = if queue_first {
            let r = Ref::with_callback(&o, drop_queue);
            register();
            r
        } else {
            register();
            Ref::with_callback(&o, drop_queue)
        };
        assert_eq!(values.count(), 0);
        drop(o);
        assert_eq!(values.count(), 1, "queue_first: {queue_first}");
        assert!(slot.lock().unwrap().is_none());
    }
}

/// A value's `Drop` registers in the queue and receives from it.
#[test]
fn a_value_drop_uses_its_queue() {
    struct Reenter {
        queue: Shared<DeathQueue<Option<Reenter>>>,
        spare: Obj<Item>,
    }
    impl Drop for Reenter {
        fn drop(&mut self) {
            self.queue.register(&self.spare, None);
            assert!(self.queue.try_recv().is_none());
        }
    }
    let q = Shared::new(DeathQueue::new());
    let (o, spare) = (item(1), item(2));
    q.register(
        &o,
        Some(Reenter {
            queue: q.clone(),
            spare: spare.clone(),
        }),
    );
    drop(o);
    assert_eq!(q.len(), 1);
    drop(q.try_recv()); // runs Reenter's drop
    assert_eq!(q.registered(), 1);
    drop(spare);
    assert!(matches!(q.try_recv(), Some(None)));
    assert_eq!(q.registered(), 0);
    // The queue's values hold clones of it: a cycle only receiving breaks,
    // and receiving just did.
    assert_eq!(Shared::strong_count(&q), 1);
}

/// `Debug` writes to the caller's writer, which may use the queue.
#[test]
fn a_queue_formatted_into_a_writer_that_uses_it() {
    struct Reentrant<'q> {
        queue: &'q DeathQueue<u32>,
        out: String,
    }
    impl fmt::Write for Reentrant<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let _ = (self.queue.try_recv(), self.queue.registered());
            self.out.push_str(s);
            Ok(())
        }
    }
    let q = DeathQueue::new();
    let o = item(1);
    q.register(&o, 1);
    let mut w = Reentrant {
        queue: &q,
        out: String::new(),
    };
    write!(w, "{q:?}").unwrap();
    assert_eq!(w.out, "DeathQueue { ready: 0, registered: 1 }");
}

// ---- inside weak collections ----

/// The dictionary's key owns the only handle to a registered object:
/// when the value dies, the eviction drops the key, and that death is
/// delivered (and a `dead()` future woken) from inside the eviction.
#[test]
fn delivered_from_inside_a_weak_value_dictionarys_eviction() {
    struct Key {
        id: u32,
        _owned: Obj<Item>,
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
    let q = DeathQueue::new();
    let owned = item(7);
    q.register(&owned, "key's object");
    let mut dead = pin!(Ref::new(&owned).dead());
    let (w, waker) = counting();
    assert!(dead
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    let d: WeakValueDictionary<Key, Item> = WeakValueDictionary::new();
    let value = item(1);
    d.insert(
        Key {
            id: 1,
            _owned: owned,
        },
        &value,
    );
    drop(value); // evicts the entry, dropping its key
    assert!(d.is_empty());
    assert_eq!(wakes(&w), 1);
    assert_eq!(q.try_recv(), Some("key's object"));
    assert!(dead
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_ready());
}

/// A weak-keyed value owns a registered object: the key's death evicts
/// the entry and drops the value, whose object's death is delivered; a
/// death callback running beside the eviction registers a new object and
/// makes a `dead()` future, in the same death.
#[test]
fn inside_and_beside_a_weak_key_dictionarys_eviction() {
    #[derive(Weakable, PartialEq, Eq, Hash)]
    struct Key(u32);

    let q = Shared::new(DeathQueue::new());
    let d: WeakKeyDictionary<Key, Obj<Item>> = WeakKeyDictionary::new();
    let key = Obj::new(Key(1));
    let owned = item(2);
    q.register(&owned, "value's object");
    d.insert(&key, owned);
    let made = Shared::new(Mutex::new(None));
    let (q2, made2) = (q.clone(), made.clone());
    let _r = Ref::with_callback(&key, move |_| {
        let during = item(3);
        q2.register(&during, "made during the death");
        let dead = Ref::new(&during).dead();
        *made2.lock().unwrap() = Some(dead);
        drop(during); // dies here, inside the key's death
    });
    drop(key);
    assert!(d.is_empty());
    // The callback (newest) ran before the eviction.
    assert_eq!(q.try_recv(), Some("made during the death"));
    assert_eq!(q.try_recv(), Some("value's object"));
    let dead = made.lock().unwrap().take().unwrap();
    block_on(dead);
}

super::sync_only! {
    /// The sync flavour's futures and queues cross threads.
    #[test]
    fn sync_dead_is_send_and_static_and_the_queue_send_and_sync() {
        fn send_static<T: Send + 'static>() {}
        fn send_sync<T: Send + Sync>() {}
        send_static::<Dead>();
        send_sync::<DeathQueue<String>>();
        send_sync::<Registration<String>>();
    }

    /// A waker uses the queue when a delivery wakes it, and drops the
    /// `dead()` future that is waking it: no lock is held then.
    #[test]
    fn a_waker_uses_the_queue_and_drops_its_future_when_woken() {
        struct Reenter {
            queue: Arc<DeathQueue<u32>>,
            future: Mutex<Option<std::pin::Pin<Box<Dead>>>>,
            seen: Mutex<Vec<String>>,
        }
        impl Wake for Reenter {
            fn wake(self: Arc<Self>) {
                let q = &self.queue;
                let state = format!("{q:?}");
                let got = q.try_recv();
                self.seen.lock().unwrap().push(format!("{state} {got:?}"));
                let future = self.future.lock().unwrap().take();
                drop(future);
            }
        }
        watchdog(LIMIT, || {
            let queue = Arc::new(DeathQueue::new());
            let (a, b) = (item(1), item(2));
            queue.register(&a, 1);
            let waker = Arc::new(Reenter {
                queue: queue.clone(),
                future: Mutex::new(Some(Box::pin(Ref::new(&b).dead()))),
                seen: Mutex::new(Vec::new()),
            });
            let w = Waker::from(waker.clone());
            let mut cx = Context::from_waker(&w);
            let mut next = pin!(queue.recv_async());
            assert!(next.as_mut().poll(&mut cx).is_pending());
            let polled = waker.future.lock().unwrap().as_mut().unwrap().as_mut().poll(&mut cx);
            assert!(polled.is_pending());
            drop(b); // wakes the `dead()` future's waker, which drops it
            assert!(waker.future.lock().unwrap().is_none());
            drop(a); // wakes `next`'s waker, which takes the value
            assert!(next.as_mut().poll(&mut cx).is_pending(), "the waker took it");
            assert_eq!(
                *waker.seen.lock().unwrap(),
                [
                    "DeathQueue { ready: 0, registered: 1 } None",
                    "DeathQueue { ready: 1, registered: 0 } Some(1)",
                ]
            );
        });
    }
}

super::unsync_only! {
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Values that are not `Send`: `Rc`s, counted by their strong count.
    #[test]
    fn rc_values_registered_cancelled_delivered_and_dropped_with_the_queue() {
        let token = Rc::new("token");
        let q: DeathQueue<Rc<&str>> = DeathQueue::new();
        let objs: Vec<_> = (0..4).map(item).collect();
        let regs: Vec<_> = objs.iter().map(|o| q.register(o, token.clone())).collect();
        assert_eq!(Rc::strong_count(&token), 5);
        let mut regs = regs.into_iter();
        let back = regs.next().unwrap().cancel().unwrap();
        assert!(Rc::ptr_eq(&back, &token));
        drop(back);
        assert_eq!(Rc::strong_count(&token), 4);
        let mut objs = objs.into_iter().skip(1);
        drop(objs.next()); // delivered
        assert!(q.try_recv().is_some_and(|v| Rc::ptr_eq(&v, &token)));
        assert_eq!(Rc::strong_count(&token), 3);
        drop(objs.next()); // delivered, never received
        drop(q); // the last registration's value and the unreceived one
        assert_eq!(Rc::strong_count(&token), 1);
        let left: Vec<_> = objs.collect();
        assert_eq!(getweakrefcount(&left[0]), 0);
        assert!(regs.all(|r| r.cancel().is_none()));
    }

    /// A task holding `Rc` state awaits a death and then a queue's values,
    /// while another task of the same executor does the dropping.
    #[test]
    fn tasks_with_rc_state_await_deaths_under_a_local_executor() {
        watchdog(LIMIT, || {
            let log: Rc<RefCell<Vec<String>>> = Rc::default();
            let q: DeathQueue<Rc<str>> = DeathQueue::new();
            let window = item(1);
            let tabs: Vec<_> = (2..4).map(item).collect();
            for t in &tabs {
                q.register(t, format!("tab {}", t.id).into());
            }
            let r = Ref::new(&window);
            let sink = log.clone();
            block_on(join(
                async {
                    r.dead().await;
                    sink.borrow_mut().push("window closed".into());
                    for _ in 0..2 {
                        let tab = q.recv_async().await;
                        sink.borrow_mut().push(tab.to_string());
                    }
                },
                async {
                    yield_now().await;
                    drop(window);
                    for t in tabs {
                        yield_now().await;
                        drop(t);
                    }
                },
            ));
            assert_eq!(*log.borrow(), ["window closed", "tab 2", "tab 3"]);
        });
    }

    /// Callbacks capturing `Rc`s (the queue itself, in an `Rc`) register,
    /// receive and cancel during a chain of deaths: no borrow is held.
    #[test]
    fn rc_callbacks_use_the_queue_during_a_chain_of_deaths() {
        let q: Rc<DeathQueue<Rc<RefCell<Vec<u32>>>>> = Rc::new(DeathQueue::new());
        let seen: Rc<RefCell<Vec<u32>>> = Rc::default();
        let mut refs = Vec::new();
        let mut next: Option<Obj<Item>> = None;
        for i in (0..4).rev() {
            let o = item(i);
            let (q2, seen2, owned) = (q.clone(), seen.clone(), RefCell::new(next.take()));
            refs.push(Ref::with_callback(&o, move |_| {
                // Receives this death's value, delivered just before (the
                // registration is newer), then lets the next object die,
                // from inside this one's death.
                while let Some(v) = q2.try_recv() {
                    v.borrow_mut().push(i);
                }
                seen2.borrow_mut().push(100 + i);
                drop(owned.borrow_mut().take());
            }));
            q.register(&o, seen.clone());
            next = Some(o);
        }
        drop(next);
        assert_eq!(*seen.borrow(), [0, 100, 1, 101, 2, 102, 3, 103]);
        assert!(q.try_recv().is_none());
        assert_eq!(q.registered(), 0);
    }
}
