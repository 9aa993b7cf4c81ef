use weakable::Weakable;

#[derive(Weakable)]
#[weakable(no_weakref = true)]
struct Point(i32, i32);

fn main() {}
