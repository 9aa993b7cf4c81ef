//! CPython test_weakref.py mapping tests: MappingTestCase,
//! WeakValueDictionaryTestCase, WeakKeyDictionaryTestCase.
//!
//! One module per CPython class, one `#[test]` per method, named as in
//! CPython 3.11.7 (see `cpython-tests.md` for the catalogue and the spelling
//! rules: `del o` → `drop(o)`, `is` → `Obj::ptr_eq`, `KeyError` → `None`,
//! `gc_collect()` → nothing, `collect_in_thread()` → values dying on a
//! dropper thread). The two `*DictionaryTestCase` modules port the methods
//! those classes inherit from `Lib/test/mapping_tests.py`.
//!
//! Iteration in weakable walks a snapshot taken when it starts: it never
//! yields a dead entry and does not yield entries inserted after it
//! started. Deaths are immediate (no pending removals), so where CPython
//! says "len is 0 or 1 while an iterator lives", weakable says 0.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::flavour::{getweakrefcount, Obj, WeakKeyDictionary, WeakValueDictionary};
use weakable::Weakable;
use weakable_tests::{DropCounter, DropToken};

super::sync_only! {
    use std::sync::mpsc;
    use std::thread::{self, JoinHandle};
    use std::time::{Duration, Instant};
    use weakable_tests::{scaled, watchdog};
}

/// `class Object` of the CPython module: compared, ordered and hashed by
/// `arg` (an `i64` by default; `&'static str` where CPython passes strings).
#[derive(Weakable, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Object<A = i64> {
    arg: A,
}

fn object<A: 'static>(arg: A) -> Obj<Object<A>>
where
    Object<A>: weakable::Weakable,
{
    Obj::new(Object { arg })
}

/// `class C` (and `RefCycle`): a plain object compared by identity. Each
/// instance gets a fresh number, so its derived `Eq`/`Hash` stand in for
/// Python's identity-based `__eq__`/`__hash__` (weak keys need `Eq + Hash`).
#[derive(Weakable, Debug, PartialEq, Eq, Hash)]
struct C(usize);

impl C {
    #[allow(clippy::new_ret_no_self)]
    fn new() -> Obj<C> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        Obj::new(C(NEXT.fetch_add(1, Ordering::Relaxed)))
    }
}

/// `RefCycle` with a drop counter: an object whose death is counted.
#[derive(Weakable)]
struct Counted {
    n: usize,
    _token: DropToken,
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n
    }
}
impl Eq for Counted {}
impl std::hash::Hash for Counted {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.n.hash(h);
    }
}

fn counted(drops: &DropCounter, n: usize) -> Obj<Counted> {
    Obj::new(Counted {
        n,
        _token: drops.token(),
    })
}

super::sync_only! {
    /// `collect_in_thread()`: a thread that drops whatever it is sent, so the
    /// values die there while the test's thread works on the dictionary.
    struct Dropper<T: Send + 'static> {
        tx: Option<mpsc::Sender<T>>,
        handle: Option<JoinHandle<()>>,
    }

    impl<T: Send + 'static> Dropper<T> {
        fn new() -> Self {
            let (tx, rx) = mpsc::channel::<T>();
            let handle = thread::spawn(move || {
                for x in rx {
                    drop(x);
                }
            });
            Dropper {
                tx: Some(tx),
                handle: Some(handle),
            }
        }

        fn send(&self, x: T) {
            self.tx
                .as_ref()
                .expect("dropper running")
                .send(x)
                .expect("dropper alive");
        }

        /// Waits until everything sent has been dropped.
        fn finish(mut self) {
            drop(self.tx.take());
            if let Some(h) = self.handle.take() {
                h.join().expect("dropper thread panicked");
            }
        }
    }

    impl<T: Send + 'static> Drop for Dropper<T> {
        fn drop(&mut self) {
            drop(self.tx.take());
            if let Some(h) = self.handle.take() {
                let _ = h.join();
            }
        }
    }

    /// A small deterministic PRNG (xorshift), for `random.randint`.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// The time limit of the threaded tests (a deadlock fails instead of
    /// hanging the run).
    const LIMIT: Duration = Duration::from_secs(60);

    /// The threaded loops stop after their count or after this long, whichever
    /// comes first, so that a slow machine still finishes in seconds.
    const BUDGET: Duration = Duration::from_secs(2);

    /// Counts a loop's rounds: `n` of them, or fewer once [`BUDGET`] is spent.
    struct Rounds {
        n: usize,
        done: usize,
        start: Instant,
    }

    impl Rounds {
        fn new(n: usize) -> Self {
            Rounds {
                n,
                done: 0,
                start: Instant::now(),
            }
        }
    }

    impl Iterator for Rounds {
        type Item = usize;

        fn next(&mut self) -> Option<usize> {
            let over = self.done >= self.n
                || (self.done & 0xff == 0 && !cfg!(miri) && self.start.elapsed() > BUDGET);
            if over {
                return None;
            }
            self.done += 1;
            Some(self.done - 1)
        }
    }
}

mod mapping_test_case {
    use super::*;

    const COUNT: usize = 10;

    type ValuedDict = WeakValueDictionary<i64, Object>;
    type KeyedDict = WeakKeyDictionary<Object, i64>;

    fn make_weak_valued_dict() -> (ValuedDict, Vec<Obj<Object>>) {
        let dict = WeakValueDictionary::new();
        let objects: Vec<_> = (0..COUNT as i64).map(object).collect();
        for o in &objects {
            dict.insert(o.arg, o);
        }
        (dict, objects)
    }

    fn make_weak_keyed_dict() -> (KeyedDict, Vec<Obj<Object>>) {
        let dict = WeakKeyDictionary::new();
        let objects: Vec<_> = (0..COUNT as i64).map(object).collect();
        for o in &objects {
            dict.insert(o, o.arg);
        }
        (dict, objects)
    }

    /// Removes the first element equal to `x` (Python's `list.remove`).
    fn list_remove<T: PartialEq>(list: &mut Vec<T>, x: &T) {
        let i = list
            .iter()
            .position(|y| y == x)
            .expect("list.remove(x): x not in list");
        list.remove(i);
    }

    // check_len_cycles: keys/values die while an items iterator is alive.

    #[test]
    fn test_weak_keyed_len_cycles() {
        const N: usize = 20;
        let items: Vec<Obj<C>> = (0..N).map(|_| C::new()).collect();
        let dct: WeakKeyDictionary<C, i32> = items.iter().map(|o| (o, 1)).collect();
        // Keep an iterator alive.
        let mut it = dct.items();
        drop(it.next());
        drop(items);
        let n1 = dct.len();
        drop(it);
        let n2 = dct.len();
        // CPython: one item may be kept alive inside the iterator. weakable's
        // iterator holds only weak refs, so nothing is.
        assert!([0, 1].contains(&n1));
        assert_eq!(n1, 0);
        assert_eq!(n2, 0);
    }

    #[test]
    fn test_weak_valued_len_cycles() {
        const N: usize = 20;
        let items: Vec<Obj<C>> = (0..N).map(|_| C::new()).collect();
        // `cons = lambda k: (1, k)`: every value under the key 1, so the
        // dictionary holds only the last one, as in CPython.
        let dct: WeakValueDictionary<i32, C> = items.iter().map(|o| (1, o)).collect();
        assert_eq!(dct.len(), 1);
        let mut it = dct.items();
        drop(it.next());
        drop(items);
        let n1 = dct.len();
        drop(it);
        let n2 = dct.len();
        assert!([0, 1].contains(&n1));
        assert_eq!(n1, 0);
        assert_eq!(n2, 0);
    }

    #[test]
    fn test_weak_values() {
        // This exercises d.copy(), d.items(), d[], del d[], len(d).
        let (dict, mut objects) = make_weak_valued_dict();
        for o in &objects {
            assert_eq!(getweakrefcount(o), 1);
            assert!(
                Obj::ptr_eq(o, &dict.get(&o.arg).unwrap()),
                "wrong object returned by weak dict!"
            );
        }
        let mut items1: Vec<_> = dict.items().collect();
        let mut items2: Vec<_> = dict.clone().items().collect();
        items1.sort();
        items2.sort();
        assert_eq!(items1.len(), items2.len());
        for ((k1, v1), (k2, v2)) in items1.iter().zip(&items2) {
            assert_eq!(k1, k2, "cloning of weak-valued dictionary did not work!");
            assert!(Obj::ptr_eq(v1, v2));
        }
        drop((items1, items2));
        assert_eq!(dict.len(), COUNT);
        objects.remove(0);
        assert_eq!(
            dict.len(),
            COUNT - 1,
            "deleting object did not cause dictionary update"
        );
        drop(objects);
        assert_eq!(
            dict.len(),
            0,
            "deleting the values did not clear the dictionary"
        );
        // regression on SF bug #447152:
        let dict: WeakValueDictionary<i32, C> = WeakValueDictionary::new();
        assert!(dict.get(&1).is_none());
        dict.insert(2, &C::new());
        assert!(dict.get(&2).is_none());
    }

    #[test]
    fn test_weak_keys() {
        // This exercises d.copy(), d.items(), d[] = v, d[], del d[], len(d),
        // k in d.
        let (dict, mut objects) = make_weak_keyed_dict();
        for o in &objects {
            assert_eq!(
                getweakrefcount(o),
                1,
                "wrong number of weak references to {o:?}!"
            );
            assert_eq!(
                dict.get(o),
                Some(o.arg),
                "wrong object returned by weak dict!"
            );
        }
        let items1: HashSet<(Obj<Object>, i64)> = dict.items().collect();
        let items2: HashSet<(Obj<Object>, i64)> = dict.clone().items().collect();
        assert_eq!(
            items1, items2,
            "cloning of weak-keyed dictionary did not work!"
        );
        drop((items1, items2));
        assert_eq!(dict.len(), COUNT);
        objects.remove(0);
        assert_eq!(
            dict.len(),
            COUNT - 1,
            "deleting object did not cause dictionary update"
        );
        drop(objects);
        assert_eq!(
            dict.len(),
            0,
            "deleting the keys did not clear the dictionary"
        );
        let o = object(42);
        dict.insert(&o, 7); // "What is the meaning of the universe?"
        assert!(dict.contains_key(&o));
        assert!(!dict.contains_key(&Object { arg: 34 }));
    }

    /// check_iters for the keyed dictionary.
    fn check_keyed_iters(dict: &KeyedDict) {
        // item iterator:
        let mut items: Vec<_> = dict.items().collect();
        for item in dict.items() {
            list_remove(&mut items, &item);
        }
        assert!(items.is_empty(), "items() did not touch all items");

        // key iterator, via IntoIterator for &dict (which yields items):
        let mut keys: Vec<_> = dict.keys().collect();
        for (k, _) in dict {
            list_remove(&mut keys, &k);
        }
        assert!(keys.is_empty(), "__iter__() did not touch all keys");

        // key iterator, via keys():
        let mut keys: Vec<_> = dict.keys().collect();
        for k in dict.keys() {
            list_remove(&mut keys, &k);
        }
        assert!(keys.is_empty(), "iterkeys() did not touch all keys");

        // value iterator:
        let mut values: Vec<_> = dict.values().collect();
        for v in dict.values() {
            list_remove(&mut values, &v);
        }
        assert!(values.is_empty(), "itervalues() did not touch all values");
    }

    /// check_iters for the valued dictionary.
    fn check_valued_iters(dict: &ValuedDict) {
        let mut items: Vec<_> = dict.items().collect();
        for item in dict.items() {
            list_remove(&mut items, &item);
        }
        assert!(items.is_empty(), "items() did not touch all items");

        let mut keys: Vec<_> = dict.keys().collect();
        for (k, _) in dict {
            list_remove(&mut keys, &k);
        }
        assert!(keys.is_empty(), "__iter__() did not touch all keys");

        let mut keys: Vec<_> = dict.keys().collect();
        for k in dict.keys() {
            list_remove(&mut keys, &k);
        }
        assert!(keys.is_empty(), "iterkeys() did not touch all keys");

        let mut values: Vec<_> = dict.values().collect();
        for v in dict.values() {
            list_remove(&mut values, &v);
        }
        assert!(values.is_empty(), "itervalues() did not touch all values");
    }

    #[test]
    fn test_weak_keyed_iters() {
        let (dict, objects) = make_weak_keyed_dict();
        check_keyed_iters(&dict);

        // Test keyrefs(); CPython runs the same loop twice (keyrefs, then
        // "iterkeyrefs", which is keyrefs again in Python 3).
        for _ in 0..2 {
            let refs = dict.keyrefs();
            assert_eq!(refs.len(), objects.len());
            let mut objects2 = objects.clone();
            for wr in &refs {
                let ob = wr.upgrade().unwrap();
                assert!(dict.contains_key(&ob));
                assert!(dict.contains_key(&ob));
                assert_eq!(dict.get(&ob), Some(ob.arg));
                let i = objects2.iter().position(|o| Obj::ptr_eq(o, &ob)).unwrap();
                objects2.remove(i);
            }
            assert_eq!(objects2.len(), 0);
        }
    }

    #[test]
    fn test_weak_valued_iters() {
        let (dict, objects) = make_weak_valued_dict();
        check_valued_iters(&dict);

        // Test valuerefs(), then "itervaluerefs" (the same in weakable).
        for _ in 0..2 {
            let refs = dict.valuerefs();
            assert_eq!(refs.len(), objects.len());
            let mut objects2 = objects.clone();
            for wr in &refs {
                let ob = wr.upgrade().unwrap();
                assert_eq!(ob, dict.get(&ob.arg).unwrap());
                assert!(Obj::ptr_eq(&ob, &dict.get(&ob.arg).unwrap()));
                assert_eq!(ob.arg, dict.get(&ob.arg).unwrap().arg);
                // Not in CPython's test: the ref carries its key (KeyedRef).
                assert_eq!(*wr.data(), ob.arg);
                let i = objects2.iter().position(|o| Obj::ptr_eq(o, &ob)).unwrap();
                objects2.remove(i);
            }
            assert_eq!(objects2.len(), 0);
        }
    }

    /// check_weak_destroy_while_iterating: `make_iter` starts an iteration
    /// and returns how many items it yields after one `next` and the death
    /// of `objects`' last element.
    fn check_weak_destroy_while_iterating<I: Iterator>(
        len: impl Fn() -> usize,
        objects: &mut Vec<Obj<Object>>,
        make_iter: impl FnOnce() -> I,
    ) {
        let n = len();
        let mut it = make_iter();
        drop(it.next()); // Trigger internal iteration
                         // Destroy an object
        objects.pop();
        // We have removed either the first consumed object, or another one
        let rest = it.by_ref().count();
        assert!(
            [objects.len(), objects.len() - 1].contains(&rest),
            "{rest} left, {} objects",
            objects.len()
        );
        drop(it);
        // The removal has been committed
        assert_eq!(len(), n - 1);
    }

    /// A `testcontext()` of the destroy-and-mutate checks: starts an items
    /// iteration, kills one entry (the last of `objects` still in the
    /// dictionary), runs `body` with the dead entry's "recreated" pair and
    /// drops the iterator. Returns the pair, which CPython's `with ... as`
    /// leaves bound after the block.
    fn keyed_context(
        dict: &KeyedDict,
        objects: &mut Vec<Obj<Object>>,
        body: impl FnOnce(&Obj<Object>, i64),
    ) -> (Obj<Object>, i64) {
        let mut it = dict.items();
        drop(it.next());
        // Schedule a key/value for removal and recreate it.
        let i = objects
            .iter()
            .rposition(|o| dict.contains_key(o))
            .unwrap_or(objects.len() - 1);
        let v = objects.remove(i).arg;
        let k = object(v);
        body(&k, v);
        drop(it); // should commit all removals
        (k, v)
    }

    fn valued_context(
        dict: &ValuedDict,
        objects: &mut Vec<Obj<Object>>,
        body: impl FnOnce(i64, &Obj<Object>),
    ) -> (i64, Obj<Object>) {
        let mut it = dict.items();
        drop(it.next());
        let i = objects
            .iter()
            .rposition(|o| dict.contains_key(&o.arg))
            .unwrap_or(objects.len() - 1);
        let k = objects.remove(i).arg;
        let v = object(k);
        body(k, &v);
        drop(it);
        (k, v)
    }

    #[test]
    fn test_weak_keys_destroy_while_iterating() {
        // Issue #7105: iterators shouldn't crash when a key is implicitly
        // removed.
        let (dict, mut objects) = make_weak_keyed_dict();
        check_weak_destroy_while_iterating(|| dict.len(), &mut objects, || dict.keys());
        check_weak_destroy_while_iterating(|| dict.len(), &mut objects, || dict.items());
        check_weak_destroy_while_iterating(|| dict.len(), &mut objects, || dict.values());
        check_weak_destroy_while_iterating(
            || dict.len(),
            &mut objects,
            || dict.keyrefs().into_iter(),
        );

        // check_weak_destroy_and_mutate_while_iterating
        let (dict, mut objects) = make_weak_keyed_dict();
        let (k, _) = keyed_context(&dict, &mut objects, |k, _| {
            assert!(!dict.contains_key(k));
        });
        drop(k);
        let (k, _) = keyed_context(&dict, &mut objects, |k, _| {
            assert_eq!(dict.remove(k), None); // del d[k]: KeyError
        });
        assert!(!dict.contains_key(&k));
        let (k, _) = keyed_context(&dict, &mut objects, |k, _| {
            assert_eq!(dict.remove(k), None); // d.pop(k): KeyError
        });
        assert!(!dict.contains_key(&k));
        let (k, v) = keyed_context(&dict, &mut objects, |k, v| {
            dict.insert(k, v);
        });
        assert_eq!(dict.get(&k), Some(v));
        let ddict = dict.clone();
        drop(k); // CPython rebinds k at the next `with`, killing it
        let (_k, _) = keyed_context(&dict, &mut objects, |_, _| {
            let pairs: Vec<_> = ddict.items().collect();
            dict.update(pairs.iter().map(|(k, v)| (k, *v)));
        });
        assert!(dict == ddict);
        keyed_context(&dict, &mut objects, |_, _| dict.clear());
        assert_eq!(dict.len(), 0);

        // Issue #21173: len() fragile when keys are both implicitly and
        // explicitly removed.
        let (dict, mut objects) = make_weak_keyed_dict();
        check_weak_del_and_len_while_iterating_keyed(&dict, &mut objects);
    }

    /// check_weak_del_and_len_while_iterating, keyed. Each context kills one
    /// entry before its body runs; weakable removes it at once, where CPython
    /// defers it to the context's end, so `n` is measured one death later and
    /// every relative count below is CPython's.
    fn check_weak_del_and_len_while_iterating_keyed(
        dict: &KeyedDict,
        objects: &mut Vec<Obj<Object>>,
    ) {
        let o = object(123456);
        let mut n = 0;
        keyed_context(dict, objects, |_, _| {
            n = dict.len();
            let first = dict.keys().next().unwrap();
            dict.remove(&first);
            assert_eq!(dict.len(), n - 1);
            dict.insert(&o, o.arg);
            assert_eq!(dict.len(), n);
        });
        keyed_context(dict, objects, |_, _| {
            assert_eq!(dict.len(), n - 1);
            drop(dict.popitem().unwrap());
            assert_eq!(dict.len(), n - 2);
        });
        keyed_context(dict, objects, |_, _| {
            assert_eq!(dict.len(), n - 3);
            let first = dict.keys().next().unwrap();
            assert!(dict.remove(&first).is_some());
            assert_eq!(dict.len(), n - 4);
        });
        keyed_context(dict, objects, |_, _| {
            assert_eq!(dict.len(), n - 5);
            drop(dict.popitem().unwrap());
            assert_eq!(dict.len(), n - 6);
        });
        keyed_context(dict, objects, |_, _| {
            dict.clear();
            assert_eq!(dict.len(), 0);
        });
        assert_eq!(dict.len(), 0);
    }

    fn check_weak_del_and_len_while_iterating_valued(
        dict: &ValuedDict,
        objects: &mut Vec<Obj<Object>>,
    ) {
        let o = object(123456);
        let mut n = 0;
        valued_context(dict, objects, |_, _| {
            n = dict.len();
            let first = dict.keys().next().unwrap();
            dict.remove(&first);
            assert_eq!(dict.len(), n - 1);
            dict.insert(o.arg, &o);
            assert_eq!(dict.len(), n);
        });
        valued_context(dict, objects, |_, _| {
            assert_eq!(dict.len(), n - 1);
            drop(dict.popitem().unwrap());
            assert_eq!(dict.len(), n - 2);
        });
        valued_context(dict, objects, |_, _| {
            assert_eq!(dict.len(), n - 3);
            let first = dict.keys().next().unwrap();
            assert!(dict.remove(&first).is_some());
            assert_eq!(dict.len(), n - 4);
        });
        valued_context(dict, objects, |_, _| {
            assert_eq!(dict.len(), n - 5);
            drop(dict.popitem().unwrap());
            assert_eq!(dict.len(), n - 6);
        });
        valued_context(dict, objects, |_, _| {
            dict.clear();
            assert_eq!(dict.len(), 0);
        });
        assert_eq!(dict.len(), 0);
    }

    #[test]
    fn test_weak_values_destroy_while_iterating() {
        // Issue #7105: iterators shouldn't crash when a key is implicitly
        // removed.
        let (dict, mut objects) = make_weak_valued_dict();
        check_weak_destroy_while_iterating(|| dict.len(), &mut objects, || dict.keys());
        check_weak_destroy_while_iterating(|| dict.len(), &mut objects, || dict.items());
        check_weak_destroy_while_iterating(|| dict.len(), &mut objects, || dict.values());
        // itervaluerefs and valuerefs are one method in weakable.
        check_weak_destroy_while_iterating(
            || dict.len(),
            &mut objects,
            || dict.valuerefs().into_iter(),
        );
        check_weak_destroy_while_iterating(
            || dict.len(),
            &mut objects,
            || dict.valuerefs().into_iter(),
        );

        let (dict, mut objects) = make_weak_valued_dict();
        let (k, _) = valued_context(&dict, &mut objects, |k, _| {
            assert!(!dict.contains_key(&k));
        });
        let _ = k;
        let (k, _) = valued_context(&dict, &mut objects, |k, _| {
            assert!(dict.remove(&k).is_none()); // del d[k]: KeyError
        });
        assert!(!dict.contains_key(&k));
        let (k, _) = valued_context(&dict, &mut objects, |k, _| {
            assert!(dict.remove(&k).is_none()); // d.pop(k): KeyError
        });
        assert!(!dict.contains_key(&k));
        let (k, v) = valued_context(&dict, &mut objects, |k, v| {
            dict.insert(k, v);
        });
        assert!(Obj::ptr_eq(&dict.get(&k).unwrap(), &v));
        let ddict = dict.clone();
        drop(v); // CPython rebinds v at the next `with`, killing it
        let (_, _v) = valued_context(&dict, &mut objects, |_, _| {
            let pairs: Vec<_> = ddict.items().collect();
            dict.update(pairs.iter().map(|(k, v)| (*k, v)));
        });
        assert!(dict == ddict);
        valued_context(&dict, &mut objects, |_, _| dict.clear());
        assert_eq!(dict.len(), 0);

        let (dict, mut objects) = make_weak_valued_dict();
        check_weak_del_and_len_while_iterating_valued(&dict, &mut objects);
    }

    #[test]
    fn test_make_weak_keyed_dict_from_dict() {
        let o = object(3);
        let plain = HashMap::from([(o.clone(), 364)]);
        let dict: KeyedDict = plain.iter().map(|(k, v)| (k, *v)).collect();
        assert_eq!(dict.get(&o), Some(364));
    }

    #[test]
    fn test_make_weak_keyed_dict_from_weak_keyed_dict() {
        let o = object(3);
        let plain = HashMap::from([(o.clone(), 364)]);
        let dict: KeyedDict = plain.iter().map(|(k, v)| (k, *v)).collect();
        let dict2 = dict.clone();
        assert_eq!(dict.get(&o), Some(364));
        assert_eq!(dict2.get(&o), Some(364));
        // Built from the items of another one, too.
        let dict3: KeyedDict = dict
            .items()
            .collect::<Vec<_>>()
            .iter()
            .map(|(k, v)| (k, *v))
            .collect();
        assert_eq!(dict3.get(&o), Some(364));
    }

    #[test]
    fn test_make_weak_valued_dict_from_dict() {
        let o = object(3);
        let plain = HashMap::from([(364, o.clone())]);
        let dict: ValuedDict = plain.iter().map(|(k, v)| (*k, v)).collect();
        assert_eq!(dict.get(&364).unwrap(), o);
    }

    #[test]
    fn test_make_weak_valued_dict_from_weak_valued_dict() {
        let o = object(3);
        let plain = HashMap::from([(364, o.clone())]);
        let dict: ValuedDict = plain.iter().map(|(k, v)| (*k, v)).collect();
        let dict2 = dict.clone();
        assert_eq!(dict.get(&364).unwrap(), o);
        assert!(Obj::ptr_eq(&dict2.get(&364).unwrap(), &o));
        let items: Vec<_> = dict.items().collect();
        let dict3: ValuedDict = items.iter().map(|(k, v)| (*k, v)).collect();
        assert!(Obj::ptr_eq(&dict3.get(&364).unwrap(), &o));
    }

    #[test]
    fn test_weak_valued_dict_popitem() {
        let (key1, value1, key2, value2) = ("key1", C::new(), "key2", C::new());
        let weakdict = WeakValueDictionary::new();
        weakdict.insert(key1, &value1);
        weakdict.insert(key2, &value2);
        assert_eq!(weakdict.len(), 2);
        let (k, v) = weakdict.popitem().unwrap();
        assert_eq!(weakdict.len(), 1);
        if k == key1 {
            assert!(Obj::ptr_eq(&v, &value1));
        } else {
            assert!(Obj::ptr_eq(&v, &value2));
        }
        let (k, v) = weakdict.popitem().unwrap();
        assert_eq!(weakdict.len(), 0);
        if k == key1 {
            assert!(Obj::ptr_eq(&v, &value1));
        } else {
            assert!(Obj::ptr_eq(&v, &value2));
        }
    }

    #[test]
    fn test_weak_keyed_dict_popitem() {
        let (key1, value1, key2, value2) = (C::new(), "value 1", C::new(), "value 2");
        let weakdict = WeakKeyDictionary::new();
        weakdict.insert(&key1, value1);
        weakdict.insert(&key2, value2);
        assert_eq!(weakdict.len(), 2);
        let (k, v) = weakdict.popitem().unwrap();
        assert_eq!(weakdict.len(), 1);
        if Obj::ptr_eq(&k, &key1) {
            assert_eq!(v, value1);
        } else {
            assert_eq!(v, value2);
        }
        let (k, v) = weakdict.popitem().unwrap();
        assert_eq!(weakdict.len(), 0);
        if Obj::ptr_eq(&k, &key1) {
            assert_eq!(v, value1);
        } else {
            assert_eq!(v, value2);
        }
    }

    #[test]
    fn test_weak_valued_dict_setdefault() {
        let (key, value1, value2) = ("key", C::new(), C::new());
        assert!(
            !Obj::ptr_eq(&value1, &value2),
            "invalid test -- value parameters must be distinct objects"
        );
        let weakdict = WeakValueDictionary::new();
        let o = weakdict.setdefault(key, &value1);
        assert!(Obj::ptr_eq(&o, &value1));
        assert!(weakdict.contains_key(key));
        assert!(Obj::ptr_eq(&weakdict.get(key).unwrap(), &value1));

        let o = weakdict.setdefault(key, &value2);
        assert!(Obj::ptr_eq(&o, &value1));
        assert!(weakdict.contains_key(key));
        assert!(Obj::ptr_eq(&weakdict.get(key).unwrap(), &value1));
    }

    #[test]
    fn test_weak_keyed_dict_setdefault() {
        let (key, value1, value2) = (C::new(), "value 1", "value 2");
        let weakdict = WeakKeyDictionary::new();
        let o = weakdict.setdefault(&key, value1);
        assert_eq!(o, value1);
        assert!(weakdict.contains_key(&key));
        assert_eq!(weakdict.get(&key), Some(value1));

        let o = weakdict.setdefault(&key, value2);
        assert_eq!(o, value1);
        assert!(weakdict.contains_key(&key));
        assert_eq!(weakdict.get(&key), Some(value1));
    }

    #[test]
    fn test_weak_valued_dict_update() {
        // check_update with {1: C(), 'a': C(), C(): C()}: one key type in
        // Rust, so the three keys are strings.
        let dict: HashMap<&str, Obj<C>> =
            HashMap::from([("1", C::new()), ("a", C::new()), ("C()", C::new())]);
        let weakdict = WeakValueDictionary::new();
        weakdict.update(dict.iter().map(|(k, v)| (*k, v)));
        assert_eq!(weakdict.len(), dict.len());
        for k in weakdict.keys() {
            assert!(
                dict.contains_key(k),
                "mysterious new key appeared in weak dict"
            );
            let v = &dict[k];
            assert!(Obj::ptr_eq(v, &weakdict.get(k).unwrap()));
        }
        for (k, v) in &dict {
            assert!(
                weakdict.contains_key(k),
                "original key disappeared in weak dict"
            );
            assert!(Obj::ptr_eq(v, &weakdict.get(k).unwrap()));
        }
        // Argument errors and keyword-named keys have no Rust form.
    }

    /// `dict(d)`: a plain map of a weak dictionary's live items.
    fn plain_v<K: Clone + Eq + std::hash::Hash, V>(
        d: &WeakValueDictionary<K, V>,
    ) -> HashMap<K, Obj<V>> {
        d.items().collect()
    }

    fn plain_k<K: Eq + std::hash::Hash, V: Clone>(
        d: &WeakKeyDictionary<K, V>,
    ) -> HashMap<Obj<K>, V> {
        d.items().collect()
    }

    /// Python's `m1 | m2` on plain maps.
    fn or<K: Eq + std::hash::Hash + Clone, V: Clone>(
        a: &HashMap<K, V>,
        b: &HashMap<K, V>,
    ) -> HashMap<K, V> {
        let mut out = a.clone();
        out.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
        out
    }

    #[test]
    fn test_weak_valued_union_operators() {
        let (a, b, c) = (C::new(), C::new(), C::new());
        let wvd1: WeakValueDictionary<i32, C> = [(1, &a)].into_iter().collect();
        let wvd2: WeakValueDictionary<i32, C> = [(1, &b), (2, &a)].into_iter().collect();
        let wvd3 = wvd1.clone();
        let d1 = HashMap::from([(1, c.clone()), (3, b.clone())]);
        let pairs = [(5, c.clone()), (6, b.clone())];
        // A plain map or a pair list goes through FromIterator.
        let weak = |m: &[(i32, Obj<C>)]| -> WeakValueDictionary<i32, C> {
            m.iter().map(|(k, v)| (*k, v)).collect()
        };
        let d1_pairs: Vec<_> = d1.iter().map(|(k, v)| (*k, v.clone())).collect();

        let tmp1 = &wvd1 | &wvd2; // Between two WeakValueDictionaries
        assert_eq!(plain_v(&tmp1), or(&plain_v(&wvd1), &plain_v(&wvd2)));
        let mut wvd1 = wvd1;
        wvd1 |= &wvd2;
        assert!(wvd1 == tmp1);

        let tmp2 = &wvd2 | &weak(&d1_pairs); // Between WeakValueDictionary and mapping
        assert_eq!(plain_v(&tmp2), or(&plain_v(&wvd2), &d1));
        let mut wvd2 = wvd2;
        wvd2 |= &weak(&d1_pairs);
        assert!(wvd2 == tmp2);

        let mut tmp3 = wvd3.clone(); // Between WeakValueDictionary and pairs
        tmp3 |= &weak(&pairs);
        assert_eq!(
            plain_v(&tmp3),
            or(&plain_v(&wvd3), &pairs.iter().cloned().collect())
        );

        let tmp4 = &weak(&d1_pairs) | &wvd3; // CPython's __ror__
        assert_eq!(plain_v(&tmp4), or(&d1, &plain_v(&wvd3)));

        drop(a);
        assert!(!tmp1.contains_key(&2));
        assert!(!tmp2.contains_key(&2));
        assert!(!tmp3.contains_key(&1));
        assert!(!tmp4.contains_key(&1));
        drop(wvd1);
    }

    #[test]
    fn test_weak_keyed_dict_update() {
        let dict: HashMap<Obj<C>, i32> =
            HashMap::from([(C::new(), 1), (C::new(), 2), (C::new(), 3)]);
        let weakdict = WeakKeyDictionary::new();
        weakdict.update(dict.iter().map(|(k, v)| (k, *v)));
        assert_eq!(weakdict.len(), dict.len());
        for k in weakdict.keys() {
            assert!(
                dict.contains_key(&k),
                "mysterious new key appeared in weak dict"
            );
            assert_eq!(weakdict.get(&k), Some(dict[&k]));
        }
        for (k, v) in &dict {
            assert!(
                weakdict.contains_key(k),
                "original key disappeared in weak dict"
            );
            assert_eq!(weakdict.get(k), Some(*v));
        }
    }

    #[test]
    fn test_weak_keyed_delitem() {
        let d = WeakKeyDictionary::new();
        let o1 = object("1");
        let o2 = object("2");
        d.insert(&o1, "something");
        d.insert(&o2, "something");
        assert_eq!(d.len(), 2);
        assert!(d.remove(&o1).is_some());
        assert_eq!(d.len(), 1);
        let keys: Vec<_> = d.keys().collect();
        assert_eq!(keys, std::slice::from_ref(&o2));
        assert!(Obj::ptr_eq(&keys[0], &o2));
    }

    #[test]
    fn test_weak_keyed_union_operators() {
        let (o1, o2, o3) = (C::new(), C::new(), C::new());
        let wkd1: WeakKeyDictionary<C, i32> = [(&o1, 1), (&o2, 2)].into_iter().collect();
        let wkd2: WeakKeyDictionary<C, i32> = [(&o3, 3), (&o1, 4)].into_iter().collect();
        let wkd3 = wkd1.clone();
        // CPython's d1 has the values '5' and '6': one value type here.
        let d1 = HashMap::from([(o2.clone(), 5), (o3.clone(), 6)]);
        let pairs = [(o2.clone(), 7), (o3.clone(), 8)];
        let weak = |m: &[(Obj<C>, i32)]| -> WeakKeyDictionary<C, i32> {
            m.iter().map(|(k, v)| (k, *v)).collect()
        };
        let d1_pairs: Vec<_> = d1.iter().map(|(k, v)| (k.clone(), *v)).collect();

        let tmp1 = &wkd1 | &wkd2; // Between two WeakKeyDictionaries
        assert_eq!(plain_k(&tmp1), or(&plain_k(&wkd1), &plain_k(&wkd2)));
        let mut wkd1 = wkd1;
        wkd1 |= &wkd2;
        assert!(wkd1 == tmp1);

        let tmp2 = &wkd2 | &weak(&d1_pairs); // Between WeakKeyDictionary and mapping
        assert_eq!(plain_k(&tmp2), or(&plain_k(&wkd2), &d1));
        let mut wkd2 = wkd2;
        wkd2 |= &weak(&d1_pairs);
        assert!(wkd2 == tmp2);

        let mut tmp3 = wkd3.clone(); // Between WeakKeyDictionary and pairs
        tmp3 |= &weak(&pairs);
        assert_eq!(
            plain_k(&tmp3),
            or(&plain_k(&wkd3), &pairs.iter().cloned().collect())
        );

        let tmp4 = &weak(&d1_pairs) | &wkd3; // CPython's __ror__
        assert_eq!(plain_k(&tmp4), or(&d1, &plain_k(&wkd3)));

        drop(o1);
        assert!(!tmp1.values().any(|v| v == 4));
        assert!(!tmp2.values().any(|v| v == 4));
        assert!(!tmp3.values().any(|v| v == 1));
        assert!(!tmp4.values().any(|v| v == 1));
        drop(wkd1);
    }

    #[test]
    fn test_weak_valued_delitem() {
        let d = WeakValueDictionary::new();
        let o1 = object("1");
        let o2 = object("2");
        d.insert("something", &o1);
        d.insert("something else", &o2);
        assert_eq!(d.len(), 2);
        assert!(d.remove("something").is_some());
        assert_eq!(d.len(), 1);
        let items: Vec<_> = d.items().collect();
        assert_eq!(items, [("something else", o2.clone())]);
        assert!(Obj::ptr_eq(&items[0].1, &o2));
    }

    #[test]
    fn test_weak_keyed_bad_delitem() {
        let d: WeakKeyDictionary<Object<&str>, i32> = WeakKeyDictionary::new();
        let o = object("1");
        // An attempt to delete an object that isn't there misses.
        assert_eq!(d.remove(&o), None);
        assert_eq!(d.get(&o), None);
        // A key that isn't weakly referenceable (CPython's 13) does not
        // compile: `d.remove(&13)`, `d.get(&13)`, `d.insert(&13, 13)`.
    }

    mod cascading {
        use std::cell::{Cell, RefCell};
        use std::hash::{Hash, Hasher};

        use super::Obj;
        use weakable::Weakable;

        thread_local! {
            pub(super) static MUTATE: Cell<bool> = const { Cell::new(false) };
            pub(super) static OBJS: RefCell<Vec<Obj<Casc>>> = const { RefCell::new(Vec::new()) };
        }

        /// The test's local `class C`: hashed by value, and its `__eq__`
        /// drops the last strong reference to another key when `mutate`.
        #[derive(Weakable, Debug)]
        pub(super) struct Casc {
            pub(super) value: i32,
        }

        impl Hash for Casc {
            fn hash<H: Hasher>(&self, h: &mut H) {
                self.value.hash(h);
            }
        }

        impl PartialEq for Casc {
            fn eq(&self, other: &Self) -> bool {
                if MUTATE.with(Cell::get) {
                    // Side effect that mutates the dict, by removing the
                    // last strong reference to a key.
                    let last = OBJS.with(|objs| objs.borrow_mut().pop());
                    drop(last);
                }
                self.value == other.value
            }
        }

        impl Eq for Casc {}
    }

    #[test]
    fn test_weak_keyed_cascading_deletes() {
        // SF bug 742860: things vanishing from the dict during a delete
        // (here: the key's `Eq` drops the last strong ref to another key).
        use cascading::{Casc, MUTATE, OBJS};

        let d = WeakKeyDictionary::new();
        MUTATE.with(|m| m.set(false));
        let objs: Vec<Obj<Casc>> = (0..4).map(|i| Obj::new(Casc { value: i })).collect();
        for o in &objs {
            d.insert(o, o.value);
        }
        // Find the order in which keys() sees the keys, and reverse it.
        let mut order: Vec<Obj<Casc>> = d.keys().collect();
        order.reverse();
        OBJS.with(|o| *o.borrow_mut() = order);
        drop(objs); // now the only strong references to keys are in OBJS

        // Turn on mutation in Casc's `eq`. Each `remove` compares its key
        // once, dropping the last element of OBJS, so the loop (which, as
        // Python's `for` over a list, stops at the list's current end) runs
        // twice.
        MUTATE.with(|m| m.set(true));
        let mut count = 0;
        let mut i = 0;
        loop {
            let Some(o) = OBJS.with(|objs| objs.borrow().get(i).cloned()) else {
                break;
            };
            count += 1;
            assert!(d.remove(&o).is_some());
            i += 1;
        }
        MUTATE.with(|m| m.set(false));
        OBJS.with(|o| o.borrow_mut().clear());
        assert_eq!(d.len(), 0);
        assert_eq!(count, 2);
    }

    #[test]
    fn test_make_weak_valued_dict_repr() {
        // CPython: `<WeakValueDictionary at 0x…>`. weakable's `Debug` shows
        // the live entries, as a Rust map does.
        let dict: WeakValueDictionary<i32, Object> = WeakValueDictionary::new();
        assert_eq!(format!("{dict:?}"), "{}");
        let o = object(1);
        dict.insert(7, &o);
        assert_eq!(format!("{dict:?}"), "{7: Object { arg: 1 }}");
        drop(o);
        assert_eq!(format!("{dict:?}"), "{}");
    }

    #[test]
    fn test_make_weak_keyed_dict_repr() {
        let dict: WeakKeyDictionary<Object, &str> = WeakKeyDictionary::new();
        assert_eq!(format!("{dict:?}"), "{}");
        let o = object(1);
        dict.insert(&o, "one");
        assert_eq!(format!("{dict:?}"), "{Object { arg: 1 }: \"one\"}");
        drop(o);
        assert_eq!(format!("{dict:?}"), "{}");
    }

    super::super::sync_only! {
        #[test]
        fn test_threaded_weak_valued_setdefault() {
            watchdog(LIMIT, || {
                let drops = DropCounter::new();
                let d: WeakValueDictionary<i32, Counted> = WeakValueDictionary::new();
                let dropper = Dropper::new();
                let n = scaled(50_000, 20);
                let mut rounds = Rounds::new(n);
                for i in rounds.by_ref() {
                    let fresh = counted(&drops, i);
                    let x = d.setdefault(10, &fresh);
                    // Either the fresh value or a live earlier one: never a dead
                    // one (the type has no room for None).
                    assert!(Obj::ptr_eq(&x, &fresh) || x.n < i);
                    drop(fresh);
                    dropper.send(x);
                }
                dropper.finish();
                assert!(d.is_empty());
                assert_eq!(drops.count(), rounds.done);
            });
        }
    }

    super::super::sync_only! {
        #[test]
        fn test_threaded_weak_valued_pop() {
            watchdog(LIMIT, || {
                let drops = DropCounter::new();
                let d: WeakValueDictionary<i32, Counted> = WeakValueDictionary::new();
                let dropper = Dropper::new();
                let n = scaled(50_000, 20);
                let mut rounds = Rounds::new(n);
                for i in rounds.by_ref() {
                    let fresh = counted(&drops, i);
                    d.insert(10, &fresh);
                    let x = d.remove(&10);
                    // Old values dying on the other thread never take the new
                    // entry with them.
                    let x = x.expect("we never put None in there");
                    assert!(Obj::ptr_eq(&x, &fresh));
                    drop(x);
                    dropper.send(fresh);
                }
                dropper.finish();
                assert!(d.is_empty());
                assert_eq!(drops.count(), rounds.done);
            });
        }
    }

    super::super::sync_only! {
        #[test]
        fn test_threaded_weak_valued_consistency() {
            // Issue #28427: old values should not remove new values from
            // WeakValueDictionary when dying on another thread.
            watchdog(LIMIT, || {
                let drops = DropCounter::new();
                let d: WeakValueDictionary<i32, Counted> = WeakValueDictionary::new();
                let dropper = Dropper::new();
                let n = scaled(100_000, 20);
                let mut rounds = Rounds::new(n);
                for i in rounds.by_ref() {
                    let o = counted(&drops, i);
                    drop(d.insert(10, &o));
                    // o is still alive, so the dict can't be empty
                    assert_eq!(d.len(), 1);
                    dropper.send(o); // lose ref
                }
                dropper.finish();
                assert!(d.is_empty());
                assert_eq!(drops.count(), rounds.done);
            });
        }
    }

    /// CPython main's single-threaded form of the test above (not in 3.11,
    /// not counted): the replaced entry's ref, kept alive, sees its value
    /// die after the replacement; its eviction must not remove the new
    /// entry.
    #[test]
    fn test_weak_valued_consistency() {
        let d = WeakValueDictionary::new();
        let old = C::new();
        d.insert(10, &old);
        // Keep the entry's ref alive after it's replaced, so that its death
        // callback does run.
        let wr = d.valuerefs().pop().unwrap();
        let o = C::new();
        d.insert(10, &o);
        drop(old);
        assert!(!wr.is_alive());
        assert_eq!(d.len(), 1);
        assert!(Obj::ptr_eq(&d.get(&10).unwrap(), &o));
    }

    super::super::sync_only! {
        #[derive(Weakable, Debug, PartialEq, Eq, Hash)]
        struct DummyKey {
            ctr: usize,
        }

        #[derive(Weakable, Debug, Clone, PartialEq, Eq, Hash)]
        struct DummyValue {
            ctr: usize,
        }
    }

    super::super::sync_only! {
        /// check_threaded_weak_dict_copy: copies a dictionary on one thread
        /// while another drops its keys (or values) in random order.
        #[test]
        fn test_threaded_weak_key_dict_copy() {
            // Issue #35615: keys dying during dict copying should not crash.
            watchdog(LIMIT, || {
                let n = scaled(70_000, 30);
                let d: std::sync::Arc<WeakKeyDictionary<DummyKey, DummyValue>> =
                    std::sync::Arc::new(WeakKeyDictionary::new());
                let mut keys = Vec::with_capacity(n);
                for ctr in 0..n {
                    let k = Obj::new(DummyKey { ctr });
                    d.insert(&k, DummyValue { ctr });
                    keys.push(k);
                }
                let t_copy = {
                    let d = d.clone();
                    thread::spawn(move || (*d).clone())
                };
                let t_collect = thread::spawn(move || {
                    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
                    while !keys.is_empty() {
                        let i = rng.below(keys.len());
                        keys.swap_remove(i);
                    }
                });
                let copy = t_copy.join().expect("copying failed");
                t_collect.join().unwrap();
                // Every key died after or during the copy: both are empty now,
                // and whatever the copy held matched.
                assert!(d.is_empty());
                assert!(copy.is_empty());
            });
        }
    }

    super::super::sync_only! {
        #[test]
        fn test_threaded_weak_value_dict_copy() {
            // Issue #35615: values dying during dict copying should not crash.
            watchdog(LIMIT, || {
                let n = scaled(70_000, 30);
                let d: std::sync::Arc<WeakValueDictionary<usize, DummyValue>> =
                    std::sync::Arc::new(WeakValueDictionary::new());
                let mut values = Vec::with_capacity(n);
                for ctr in 0..n {
                    let v = Obj::new(DummyValue { ctr });
                    d.insert(ctr, &v);
                    values.push(v);
                }
                let t_copy = {
                    let d = d.clone();
                    thread::spawn(move || {
                        let copy = (*d).clone();
                        // Whatever was copied is consistent.
                        for (k, v) in copy.items() {
                            assert_eq!(k, v.ctr);
                        }
                        copy
                    })
                };
                let t_collect = thread::spawn(move || {
                    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
                    while !values.is_empty() {
                        let i = rng.below(values.len());
                        values.swap_remove(i);
                    }
                });
                let copy = t_copy.join().expect("copying failed");
                t_collect.join().unwrap();
                assert!(d.is_empty());
                assert!(copy.is_empty());
            });
        }
    }

    #[test]
    fn test_remove_closure() {
        // CPython: the removal callback captures nothing, so it makes no
        // cycle with the dict. Here: dropping the dict while its values live
        // frees its entries (keys included) at once; the values then die
        // normally, with nothing left to call back into.
        let key_drops = DropCounter::new();
        let value_drops = DropCounter::new();
        #[derive(PartialEq, Eq, Hash)]
        struct Key(usize);
        struct KeyWithToken(Key, #[allow(dead_code)] DropToken);
        impl PartialEq for KeyWithToken {
            fn eq(&self, other: &Self) -> bool {
                self.0 == other.0
            }
        }
        impl Eq for KeyWithToken {}
        impl std::hash::Hash for KeyWithToken {
            fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
                self.0.hash(h);
            }
        }
        let d = WeakValueDictionary::new();
        let values: Vec<_> = (0..5).map(|i| counted(&value_drops, i)).collect();
        for v in &values {
            d.insert(KeyWithToken(Key(v.n), key_drops.token()), v);
            assert_eq!(getweakrefcount(v), 1);
        }
        drop(d);
        assert_eq!(key_drops.count(), 5, "the dict's entries outlived it");
        for v in &values {
            assert_eq!(getweakrefcount(v), 0);
        }
        drop(values);
        assert_eq!(value_drops.count(), 5);
    }

    // The extra scenarios (not CPython rows).

    #[test]
    fn a_value_dies_inside_a_loop_over_the_dictionary() {
        let d = WeakValueDictionary::new();
        let mut objs: Vec<Option<Obj<Object>>> = (0..10).map(|i| Some(object(i))).collect();
        for o in objs.iter().flatten() {
            d.insert(o.arg, o);
        }
        let mut seen = Vec::new();
        for (k, v) in &d {
            assert_eq!(k, v.arg);
            seen.push(k);
            drop(v);
            // Kill this entry's value and every odd one, reached or not.
            objs[k as usize] = None;
            for o in objs.iter_mut().skip(1).step_by(2) {
                *o = None;
            }
        }
        // The first entry was yielded; no odd one after it was.
        assert!(!seen.is_empty());
        assert!(seen.iter().skip(1).all(|k| k % 2 == 0));
        let live: Vec<i64> = objs.iter().flatten().map(|o| o.arg).collect();
        assert_eq!(d.len(), live.len());
        for k in d.keys() {
            assert!(live.contains(&k));
        }
    }

    #[test]
    fn a_key_dies_inside_a_loop_over_the_dictionary() {
        let d = WeakKeyDictionary::new();
        let mut objs: Vec<Option<Obj<Object>>> = (0..10).map(|i| Some(object(i))).collect();
        for o in objs.iter().flatten() {
            d.insert(o, o.arg);
        }
        let mut seen = Vec::new();
        for (k, v) in &d {
            assert_eq!(k.arg, v);
            seen.push(v);
            drop(k);
            objs[v as usize] = None;
            for o in objs.iter_mut().skip(1).step_by(2) {
                *o = None;
            }
        }
        assert!(!seen.is_empty());
        assert!(seen.iter().skip(1).all(|k| k % 2 == 0));
        let live: Vec<i64> = objs.iter().flatten().map(|o| o.arg).collect();
        assert_eq!(d.len(), live.len());
        assert!(d.values().all(|v| live.contains(&v)));
    }

    #[test]
    fn a_callback_inserts_into_the_dictionary() {
        let d = super::super::Shared::new(WeakValueDictionary::new());
        let keeper = object(99);
        let doomed = object(1);
        d.insert(1, &doomed);
        let (d2, k2) = (d.clone(), keeper.clone());
        let _r = super::super::flavour::Ref::with_callback(&doomed, move |_| {
            // Inserting into the dictionary whose entry is being evicted.
            d2.insert(2, &k2);
            d2.insert(3, &Obj::new(Object { arg: 3 })); // dies at once
        });
        drop(doomed);
        assert_eq!(d.len(), 1);
        assert!(Obj::ptr_eq(&d.get(&2).unwrap(), &keeper));
        assert!(d.get(&1).is_none());
        assert!(d.get(&3).is_none());

        // The same for a keyed dictionary.
        let d = super::super::Shared::new(WeakKeyDictionary::new());
        let doomed = object(1);
        d.insert(&doomed, 1);
        let (d2, k2) = (d.clone(), keeper.clone());
        let _r = super::super::flavour::Ref::with_callback(&doomed, move |_| {
            d2.insert(&k2, 2);
        });
        drop(doomed);
        assert_eq!(d.len(), 1);
        assert_eq!(d.get(&keeper), Some(2));
        assert_eq!(d.get(&Object { arg: 1 }), None);
    }

    super::super::sync_only! {
        #[test]
        fn threads_insert_look_up_and_drop_while_another_iterates() {
            use std::sync::{Arc, Mutex};
            watchdog(LIMIT, || {
                let drops = DropCounter::new();
                let d: Arc<WeakValueDictionary<usize, Counted>> = Arc::new(WeakValueDictionary::new());
                let kept: Arc<Mutex<Vec<Obj<Counted>>>> = Arc::new(Mutex::new(Vec::new()));
                let n = scaled(5_000, 20);
                let writers: Vec<_> = (0..2)
                    .map(|t| {
                        let (d, kept, drops) = (d.clone(), kept.clone(), drops.clone());
                        thread::spawn(move || {
                            let mut rounds = Rounds::new(n);
                            for i in rounds.by_ref() {
                                let key = t * n + i;
                                let o = counted(&drops, key);
                                assert!(d.insert(key, &o).is_none());
                                assert!(Obj::ptr_eq(&d.get(&key).unwrap(), &o));
                                match i % 3 {
                                    0 => kept.lock().unwrap().push(o),
                                    // Drops a value the other writer may have
                                    // inserted, or this one.
                                    1 => drop(kept.lock().unwrap().pop()),
                                    _ => drop(o),
                                }
                            }
                            rounds.done
                        })
                    })
                    .collect();
                let reader = {
                    let d = d.clone();
                    thread::spawn(move || {
                        for _ in Rounds::new(scaled(200, 2)) {
                            for (k, v) in d.iter() {
                                assert_eq!(k, v.n);
                            }
                            assert!(d.len() <= 2 * n);
                        }
                    })
                };
                let created: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
                reader.join().unwrap();
                let kept = Arc::try_unwrap(kept).ok().unwrap().into_inner().unwrap();
                // Every surviving entry is live and `len` is the live count.
                assert_eq!(d.len(), kept.len());
                assert_eq!(d.items().count(), kept.len());
                for o in &kept {
                    assert!(Obj::ptr_eq(&d.get(&o.n).unwrap(), o));
                }
                // Nothing leaked: every value not kept was dropped.
                assert_eq!(drops.count(), created - kept.len());
                drop(kept);
                assert_eq!(drops.count(), created);
                assert!(d.is_empty());
            });
        }
    }

    super::super::sync_only! {
        #[test]
        fn threads_insert_look_up_and_drop_keys_while_another_iterates() {
            use std::sync::{Arc, Mutex};
            watchdog(LIMIT, || {
                let drops = DropCounter::new();
                let d: Arc<WeakKeyDictionary<Counted, usize>> = Arc::new(WeakKeyDictionary::new());
                let kept: Arc<Mutex<Vec<Obj<Counted>>>> = Arc::new(Mutex::new(Vec::new()));
                let n = scaled(5_000, 20);
                let writers: Vec<_> = (0..2)
                    .map(|t| {
                        let (d, kept, drops) = (d.clone(), kept.clone(), drops.clone());
                        thread::spawn(move || {
                            let mut rounds = Rounds::new(n);
                            for i in rounds.by_ref() {
                                let key = t * n + i;
                                let o = counted(&drops, key);
                                assert!(d.insert(&o, key).is_none());
                                assert_eq!(d.get(&o), Some(key));
                                match i % 3 {
                                    0 => kept.lock().unwrap().push(o),
                                    1 => drop(kept.lock().unwrap().pop()),
                                    _ => drop(o),
                                }
                            }
                            rounds.done
                        })
                    })
                    .collect();
                let reader = {
                    let d = d.clone();
                    thread::spawn(move || {
                        for _ in Rounds::new(scaled(200, 2)) {
                            for (k, v) in d.iter() {
                                assert_eq!(k.n, v);
                            }
                        }
                    })
                };
                let created: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
                reader.join().unwrap();
                let kept = Arc::try_unwrap(kept).ok().unwrap().into_inner().unwrap();
                assert_eq!(d.len(), kept.len());
                assert_eq!(d.items().count(), kept.len());
                for o in &kept {
                    assert_eq!(d.get(o), Some(o.n));
                }
                assert_eq!(drops.count(), created - kept.len());
                drop(kept);
                assert_eq!(drops.count(), created);
                assert!(d.is_empty());
            });
        }
    }
}

/// The fixture of `BasicTestMappingProtocol` for WeakValueDictionaryTestCase:
/// `_reference()` is `{"key1": Object(1), "key2": Object(2), "key3":
/// Object(3)}`; `other` is the last pair popped from it, `inmapping` the one
/// before (put back); the test keeps every value alive.
struct ValueFixture {
    reference: HashMap<&'static str, Obj<Object>>,
    other: (&'static str, Obj<Object>),
    inmapping: (&'static str, Obj<Object>),
}

impl ValueFixture {
    fn new() -> Self {
        let key1 = object(1);
        let key2 = object(2);
        let key3 = object(3);
        ValueFixture {
            reference: HashMap::from([("key1", key1), ("key2", key2.clone())]),
            other: ("key3", key3),
            inmapping: ("key2", key2),
        }
    }

    fn empty_mapping(&self) -> WeakValueDictionary<&'static str, Object> {
        WeakValueDictionary::new()
    }

    fn full_mapping(&self) -> WeakValueDictionary<&'static str, Object> {
        let x = self.empty_mapping();
        for (k, v) in &self.reference {
            x.insert(k, v);
        }
        x
    }
}

mod weak_value_dictionary_test_case {
    use super::*;

    fn ids<'a>(it: impl IntoIterator<Item = &'a Obj<Object>>) -> HashSet<usize> {
        it.into_iter().map(Obj::id).collect()
    }

    #[test]
    fn test_read() {
        // Test for read only operations on mapping
        let f = ValueFixture::new();
        let p = f.empty_mapping();
        let d = f.full_mapping();
        // Indexing
        for (key, value) in &f.reference {
            assert!(Obj::ptr_eq(&d.get(key).unwrap(), value));
        }
        let knownkey = f.other.0;
        assert!(d.get(knownkey).is_none());
        // len
        assert_eq!(p.len(), 0);
        assert_eq!(d.len(), f.reference.len());
        // contains
        for k in f.reference.keys() {
            assert!(d.contains_key(k));
        }
        assert!(!d.contains_key(f.other.0));
        // cmp
        assert!(p == p);
        assert!(d == d);
        assert!(p != d);
        assert!(d != p);
        // bool
        assert!(p.is_empty(), "Empty mapping must compare to False");
        assert!(!d.is_empty(), "Full mapping must compare to True");
        // keys(), items(), iter ...: set(iter) == set(list) == set(ref)
        let ref_keys: HashSet<_> = f.reference.keys().copied().collect();
        assert_eq!(d.keys().collect::<HashSet<_>>(), ref_keys);
        assert_eq!(
            (&d).into_iter().map(|(k, _)| k).collect::<HashSet<_>>(),
            ref_keys
        );
        let values: Vec<_> = d.values().collect();
        assert_eq!(ids(&values), ids(f.reference.values()));
        assert_eq!(values.len(), f.reference.len());
        let items: HashSet<_> = d.items().map(|(k, v)| (k, Obj::id(&v))).collect();
        let ref_items: HashSet<_> = f.reference.iter().map(|(k, v)| (*k, Obj::id(v))).collect();
        assert_eq!(items, ref_items);
        // get
        let (key, value) = d.items().next().unwrap();
        let (knownkey, knownvalue) = (f.other.0, &f.other.1);
        assert!(Obj::ptr_eq(
            &d.get(key).unwrap_or_else(|| knownvalue.clone()),
            &value
        ));
        assert!(Obj::ptr_eq(
            &d.get(knownkey).unwrap_or_else(|| knownvalue.clone()),
            knownvalue
        ));
        assert!(!d.contains_key(knownkey));
    }

    #[test]
    fn test_write() {
        // Test for write operations on mapping
        let f = ValueFixture::new();
        let p = f.empty_mapping();
        // Indexing
        for (key, value) in &f.reference {
            p.insert(key, value);
            assert!(Obj::ptr_eq(&p.get(key).unwrap(), value));
        }
        for key in f.reference.keys() {
            assert!(p.remove(key).is_some());
            assert!(p.get(key).is_none());
        }
        // update
        let p = f.empty_mapping();
        p.update(f.reference.iter().map(|(k, v)| (*k, v)));
        assert_eq!(p.items().collect::<HashMap<_, _>>(), f.reference);
        let items: Vec<_> = p.items().collect();
        let p = f.empty_mapping();
        p.update(items.iter().map(|(k, v)| (*k, v)));
        assert_eq!(p.items().collect::<HashMap<_, _>>(), f.reference);
        let d = f.full_mapping();
        // setdefault
        let (key, value) = d.items().next().unwrap();
        let (knownkey, knownvalue) = (f.other.0, &f.other.1);
        assert!(Obj::ptr_eq(&d.setdefault(key, knownvalue), &value));
        assert!(Obj::ptr_eq(&d.get(key).unwrap(), &value));
        assert!(Obj::ptr_eq(&d.setdefault(knownkey, knownvalue), knownvalue));
        assert!(Obj::ptr_eq(&d.get(knownkey).unwrap(), knownvalue));
        // pop
        assert!(Obj::ptr_eq(&d.remove(knownkey).unwrap(), knownvalue));
        assert!(!d.contains_key(knownkey));
        assert!(d.remove(knownkey).is_none()); // KeyError
        d.insert(knownkey, knownvalue);
        // d.pop(knownkey, default): the value, then the default.
        assert!(Obj::ptr_eq(&d.remove(knownkey).unwrap(), knownvalue));
        assert!(!d.contains_key(knownkey));
        assert!(d.remove(knownkey).is_none());
        // popitem
        let (key, value) = d.popitem().unwrap();
        assert!(!d.contains_key(key));
        assert!(Obj::ptr_eq(&value, &f.reference[key]));
        let p = f.empty_mapping();
        assert!(p.popitem().is_none()); // KeyError
    }

    #[test]
    fn test_constructor() {
        let f = ValueFixture::new();
        assert!(f.empty_mapping() == f.empty_mapping());
    }

    #[test]
    fn test_bool() {
        let f = ValueFixture::new();
        assert!(f.empty_mapping().is_empty());
        assert!(!f.reference.is_empty());
        // Not in CPython's test (which looks at the plain reference dict):
        // the full weak mapping is truthy.
        assert!(!f.full_mapping().is_empty());
    }

    #[test]
    fn test_keys() {
        let f = ValueFixture::new();
        let d = f.empty_mapping();
        assert_eq!(d.keys().count(), 0);
        // CPython then checks the plain reference dict; the same on the full
        // weak mapping. `d.keys(None)` does not compile.
        assert!(f.reference.contains_key(f.inmapping.0));
        assert!(!f.reference.contains_key(f.other.0));
        let d = f.full_mapping();
        assert!(d.keys().any(|k| k == f.inmapping.0));
        assert!(!d.keys().any(|k| k == f.other.0));
    }

    #[test]
    fn test_values() {
        let f = ValueFixture::new();
        let d = f.empty_mapping();
        assert_eq!(d.values().count(), 0);
        // `d.values(None)` does not compile.
    }

    #[test]
    fn test_items() {
        let f = ValueFixture::new();
        let d = f.empty_mapping();
        assert_eq!(d.items().count(), 0);
        // `d.items(None)` does not compile.
    }

    #[test]
    fn test_len() {
        let f = ValueFixture::new();
        assert_eq!(f.empty_mapping().len(), 0);
    }

    #[test]
    fn test_getitem() {
        // CPython indexes only the plain reference dict; the intent, on the
        // weak mapping: `get` of a present key gives its value.
        let f = ValueFixture::new();
        let d = f.full_mapping();
        assert!(Obj::ptr_eq(&d.get(f.inmapping.0).unwrap(), &f.inmapping.1));
        assert!(Obj::ptr_eq(&f.reference[f.inmapping.0], &f.inmapping.1));
    }

    #[test]
    fn test_update() {
        let f = ValueFixture::new();
        let other = [(f.other.0, f.other.1.clone())];
        // mapping argument
        let d = f.empty_mapping();
        d.update(other.iter().map(|(k, v)| (*k, v)));
        assert_eq!(d.items().collect::<Vec<_>>(), other);
        // No argument
        let d = f.empty_mapping();
        d.update([]);
        assert!(d == f.empty_mapping());
        // item sequence
        let d = f.empty_mapping();
        let pairs: Vec<_> = other.iter().map(|(k, v)| (*k, v)).collect();
        d.update(pairs);
        assert_eq!(d.items().collect::<Vec<_>>(), other);
        // Iterator
        let d = f.empty_mapping();
        d.update(other.iter().map(|(k, v)| (*k, v)));
        assert_eq!(d.items().collect::<Vec<_>>(), other);
        // keys() + indexing (SimpleUserDict)
        d.clear();
        d.update(f.reference.keys().map(|k| (*k, &f.reference[k])));
        let mut i1: Vec<_> = d.items().collect();
        let mut i2: Vec<_> = f.reference.iter().map(|(k, v)| (*k, v.clone())).collect();
        i1.sort();
        i2.sort();
        assert_eq!(i1, i2);
        // A failing source (BogonIter: one pair, then an exception): the
        // panic propagates and the dictionary stays consistent and usable.
        let d = f.empty_mapping();
        let a = &f.reference["key1"];
        let bogon = [("a", a)]
            .into_iter()
            .chain(std::iter::from_fn(|| panic!("Exc")));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.update(bogon)));
        assert!(caught.is_err());
        assert_eq!(d.len(), d.items().count());
        for (k, v) in d.items() {
            assert_eq!(k, "a");
            assert!(Obj::ptr_eq(&v, a));
        }
        d.insert("b", a);
        assert!(d.contains_key("b"));
        // Malformed pairs (`[(1, 2, 3)]`) and non-iterables (`42`) do not
        // compile.
    }

    #[test]
    fn test_get() {
        let f = ValueFixture::new();
        let three = object(3);
        let d = f.empty_mapping();
        assert!(d.get(f.other.0).is_none());
        assert!(Obj::ptr_eq(
            &d.get(f.other.0).unwrap_or_else(|| three.clone()),
            &three
        ));
        // CPython continues on the plain reference dict; the same on the
        // full weak mapping.
        let d = f.full_mapping();
        assert!(d.get(f.other.0).is_none());
        assert!(Obj::ptr_eq(
            &d.get(f.other.0).unwrap_or_else(|| three.clone()),
            &three
        ));
        assert!(Obj::ptr_eq(&d.get(f.inmapping.0).unwrap(), &f.inmapping.1));
        assert!(Obj::ptr_eq(
            &d.get(f.inmapping.0).unwrap_or_else(|| three.clone()),
            &f.inmapping.1
        ));
        // `d.get()` and `d.get(None, None, None)` do not compile.
    }

    #[test]
    fn test_popitem() {
        let f = ValueFixture::new();
        let d = f.empty_mapping();
        assert!(d.popitem().is_none()); // KeyError
                                        // `d.popitem(42)` does not compile.
    }

    #[test]
    fn test_pop() {
        let f = ValueFixture::new();
        let d = f.empty_mapping();
        let (k, v) = (f.inmapping.0, &f.inmapping.1);
        d.insert(k, v);
        assert!(d.remove(f.other.0).is_none()); // KeyError
        assert!(Obj::ptr_eq(&d.remove(k).unwrap(), v));
        assert_eq!(d.len(), 0);
        assert!(d.remove(k).is_none()); // KeyError
    }
}

/// The fixture of WeakKeyDictionaryTestCase: `_reference()` is
/// `{Object("key1"): 1, Object("key2"): 2, Object("key3"): 3}`.
struct KeyFixture {
    reference: HashMap<Obj<Object<&'static str>>, i32>,
    other: (Obj<Object<&'static str>>, i32),
    inmapping: (Obj<Object<&'static str>>, i32),
}

type SKey = Object<&'static str>;

impl KeyFixture {
    fn new() -> Self {
        let key1 = object("key1");
        let key2 = object("key2");
        let key3 = object("key3");
        KeyFixture {
            reference: HashMap::from([(key1, 1), (key2.clone(), 2)]),
            other: (key3, 3),
            inmapping: (key2, 2),
        }
    }

    fn empty_mapping(&self) -> WeakKeyDictionary<SKey, i32> {
        WeakKeyDictionary::new()
    }

    fn full_mapping(&self) -> WeakKeyDictionary<SKey, i32> {
        let x = self.empty_mapping();
        for (k, v) in &self.reference {
            x.insert(k, *v);
        }
        x
    }
}

mod weak_key_dictionary_test_case {
    use super::*;

    #[test]
    fn test_read() {
        let f = KeyFixture::new();
        let p = f.empty_mapping();
        let d = f.full_mapping();
        // Indexing
        for (key, value) in &f.reference {
            assert_eq!(d.get(key), Some(*value));
        }
        let knownkey = &f.other.0;
        assert_eq!(d.get(knownkey), None);
        // len
        assert_eq!(p.len(), 0);
        assert_eq!(d.len(), f.reference.len());
        // contains
        for k in f.reference.keys() {
            assert!(d.contains_key(k));
        }
        assert!(!d.contains_key(&f.other.0));
        // cmp
        assert!(p == p);
        assert!(d == d);
        assert!(p != d);
        assert!(d != p);
        // bool
        assert!(p.is_empty(), "Empty mapping must compare to False");
        assert!(!d.is_empty(), "Full mapping must compare to True");
        // keys(), items(), iter ...
        let ref_keys: HashSet<_> = f.reference.keys().cloned().collect();
        assert_eq!(d.keys().collect::<HashSet<_>>(), ref_keys);
        assert_eq!(
            (&d).into_iter().map(|(k, _)| k).collect::<HashSet<_>>(),
            ref_keys
        );
        let mut values: Vec<_> = d.values().collect();
        let mut ref_values: Vec<_> = f.reference.values().copied().collect();
        values.sort_unstable();
        ref_values.sort_unstable();
        assert_eq!(values, ref_values);
        let items: HashSet<_> = d.items().collect();
        let ref_items: HashSet<_> = f.reference.iter().map(|(k, v)| (k.clone(), *v)).collect();
        assert_eq!(items, ref_items);
        // The keys are the very objects inserted.
        for k in d.keys() {
            assert!(f.reference.keys().any(|r| Obj::ptr_eq(r, &k)));
        }
        // get
        let (key, value) = d.items().next().unwrap();
        let (knownkey, knownvalue) = (&f.other.0, f.other.1);
        assert_eq!(d.get(&key).unwrap_or(knownvalue), value);
        assert_eq!(d.get(knownkey).unwrap_or(knownvalue), knownvalue);
        assert!(!d.contains_key(knownkey));
    }

    #[test]
    fn test_write() {
        let f = KeyFixture::new();
        let p = f.empty_mapping();
        // Indexing
        for (key, value) in &f.reference {
            p.insert(key, *value);
            assert_eq!(p.get(key), Some(*value));
        }
        for key in f.reference.keys() {
            assert!(p.remove(key).is_some());
            assert_eq!(p.get(key), None);
        }
        // update
        let p = f.empty_mapping();
        p.update(f.reference.iter().map(|(k, v)| (k, *v)));
        assert_eq!(p.items().collect::<HashMap<_, _>>(), f.reference);
        let items: Vec<_> = p.items().collect();
        let p = f.empty_mapping();
        p.update(items.iter().map(|(k, v)| (k, *v)));
        assert_eq!(p.items().collect::<HashMap<_, _>>(), f.reference);
        let d = f.full_mapping();
        // setdefault
        let (key, value) = d.items().next().unwrap();
        let (knownkey, knownvalue) = (&f.other.0, f.other.1);
        assert_eq!(d.setdefault(&key, knownvalue), value);
        assert_eq!(d.get(&key), Some(value));
        assert_eq!(d.setdefault(knownkey, knownvalue), knownvalue);
        assert_eq!(d.get(knownkey), Some(knownvalue));
        // pop
        assert_eq!(d.remove(knownkey), Some(knownvalue));
        assert!(!d.contains_key(knownkey));
        assert_eq!(d.remove(knownkey), None); // KeyError
        let default = 909;
        d.insert(knownkey, knownvalue);
        assert_eq!(d.remove(knownkey).unwrap_or(default), knownvalue);
        assert!(!d.contains_key(knownkey));
        assert_eq!(d.remove(knownkey).unwrap_or(default), default);
        // popitem
        let (key, value) = d.popitem().unwrap();
        assert!(!d.contains_key(&key));
        assert_eq!(value, f.reference[&key]);
        let p = f.empty_mapping();
        assert!(p.popitem().is_none()); // KeyError
    }

    #[test]
    fn test_constructor() {
        let f = KeyFixture::new();
        assert!(f.empty_mapping() == f.empty_mapping());
    }

    #[test]
    fn test_bool() {
        let f = KeyFixture::new();
        assert!(f.empty_mapping().is_empty());
        assert!(!f.reference.is_empty());
        assert!(!f.full_mapping().is_empty());
    }

    #[test]
    fn test_keys() {
        let f = KeyFixture::new();
        let d = f.empty_mapping();
        assert_eq!(d.keys().count(), 0);
        assert!(f.reference.contains_key(&f.inmapping.0));
        assert!(!f.reference.contains_key(&f.other.0));
        let d = f.full_mapping();
        assert!(d.keys().any(|k| k == f.inmapping.0));
        assert!(!d.keys().any(|k| k == f.other.0));
    }

    #[test]
    fn test_values() {
        let f = KeyFixture::new();
        assert_eq!(f.empty_mapping().values().count(), 0);
    }

    #[test]
    fn test_items() {
        let f = KeyFixture::new();
        assert_eq!(f.empty_mapping().items().count(), 0);
    }

    #[test]
    fn test_len() {
        let f = KeyFixture::new();
        assert_eq!(f.empty_mapping().len(), 0);
    }

    #[test]
    fn test_getitem() {
        let f = KeyFixture::new();
        let d = f.full_mapping();
        assert_eq!(d.get(&f.inmapping.0), Some(f.inmapping.1));
        assert_eq!(f.reference[&f.inmapping.0], f.inmapping.1);
    }

    #[test]
    fn test_update() {
        let f = KeyFixture::new();
        let other = [(f.other.0.clone(), f.other.1)];
        // mapping argument
        let d = f.empty_mapping();
        d.update(other.iter().map(|(k, v)| (k, *v)));
        assert_eq!(d.items().collect::<Vec<_>>(), other);
        // No argument
        let d = f.empty_mapping();
        d.update([]);
        assert!(d == f.empty_mapping());
        // item sequence
        let d = f.empty_mapping();
        let pairs: Vec<_> = other.iter().map(|(k, v)| (k, *v)).collect();
        d.update(pairs);
        assert_eq!(d.items().collect::<Vec<_>>(), other);
        // Iterator
        let d = f.empty_mapping();
        d.update(other.iter().map(|(k, v)| (k, *v)));
        assert_eq!(d.items().collect::<Vec<_>>(), other);
        // keys() + indexing (SimpleUserDict)
        d.clear();
        d.update(f.reference.keys().map(|k| (k, f.reference[k])));
        let mut i1: Vec<_> = d.items().collect();
        let mut i2: Vec<_> = f.reference.iter().map(|(k, v)| (k.clone(), *v)).collect();
        i1.sort();
        i2.sort();
        assert_eq!(i1, i2);
        // A failing source: the panic propagates, the dictionary stays
        // consistent and usable.
        let d = f.empty_mapping();
        let a = &f.inmapping.0;
        let bogon = [(a, 1)]
            .into_iter()
            .chain(std::iter::from_fn(|| panic!("Exc")));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| d.update(bogon)));
        assert!(caught.is_err());
        assert_eq!(d.len(), d.items().count());
        for (k, v) in d.items() {
            assert!(Obj::ptr_eq(&k, a));
            assert_eq!(v, 1);
        }
        d.insert(&f.other.0, 3);
        assert!(d.contains_key(&f.other.0));
    }

    #[test]
    fn test_get() {
        let f = KeyFixture::new();
        let d = f.empty_mapping();
        assert_eq!(d.get(&f.other.0), None);
        assert_eq!(d.get(&f.other.0).unwrap_or(3), 3);
        let d = f.full_mapping();
        assert_eq!(d.get(&f.other.0), None);
        assert_eq!(d.get(&f.other.0).unwrap_or(3), 3);
        assert_eq!(d.get(&f.inmapping.0), Some(f.inmapping.1));
        assert_eq!(d.get(&f.inmapping.0).unwrap_or(3), f.inmapping.1);
    }

    #[test]
    fn test_popitem() {
        let f = KeyFixture::new();
        assert!(f.empty_mapping().popitem().is_none());
    }

    #[test]
    fn test_pop() {
        let f = KeyFixture::new();
        let d = f.empty_mapping();
        let (k, v) = (&f.inmapping.0, f.inmapping.1);
        d.insert(k, v);
        assert_eq!(d.remove(&f.other.0), None); // KeyError
        assert_eq!(d.remove(k), Some(v));
        assert_eq!(d.len(), 0);
        assert_eq!(d.remove(k), None); // KeyError
    }
}
