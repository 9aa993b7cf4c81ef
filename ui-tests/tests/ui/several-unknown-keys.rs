use weakable::Weakable;

#[derive(Weakable)]
#[weakable(slots = "x", name = "Image", dict)]
#[weakable(no_weakrefs)]
struct Image;

fn main() {}
