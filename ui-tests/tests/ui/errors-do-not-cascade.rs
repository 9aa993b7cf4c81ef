// A bad attribute is the only error: the derive still implements the traits
// (with a slot and the type's own name), so the uses below compile.
use weakable::{Obj, Ref, Weakable};

#[derive(Weakable)]
#[weakable(name = 1)]
struct Image;

fn main() {
    let image = Obj::new(Image);
    let _r = Ref::new(&image);
    let _name: &str = <Image as Weakable>::NAME;
}
