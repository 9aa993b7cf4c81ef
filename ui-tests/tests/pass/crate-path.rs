// `crate = ".."` replaces `::weakable` in the generated paths, for crates
// that reach weakable through a re-export.
mod reexport {
    pub use ::weakable;
}

mod deeper {
    pub mod nested {
        pub use ::weakable as runtime;
    }
}

#[derive(weakable::Weakable)]
#[weakable(crate = "reexport::weakable")]
struct Image;

#[derive(weakable::Weakable)]
#[weakable(crate = "crate::deeper::nested::runtime", no_weakref, name = "Pt")]
struct Point;

#[derive(weakable::Weakable)]
#[weakable(crate = "::weakable")]
struct Absolute;

mod inner {
    #[derive(weakable::Weakable)]
    #[weakable(crate = "super::reexport::weakable")]
    pub struct Relative;
}

fn main() {
    use weakable::{NoSlot, Obj, Ref, Weakable};

    assert_eq!(<Image as Weakable>::NAME, "Image");
    assert_eq!(<Point as Weakable>::NAME, "Pt");
    assert_eq!(<Absolute as Weakable>::NAME, "Absolute");
    assert_eq!(<inner::Relative as Weakable>::NAME, "Relative");
    fn no_slot<T: ?Sized + Weakable<Slot = NoSlot>>() {}
    no_slot::<Point>();

    let image = Obj::new(Image);
    assert!(Ref::new(&image).upgrade().is_some());
    let relative = Obj::new(inner::Relative);
    assert!(Ref::new(&relative).upgrade().is_some());
    let _point = Obj::new(Point);
}
