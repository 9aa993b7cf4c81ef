// test_weakset's test_hash: a WeakSet cannot be hashed.
use std::hash::{DefaultHasher, Hash};
use weakable::{WeakSet, Weakable};

#[derive(Weakable, PartialEq, Eq, Hash)]
struct Word(&'static str);

fn main() {
    WeakSet::<Word>::new().hash(&mut DefaultHasher::new());
}
