// The unsync flavour's weak methods, bound methods and finalizers cannot
// leave their thread, as its objects and refs cannot.
use weakable::unsync::{finalize, Obj, WeakMethod};
use weakable::Weakable;

#[derive(Weakable)]
struct Widget;

impl Widget {
    fn click(&self, _: ()) {}
}

fn main() {
    let w = Obj::new(Widget);
    let m = WeakMethod::new(&w, Widget::click);
    let b = m.upgrade().unwrap();
    let f = finalize(&w, drop, ());
    std::thread::spawn(move || drop(m));
    std::thread::spawn(move || drop(b));
    std::thread::spawn(move || drop(f));
}
