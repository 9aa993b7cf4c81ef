// Every kind of struct and enum derives, and its objects take weak refs.
use weakable::{Obj, Ref, Weakable};

#[derive(Weakable)]
struct Image {
    pixels: Vec<u8>,
}

#[derive(Weakable)]
struct Pair(i32, i32);

#[derive(Weakable)]
struct Marker;

#[derive(Weakable)]
enum Shape {
    Circle { radius: f64 },
    Square(f64),
    Empty,
}

#[derive(Weakable)]
enum Never {}

fn main() {
    assert_eq!(<Image as Weakable>::NAME, "Image");
    assert_eq!(<Pair as Weakable>::NAME, "Pair");
    assert_eq!(<Marker as Weakable>::NAME, "Marker");
    assert_eq!(<Shape as Weakable>::NAME, "Shape");
    assert_eq!(<Never as Weakable>::NAME, "Never");

    let image = Obj::new(Image {
        pixels: vec![1, 2, 3],
    });
    let r = Ref::new(&image);
    assert_eq!(r.upgrade().map(|image| image.pixels.len()), Some(3));

    let pair = Obj::new(Pair(1, 2));
    assert_eq!(Ref::new(&pair).upgrade().map(|p| p.0 + p.1), Some(3));

    let marker = Obj::new(Marker);
    assert!(Ref::new(&marker).upgrade().is_some());

    for shape in [
        Shape::Circle { radius: 1.0 },
        Shape::Square(2.0),
        Shape::Empty,
    ] {
        let shape = Obj::new(shape);
        let area = match &*Ref::new(&shape).upgrade().unwrap() {
            Shape::Circle { radius } => radius * radius * 3.0,
            Shape::Square(side) => side * side,
            Shape::Empty => 0.0,
        };
        assert!(area >= 0.0);
    }
}
