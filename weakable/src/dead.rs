//! Death as a value one can wait for: [`Ref::dead`] and its future,
//! [`Dead`], and [`Keep`], the type-erased registration node that it and
//! [`DeathQueue`](crate::flavor::DeathQueue) are built on, in both
//! flavours.
//!
//! A registration is a ref node with a crate-internal callback (as the
//! weak collections' evictions are: `core::node::Callback`), attached
//! while the referent is held alive, so clearing is sure to find it. The
//! one handle to it is a [`Keep`]: dropping that before the death detaches
//! the node and cancels the callback, exactly as dropping a `Ref` made
//! with a callback does (and, as there, a drop that comes after the death
//! but before clearing reached the node does not cancel it).
//!
//! A `dead()` future and its node's callback share a [`Signal`] through
//! the flavour's shared pointer and lock (`Arc` and a mutex, or `Rc` and a
//! `RefCell`); neither holds the lock while a waker runs or is dropped, so
//! a waker may do anything, in the unsync flavour too (no borrow is ever
//! held across user code, so none can be met again).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::core::node::{Callback, DetachedHandle, NodeHandle, RefTag};
use crate::core::slot::attach_node;
use crate::obj::Obj;
use crate::reference::Ref;
use crate::rt::flavor::sealed::{Lock, SharedPtr};
use crate::rt::flavor::{Flavor, Sync};
use crate::traits::WeakRefable;

/// The one handle to a registration's node: keeps its callback due;
/// dropping it before the referent's death unregisters it.
pub(crate) struct Keep<F: Flavor = Sync> {
    node: NodeHandle<F>,
}

// SAFETY: (the sync flavour only: an unsync `Keep`, whose node's counts are
// updated without atomics, stays `!Send`, as `NodeHandle` is.) A `Keep` is
// never read: all it can do is be dropped, which releases one count on its
// node, a sync-flavour node (atomic counts, an atomic list lock). For the
// last count that unlinks the node under the referent's slot lock, drops
// the node's data (`()`) and its callback (`Send` in the sync flavour: the
// makers of a `Keep` see to it, as `Keep::attach` says, and
// `callbacks_are_send` checks), and releases the node's weak count of the
// referent's allocation, which may free that memory: by then the value has
// been dropped (the weak count reaches zero only after it is), and freeing
// only deallocates. No `T` is reached, so unlike `Ref` and `AnyRef`, which
// hand out an `Obj<T>`, a `Keep` needs no `T: Send + Sync`.
unsafe impl Send for Keep<Sync> {}
// SAFETY: `&Keep` gives access to nothing.
unsafe impl core::marker::Sync for Keep<Sync> {}

impl<F: Flavor> Keep<F> {
    /// Attaches a node to the live object `obj` whose `callback` runs once
    /// when `obj` dies, unless this `Keep` is dropped first.
    ///
    /// In the sync flavour `callback` must be `Send` (it runs on the thread
    /// where `obj` dies, and `Keep<Sync>`'s `Send` relies on it). Generic
    /// code cannot state that bound (whether an `Arc` of the callback's
    /// state is `Send` follows from the state's contents only once `F` is
    /// known), so the makers do, as the collections' evictors do: the two
    /// callbacks are [`WakeOnDeath`], which holds a waker slot (`Send`),
    /// and the queue's `Deliver<X>`, made only by `DeathQueue::register`,
    /// whose `X: Sendable<F>` is `Send` there; `callbacks_are_send` checks
    /// both.
    pub(crate) fn attach<T, C>(obj: &Obj<T, F>, callback: C) -> Keep<F>
    where
        T: ?Sized + WeakRefable,
        C: Callback<(), F>,
    {
        Keep {
            node: attach_node::<(), C, RefTag, F>(obj, (), Some(callback)),
        }
    }
}

impl<F: Flavor> fmt::Debug for Keep<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keep({:p})", self.node.ptr())
    }
}

/// What a [`Dead`] future and its node's callback share: the state behind
/// the flavour's lock, in the flavour's shared pointer.
type Signal<F> = <F as Flavor>::Shared<<F as Flavor>::Lock<SignalState>>;

struct SignalState {
    /// Set once, by the callback, under the lock.
    fired: bool,
    /// The waker of the last poll that found `fired` false.
    waker: Option<Waker>,
}

/// The callback of a `dead()` registration: marks it fired and wakes the
/// last poller.
struct WakeOnDeath<F: Flavor>(Signal<F>);

impl<F: Flavor> Callback<(), F> for WakeOnDeath<F> {
    fn call(self, node: DetachedHandle<F>) {
        let waker = {
            let mut state = self.0.lock();
            state.fired = true;
            state.waker.take()
        };
        drop(node);
        // Outside the lock: a waker may run anything (in the unsync
        // flavour, poll this very future again).
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

// Never called: type-checking it is the check that the sync flavour's
// registration callbacks are `Send`, which `Keep<Sync>`'s `Send` relies on
// (see `Keep::attach`).
#[allow(dead_code)]
fn callbacks_are_send<X: Send>() {
    fn send<V: Send>() {}
    send::<WakeOnDeath<Sync>>();
    send::<crate::death_queue::Deliver<X, Sync>>();
}

/// A future that completes when a ref's referent dies: what
/// [`Ref::dead`] returns, in flavour `F` (by default sync:
/// `weakable::Dead`; `weakable::unsync::Dead` for the unsync flavour).
///
/// It holds no strong handle, only a registration on the object (one of
/// the refs [`getweakrefcount`](crate::getweakrefcount) counts): dropping
/// the future unregisters it. It completes at once if the referent was
/// already dead when [`Ref::dead`] was called. Once complete, polling it
/// again returns `Ready` again.
///
/// It needs no async runtime: the object's death wakes the waker of the
/// last poll, on the thread where the object dies, after the death's other
/// callbacks registered later (callbacks run newest first) and before the
/// object's value is dropped. The sync flavour's is `Send + 'static`; the
/// unsync flavour's is `'static` and, like its refs, stays on its thread.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Session;
///
/// let session = Obj::new(Session);
/// let mut dead = pin!(Ref::new(&session).dead());
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(dead.as_mut().poll(&mut cx).is_pending());
/// drop(session);
/// assert!(dead.as_mut().poll(&mut cx).is_ready());
/// ```
#[must_use = "futures do nothing unless polled; dropping this one unregisters it"]
pub struct Dead<F: Flavor = Sync> {
    /// `None` once the referent is known to be dead.
    waiting: Option<Waiting<F>>,
}

struct Waiting<F: Flavor> {
    /// Dropped first: the registration goes before the signal.
    _keep: Keep<F>,
    signal: Signal<F>,
}

// Nothing is pinned structurally: `poll` moves nothing out of place, and
// the fields (a node handle, a shared pointer) are `Unpin` in both
// flavours, which generic code cannot see through `Flavor::Shared`.
impl<F: Flavor> Unpin for Dead<F> {}

impl<T: ?Sized + WeakRefable, X, F: Flavor> Ref<T, X, F> {
    /// A future that completes when this ref's referent dies, at once if
    /// it is already dead.
    ///
    /// The future holds no strong handle to the object and is `'static`
    /// whatever `T` is; in the sync flavour it is `Send` too. It registers
    /// while this call holds the object alive for an instant (as
    /// [`upgrade`](Ref::upgrade) does), so a death that comes any time
    /// after this call is never missed; if the other handles went
    /// meanwhile, the object dies when that instant ends, on this thread,
    /// and the future is complete from the start. Dropping the future
    /// unregisters it: the object's [`getweakrefcount`](crate::getweakrefcount)
    /// is back to what it was.
    ///
    /// In the unsync flavour the object dies on the thread that awaits, so
    /// something else on that thread (another task of a local executor, or
    /// the code that polls by hand) drops its last handle, and the death
    /// wakes the waiting task's waker from inside that drop (see
    /// [`unsync::Dead`](crate::unsync::Dead)).
    ///
    /// # Examples
    ///
    /// Close a connection when the session that owns it dies: an async
    /// task selects between its work and `dead()`. With a runtime that is
    /// `tokio::select!`; here, a hand-written poll of both, so that the
    /// example runs without one.
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::sync::mpsc;
    /// use std::task::{Context, Poll, Waker};
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Session;
    ///
    /// /// Serves requests until the session dies, then closes.
    /// async fn serve(owner: Ref<Session>, closed: mpsc::Sender<&'static str>) {
    ///     let mut dead = pin!(owner.dead());
    ///     let mut requests = pin!(std::future::pending::<()>()); // the real work
    ///     std::future::poll_fn(|cx| {
    ///         if dead.as_mut().poll(cx).is_ready() {
    ///             return Poll::Ready(());
    ///         }
    ///         requests.as_mut().poll(cx)
    ///     })
    ///     .await;
    ///     closed.send("connection closed").unwrap();
    /// }
    ///
    /// let session = Obj::new(Session);
    /// let (tx, rx) = mpsc::channel();
    /// let mut task = pin!(serve(Ref::new(&session), tx));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(task.as_mut().poll(&mut cx).is_pending());
    /// drop(session);
    /// assert!(task.as_mut().poll(&mut cx).is_ready());
    /// assert_eq!(rx.try_recv(), Ok("connection closed"));
    /// ```
    pub fn dead(&self) -> Dead<F> {
        let Some(obj) = self.upgrade() else {
            return Dead { waiting: None };
        };
        let signal: Signal<F> = SharedPtr::new(Lock::new(SignalState {
            fired: false,
            waker: None,
        }));
        let keep = Keep::attach(&obj, WakeOnDeath::<F>(signal.clone()));
        drop(obj); // may be the last handle: then the callback ran here
        Dead {
            waiting: Some(Waiting {
                _keep: keep,
                signal,
            }),
        }
    }
}

impl<F: Flavor> Future for Dead<F> {
    type Output = ();

    /// `Ready` once the referent died. Otherwise stores the context's
    /// waker in place of the previous poll's and returns `Pending`; the
    /// death wakes the waker stored last.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(waiting) = &this.waiting else {
            return Poll::Ready(());
        };
        let signal = &waiting.signal;
        {
            let state = signal.lock();
            if state.fired {
                drop(state);
                this.waiting = None;
                return Poll::Ready(());
            }
            if state
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                return Poll::Pending;
            }
        }
        // A new waker: cloned, and the old one dropped, outside the lock
        // (they are the executor's code).
        let new = cx.waker().clone();
        let mut state = signal.lock();
        // Under the lock the callback sets `fired` under: either it has not
        // run yet, and will wake this waker, or we see `fired` now.
        if state.fired {
            drop(state);
            drop(new);
            this.waiting = None;
            return Poll::Ready(());
        }
        let old = state.waker.replace(new);
        drop(state);
        drop(old);
        Poll::Pending
    }
}

impl<F: Flavor> fmt::Debug for Dead<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = match &self.waiting {
            None => true,
            Some(waiting) => waiting.signal.lock().fired,
        };
        f.debug_struct("Dead").field("done", &done).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::sync::{Arc, Barrier};
    use std::task::Waker;
    use std::thread;

    use crate::test_util::{block_on, poll_once, rounds, WakeCount};
    use crate::{weakable_dyn, Obj, Ref, Weakable};

    #[derive(Weakable)]
    struct Thing(u32);

    // What both flavours do alike.
    crate::test_util::in_both_flavours! {
        #[test]
        fn ready_at_once_when_already_dead_and_registers_nothing() {
            let o = flavour::Obj::new(Thing(1));
            let r = flavour::Ref::new(&o);
            drop(o);
            let mut d = pin!(r.dead());
            let (count, waker) = WakeCount::new();
            assert!(poll_once(d.as_mut(), &waker).is_ready());
            assert!(poll_once(d.as_mut(), &waker).is_ready());
            assert_eq!(count.get(), 0);
        }

        #[test]
        fn the_death_wakes_the_last_waker_once() {
            let o = flavour::Obj::new(Thing(2));
            let mut d = pin!(flavour::Ref::new(&o).dead());
            let (first, w1) = WakeCount::new();
            let (second, w2) = WakeCount::new();
            assert!(poll_once(d.as_mut(), &w1).is_pending());
            assert!(poll_once(d.as_mut(), &w2).is_pending());
            drop(o);
            assert_eq!((first.get(), second.get()), (0, 1));
            assert!(poll_once(d.as_mut(), &w2).is_ready());
            assert_eq!(second.get(), 1);
        }

        #[test]
        fn a_future_never_polled_still_sees_the_death() {
            let o = flavour::Obj::new(Thing(3));
            let d = flavour::Ref::new(&o).dead();
            drop(o);
            let mut d = pin!(d);
            assert!(poll_once(d.as_mut(), Waker::noop()).is_ready());
        }

        #[test]
        fn dropping_it_unregisters() {
            let o = flavour::Obj::new(Thing(4));
            let r = flavour::Ref::new(&o);
            assert_eq!(flavour::getweakrefcount(&o), 1);
            let d = r.dead();
            let e = r.dead();
            assert_eq!(flavour::getweakrefcount(&o), 3);
            drop(d);
            assert_eq!(flavour::getweakrefcount(&o), 2);
            let mut e = Box::pin(e);
            assert!(poll_once(e.as_mut(), Waker::noop()).is_pending());
            drop(e); // polled, with a waker stored: the same
            assert_eq!(flavour::getweakrefcount(&o), 1);
        }

        #[test]
        fn debug_says_whether_it_is_done() {
            let o = flavour::Obj::new(Thing(7));
            let d = flavour::Ref::new(&o).dead();
            assert_eq!(format!("{d:?}"), "Dead { done: false }");
            drop(o);
            assert_eq!(format!("{d:?}"), "Dead { done: true }");
        }
    }

    fn assert_send_static<F: Send + 'static>(_: &F) {}

    #[test]
    fn it_is_send_and_static_for_any_referent() {
        #[derive(Weakable)]
        struct NotSend(std::rc::Rc<u8>);
        let o = Obj::new(NotSend(std::rc::Rc::new(5)));
        assert_eq!(*o.0, 5);
        let d = Ref::new(&o).dead();
        assert_send_static(&d);
        let waiter = thread::spawn(move || block_on(d));
        drop(o);
        waiter.join().unwrap();
    }

    #[test]
    fn through_a_trait_object_view() {
        trait Shape: Send + Sync {
            fn sides(&self) -> u32;
        }
        weakable_dyn!(dyn Shape);
        impl Shape for Thing {
            fn sides(&self) -> u32 {
                self.0
            }
        }
        let o: Obj<dyn Shape> = Obj::unsize(Obj::new(Thing(4)));
        let r: Ref<dyn Shape> = Ref::new(&o);
        assert_eq!(r.upgrade().map(|s| s.sides()), Some(4));
        let d = r.dead();
        let waiter = thread::spawn(move || block_on(d));
        drop(o);
        waiter.join().unwrap();
    }

    #[test]
    fn a_death_racing_registration_and_polls_is_never_missed() {
        for _ in 0..rounds(300, 10) {
            let o = Obj::new(Thing(6));
            let r = Ref::new(&o);
            let barrier = Arc::new(Barrier::new(2));
            let b = barrier.clone();
            let waiter = thread::spawn(move || {
                b.wait();
                block_on(r.dead());
                assert!(!r.is_alive());
            });
            barrier.wait();
            drop(o);
            waiter.join().unwrap();
        }
    }
}
