//! `Obj<T>`, a strong reference to an object (its header and death are in
//! `core::header` and `core::death`).

use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::{self, NonNull};

use crate::core::death::info_of;
use crate::core::header::{allocate, HeaderPtr, ObjAddr};
use crate::core::slot::{LiveSlotPtr, SlotPtr};
use crate::traits::{SlotKind, WeakRefable, Weakable};
use crate::WeakrefSlot;

/// A strong reference to an object: Python's ordinary reference.
///
/// `Obj<T>` is a thread-safe reference-counted pointer, like
/// [`Arc<T>`](std::sync::Arc), whose allocation also carries the type's
/// `__weakref__` slot. While any `Obj` to an object lives, every weak
/// reference to it can [`upgrade`](crate::Ref::upgrade); when the last one
/// is dropped the object dies: all its refs go dead at once, their callbacks
/// run newest first, then the value is dropped.
///
/// Like `Arc`, `Obj` forwards `PartialEq`, `Eq`, `Hash`, `PartialOrd`, `Ord`,
/// `Display` and `Debug` to `T`; identity is [`Obj::ptr_eq`] and [`Obj::id`]
/// (Python's `is` and `id()`). Methods are associated functions
/// (`Obj::id(&o)`) so they never shadow `T`'s own.
///
/// `Obj<T>` is `Send` and `Sync` when `T` is both, as `Arc<T>` is.
///
/// # Values are `'static`
///
/// An object's value may not borrow anything (`T: 'static`), as a Python
/// object cannot. A death may run after the `drop` that caused it
/// returned: deaths nested deeper than a limit are postponed, and run by
/// the outermost death on the thread (see the crate docs,
/// [Limitations](crate#limitations)), so that a million objects each
/// owning the next do not overflow the stack. A value's `Drop`, or the
/// callbacks of its refs, could then see a borrow that has ended.
///
/// ```compile_fail
/// use weakable::{Obj, Weakable};
///
/// #[derive(Weakable)]
/// struct Local<'a>(&'a String);
///
/// let name = String::from("cat.png");
/// let o = Obj::new(Local(&name)); // error: `name` does not live long enough
/// # drop(o);
/// ```
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable, Debug, PartialEq)]
/// struct Image {
///     name: String,
/// }
///
/// let a = Obj::new(Image { name: "cat.png".into() });
/// let b = Obj::clone(&a);
/// assert!(Obj::ptr_eq(&a, &b));
/// assert_eq!(a.name, "cat.png");
/// assert_eq!(Obj::strong_count(&a), 2);
///
/// let r = Ref::new(&a);
/// drop((a, b));
/// assert!(r.upgrade().is_none());
/// ```
pub struct Obj<T: ?Sized> {
    // Invariant: points at the value of a live object allocation, with
    // provenance over the whole allocation, and owns one strong count.
    ptr: NonNull<T>,
    _owns: PhantomData<T>,
}

// SAFETY: the argument of `Arc<T>`'s: an `Obj` hands out `&T` on any thread holding one
// (so `T: Sync`), and the last one to drop drops the `T` on its own thread
// (so `T: Send`). The header is atomics and immutable data.
unsafe impl<T: ?Sized + Send + Sync> Send for Obj<T> {}
// SAFETY: `&Obj<T>` allows cloning it, hence the same as `Send` above.
unsafe impl<T: ?Sized + Send + Sync> Sync for Obj<T> {}

impl<T: Weakable + 'static> Obj<T> {
    /// Allocates an object holding `value`, with the slot its type chose.
    ///
    /// `T` must be `'static` (see [`Obj`'s docs](Obj#values-are-static)).
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Counter(u32);
    ///
    /// let c = Obj::new(Counter(7));
    /// assert_eq!(c.0, 7);
    /// ```
    #[must_use = "an object dies as soon as its last Obj is dropped"]
    pub fn new(value: T) -> Obj<T> {
        let ptr = allocate(value, T::Slot::__new(), info_of::<T>());
        // SAFETY: a new object, whose one strong count is ours.
        unsafe { Obj::from_raw_value(ptr) }
    }
}

impl<T: Weakable> Obj<T> {
    /// The same object seen through a trait-object view: `Obj<Image>` to
    /// `Obj<dyn Listener>`. Costs nothing at run time: the pointer gains the
    /// trait's vtable; the object, its slot and its counts are shared.
    ///
    /// The view must be declared once with [`weakable_dyn!`](crate::weakable_dyn),
    /// which stable Rust needs in place of `CoerceUnsized`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{weakable_dyn, Obj, Weakable};
    ///
    /// trait Greet {
    ///     fn hello(&self) -> String;
    /// }
    /// weakable_dyn!(dyn Greet);
    ///
    /// #[derive(Weakable)]
    /// struct En;
    /// impl Greet for En {
    ///     fn hello(&self) -> String {
    ///         "hello".into()
    ///     }
    /// }
    ///
    /// let en = Obj::new(En);
    /// let g: Obj<dyn Greet> = Obj::unsize(en.clone());
    /// assert_eq!(g.hello(), "hello");
    /// assert_eq!(Obj::id(&g), Obj::id(&en));
    /// assert_eq!(Obj::strong_count(&en), 2);
    /// assert_eq!(Obj::type_name(&g), "En");
    /// ```
    pub fn unsize<U>(this: Obj<T>) -> Obj<U>
    where
        U: ?Sized + crate::CoerceFrom<T> + Weakable<Slot = T::Slot>,
    {
        let this = core::mem::ManuallyDrop::new(this);
        let fat = U::coerce(this.ptr.as_ptr());
        debug_assert!(ptr::addr_eq(fat, this.ptr.as_ptr()));
        // SAFETY: `CoerceFrom`'s contract: the same pointer (address and
        // provenance), unsized; the strong count moves from `this`, which is
        // not dropped.
        unsafe { Obj::from_raw_value(NonNull::new_unchecked(fat.cast_mut())) }
    }
}

impl<T: ?Sized> Obj<T> {
    /// Takes ownership of one strong count.
    ///
    /// # Safety
    ///
    /// `ptr` points at the value of a live object, with provenance over its
    /// allocation, and the caller transfers one strong count to the result.
    #[inline]
    pub(crate) unsafe fn from_raw_value(ptr: NonNull<T>) -> Obj<T> {
        Obj {
            ptr,
            _owns: PhantomData,
        }
    }

    /// The value pointer, with provenance over the whole allocation.
    #[inline]
    pub(crate) fn value_ptr(this: &Self) -> NonNull<T> {
        this.ptr
    }

    /// The `__weakref__` slot, if the object's type has one.
    #[inline]
    pub(crate) fn weakref_slot(this: &Self) -> Option<&WeakrefSlot>
    where
        T: Weakable,
    {
        // SAFETY: `this` keeps the allocation alive for the borrow, and
        // every object behind an `Obj<T>` has `T::Slot`'s header, which
        // `HAS_WEAKREFS` says is a `WeakrefSlot`.
        T::Slot::HAS_WEAKREFS.then(|| unsafe { this.object().slot::<WeakrefSlot>() })
    }

    /// The object's identity, Python's `id(o)`: its value's address, the
    /// same through every view and every clone while the object lives.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Node;
    ///
    /// let a = Obj::new(Node);
    /// let b = Obj::new(Node);
    /// assert_eq!(Obj::id(&a), Obj::id(&a.clone()));
    /// assert_ne!(Obj::id(&a), Obj::id(&b));
    /// ```
    #[inline]
    pub fn id(this: &Self) -> usize {
        this.object().addr()
    }

    /// Whether two handles are the same object, Python's `a is b`.
    ///
    /// Compares addresses only, as [`Arc::ptr_eq`](std::sync::Arc::ptr_eq)
    /// does, so two views of one object (`Obj<Image>`, `Obj<dyn Listener>`)
    /// compare equal through `Obj::id`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable, PartialEq)]
    /// struct Word(&'static str);
    ///
    /// let a = Obj::new(Word("hi"));
    /// let b = Obj::new(Word("hi"));
    /// assert!(a == b); // equal values
    /// assert!(!Obj::ptr_eq(&a, &b)); // different objects
    /// assert!(Obj::ptr_eq(&a, &a.clone()));
    /// ```
    #[inline]
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        ptr::addr_eq(this.ptr.as_ptr(), other.ptr.as_ptr())
    }

    /// The number of `Obj` handles to this object (Python's reference count).
    ///
    /// Another thread may change it at any moment, so it is a snapshot.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Node;
    ///
    /// let a = Obj::new(Node);
    /// let b = a.clone();
    /// assert_eq!(Obj::strong_count(&a), 2);
    /// drop(b);
    /// assert_eq!(Obj::strong_count(&a), 1);
    /// ```
    #[inline]
    pub fn strong_count(this: &Self) -> usize {
        this.tail().strong.get()
    }

    /// The name of the object's concrete type as reprs show it
    /// ([`Weakable::NAME`]), even through a trait-object view.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// #[weakable(name = "ExpensiveObject")]
    /// struct Expensive;
    ///
    /// assert_eq!(Obj::type_name(&Obj::new(Expensive)), "ExpensiveObject");
    /// ```
    #[inline]
    pub fn type_name(this: &Self) -> &'static str {
        this.tail().info.name
    }

    /// A raw pointer to the value, valid while the object lives.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Node(u8);
    ///
    /// let a = Obj::new(Node(3));
    /// // SAFETY: `a` keeps the object alive.
    /// assert_eq!(unsafe { (*Obj::as_ptr(&a)).0 }, 3);
    /// ```
    #[inline]
    pub fn as_ptr(this: &Self) -> *const T {
        this.ptr.as_ptr()
    }
}

// SAFETY: an `Obj` owns a strong count, which keeps the allocation alive
// (field invariant).
unsafe impl<T: ?Sized> HeaderPtr for Obj<T> {
    #[inline(always)]
    fn object(&self) -> ObjAddr {
        ObjAddr::of(self.ptr)
    }
}

// SAFETY: `T: WeakRefable` means `T::Slot` is `WeakrefSlot`, and every
// object behind an `Obj<T>` has `T::Slot`'s header.
unsafe impl<T: ?Sized + WeakRefable> SlotPtr for Obj<T> {}

// SAFETY: `T: WeakRefable` gives the `WeakrefSlot` header, as for
// `SlotPtr` above, and an `Obj` owns a strong count (field invariant), so
// the count is not zero while it is borrowed.
unsafe impl<T: ?Sized + WeakRefable> LiveSlotPtr for Obj<T> {}

impl<T: ?Sized> Clone for Obj<T> {
    /// Another strong reference to the same object.
    #[inline]
    fn clone(&self) -> Self {
        self.tail().strong.increment();
        Obj {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized> Drop for Obj<T> {
    #[inline]
    fn drop(&mut self) {
        let tail = self.tail();
        if !tail.strong.decrement() {
            return;
        }
        let die = tail.info.die;
        // SAFETY: the strong count just reached zero, so this is the one
        // call of `die` for this object, and the allocation is alive.
        unsafe { die(self.object()) };
    }
}

impl<T: ?Sized> Deref for Obj<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: a live `Obj` keeps the value alive and initialised, and
        // the value is only ever shared, never mutably borrowed, before death.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: ?Sized> AsRef<T> for Obj<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized> core::borrow::Borrow<T> for Obj<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: ?Sized> Unpin for Obj<T> {}

impl<T: Weakable + 'static> From<T> for Obj<T> {
    /// Moves `value` into a new object, as [`Obj::new`].
    fn from(value: T) -> Self {
        Obj::new(value)
    }
}

impl<T: Weakable + Default + 'static> Default for Obj<T> {
    /// An object holding `T::default()`.
    fn default() -> Self {
        Obj::new(T::default())
    }
}

impl<T: ?Sized + PartialEq> PartialEq for Obj<T> {
    /// Compares the values, as `Arc` does; identity is [`Obj::ptr_eq`].
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq> Eq for Obj<T> {}

impl<T: ?Sized + PartialOrd> PartialOrd for Obj<T> {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord> Ord for Obj<T> {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash> Hash for Obj<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> fmt::Pointer for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&self.ptr.as_ptr().cast::<u8>(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::header::{layout_of, Header};
    use crate::Weakable;
    use core::mem::size_of;
    use std::sync::atomic::AtomicUsize as Counter;
    use std::sync::atomic::Ordering;

    static DROPS: Counter = Counter::new(0);

    #[derive(Weakable)]
    #[weakable(no_weakref)]
    struct Plain(#[allow(dead_code)] u64);

    #[derive(Weakable)]
    struct Slotted(#[allow(dead_code)] u64);

    #[repr(align(64))]
    #[derive(Weakable)]
    struct Aligned(u8);

    struct CountDrop;
    impl Drop for CountDrop {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    #[derive(Weakable)]
    struct Holder(#[allow(dead_code)] CountDrop);

    #[test]
    fn header_sizes() {
        assert_eq!(size_of::<Header<crate::NoSlot>>(), 16);
        assert_eq!(size_of::<Header<WeakrefSlot>>(), 48);
        assert_eq!(layout_of::<crate::NoSlot, Plain>().0.size(), 24);
        assert_eq!(layout_of::<WeakrefSlot, Slotted>().0.size(), 56);
    }

    #[test]
    fn over_aligned_values_keep_the_tail_flush() {
        let a = Obj::new(Aligned(9));
        assert_eq!(Obj::id(&a) % 64, 0);
        assert_eq!(a.0, 9);
        assert_eq!(Obj::type_name(&a), "Aligned");
        let r = crate::Ref::new(&a);
        assert!(r.upgrade().is_some());
        drop(a);
        assert!(r.upgrade().is_none());
    }

    #[test]
    fn last_drop_drops_the_value_once() {
        let before = DROPS.load(Ordering::SeqCst);
        let a = Obj::new(Holder(CountDrop));
        let b = a.clone();
        drop(a);
        assert_eq!(DROPS.load(Ordering::SeqCst), before);
        drop(b);
        assert_eq!(DROPS.load(Ordering::SeqCst), before + 1);
    }

    #[test]
    fn no_slot_objects_work_without_weak_bookkeeping() {
        let p = Obj::new(Plain(5));
        let q = p.clone();
        assert_eq!(Obj::strong_count(&p), 2);
        drop(p);
        assert_eq!(q.0, 5);
    }

    #[test]
    fn zero_sized_values() {
        #[derive(Weakable, PartialEq, Debug)]
        struct Unit;
        let a = Obj::new(Unit);
        let b = Obj::new(Unit);
        assert!(!Obj::ptr_eq(&a, &b));
        assert_eq!(a, b);
    }
}
