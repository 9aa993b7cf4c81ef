//! Unit tests of parsing, validation and expansion, on inputs built with
//! `parse_quote!` (proc-macro crates can test their `proc_macro2` side).

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{parse_quote, DeriveInput};

use crate::ast::Input;
use crate::ctxt::Ctxt;
use crate::{expand, valid};

/// The messages `input` is rejected with, in order; empty if it is valid.
fn errors(input: &DeriveInput) -> Vec<String> {
    let cx = Ctxt::new();
    let parsed = Input::from_syn(&cx, input);
    valid::check(&cx, &parsed);
    match cx.check() {
        Ok(()) => Vec::new(),
        Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
    }
}

fn container(input: &DeriveInput) -> (bool, Option<String>, Option<String>) {
    let cx = Ctxt::new();
    let parsed = Input::from_syn(&cx, input);
    assert!(cx.check().is_ok());
    let attrs = parsed.attrs;
    (
        attrs.no_weakref,
        attrs.name.map(|name| name.value()),
        attrs
            .crate_path
            .map(|path| path.to_token_stream().to_string()),
    )
}

/// Every token, groups opened, delimiters dropped.
fn flatten(tokens: TokenStream, out: &mut Vec<TokenTree>) {
    for tree in tokens {
        match tree {
            TokenTree::Group(ref group) => {
                let delimiter = group.delimiter();
                if delimiter != Delimiter::None {
                    out.push(tree.clone());
                }
                flatten(group.stream(), out);
            }
            tree => out.push(tree),
        }
    }
}

/// The first segment of every global path (`::first::..`) in `tokens`.
fn global_roots(tokens: TokenStream) -> Vec<String> {
    let mut flat = Vec::new();
    flatten(tokens, &mut flat);
    let mut roots = Vec::new();
    for (i, window) in flat.windows(3).enumerate() {
        let [TokenTree::Punct(a), TokenTree::Punct(b), TokenTree::Ident(root)] = window else {
            continue;
        };
        let continues_a_path = i.checked_sub(1).is_some_and(|prev| match &flat[prev] {
            TokenTree::Ident(_) => true,
            TokenTree::Punct(p) => p.as_char() == '>',
            _ => false,
        });
        if a.as_char() == ':' && b.as_char() == ':' && !continues_a_path {
            roots.push(root.to_string());
        }
    }
    roots
}

fn image() -> DeriveInput {
    parse_quote! {
        struct Image<'a, T: ?Sized + 'a, const N: usize = 4> where T: Send {
            pixels: &'a T,
        }
    }
}

#[test]
fn defaults() {
    let input: DeriveInput = parse_quote!(
        struct Image;
    );
    assert_eq!(container(&input), (false, None, None));
}

#[test]
fn keys_in_one_attribute_or_several() {
    let one: DeriveInput = parse_quote! {
        #[weakable(no_weakref, name = "Pt", crate = "reexport::weakable")]
        struct Point;
    };
    let several: DeriveInput = parse_quote! {
        #[weakable(no_weakref)]
        #[weakable()]
        #[weakable(name = "Pt",)]
        #[weakable(crate = "reexport::weakable")]
        struct Point;
    };
    let expected = (
        true,
        Some("Pt".to_owned()),
        Some("reexport :: weakable".to_owned()),
    );
    assert_eq!(container(&one), expected);
    assert_eq!(container(&several), expected);
}

#[test]
fn other_attributes_are_ignored() {
    let input: DeriveInput = parse_quote! {
        #[derive(Clone)]
        #[serde(name = 1)]
        #[doc = "An image."]
        struct Image {
            #[serde(skip)]
            pixels: Vec<u8>,
        }
    };
    assert_eq!(container(&input), (false, None, None));
}

#[test]
fn every_error_is_reported() {
    let input: DeriveInput = parse_quote! {
        #[weakable(foo, no_weakref = true, name = 1, name = "a", name = "b")]
        #[weakable(crate = "not a path", bar::baz(1, 2), no_weakref, no_weakref)]
        enum E {
            #[weakable(name = "V")]
            V(#[weakable] u8),
        }
    };
    let keys = "expected one of `no_weakref`, `name`, `crate`, `identity`";
    assert_eq!(
        errors(&input),
        [
            format!("unknown weakable attribute `foo`; {keys}"),
            "`no_weakref` takes no value; write `#[weakable(no_weakref)]`".to_owned(),
            "`name` takes a string literal, as in `#[weakable(name = \"Image\")]`".to_owned(),
            "duplicate weakable attribute `name`".to_owned(),
            "expected a path to the weakable crate, as in \
             `#[weakable(crate = \"path::to::weakable\")]`"
                .to_owned(),
            format!("unknown weakable attribute `bar::baz`; {keys}"),
            "duplicate weakable attribute `no_weakref`".to_owned(),
            "not expected here; #[weakable(..)] belongs on the struct or enum".to_owned(),
            "not expected here; #[weakable(..)] belongs on the struct or enum".to_owned(),
        ]
    );
}

#[test]
fn values_must_be_plain_string_literals() {
    let input: DeriveInput = parse_quote! {
        #[weakable(name = "Image"x, name = b"Image", name, name =, crate = 1)]
        #[weakable(no_weakref(), no_weakref =)]
        struct Image;
    };
    let name = "`name` takes a string literal, as in `#[weakable(name = \"Image\")]`";
    let krate =
        "`crate` takes a string literal, as in `#[weakable(crate = \"path::to::weakable\")]`";
    let flag = "`no_weakref` takes no value; write `#[weakable(no_weakref)]`";
    assert_eq!(errors(&input), [name, name, name, name, krate, flag, flag]);
}

#[test]
fn attribute_forms_syn_rejects() {
    let bare: DeriveInput = parse_quote!(
        #[weakable]
        struct S;
    );
    assert_eq!(
        errors(&bare),
        ["expected attribute arguments in parentheses: #[weakable(...)]"]
    );
    let name_value: DeriveInput = parse_quote!(
        #[weakable = "x"]
        struct S;
    );
    assert_eq!(
        errors(&name_value),
        ["expected parentheses: #[weakable(...)]"]
    );
}

#[test]
fn unions_are_rejected() {
    let input: DeriveInput = parse_quote!(union U { a: u8, b: i8 });
    assert_eq!(
        errors(&input),
        ["#[derive(Weakable)] does not support unions"]
    );
}

#[test]
fn expansion_with_slot() {
    let expected = quote::quote! {
        const _: () = {
            #[automatically_derived]
            #[allow(unused_qualifications)]
            impl<'a, T: ?Sized + 'a, const N: usize> ::weakable::Weakable for Image<'a, T, N>
            where
                T: Send
            {
                type Slot = ::weakable::WeakrefSlot;
                const NAME: &'static str = "Image";
            }
            #[automatically_derived]
            #[allow(unused_qualifications)]
            impl<'a, T: ?Sized + 'a, const N: usize> ::weakable::WeakRefable for Image<'a, T, N>
            where
                T: Send
            {}
        };
    };
    assert_eq!(expand::derive(&image()).to_string(), expected.to_string());
}

#[test]
fn expansion_without_slot() {
    let input: DeriveInput = parse_quote! {
        #[weakable(no_weakref, name = "Pt", crate = "reexport::weakable")]
        enum r#Point<T> { A(T) }
    };
    let expected = quote::quote! {
        const _: () = {
            #[automatically_derived]
            #[allow(unused_qualifications)]
            impl<T> reexport::weakable::Weakable for r#Point<T> {
                type Slot = reexport::weakable::NoSlot;
                const NAME: &'static str = "Pt";
            }
        };
    };
    assert_eq!(expand::derive(&input).to_string(), expected.to_string());
}

#[test]
fn raw_identifiers_are_named_without_prefix() {
    let input: DeriveInput = parse_quote!(
        struct r#type;
    );
    let tokens = expand::derive(&input).to_string();
    assert!(tokens.contains("for r#type"), "{tokens}");
    assert!(tokens.contains("\"type\""), "{tokens}");
}

#[test]
fn expansion_is_deterministic() {
    let inputs = [
        image(),
        parse_quote!(
            #[weakable(no_weakref)]
            struct P(i32);
        ),
        parse_quote!(
            #[weakable(name = 1, bogus)]
            struct Bad;
        ),
    ];
    for input in &inputs {
        assert_eq!(
            expand::derive(input).to_string(),
            expand::derive(input).to_string()
        );
    }
}

#[test]
fn expansion_names_only_core_and_weakable() {
    let inputs = [
        image(),
        parse_quote!(
            #[weakable(no_weakref)]
            struct P(i32);
        ),
        parse_quote!(
            #[weakable(name = 1, bogus)]
            struct Bad;
        ),
        parse_quote!(union U { a: u8 }),
    ];
    for input in &inputs {
        let tokens = expand::derive(input);
        let roots = global_roots(tokens.clone());
        assert!(!roots.is_empty());
        assert!(
            roots
                .iter()
                .all(|root| root == "core" || root == "weakable"),
            "{roots:?} in {tokens}"
        );
        // No bare runtime names, no `Drop`.
        let mut flat = Vec::new();
        flatten(tokens, &mut flat);
        for (i, tree) in flat.iter().enumerate() {
            if let TokenTree::Ident(ident) = tree {
                assert_ne!(ident, "Drop");
                if ["Weakable", "WeakRefable", "WeakrefSlot", "NoSlot"]
                    .iter()
                    .any(|name| ident == name)
                {
                    assert!(
                        i >= 2 && matches!(&flat[i - 1], TokenTree::Punct(p) if p.as_char() == ':'),
                        "bare `{ident}`"
                    );
                }
            }
        }
    }
}

#[test]
fn errors_come_with_the_default_impl() {
    let input: DeriveInput = parse_quote! {
        #[weakable(no_weakref, name = 1, crate = "reexport::weakable")]
        struct Point;
    };
    let tokens = expand::derive(&input).to_string();
    assert!(tokens.starts_with(":: core :: compile_error !"), "{tokens}");
    assert_eq!(tokens.matches("compile_error").count(), 1, "{tokens}");
    // The crate path that parsed is honoured; the rest is the default: a
    // slot and the type's own name.
    assert!(
        tokens.contains("reexport :: weakable :: WeakRefable for Point"),
        "{tokens}"
    );
    assert!(tokens.contains("= \"Point\""), "{tokens}");
}

#[test]
fn identity_implements_equality_and_hash_by_address() {
    let input: DeriveInput = parse_quote! {
        #[weakable(identity)]
        struct Node<T> {
            value: T,
        }
    };
    let out = crate::expand::derive(&input).to_string();
    for wanted in [
        ":: core :: cmp :: PartialEq for Node < T >",
        ":: core :: ptr :: eq (self , other)",
        ":: core :: cmp :: Eq for Node < T >",
        ":: core :: hash :: Hash for Node < T >",
        ":: core :: ptr :: hash (self , state)",
    ] {
        assert!(out.contains(wanted), "{wanted:?} missing from {out}");
    }
    let plain: DeriveInput = parse_quote! {
        struct Node;
    };
    assert!(!crate::expand::derive(&plain)
        .to_string()
        .contains("PartialEq"));
}

#[test]
fn identity_takes_no_value() {
    let input: DeriveInput = parse_quote! {
        #[weakable(identity = true)]
        struct Node;
    };
    assert_eq!(
        errors(&input),
        ["`identity` takes no value; write `#[weakable(identity)]`"]
    );
}
