//! The traits `#[derive(Weakable)]` implements: what kind of object a type makes.

use crate::core::slot::{NoSlot, WeakrefSlot};

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::WeakrefSlot {}
    impl Sealed for super::NoSlot {}
}

/// The two slot layouts an object can have: [`WeakrefSlot`] or [`NoSlot`].
///
/// This trait is sealed: the runtime lays out each object's header from the
/// slot type, so only the two types it knows implement it.
///
/// # Examples
///
/// ```
/// use weakable::{NoSlot, SlotKind, WeakrefSlot};
///
/// assert!(WeakrefSlot::HAS_WEAKREFS);
/// assert!(!NoSlot::HAS_WEAKREFS);
/// ```
pub trait SlotKind: sealed::Sealed + Send + Sync + 'static {
    /// Whether objects with this slot can be weakly referenced.
    const HAS_WEAKREFS: bool;
    #[doc(hidden)]
    fn __new() -> Self;
}

impl SlotKind for WeakrefSlot {
    const HAS_WEAKREFS: bool = true;
    fn __new() -> Self {
        WeakrefSlot::new()
    }
}

impl SlotKind for NoSlot {
    const HAS_WEAKREFS: bool = false;
    fn __new() -> Self {
        NoSlot::new()
    }
}

/// A type whose values can live in an [`Obj`](crate::Obj): the runtime side
/// of `#[derive(Weakable)]`.
///
/// The derive picks the object's slot ([`WeakrefSlot`], or [`NoSlot`] under
/// `#[weakable(no_weakref)]`, Python's `__slots__` without `'__weakref__'`)
/// and the name reprs show (`#[weakable(name = "..")]`, by default the type's
/// identifier). Implementing it by hand is safe: the runtime lays out every
/// object from `Slot` itself, so no choice here can make it unsound.
///
/// A trait object type can implement it too, so that `Obj<dyn Trait>` views
/// know which slot every object behind them has; see [`Obj::unsize`](crate::Obj::unsize).
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Image {
///     pixels: Vec<u8>,
/// }
///
/// #[derive(Weakable)]
/// #[weakable(no_weakref, name = "Pt")]
/// struct Point(i32, i32);
///
/// assert_eq!(<Image as Weakable>::NAME, "Image");
/// assert_eq!(<Point as Weakable>::NAME, "Pt");
///
/// let image = Obj::new(Image { pixels: vec![0; 16] });
/// let r = Ref::new(&image);
/// assert!(r.is_alive());
/// ```
///
/// # Python's default equality: `#[weakable(identity)]`
///
/// A plain Python object is equal only to itself and hashes by `id()`, so
/// a `WeakSet` or `WeakKeyDictionary` of them tells every object apart.
/// `#[weakable(identity)]` gives a type the same `PartialEq`, `Eq` and
/// `Hash`, by the address of the value, which is the object's identity
/// (through every handle, ref and view of it):
///
/// ```
/// use weakable::{Obj, Ref, WeakSet, Weakable};
///
/// #[derive(Weakable)]
/// #[weakable(identity)]
/// struct Listener {
///     name: &'static str,
/// }
///
/// let a = Obj::new(Listener { name: "log" });
/// let b = Obj::new(Listener { name: "log" }); // same fields, another object
/// assert!(a != b && a == a.clone());
///
/// let listeners = WeakSet::new();
/// listeners.insert(&a);
/// listeners.insert(&b);
/// listeners.insert(&a.clone());
/// assert_eq!(listeners.len(), 2);
/// assert!(Ref::new(&a) == Ref::new(&a.clone()));
/// drop(b);
/// assert_eq!(listeners.len(), 1);
/// assert!(listeners.contains(&a));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a weakable type: it cannot live in an `Obj`",
    label = "`{Self}` does not implement `Weakable`",
    note = "add `#[derive(Weakable)]` to the definition of `{Self}` (`use weakable::Weakable;`)",
    note = "for a type of another crate, wrap it: `#[derive(Weakable)] struct Wrapper(TheirType);`"
)]
pub trait Weakable {
    /// The `__weakref__` slot every object of this type carries:
    /// [`WeakrefSlot`] or [`NoSlot`].
    type Slot: SlotKind;
    /// The type name shown by reprs (`<weakref at 0x..; to 'Image' at 0x..>`).
    const NAME: &'static str;
}

/// A type whose objects can be weakly referenced: they carry a
/// [`WeakrefSlot`].
///
/// `#[derive(Weakable)]` implements it unless the type says
/// `#[weakable(no_weakref)]`; asking for a weak reference to such a type is a
/// compile error, where Python raises `TypeError` at run time:
///
/// ```compile_fail
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// #[weakable(no_weakref)]
/// struct Point(i32, i32);
///
/// let p = Obj::new(Point(1, 2));
/// let r = Ref::new(&p); // error: cannot create weak reference to 'Point' object
/// ```
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Ref, WeakRefable, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// fn weakly<T: WeakRefable>(o: &Obj<T>) -> Ref<T> {
///     Ref::new(o)
/// }
/// let image = Obj::new(Image);
/// assert!(weakly(&image).upgrade().is_some());
/// ```
#[diagnostic::on_unimplemented(
    message = "cannot create weak reference to '{Self}' object",
    label = "`{Self}` has no `__weakref__` slot",
    note = "`#[weakable(no_weakref)]` opts a type out of weak references; remove it to give `{Self}` a slot"
)]
pub trait WeakRefable: Weakable<Slot = WeakrefSlot> {}
