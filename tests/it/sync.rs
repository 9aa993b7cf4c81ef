//! The suites that run in both flavours, in the sync flavour (see
//! `main.rs`).

pub(crate) use crate::keep_items as sync_only;
pub(crate) use weakable::sync as flavour;

#[path = "test_weakref.rs"]
mod test_weakref;
