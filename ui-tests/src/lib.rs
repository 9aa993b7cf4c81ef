//! Compile-fail and compile-pass tests of `#[derive(Weakable)]` and of the
//! `weakable` API, run by trybuild from `tests/compiletest.rs`.
//!
//! The cases live in `tests/ui/` (each a single misuse, with the expected
//! compiler output beside it in a `.stderr` file) and `tests/pass/` (code
//! that must compile and run). This library is empty.
