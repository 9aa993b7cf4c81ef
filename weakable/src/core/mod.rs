//! The private core every public type is built on.

pub(crate) mod first_inline;
pub(crate) mod table;
