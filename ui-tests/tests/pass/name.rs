// `name = ".."` sets the name reprs show; keys combine in one attribute or
// spread over several.
use weakable::{NoSlot, Obj, Ref, Weakable};

#[derive(Weakable)]
#[weakable(name = "Picture")]
struct Image;

#[derive(Weakable)]
#[weakable(name = "Pt", no_weakref)]
struct Point(i32, i32);

#[derive(Weakable)]
#[weakable(no_weakref)]
#[weakable(name = r"Vec2")]
struct Vector(f32, f32);

#[derive(Weakable)]
#[weakable(name = "Ünïcode and 'quotes'")]
struct Odd;

fn no_slot<T: ?Sized + Weakable<Slot = NoSlot>>() {}

fn main() {
    assert_eq!(<Image as Weakable>::NAME, "Picture");
    assert_eq!(<Point as Weakable>::NAME, "Pt");
    assert_eq!(<Vector as Weakable>::NAME, "Vec2");
    assert_eq!(<Odd as Weakable>::NAME, "Ünïcode and 'quotes'");
    no_slot::<Point>();
    no_slot::<Vector>();

    let image = Obj::new(Image);
    assert!(Ref::new(&image).upgrade().is_some());
    let point = Obj::new(Point(1, 2));
    assert_eq!(point.0 + point.1, 3);
    let vector = Obj::new(Vector(1.0, 2.0));
    assert_eq!(vector.0 + vector.1, 3.0);
}
