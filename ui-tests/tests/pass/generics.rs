// Generics are kept verbatim: lifetimes, bounds, `?Sized`, defaults, const
// generics and where clauses. The derive adds no bounds of its own.
use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;

use weakable::{Obj, Ref, WeakRefable, Weakable, WeakrefSlot};

#[derive(Weakable)]
struct Borrowed<'a, 'b: 'a, T: 'a> {
    first: &'a T,
    second: &'b str,
}

#[derive(Weakable)]
struct Bounded<T: Clone + Send, U: Default = u8>
where
    U: Copy,
{
    value: T,
    extra: U,
}

#[derive(Weakable)]
struct Keyed<K, V>
where
    K: Eq + Hash,
{
    map: HashMap<K, V>,
}

#[derive(Weakable)]
struct Boxed<T: ?Sized + Display> {
    inner: Box<T>,
}

#[derive(Weakable)]
struct Tail<T: ?Sized> {
    len: usize,
    data: T,
}

#[derive(Weakable)]
struct Array<T = u8, const N: usize = 4> {
    items: [T; N],
}

#[derive(Weakable)]
enum Either<L, R> {
    Left(L),
    Right(R),
}

// Neither `Send` nor `Clone` nor `Hash`: the derive puts no bound on the
// parameters, so types like this one can fill them.
struct NotSendNotClone(std::rc::Rc<()>);

fn weakly<T: ?Sized + WeakRefable>() {}

fn main() {
    assert_eq!(
        <Borrowed<'static, 'static, u8> as Weakable>::NAME,
        "Borrowed"
    );
    assert_eq!(<Bounded<String> as Weakable>::NAME, "Bounded");
    assert_eq!(<Keyed<String, NotSendNotClone> as Weakable>::NAME, "Keyed");
    assert_eq!(<Boxed<dyn Display> as Weakable>::NAME, "Boxed");
    assert_eq!(<Tail<[u8]> as Weakable>::NAME, "Tail");
    assert_eq!(<Array as Weakable>::NAME, "Array");
    assert_eq!(<Either<NotSendNotClone, ()> as Weakable>::NAME, "Either");

    weakly::<Tail<[u8]>>();
    weakly::<Keyed<String, NotSendNotClone>>();
    fn slot<T: ?Sized + Weakable<Slot = WeakrefSlot>>() {}
    slot::<Boxed<dyn Display>>();

    static FIRST: u8 = 7;
    let borrowed = Obj::new(Borrowed {
        first: &FIRST,
        second: "two",
    });
    let r = Ref::new(&borrowed);
    assert_eq!(
        r.upgrade().map(|b| (*b.first, b.second.len())),
        Some((7, 3))
    );

    let bounded = Obj::new(Bounded {
        value: String::from("v"),
        extra: 3u8,
    });
    assert_eq!(
        Ref::new(&bounded)
            .upgrade()
            .map(|b| b.value.len() + b.extra as usize),
        Some(4)
    );

    let mut map = HashMap::new();
    map.insert(1, "one");
    let keyed = Obj::new(Keyed { map });
    assert_eq!(Ref::new(&keyed).upgrade().map(|k| k.map.len()), Some(1));

    let boxed: Boxed<dyn Display + Send + Sync> = Boxed {
        inner: Box::new(42),
    };
    let boxed = Obj::new(boxed);
    assert_eq!(
        Ref::new(&boxed).upgrade().map(|b| b.inner.to_string()),
        Some("42".into())
    );

    let tail = Obj::new(Tail {
        len: 2,
        data: [1u8, 2],
    });
    assert_eq!(
        Ref::new(&tail).upgrade().map(|t| t.len + t.data.len()),
        Some(4)
    );

    let array: Obj<Array> = Obj::new(Array { items: [0; 4] });
    assert_eq!(Ref::new(&array).upgrade().map(|a| a.items.len()), Some(4));
    let array = Obj::new(Array { items: ['a'; 2] });
    assert_eq!(Ref::new(&array).upgrade().map(|a| a.items.len()), Some(2));

    let either: Obj<Either<u8, String>> = Obj::new(Either::Left(1));
    assert!(matches!(
        *Ref::new(&either).upgrade().unwrap(),
        Either::Left(1)
    ));
    let _ = Either::<u8, String>::Right(String::new());
}
