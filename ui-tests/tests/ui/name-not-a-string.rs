use weakable::Weakable;

#[derive(Weakable)]
#[weakable(name = Image)]
struct Image;

fn main() {}
