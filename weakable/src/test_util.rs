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

/// Compiles the test items once per flavour, as `mod sync` and `mod
/// unsync`, each naming the handles through `flavour` (`crate::sync` or
/// `crate::unsync`) and the marker type as `Flavour`, as the integration
/// tests do: one test body, two flavours.
macro_rules! in_both_flavours {
    ($($item:item)*) => {
        mod sync {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use crate::sync as flavour;
            /// The flavour's marker type.
            #[allow(dead_code)]
            type Flavour = crate::rt::flavor::Sync;
            $($item)*
        }
        mod unsync {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use crate::unsync as flavour;
            /// The flavour's marker type.
            #[allow(dead_code)]
            type Flavour = crate::rt::flavor::Unsync;
            $($item)*
        }
    };
}
pub(crate) use in_both_flavours;
