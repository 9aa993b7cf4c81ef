//! The weak collections: `WeakValueDictionary`, `WeakKeyDictionary` and
//! `WeakSet`, built on the table engine in `core::table`.

/// The common impls of the collections' iterators, which walk a snapshot:
/// `FusedIterator` (once the snapshot is used up, `next` stays `None`) and
/// a `Debug` that shows how many snapshot entries remain.
macro_rules! snapshot_iterator {
    ($name:ident<$($param:ident),*>, [$($generics:tt)*], |$it:ident| $remaining:expr) => {
        impl<$($generics)*> core::iter::FusedIterator for $name<$($param),*> where Self: Iterator {}

        impl<$($generics)*> core::fmt::Debug for $name<$($param),*> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let $it = self;
                f.debug_struct(stringify!($name))
                    .field("remaining", &$remaining)
                    .finish()
            }
        }
    };
}

/// The collections' default `BuildHasher` (their `S` parameter), as
/// hashbrown's `DefaultHashBuilder`: with std, [`RandomState`], seeded at
/// random per collection, as `HashMap`'s.
///
/// Without std (the `std` feature off) there is no source of randomness,
/// and the default is a SipHash with fixed keys: deterministic, so a
/// program that hashes keys an attacker chooses should give each
/// collection its own seeded hasher with `with_hasher`.
///
/// [`RandomState`]: std::hash::RandomState
///
/// # Examples
///
/// ```
/// use weakable::{DefaultHashBuilder, Obj, WeakValueDictionary, Weakable};
///
/// #[derive(Weakable)]
/// struct Image;
///
/// let d: WeakValueDictionary<&str, Image, DefaultHashBuilder> = WeakValueDictionary::new();
/// let a = Obj::new(Image);
/// d.insert("a", &a);
/// assert!(d.contains_key("a"));
/// ```
#[cfg(feature = "std")]
pub type DefaultHashBuilder = std::hash::RandomState;

/// The collections' default `BuildHasher` (their `S` parameter): without
/// std, which has no source of randomness, a SipHash with fixed keys
/// (deterministic, so give a collection of keys an attacker chooses its
/// own seeded hasher with `with_hasher`). With std, `RandomState`.
#[cfg(not(feature = "std"))]
#[allow(deprecated)] // `SipHasher`: the one keyed hash core offers
pub type DefaultHashBuilder = core::hash::BuildHasherDefault<core::hash::SipHasher>;

pub(crate) mod key;
pub(crate) mod set;
pub(crate) mod value;

#[cfg(all(test, feature = "std"))]
mod tests;
