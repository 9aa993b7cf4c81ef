// The expansion names everything by global paths, so it compiles where no
// prelude is in scope.
#![no_implicit_prelude]

mod image {
    #![no_implicit_prelude]

    #[derive(::weakable::Weakable)]
    pub struct Image<T: ::std::marker::Send = u8> {
        pub pixels: ::std::vec::Vec<T>,
    }

    #[derive(::weakable::Weakable)]
    #[weakable(no_weakref, name = "Pt")]
    pub enum Point {
        Origin,
        At(i32, i32),
    }
}

fn main() {
    use ::std::assert_eq;
    use ::std::option::Option::Some;
    use ::weakable::{Obj, Ref, Weakable};

    assert_eq!(<image::Image as Weakable>::NAME, "Image");
    assert_eq!(<image::Point as Weakable>::NAME, "Pt");
    let image = Obj::new(image::Image {
        pixels: ::std::vec![1u8, 2],
    });
    assert_eq!(Ref::new(&image).upgrade().map(|i| i.pixels.len()), Some(2));
    let _ = Obj::new(image::Point::At(1, 2));
    let _ = image::Point::Origin;
}
