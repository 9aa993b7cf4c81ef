//! Runs the trybuild cases: `ui/` must fail to compile with exactly the
//! adjacent `.stderr`, `pass/` must compile and run.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p
//! weakable-ui-tests` on the toolchain CI uses, and read each one.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
}
