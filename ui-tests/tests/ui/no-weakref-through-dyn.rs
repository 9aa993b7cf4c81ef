// A `no_weakref` object cannot be seen through a view with a slot, and a
// view without a slot cannot be weakly referenced.
use weakable::{weakable_dyn, Obj, Ref, Weakable};

trait Listener {}
weakable_dyn!(dyn Listener);

trait Shape {}
weakable_dyn!(no_weakref dyn Shape);

#[derive(Weakable)]
#[weakable(no_weakref)]
struct Point;

impl Listener for Point {}
impl Shape for Point {}

fn main() {
    let _l: Obj<dyn Listener> = Obj::unsize(Obj::new(Point));
    let s: Obj<dyn Shape> = Obj::unsize(Obj::new(Point));
    let _r = Ref::new(&s);
}
