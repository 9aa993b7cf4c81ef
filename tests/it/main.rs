//! Integration tests of weakable: CPython's weakref tests, ported, and
//! threaded stress tests of the core.

mod collection_model;
mod methods_and_finalizers;
mod stress;
mod test_weakref;
mod test_weakref_mapping;
mod test_weakset;
