use weakable::Weakable;

#[derive(Weakable)]
#[weakable(name)]
struct Image;

fn main() {}
