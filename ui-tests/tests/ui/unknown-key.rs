use weakable::Weakable;

#[derive(Weakable)]
#[weakable(weakref)]
struct Image;

fn main() {}
