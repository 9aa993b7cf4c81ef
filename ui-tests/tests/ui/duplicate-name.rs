use weakable::Weakable;

#[derive(Weakable)]
#[weakable(name = "Image", name = "Picture")]
struct Image;

fn main() {}
