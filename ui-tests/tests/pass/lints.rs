//! The expansion is lint-clean: nothing it generates trips these lints, and
//! deriving for a `#[deprecated]` type does not warn.
#![deny(
    unused_qualifications,
    deprecated,
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    single_use_lifetimes,
    unused,
    warnings
)]

use weakable::{Obj, Ref, Weakable};

/// A documented type with a slot.
#[derive(Weakable)]
pub struct Image {
    /// Its pixels.
    pub pixels: Vec<u8>,
}

/// A documented type without one.
#[derive(Weakable)]
#[weakable(no_weakref, name = "Pt")]
pub struct Point(pub i32, pub i32);

/// A deprecated type.
#[deprecated = "use Image"]
#[derive(Weakable)]
pub struct OldImage;

/// A deprecated generic type with a lifetime.
#[deprecated = "use Image"]
#[derive(Weakable)]
pub enum OldView<'a, T: ?Sized> {
    /// Borrowing.
    Borrowed(&'a T),
}

/// A type whose expansion could qualify names already in scope.
#[derive(Weakable)]
#[weakable(crate = "weakable")]
pub struct Qualified;

#[allow(deprecated)]
fn deprecated_names() -> [&'static str; 2] {
    [
        <OldImage as Weakable>::NAME,
        <OldView<'static, str> as Weakable>::NAME,
    ]
}

fn main() {
    assert_eq!(<Image as Weakable>::NAME, "Image");
    assert_eq!(<Point as Weakable>::NAME, "Pt");
    assert_eq!(<Qualified as Weakable>::NAME, "Qualified");
    assert_eq!(deprecated_names(), ["OldImage", "OldView"]);
    let image = Obj::new(Image { pixels: vec![0] });
    assert_eq!(Ref::new(&image).upgrade().map(|i| i.pixels.len()), Some(1));
    let point = Obj::new(Point(1, 2));
    assert_eq!(point.0 + point.1, 3);
}
