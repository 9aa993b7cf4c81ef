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

pub(crate) mod key;
pub(crate) mod set;
pub(crate) mod value;
