// `identity` implements `PartialEq`, `Eq` and `Hash`; deriving them too is
// a conflict, reported by rustc.
use weakable::Weakable;

#[derive(Weakable, PartialEq)]
#[weakable(identity)]
struct Node;

fn main() {}
