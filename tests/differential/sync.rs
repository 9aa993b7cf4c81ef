//! The interpreter over the sync flavour (see `interp.rs`).

pub(crate) use weakable::sync as flavour;

// One file, two modules: one interpreter, two flavours.
#[allow(clippy::duplicate_mod)]
#[path = "interp.rs"]
pub(crate) mod interp;
