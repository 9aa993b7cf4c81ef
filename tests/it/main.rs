//! Integration tests of weakable: CPython's weakref tests, ported, threaded
//! stress tests of the core, and model tests of the collections under
//! threads (`collection_model`). The differential tests against CPython are
//! the other test binary, `tests/differential`.

mod collection_model;
mod deep_chains;
mod finalizer_hostile;
mod hostile_keys;
mod methods_and_finalizers;
mod stress;
mod test_weakref;
mod test_weakref_mapping;
mod test_weakset;
mod unraisable_hook;
