// User items named like the ones the expansion uses don't capture it: types
// `Obj`, `Ref`, `Option`, traits `Weakable`, `WeakRefable`, slot types, and
// local modules `core`, `std` and `weakable`.
#![allow(dead_code)]

mod core {}
mod std {}

mod shadows {
    pub struct Obj;
    pub struct Ref;
    pub enum Option {}
    pub trait Weakable {}
    pub trait WeakRefable {}
    pub struct WeakrefSlot;
    pub struct NoSlot;
    pub type Result = ();

    #[derive(::weakable::Weakable)]
    pub struct Image {
        pub width: u32,
    }

    #[derive(::weakable::Weakable)]
    #[weakable(no_weakref)]
    pub struct Point;

    mod weakable {}

    #[derive(::weakable::Weakable)]
    pub struct BesideLocalWeakable;
}

fn main() {
    use ::weakable::{Obj, Ref, Weakable};

    assert_eq!(<shadows::Image as Weakable>::NAME, "Image");
    assert_eq!(<shadows::Point as Weakable>::NAME, "Point");
    assert_eq!(
        <shadows::BesideLocalWeakable as Weakable>::NAME,
        "BesideLocalWeakable"
    );
    let image = Obj::new(shadows::Image { width: 3 });
    assert_eq!(Ref::new(&image).upgrade().map(|i| i.width), Some(3));
    let _point = Obj::new(shadows::Point);
}
