//! The flavour parameter and the handles generic over it.
//!
//! Every handle type is written once, generic over a flavour `F`:
//! [`Obj<T, F>`](Obj), [`Ref<T, X, F>`](Ref), [`Proxy<T, F>`](Proxy) and
//! [`AnyRef<T, F>`](AnyRef). The modules [`sync`](crate::sync) and
//! [`unsync`](crate::unsync) name them with the flavour fixed, and the
//! crate root re-exports `sync`'s, so most code never writes `F`. Write it
//! to be generic over both:
//!
//! ```
//! use weakable::flavor::{Flavor, Obj, Ref};
//! use weakable::Weakable;
//!
//! #[derive(Weakable)]
//! struct Widget(&'static str);
//!
//! /// A parent pointer, in either flavour.
//! struct Child<F: Flavor> {
//!     parent: Ref<Widget, (), F>,
//! }
//!
//! impl<F: Flavor> Child<F> {
//!     fn new(parent: &Obj<Widget, F>) -> Self {
//!         Child { parent: Ref::new(parent) }
//!     }
//!     fn parent_name(&self) -> Option<&'static str> {
//!         self.parent.upgrade().map(|p| p.0)
//!     }
//! }
//!
//! let shared = weakable::sync::Obj::new(Widget("window"));
//! let local = weakable::unsync::Obj::new(Widget("dialog"));
//! assert_eq!(Child::new(&shared).parent_name(), Some("window"));
//! assert_eq!(Child::new(&local).parent_name(), Some("dialog"));
//! ```
//!
//! How the flavour works: an object and its ref nodes are laid out the
//! same in both flavours, and `F` picks the operations on their counts and
//! on the slot's list: atomic read-modify-writes and a spin lock for
//! [`Sync`], plain loads and stores for [`Unsync`], whose handles are
//! neither `Send` nor `Sync`, so that nothing else can be touching them.
//! The weak collections ([`WeakValueDictionary`], [`WeakKeyDictionary`],
//! [`WeakSet`]) are written once too: their table sits in an `Arc` behind
//! a lock in sync, in an `Rc` behind a borrow flag in unsync.

pub use crate::collections::key::{WeakKeyDictionary, WeakKeyItems, WeakKeyValues, WeakKeys};
pub use crate::collections::set::WeakSet;
pub use crate::collections::value::{
    WeakValueDictionary, WeakValueItems, WeakValueKeys, WeakValueValues,
};
pub use crate::collections::DefaultHashBuilder;
pub use crate::dead::Dead;
pub use crate::death_queue::{DeathQueue, RecvAsync, Registration};
#[cfg(feature = "std")]
pub use crate::finalize::{finalize, Finalizer};
pub use crate::method::{BoundMethod, WeakMethod};
pub use crate::obj::Obj;
pub use crate::proxy::Proxy;
pub use crate::reference::{AnyRef, Ref};
pub use crate::rt::flavor::{Flavor, Sendable, Shareable, Sync, Unsync};

#[cfg(test)]
mod tests {
    use std::panic::{RefUnwindSafe, UnwindSafe};

    use crate::Weakable;

    #[derive(Weakable)]
    struct Image;

    fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

    /// Handles are unwind-safe as `Arc` and `Weak` are (issue 15): a
    /// lookup can go in `catch_unwind` without `AssertUnwindSafe`.
    #[test]
    fn handles_are_unwind_safe_in_both_flavours() {
        unwind_safe::<crate::sync::Obj<Image>>();
        unwind_safe::<crate::sync::Ref<Image, u8>>();
        unwind_safe::<crate::sync::Proxy<Image>>();
        unwind_safe::<crate::sync::AnyRef<Image>>();
        unwind_safe::<crate::unsync::Obj<Image>>();
        unwind_safe::<crate::unsync::Ref<Image, u8>>();
        unwind_safe::<crate::unsync::Proxy<Image>>();
        unwind_safe::<crate::unsync::AnyRef<Image>>();
        let o = crate::Obj::new(Image);
        let r = crate::Ref::new(&o);
        assert!(std::panic::catch_unwind(|| r.upgrade().is_some()).unwrap());
    }

    #[test]
    fn errors_debug_without_private_fields() {
        let o = crate::Obj::new(Image);
        let p = crate::Proxy::new(&o);
        drop(o);
        assert_eq!(format!("{:?}", p.get().err().unwrap()), "ReferenceError");
    }
}
