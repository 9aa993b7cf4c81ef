//! The `#[derive(Weakable)]` macro of the `weakable` crate.
//!
//! Use it through `weakable`, which re-exports it next to the trait of the
//! same name: `use weakable::Weakable;`. This crate has no other API, and its
//! expansions name `weakable` items, so the two are released in lockstep.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Makes a type's values objects that can live in an `Obj` and, unless it
/// opts out, be weakly referenced: Python's class with a `__weakref__` slot.
///
/// The derive implements `weakable::Weakable` and, unless the type says
/// `#[weakable(no_weakref)]`, `weakable::WeakRefable`. It works on structs
/// (named, tuple and unit) and enums with any generics, adds no bounds to
/// them, and never implements `Drop`. Unions are rejected.
///
/// ```text
/// use weakable::{Obj, Ref, Weakable};
///
/// #[derive(Weakable)]
/// struct Image {
///     pixels: Vec<u8>,
/// }
///
/// let image = Obj::new(Image { pixels: vec![0; 16] });
/// let r = Ref::new(&image);
/// assert!(r.upgrade().is_some());
/// ```
///
/// # Attributes
///
/// All go on the struct or enum, in one `#[weakable(..)]` or spread over
/// several; each key may appear once. `#[weakable()]` is accepted and does
/// nothing.
///
/// - `#[weakable(no_weakref)]`: the objects carry no `__weakref__` slot,
///   Python's `__slots__` without `'__weakref__'`. They are as cheap as an
///   `Arc`, and asking for a weak reference to one is a compile error
///   (`cannot create weak reference to 'Point' object`).
/// - `#[weakable(name = "Shown")]`: the type name reprs show, as in
///   `<weakref at 0x..; to 'Shown' at 0x..>`; by default the type's own
///   identifier (without `r#`).
/// - `#[weakable(identity)]`: also implements `PartialEq`, `Eq` and `Hash`
///   by object identity, Python's default `==` and `hash()` for plain
///   objects: two objects are equal only if they are the same object, so
///   a `WeakSet` or `WeakKeyDictionary` of them works as Python's does.
///   Do not also derive those traits.
/// - `#[weakable(crate = "path::to::weakable")]`: where the generated code
///   finds the `weakable` crate, for crates that reach it through a
///   re-export rather than a dependency of their own (as serde's
///   `#[serde(crate = "..")]`).
///
/// ```text
/// use weakable::{Obj, Weakable};
///
/// #[derive(Weakable)]
/// #[weakable(no_weakref, name = "Pt")]
/// struct Point(i32, i32);
///
/// assert_eq!(<Point as Weakable>::NAME, "Pt");
/// let p = Obj::new(Point(1, 2));
/// // weakable::Ref::new(&p); // error: cannot create weak reference to 'Point' object
/// ```
///
/// The examples here are text: they need the runtime crate, whose own docs
/// carry them as tests.
#[proc_macro_derive(Weakable, attributes(weakable))]
pub fn derive_weakable(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

#[cfg(test)]
mod tests;
