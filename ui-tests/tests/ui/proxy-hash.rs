// CPython's test_proxy_hash: a proxy cannot be hashed, even when its
// referent can.
use std::hash::{DefaultHasher, Hash};
use weakable::{Obj, Proxy, Weakable};

#[derive(Weakable, PartialEq, Eq, Hash)]
struct Word(&'static str);

fn main() {
    let o = Obj::new(Word("hi"));
    Proxy::new(&o).hash(&mut DefaultHasher::new());
}
