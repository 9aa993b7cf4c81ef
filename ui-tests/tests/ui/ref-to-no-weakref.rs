use weakable::{Obj, Ref, Weakable};

#[derive(Weakable)]
#[weakable(no_weakref)]
struct Point(i32, i32);

fn main() {
    let p = Obj::new(Point(1, 2));
    let _r = Ref::new(&p);
}
