//! Integration tests of weakable: CPython's weakref tests, ported, and
//! threaded stress tests of the core.

mod stress;
mod test_weakref;
