//! Integration tests of weakable: CPython's weakref tests, ported, threaded
//! stress tests of the core, and model tests of the collections under
//! threads (`collection_model`). The differential tests against CPython are
//! the other test binary, `tests/differential`.

/// Keeps its items: what a suite tests in the sync flavour only.
macro_rules! keep_items {
    ($($item:item)*) => { $($item)* };
}
/// Drops its items: in the unsync flavour, what needs threads and the
/// crate root's names (the sync flavour's); in the sync flavour, what is
/// about the unsync one only (`unsync_only`).
macro_rules! skip_items {
    ($($item:item)*) => {};
}
#[allow(unused_imports)]
use {keep_items, skip_items};

/// The suites that run in both flavours: each is one file, compiled once
/// in `sync` and once in `unsync`, naming the handles through
/// `super::flavour` (`weakable::sync` or `weakable::unsync`).
#[cfg(feature = "std")]
mod sync;
mod unsync;

// The sync flavour's own suites, and what needs weakable's std.
#[cfg(feature = "std")]
mod death_as_data;
#[cfg(feature = "std")]
mod finalizer_hostile;
#[cfg(feature = "std")]
mod hostile_keys;
#[cfg(feature = "std")]
mod stress;
#[cfg(feature = "std")]
mod unraisable_hook;
