//! The crate's traits for common standard library types, so that
//! `Obj::new(String::new())` or `Obj::new(Mutex::new(v))` works with refs
//! as `Arc::new` does, without a newtype and a derive.
//!
//! Python cannot take a weak reference to a `str`, a `list` or a `dict`
//! (only to instances of their subclasses); Rust has no subclasses, and an
//! `Obj<String>` is already a separate object with its own identity, so
//! these types get a slot as a derived type does. Their reprs name them
//! without their parameters (`'Vec'`, `'Mutex'`), as Python's name a
//! class.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet, BinaryHeap, LinkedList, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use crate::core::slot::WeakrefSlot;
use crate::traits::{WeakRefable, Weakable};

/// Implements `Weakable` (with a slot, and the given name) and
/// `WeakRefable` for each type.
macro_rules! weakable_std {
    ($($name:literal => [$($generics:tt)*] $ty:ty;)*) => {$(
        impl<$($generics)*> Weakable for $ty {
            type Slot = WeakrefSlot;
            const NAME: &'static str = $name;
        }
        impl<$($generics)*> WeakRefable for $ty {}
    )*};
}

weakable_std! {
    "String" => [] String;
    "Vec" => [T] Vec<T>;
    "VecDeque" => [T] VecDeque<T>;
    "LinkedList" => [T] LinkedList<T>;
    "BinaryHeap" => [T] BinaryHeap<T>;
    "BTreeMap" => [K, V] BTreeMap<K, V>;
    "BTreeSet" => [T] BTreeSet<T>;
    "Box" => [T: ?Sized] Box<T>;
    "Cell" => [T: ?Sized] Cell<T>;
    "RefCell" => [T: ?Sized] RefCell<T>;
}

#[cfg(feature = "std")]
weakable_std! {
    "HashMap" => [K, V, S] std::collections::HashMap<K, V, S>;
    "HashSet" => [T, S] std::collections::HashSet<T, S>;
    "Mutex" => [T: ?Sized] std::sync::Mutex<T>;
    "RwLock" => [T: ?Sized] std::sync::RwLock<T>;
    "PathBuf" => [] std::path::PathBuf;
    "OsString" => [] std::ffi::OsString;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::in_both_flavours;
    use alloc::format;
    use alloc::vec;

    in_both_flavours! {
        #[test]
        fn std_types_take_refs_and_name_themselves() {
            use flavour::{Obj, Ref};
            let s = Obj::new(String::from("hi"));
            let r = Ref::new(&s);
            assert_eq!(r.upgrade().as_deref().map(String::as_str), Some("hi"));
            assert!(format!("{r:?}").contains("to 'String'"));
            drop(s);
            assert!(r.upgrade().is_none());

            let v = Obj::new(RefCell::new(vec![1, 2]));
            let rv = Ref::new(&v);
            rv.upgrade().unwrap().borrow_mut().push(3);
            assert_eq!(*v.borrow(), [1, 2, 3]);
            assert!(format!("{rv:?}").contains("to 'RefCell'"));
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_mutex_is_shared_across_threads_through_a_ref() {
        let m = crate::sync::Obj::new(std::sync::Mutex::new(0));
        let r = crate::sync::Ref::new(&m);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| *r.upgrade().unwrap().lock().unwrap() += 1);
            }
        });
        assert_eq!(*m.lock().unwrap(), 2);
    }
}
