//! What Rust users expect of an `Arc`-like pointer (issue 15, SPEC "What
//! Rust users expect beyond Python"): `Ref::default()`, `Obj::get_mut`,
//! `Obj::try_unwrap` / `Obj::into_inner`, and identity equality from
//! `#[weakable(identity)]`. Compiled once per flavour (see `main.rs`).

use std::sync::{Arc, Mutex};

use super::flavour::{getweakrefcount, Obj, Proxy, Ref};
use weakable::Weakable;
use weakable_tests::{DropCounter, DropToken};

#[derive(Weakable)]
struct Texture {
    bytes: Vec<u8>,
    _token: Option<DropToken>,
}

fn texture(bytes: &[u8], drops: &DropCounter) -> Obj<Texture> {
    Obj::new(Texture {
        bytes: bytes.to_vec(),
        _token: Some(drops.token()),
    })
}

#[derive(Weakable)]
#[weakable(no_weakref)]
struct Plain(u32);

#[test]
fn a_default_ref_never_upgrades_and_allocates_nothing_per_clone() {
    #[derive(Weakable)]
    #[weakable(identity)]
    struct Word;

    let r: Ref<Word> = Ref::default();
    assert!(r.upgrade().is_none());
    assert!(!r.is_alive() && !r.has_callback());
    assert!(format!("{r:?}").ends_with("; dead>"), "{r:?}");
    let clones: Vec<_> = (0..100).map(|_| r.clone()).collect();
    assert!(clones.iter().all(|c| Ref::ptr_eq(c, &r)));
    assert!(Ref::ptr_eq(&r, &Ref::default()));
    drop(clones);
    assert!(r.try_hash().is_err());
    // A default ref is equal to itself (by identity, as dead refs are)
    // and to no ref to a live object.
    let live = Obj::new(Word);
    let to_live = Ref::new(&live);
    assert!(r == r.clone() && to_live != r);
    assert_eq!(getweakrefcount(&live), 1);
    assert!(!Ref::<Plain>::default().is_alive());
}

#[test]
fn a_default_ref_can_be_replaced_by_a_live_one() {
    #[derive(Weakable)]
    struct Node {
        parent: Mutex<Ref<Node>>,
    }
    let root = Obj::new(Node {
        parent: Mutex::default(),
    });
    let child = Obj::new(Node {
        parent: Mutex::default(),
    });
    assert!(child.parent.lock().unwrap().upgrade().is_none());
    *child.parent.lock().unwrap() = Ref::new(&root);
    assert!(Obj::ptr_eq(
        &child.parent.lock().unwrap().upgrade().unwrap(),
        &root
    ));
    drop(root);
    assert!(child.parent.lock().unwrap().upgrade().is_none());
}

#[test]
fn new_cyclic_gives_the_value_a_ref_to_its_own_object() {
    #[derive(Weakable)]
    struct Gadget {
        me: Ref<Gadget>,
        seen_alive_while_built: bool,
    }
    let escaped = Mutex::new(None);
    let g = Obj::new_cyclic(|me: &Ref<Gadget>| {
        *escaped.lock().unwrap() = Some(me.clone());
        Gadget {
            me: me.clone(),
            seen_alive_while_built: me.upgrade().is_some(),
        }
    });
    assert!(!g.seen_alive_while_built);
    assert!(Obj::ptr_eq(&g.me.upgrade().unwrap(), &g));
    let escaped = escaped.lock().unwrap().take().unwrap();
    assert!(
        Ref::ptr_eq(&escaped, &Ref::new(&g)),
        "the object's basic ref"
    );
    assert_eq!(Obj::strong_count(&g), 1);
    assert_eq!(getweakrefcount(&g), 1);
    drop(g);
    assert!(escaped.upgrade().is_none());
}

#[test]
fn new_cyclic_whose_builder_panics_never_lives() {
    #[derive(Weakable)]
    struct Gadget {
        _me: Ref<Gadget>,
    }
    let escaped = Mutex::new(None);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Obj::new_cyclic(|me: &Ref<Gadget>| -> Gadget {
            *escaped.lock().unwrap() = Some(me.clone());
            panic!("no gadget today");
        })
    }));
    assert!(result.is_err());
    let escaped = escaped.lock().unwrap().take().unwrap();
    assert!(escaped.upgrade().is_none() && !escaped.is_alive());
    drop(escaped); // the last count: the memory goes (Miri and valgrind check it)
}

#[test]
fn get_mut_only_while_nothing_else_can_reach_the_value() {
    let drops = DropCounter::new();
    let mut t = texture(b"ab", &drops);
    Obj::get_mut(&mut t).unwrap().bytes.push(b'c');

    let other = t.clone();
    assert!(Obj::get_mut(&mut t).is_none(), "another Obj");
    drop(other);

    let r = Ref::new(&t);
    assert!(Obj::get_mut(&mut t).is_none(), "a ref could upgrade");
    drop(r);
    // The basic ref is still cached by the slot, but nothing holds it.
    assert!(Obj::get_mut(&mut t).is_some());

    let p = Proxy::new(&t);
    assert!(Obj::get_mut(&mut t).is_none(), "a proxy");
    drop(p);
    let cb = Ref::with_callback(&t, |_| {});
    assert!(Obj::get_mut(&mut t).is_none(), "a ref with a callback");
    drop(cb);
    Obj::get_mut(&mut t).unwrap().bytes.push(b'd');
    assert_eq!(t.bytes, b"abcd");

    let mut plain = Obj::new(Plain(1));
    Obj::get_mut(&mut plain).unwrap().0 += 1;
    let shared = plain.clone();
    assert!(Obj::get_mut(&mut plain).is_none());
    drop(shared);
    assert_eq!(plain.0, 2);
}

#[test]
fn try_unwrap_kills_the_object_and_hands_the_value_back() {
    let drops = DropCounter::new();
    let t = texture(b"png", &drops);
    let log = Arc::new(Mutex::new(Vec::new()));
    let refs: Vec<_> = ["first", "second"]
        .into_iter()
        .map(|name| {
            let log = log.clone();
            Ref::with_callback(&t, move |r: &Ref<Texture>| {
                assert!(r.upgrade().is_none());
                log.lock().unwrap().push(name);
            })
        })
        .collect();
    let basic = Ref::new(&t);

    let shared = t.clone();
    let t = Obj::try_unwrap(t)
        .err()
        .expect("shared: the handle comes back");
    assert!(log.lock().unwrap().is_empty());
    drop(shared);

    let value = Obj::try_unwrap(t).ok().expect("the only Obj");
    assert_eq!(*log.lock().unwrap(), ["second", "first"]); // newest first
    assert!(basic.upgrade().is_none());
    assert!(refs.iter().all(|r| !r.is_alive()));
    assert_eq!(drops.count(), 0, "the value was handed back, not dropped");
    assert_eq!(value.bytes, b"png");
    drop(value);
    assert_eq!(drops.count(), 1);
}

#[test]
fn into_inner_gives_the_value_to_the_last_handle_only() {
    let drops = DropCounter::new();
    let a = texture(b"x", &drops);
    let b = a.clone();
    let r = Ref::new(&a);
    assert!(Obj::into_inner(a).is_none());
    assert!(r.upgrade().is_some());
    let value = Obj::into_inner(b).expect("the last handle");
    assert!(r.upgrade().is_none());
    assert_eq!(drops.count(), 0);
    drop(value);
    assert_eq!(drops.count(), 1);

    let plain = Obj::new(Plain(3));
    assert_eq!(Obj::into_inner(plain).map(|p| p.0), Some(3));
}

#[test]
fn identity_equality_tells_objects_apart() {
    #[derive(Weakable, Debug)]
    #[weakable(identity)]
    struct Listener(&'static str);

    let a = Obj::new(Listener("log"));
    let b = Obj::new(Listener("log"));
    assert_eq!((a.0, b.0), ("log", "log"));
    assert_ne!(a, b);
    assert_eq!(a, a.clone());
    let (ra, rb) = (Ref::new(&a), Ref::new(&b));
    assert!(ra != rb && ra == Ref::new(&a));
    let hash = |r: &Ref<Listener>| r.try_hash().unwrap();
    assert_eq!(hash(&ra), hash(&Ref::new(&a)));
}

super::sync_only! {
    /// Of two threads calling `into_inner` on clones of one object, exactly
    /// one gets the value, and the value is dropped exactly once.
    #[test]
    fn into_inner_races_give_the_value_to_exactly_one_thread() {
        let rounds = if cfg!(miri) { 20 } else { 2_000 };
        for _ in 0..rounds {
            let drops = DropCounter::new();
            let a = texture(b"x", &drops);
            let b = a.clone();
            let r = Ref::new(&a);
            let other = std::thread::spawn(move || Obj::into_inner(b).is_some());
            let mine = Obj::into_inner(a).is_some();
            let theirs = other.join().unwrap();
            assert!(mine ^ theirs, "mine {mine}, theirs {theirs}");
            assert!(r.upgrade().is_none());
            assert_eq!(drops.count(), 1);
        }
    }
}

#[test]
fn downcast_through_the_built_in_any_views() {
    use std::any::Any;
    use std::cell::Cell;

    #[derive(Weakable)]
    struct Doc(Cell<u32>); // not `Sync`: only the `dyn Any` view takes it
    #[derive(Weakable)]
    struct Sound;

    let doc = Obj::new(Doc(Cell::new(1)));
    let any: Obj<dyn Any> = Obj::unsize(doc.clone());
    let r: Ref<dyn Any> = Ref::new(&any);
    let back = Obj::downcast::<Doc>(any).ok().unwrap();
    back.0.set(2);
    assert!(Obj::ptr_eq(&back, &doc) && doc.0.get() == 2);
    let sound: Obj<dyn Any> = Obj::unsize(Obj::new(Sound));
    let sound = Obj::downcast::<Doc>(sound).err().expect("not a Doc");
    assert!(Obj::downcast::<Sound>(sound).is_ok());

    let shared: Obj<dyn Any + Send + Sync> = Obj::unsize(Obj::new(Sound));
    assert!(Obj::downcast::<Sound>(shared).is_ok());
    drop((back, doc));
    assert!(r.upgrade().is_none());
}
