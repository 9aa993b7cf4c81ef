use weakable::Weakable;

#[derive(Weakable)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
