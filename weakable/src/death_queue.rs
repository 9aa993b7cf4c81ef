//! `DeathQueue<X, F>`: deaths delivered as values, to be received on a
//! thread of the program's choosing (Java's `ReferenceQueue`, JavaScript's
//! `FinalizationRegistry`), or, in the unsync flavour, at a point of the
//! program's choosing.
//!
//! # Design
//!
//! The queue's shared state (in the flavour's shared pointer, `Arc` or
//! `Rc`) is one lock (a mutex, or a `RefCell`) around the values delivered
//! and not yet received, in death order, and the registrations still waiting
//! for a death, by id: each holds its value and the [`Keep`] of its node.
//! A registration's node callback ([`Deliver`]) holds the id and a weak
//! pointer to the state. Whichever of the death's delivery and
//! [`Registration::cancel`] takes the registration out of the map first,
//! under the mutex, gets the value: it is delivered or given back, exactly
//! once. Ids are never reused, so a delivery that comes late (a
//! registration cancelled after its object died but before clearing reached
//! its node still fires) finds nothing and does nothing.
//!
//! The state is dropped with the queue (a delivery in progress may hold it
//! an instant longer): the waiting registrations go with it, their nodes
//! unregistered and their values dropped, as are the values not received.
//! Nothing of the user's (a value's `Drop`, a waker) ever runs under the
//! lock, so any of it may use the queue again: in the unsync flavour, no
//! reentrant use can meet the `RefCell` borrowed.

use core::fmt;
use core::future::Future;
use core::hash::{BuildHasherDefault, Hasher};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
#[cfg(feature = "std")]
use std::time::{Duration, Instant};

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use hashbrown::HashMap;

use crate::core::node::{Callback, DetachedHandle};
use crate::dead::Keep;
use crate::obj::Obj;
use crate::rt::flavor::sealed::{Lock, SharedPtr, WeakPtr};
use crate::rt::flavor::{Flavor, Sendable, Sync};
#[cfg(target_has_atomic = "64")]
use crate::rt::{AtomicU64, Ordering};
use crate::traits::WeakRefable;

/// A queue that receives a value for each registered object's death: Java's
/// `ReferenceQueue`, JavaScript's `FinalizationRegistry`.
///
/// [`register`](DeathQueue::register) an object with a value; when the
/// object dies, the value is delivered to the queue, and the program takes
/// it out when and where it chooses ([`try_recv`](DeathQueue::try_recv),
/// [`recv`](DeathQueue::recv), [`recv_timeout`](DeathQueue::recv_timeout),
/// [`recv_async`](DeathQueue::recv_async)), instead of running a callback
/// inside whatever drop killed the object.
///
/// The queue has the flavour `F` of the objects it registers (by default
/// sync: `weakable::DeathQueue`). In the unsync flavour
/// ([`unsync::DeathQueue`](crate::unsync::DeathQueue)) the values need not
/// be `Send` and the queue stays on its thread; it has no blocking `recv`
/// or `recv_timeout`, since with no other thread to deliver a death, a
/// wait on an empty queue could only last for ever: it is drained with
/// `try_recv` at a point of the program's choosing, or awaited with
/// `recv_async` under a local executor.
///
/// The queue keeps each registration alive: there is no handle to hold.
/// The [`Registration`] that `register` returns can only
/// [`cancel`](Registration::cancel) it; dropping it changes nothing.
///
/// # Order and exactly once
///
/// Values arrive in the order of the deaths' deliveries, each exactly
/// once, whatever threads the objects die on: a delivery happens during the
/// object's death, on the thread that dropped its last `Obj`, before the
/// object's value is dropped. Several registrations of one object are
/// delivered newest first, as death callbacks run. A cancellation and a
/// death race for the value: exactly one wins, so the value is either
/// given back by `cancel` or delivered. A cancellation that comes after the
/// object died but before its delivery wins.
///
/// # Dropping the queue
///
/// Cancels every registration still waiting (their objects no longer carry
/// a ref for it) and drops the values of those, and the values delivered
/// but not received. A delivery that was under way on another thread at
/// that moment completes into the queue's state and is dropped with it.
///
/// # Examples
///
/// A UI thread drains the deaths at its own pace instead of having a
/// callback run on whichever worker thread dropped the last handle:
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use weakable::{DeathQueue, Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Document {
///     title: String,
/// }
///
/// let closed: Arc<DeathQueue<String>> = Arc::new(DeathQueue::new());
/// let docs: Vec<Obj<Document>> = ["a.txt", "b.txt"]
///     .iter()
///     .map(|title| {
///         let doc = Obj::new(Document { title: title.to_string() });
///         closed.register(&doc, format!("tab for {}", doc.title));
///         doc
///     })
///     .collect();
///
/// // A worker drops the documents: nothing of the UI's runs on it.
/// thread::spawn(move || drop(docs)).join().unwrap();
///
/// // The UI thread's loop, once per frame:
/// let mut tabs_to_close = Vec::new();
/// while let Some(tab) = closed.try_recv() {
///     tabs_to_close.push(tab);
/// }
/// assert_eq!(tabs_to_close, ["tab for a.txt", "tab for b.txt"]);
/// ```
pub struct DeathQueue<X, F: Flavor = Sync> {
    shared: SharedState<X, F>,
}

/// The registration of one object in a [`DeathQueue`], returned by
/// [`register`](DeathQueue::register): a way to cancel it. It has the
/// queue's flavour `F` (by default sync: `weakable::Registration`).
///
/// Dropping it does not cancel anything: the queue keeps the registration.
///
/// # Examples
///
/// ```
/// use weakable::{DeathQueue, Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Upload;
///
/// let queue = DeathQueue::new();
/// let upload = Obj::new(Upload);
/// let registration = queue.register(&upload, "upload 7 abandoned");
/// // The upload finished properly: its death is no news any more.
/// assert_eq!(registration.cancel(), Some("upload 7 abandoned"));
/// drop(upload);
/// assert_eq!(queue.try_recv(), None);
/// ```
pub struct Registration<X, F: Flavor = Sync> {
    queue: WeakState<X, F>,
    id: u64,
}

/// How a queue holds its state: `Arc` or `Rc`.
type SharedState<X, F> = <F as Flavor>::Shared<Shared<X, F>>;

/// How registrations and deliveries reach it: `sync::Weak` or `rc::Weak`.
type WeakState<X, F> = <SharedState<X, F> as SharedPtr<Shared<X, F>>>::Weak;

struct Shared<X, F: Flavor> {
    inner: F::Lock<Inner<X, F>>,
    /// Signalled when a value is delivered while `Inner::sleepers > 0`: a
    /// condition variable in the sync flavour, nothing in the unsync one,
    /// which has no blocking receive.
    #[cfg(feature = "std")]
    delivered: <F::Lock<Inner<X, F>> as Lock<Inner<X, F>>>::Event,
    /// The next registration's or async receiver's id; never reused.
    #[cfg(target_has_atomic = "64")]
    next_id: AtomicU64,
    /// The same, behind the flavour's lock where the target has no 64-bit
    /// atomics (32-bit microcontrollers): a word would wrap.
    #[cfg(not(target_has_atomic = "64"))]
    next_id: F::Lock<u64>,
}

impl<X, F: Flavor> Shared<X, F> {
    /// A fresh id.
    fn next_id(&self) -> u64 {
        #[cfg(not(target_has_atomic = "64"))]
        {
            let mut next = self.next_id.lock();
            let id = *next;
            *next += 1;
            id
        }
        #[cfg(target_has_atomic = "64")]
        if F::THREADED {
            self.next_id.fetch_add(1, Ordering::Relaxed)
        } else {
            // An unsync queue is neither `Send` nor `Sync` (its state is
            // in an `Rc`): only its thread reaches the counter, so a load
            // and a store will do, as for the unsync flavour's counts.
            let id = self.next_id.load(Ordering::Relaxed);
            self.next_id.store(id + 1, Ordering::Relaxed);
            id
        }
    }
}

struct Inner<X, F: Flavor> {
    /// Delivered, not yet received, in delivery order.
    ready: VecDeque<X>,
    /// Registered, neither delivered nor cancelled.
    waiting: HashMap<u64, Waiting<X, F>, BuildHasherDefault<IdHasher>>,
    /// The wakers of pending `recv_async` futures, by their id: all woken
    /// by each delivery.
    wakers: Vec<(u64, Waker)>,
    /// Threads blocked in `recv` or `recv_timeout` (always 0 in the
    /// unsync flavour).
    #[cfg(feature = "std")]
    sleepers: usize,
}

struct Waiting<X, F: Flavor> {
    value: X,
    keep: Keep<F>,
}

/// Below this capacity the map and the queue are not worth shrinking.
const MIN_SHRINK_CAPACITY: usize = 64;

impl<X, F: Flavor> Inner<X, F> {
    /// Takes registration `id` out of the map, if it is still waiting. Once
    /// three quarters of the map are empty, gives the memory back (halving
    /// at most, so shrinking costs O(1) per removal, amortised): a
    /// registration that was delivered or cancelled costs nothing.
    fn take(&mut self, id: u64) -> Option<Waiting<X, F>> {
        let waiting = self.waiting.remove(&id)?;
        let (len, capacity) = (self.waiting.len(), self.waiting.capacity());
        if capacity > MIN_SHRINK_CAPACITY && len * 4 < capacity {
            self.waiting.shrink_to(len * 2);
        }
        Some(waiting)
    }

    /// For the async receiver `id`: the oldest delivered value, if there
    /// is one, and the receiver's stored waker, taken out (for the caller
    /// to drop after unlocking).
    fn ready_for(&mut self, id: u64) -> Option<(X, Option<Waker>)> {
        let value = self.pop()?;
        let stale = self
            .wakers
            .iter()
            .position(|(w, _)| *w == id)
            .map(|at| self.wakers.swap_remove(at).1);
        Some((value, stale))
    }

    /// The oldest delivered value, shrinking the queue as `take` does the
    /// map.
    fn pop(&mut self) -> Option<X> {
        let value = self.ready.pop_front()?;
        let (len, capacity) = (self.ready.len(), self.ready.capacity());
        if capacity > MIN_SHRINK_CAPACITY && len * 4 < capacity {
            self.ready.shrink_to(len * 2);
        }
        Some(value)
    }
}

/// Hashes the queue's ids, which are distinct counters: a multiply spreads
/// them over the table's buckets and control bytes.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The node callback of a registration: delivers its value. In the sync
/// flavour it is `Send` when `X` is (see `Keep::attach`).
pub(crate) struct Deliver<X, F: Flavor> {
    queue: WeakState<X, F>,
    id: u64,
}

impl<X, F: Flavor> Callback<(), F> for Deliver<X, F> {
    fn call(self, node: DetachedHandle<F>) {
        let Some(shared) = self.queue.upgrade() else {
            return; // the queue was dropped, and the value with it
        };
        let (keep, wakers) = {
            let mut inner = shared.inner.lock();
            let Some(Waiting { value, keep }) = inner.take(self.id) else {
                return; // cancelled after the death, before this delivery
            };
            inner.ready.push_back(value);
            #[cfg(feature = "std")]
            if inner.sleepers > 0 {
                F::Lock::<Inner<X, F>>::notify_all(&shared.delivered);
            }
            (keep, core::mem::take(&mut inner.wakers))
        };
        drop((keep, node));
        for (_, waker) in wakers {
            waker.wake();
        }
    }
}

impl<X, F: Flavor> DeathQueue<X, F> {
    /// An empty queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::DeathQueue;
    ///
    /// let queue: DeathQueue<u32> = DeathQueue::new();
    /// assert!(queue.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        DeathQueue {
            shared: SharedPtr::new(Shared {
                inner: Lock::new(Inner {
                    ready: VecDeque::new(),
                    waiting: HashMap::default(),
                    wakers: Vec::new(),
                    #[cfg(feature = "std")]
                    sleepers: 0,
                }),
                #[cfg(feature = "std")]
                delivered: F::Lock::<Inner<X, F>>::new_event(),
                #[cfg(target_has_atomic = "64")]
                next_id: AtomicU64::new(0),
                #[cfg(not(target_has_atomic = "64"))]
                next_id: Lock::new(0),
            }),
        }
    }

    /// Takes the oldest delivered value, if there is one, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Job;
    ///
    /// let queue = DeathQueue::new();
    /// let (a, b) = (Obj::new(Job), Obj::new(Job));
    /// queue.register(&a, 'a');
    /// queue.register(&b, 'b');
    /// assert_eq!(queue.try_recv(), None);
    /// drop(b);
    /// drop(a);
    /// assert_eq!(queue.try_recv(), Some('b')); // death order
    /// assert_eq!(queue.try_recv(), Some('a'));
    /// assert_eq!(queue.try_recv(), None);
    /// ```
    pub fn try_recv(&self) -> Option<X> {
        self.shared.inner.lock().pop()
    }

    /// A future that takes the oldest delivered value, waiting for one if
    /// there is none: `recv` for async code. It needs no particular
    /// runtime.
    ///
    /// Any number of these futures may wait at once; each delivery wakes
    /// them all, and each value goes to one. Dropping the future gives up
    /// its turn and takes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Poll, Waker};
    /// use weakable::{DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Job;
    ///
    /// let queue = DeathQueue::new();
    /// let job = Obj::new(Job);
    /// queue.register(&job, "job done");
    /// let mut next = pin!(queue.recv_async());
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(next.as_mut().poll(&mut cx).is_pending());
    /// drop(job);
    /// assert_eq!(next.as_mut().poll(&mut cx), Poll::Ready("job done"));
    /// ```
    pub fn recv_async(&self) -> RecvAsync<'_, X, F> {
        RecvAsync {
            queue: self,
            id: None,
        }
    }

    /// The number of values delivered and not yet received.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Job;
    ///
    /// let queue = DeathQueue::new();
    /// queue.register(&Obj::new(Job), ()); // dies at once
    /// assert_eq!(queue.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.inner.lock().ready.len()
    }

    /// Whether no value is waiting to be received.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Job;
    ///
    /// let queue = DeathQueue::new();
    /// let job = Obj::new(Job);
    /// queue.register(&job, ());
    /// assert!(queue.is_empty());
    /// drop(job);
    /// assert!(!queue.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.shared.inner.lock().ready.is_empty()
    }

    /// The number of registrations still waiting for their object's death
    /// (neither delivered nor cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Job;
    ///
    /// let queue = DeathQueue::new();
    /// let (a, b) = (Obj::new(Job), Obj::new(Job));
    /// queue.register(&a, 1);
    /// let rb = queue.register(&b, 2);
    /// assert_eq!(queue.registered(), 2);
    /// drop(a);
    /// rb.cancel();
    /// assert_eq!(queue.registered(), 0);
    /// ```
    pub fn registered(&self) -> usize {
        self.shared.inner.lock().waiting.len()
    }
}

/// The blocking receives: the sync flavour's only. An unsync queue's
/// deaths can only come from its own thread, so a wait on an empty one
/// would last for ever; drain it with [`try_recv`](DeathQueue::try_recv)
/// at a point of the program's choosing, or await
/// [`recv_async`](DeathQueue::recv_async) under a local executor.
/// The blocking receives: in the sync flavour (see above), and with std,
/// which can put a thread to sleep.
#[cfg(feature = "std")]
impl<X> DeathQueue<X, Sync> {
    /// Takes the oldest delivered value, waiting for one if there is none.
    ///
    /// It waits for as long as it takes, forever if no registered object
    /// ever dies; [`recv_timeout`](DeathQueue::recv_timeout) waits at most
    /// a given time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use weakable::{DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Job;
    ///
    /// let queue = DeathQueue::new();
    /// let job = Obj::new(Job);
    /// queue.register(&job, "job done");
    /// thread::spawn(move || drop(job));
    /// assert_eq!(queue.recv(), "job done");
    /// ```
    pub fn recv(&self) -> X {
        let mut inner = self.shared.inner.lock();
        loop {
            if let Some(value) = inner.pop() {
                return value;
            }
            inner.sleepers += 1;
            inner = self.shared.delivered.wait(inner);
            inner.sleepers -= 1;
        }
    }

    /// Takes the oldest delivered value, waiting at most `timeout` for one;
    /// `None` if none came in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weakable::{DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Job;
    ///
    /// let queue = DeathQueue::new();
    /// let job = Obj::new(Job);
    /// queue.register(&job, 1);
    /// assert_eq!(queue.recv_timeout(Duration::from_millis(1)), None);
    /// drop(job);
    /// assert_eq!(queue.recv_timeout(Duration::from_millis(1)), Some(1));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Option<X> {
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return Some(self.recv()); // no deadline this side of the epoch
        };
        let mut inner = self.shared.inner.lock();
        loop {
            if let Some(value) = inner.pop() {
                return Some(value);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            inner.sleepers += 1;
            inner = self.shared.delivered.wait_timeout(inner, left);
            inner.sleepers -= 1;
        }
    }
}

impl<X: Sendable<F> + 'static, F: Flavor> DeathQueue<X, F> {
    /// Registers `obj`: when it dies, `value` is delivered to this queue.
    ///
    /// The queue keeps the registration (it is one of the refs
    /// [`getweakrefcount`](crate::getweakrefcount) counts, until the death
    /// or a cancellation); the returned [`Registration`] can cancel it,
    /// and may be dropped. An object may be registered any number of
    /// times, in any number of queues, through any view (`Obj<dyn Trait>`
    /// too).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{getweakrefcount, DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Socket;
    ///
    /// let queue = DeathQueue::new();
    /// let socket = Obj::new(Socket);
    /// queue.register(&socket, 443_u16);
    /// assert_eq!(getweakrefcount(&socket), 1);
    /// drop(socket);
    /// assert_eq!(queue.try_recv(), Some(443));
    /// ```
    pub fn register<T: ?Sized + WeakRefable>(
        &self,
        obj: &Obj<T, F>,
        value: X,
    ) -> Registration<X, F> {
        let id = self.shared.next_id();
        let queue = SharedPtr::downgrade(&self.shared);
        let deliver = Deliver {
            queue: queue.clone(),
            id,
        };
        // `obj` keeps the object alive until we return: the node cannot
        // fire before its entry is in the map. In the sync flavour
        // `Deliver<X>` is `Send`, as `Keep::attach` asks: `X` is.
        let keep = Keep::attach(obj, deliver);
        self.shared
            .inner
            .lock()
            .waiting
            .insert(id, Waiting { value, keep });
        Registration { queue, id }
    }
}

impl<X, F: Flavor> Default for DeathQueue<X, F> {
    /// An empty queue, as [`DeathQueue::new`].
    fn default() -> Self {
        DeathQueue::new()
    }
}

impl<X, F: Flavor> fmt::Debug for DeathQueue<X, F> {
    /// The numbers of values ready and of registrations waiting.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Read, then unlocked: the formatter writes to the caller's writer.
        let (ready, registered) = {
            let inner = self.shared.inner.lock();
            (inner.ready.len(), inner.waiting.len())
        };
        f.debug_struct("DeathQueue")
            .field("ready", &ready)
            .field("registered", &registered)
            .finish()
    }
}

impl<X, F: Flavor> Registration<X, F> {
    /// Cancels the registration and gives its value back, if its death has
    /// not been delivered yet: `None` if it was (the value is in the
    /// queue, or was received), if it was cancelled already, or if the
    /// queue is gone (it dropped the value).
    ///
    /// Racing the death, exactly one of the two gets the value. A cancel
    /// that comes after the object died but before the queue received its
    /// death wins, and nothing is delivered. Once cancelled, the object no
    /// longer carries the registration's ref.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{getweakrefcount, DeathQueue, Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Lease;
    ///
    /// let queue = DeathQueue::new();
    /// let (a, b) = (Obj::new(Lease), Obj::new(Lease));
    /// let ra = queue.register(&a, "a expired");
    /// let rb = queue.register(&b, "b expired");
    /// assert_eq!(ra.cancel(), Some("a expired"));
    /// assert_eq!(getweakrefcount(&a), 0);
    /// drop(b);
    /// assert_eq!(rb.cancel(), None); // already delivered
    /// assert_eq!(queue.try_recv(), Some("b expired"));
    /// ```
    pub fn cancel(self) -> Option<X> {
        let shared = self.queue.upgrade()?;
        let waiting = shared.inner.lock().take(self.id);
        let Waiting { value, keep } = waiting?;
        drop(keep); // unregisters the node, outside the lock
        Some(value)
    }
}

impl<X, F: Flavor> fmt::Debug for Registration<X, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The future of [`DeathQueue::recv_async`]: the oldest delivered value,
/// once there is one. It has the queue's flavour `F` (by default sync:
/// `weakable::RecvAsync`).
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use weakable::{DeathQueue, Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Job;
///
/// let queue = DeathQueue::new();
/// queue.register(&Obj::new(Job), 5);
/// let mut next = pin!(queue.recv_async());
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(next.as_mut().poll(&mut cx), Poll::Ready(5));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvAsync<'q, X, F: Flavor = Sync> {
    queue: &'q DeathQueue<X, F>,
    /// The id its waker is stored under, once it was polled and waited.
    id: Option<u64>,
}

impl<X, F: Flavor> Future for RecvAsync<'_, X, F> {
    type Output = X;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<X> {
        let this = self.get_mut();
        let shared = &this.queue.shared;
        let id = *this.id.get_or_insert_with(|| shared.next_id());
        {
            let mut inner = shared.inner.lock();
            if let Some((value, stale)) = inner.ready_for(id) {
                drop(inner);
                drop(stale);
                return Poll::Ready(value);
            }
            let stored = inner.wakers.iter().find(|(w, _)| *w == id);
            if stored.is_some_and(|(_, waker)| waker.will_wake(cx.waker())) {
                return Poll::Pending;
            }
        }
        // A new waker: cloned, and the old one dropped, outside the lock
        // (they are the executor's code).
        let new = cx.waker().clone();
        let mut inner = shared.inner.lock();
        // Deliveries take the wakers under this lock: either a value is
        // here now, or the next delivery wakes this waker.
        if let Some((value, stale)) = inner.ready_for(id) {
            drop(inner);
            drop((stale, new));
            return Poll::Ready(value);
        }
        let old = match inner.wakers.iter_mut().find(|(w, _)| *w == id) {
            Some((_, waker)) => Some(core::mem::replace(waker, new)),
            None => {
                inner.wakers.push((id, new));
                None
            }
        };
        drop(inner);
        drop(old);
        Poll::Pending
    }
}

impl<X, F: Flavor> Drop for RecvAsync<'_, X, F> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let mut inner = self.queue.shared.inner.lock();
        let stale = inner
            .wakers
            .iter()
            .position(|(w, _)| *w == id)
            .map(|at| inner.wakers.swap_remove(at));
        drop(inner);
        drop(stale);
    }
}

impl<X, F: Flavor> fmt::Debug for RecvAsync<'_, X, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvAsync").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{Arc, Barrier, Mutex};
    use std::task::{Context, Poll, Waker};
    use std::thread;

    use super::{DeathQueue, Registration};
    #[allow(unused_imports)] // the flavours' locks' `lock`
    use crate::rt::flavor::sealed::Lock as _;
    use crate::test_util::{poll_once, rounds, WakeCount};
    use crate::{Obj, Ref, WeakKeyDictionary, WeakValueDictionary, Weakable};

    #[derive(Weakable, PartialEq, Eq, Hash)]
    struct Thing(u32);

    /// A value that counts its drops.
    struct Token {
        id: u32,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Token {
        fn drop(&mut self) {
            self.drops.fetch_add(1, SeqCst);
        }
    }

    fn token(id: u32, drops: &Arc<AtomicUsize>) -> Token {
        Token {
            id,
            drops: drops.clone(),
        }
    }

    // What both flavours do alike.
    crate::test_util::in_both_flavours! {
        #[test]
        fn deaths_arrive_in_order_each_once() {
            let q = flavour::DeathQueue::new();
            let objs: Vec<_> = (0..5).map(|i| flavour::Obj::new(Thing(i))).collect();
            for o in &objs {
                q.register(o, o.0);
            }
            assert_eq!(q.registered(), 5);
            let mut objs: Vec<_> = objs.into_iter().map(Some).collect();
            for i in [3, 0, 4, 1, 2] {
                objs[i] = None;
            }
            let got: Vec<_> = std::iter::from_fn(|| q.try_recv()).collect();
            assert_eq!(got, [3, 0, 4, 1, 2]);
            assert_eq!(q.registered(), 0);
            assert!(q.is_empty());
        }

        #[test]
        fn registrations_of_one_object_arrive_newest_first_and_leave_no_ref() {
            let q = flavour::DeathQueue::new();
            let o = flavour::Obj::new(Thing(1));
            let r = flavour::Ref::new(&o);
            q.register(&o, "first");
            q.register(&o, "second");
            assert_eq!(flavour::getweakrefcount(&o), 3);
            drop(o);
            assert_eq!(q.try_recv(), Some("second"));
            assert_eq!(q.try_recv(), Some("first"));
            assert!(!r.is_alive());
        }

        #[test]
        fn cancel_gives_the_value_back_and_unregisters() {
            let q = flavour::DeathQueue::new();
            let o = flavour::Obj::new(Thing(1));
            let reg = q.register(&o, String::from("bye"));
            assert_eq!(flavour::getweakrefcount(&o), 1);
            assert_eq!(reg.cancel().as_deref(), Some("bye"));
            assert_eq!(flavour::getweakrefcount(&o), 0);
            assert_eq!(q.registered(), 0);
            drop(o);
            assert_eq!(q.try_recv(), None);
        }

        #[test]
        fn delivered_and_received_entries_give_their_memory_back() {
            let q = flavour::DeathQueue::new();
            let objs: Vec<_> = (0..rounds(1_000, 100) as u32)
                .map(|i| flavour::Obj::new(Thing(i)))
                .collect();
            for o in &objs {
                q.register(o, o.0);
            }
            let peak = q.shared.inner.lock().waiting.capacity();
            drop(objs);
            assert!(q.shared.inner.lock().waiting.capacity() <= 2 * crate::death_queue::MIN_SHRINK_CAPACITY);
            assert!(peak > 2 * crate::death_queue::MIN_SHRINK_CAPACITY || cfg!(miri));
            while q.try_recv().is_some() {}
            assert!(q.shared.inner.lock().ready.capacity() <= 2 * crate::death_queue::MIN_SHRINK_CAPACITY);
        }

        #[test]
        fn dropping_a_registration_keeps_it() {
            let q = flavour::DeathQueue::new();
            let o = flavour::Obj::new(Thing(1));
            drop(q.register(&o, 1));
            drop(o);
            assert_eq!(q.try_recv(), Some(1));
        }

        #[test]
        fn dropping_the_queue_cancels_and_drops_every_value() {
            let drops = Arc::new(AtomicUsize::new(0));
            let q = flavour::DeathQueue::new();
            let (kept, dead) = (flavour::Obj::new(Thing(1)), flavour::Obj::new(Thing(2)));
            let reg = q.register(&kept, token(1, &drops));
            q.register(&dead, token(2, &drops));
            drop(dead); // delivered, never received
            assert_eq!(drops.load(SeqCst), 0);
            drop(q);
            assert_eq!(drops.load(SeqCst), 2);
            assert_eq!(flavour::getweakrefcount(&kept), 0);
            assert!(reg.cancel().is_none());
            drop(kept);
            assert_eq!(drops.load(SeqCst), 2);
        }

        #[test]
        fn values_that_die_into_their_own_queue_when_it_is_dropped() {
            // Each value is the only handle to an object registered in the
            // same queue: dropping the queue kills them, and their deliveries
            // find the queue gone.
            let q = flavour::DeathQueue::new();
            for i in 0..3 {
                let inner = flavour::Obj::new(Thing(i));
                q.register(&inner, None);
                let outer = flavour::Obj::new(Thing(10 + i));
                q.register(&outer, Some(inner));
            }
            drop(q);
        }

        #[test]
        fn each_delivery_wakes_every_async_receiver_and_one_gets_it() {
            let q = flavour::DeathQueue::new();
            let (a, b) = (flavour::Obj::new(Thing(1)), flavour::Obj::new(Thing(2)));
            q.register(&a, 'a');
            q.register(&b, 'b');
            let ((wa, xa), (wb, xb)) = (WakeCount::new(), WakeCount::new());
            let mut fa = pin!(q.recv_async());
            let mut fb = pin!(q.recv_async());
            assert!(poll_once(fa.as_mut(), &xa).is_pending());
            assert!(poll_once(fb.as_mut(), &xb).is_pending());
            // Polling again with the same waker stores it once.
            assert!(poll_once(fa.as_mut(), &xa).is_pending());
            drop(a);
            assert_eq!((wa.get(), wb.get()), (1, 1));
            assert_eq!(poll_once(fb.as_mut(), &xb), Poll::Ready('a'));
            assert!(poll_once(fa.as_mut(), &xa).is_pending());
            drop(b);
            assert_eq!((wa.get(), wb.get()), (2, 1));
            assert_eq!(poll_once(fa.as_mut(), &xa), Poll::Ready('b'));
        }

        #[test]
        fn a_dropped_async_receiver_leaves_no_waker() {
            let q: flavour::DeathQueue<u8> = flavour::DeathQueue::new();
            {
                let mut f = pin!(q.recv_async());
                assert!(poll_once(f.as_mut(), Waker::noop()).is_pending());
                assert_eq!(q.shared.inner.lock().wakers.len(), 1);
            }
            assert_eq!(q.shared.inner.lock().wakers.len(), 0);
        }

        #[test]
        fn through_a_trait_object_view() {
            trait Shape: Send + Sync {
                fn sides(&self) -> u32;
            }
            crate::weakable_dyn!(dyn Shape);
            impl Shape for Thing {
                fn sides(&self) -> u32 {
                    self.0
                }
            }
            let q = flavour::DeathQueue::new();
            let o: flavour::Obj<dyn Shape> = flavour::Obj::unsize(flavour::Obj::new(Thing(3)));
            q.register(&o, o.sides());
            drop(o);
            assert_eq!(q.try_recv(), Some(3));
        }

        #[test]
        fn delivered_from_inside_a_weak_collections_eviction() {
            // The dictionary's key owns the only handle to a registered object:
            // when the value dies, the eviction drops the key, and that death
            // is delivered (and a `dead()` future woken) from inside the
            // eviction.
            struct Key {
                id: u32,
                _owned: flavour::Obj<Thing>,
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
            let q = flavour::DeathQueue::new();
            let owned = flavour::Obj::new(Thing(7));
            q.register(&owned, "key's object");
            let mut dead = Box::pin(flavour::Ref::new(&owned).dead());
            let d: flavour::WeakValueDictionary<Key, Thing> = flavour::WeakValueDictionary::new();
            let value = flavour::Obj::new(Thing(1));
            d.insert(
                Key {
                    id: 1,
                    _owned: owned,
                },
                &value,
            );
            let mut cx = Context::from_waker(Waker::noop());
            assert!(dead.as_mut().poll(&mut cx).is_pending());
            drop(value); // evicts the entry, dropping its key
            assert!(d.is_empty());
            assert_eq!(q.try_recv(), Some("key's object"));
            assert!(dead.as_mut().poll(&mut cx).is_ready());
        }
    }

    #[test]
    fn a_cancel_after_the_death_before_the_delivery_wins() {
        // Callbacks run newest first: the ref's, made after the
        // registration, runs while the object is dead and the
        // registration's delivery is still to come.
        let q = Arc::new(DeathQueue::new());
        let o = Obj::new(Thing(1));
        let reg: Arc<Mutex<Option<Registration<&str>>>> =
            Arc::new(Mutex::new(Some(q.register(&o, "delivered"))));
        let got = Arc::new(Mutex::new(None));
        let (reg2, got2) = (reg.clone(), got.clone());
        let _r = Ref::with_callback(&o, move |_| {
            let reg = reg2.lock().unwrap().take().unwrap();
            *got2.lock().unwrap() = reg.cancel();
        });
        drop(o);
        assert_eq!(*got.lock().unwrap(), Some("delivered"));
        assert_eq!(q.try_recv(), None);
    }

    #[test]
    fn the_queue_may_be_used_inside_deliveries_and_value_drops() {
        struct Reenter(Arc<DeathQueue<Option<Reenter>>>, Obj<Thing>);
        impl Drop for Reenter {
            fn drop(&mut self) {
                // A value's drop registers again and receives.
                self.0.register(&self.1, None);
                let _ = self.0.try_recv();
            }
        }
        let q = Arc::new(DeathQueue::new());
        let o = Obj::new(Thing(1));
        let spare = Obj::new(Thing(2));
        q.register(&o, Some(Reenter(q.clone(), spare.clone())));
        let q2 = q.clone();
        let _r = Ref::with_callback(&o, move |_| {
            assert_eq!(q2.registered(), 1); // not delivered yet: newest first
        });
        drop(o);
        drop(q.try_recv()); // runs Reenter's drop
        assert_eq!(q.registered(), 1);
        drop(spare);
        assert!(q.try_recv().unwrap().is_none());
        assert_eq!(q.registered(), 0);
    }

    /// The blocking receives: std only, since they park the thread.
    #[cfg(feature = "std")]
    mod blocking {
        use std::time::Duration;

        use super::*;

        #[test]
        fn recv_waits_for_a_death_on_another_thread() {
            let q = DeathQueue::new();
            let o = Obj::new(Thing(1));
            q.register(&o, 7);
            let killer = thread::spawn(move || drop(o));
            assert_eq!(q.recv(), 7);
            killer.join().unwrap();
        }

        #[test]
        fn recv_timeout_gives_up_in_time() {
            let q = DeathQueue::new();
            let o = Obj::new(Thing(1));
            q.register(&o, 7);
            assert_eq!(q.recv_timeout(Duration::from_millis(10)), None);
            assert_eq!(q.recv_timeout(Duration::ZERO), None);
            let killer = thread::spawn(move || {
                thread::sleep(Duration::from_millis(5));
                drop(o);
            });
            assert_eq!(q.recv_timeout(Duration::from_secs(60)), Some(7));
            killer.join().unwrap();
        }
    }

    #[test]
    fn beside_weak_collections_and_inside_their_evictions() {
        let q = Arc::new(DeathQueue::new());
        let values: WeakValueDictionary<u32, Thing> = WeakValueDictionary::new();
        let keys: WeakKeyDictionary<Thing, u32> = WeakKeyDictionary::new();
        let o = Obj::new(Thing(1));
        values.insert(1, &o);
        keys.insert(&o, 1);
        q.register(&o, "gone");
        // A callback that runs beside the evictions uses the queue.
        let q2 = q.clone();
        let _r = Ref::with_callback(&o, move |_| {
            let later = Obj::new(Thing(2));
            q2.register(&later, "made during the death");
        });
        drop(o);
        assert!(values.is_empty() && keys.is_empty());
        assert_eq!(q.try_recv(), Some("made during the death"));
        assert_eq!(q.try_recv(), Some("gone"));
    }

    #[test]
    fn cancel_racing_the_death_settles_on_exactly_one() {
        for i in 0..rounds(500, 10) {
            let drops = Arc::new(AtomicUsize::new(0));
            let q = DeathQueue::new();
            let o = Obj::new(Thing(1));
            let reg = q.register(&o, token(i as u32, &drops));
            let barrier = Arc::new(Barrier::new(2));
            let b = barrier.clone();
            let canceller = thread::spawn(move || {
                b.wait();
                reg.cancel()
            });
            barrier.wait();
            drop(o);
            let cancelled = canceller.join().unwrap();
            let delivered = q.try_recv();
            assert!(
                cancelled.is_some() != delivered.is_some(),
                "cancelled: {}, delivered: {}",
                cancelled.is_some(),
                delivered.is_some()
            );
            assert_eq!(cancelled.or(delivered).map(|t| t.id), Some(i as u32));
            assert_eq!(drops.load(SeqCst), 1);
            assert_eq!(q.registered(), 0);
        }
    }
}
