// `#[weakable()]` is accepted and does nothing, as serde treats `#[serde()]`
// (and rustc `#[derive()]`): the type keeps its slot and its name.
use weakable::{Obj, Ref, Weakable, WeakrefSlot};

#[derive(Weakable)]
#[weakable()]
struct Image;

#[derive(Weakable)]
#[weakable()]
#[weakable(name = "Shown")]
#[weakable()]
struct Shown;

fn slot<T: ?Sized + Weakable<Slot = WeakrefSlot>>() {}

fn main() {
    slot::<Image>();
    assert_eq!(<Image as Weakable>::NAME, "Image");
    assert_eq!(<Shown as Weakable>::NAME, "Shown");
    let image = Obj::new(Image);
    assert!(Ref::new(&image).upgrade().is_some());
}
