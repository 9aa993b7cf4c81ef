// The unsync flavour's handles cannot leave their thread: its counts are
// updated without atomics. Each of these is a compile error.
use weakable::unsync::{Obj, Proxy, Ref};
use weakable::Weakable;

#[derive(Weakable)]
struct Widget;

fn main() {
    let w = Obj::new(Widget);
    let r = Ref::new(&w);
    let p = Proxy::new(&w);
    std::thread::spawn(move || drop(w));
    std::thread::spawn(move || drop(r));
    std::thread::spawn(move || drop(p));
}
