//! weakable's benchmarks, against `std`, the `weak-table` crate and CPython:
//! criterion benches in `benches/` (`cargo bench -p weakable-bench`), the
//! memory measurements in `examples/memory.rs`, and `bench/compare`, which
//! runs both with `bench/cpython.py` and writes BENCHMARKS.md. This library
//! is empty.
