// A callback of the sync flavour may run on whichever thread drops the
// object's last handle, so it must be `Send` (`Sendable<Sync>`); in the
// unsync flavour it need not be.
use std::rc::Rc;
use weakable::{Obj, Ref, Weakable};

#[derive(Weakable)]
struct Widget;

fn main() {
    let w = Obj::new(Widget);
    let log = Rc::new(());
    let _r = Ref::with_callback(&w, move |_| drop(log));
}
