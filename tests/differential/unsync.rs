//! The interpreter over the unsync flavour (see `interp.rs`).

pub(crate) use weakable::unsync as flavour;

// One file, two modules: one interpreter, two flavours.
#[allow(clippy::duplicate_mod)]
#[path = "interp.rs"]
pub(crate) mod interp;
