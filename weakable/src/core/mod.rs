//! The private core every public type is built on, layered one way (each
//! layer uses only those above it):
//!
//! ```text
//! header      an object's allocation: layout, ObjAddr, HeaderPtr, the strong count
//!   node      a ref node: head, vtable, data, callback, NodeHandle (one count)
//!   slot      the __weakref__ slot: weak count, node list and its lock,
//!             basic ref/proxy cache, clearing; builds every node's vtable
//!   (traits.rs) Weakable, WeakRefable, SlotKind: which slot a type's objects have
//!   death     the death sequence: clear, drop the value, release the memory
//!   trashcan  deaths nested too deep on a thread are postponed (std only)
//!   (obj.rs)  Obj<T>, the strong handle
//!   handle    one handle under Ref, Proxy and AnyRef: a node count + the
//!             referent's pointer, the kind a type-level tag
//!   table     the collection engine: a hash table behind a lock, evictions
//!   claims    the keys whose values are being made (`get_or_insert_with`)
//! ```
//!
//! The primitives all of it is built from (atomics, cells, the table lock,
//! parking) come from `crate::rt`.

#[cfg(feature = "std")]
pub(crate) mod claims;
pub(crate) mod death;
pub(crate) mod first_inline;
pub(crate) mod handle;
pub(crate) mod header;
pub(crate) mod node;
pub(crate) mod slot;
pub(crate) mod table;
#[cfg(feature = "std")]
mod trashcan;
