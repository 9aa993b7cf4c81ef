use weakable::Weakable;

#[derive(Weakable)]
enum Shape {
    #[weakable(name = "Circle")]
    Circle {
        radius: f64,
    },
    Square(f64),
}

fn main() {}
