// `no_weakref`: the slot is `NoSlot`, `WeakRefable` is not implemented, and
// the objects still live in an `Obj`.
use weakable::{NoSlot, Obj, SlotKind, Weakable};

#[derive(Weakable)]
#[weakable(no_weakref)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Weakable)]
#[weakable(no_weakref)]
enum Token<'a, T: ?Sized> {
    Word(&'a T),
    End,
}

trait Same<T: ?Sized> {}
impl<T: ?Sized> Same<T> for T {}
fn same<A: ?Sized + Same<B>, B: ?Sized>() {}

// Checked at compile time.
const _: fn() = || {
    same::<<Point as Weakable>::Slot, NoSlot>();
    same::<<Token<'static, str> as Weakable>::Slot, NoSlot>();
};

fn main() {
    same::<<Point as Weakable>::Slot, NoSlot>();
    assert!(!<<Point as Weakable>::Slot as SlotKind>::HAS_WEAKREFS);
    assert_eq!(<Point as Weakable>::NAME, "Point");
    assert_eq!(<Token<'static, str> as Weakable>::NAME, "Token");

    let p = Obj::new(Point { x: 1, y: 2 });
    let q = p.clone();
    assert_eq!(q.x + q.y, 3);

    let word = Obj::new(Token::Word("hi"));
    assert!(matches!(*word, Token::Word("hi")));
    let _ = Token::<str>::End;
}
