//! Helpers of the unit tests.

/// `n` rounds of a test loop, or at most `under_miri` under Miri, which is
/// far slower.
pub(crate) fn rounds(n: usize, under_miri: usize) -> usize {
    if cfg!(miri) {
        n.min(under_miri)
    } else {
        n
    }
}
