//! `Obj<T, F>`, a strong reference to an object (its header and death are in
//! `core::header` and `core::death`).

use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ops::Deref;
use core::ptr::{self, NonNull};

use crate::coerce::AnyView;
use crate::core::death::{die_returning, info_of};
use crate::core::header::{allocate, HeaderPtr, ObjAddr};
use crate::core::slot::{self, LiveSlotPtr, SlotPtr};
use crate::reference::Ref;
use crate::rt::flavor::{Flavor, Sync};
use crate::traits::{SlotKind, WeakRefable, Weakable};
use crate::WeakrefSlot;

/// A strong reference to an object: Python's ordinary reference.
///
/// `Obj<T, F>` is a reference-counted pointer whose allocation also
/// carries the type's `__weakref__` slot: in the sync flavour
/// (`weakable::Obj`, `weakable::sync::Obj`) a thread-safe one, like
/// [`Arc<T>`](std::sync::Arc); in the unsync flavour
/// (`weakable::unsync::Obj`) a single-threaded one, like
/// [`Rc<T>`](std::rc::Rc). See [`flavor`](crate::flavor). While any `Obj` to an object lives, every weak
/// reference to it can [`upgrade`](crate::Ref::upgrade); when the last one
/// is dropped the object dies: all its refs go dead at once, their callbacks
/// run newest first, then the value is dropped.
///
/// Like `Arc`, `Obj` forwards `PartialEq`, `Eq`, `Hash`, `PartialOrd`, `Ord`,
/// `Display` and `Debug` to `T`; identity is [`Obj::ptr_eq`] and [`Obj::id`]
/// (Python's `is` and `id()`). Methods are associated functions
/// (`Obj::id(&o)`) so they never shadow `T`'s own.
///
/// A sync `Obj<T>` is `Send` and `Sync` when `T` is both, as `Arc<T>` is;
/// an unsync one is neither, as `Rc<T>`.
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
pub struct Obj<T: ?Sized, F: Flavor = Sync> {
    // Invariant: points at the value of a live object allocation of
    // flavour `F`, with provenance over the whole allocation, and owns one
    // strong count.
    ptr: NonNull<T>,
    _owns: PhantomData<(F, T)>,
}

// SAFETY: the argument of `Arc<T>`'s: an `Obj` hands out `&T` on any thread holding one
// (so `T: Sync`), and the last one to drop drops the `T` on its own thread
// (so `T: Send`). The header is atomics and immutable data, and a sync
// object's counts are only ever updated with read-modify-writes (its
// handles are all of the sync flavour: `die` and every handle's type
// carry the flavour the object was made with). An unsync `Obj` is
// neither `Send` nor `Sync`: its counts are updated with plain loads and
// stores.
unsafe impl<T: ?Sized + Send + core::marker::Sync> Send for Obj<T, Sync> {}
// SAFETY: `&Obj<T>` allows cloning it, hence the same as `Send` above.
unsafe impl<T: ?Sized + Send + core::marker::Sync> core::marker::Sync for Obj<T, Sync> {}

impl<T: Weakable + 'static, F: Flavor> Obj<T, F> {
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
    pub fn new(value: T) -> Obj<T, F> {
        let ptr = allocate(value, T::Slot::__new(), info_of::<T, F>());
        // SAFETY: a new object, whose one strong count is ours.
        unsafe { Obj::from_raw_value(ptr) }
    }

    /// An object that holds a ref to itself: `data_fn` gets the object's
    /// (basic) ref before the value exists, and returns the value. While
    /// `data_fn` runs the ref is dead (`upgrade` returns `None`); once the
    /// value is in place it upgrades. `Arc::new_cyclic`.
    ///
    /// If `data_fn` panics, the object never lives: the ref (and any clone
    /// of it) stays dead, and the memory goes with the last of them.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Gadget {
    ///     me: Ref<Gadget>,
    ///     name: &'static str,
    /// }
    ///
    /// impl Gadget {
    ///     /// A strong handle to itself, from `&self`.
    ///     fn me(&self) -> Obj<Gadget> {
    ///         self.me.upgrade().expect("alive while borrowed")
    ///     }
    /// }
    ///
    /// let g = Obj::new_cyclic(|me: &Ref<Gadget>| {
    ///     assert!(me.upgrade().is_none()); // not built yet
    ///     Gadget { me: me.clone(), name: "pump" }
    /// });
    /// assert!(Obj::ptr_eq(&g.me(), &g));
    /// assert_eq!(g.me().name, "pump");
    /// ```
    pub fn new_cyclic<D>(data_fn: D) -> Obj<T, F>
    where
        T: WeakRefable,
        D: FnOnce(&Ref<T, (), F>) -> T,
    {
        let ptr = allocate(
            MaybeUninit::<T>::uninit(),
            T::Slot::__new(),
            info_of::<T, F>(),
        )
        .cast::<T>();
        // Never dropped (its value is not there yet) nor dereferenced
        // until the value is written: it only lends its strong count to
        // `Ref::new`, which needs the object to be alive while it caches
        // the basic ref.
        // SAFETY: a new object, whose one strong count this takes.
        let building = ManuallyDrop::new(unsafe { Obj::<T, F>::from_raw_value(ptr) });
        let me = Ref::new(&*building);
        // Dead while `data_fn` runs: nothing may reach the missing value.
        // Nobody else has seen the object, so a plain store will do.
        building.tail().strong.set(0);

        /// Unwinding out of `data_fn`: the object never lived. Clear its
        /// slot (the cached basic ref) and let go of the strong side's weak
        /// count, as a death does, without dropping the missing value.
        struct NeverLived<F: Flavor>(ObjAddr, PhantomData<F>);
        impl<F: Flavor> Drop for NeverLived<F> {
            fn drop(&mut self) {
                // SAFETY: the object has a `WeakrefSlot` (`T: WeakRefable`),
                // its strong count is zero for good (nothing can take one
                // from zero), and this runs once; its value was never
                // written, and neither of these touches it.
                unsafe {
                    slot::clear::<F>(self.0);
                    slot::release_weak_after_death::<F>(self.0);
                }
            }
        }
        let never_lived = NeverLived::<F>(building.object(), PhantomData);
        let value = data_fn(&me);
        core::mem::forget(never_lived);
        // SAFETY: the allocation was laid out for a `T` at `ptr`, which is
        // still uninitialised, and nobody can read it: the strong count is
        // zero, so no ref upgrades.
        unsafe { ptr.as_ptr().write(value) };
        // Alive: an `upgrade` that reads one (Acquire) sees the value.
        building.tail().strong.publish_one();
        ManuallyDrop::into_inner(building)
    }
}

impl<T: Weakable, F: Flavor> Obj<T, F> {
    /// The value, if `this` is the object's only `Obj`: the object dies as
    /// at its last drop (every ref goes dead, callbacks run, newest
    /// first), and the value is handed back instead of dropped. Otherwise
    /// `this` comes back unchanged. `Arc::try_unwrap`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable, Debug, PartialEq)]
    /// struct Texture(Vec<u8>);
    ///
    /// let t = Obj::new(Texture(vec![1, 2]));
    /// let r = Ref::new(&t);
    /// let other = t.clone();
    /// let t = Obj::try_unwrap(t).unwrap_err(); // `other` shares it
    /// drop(other);
    /// assert_eq!(Obj::try_unwrap(t), Ok(Texture(vec![1, 2])));
    /// assert!(r.upgrade().is_none()); // the object died
    /// ```
    pub fn try_unwrap(this: Self) -> Result<T, Self> {
        let this = ManuallyDrop::new(this);
        if !this.tail().strong.take_unique::<F>() {
            return Err(ManuallyDrop::into_inner(this));
        }
        // SAFETY: the strong count went from one (ours) to zero, so this
        // is the object's one death; `T` and `F` are its type and flavour.
        Ok(unsafe { die_returning::<T, F>(this.object()) })
    }

    /// The value, if `this` is the last `Obj` of the object (which then
    /// dies as at its last drop, handing the value back instead of dropping
    /// it); `None` otherwise, and `this` is dropped. Of several threads
    /// calling it on clones of one object, exactly one gets the value.
    /// `Arc::into_inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Job(u32);
    ///
    /// let a = Obj::new(Job(7));
    /// let b = a.clone();
    /// let t = std::thread::spawn(move || Obj::into_inner(b).map(|j| j.0));
    /// let mine = Obj::into_inner(a).map(|j| j.0);
    /// let theirs = t.join().unwrap();
    /// assert_eq!(mine.or(theirs), Some(7));
    /// assert!(mine.is_none() || theirs.is_none());
    /// ```
    pub fn into_inner(this: Self) -> Option<T> {
        let this = ManuallyDrop::new(this);
        if !this.tail().strong.decrement::<F>() {
            return None;
        }
        // SAFETY: our decrement took the strong count to zero: this is the
        // object's one death.
        Some(unsafe { die_returning::<T, F>(this.object()) })
    }
}

impl<T: ?Sized + Weakable, F: Flavor> Obj<T, F> {
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
    pub fn unsize<U>(this: Obj<T, F>) -> Obj<U, F>
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

impl<T: ?Sized, F: Flavor> Obj<T, F> {
    /// Takes ownership of one strong count.
    ///
    /// # Safety
    ///
    /// `ptr` points at the value of a live object, with provenance over its
    /// allocation, and the caller transfers one strong count to the result.
    #[inline]
    pub(crate) unsafe fn from_raw_value(ptr: NonNull<T>) -> Obj<T, F> {
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
        // every object behind an `Obj<T, F>` has `T::Slot`'s header, which
        // `HAS_WEAKREFS` says is a `WeakrefSlot`.
        T::Slot::HAS_WEAKREFS.then(|| unsafe { this.object().slot::<WeakrefSlot>() })
    }

    /// A mutable borrow of the value, if nothing else can reach it: `this`
    /// is the object's only `Obj`, and no ref or proxy to it exists (a
    /// ref could upgrade at any moment). `Arc::get_mut`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Counter(u32);
    ///
    /// let mut c = Obj::new(Counter(0));
    /// Obj::get_mut(&mut c).unwrap().0 += 1;
    /// let r = Ref::new(&c);
    /// assert!(Obj::get_mut(&mut c).is_none()); // `r` could upgrade
    /// drop(r);
    /// Obj::get_mut(&mut c).unwrap().0 += 1;
    /// assert_eq!(c.0, 2);
    /// ```
    pub fn get_mut(this: &mut Self) -> Option<&mut T>
    where
        T: Weakable,
    {
        // Refs first: with none, nothing but `this` can make one or
        // upgrade, so once the strong count also reads one, it stays one.
        if !Obj::weakref_slot(this).is_none_or(WeakrefSlot::unreferenced) {
            return None;
        }
        // Acquire: another `Obj`'s drop (Release) happens before we hand
        // out the value.
        if this.tail().strong.get_acquire() != 1 {
            return None;
        }
        // SAFETY: no other `Obj` exists and none can appear (no ref
        // exists, and `this` is borrowed mutably), so nobody else can
        // reach the value for as long as the borrow of `this` lasts.
        Some(unsafe { this.ptr.as_mut() })
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

impl<A: ?Sized + AnyView, F: Flavor> Obj<A, F> {
    /// The object as its concrete type `T`, if that is what it is; the
    /// view back otherwise. The object and its counts are shared, as for
    /// [`Obj::unsize`]: `Arc<dyn Any>::downcast`.
    ///
    /// The views are built in: `dyn Any + Send + Sync` (for objects that
    /// are) and `dyn Any`, for objects with a `__weakref__` slot.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::any::Any;
    /// use weakable::{Obj, Ref, Weakable};
    ///
    /// #[derive(Weakable)]
    /// struct Image(u32);
    /// #[derive(Weakable)]
    /// struct Sound;
    ///
    /// let plugins: Vec<Obj<dyn Any + Send + Sync>> =
    ///     vec![Obj::unsize(Obj::new(Sound)), Obj::unsize(Obj::new(Image(7)))];
    /// let r: Ref<dyn Any + Send + Sync> = Ref::new(&plugins[1]);
    /// let images: Vec<Obj<Image>> = plugins
    ///     .into_iter()
    ///     .filter_map(|p| Obj::downcast::<Image>(p).ok())
    ///     .collect();
    /// assert_eq!(images[0].0, 7);
    /// assert!(r.upgrade().is_some()); // the same object
    /// ```
    pub fn downcast<T: Weakable + core::any::Any>(this: Self) -> Result<Obj<T, F>, Self> {
        if !(*this).is::<T>() {
            return Err(this);
        }
        let this = ManuallyDrop::new(this);
        // SAFETY: the object's value is a `T` (its type id says so), at
        // the view's address; the strong count moves from `this`, which is
        // not dropped.
        Ok(unsafe { Obj::from_raw_value(this.ptr.cast::<T>()) })
    }
}

// SAFETY: an `Obj` owns a strong count, which keeps the allocation alive
// (field invariant).
unsafe impl<T: ?Sized, F: Flavor> HeaderPtr for Obj<T, F> {
    #[inline(always)]
    fn object(&self) -> ObjAddr {
        ObjAddr::of(self.ptr)
    }
}

// SAFETY: `T: WeakRefable` means `T::Slot` is `WeakrefSlot`, and every
// object behind an `Obj<T, F>` has `T::Slot`'s header.
unsafe impl<T: ?Sized + WeakRefable, F: Flavor> SlotPtr for Obj<T, F> {}

// SAFETY: `T: WeakRefable` gives the `WeakrefSlot` header, as for
// `SlotPtr` above, and an `Obj` owns a strong count (field invariant), so
// the count is not zero while it is borrowed.
unsafe impl<T: ?Sized + WeakRefable, F: Flavor> LiveSlotPtr for Obj<T, F> {}

impl<T: ?Sized, F: Flavor> Clone for Obj<T, F> {
    /// Another strong reference to the same object.
    #[inline]
    fn clone(&self) -> Self {
        self.tail().strong.increment::<F>();
        Obj {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized, F: Flavor> Drop for Obj<T, F> {
    #[inline]
    fn drop(&mut self) {
        let tail = self.tail();
        if !tail.strong.decrement::<F>() {
            return;
        }
        let die = tail.info.die;
        // SAFETY: the strong count just reached zero, so this is the one
        // call of `die` for this object, and the allocation is alive.
        unsafe { die(self.object()) };
    }
}

impl<T: ?Sized, F: Flavor> Deref for Obj<T, F> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: a live `Obj` keeps the value alive and initialised, and
        // the value is only ever shared, never mutably borrowed, before death.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: ?Sized, F: Flavor> AsRef<T> for Obj<T, F> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized, F: Flavor> core::borrow::Borrow<T> for Obj<T, F> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: ?Sized, F: Flavor> Unpin for Obj<T, F> {}

impl<T: Weakable + 'static, F: Flavor> From<T> for Obj<T, F> {
    /// Moves `value` into a new object, as [`Obj::new`].
    fn from(value: T) -> Self {
        Obj::new(value)
    }
}

impl<T: Weakable + Default + 'static, F: Flavor> Default for Obj<T, F> {
    /// An object holding `T::default()`.
    fn default() -> Self {
        Obj::new(T::default())
    }
}

impl<T: ?Sized + PartialEq, F: Flavor> PartialEq for Obj<T, F> {
    /// Compares the values, as `Arc` does; identity is [`Obj::ptr_eq`].
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq, F: Flavor> Eq for Obj<T, F> {}

impl<T: ?Sized + PartialOrd, F: Flavor> PartialOrd for Obj<T, F> {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord, F: Flavor> Ord for Obj<T, F> {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash, F: Flavor> Hash for Obj<T, F> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl<T: ?Sized + fmt::Display, F: Flavor> fmt::Display for Obj<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug, F: Flavor> fmt::Debug for Obj<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, F: Flavor> fmt::Pointer for Obj<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&self.ptr.as_ptr().cast::<u8>(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::header::{layout_of, Header};
    use crate::Obj;
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
