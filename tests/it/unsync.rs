//! The suites that run in both flavours, in the unsync flavour (see
//! `main.rs`).

pub(crate) use crate::keep_items as unsync_only;
pub(crate) use crate::skip_items as sync_only;
/// The shared pointer a suite shares a collection with (a callback of the
/// sync flavour must be `Send`).
pub(crate) use std::rc::Rc as Shared;
pub(crate) use weakable::unsync as flavour;

// One file, two modules: that is the point (one test body, two flavours).
// Without weakable's std, deaths nested past the limit are not postponed
// (the trashcan's depth is a thread-local): a million-deep chain would
// overflow the stack, as `Rc`'s does.
#[cfg(feature = "std")]
#[allow(clippy::duplicate_mod)]
#[path = "deep_chains.rs"]
mod deep_chains;
#[allow(clippy::duplicate_mod)]
#[path = "pointer_basics.rs"]
mod pointer_basics;
#[allow(clippy::duplicate_mod)]
#[path = "test_weakref.rs"]
mod test_weakref;

#[allow(clippy::duplicate_mod)]
#[path = "methods_and_finalizers.rs"]
mod methods_and_finalizers;

#[allow(clippy::duplicate_mod)]
#[path = "test_weakref_mapping.rs"]
mod test_weakref_mapping;

#[allow(clippy::duplicate_mod)]
#[path = "test_weakset.rs"]
mod test_weakset;

#[allow(clippy::duplicate_mod)]
#[path = "collection_model.rs"]
mod collection_model;

#[allow(clippy::duplicate_mod)]
#[path = "dead_and_death_queue.rs"]
mod dead_and_death_queue;

#[allow(clippy::duplicate_mod)]
#[path = "collection_conveniences.rs"]
mod collection_conveniences;

/// What only the unsync flavour allows, and its reentrancy without locks.
mod collections;
