// A sync finalizer may run on whichever thread drops its object (or at
// process exit), so `finalize_with`'s closure must be `Send` there; the
// unsync flavour's need not be.
use std::rc::Rc;
use weakable::{finalize_with, Obj, Weakable};

#[derive(Weakable)]
struct Conn;

fn main() {
    let c = Obj::new(Conn);
    let log = Rc::new(());
    let _f = finalize_with(&c, move || drop(log));
}
