// Raw identifiers derive, and the name reprs show drops the `r#`.
#![allow(non_camel_case_types)]

use weakable::{Obj, Ref, Weakable};

#[derive(Weakable)]
struct r#type {
    r#struct: u8,
}

#[derive(Weakable)]
enum r#match<r#in> {
    r#if(r#in),
}

fn main() {
    assert_eq!(<r#type as Weakable>::NAME, "type");
    assert_eq!(<r#match<u8> as Weakable>::NAME, "match");

    let t = Obj::new(r#type { r#struct: 1 });
    assert_eq!(Ref::new(&t).upgrade().map(|t| t.r#struct), Some(1));
    let m = Obj::new(r#match::r#if(2u8));
    let r#match::r#if(value) = *Ref::new(&m).upgrade().unwrap();
    assert_eq!(value, 2);
}
