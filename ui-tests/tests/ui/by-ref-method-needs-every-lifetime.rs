// `WeakMethod::by_ref` promises its bound method a borrow of any lifetime,
// so it only takes a method that accepts every lifetime: one that keeps its
// `&'static Event` would otherwise be handed a short-lived borrow.
use weakable::{Obj, WeakMethod, Weakable};

struct Event;

#[derive(Weakable)]
struct Widget;

impl Widget {
    fn keep(&self, _e: &'static Event) {}
}

fn main() {
    let w = Obj::new(Widget);
    let _m = WeakMethod::by_ref(&w, Widget::keep);
}
