use weakable::Weakable;

#[derive(Weakable)]
#[weakable(crate = "weakable crate")]
struct Image;

fn main() {}
