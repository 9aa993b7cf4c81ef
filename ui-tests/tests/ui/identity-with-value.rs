// `identity` is a flag: it takes no value.
use weakable::Weakable;

#[derive(Weakable)]
#[weakable(identity = true)]
struct Node;

fn main() {}
