//! Rules that need more than one attribute or the item's shape.

use syn::Attribute;

use crate::ast::{Field, Input, Shape};
use crate::attr;
use crate::ctxt::Ctxt;

/// Checks `input` as a whole, recording every violation in `cx`.
pub(crate) fn check(cx: &Ctxt, input: &Input<'_>) {
    check_misplaced_attrs(cx, input);
}

/// `#[weakable(..)]` configures the type; on a variant or a field it would
/// be silently ignored, so it is an error there. (On a generic parameter
/// rustc itself rejects it: derive helper attributes are not in scope there.)
fn check_misplaced_attrs(cx: &Ctxt, input: &Input<'_>) {
    let reject_fields = |fields: &[Field<'_>]| {
        for field in fields {
            reject(cx, &field.original.attrs);
        }
    };
    match &input.shape {
        Shape::Struct(fields) => reject_fields(fields),
        Shape::Enum(variants) => {
            for variant in variants {
                reject(cx, &variant.original.attrs);
                reject_fields(&variant.fields);
            }
        }
        Shape::Union => {}
    }
}

fn reject(cx: &Ctxt, attrs: &[Attribute]) {
    for attr in attrs.iter().filter(|attr| attr::is_weakable(attr)) {
        cx.error_spanned_by(
            attr,
            "not expected here; #[weakable(..)] belongs on the struct or enum",
        );
    }
}
