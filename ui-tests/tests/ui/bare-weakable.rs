use weakable::Weakable;

#[derive(Weakable)]
#[weakable]
struct Image;

fn main() {}
