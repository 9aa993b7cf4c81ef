use weakable::Weakable;

#[derive(Weakable)]
#[weakable(crate = weakable)]
struct Image;

fn main() {}
