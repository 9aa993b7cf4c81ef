//! The derive's view of its input: [`Input`], built from a
//! [`syn::DeriveInput`] by [`Input::from_syn`], which rejects unions.

use quote::quote;
use syn::{Data, DeriveInput, Generics, Ident};

use crate::attr;
use crate::ctxt::Ctxt;

/// A struct or enum deriving `Weakable`, with its container attributes
/// parsed.
pub(crate) struct Input<'a> {
    /// The type's name.
    pub(crate) ident: &'a Ident,
    /// The type's generics, kept verbatim in the impls.
    pub(crate) generics: &'a Generics,
    /// Struct, enum or union, down to the attributes of fields and variants.
    pub(crate) shape: Shape<'a>,
    /// `#[weakable(..)]` on the type.
    pub(crate) attrs: attr::Container,
}

/// What kind of type the input is.
pub(crate) enum Shape<'a> {
    /// A named, tuple or unit struct.
    Struct(Vec<Field<'a>>),
    /// An enum; its variants may carry data.
    Enum(Vec<Variant<'a>>),
    /// A union: already reported as an error.
    Union,
}

/// An enum variant.
pub(crate) struct Variant<'a> {
    /// The variant as written, for spans.
    pub(crate) original: &'a syn::Variant,
    /// The variant's fields.
    pub(crate) fields: Vec<Field<'a>>,
}

/// A field of a struct or variant.
pub(crate) struct Field<'a> {
    /// The field as written, for spans.
    pub(crate) original: &'a syn::Field,
}

impl<'a> Input<'a> {
    /// Builds the IR. Errors (a union, a bad attribute) go to `cx`; the IR
    /// is built anyway so that later stages, and the fallback, can use it.
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = attr::Container::from_attrs(cx, &input.attrs);
        let shape = match &input.data {
            Data::Struct(data) => Shape::Struct(Field::multiple(&data.fields)),
            Data::Enum(data) => Shape::Enum(
                data.variants
                    .iter()
                    .map(|variant| Variant {
                        original: variant,
                        fields: Field::multiple(&variant.fields),
                    })
                    .collect(),
            ),
            Data::Union(data) => {
                let (union_token, ident) = (data.union_token, &input.ident);
                cx.error_spanned_by(
                    quote!(#union_token #ident),
                    "#[derive(Weakable)] does not support unions",
                );
                Shape::Union
            }
        };
        Input {
            ident: &input.ident,
            generics: &input.generics,
            shape,
            attrs,
        }
    }
}

impl<'a> Field<'a> {
    fn multiple(fields: &'a syn::Fields) -> Vec<Self> {
        fields
            .iter()
            .map(|field| Field { original: field })
            .collect()
    }
}
