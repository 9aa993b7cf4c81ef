//! What to emit when the input has errors.
//!
//! The errors alone would leave the type without `Weakable`, and every
//! `Obj::new` or `Ref::new` of it would fail too, burying the real mistake
//! under follow-on errors. So the errors come with the default impl: a
//! `__weakref__` slot and the type's own name, the most permissive choice,
//! under the crate path the user gave if that much parsed.

use proc_macro2::TokenStream;

use crate::ast::Input;
use crate::expand;

/// `compile_error!` for each error in `err`, then the default impls.
pub(crate) fn expand(input: &Input<'_>, err: &syn::Error) -> TokenStream {
    let mut tokens = err.to_compile_error();
    tokens.extend(expand::impls(input, false, &expand::default_name(input)));
    tokens
}
