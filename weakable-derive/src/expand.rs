//! Code generation: tokens from the validated IR only.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::{DeriveInput, LitStr};

use crate::ast::Input;
use crate::ctxt::Ctxt;
use crate::{fallback, valid};

/// The whole derive: parse, check, then generate, or report every error
/// (plus the fallback impl) if there were any.
pub(crate) fn derive(node: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let input = Input::from_syn(&cx, node);
    valid::check(&cx, &input);
    let mut tokens = match cx.check() {
        Ok(()) => impl_weakable(&input),
        Err(err) => fallback::expand(&input, &err),
    };
    // Also after errors: a type that asked for identity equality gets it,
    // so its uses as a key report no follow-on errors.
    tokens.extend(identity_impls(&input));
    tokens
}

fn impl_weakable(input: &Input<'_>) -> TokenStream {
    let name = match &input.attrs.name {
        Some(name) => name.clone(),
        None => default_name(input),
    };
    impls(input, input.attrs.no_weakref, &name)
}

/// Under `#[weakable(identity)]`, `PartialEq`, `Eq` and `Hash` by object
/// identity: Python's default `==` and `hash()` for plain objects. A value
/// lives inside its object, so its address is the object's `id()`, the
/// same through every `Obj`, `Ref` and view of it.
pub(crate) fn identity_impls(input: &Input<'_>) -> Option<TokenStream> {
    if !input.attrs.identity {
        return None;
    }
    let mut ident = input.ident.clone();
    ident.set_span(Span::call_site());
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Some(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::core::cmp::PartialEq for #ident #ty_generics #where_clause {
                #[inline]
                fn eq(&self, other: &Self) -> bool {
                    ::core::ptr::eq(self, other)
                }
            }
            #[automatically_derived]
            impl #impl_generics ::core::cmp::Eq for #ident #ty_generics #where_clause {}
            #[automatically_derived]
            impl #impl_generics ::core::hash::Hash for #ident #ty_generics #where_clause {
                #[inline]
                fn hash<__H: ::core::hash::Hasher>(&self, state: &mut __H) {
                    ::core::ptr::hash(self, state)
                }
            }
        };
    })
}

/// The name reprs show by default: the identifier, without `r#`.
pub(crate) fn default_name(input: &Input<'_>) -> LitStr {
    LitStr::new(&input.ident.unraw().to_string(), Span::call_site())
}

/// The path generated code names the runtime crate by.
pub(crate) fn crate_path(input: &Input<'_>) -> TokenStream {
    let default = || quote!(::weakable);
    input
        .attrs
        .crate_path
        .as_ref()
        .map_or_else(default, ToTokens::to_token_stream)
}

/// `impl Weakable` (with the chosen slot and name) and, for a type with a
/// slot, `impl WeakRefable`, inside an anonymous `const`.
///
/// No bounds are added to the type's parameters: neither trait needs
/// anything from them.
pub(crate) fn impls(input: &Input<'_>, no_weakref: bool, name: &LitStr) -> TokenStream {
    let krate = crate_path(input);
    let mut ident = input.ident.clone();
    ident.set_span(Span::call_site());
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();

    let slot = if no_weakref {
        quote!(#krate::NoSlot)
    } else {
        quote!(#krate::WeakrefSlot)
    };
    let weakrefable = (!no_weakref).then(|| {
        quote! {
            #[automatically_derived]
            #[allow(unused_qualifications)]
            impl #impl_generics #krate::WeakRefable for #ident #ty_generics #where_clause {}
        }
    });

    quote! {
        const _: () = {
            #[automatically_derived]
            #[allow(unused_qualifications)]
            impl #impl_generics #krate::Weakable for #ident #ty_generics #where_clause {
                type Slot = #slot;
                const NAME: &'static str = #name;
            }
            #weakrefable
        };
    }
}
