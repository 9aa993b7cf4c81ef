use weakable::Weakable;

#[derive(Weakable)]
#[weakable = "no_weakref"]
struct Point(i32, i32);

fn main() {}
