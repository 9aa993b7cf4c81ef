//! The suites that run in both flavours, in the sync flavour (see
//! `main.rs`).

pub(crate) use crate::keep_items as sync_only;
pub(crate) use crate::skip_items as unsync_only;
pub(crate) use weakable::sync as flavour;

// One file, two modules: that is the point (one test body, two flavours).
#[allow(clippy::duplicate_mod)]
#[path = "pointer_basics.rs"]
mod pointer_basics;
#[allow(clippy::duplicate_mod)]
#[path = "test_weakref.rs"]
mod test_weakref;

#[allow(clippy::duplicate_mod)]
#[path = "methods_and_finalizers.rs"]
mod methods_and_finalizers;
