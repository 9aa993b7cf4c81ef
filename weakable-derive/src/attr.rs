//! `#[weakable(..)]`: the container attributes, parsed with
//! `parse_nested_meta`, one [`Attr`] per key.
//!
//! A bad key or value is recorded in the [`Ctxt`] and parsing goes on with
//! the next key, so every mistake in an attribute is reported at once.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{Attribute, LitStr, Path, Token};

use crate::ctxt::Ctxt;

/// The attribute's own name, `#[weakable(..)]`.
pub(crate) const WEAKABLE: &str = "weakable";
/// `#[weakable(no_weakref)]`: objects without a `__weakref__` slot.
pub(crate) const NO_WEAKREF: &str = "no_weakref";
/// `#[weakable(name = "..")]`: the type name reprs show.
pub(crate) const NAME: &str = "name";
/// `#[weakable(crate = "..")]`: the path to the runtime crate.
pub(crate) const CRATE: &str = "crate";
/// `#[weakable(identity)]`: `PartialEq`, `Eq` and `Hash` by object identity.
pub(crate) const IDENTITY: &str = "identity";

/// Whether `attr` is a `#[weakable ..]` attribute, whatever its form.
pub(crate) fn is_weakable(attr: &Attribute) -> bool {
    attr.path().is_ident(WEAKABLE)
}

/// The attributes of the struct or enum, as written; an absent key is
/// `false` or `None`.
pub(crate) struct Container {
    /// `no_weakref`, if given.
    pub(crate) no_weakref: bool,
    /// `name = ".."`, if given (the literal, so it keeps its span).
    pub(crate) name: Option<LitStr>,
    /// `crate = ".."`, parsed as a path, if given.
    pub(crate) crate_path: Option<Path>,
    /// `identity`, if given.
    pub(crate) identity: bool,
}

impl Container {
    /// Parses every `#[weakable(..)]` among `attrs`, recording errors in `cx`.
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut no_weakref = BoolAttr::none(cx, NO_WEAKREF);
        let mut name = Attr::none(cx, NAME);
        let mut crate_path = Attr::none(cx, CRATE);
        let mut identity = BoolAttr::none(cx, IDENTITY);

        for attr in attrs.iter().filter(|attr| is_weakable(attr)) {
            // `#[weakable]` and `#[weakable = ".."]` fail here with syn's own
            // message; `#[weakable()]` calls the closure zero times and is a
            // no-op, as `#[serde()]` is.
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(NO_WEAKREF) {
                    if flag_value(cx, &meta)? {
                        no_weakref.set_true(&meta.path);
                    }
                } else if meta.path.is_ident(IDENTITY) {
                    if flag_value(cx, &meta)? {
                        identity.set_true(&meta.path);
                    }
                } else if meta.path.is_ident(NAME) {
                    if let Some(lit) = string_value(cx, &meta, NAME, "Image")? {
                        name.set(&meta.path, lit);
                    }
                } else if meta.path.is_ident(CRATE) {
                    if let Some(lit) = string_value(cx, &meta, CRATE, "path::to::weakable")? {
                        match lit.parse_with(Path::parse_mod_style) {
                            Ok(path) => crate_path.set(&meta.path, path),
                            Err(_) => cx.error_spanned_by(
                                &lit,
                                "expected a path to the weakable crate, \
                                 as in `#[weakable(crate = \"path::to::weakable\")]`",
                            ),
                        }
                    }
                } else {
                    let key = meta.path.to_token_stream().to_string().replace(' ', "");
                    cx.syn_error(meta.error(format_args!(
                        "unknown weakable attribute `{key}`; \
                         expected one of `{NO_WEAKREF}`, `{NAME}`, `{CRATE}`, `{IDENTITY}`",
                    )));
                    skip_value(meta.input)?;
                }
                Ok(())
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }

        Container {
            no_weakref: no_weakref.get(),
            name: name.get(),
            crate_path: crate_path.get(),
            identity: identity.get(),
        }
    }
}

/// One key's value, remembering it was seen so that a second occurrence is
/// reported (spanned on that second occurrence).
struct Attr<'c, T> {
    cx: &'c Ctxt,
    key: &'static str,
    value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    fn none(cx: &'c Ctxt, key: &'static str) -> Self {
        Attr {
            cx,
            key,
            value: None,
        }
    }

    fn set(&mut self, path: &Path, value: T) {
        if self.value.is_some() {
            let key = self.key;
            self.cx
                .error_spanned_by(path, format_args!("duplicate weakable attribute `{key}`"));
        } else {
            self.value = Some(value);
        }
    }

    fn get(self) -> Option<T> {
        self.value
    }
}

/// A key that takes no value.
struct BoolAttr<'c>(Attr<'c, ()>);

impl<'c> BoolAttr<'c> {
    fn none(cx: &'c Ctxt, key: &'static str) -> Self {
        BoolAttr(Attr::none(cx, key))
    }

    fn set_true(&mut self, path: &Path) {
        self.0.set(path, ());
    }

    fn get(self) -> bool {
        self.0.get().is_some()
    }
}

/// Checks that a flag key has no value (`no_weakref = true` and
/// `no_weakref(..)` are errors spanned on the value); `Ok(true)` if it is
/// well formed.
fn flag_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
    let key = meta.path.to_token_stream();
    let eq = meta.input.parse::<Option<Token![=]>>()?;
    let value = skip_value(meta.input)?;
    if eq.is_none() && value.is_empty() {
        return Ok(true);
    }
    let msg = format!("`{key}` takes no value; write `#[weakable({key})]`");
    if value.is_empty() {
        cx.error_spanned_by(eq, &msg);
    } else {
        cx.error_spanned_by(value, &msg);
    }
    Ok(false)
}

/// Reads `key = "string"`. Anything else is recorded as an error spanned on
/// the value (on the key if there is no value) and gives `Ok(None)`.
fn string_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    let msg = format!("`{key}` takes a string literal, as in `#[weakable({key} = \"{example}\")]`");
    let eq = meta.input.parse::<Option<Token![=]>>()?;
    let value = skip_value(meta.input)?;
    if eq.is_none() {
        cx.error_spanned_by(&meta.path, &msg);
        return Ok(None);
    }
    if value.is_empty() {
        cx.error_spanned_by(eq, &msg);
        return Ok(None);
    }
    // A suffixed literal (`"Image"x`) parses as a `LitStr` but is no string.
    let lit = syn::parse2::<LitStr>(value.clone())
        .ok()
        .filter(|lit| lit.suffix().is_empty());
    if lit.is_none() {
        cx.error_spanned_by(value, &msg);
    }
    Ok(lit)
}

/// Consumes the rest of one `key ...` item, up to the next top-level comma,
/// and returns it: the value of a key, or whatever follows a bad one.
fn skip_value(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let mut tokens = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        tokens.extend([input.parse::<TokenTree>()?]);
    }
    Ok(tokens)
}
