// CPython's test_ordering: refs cannot be ordered, even when their
// referents can.
use weakable::{Obj, Ref, Weakable};

#[derive(Weakable, PartialEq, PartialOrd)]
struct Num(i32);

fn main() {
    let (a, b) = (Obj::new(Num(1)), Obj::new(Num(2)));
    let _ = Ref::new(&a) < Ref::new(&b);
}
