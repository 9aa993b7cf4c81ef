//! `ReferenceError`: a proxy used after its referent died.

use core::fmt;

/// The error of using a dead [`Proxy`](crate::Proxy), Python's
/// `ReferenceError`.
///
/// # Examples
///
/// ```
/// use weakable::{Obj, Proxy, ReferenceError, Weakable};
///
/// #[derive(Weakable)]
/// struct Image {
///     width: u32,
/// }
///
/// fn width(p: &Proxy<Image>) -> Result<u32, ReferenceError> {
///     Ok(p.get()?.width)
/// }
///
/// let o = Obj::new(Image { width: 640 });
/// let p = Proxy::new(&o);
/// assert_eq!(width(&p), Ok(640));
/// drop(o);
/// let err = width(&p).unwrap_err();
/// assert_eq!(err.to_string(), "weakly-referenced object no longer exists");
/// assert_eq!(format!("{err:?}"), "ReferenceError");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReferenceError {
    _private: (),
}

/// `ReferenceError`, without the private field that keeps it from being
/// built outside this crate.
impl fmt::Debug for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReferenceError")
    }
}

impl ReferenceError {
    pub(crate) const fn new() -> Self {
        ReferenceError { _private: () }
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("weakly-referenced object no longer exists")
    }
}

impl core::error::Error for ReferenceError {}
