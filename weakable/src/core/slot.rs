//! The `__weakref__` slot: the list of an object's ref nodes, the cached
//! basic ref and proxy, the allocation's weak count, and clearing on death.
//!
//! # Design
//!
//! The slot holds:
//! - `weak`: the allocation's own count. The strong side holds 1 until the
//!   value is dropped; every node holds 1 for as long as it exists, because
//!   `upgrade` reads the strong count in the allocation. The allocation is
//!   freed when it reaches zero.
//! - `basic_ref`, `basic_proxy`: the callback-less ref and proxy that
//!   `Ref::new` and `Proxy::new` hand out again and again (CPython reuses
//!   them too: its "basic ref"). The slot owns one count on each, so the
//!   fast path of `Ref::new` is a load and an increment, with no lock. A
//!   cached node whose only count is the slot's does not exist as far as
//!   Python can tell: it is not counted and not listed.
//! - `list`: every other node (with a callback, or with data), newest first,
//!   so clearing calls back newest first. Bit 0 of the head pointer is a
//!   lock held only for a few pointer writes: never while allocating, never
//!   while running user code.
//!
//! Death ([`clear`]) happens after the strong count reached zero, so no new
//! node can be attached. Under the lock the whole list is detached; each
//! node with a callback whose handle count is not already zero gets one more
//! count, so that it stays alive until its callback ran; the others are just
//! marked unlinked (a node whose count reached zero is being destroyed by a
//! thread waiting for the lock, and its callback must not run). Then, with
//! no lock held, the callbacks run one by one, each under `catch_unwind`.
//!
//! This module builds every node's vtable, so the node layer below never
//! needs to know about slots: a node's last release comes back here through
//! `destroy` and `release_callback`.

use alloc::vec::Vec;

use core::marker::PhantomData;
use core::mem::{align_of, offset_of, size_of};
use core::ptr::{self, NonNull};

use crate::core::header::{self, Header, HeaderPtr, ObjAddr, ObjInfo, Tail};
use crate::core::node::{
    first, links, links_shared, Callback, KindTag, Links, NoCallback, NodeBox, NodeHandle,
    NodeHead, NodeVTable, RefKind, UNLINKED,
};
use crate::rt::flavor::Flavor;
use crate::rt::ptr_lock::{PtrGuard, PtrLock};
use crate::rt::{catch_unwind, AtomicPtr, Count, Ordering};

/// The `__weakref__` slot that objects of weakly referenceable types carry
/// in their header.
///
/// Its fields are private; `#[derive(Weakable)]` names this type as
/// [`Weakable::Slot`](crate::Weakable::Slot) for every type without
/// `#[weakable(no_weakref)]`. It costs 32 bytes per object.
///
/// # Examples
///
/// ```
/// use weakable::{Weakable, WeakrefSlot};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// fn has_slot<T: Weakable<Slot = WeakrefSlot>>() {}
/// has_slot::<Image>();
/// ```
#[repr(C)]
pub struct WeakrefSlot {
    /// Invariant: 1 while the value is not yet dropped, plus 1 per node
    /// whose `object` is this object. The allocation is freed at zero.
    weak: Count,
    /// The nodes that are not cached basic ones, newest first, behind a
    /// lock held for a few pointer writes.
    list: PtrLock<NodeHead>,
    /// Invariant: null, or a basic ref node on which the slot owns one count.
    basic_ref: AtomicPtr<NodeHead>,
    /// Invariant: null, or a basic proxy node on which the slot owns one count.
    basic_proxy: AtomicPtr<NodeHead>,
}

/// The empty slot of `#[weakable(no_weakref)]` types: zero bytes, and no
/// weak reference can be made to such an object.
///
/// # Examples
///
/// ```
/// use weakable::{NoSlot, Weakable};
///
/// #[derive(Weakable)]
/// #[weakable(no_weakref)]
/// struct Point(i32, i32);
///
/// fn no_slot<T: Weakable<Slot = NoSlot>>() {}
/// no_slot::<Point>();
/// assert_eq!(std::mem::size_of::<NoSlot>(), 0);
/// ```
#[derive(Debug)]
pub struct NoSlot {
    _private: (),
}

impl WeakrefSlot {
    /// The slot of a new object: no node yet, and the strong side's weak
    /// count.
    pub(crate) fn new() -> Self {
        WeakrefSlot {
            weak: Count::new(1),
            list: PtrLock::new(),
            basic_ref: AtomicPtr::new(ptr::null_mut()),
            basic_proxy: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

impl NoSlot {
    pub(crate) fn new() -> Self {
        NoSlot { _private: () }
    }
}

impl core::fmt::Debug for WeakrefSlot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WeakrefSlot").finish_non_exhaustive()
    }
}

// The tail is flush against the value in both layouts only if the slot
// leaves no padding before it; `ObjAddr::slot` relies on it.
const _: () = {
    let tail = size_of::<Tail>();
    assert!(offset_of!(Header<WeakrefSlot>, tail) == size_of::<WeakrefSlot>());
    assert!(size_of::<Header<WeakrefSlot>>() == size_of::<WeakrefSlot>() + tail);
    assert!(size_of::<Header<NoSlot>>() == tail);
    assert!(align_of::<Header<WeakrefSlot>>() == align_of::<Tail>());
    assert!(align_of::<Header<NoSlot>>() == align_of::<Tail>());
};

/// A [`HeaderPtr`] whose object has a `WeakrefSlot`: the one safe way to
/// an object's slot.
///
/// # Safety
///
/// As for [`HeaderPtr`], and the object's header is a
/// `Header<WeakrefSlot>`.
pub(crate) unsafe trait SlotPtr: HeaderPtr {
    #[inline(always)]
    fn slot(&self) -> &WeakrefSlot {
        // SAFETY: the trait's contract: the allocation is alive while `self`
        // is borrowed, and its header has a `WeakrefSlot`.
        unsafe { self.object().slot::<WeakrefSlot>() }
    }
}

// SAFETY: nodes are only ever attached to objects with a `WeakrefSlot`
// (`attach_node` and `basic_node` ask for a `SlotPtr`).
unsafe impl SlotPtr for NodeHead {}

/// Builds the vtable of the nodes of kind `K` with data `X` and callback
/// `C`, in flavour `F`, cached in the slot when `BASIC`.
struct VTableOf<X, C, K, F, const BASIC: bool>(PhantomData<(X, C, K, F)>);

impl<X, C, K, F, const BASIC: bool> VTableOf<X, C, K, F, BASIC>
where
    C: Callback<X, F>,
    K: KindTag,
    F: Flavor,
{
    const VTABLE: &'static NodeVTable = &NodeVTable {
        kind: K::KIND,
        basic: BASIC,
        has_callback: C::PRESENT,
        what: match K::KIND {
            RefKind::Proxy => "weakproxy callback",
            RefKind::Ref => "weakref callback",
        },
        fire: NodeBox::<X, C>::fire::<F>,
        destroy: destroy::<X, C, F>,
        release_callback: release_callback_node::<F>,
    };
}

/// Destroys a node whose count reached zero.
///
/// # Safety
///
/// `head` is a `NodeBox<X, C>` whose handle count reached zero (so this
/// runs once, with no other access but the slot's list under its lock);
/// without `unlink`, it is already out of the list (or was never in it).
unsafe fn destroy<X, C, F: Flavor>(head: NonNull<NodeHead>, unlink: bool) {
    // SAFETY: the node is alive until freed below.
    let node = unsafe { head.as_ref() };
    let object = node.object;
    if unlink && !node.vtable().basic {
        let mut list = node.slot().lock::<F>();
        // SAFETY: we hold the lock of the node's own slot, and the node is
        // alive.
        unsafe { unlink_locked(&mut list, head.as_ptr()) };
    }
    // Whatever the data's or callback's `Drop` does, even panic, the node's
    // weak count is released afterwards.
    struct ReleaseWeak<F: Flavor>(ObjAddr, PhantomData<F>);
    impl<F: Flavor> Drop for ReleaseWeak<F> {
        fn drop(&mut self) {
            // SAFETY: the node held this weak count, and is gone.
            unsafe { release_weak::<F>(self.0) };
        }
    }
    let _release = ReleaseWeak::<F>(object, PhantomData);
    // SAFETY: out of the list and at count zero: nothing else touches the
    // node again; it was made as a `NodeBox<X, C>` (the vtable is that
    // type's).
    unsafe { NodeBox::<X, C>::free(head) };
}

/// Releases one weak count of `object`, freeing its allocation at zero.
///
/// # Safety
///
/// The caller owns one weak count of that object, which has a
/// `WeakrefSlot`; it is not used again.
pub(crate) unsafe fn release_weak<F: Flavor>(object: ObjAddr) {
    // SAFETY: the caller's count keeps the allocation alive until our
    // decrement; `weak` is last used by the acquire below, before the
    // memory is freed (as `&self.inner().weak` in `Arc`'s `Weak::drop`).
    let weak = &unsafe { object.slot::<WeakrefSlot>() }.weak;
    if weak.decrement::<F>() {
        // SAFETY: the count reached zero: the value was dropped (the strong
        // side's count is gone) and no node remains.
        unsafe { header::free(object) };
    }
}

/// Releases the weak count the strong side held, at the end of an object's
/// death, freeing its allocation if no node is left.
///
/// # Safety
///
/// `object` has a `WeakrefSlot`, its strong count is zero and its value
/// has been dropped, and the caller owns the strong side's weak count.
pub(crate) unsafe fn release_weak_after_death<F: Flavor>(object: ObjAddr) {
    // SAFETY: the caller's count keeps the allocation alive.
    let weak = &unsafe { object.slot::<WeakrefSlot>() }.weak;
    // Making a node takes an `Obj`, and none is left: the count can only
    // fall now, so if it is 1, it is ours alone and the memory can go with
    // no read-modify-write. Acquire: the last node's Release decrement (the
    // one that left 1) happens before the free.
    if weak.get_acquire() == 1 {
        // SAFETY: no node, no strong count and no other weak count remain.
        unsafe { header::free(object) };
        return;
    }
    // SAFETY: the caller owns the strong side's weak count and hands it
    // over; the object has a `WeakrefSlot`.
    unsafe { release_weak::<F>(object) };
}

/// Releases one count on a node with a callback.
///
/// The last count of a node still in its slot's list is released under the
/// slot's lock, and the referent's strong count read there too, so that
/// clearing cannot come in between: if the referent is alive, the ref was
/// dropped before the death and its callback is cancelled; if it is dead
/// but clearing has not detached the node yet, the node is handed over to
/// clearing, which will call back (the ref was dropped after the death, so
/// its callback is due).
///
/// A node that clearing has detached is settled: its counts are released
/// without the lock, as a [`DetachedHandle`]'s are. So once the lock shows
/// the node detached, it is let go *before* the decrement: clearing may
/// have taken a count (its callback's) between our first look and the
/// lock, and the holder of that count may take the last one away and free
/// the object (slot included) as soon as ours is gone.
///
/// [`DetachedHandle`]: crate::core::node::DetachedHandle
///
/// # Safety
///
/// The caller owns one count on `head`, a live non-basic node, and gives
/// it up.
unsafe fn release_callback_node<F: Flavor>(head: NonNull<NodeHead>) {
    // SAFETY: our count keeps the node alive.
    let node = unsafe { head.as_ref() };
    if node.handles.decrement_unless_last::<F>() {
        return;
    }
    let mut list = node.slot().lock::<F>();
    // SAFETY: we hold the lock of the node's slot, and our count keeps the
    // node alive.
    // A read only: clearing may be reading a detached node's links too.
    if !unsafe { (*links_shared(head.as_ptr())).is_linked() } {
        // Detached: unlock while our count still keeps the node, and so
        // the slot, alive; then release it as a detached count.
        drop(list);
        if node.handles.decrement::<F>() {
            let destroy = node.vtable().destroy;
            // SAFETY: the count reached zero, so this is the one call, and
            // the node is out of the list.
            unsafe { destroy(head, false) };
        }
        return;
    }
    // Linked: no detached count can exist (clearing detaches under this
    // lock), and every other release of the last count takes this lock, so
    // the node outlives our unlock even when this decrement is not the
    // last (a holder of another count cloned it meanwhile).
    if !node.handles.decrement::<F>() {
        return;
    }
    // SAFETY: we hold the lock of the node's slot; the node is alive (count
    // zero, but only we can free it now).
    unsafe {
        // Acquire: ordered after the death's last strong decrement.
        if node.tail().strong.get_acquire() == 0 {
            (*links(head.as_ptr())).hand_over();
            return;
        }
        unlink_locked(&mut list, head.as_ptr());
    }
    drop(list);
    let destroy = node.vtable().destroy;
    // SAFETY: the count is zero and the node is out of the list: the one call.
    unsafe { destroy(head, false) };
}

/// The locked list: its `ptr` is the head.
type ListGuard<'a, F> = PtrGuard<'a, NodeHead, F>;

/// Takes `node` out of the locked list if it is still in it.
///
/// # Safety
///
/// `list` is the lock of `node`'s referent's slot, and `node` is alive.
unsafe fn unlink_locked<F: Flavor>(list: &mut ListGuard<'_, F>, node: *mut NodeHead) {
    // SAFETY: we hold the lock, so the links of every linked node are ours
    // to change, and linked nodes are alive.
    unsafe {
        let (prev, next) = ((*links(node)).prev(), (*links(node)).next());
        if prev.is_null() {
            return; // detached by `clear`
        }
        if prev == first() {
            list.ptr = next;
        } else {
            (*links(prev)).set_next(next);
        }
        if !next.is_null() {
            (*links(next)).set_prev(prev);
        }
        *links(node) = UNLINKED;
    }
}

impl WeakrefSlot {
    fn lock<F: Flavor>(&self) -> ListGuard<'_, F> {
        self.list.lock::<F>()
    }

    /// Pushes `node` at the front of the list.
    fn link<F: Flavor>(&self, node: NonNull<NodeHead>) {
        let node = node.as_ptr();
        let mut list = self.lock::<F>();
        // SAFETY: we hold the lock; `node` is new and alive, the old head is
        // linked and alive (a node unlinks itself under this lock before it
        // is freed).
        unsafe {
            *links(node) = Links::at_front(list.ptr);
            if !list.ptr.is_null() {
                (*links(list.ptr)).set_prev(node);
            }
        }
        list.ptr = node;
    }

    fn basic(&self, kind: RefKind) -> &AtomicPtr<NodeHead> {
        match kind {
            RefKind::Proxy => &self.basic_proxy,
            RefKind::Ref => &self.basic_ref,
        }
    }

    /// Whether no ref, proxy or handle to one exists: the allocation's
    /// only weak counts are the strong side's and those of cached basic
    /// nodes that nothing but the slot holds. With the caller's `Obj`
    /// being the only one, nothing can then make a ref either: a ref comes
    /// from an `Obj` or from another ref.
    pub(crate) fn unreferenced(&self) -> bool {
        let mut cached_only = 0;
        for basic in [&self.basic_ref, &self.basic_proxy] {
            if let Some(node) = NonNull::new(basic.load(Ordering::Acquire)) {
                // SAFETY: the caller's `Obj` keeps the object alive, so the
                // slot still owns the cached node. Acquire: a handle's
                // release (Release) happens before this read, and with it
                // whatever its holder did before (an `upgrade`, say).
                if unsafe { node.as_ref() }.handles.get_acquire() != 1 {
                    return false;
                }
                cached_only += 1;
            }
        }
        self.weak.get_acquire() == 1 + cached_only
    }

    /// The number of live refs and proxies to this (live) object.
    pub(crate) fn weakref_count<F: Flavor>(&self) -> usize {
        let mut count = 0;
        for basic in [&self.basic_ref, &self.basic_proxy] {
            if let Some(node) = NonNull::new(basic.load(Ordering::Acquire)) {
                // SAFETY: the caller's `Obj` keeps the object alive, so the
                // slot still owns the cached node.
                if unsafe { node.as_ref() }.handles.get() > 1 {
                    count += 1;
                }
            }
        }
        count + self.list_count::<F>()
    }

    fn list_count<F: Flavor>(&self) -> usize {
        let list = self.lock::<F>();
        let mut n = 0;
        let mut cur = list.ptr;
        while !cur.is_null() {
            // SAFETY: we hold the lock; linked nodes are alive.
            unsafe {
                if (*cur).handles.get() > 0 {
                    n += 1;
                }
                cur = (*links(cur)).next();
            }
        }
        n
    }

    /// Handles to every live ref and proxy of this (live) object: the basic
    /// ref, the basic proxy, then the others newest first, as CPython lists
    /// them.
    pub(crate) fn weakrefs<F: Flavor>(&self) -> Vec<NodeHandle<F>> {
        let mut out = Vec::new();
        for basic in [&self.basic_ref, &self.basic_proxy] {
            if let Some(node) = NonNull::new(basic.load(Ordering::Acquire)) {
                // SAFETY: the slot owns a count on the cached node while the
                // caller's `Obj` keeps the object alive.
                let head = unsafe { node.as_ref() };
                if head.handles.get() > 1 {
                    head.handles.increment::<F>();
                    // SAFETY: we just took this count.
                    out.push(unsafe { NodeHandle::from_count(node) });
                }
            }
        }
        // Allocate outside the lock: count first, then fill, and start over
        // in the rare case the list grew in between.
        let base = out.len();
        loop {
            let wanted = self.list_count::<F>();
            out.reserve(wanted);
            let capacity = out.capacity() - base;
            let list = self.lock::<F>();
            let mut cur = list.ptr;
            let mut fits = true;
            let mut taken = 0;
            while !cur.is_null() {
                // SAFETY: we hold the lock; linked nodes are alive.
                unsafe {
                    if (*cur).handles.get() > 0 {
                        if taken == capacity {
                            fits = false;
                            break;
                        }
                        if (*cur).handles.try_increment::<F>() {
                            out.push(NodeHandle::from_count(NonNull::new_unchecked(cur)));
                            taken += 1;
                        }
                    }
                    cur = (*links(cur)).next();
                }
            }
            drop(list);
            if fits {
                return out;
            }
            out.truncate(base); // drops the handles taken, outside the lock
        }
    }
}

/// Whether a dead object's slot has anything to clear: a cached basic
/// node or a listed one. Three loads, inline in the caller: most objects
/// die with no ref, and [`clear_refs`] costs a call that saves six
/// registers.
///
/// Once the strong count is zero the answer can only go from yes to no
/// (a ref dropped meanwhile), never back: attaching or caching a node
/// takes an `Obj`, and there is none left. The loads need no store: nobody
/// else touches the cached nodes any more, and every caching happened
/// before the last `Obj` went (our caller's Acquire saw its Release
/// decrement).
///
/// # Safety
///
/// `object` has a `WeakrefSlot`, its strong count is zero, and the strong
/// side's weak count is not released yet (it keeps the allocation alive).
#[inline]
pub(crate) unsafe fn has_refs(object: ObjAddr) -> bool {
    // SAFETY: the caller's guarantee: the allocation is alive and has this
    // slot.
    let slot = unsafe { object.slot::<WeakrefSlot>() };
    // A null list word is unlocked and empty.
    !(slot.list.is_null()
        && slot.basic_ref.load(Ordering::Acquire).is_null()
        && slot.basic_proxy.load(Ordering::Acquire).is_null())
}

/// The death sequence's first half: refs are already dead (the strong count
/// is zero); detach them all, then run the callbacks newest first.
///
/// # Safety
///
/// Called once, by the object's death, after its strong count reached zero
/// and before the strong side's weak count is released; `object` has a
/// `WeakrefSlot`.
#[inline]
pub(crate) unsafe fn clear<F: Flavor>(object: ObjAddr) {
    // SAFETY: the caller's guarantee, which is both callees'.
    unsafe {
        if has_refs(object) {
            clear_refs::<F>(object);
        }
    }
}

/// [`clear`]'s work, for a slot that had refs when [`has_refs`] looked:
/// release the cached nodes, detach the list, run the callbacks. (A ref
/// dropped since then leaves less to do, and nothing can be added.)
///
/// # Safety
///
/// Called once per death, instead of [`clear`], after the strong count
/// reached zero and before the strong side's weak count is released;
/// `object` has a `WeakrefSlot`.
#[inline(never)]
pub(crate) unsafe fn clear_refs<F: Flavor>(object: ObjAddr) {
    // SAFETY: the strong side's weak count, not yet released, keeps the
    // allocation alive for the whole call; the caller vouches for the slot.
    let slot = unsafe { object.slot::<WeakrefSlot>() };
    for basic in [&slot.basic_ref, &slot.basic_proxy] {
        // A load and a store, no read-modify-write: see `has_refs`.
        if let Some(node) = NonNull::new(basic.load(Ordering::Acquire)) {
            basic.store(ptr::null_mut(), Ordering::Relaxed);
            // SAFETY: the slot owned this count (field invariant).
            drop(unsafe { NodeHandle::<F>::from_count(node) });
        }
    }
    if slot.list.is_null() {
        return; // unlocked and empty; nothing can be attached any more
    }
    let mut chain: *mut NodeHead = ptr::null_mut();
    {
        let mut list = slot.lock::<F>();
        let mut cur = core::mem::replace(&mut list.ptr, ptr::null_mut());
        let mut last: *mut NodeHead = ptr::null_mut();
        while !cur.is_null() {
            // SAFETY: we hold the lock; linked nodes are alive. A node we
            // keep is held by the count `try_increment` took (or, handed over,
            // by the one we store); the others are only marked unlinked and
            // never touched again.
            unsafe {
                let (next, handed_over) = ((*links(cur)).next(), (*links(cur)).handed_over());
                *links(cur) = UNLINKED;
                if handed_over {
                    // Its last handle went after the death: the list owned
                    // it since, and now clearing does (the one increment
                    // from zero, see `NodeHead::handles`).
                    (*cur).handles.set(1);
                }
                if (*cur).has_callback() && (handed_over || (*cur).handles.try_increment::<F>()) {
                    if last.is_null() {
                        chain = cur;
                    } else {
                        (*links(last)).set_next(cur);
                    }
                    last = cur;
                }
                cur = next;
            }
        }
    }
    while let Some(node) = NonNull::new(chain) {
        // SAFETY: we own a count on every node of the chain, and nobody
        // writes a detached node's links any more (a release of another
        // count may read them).
        let (fire, what) = unsafe {
            chain = (*links_shared(node.as_ptr())).next();
            (node.as_ref().vtable().fire, node.as_ref().vtable().what)
        };
        // SAFETY: our count on `node` is transferred to `fire`, once.
        let result = catch_unwind(|| unsafe { fire(node) });
        if let Err(payload) = result {
            // SAFETY: the allocation is alive (see above).
            let name = unsafe { object.tail() }.info.name;
            crate::unraisable::report(what, name, payload);
        }
    }
}

/// Attaches a new node of kind `K` with `data` and `callback` to the live
/// object `obj` and returns the one handle to it.
///
/// `obj` holds a strong count: no node is ever made for a dead object,
/// which is what lets a death free its memory without a read-modify-write
/// (`release_weak_after_death`).
pub(crate) fn attach_node<X, C: Callback<X, F>, K: KindTag, F: Flavor>(
    obj: &impl LiveSlotPtr,
    data: X,
    callback: Option<C>,
) -> NodeHandle<F> {
    let slot = obj.slot();
    let head = NodeBox::allocate(
        VTableOf::<X, C, K, F, false>::VTABLE,
        obj.object(),
        data,
        callback,
        1,
    );
    // Relaxed, as `Arc::downgrade`: the caller's strong count keeps the
    // allocation alive while we add ours.
    slot.weak.increment::<F>();
    slot.link::<F>(head);
    // SAFETY: the node was created with one count, which is this handle's.
    unsafe { NodeHandle::from_count(head) }
}

/// A handle to the live object's basic ref (`RefTag`) or basic proxy
/// (`ProxyTag`), created on first use.
///
/// `obj` must keep the object alive (hold a strong count): a basic node
/// is cached only while the object lives.
#[inline]
pub(crate) fn basic_node<K: KindTag, F: Flavor>(obj: &impl LiveSlotPtr) -> NodeHandle<F> {
    let cached = obj.slot().basic(K::KIND).load(Ordering::Acquire);
    if let Some(node) = NonNull::new(cached) {
        // SAFETY: while the object lives (the caller's strong count) the
        // slot owns a count on its cached node, so it is alive and its
        // count is not zero.
        unsafe {
            node.as_ref().handles.increment::<F>();
            return NodeHandle::from_count(node);
        }
    }
    new_basic_node::<K, F>(obj)
}

#[cold]
fn new_basic_node<K: KindTag, F: Flavor>(obj: &impl LiveSlotPtr) -> NodeHandle<F> {
    let slot = obj.slot();
    // Two counts: the slot's and the returned handle's.
    let node = NodeBox::<(), NoCallback>::allocate(
        VTableOf::<(), NoCallback, K, F, true>::VTABLE,
        obj.object(),
        (),
        None,
        2,
    );
    slot.weak.increment::<F>();
    let basic = slot.basic(K::KIND);
    if !F::THREADED {
        // Nobody else can have cached one since our look.
        basic.store(node.as_ptr(), Ordering::Release);
        // SAFETY: one of the two counts is the handle's.
        return unsafe { NodeHandle::from_count(node) };
    }
    match basic.compare_exchange(
        ptr::null_mut(),
        node.as_ptr(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        // SAFETY: one of the two counts is the handle's.
        Ok(_) => unsafe { NodeHandle::from_count(node) },
        Err(winner) => {
            // Another thread cached its node first: use that one, and
            // discard ours, which nobody else has seen (its two counts were
            // never handed out, so dropping them is ours to do).
            // SAFETY: `winner` is cached, so alive while the object lives
            // (the caller's strong count), with the slot's count on it.
            unsafe {
                (*winner).handles.increment::<F>();
                node.as_ref().handles.set(0);
                destroy::<(), NoCallback, F>(node, false);
                NodeHandle::from_count(NonNull::new_unchecked(winner))
            }
        }
    }
}

/// The node every default ref (`Ref::default()`, `Weak::new()`'s
/// counterpart) shares: a ref node to an object that never lived.
///
/// It is made once per process and never freed: its object (a header with
/// a `WeakrefSlot` and no value) has a strong count of zero for good, so it
/// never upgrades, and its vtable routes every release to a no-op, so its
/// count, which any number of handles in either flavour may bump with
/// whatever operation their flavour uses, never matters. It is never in a
/// list, so clearing, `getweakrefs` and the list lock never see it.
pub(crate) fn dead_node() -> NonNull<NodeHead> {
    /// The node, and the start of its object's allocation: the object's
    /// value is zero-sized, so the node's pointer to it points one past
    /// the block's end, which leak checkers do not count as a reference.
    struct DeadNode(NonNull<NodeHead>, #[allow(dead_code)] NonNull<u8>);
    // SAFETY: the node and its object are never freed, and are only ever
    // read (vtable, object, the object's strong count) or counted (atomics,
    // whose relaxed loads and stores are never undefined behaviour either).
    unsafe impl Send for DeadNode {}
    // SAFETY: as for `Send`.
    unsafe impl Sync for DeadNode {}

    static NEVER_LIVED: ObjInfo = ObjInfo {
        name: "NoneType",
        die: unreachable_death,
        dealloc: unreachable_death,
    };
    /// Never called: the object's strong count never moves from zero, and
    /// its weak count never reaches zero.
    unsafe fn unreachable_death(_: ObjAddr) {
        unreachable!("the default ref's object never lived and is never freed")
    }
    static VTABLE: NodeVTable = NodeVTable {
        kind: RefKind::Ref,
        basic: true,
        // A release goes through `release_callback`, which does nothing.
        has_callback: true,
        what: "weakref callback",
        fire: unreachable_node,
        destroy: |_, _| unreachable!("the default ref's node is never destroyed"),
        release_callback: |_| {},
    };
    /// Never called: the node is in no list, so clearing never fires it.
    unsafe fn unreachable_node(_: NonNull<NodeHead>) {
        unreachable!("the default ref's node is never called back")
    }

    static NODE: crate::rt::OnceLock<DeadNode> = crate::rt::OnceLock::new();
    NODE.get_or_init(|| {
        let slot = WeakrefSlot::new();
        // The strong side's weak count (never released, since the object
        // never dies) and the node's: the allocation is never freed.
        slot.weak.set(2);
        let value = header::allocate::<WeakrefSlot, ()>((), slot, &NEVER_LIVED);
        let object = ObjAddr::of(value);
        // SAFETY: just allocated, and not shared yet.
        unsafe { object.tail() }.strong.set(0);
        let node = NodeBox::<(), NoCallback>::allocate(&VTABLE, object, (), None, 1);
        // SAFETY: the header is right below the value, in the same block.
        let block = unsafe { object.as_ptr().sub(size_of::<Header<WeakrefSlot>>()) };
        DeadNode(node, block)
    })
    .0
}

/// A [`SlotPtr`] that also holds a strong count on the object (an `Obj`):
/// what caching a basic node needs.
///
/// # Safety
///
/// As for [`SlotPtr`], and while `&self` is borrowed the object's strong
/// count is not zero.
pub(crate) unsafe trait LiveSlotPtr: SlotPtr {}

#[cfg(test)]
mod tests {
    use crate::test_util::rounds;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{Arc, Barrier, Mutex};
    use std::thread;

    use crate::{getweakrefcount, getweakrefs, Obj, Ref, Weakable};

    type Log = Arc<Mutex<Vec<String>>>;

    fn log() -> Log {
        Arc::new(Mutex::new(Vec::new()))
    }

    #[derive(Weakable)]
    struct Noisy {
        name: &'static str,
        log: Log,
        _child: Option<Obj<Noisy>>,
    }

    impl Drop for Noisy {
        fn drop(&mut self) {
            self.log.lock().unwrap().push(format!("drop {}", self.name));
        }
    }

    fn noisy(name: &'static str, log: &Log) -> Obj<Noisy> {
        Obj::new(Noisy {
            name,
            log: log.clone(),
            _child: None,
        })
    }

    fn record(log: &Log, what: &str) -> impl FnOnce(&Ref<Noisy>) + Send + 'static {
        let log = log.clone();
        let what = what.to_string();
        move |r: &Ref<Noisy>| {
            assert!(r.upgrade().is_none(), "a ref is alive inside a callback");
            log.lock().unwrap().push(what);
        }
    }

    /// A callback that adds `n` to `calls`.
    fn add_to<X>(
        calls: &Arc<AtomicUsize>,
        n: usize,
    ) -> impl FnOnce(&Ref<Noisy, X>) + Send + 'static {
        let calls = calls.clone();
        move |_| {
            calls.fetch_add(n, SeqCst);
        }
    }

    #[test]
    fn callbacks_newest_first_then_drop() {
        let log = log();
        let o = noisy("o", &log);
        let refs: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|w| Ref::with_callback(&o, record(&log, w)))
            .collect();
        let basic = Ref::new(&o);
        drop(o);
        assert_eq!(*log.lock().unwrap(), ["c", "b", "a", "drop o"]);
        assert!(refs.iter().all(|r| !r.is_alive() && !r.has_callback()));
        assert!(basic.upgrade().is_none());
    }

    #[test]
    fn parent_callbacks_before_childrens() {
        let log = log();
        let child = noisy("child", &log);
        let _rc = Ref::with_callback(&child, record(&log, "child cb"));
        let parent = Obj::new(Noisy {
            name: "parent",
            log: log.clone(),
            _child: Some(child),
        });
        let _rp = Ref::with_callback(&parent, record(&log, "parent cb"));
        drop(parent);
        assert_eq!(
            *log.lock().unwrap(),
            ["parent cb", "drop parent", "child cb", "drop child"]
        );
    }

    #[test]
    fn a_ref_dropped_first_never_calls_back_and_frees_its_closure() {
        let log = log();
        let o = noisy("o", &log);
        let token = Arc::new(());
        let t = token.clone();
        let r = Ref::with_callback(&o, move |_| drop(t));
        assert_eq!(Arc::strong_count(&token), 2);
        drop(r);
        assert_eq!(Arc::strong_count(&token), 1);
        assert_eq!(getweakrefcount(&o), 0);
        drop(o);
        assert_eq!(*log.lock().unwrap(), ["drop o"]);
    }

    #[test]
    fn callbacks_may_drop_refs_to_the_dying_object_and_make_new_ones() {
        let log = log();
        let o = noisy("o", &log);
        let other = noisy("other", &log);
        let victim = Arc::new(Mutex::new(Some(Ref::with_callback(
            &o,
            record(&log, "victim"),
        ))));
        let v = victim.clone();
        let other2 = Mutex::new(Some(other.clone()));
        let made = Arc::new(Mutex::new(Vec::new()));
        let m = made.clone();
        let _first = Ref::with_callback(&o, move |_| {
            // Dropping a ref whose callback is already due does not cancel it:
            // death committed to every callback at once, as CPython does.
            drop(v.lock().unwrap().take());
            let other = other2.lock().unwrap().take().unwrap();
            m.lock().unwrap().push(Ref::new(&other));
        });
        drop(o);
        assert_eq!(*log.lock().unwrap(), ["victim", "drop o"]);
        assert!(made.lock().unwrap()[0].upgrade().is_some());
        drop(other);
        assert!(made.lock().unwrap()[0].upgrade().is_none());
    }

    #[cfg(feature = "std")] // a panicking callback aborts without std
    #[test]
    fn panicking_callbacks_are_reported_and_the_rest_still_runs() {
        let _serial = crate::unraisable::tests::HOOK_LOCK.lock().unwrap();
        let reports = Arc::new(Mutex::new(Vec::new()));
        let sink = reports.clone();
        crate::set_unraisable_hook(move |u| {
            sink.lock()
                .unwrap()
                .push(format!("{}|{}|{:?}", u.what(), u.type_name(), u.message()));
        });
        let log = log();
        let o = noisy("o", &log);
        let _a = Ref::with_callback(&o, record(&log, "a"));
        let _b = Ref::with_callback(&o, |_| panic!("boom"));
        let _c = Ref::with_callback(&o, record(&log, "c"));
        drop(o);
        crate::take_unraisable_hook();
        assert_eq!(*log.lock().unwrap(), ["c", "a", "drop o"]);
        assert_eq!(
            *reports.lock().unwrap(),
            ["weakref callback|Noisy|Some(\"boom\")"]
        );
    }

    #[test]
    fn a_ref_owning_its_referent_kills_it_when_dropped_without_calling_back() {
        let log = log();
        let o = noisy("o", &log);
        let called = Arc::new(AtomicUsize::new(0));
        let r = Ref::with_data_and_callback(&o, Mutex::new(Some(o.clone())), add_to(&called, 1));
        drop(o);
        assert!(r.is_alive());
        drop(r);
        assert_eq!(called.load(SeqCst), 0);
        assert_eq!(*log.lock().unwrap(), ["drop o"]);
    }

    #[test]
    fn getweakrefs_lists_basic_first_then_newest() {
        let log = log();
        let o = noisy("o", &log);
        let a = Ref::with_callback(&o, |_| {});
        let basic = Ref::new(&o);
        let b = Ref::with_data(&o, 5u8);
        let listed = getweakrefs(&o);
        assert_eq!(listed.len(), 3);
        assert!(listed[0] == basic && listed[1] == b && listed[2] == a);
        drop(listed);
        drop(basic);
        assert_eq!(getweakrefcount(&o), 2);
        assert_eq!(getweakrefs(&o).len(), 2);
    }

    #[test]
    fn basic_ref_is_recreated_after_all_handles_go() {
        let log = log();
        let o = noisy("o", &log);
        let r1 = Ref::new(&o);
        assert_eq!(getweakrefcount(&o), 1);
        drop(r1);
        assert_eq!(getweakrefcount(&o), 0);
        let r2 = Ref::new(&o);
        assert_eq!(getweakrefcount(&o), 1);
        drop(o);
        assert!(!r2.is_alive());
    }

    #[test]
    fn upgrade_races_the_last_drop() {
        for _ in 0..rounds(200, 8) {
            let log = log();
            let o = noisy("o", &log);
            let r = Ref::new(&o);
            let barrier = Arc::new(Barrier::new(3));
            let upgraders: Vec<_> = (0..2)
                .map(|_| {
                    let r = r.clone();
                    let barrier = barrier.clone();
                    thread::spawn(move || {
                        barrier.wait();
                        let mut seen = 0;
                        for _ in 0..rounds(50, 8) {
                            if let Some(o) = r.upgrade() {
                                assert_eq!(o.name, "o");
                                seen += 1;
                            }
                        }
                        seen
                    })
                })
                .collect();
            barrier.wait();
            drop(o);
            for u in upgraders {
                u.join().unwrap();
            }
            assert!(r.upgrade().is_none());
            assert_eq!(*log.lock().unwrap(), ["drop o"]);
        }
    }

    #[test]
    fn ref_drops_and_new_refs_race_the_death() {
        for _ in 0..rounds(100, 8) {
            let log = log();
            let o = noisy("o", &log);
            let calls = Arc::new(AtomicUsize::new(0));
            let barrier = Arc::new(Barrier::new(3));
            // One thread drops refs that have callbacks; another makes new
            // ones while it still holds a clone of the object.
            let doomed: Vec<_> = (0..4)
                .map(|_| Ref::with_callback(&o, add_to(&calls, 1)))
                .collect();
            let dropper = {
                let barrier = barrier.clone();
                thread::spawn(move || {
                    barrier.wait();
                    drop(doomed);
                })
            };
            let maker = {
                let barrier = barrier.clone();
                let o = o.clone();
                let calls = calls.clone();
                thread::spawn(move || {
                    barrier.wait();
                    let made: Vec<_> = (0..4)
                        .map(|_| Ref::with_callback(&o, add_to(&calls, 100)))
                        .collect();
                    drop(o);
                    made
                })
            };
            barrier.wait();
            drop(o);
            dropper.join().unwrap();
            let made = maker.join().unwrap();
            // The four kept refs each called back exactly once; the dropped
            // ones called back at most once each.
            let total = calls.load(SeqCst);
            assert_eq!(total / 100, 4);
            assert!(total % 100 <= 4);
            assert!(made.iter().all(|r| !r.is_alive()));
            assert_eq!(*log.lock().unwrap(), ["drop o"]);
        }
    }

    #[test]
    fn a_ref_dropped_after_it_reads_dead_still_calls_back() {
        for _ in 0..rounds(200, 8) {
            let o = noisy("o", &log());
            let calls = Arc::new(AtomicUsize::new(0));
            let r = Ref::with_callback(&o, add_to(&calls, 1));
            let watcher = thread::spawn(move || {
                while r.is_alive() {
                    std::hint::spin_loop();
                    thread::yield_now();
                }
                drop(r); // after the death: its callback is due
            });
            drop(o);
            watcher.join().unwrap();
            assert_eq!(calls.load(SeqCst), 1);
        }
    }
}
