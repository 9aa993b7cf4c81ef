//! Error accumulation, after `serde_derive`'s `internals::ctxt`: every stage
//! reports into one [`Ctxt`] and keeps going, so one build shows every
//! mistake in the input.

use std::cell::RefCell;
use std::fmt::Display;

use quote::ToTokens;

/// Collects the errors found while parsing and validating one derive input.
///
/// Hand `&Ctxt` to every stage, then call [`Ctxt::check`] once before
/// generating code.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// An accumulator with no errors yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records an error spanning the tokens of `obj`.
    pub(crate) fn error_spanned_by<A: ToTokens, T: Display>(&self, obj: A, msg: T) {
        self.errors
            .borrow_mut()
            .push(syn::Error::new_spanned(obj.into_token_stream(), msg));
    }

    /// Records an error built elsewhere (by syn, or with a chosen span).
    pub(crate) fn syn_error(&self, err: syn::Error) {
        self.errors.borrow_mut().push(err);
    }

    /// `Ok` if nothing was recorded, otherwise every error combined into
    /// one, in the order they were found.
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut errors = self.errors.into_inner().into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}
