//! The weak collections: `WeakValueDictionary`, `WeakKeyDictionary` and
//! `WeakSet`, built on the table engine in `core::table`.

pub(crate) mod key;
pub(crate) mod set;
pub(crate) mod value;
