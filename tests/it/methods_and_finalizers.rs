//! CPython 3.11's `WeakMethodTestCase` and `FinalizeTestCase` (from
//! `Lib/test/test_weakref.py`), ported, one `#[test]` per CPython method and
//! named as in CPython; then weakable's own tests of the same features.
//!
//! Spelling (see `cpython-tests.md`): `del o` → `drop(o)`, `x is y` →
//! `ptr_eq`, `gc.collect()` → nothing (deaths are immediate). Where weakable
//! differs from CPython on purpose (identity equality of `WeakMethod`, SPEC
//! 17), the test says so next to the changed assertion.
//!
//! The file runs in both flavours (`sync::methods_and_finalizers` and
//! `unsync::methods_and_finalizers`, see `main.rs`), naming the handles
//! through `super::flavour`; what needs threads is `sync_only`, and the
//! unsync flavour's own tests (callbacks capturing an `Rc`, finalizers at a
//! thread's exit) are `unsync_only`.

use super::flavour::Obj;
use weakable::Weakable;

/// `class Object` of the CPython module: compared, ordered and hashed by
/// `arg` (weakable's `WeakMethod` never looks at that: it compares identity).
#[derive(Weakable, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Object {
    arg: i64,
}

impl Object {
    fn new(arg: i64) -> Obj<Object> {
        Obj::new(Object { arg })
    }

    // The SPEC's method shape is `fn(&T, A) -> R`; CPython's take no
    // argument, so here they take `()` (`WeakMethod::nullary` takes the
    // `fn(&self) -> R` shape; `test_alive` checks it too).
    fn some_method(&self, (): ()) -> i64 {
        4
    }

    fn other_method(&self, (): ()) -> i64 {
        5
    }

    fn nullary_method(&self) -> i64 {
        4
    }
}

type ObjectMethod = fn(&Object, ()) -> i64;

mod weak_method_test_case {
    use std::collections::hash_map::DefaultHasher;
    use std::collections::HashSet;
    use std::hash::{Hash, Hasher};
    use std::sync::{Arc, Mutex};

    use super::super::flavour::{getweakrefcount, Obj, WeakMethod};
    use weakable::Func;
    use weakable_tests::DropCounter;

    use super::{Object, ObjectMethod};

    /// `_subclass()`'s `C.some_method`, which returns 6: a function object,
    /// so that it can die (`del C.some_method`).
    fn subclass_some_method() -> Obj<Func<impl Fn((&Object, ())) -> i64 + Send + Sync>> {
        Obj::new(Func::new(|(_, ()): (&Object, ())| 6))
    }

    /// `Object.some_method` and `Object.other_method`, one function pointer
    /// each, for the tests that compare them: Rust does not promise that two
    /// casts of one function give one address (Miri gives each its own), and
    /// `WeakMethod` compares addresses. `weakable_extras` checks the plain
    /// `Object::some_method` spelling outside Miri.
    static SOME_METHOD: ObjectMethod = Object::some_method;
    static OTHER_METHOD: ObjectMethod = Object::other_method;

    fn hash<T: Hash>(value: &T) -> u64 {
        let mut h = DefaultHasher::new();
        value.hash(&mut h);
        h.finish()
    }

    #[test]
    fn test_alive() {
        let o = Object::new(1);
        let r = WeakMethod::new(&o, SOME_METHOD);
        // `assertIsInstance(r, weakref.ReferenceType)`: it is a weak
        // reference, it doesn't keep `o` alive.
        assert_eq!(Obj::strong_count(&o), 1);
        // `assertIsInstance(r(), type(o.some_method))`: a bound method.
        let bound = r.upgrade().expect("alive");
        assert!(Obj::ptr_eq(bound.object(), &o)); // r().__self__ is o
        let func = bound.func_ptr().expect("a function pointer"); // r().__func__
        assert!(std::ptr::fn_addr_eq(func, SOME_METHOD));
        assert_eq!(bound.call(()), 4); // r()() == 4

        // The same for a method taking only `&self`.
        let n = WeakMethod::nullary(&o, Object::nullary_method);
        let bound = n.upgrade().expect("alive");
        assert!(Obj::ptr_eq(bound.object(), &o));
        assert!(bound.nullary_func_ptr().is_some());
        assert_eq!(bound.call(()), 4);
    }

    #[test]
    fn test_object_dead() {
        let o = Object::new(1);
        let r = WeakMethod::new(&o, Object::some_method);
        drop(o);
        assert!(r.upgrade().is_none());
        assert!(!r.is_alive());
    }

    #[test]
    fn test_method_dead() {
        let some_method = subclass_some_method();
        let o = Object::new(1);
        let r = WeakMethod::with_function(&o, &some_method);
        assert_eq!(r.upgrade().map(|m| m.call(())), Some(6));
        drop(some_method); // del C.some_method
        assert!(r.upgrade().is_none());
        assert!(!r.is_alive());
        // The object itself is alive and well.
        assert_eq!(o.arg, 1);
    }

    type Calls = Arc<Mutex<Vec<WeakMethod<Object, (), i64>>>>;

    // `Send` in the sync flavour: auto traits show through `impl Trait`.
    fn recording(calls: &Calls) -> impl FnOnce(&WeakMethod<Object, (), i64>) + 'static {
        let calls = calls.clone();
        move |m| calls.lock().unwrap().push(m.clone())
    }

    #[test]
    fn test_callback_when_object_dead() {
        // Test callback behaviour when object dies first.
        let some_method = subclass_some_method();
        let calls = Calls::default();
        let o = Object::new(1);
        let r = WeakMethod::with_function_and_callback(&o, &some_method, recording(&calls));
        drop(o);
        {
            let calls = calls.lock().unwrap();
            assert_eq!(calls.len(), 1);
            assert!(calls[0] == r && WeakMethod::ptr_eq(&calls[0], &r));
        }
        // Callback is only called once.
        drop(some_method); // C.some_method = Object.some_method
        assert_eq!(calls.lock().unwrap().len(), 1);
    }

    #[test]
    fn test_callback_when_method_dead() {
        // Test callback behaviour when method dies first.
        let some_method = subclass_some_method();
        let calls = Calls::default();
        let o = Object::new(1);
        let r = WeakMethod::with_function_and_callback(&o, &some_method, recording(&calls));
        drop(some_method); // del C.some_method
        {
            let calls = calls.lock().unwrap();
            assert_eq!(calls.len(), 1);
            assert!(calls[0] == r && WeakMethod::ptr_eq(&calls[0], &r));
        }
        // Callback is only called once.
        drop(o);
        assert_eq!(calls.lock().unwrap().len(), 1);
    }

    #[test]
    fn test_no_cycles() {
        // A WeakMethod doesn't create any reference cycle to itself: once
        // its last handle goes, its callback (and all it captured) is freed.
        let o = Object::new(1);
        let captures = DropCounter::new();
        let token = captures.token();
        let r = WeakMethod::with_callback(&o, Object::some_method, move |_| drop(token));
        assert_eq!(getweakrefcount(&o), 1);
        drop(r);
        assert_eq!(captures.count(), 1);
        assert_eq!(getweakrefcount(&o), 0); // its ref to `o` is gone too
        drop(o); // and nothing calls back
        assert_eq!(captures.count(), 1);
    }

    #[test]
    fn test_equality() {
        #[track_caller]
        fn eq(a: &WeakMethod<Object, (), i64>, b: &WeakMethod<Object, (), i64>) {
            assert!(a == b);
            assert!(!(a != b));
        }
        #[track_caller]
        fn ne(a: &WeakMethod<Object, (), i64>, b: &WeakMethod<Object, (), i64>) {
            assert!(a != b);
            assert!(!(a == b));
        }
        let x = Object::new(1);
        let y = Object::new(1);
        let a = WeakMethod::new(&x, SOME_METHOD);
        let b = WeakMethod::new(&y, SOME_METHOD);
        let c = WeakMethod::new(&x, OTHER_METHOD);
        let d = WeakMethod::new(&y, OTHER_METHOD);
        // Objects equal, same method. CPython compares the objects with `==`
        // and finds `a == b`; weakable compares identity (SPEC 17), and `x`
        // and `y` are two objects: only the same object makes them equal.
        assert!(*x == *y);
        ne(&a, &b);
        ne(&c, &d);
        let a2 = WeakMethod::new(&x, SOME_METHOD);
        let c2 = WeakMethod::new(&x, OTHER_METHOD);
        eq(&a, &a2);
        eq(&c, &c2);
        // Objects equal, different method
        ne(&a, &c);
        ne(&a, &d);
        ne(&b, &c);
        ne(&b, &d);
        // Objects unequal, same or different method
        let z = Object::new(2);
        let e = WeakMethod::new(&z, SOME_METHOD);
        let f = WeakMethod::new(&z, OTHER_METHOD);
        ne(&a, &e);
        ne(&a, &f);
        ne(&b, &e);
        ne(&b, &f);
        // (Comparing with a bound method or with `ALWAYS_EQ` doesn't compile.)
        drop((x, y, z));
        // Dead WeakMethods compare by identity
        let a_clone = a.clone();
        let refs = [&a, &b, &c, &d, &e, &f, &a2, &c2, &a_clone];
        for q in refs {
            for r in refs {
                assert_eq!(q == r, WeakMethod::ptr_eq(q, r));
                assert_eq!(q != r, !WeakMethod::ptr_eq(q, r));
            }
        }
        assert!(a == a_clone);

        // Function objects: equal when they are the same object.
        let o = Object::new(1);
        let six = super::weak_method_test_case::subclass_some_method();
        let seven = Obj::new(Func::new(|(_, ()): (&Object, ())| 7));
        let g = WeakMethod::with_function(&o, &six);
        eq(&g, &WeakMethod::with_function(&o, &six));
        ne(&g, &WeakMethod::with_function(&o, &seven));
        ne(&g, &WeakMethod::new(&o, SOME_METHOD));
        let h = WeakMethod::with_function(&o, &six);
        drop(six); // the function dies: dead, so identity only
        ne(&g, &h);
        eq(&g, &g.clone());
    }

    #[test]
    fn test_hashing() {
        // Alive WeakMethods are hashable. (CPython: if the underlying object
        // is; weakable hashes identities, so any `T` will do.)
        let x = Object::new(1);
        let y = Object::new(1);
        let a = WeakMethod::new(&x, SOME_METHOD);
        let b = WeakMethod::new(&y, SOME_METHOD);
        let c = WeakMethod::new(&y, OTHER_METHOD);
        // Equal WeakMethods hash alike. (In CPython `a == b`, because
        // `x == y`; in weakable the equal one is another WeakMethod to the
        // same object and function.)
        let a2 = WeakMethod::new(&x, SOME_METHOD);
        assert!(a == a2);
        assert_eq!(hash(&a), hash(&a2));
        let ha = hash(&a);
        let hb = hash(&b);
        let set: HashSet<_> = [a.clone(), a2.clone(), b.clone(), c.clone()]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 3); // a and a2 are one entry
                                  // Dead WeakMethods retain their old hash value
        drop((x, y));
        assert_eq!(hash(&a), ha);
        assert_eq!(hash(&a2), ha);
        assert_eq!(hash(&b), hb);
        // If it wasn't hashed when alive, CPython cannot hash a dead
        // WeakMethod (TypeError): its hash is the object's. weakable's is
        // the identities', known from creation, so it never fails.
        assert_eq!(hash(&c), hash(&c.clone()));
        // Dead ones are still found, by identity only.
        assert!(set.contains(&a) && set.contains(&b) && set.contains(&c));
    }
}

// Finalizers need weakable's std (their registry is for the exit).
#[cfg(feature = "std")]
mod finalize_test_case {
    use std::io::Write;
    use std::process::Command;
    use std::sync::{Arc, Mutex, PoisonError};

    use super::super::flavour::{finalize, Obj};
    use weakable::Weakable;
    use weakable_tests::DropCounter;

    /// `class A: pass`.
    #[derive(Weakable)]
    struct A;

    type AddArgs = (i64, i64, i64);
    type Add = fn(AddArgs) -> i64;

    /// `res`, which `add` appends to; only `test_finalize` uses it.
    static RES: Mutex<Vec<i64>> = Mutex::new(Vec::new());

    fn res() -> std::sync::MutexGuard<'static, Vec<i64>> {
        RES.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add((x, y, z): AddArgs) -> i64 {
        res().push(x + y + z);
        x + y + z
    }

    #[cfg(feature = "std")]
    #[test]
    fn test_finalize() {
        let add = add as Add;
        let a = Obj::new(A);

        res().clear();
        // `finalize(a, add, 67, 43, z=89)`: keyword arguments are positional
        // here, the tuple is the arguments.
        let f = finalize(&a, add, (67, 43, 89));
        assert!(f.is_alive());
        let (obj, func, args) = f.peek().expect("alive");
        assert!(Obj::ptr_eq(&obj, &a) && std::ptr::fn_addr_eq(func, add) && args == (67, 43, 89));
        drop(obj);
        assert_eq!(f.call(), Some(199));
        assert_eq!(f.call(), None);
        assert_eq!(f.call(), None);
        assert!(f.peek().is_none());
        assert!(f.detach().is_none());
        assert!(!f.is_alive());
        assert_eq!(*res(), [199]);

        res().clear();
        let f = finalize(&a, add, (67, 43, 89));
        let (obj, func, args) = f.peek().expect("alive");
        assert!(Obj::ptr_eq(&obj, &a) && std::ptr::fn_addr_eq(func, add) && args == (67, 43, 89));
        drop(obj);
        let (obj, func, args) = f.detach().expect("alive");
        assert!(Obj::ptr_eq(&obj, &a) && std::ptr::fn_addr_eq(func, add) && args == (67, 43, 89));
        drop(obj);
        assert_eq!(f.call(), None);
        assert_eq!(f.call(), None);
        assert!(f.peek().is_none());
        assert!(f.detach().is_none());
        assert!(!f.is_alive());
        assert_eq!(*res(), []);
        // What `detach` handed back gives the result (SPEC 18).
        assert_eq!(func(args), 199);

        res().clear();
        let f = finalize(&a, add, (67, 43, 89));
        drop(a);
        assert_eq!(f.call(), None);
        assert_eq!(f.call(), None);
        assert!(f.peek().is_none());
        assert!(f.detach().is_none());
        assert!(!f.is_alive());
        assert_eq!(*res(), [199]);
    }

    #[cfg(feature = "std")]
    #[test]
    fn test_order() {
        let a = Obj::new(A);
        let res = Arc::new(Mutex::new(Vec::new()));
        let append = |name: &'static str| {
            let res = res.clone();
            finalize(&a, move |name| res.lock().unwrap().push(name), name)
        };

        let f1 = append("f1");
        let f2 = append("f2");
        let f3 = append("f3");
        let f4 = append("f4");
        let f5 = append("f5");

        // make sure finalizers can keep themselves alive
        drop((f1, f4));

        assert!(f2.is_alive());
        assert!(f3.is_alive());
        assert!(f5.is_alive());

        assert!(f5.detach().is_some());
        assert!(!f5.is_alive());

        assert!(f5.call().is_none()); // nothing because previously unregistered
        res.lock().unwrap().push("A");
        assert!(f3.call().is_some()); // => res.append('f3')
        assert!(!f3.is_alive());
        res.lock().unwrap().push("B");
        assert!(f3.call().is_none()); // nothing because previously called
        res.lock().unwrap().push("C");
        drop(a);
        // => res.append('f4')
        // => res.append('f2')
        // => res.append('f1')
        assert!(!f2.is_alive());
        res.lock().unwrap().push("D");
        assert!(f2.call().is_none()); // nothing because previously called at death

        let expected = ["A", "f3", "B", "C", "f4", "f2", "f1", "D"];
        assert_eq!(*res.lock().unwrap(), expected);
    }

    #[cfg(feature = "std")]
    #[test]
    fn test_all_freed() {
        // CPython takes weak refs to the callback and to the finalizer; here
        // drop counters in the function's captures and in the arguments show
        // that the registration let go of everything.
        let a = Obj::new(A);
        let res = Arc::new(Mutex::new(Vec::new()));
        let captures = DropCounter::new();
        let arguments = DropCounter::new();
        let callback = {
            let res = res.clone();
            let token = captures.token();
            move |_token| {
                let _captured = &token;
                res.lock().unwrap().push(123);
            }
        };
        let f = finalize(&a, callback, arguments.token());
        drop(f);

        // Still registered: nothing freed.
        assert_eq!(captures.count(), 0);
        assert_eq!(arguments.count(), 0);

        drop(a);

        assert_eq!(captures.count(), 1);
        assert_eq!(arguments.count(), 1);
        assert_eq!(*res.lock().unwrap(), [123]);
    }

    /// Makes [`atexit_child`] act: `exit` ends it with
    /// `std::process::exit`, `return` by returning from `main`.
    const CHILD: &str = "WEAKABLE_FINALIZE_ATEXIT_CHILD";
    /// `_global_var` of the CPython module.
    const GLOBAL_VAR: &str = "foobar";
    const MARKS: [&str; 5] = ["f1 foobar", "f2 foobar", "f3 error", "g1", "f4 foobar"];

    /// `run_in_child`: the child process of `test_atexit`, the test binary
    /// run again with [`CHILD`] set; otherwise it does nothing.
    #[cfg(feature = "std")]
    #[test]
    fn atexit_child() {
        let Ok(mode) = std::env::var(CHILD) else {
            return;
        };
        // `cls` of CPython: alive till exit (a child process's leak).
        let cls: &'static Obj<A> = Box::leak(Box::new(Obj::new(A)));

        let print = |(name, var): (&str, &str)| println!("{name} {var}");
        let error = move |()| {
            // Create an atexit finalizer from inside a finalizer called at
            // exit. This should be the next to be run.
            let _g1 = finalize(cls, |s| println!("{s}"), "g1");
            println!("f3 error");
            panic!("division by zero");
        };
        let f1 = finalize(cls, print, ("f1", GLOBAL_VAR));
        let f2 = finalize(cls, print, ("f2", GLOBAL_VAR));
        let f3 = finalize(cls, error, ());
        let f4 = finalize(cls, print, ("f4", GLOBAL_VAR));

        assert!(f1.atexit());
        f2.set_atexit(false);
        assert!(f3.atexit());
        assert!(f4.atexit());

        std::io::stdout().flush().unwrap();
        if mode == "exit" {
            std::process::exit(0);
        }
    }

    /// In the unsync flavour, "exit" is the end of the thread that made the
    /// finalizers, libtest's thread for `atexit_child`: it returns, or it
    /// calls `std::process::exit`, which destroys its thread-locals (glibc).
    #[cfg(feature = "std")]
    #[test]
    #[cfg_attr(miri, ignore = "runs a child process")]
    fn test_atexit() {
        // The child test's name as libtest knows it (without the crate).
        let module = module_path!();
        let module = &module[module.find("::").map_or(0, |i| i + 2)..];
        let child = format!("{module}::atexit_child");
        // Both ways out of a process: `std::process::exit`, and `main`
        // returning.
        for mode in ["exit", "return"] {
            let out = Command::new(std::env::current_exe().unwrap())
                .args([child.as_str(), "--exact", "--nocapture", "--test-threads=1"])
                .env(CHILD, mode)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "{mode}: {}\n{stdout}\n{stderr}",
                out.status
            );
            // libtest's `test .. ... ` may start the first line.
            let lines: Vec<&str> = stdout
                .lines()
                .filter_map(|l| MARKS.into_iter().find(|m| l.ends_with(m)))
                .collect();
            assert_eq!(
                lines,
                ["f4 foobar", "f3 error", "g1", "f1 foobar"],
                "{mode}"
            );
            assert!(
                stderr.contains(
                    "Exception ignored in: finalizer for 'A' object\npanicked: division by zero"
                ),
                "{mode}: {stderr}"
            );
        }
    }
}

/// weakable's own tests of `WeakMethod` and `finalize`, beyond CPython's.
// Without std the imports only the finalizers' tests use are unused.
#[cfg_attr(not(feature = "std"), allow(unused_imports))]
mod weakable_extras {
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};

    #[cfg(feature = "std")]
    use super::super::flavour::{finalize, Finalizer};
    use super::super::flavour::{Obj, Ref, WeakMethod};
    use weakable::{Func, Weakable};
    use weakable_tests::{CaptureUnraisable, DropCounter, Report};

    use super::Object;

    #[cfg(feature = "std")]
    #[derive(Weakable)]
    struct Image;

    fn hex_after<'a>(s: &'a str, prefix: &str) -> &'a str {
        let rest = &s[s.find(prefix).expect(prefix) + prefix.len()..];
        let end = rest
            .find(|c: char| !c.is_ascii_hexdigit() && c != 'x')
            .unwrap_or(rest.len());
        &rest[..end]
    }

    #[cfg(feature = "std")]
    #[test]
    fn finalizer_debug_is_cpythons_repr() {
        let img = Obj::new(Image);
        let f = finalize(&img, drop, ());
        let alive = format!("{f:?}");
        assert!(alive.starts_with("<finalize object at 0x"), "{alive}");
        assert!(
            alive.ends_with(&format!("; for 'Image' at {:#x}>", Obj::id(&img))),
            "{alive}"
        );
        drop(img);
        let dead = format!("{f:?}");
        assert_eq!(
            dead,
            format!("<finalize object at {}; dead>", hex_after(&alive, "at "))
        );
        assert_eq!(format!("{:?}", f.clone()), dead); // clones are the same finalizer
    }

    #[test]
    fn weak_method_debug() {
        let o = Object::new(1);
        let m = WeakMethod::new(&o, Object::some_method);
        let alive = format!("{m:?}");
        assert!(alive.starts_with("<WeakMethod at 0x"), "{alive}");
        assert!(
            alive.ends_with(&format!("; to 'Object' at {:#x}>", Obj::id(&o))),
            "{alive}"
        );
        let bound = format!("{:?}", m.upgrade().unwrap());
        assert_eq!(
            bound,
            format!("<bound method of 'Object' object at {:#x}>", Obj::id(&o))
        );
        drop(o);
        assert_eq!(
            format!("{m:?}"),
            format!("<WeakMethod at {}; dead>", hex_after(&alive, "at "))
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_panicking_finalizer_is_reported_and_the_rest_still_run() {
        let capture = CaptureUnraisable::start();
        let img = Obj::new(Image);
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let _first = finalize(&img, move |()| tx.send("first").unwrap(), ());
        let _boom = finalize(&img, |()| panic!("boom"), ());
        let _last = finalize(&img, move |()| tx2.send("last").unwrap(), ());
        drop(img);
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["last", "first"]);
        assert_eq!(
            capture.reports(),
            [Report {
                what: "finalizer",
                type_name: "Image",
                message: Some("boom".into()),
            }]
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn call_lets_a_panic_through_and_the_finalizer_is_dead() {
        let img = Obj::new(Image);
        let f = finalize(&img, |()| panic!("in call"), ());
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.call()));
        assert!(caught.is_err());
        assert!(!f.is_alive());
        drop(img); // nothing runs again
    }

    #[cfg(feature = "std")]
    #[test]
    fn finalizers_run_with_the_objects_other_callbacks_newest_first() {
        let img = Obj::new(Image);
        let log = Arc::new(Mutex::new(Vec::new()));
        let l1 = log.clone();
        let _r1 = Ref::with_callback(&img, move |_| l1.lock().unwrap().push("ref 1"));
        let l2 = log.clone();
        finalize(&img, move |()| l2.lock().unwrap().push("finalizer"), ());
        let l3 = log.clone();
        let _r3 = Ref::with_callback(&img, move |_| l3.lock().unwrap().push("ref 3"));
        drop(img);
        assert_eq!(*log.lock().unwrap(), ["ref 3", "finalizer", "ref 1"]);
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_finalizer_owning_its_object_keeps_it_alive_until_detached() {
        let img = Obj::new(Image);
        let drops = DropCounter::new();
        let token = drops.token();
        let keep = img.clone();
        let f = finalize(&img, move |()| drop((keep, token)), ());
        let r = Ref::new(&img);
        drop(img);
        assert!(r.is_alive() && f.is_alive()); // the documented mistake
        drop(f.detach());
        assert!(!r.is_alive());
        assert_eq!(drops.count(), 1);
    }

    #[cfg(feature = "std")]
    #[test]
    fn atexit_flag() {
        let img = Obj::new(Image);
        let f = finalize(&img, drop, ());
        assert!(f.atexit());
        f.set_atexit(false);
        assert!(!f.atexit());
        f.set_atexit(true);
        assert!(f.atexit());
        drop(img);
        assert!(!f.atexit());
        f.set_atexit(true); // dead: nothing changes
        assert!(!f.atexit());
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_finalizer_handle_can_be_stored_with_a_boxed_function() {
        type Boxed = Box<dyn FnOnce(u32) -> u32 + Send>;
        let img = Obj::new(Image);
        let handles: Vec<Finalizer<Image, Boxed, u32>> = vec![
            finalize(&img, Box::new(|x: u32| x + 1) as Boxed, 1),
            finalize(&img, Box::new(|x: u32| x * 10) as Boxed, 2),
        ];
        let results: Vec<Option<u32>> = handles.iter().map(Finalizer::call).collect();
        assert_eq!(results, [Some(2), Some(20)]);
    }

    super::super::sync_only! {
        #[cfg(feature = "std")]
        #[test]
        fn a_finalizer_runs_on_the_thread_where_its_object_dies() {
            let img = Obj::new(Image);
            let (tx, rx) = mpsc::channel();
            let f = finalize(
                &img,
                move |()| tx.send(std::thread::current().id()).unwrap(),
                (),
            );
            let worker = std::thread::spawn(move || {
                drop(img);
                std::thread::current().id()
            });
            let id = worker.join().unwrap();
            assert_eq!(rx.recv().unwrap(), id);
            assert!(!f.is_alive());
        }
    }

    super::super::sync_only! {
        #[cfg(feature = "std")]
        #[test]
        fn racing_call_detach_and_death_run_it_at_most_once() {
            for _ in 0..weakable_tests::scaled(200, 5) {
                let img = Obj::new(Image);
                let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
                let r = runs.clone();
                let f = finalize(
                    &img,
                    move |()| {
                        r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    },
                    (),
                );
                let (f1, f2) = (f.clone(), f.clone());
                let t1 = std::thread::spawn(move || f1.call().is_some());
                let t2 = std::thread::spawn(move || f2.detach().is_some());
                let t3 = std::thread::spawn(move || drop(img));
                let called = t1.join().unwrap();
                let detached = t2.join().unwrap();
                t3.join().unwrap();
                let runs = runs.load(std::sync::atomic::Ordering::SeqCst);
                assert!(runs <= 1 && !(called && detached));
                assert_eq!(runs == 1, !detached);
                assert!(!f.is_alive());
            }
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_panicking_weak_method_callback_is_reported() {
        let capture = CaptureUnraisable::start();
        let o = Object::new(1);
        let m = WeakMethod::with_callback(&o, Object::some_method, |_| panic!("cb"));
        assert!(m.has_callback());
        drop(o);
        assert!(!m.has_callback());
        assert_eq!(
            capture.reports(),
            [Report {
                what: "WeakMethod callback",
                type_name: "Object",
                message: Some("cb".into()),
            }]
        );
    }

    #[test]
    fn weak_methods_of_every_kind_share_one_type() {
        let o = Object::new(3);
        let f = Obj::new(Func::new(|(o, ()): (&Object, ())| o.arg * 100));
        let all: Vec<WeakMethod<Object, (), i64>> = vec![
            WeakMethod::new(&o, Object::some_method),
            WeakMethod::nullary(&o, Object::nullary_method),
            WeakMethod::with_function(&o, &f),
        ];
        let results: Vec<i64> = all
            .iter()
            .filter_map(|m| Some(m.upgrade()?.call(())))
            .collect();
        assert_eq!(results, [4, 4, 300]);
        drop(f);
        assert_eq!(all.iter().filter(|m| m.is_alive()).count(), 2);
    }

    #[test]
    fn a_bound_method_keeps_its_function_object_alive() {
        let o = Object::new(1);
        let f = Obj::new(Func::new(|(o, x): (&Object, i64)| o.arg + x));
        let m = WeakMethod::with_function(&o, &f);
        let bound = m.upgrade().unwrap();
        drop((o, f));
        assert!(m.is_alive());
        assert_eq!(bound.call(41), 42);
        drop(bound);
        assert!(!m.is_alive());
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri gives each cast of a function its own address")]
    fn the_same_method_named_twice_is_equal() {
        let o = Object::new(1);
        let a = WeakMethod::new(&o, Object::some_method);
        assert!(a == WeakMethod::new(&o, Object::some_method));
        assert!(a != WeakMethod::new(&o, Object::other_method));
    }

    super::super::sync_only! {
        #[test]
        fn weak_methods_cross_threads() {
            let o = Object::new(7);
            let m = WeakMethod::new(&o, Object::some_method);
            let on_thread = std::thread::spawn(move || m.upgrade().map(|b| b.call(())));
            assert_eq!(on_thread.join().unwrap(), Some(4));
        }
    }
}

// The unsync flavour's own: callbacks, finalizers and function objects that
// are not `Send` (they capture an `Rc`), views, and finalizers at exit.
super::unsync_only! {
    #[cfg_attr(not(feature = "std"), allow(unused_imports))]
    mod unsync_extras {
        use std::cell::{Cell, RefCell};
        use std::rc::Rc;
        use std::sync::mpsc;

        #[cfg(feature = "std")]
        use super::super::flavour::finalize;
        use super::super::flavour::{Obj, Ref, WeakMethod};
        use weakable::{weakable_dyn, Call, Func, Weakable};
        use weakable_tests::DropCounter;

        #[derive(Weakable)]
        struct Widget {
            clicks: Cell<u32>,
        }

        impl Widget {
            fn new() -> Obj<Widget> {
                Obj::new(Widget {
                    clicks: Cell::new(0),
                })
            }

            fn click(&self, n: u32) -> u32 {
                self.clicks.set(self.clicks.get() + n);
                self.clicks.get()
            }
        }

        trait Listener {
            fn heard(&self) -> u32;
        }
        weakable_dyn!(dyn Listener);

        impl Listener for Widget {
            fn heard(&self) -> u32 {
                self.clicks.get()
            }
        }

        fn heard(l: &dyn Listener) -> u32 {
            l.heard()
        }

        #[test]
        fn a_weak_method_callback_may_capture_an_rc() {
            let log = Rc::new(RefCell::new(Vec::new()));
            let sink = log.clone();
            let w = Widget::new();
            let m = WeakMethod::with_callback(&w, Widget::click, move |m| {
                sink.borrow_mut().push(m.is_alive());
            });
            assert_eq!(m.upgrade().map(|b| b.call(2)), Some(2));
            drop(w);
            assert_eq!(*log.borrow(), [false]);
            // The callback ran once and is gone, with its `Rc`.
            assert_eq!(Rc::strong_count(&log), 1);
            assert!(m.upgrade().is_none() && !m.has_callback());
        }

        #[cfg(feature = "std")]
        #[test]
        fn a_finalizer_may_capture_and_take_rcs() {
            let log: Rc<RefCell<Vec<Rc<str>>>> = Rc::default();
            let sink = log.clone();
            let w = Widget::new();
            let f = finalize(&w, move |name: Rc<str>| sink.borrow_mut().push(name), Rc::from("w"));
            let (obj, _func, args) = f.peek().expect("alive");
            assert!(Obj::ptr_eq(&obj, &w) && &*args == "w");
            drop((obj, _func, args));
            drop(w);
            assert!(!f.is_alive() && f.call().is_none());
            assert_eq!(log.borrow().len(), 1);
            assert_eq!(&*log.borrow()[0], "w");
            assert_eq!(Rc::strong_count(&log), 1);
        }

        #[test]
        fn a_function_object_may_capture_an_rc() {
            let step = Rc::new(Cell::new(10));
            let w = Widget::new();
            let s = step.clone();
            let f = Obj::new(Func::new(move |(w, x): (&Widget, u32)| w.click(x) + s.get()));
            let m = WeakMethod::with_function(&w, &f);
            assert_eq!(m.upgrade().map(|b| b.call(1)), Some(11));
            step.set(20);
            assert_eq!(m.upgrade().map(|b| b.call(1)), Some(22));
            drop(f);
            assert!(!m.is_alive());

            // The view of callables that are not `Send + Sync`.
            let s = step.clone();
            let add: Obj<dyn Call<u32, Output = u32>> =
                Obj::unsize(Obj::new(Func::new(move |x: u32| x + s.get())));
            assert_eq!(add.call(1), 21);
        }

        #[test]
        fn weakable_dyn_views_work() {
            let w = Widget::new();
            let l: Obj<dyn Listener> = Obj::unsize(w.clone());
            let r = Ref::new(&l);
            let m = WeakMethod::nullary(&l, heard);
            w.click(3);
            assert_eq!(m.upgrade().map(|b| b.call(())), Some(3));
            assert_eq!(r.upgrade().map(|l| l.heard()), Some(3));
            drop((w, l));
            assert!(r.upgrade().is_none() && !m.is_alive());
        }

        /// The unsync flavour's exit is the end of the finalizers' thread:
        /// those with `atexit` set run then, newest first, and one created
        /// meanwhile runs next (CPython's `test_atexit`); the others die
        /// without running, their function and arguments dropped.
        #[cfg(feature = "std")]
        #[test]
        fn finalizers_run_at_their_threads_exit() {
            let (tx, rx) = mpsc::channel();
            let drops = DropCounter::new();
            let token = drops.token();
            std::thread::spawn(move || {
                let log = Rc::new(tx);
                let say = |name: &'static str| {
                    let log = log.clone();
                    move |()| log.send(name).unwrap()
                };
                let a = Widget::new();
                // Keeps `a` alive past the thread's end (the documented
                // mistake of a finalizer owning its object), not at exit.
                finalize(&a, drop, a.clone()).set_atexit(false);
                finalize(&a, say("f1"), ());
                let f2 = finalize(&a, |_token| unreachable!("f2 is not for exit"), token);
                f2.set_atexit(false);
                let again = Ref::new(&a);
                let l = log.clone();
                let f3 = move |()| {
                    l.send("f3").unwrap();
                    let a = again.upgrade().expect("kept alive");
                    let l = l.clone();
                    finalize(&a, move |()| l.send("g1").unwrap(), ());
                };
                finalize(&a, f3, ());
                finalize(&a, say("f4"), ());
                drop(a);
            })
            .join()
            .unwrap();
            assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["f4", "f3", "g1", "f1"]);
            assert_eq!(drops.count(), 1); // f2's arguments
        }

        /// A finalizer whose object dies before its thread ends runs then,
        /// and not again at the thread's exit.
        #[cfg(feature = "std")]
        #[test]
        fn a_finalizer_run_at_death_does_not_run_at_exit() {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let a = Widget::new();
                let tx = Rc::new(tx);
                let f = finalize(&a, move |()| tx.send("death").unwrap(), ());
                drop(a);
                assert!(!f.is_alive());
            })
            .join()
            .unwrap();
            assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["death"]);
        }
    }
}

// Issue 15: handlers taking their event by reference (`ByRef`), and
// finalizers without arguments whose handle names no closure
// (`finalize_with`, `Finalizer<T>`).
#[cfg_attr(not(feature = "std"), allow(unused_imports))]
mod by_reference_and_without_arguments {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    #[cfg(feature = "std")]
    use super::super::flavour::{finalize, finalize_with, Finalizer, FinalizerFn};
    use super::super::flavour::{Obj, WeakMethod};
    use super::super::Shared;
    use weakable::{ByRef, Func, Weakable};
    use weakable_tests::DropCounter;

    struct Event {
        name: String,
        clicks: u32,
    }

    #[derive(Weakable)]
    struct Widget {
        total: AtomicU32,
        seen: Mutex<Vec<String>>,
    }

    impl Widget {
        fn new() -> Obj<Widget> {
            Obj::new(Widget {
                total: AtomicU32::new(0),
                seen: Mutex::default(),
            })
        }

        fn on_event(&self, e: &Event) -> u32 {
            self.seen.lock().unwrap().push(e.name.clone());
            self.total.fetch_add(e.clicks, Ordering::Relaxed) + e.clicks
        }

        fn total(&self) -> u32 {
            self.total.load(Ordering::Relaxed)
        }
    }

    type Handler = WeakMethod<Widget, ByRef<Event>, u32>;

    /// The emitter: a `Vec` of weak handlers, each called with a
    /// borrow of an event that is a local of `emit`; dead ones are pruned.
    #[derive(Default)]
    struct Bus {
        handlers: Vec<Handler>,
    }

    impl Bus {
        fn subscribe(&mut self, h: Handler) {
            self.handlers.push(h);
        }

        /// Calls every live handler with `&event`; returns their results.
        fn emit(&mut self, name: &str, clicks: u32) -> Vec<u32> {
            let event = Event {
                name: name.to_owned(),
                clicks,
            };
            let mut results = Vec::new();
            self.handlers.retain(|h| match h.upgrade() {
                Some(bound) => {
                    results.push(bound.call(&event));
                    true
                }
                None => false,
            });
            results
        }
    }

    #[test]
    fn an_event_bus_calls_weak_handlers_with_borrowed_events() {
        let (a, b) = (Widget::new(), Widget::new());
        let offset = Obj::new(Func::new(|(w, e): (&Widget, &Event)| {
            w.total() + e.clicks + 1000
        }));
        let mut bus = Bus::default();
        bus.subscribe(WeakMethod::by_ref(&a, Widget::on_event));
        bus.subscribe(WeakMethod::by_ref(&b, Widget::on_event));
        bus.subscribe(WeakMethod::by_ref_with_function(&a, &offset));
        for i in 1..=weakable_tests::scaled(50, 5) as u32 {
            // A new event each turn, dropped before the next one.
            assert_eq!(bus.emit(&format!("e{i}"), i).len(), 3);
        }
        let n = weakable_tests::scaled(50, 5) as u32;
        assert_eq!(a.total(), n * (n + 1) / 2);
        assert_eq!(
            b.seen.lock().unwrap().last().map(String::as_str),
            Some(&*format!("e{n}"))
        );

        drop(offset); // the function object dies: its handler goes
        assert_eq!(bus.emit("x", 1).len(), 2);
        assert_eq!(bus.handlers.len(), 2);
        drop(b); // an object dies: its handler goes
        assert_eq!(bus.emit("y", 1), [n * (n + 1) / 2 + 2]);
        assert_eq!(bus.handlers.len(), 1);
        drop(a);
        assert!(bus.emit("z", 1).is_empty() && bus.handlers.is_empty());
    }

    #[test]
    fn a_by_ref_handler_is_called_with_a_borrow_shorter_than_itself() {
        let w = Widget::new();
        let m = WeakMethod::by_ref(&w, Widget::on_event);
        let bound = m.upgrade().unwrap();
        {
            let short = Event {
                name: "short".into(),
                clicks: 2,
            };
            assert_eq!(bound.call(&short), 2);
        }
        let on_event = bound.func_ptr().unwrap();
        let another = Event {
            name: "ptr".into(),
            clicks: 3,
        };
        assert_eq!(on_event(&w, &another), 5);
        assert_eq!(bound.func_id(), on_event as usize);
        assert_eq!(*w.seen.lock().unwrap(), ["short", "ptr"]);
    }

    #[test]
    fn by_ref_handlers_compare_and_hash_by_identity() {
        let (a, b) = (Widget::new(), Widget::new());
        // One function pointer: Miri gives every cast its own address.
        let on_event: fn(&Widget, &Event) -> u32 = Widget::on_event;
        let (m1, m2) = (
            WeakMethod::by_ref(&a, on_event),
            WeakMethod::by_ref(&a, on_event),
        );
        let other = WeakMethod::by_ref(&b, on_event);
        assert!(m1 == m2 && m1 != other);
        let set: HashSet<Handler> = [m1.clone(), m2.clone(), other.clone()]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 2);
        drop(a);
        assert!(m1 != m2 && m1 == m1.clone());
        assert!(set.contains(&m1) && set.contains(&other));
        assert!(format!("{m1:?}").ends_with("; dead>"));
    }

    #[test]
    fn a_by_ref_handler_with_a_callback_unsubscribes_itself() {
        type Handlers = Shared<Mutex<Vec<Handler>>>;
        fn subscribe(handlers: &Handlers, w: &Obj<Widget>, func: Option<&Obj<WidgetFn>>) {
            let list = Shared::downgrade(handlers);
            let on_death = move |dead: &Handler| {
                if let Some(list) = list.upgrade() {
                    list.lock().unwrap().retain(|h| h != dead);
                }
            };
            let m = match func {
                None => WeakMethod::by_ref_with_callback(w, Widget::on_event, on_death),
                Some(f) => WeakMethod::by_ref_with_function_and_callback(w, f, on_death),
            };
            assert!(m.has_callback());
            handlers.lock().unwrap().push(m);
        }
        type WidgetFn = Func<fn((&Widget, &Event)) -> u32>;
        let double: Obj<WidgetFn> = Obj::new(Func::new(|(w, e)| w.on_event(e) * 2));

        let handlers = Handlers::default();
        let (a, b) = (Widget::new(), Widget::new());
        subscribe(&handlers, &a, None);
        subscribe(&handlers, &b, None);
        subscribe(&handlers, &b, Some(&double));
        let event = Event {
            name: "go".into(),
            clicks: 1,
        };
        let calls: Vec<Option<u32>> = handlers
            .lock()
            .unwrap()
            .iter()
            .map(|h| h.upgrade().map(|bound| bound.call(&event)))
            .collect();
        assert_eq!(calls, [Some(1), Some(1), Some(4)]);
        drop(double);
        assert_eq!(handlers.lock().unwrap().len(), 2);
        drop(a);
        assert_eq!(handlers.lock().unwrap().len(), 1);
        drop(b);
        assert!(handlers.lock().unwrap().is_empty());
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_finalizer_without_arguments_runs_once() {
        let w = Widget::new();
        let runs = Shared::new(AtomicU32::new(0));
        let r = runs.clone();
        let f = finalize_with(&w, move || r.fetch_add(1, Ordering::SeqCst) + 1);
        assert!(f.is_alive() && f.atexit());
        assert_eq!(f.call(), Some(1));
        assert_eq!(f.call(), None);
        drop(w);
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        let w = Widget::new();
        let r = runs.clone();
        let g = finalize_with(&w, move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        drop(w); // at its object's death
        assert!(!g.is_alive());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    /// A struct keeps its own finalizer in a field whose type names no
    /// closure: `Finalizer<Conn>`, the flavour's defaults.
    #[cfg(feature = "std")]
    #[derive(Weakable)]
    struct Conn {
        id: u32,
        close: Mutex<Option<Finalizer<Conn>>>,
        close_count: Mutex<Option<Finalizer<Conn, FinalizerFn<usize>>>>,
    }

    #[cfg(feature = "std")]
    fn open(id: u32, closed: &Shared<Mutex<Vec<u32>>>) -> Obj<Conn> {
        let conn = Obj::new(Conn {
            id,
            close: Mutex::new(None),
            close_count: Mutex::new(None),
        });
        let log = closed.clone();
        *conn.close.lock().unwrap() =
            Some(finalize_with(&conn, move || log.lock().unwrap().push(id)));
        let log = closed.clone();
        *conn.close_count.lock().unwrap() =
            Some(finalize_with(&conn, move || log.lock().unwrap().len()));
        conn
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_finalizer_is_stored_in_a_struct_field() {
        let closed = Shared::new(Mutex::new(Vec::new()));
        let (a, b, c) = (open(1, &closed), open(2, &closed), open(3, &closed));
        // Closed early: `call` gives the closure's result.
        assert_eq!(
            b.close.lock().unwrap().as_ref().and_then(Finalizer::call),
            Some(())
        );
        assert_eq!(*closed.lock().unwrap(), [2]);
        // Detached: the box comes back, and `f(args)` gives the result.
        let detached = c.close_count.lock().unwrap().as_ref().unwrap().detach();
        let (obj, f, args): (Obj<Conn>, FinalizerFn<usize>, ()) = detached.unwrap();
        assert_eq!(obj.id, 3);
        assert_eq!(f(args), 1);
        drop(obj);
        drop((a, b, c)); // newest first at each death; `b` already closed
        assert_eq!(*closed.lock().unwrap(), [2, 1, 3]);
    }

    #[cfg(feature = "std")]
    #[test]
    fn boxed_and_unboxed_finalizers_run_together_newest_first() {
        let w = Widget::new();
        let order = Shared::new(Mutex::new(Vec::new()));
        let o = order.clone();
        let _plain = finalize(
            &w,
            move |name: &'static str| o.lock().unwrap().push(name),
            "plain",
        );
        let o = order.clone();
        let boxed: Finalizer<Widget> = finalize_with(&w, move || o.lock().unwrap().push("boxed"));
        drop(w);
        assert!(!boxed.is_alive());
        assert_eq!(*order.lock().unwrap(), ["boxed", "plain"]);
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_detached_or_dead_boxed_finalizer_drops_its_closure_once() {
        let drops = DropCounter::new();
        let w = Widget::new();
        let token = drops.token();
        let f = finalize_with(&w, move || drop(token));
        let token = drops.token();
        let g = finalize_with(&w, move || drop(token));
        let (_, closure, ()) = g.detach().unwrap();
        drop(closure); // never run
        assert_eq!(drops.count(), 1);
        drop(w);
        assert_eq!(drops.count(), 2);
        assert!(!f.is_alive() && f.call().is_none());
    }

    super::super::unsync_only! {
        /// The unsync flavour's exit is its thread's end: a boxed finalizer
        /// with `atexit` set runs then too, and may hold an `Rc`.
        #[cfg(feature = "std")]
        #[test]
        fn a_boxed_finalizer_runs_at_its_threads_exit() {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let tx = std::rc::Rc::new(tx);
                let w = Widget::new();
                // Keeps `w` alive past the thread's end; dropped (not run)
                // there after the others, which lets `w` die.
                finalize(&w, drop, w.clone()).set_atexit(false);
                let t = tx.clone();
                finalize_with(&w, move || t.send("exit").unwrap());
                finalize_with(&w, move || tx.send("not at exit").unwrap()).set_atexit(false);
            })
            .join()
            .unwrap();
            assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["exit"]);
        }
    }
}
