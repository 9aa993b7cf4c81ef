// `WeakMethod::new` takes a method `fn(&T, A) -> R` and infers `A`: for a
// method taking `&Event`, `A = &'x Event` for one lifetime `'x`, which every
// event must outlive, so handlers kept in a `Vec` cannot be called with a
// borrow of an event made after them. `WeakMethod::by_ref` (`ByRef<Event>`)
// is the form for that.
use weakable::{Obj, WeakMethod, Weakable};

struct Event;

#[derive(Weakable)]
struct Widget;

impl Widget {
    fn on_event(&self, _e: &Event) {}
}

fn main() {
    let w = Obj::new(Widget);
    let handlers = vec![WeakMethod::new(&w, Widget::on_event)];
    for _ in 0..2 {
        let event = Event;
        for h in &handlers {
            h.upgrade().unwrap().call(&event);
        }
    }
}
