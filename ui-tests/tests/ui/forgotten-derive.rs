use weakable::Obj;

struct Plain;

fn main() {
    let _o = Obj::new(Plain);
}
