// A finalizer or a WeakMethod callback of the sync flavour may run on
// whichever thread drops the object's last handle (or at process exit), so
// the function, its arguments and the callback must be `Send`
// (`Sendable<Sync>`); in the unsync flavour they need not be.
use std::rc::Rc;
use weakable::{finalize, Obj, WeakMethod, Weakable};

#[derive(Weakable)]
struct Widget;

impl Widget {
    fn click(&self, _: ()) {}
}

fn finalizer(w: &Obj<Widget>) {
    let _f = finalize(w, drop, Rc::new(()));
}

fn weak_method_callback(w: &Obj<Widget>) {
    let log = Rc::new(());
    let _m = WeakMethod::with_callback(w, Widget::click, move |_| drop(log));
}

fn main() {
    let w = Obj::new(Widget);
    finalizer(&w);
    weak_method_callback(&w);
}
