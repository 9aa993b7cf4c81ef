use weakable::Weakable;

#[derive(Weakable)]
struct Image {
    #[weakable(no_weakref)]
    pixels: Vec<u8>,
}

fn main() {}
