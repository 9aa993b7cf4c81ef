//! Ref nodes: every weak reference is a small allocation that starts with a
//! type-erased [`NodeHead`] (vtable, handle count, referent, cached hash,
//! list links), followed by the ref's data and, if it has one, its
//! callback. `Ref`, `Proxy` and `AnyRef` handles each own one count on a
//! node ([`NodeHandle`]). Nodes do not depend on the view type (`Image` or
//! `dyn Listener`), so one object has one list whatever view its refs were
//! taken through.
//!
//! This layer knows a node's memory and counts; linking nodes into a slot,
//! and what happens when the last count goes, belong to the slot, which
//! builds every node's vtable (`core::slot`).

use alloc::boxed::Box;

use core::marker::PhantomData;
use core::ptr::{self, NonNull};

use crate::core::header::{HeaderPtr, ObjAddr};
use crate::rt::flavor::{Flavor, Sync};
use crate::rt::{AtomicHash, Cell, Count};

/// What a weak reference node is, as `getweakrefs` reports it.
///
/// # Examples
///
/// ```
/// use weakable::{getweakrefs, Obj, Ref, RefKind, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let o = Obj::new(Image);
/// let _r = Ref::new(&o);
/// assert_eq!(getweakrefs(&o)[0].kind(), RefKind::Ref);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefKind {
    /// A [`Ref`](crate::Ref), Python's `weakref.ref`.
    Ref,
    /// A proxy, Python's `weakref.proxy`.
    Proxy,
}

/// The per-type operations of a node, built by the slot for each node type.
pub(crate) struct NodeVTable {
    pub(crate) kind: RefKind,
    /// Cached in the slot's `basic_ref`/`basic_proxy`, never in the list.
    pub(crate) basic: bool,
    pub(crate) has_callback: bool,
    /// What to call it in an unraisable report ("weakref callback").
    pub(crate) what: &'static str,
    /// Runs the callback, consuming one count held by the caller.
    pub(crate) fire: unsafe fn(NonNull<NodeHead>),
    /// Drops the node's data and callback and frees it, then releases its
    /// weak count of the referent. With `unlink`, first takes it out of its
    /// slot's list. Called once, when the node's count is zero.
    pub(crate) destroy: unsafe fn(NonNull<NodeHead>, bool),
    /// Gives back one count on a node with a callback (see
    /// `core::slot::release_callback_node`).
    pub(crate) release_callback: unsafe fn(NonNull<NodeHead>),
}

/// A node's vtable pointer with the vtable's `has_callback` in bit 0
/// (vtables are word-aligned, so the bit is free): dropping a handle asks
/// first whether the node has a callback, and this way it reads one word of
/// the node, whose count it is about to change anyway, instead of that word
/// and then the vtable behind it (a dependent load on the hottest path of
/// the unsync flavour, where the count itself is a plain load and store).
#[derive(Clone, Copy)]
pub(crate) struct TaggedVTable(*const NodeVTable);

const HAS_CALLBACK: usize = 1;

const _: () = assert!(core::mem::align_of::<NodeVTable>() > HAS_CALLBACK);

impl TaggedVTable {
    fn new(vtable: &'static NodeVTable) -> Self {
        let ptr: *const NodeVTable = vtable;
        let tag = if vtable.has_callback { HAS_CALLBACK } else { 0 };
        TaggedVTable(ptr.map_addr(|a| a | tag))
    }

    #[inline(always)]
    fn has_callback(self) -> bool {
        self.0.addr() & HAS_CALLBACK != 0
    }

    #[inline(always)]
    fn get(self) -> &'static NodeVTable {
        // SAFETY: the pointer came from a `&'static NodeVTable` in `new`,
        // with at most bit 0 set, which this clears (keeping its
        // provenance, as `map_addr` does).
        unsafe { &*self.0.map_addr(|a| a & !HAS_CALLBACK) }
    }
}

// SAFETY: it stands for a `&'static NodeVTable`, which is `Send + Sync`
// (the vtable is immutable: plain data and `fn` pointers).
unsafe impl Send for TaggedVTable {}
// SAFETY: as above.
unsafe impl core::marker::Sync for TaggedVTable {}

/// The type-erased start of every node.
#[repr(C)]
pub(crate) struct NodeHead {
    vtable: TaggedVTable,
    /// Invariant: the number of handles to this node, plus one while the
    /// slot caches it, plus one while clearing holds it for its callback.
    /// At zero the node is destroyed, with one exception: a callback node
    /// whose last handle went after its referent died but before clearing
    /// detached it stays in the list at zero, marked `handed_over`, and
    /// clearing takes it back by storing 1. Nothing else increments it
    /// from zero ([`Count::try_increment`] refuses to).
    pub(crate) handles: Count,
    /// The referent. The node holds one weak count of the referent's
    /// allocation, so this memory outlives the node.
    pub(crate) object: ObjAddr,
    /// The referent's hash, stored by the first hash taken while it lived;
    /// 0 means not yet taken (a real 0 is stored as 1).
    pub(crate) hash: AtomicHash,
    /// Guarded by the slot's lock, or owned by the clearing thread once
    /// detached.
    links: Cell<Links>,
}

// SAFETY: a live node holds one weak count of its referent's allocation
// (taken before the node was linked, released only after it is freed), so
// the allocation outlives every borrow of the node.
unsafe impl HeaderPtr for NodeHead {
    #[inline(always)]
    fn object(&self) -> ObjAddr {
        self.object
    }
}

impl NodeHead {
    /// The node's per-type operations.
    #[inline(always)]
    pub(crate) fn vtable(&self) -> &'static NodeVTable {
        self.vtable.get()
    }

    /// Whether the node was made with a callback (`vtable().has_callback`,
    /// read from the node itself).
    #[inline(always)]
    pub(crate) fn has_callback(&self) -> bool {
        self.vtable.has_callback()
    }
}

/// A node's place in its slot's list: 16 bytes, the hand-over flag kept
/// in bit 0 of `next` (nodes are 8-aligned, so the bit is free).
pub(crate) struct Links {
    /// Null when not linked; [`first`] for the list's head.
    prev: *mut NodeHead,
    /// The next node (null at the end), with bit 0 set when this node was
    /// handed over: its last handle was released after its referent died
    /// but before clearing reached it, so it stays in the list, owned by
    /// the list, for clearing to call back and free.
    next: *mut NodeHead,
}

const HANDED_OVER: usize = 1;

const _: () = assert!(core::mem::align_of::<NodeHead>() > HANDED_OVER);

pub(crate) const UNLINKED: Links = Links {
    prev: ptr::null_mut(),
    next: ptr::null_mut(),
};

impl Links {
    /// The links of a node pushed in front of `next`.
    pub(crate) fn at_front(next: *mut NodeHead) -> Links {
        Links {
            prev: first(),
            next,
        }
    }

    /// Whether the node is in its slot's list.
    pub(crate) fn is_linked(&self) -> bool {
        !self.prev.is_null()
    }

    pub(crate) fn prev(&self) -> *mut NodeHead {
        self.prev
    }

    pub(crate) fn set_prev(&mut self, prev: *mut NodeHead) {
        self.prev = prev;
    }

    pub(crate) fn next(&self) -> *mut NodeHead {
        self.next.map_addr(|a| a & !HANDED_OVER)
    }

    /// Points at `next`, keeping the hand-over flag.
    pub(crate) fn set_next(&mut self, next: *mut NodeHead) {
        let flag = self.next.addr() & HANDED_OVER;
        self.next = next.map_addr(|a| a | flag);
    }

    pub(crate) fn handed_over(&self) -> bool {
        self.next.addr() & HANDED_OVER != 0
    }

    pub(crate) fn hand_over(&mut self) {
        self.next = self.next.map_addr(|a| a | HANDED_OVER);
    }
}

/// The `prev` of the list's first node. Never dereferenced.
pub(crate) fn first() -> *mut NodeHead {
    NonNull::<NodeHead>::dangling().as_ptr()
}

/// A node's links.
///
/// # Safety
///
/// The node is alive, and the caller holds its slot's list lock (or owns
/// the detached node) for as long as it uses the pointer.
#[inline]
pub(crate) unsafe fn links(node: *mut NodeHead) -> *mut Links {
    // SAFETY: the caller guarantees `node` is alive.
    unsafe { (*node).links.get() }
}

/// A node with data `X`; its callback, if any, follows.
#[repr(C)]
pub(crate) struct Node<X> {
    pub(crate) head: NodeHead,
    pub(crate) data: X,
}

#[repr(C)]
pub(crate) struct NodeBox<X, C> {
    node: Node<X>,
    /// Taken once, by clearing; whatever is left is dropped with the node.
    callback: Cell<Option<C>>,
}

impl<X, C> NodeBox<X, C> {
    /// Allocates a node, not yet linked, with `handles` counts.
    pub(crate) fn allocate(
        vtable: &'static NodeVTable,
        object: ObjAddr,
        data: X,
        callback: Option<C>,
        handles: usize,
    ) -> NonNull<NodeHead> {
        let node = Box::new(NodeBox {
            node: Node {
                head: NodeHead {
                    vtable: TaggedVTable::new(vtable),
                    handles: Count::new(handles),
                    object,
                    hash: AtomicHash::new(0),
                    links: Cell::new(UNLINKED),
                },
                data,
            },
            callback: Cell::new(callback),
        });
        NonNull::from(Box::leak(node)).cast::<NodeHead>()
    }

    /// Drops the node's data and what is left of its callback, and frees it.
    ///
    /// # Safety
    ///
    /// `head` is a `NodeBox<X, C>` made by [`allocate`](Self::allocate),
    /// out of any list, that nothing else will touch again.
    pub(crate) unsafe fn free(head: NonNull<NodeHead>) {
        // SAFETY: allocated as a `Box<NodeBox<X, C>>` by `allocate`; the
        // caller makes this the last access.
        drop(unsafe { Box::from_raw(head.cast::<NodeBox<X, C>>().as_ptr()) });
    }

    /// Runs the node's callback.
    ///
    /// # Safety
    ///
    /// Called once per node, by the thread clearing its referent, which
    /// owns one count on it and transfers it here; `head` is a
    /// `NodeBox<X, C>`.
    pub(crate) unsafe fn fire<F: Flavor>(head: NonNull<NodeHead>)
    where
        C: Callback<X, F>,
    {
        let node = head.cast::<NodeBox<X, C>>();
        // SAFETY: clearing detached this node and holds a count, so it is
        // alive and nobody else touches its callback: the node is destroyed
        // only once its count is zero, and clearing fires each node once.
        let callback = unsafe { (*(*node.as_ptr()).callback.get()).take() };
        // SAFETY: the caller transfers its count, on a node clearing
        // detached from its list for good.
        let hold = unsafe { DetachedHandle::<F>::from_count(head) };
        match callback {
            Some(callback) => callback.call(hold),
            None => drop(hold),
        }
    }
}

/// What runs when a node's referent dies, in flavour `F`.
///
/// In the sync flavour a callback runs on whichever thread the referent
/// dies on, so it must be `Send`; the handles' `Send` impls rely on it.
/// Whoever makes one makes sure of it: the public constructors that take
/// a user closure ask for `Sendable<F>` (and `core::handle` wraps it in a
/// closure that captures nothing else), and the crate's own callback, the
/// collections' `Evictor`, is made only where the collection's contents
/// are `Shareable<F>`, which makes it `Send` in sync (generic code cannot
/// state that bound on the impl; see `core::table`, and the unit tests
/// `evictors_are_send_in_the_sync_flavour`, which check it).
pub(crate) trait Callback<X, F: Flavor = Sync>: Sized {
    /// False only for [`NoCallback`].
    const PRESENT: bool = true;
    /// Called once, on the thread where the referent died, with no lock held,
    /// with one count on the node, which the callee owns.
    fn call(self, node: DetachedHandle<F>);
}

/// The callback of nodes that have none.
pub(crate) enum NoCallback {}

impl<X, F: Flavor> Callback<X, F> for NoCallback {
    const PRESENT: bool = false;
    fn call(self, _: DetachedHandle<F>) {
        match self {}
    }
}

/// One count on a node of flavour `F`, released on drop.
pub(crate) struct NodeHandle<F: Flavor = Sync> {
    // Invariant: points at a live node of flavour `F` on which this handle
    // owns one count.
    head: NonNull<NodeHead>,
    _flavor: PhantomData<F>,
}

impl<F: Flavor> NodeHandle<F> {
    /// Takes ownership of one count the caller holds.
    ///
    /// # Safety
    ///
    /// The caller owns one count on the live node `head`.
    #[inline]
    pub(crate) unsafe fn from_count(head: NonNull<NodeHead>) -> NodeHandle<F> {
        NodeHandle {
            head,
            _flavor: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn head(&self) -> &NodeHead {
        // SAFETY: our count keeps the node alive.
        unsafe { self.head.as_ref() }
    }

    /// The node's address: its identity.
    #[inline]
    pub(crate) fn ptr(&self) -> NonNull<NodeHead> {
        self.head
    }

    /// Whether the referent is still alive (racy by nature).
    #[inline]
    pub(crate) fn referent_alive(&self) -> bool {
        self.head().tail().is_alive()
    }

    /// Whether the node has a callback still to call: false for nodes
    /// made without one, and for every node once the referent died.
    #[inline]
    pub(crate) fn has_live_callback(&self) -> bool {
        self.head().has_callback() && self.referent_alive()
    }

    /// The referent's type name.
    #[inline]
    pub(crate) fn referent_name(&self) -> &'static str {
        self.head().tail().info.name
    }
}

impl<F: Flavor> Clone for NodeHandle<F> {
    #[inline]
    fn clone(&self) -> Self {
        self.head().handles.increment::<F>();
        NodeHandle {
            head: self.head,
            _flavor: PhantomData,
        }
    }
}

impl<F: Flavor> Drop for NodeHandle<F> {
    #[inline]
    fn drop(&mut self) {
        if self.head().has_callback() {
            // SAFETY: we own one count on this live callback node, and give
            // it to the slot, which releases it under its lock.
            return unsafe { (self.head().vtable().release_callback)(self.head) };
        }
        if !self.head().handles.decrement::<F>() {
            return;
        }
        // SAFETY: the count reached zero: this is the one call.
        unsafe { (self.head().vtable().destroy)(self.head, true) };
    }
}

/// One count on a node that clearing has taken out of its slot's list for
/// good: what a callback receives.
///
/// Releasing it takes no lock. The slot's lock orders a callback node's
/// last release against clearing (was the ref dropped before the death, or
/// is its callback due?); once clearing has detached the node, that is
/// settled, and the node can gain counts only from its holders (the slot
/// lists linked nodes only), so whichever release takes the count to zero
/// destroys it. A release through [`NodeHandle`] that finds the node
/// detached under the slot's lock lets the lock go before it decrements
/// (`core::slot::release_callback_node`), so this one never frees the
/// object under another thread's lock.
pub(crate) struct DetachedHandle<F: Flavor = Sync> {
    // Invariant: a count on a live node of flavour `F` that is out of its
    // slot's list for good.
    head: NonNull<NodeHead>,
    _flavor: PhantomData<F>,
}

impl<F: Flavor> DetachedHandle<F> {
    /// Takes ownership of one count the caller holds.
    ///
    /// # Safety
    ///
    /// The caller owns one count on the live node `head`, which clearing
    /// has detached from its slot's list.
    #[inline]
    pub(crate) unsafe fn from_count(head: NonNull<NodeHead>) -> DetachedHandle<F> {
        DetachedHandle {
            head,
            _flavor: PhantomData,
        }
    }

    /// The node's address: its identity.
    #[inline]
    pub(crate) fn ptr(&self) -> NonNull<NodeHead> {
        self.head
    }

    /// The same count as an ordinary handle (to build a ref from).
    #[inline]
    pub(crate) fn into_handle(self) -> NodeHandle<F> {
        let head = core::mem::ManuallyDrop::new(self).head;
        // SAFETY: the count moves from `self`, which is not dropped.
        unsafe { NodeHandle::from_count(head) }
    }
}

impl<F: Flavor> Drop for DetachedHandle<F> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: our count keeps the node alive until the decrement.
        let node = unsafe { self.head.as_ref() };
        if node.handles.decrement::<F>() {
            let destroy = node.vtable().destroy;
            // SAFETY: the count reached zero, so this is the one call, and
            // the node is out of its list (type invariant): no unlinking.
            unsafe { destroy(self.head, false) };
        }
    }
}

/// A node's links, to read only.
///
/// # Safety
///
/// The node is alive, and nobody writes its links while the caller uses
/// the pointer: the caller holds its slot's list lock, or clearing has
/// detached the node (after which its links are only read).
#[inline]
pub(crate) unsafe fn links_shared(node: *mut NodeHead) -> *const Links {
    // SAFETY: the caller guarantees `node` is alive.
    unsafe { (*node).links.get_shared() }
}

/// A node kind as a type, so that which kind a constructor makes is
/// settled at compile time: [`RefTag`] or [`ProxyTag`].
pub(crate) trait KindTag: 'static {
    const KIND: RefKind;
}

/// Nodes of `Ref`s, Python's `weakref.ref`.
pub(crate) enum RefTag {}

/// Nodes of `Proxy`s, Python's `weakref.proxy`.
pub(crate) enum ProxyTag {}

impl KindTag for RefTag {
    const KIND: RefKind = RefKind::Ref;
}

impl KindTag for ProxyTag {
    const KIND: RefKind = RefKind::Proxy;
}
