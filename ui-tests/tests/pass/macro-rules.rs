// Types made by `macro_rules!` derive, including attributes passed through
// fragments (which arrive wrapped in invisible groups).
use weakable::{NoSlot, Obj, Ref, Weakable};

macro_rules! object {
    ($name:ident { $($field:ident: $ty:ty),* }) => {
        #[derive(Weakable)]
        struct $name {
            $($field: $ty),*
        }
    };
}

macro_rules! renamed {
    ($name:ident, $shown:expr) => {
        #[derive(Weakable)]
        #[weakable(name = $shown, no_weakref)]
        struct $name;
    };
}

object!(Image {
    width: u32,
    height: u32
});
renamed!(Point, "Pt");

fn main() {
    assert_eq!(<Image as Weakable>::NAME, "Image");
    assert_eq!(<Point as Weakable>::NAME, "Pt");
    fn no_slot<T: ?Sized + Weakable<Slot = NoSlot>>() {}
    no_slot::<Point>();

    let image = Obj::new(Image {
        width: 2,
        height: 3,
    });
    assert_eq!(
        Ref::new(&image).upgrade().map(|i| i.width * i.height),
        Some(6)
    );
    let _point = Obj::new(Point);
}
