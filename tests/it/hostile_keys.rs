//! Keys and values whose `Hash`, `Eq`, `Clone` and `Drop` fight back
//! (issue 18, findings 1, 3 and 4): nothing user-written is dropped under a
//! collection's lock, an eviction never hashes a key, and a put or remove
//! finishes whatever the keys' `Eq` does to the table.

use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use weakable::{Obj, WeakKeyDictionary, WeakValueDictionary, Weakable};
use weakable_tests::{scaled, watchdog, CaptureUnraisable};

const LIMIT: Duration = Duration::from_secs(30);

#[derive(Weakable, PartialEq, Eq, Hash)]
struct Key(u32);

#[derive(Weakable)]
struct Image(#[allow(dead_code)] u32);

/// A value whose clone may panic, and whose drop may use the dictionary it
/// lives in.
struct Val {
    clone_panics: bool,
    on_drop: Option<Arc<WeakKeyDictionary<Key, Val>>>,
}

impl Clone for Val {
    fn clone(&self) -> Self {
        if self.clone_panics {
            panic!("Val::clone");
        }
        Val {
            clone_panics: false,
            on_drop: None,
        }
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        if let Some(d) = self.on_drop.take() {
            // Takes the table lock: a deadlock if this runs under it.
            let _ = d.len();
        }
    }
}

#[test]
fn setdefault_on_an_existing_key_drops_the_unused_default_after_unlocking() {
    watchdog(LIMIT, || {
        let d = Arc::new(WeakKeyDictionary::new());
        let k = Obj::new(Key(1));
        d.insert(
            &k,
            Val {
                clone_panics: true,
                on_drop: None,
            },
        );
        let default = Val {
            clone_panics: false,
            on_drop: Some(d.clone()),
        };
        // The current value's clone panics; the default, which uses the
        // dictionary when dropped, is dropped by the unwinding.
        let result = catch_unwind(AssertUnwindSafe(|| d.setdefault(&k, default)));
        assert!(result.is_err());
        assert_eq!(d.len(), 1);
        assert!(d.contains_key(&Key(1)));
    });
}

#[test]
fn setdefault_on_a_new_key_drops_the_entry_after_unlocking_when_the_clone_panics() {
    watchdog(LIMIT, || {
        let d = Arc::new(WeakKeyDictionary::new());
        let k = Obj::new(Key(2));
        let default = Val {
            clone_panics: true,
            on_drop: Some(d.clone()),
        };
        let result = catch_unwind(AssertUnwindSafe(|| d.setdefault(&k, default)));
        assert!(result.is_err());
        // The entry was not inserted, and the dictionary still works.
        assert_eq!(d.len(), 0);
        d.insert(
            &k,
            Val {
                clone_panics: false,
                on_drop: None,
            },
        );
        assert_eq!(d.len(), 1);
    });
}

/// A key whose `Hash` panics once armed.
struct Touchy {
    n: u32,
    armed: Arc<AtomicBool>,
}

impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n
    }
}

impl Eq for Touchy {}

impl Hash for Touchy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        assert!(!self.armed.load(SeqCst), "Touchy::hash after arming");
        self.n.hash(state);
    }
}

#[test]
fn a_value_dictionary_eviction_does_not_hash_the_key() {
    let capture = CaptureUnraisable::start();
    let armed = Arc::new(AtomicBool::new(false));
    let d = WeakValueDictionary::new();
    let image = Obj::new(Image(1));
    d.insert(
        Touchy {
            n: 1,
            armed: armed.clone(),
        },
        &image,
    );
    assert_eq!(d.len(), 1);
    armed.store(true, SeqCst);
    drop(image); // evicts the entry: no hash of the key on the way
    assert_eq!(d.len(), 0, "the eviction was lost");
    assert_eq!(capture.reports(), []);
}

/// A key whose `Eq` inserts a new key (with another hash) into the
/// dictionary on every call, as long as `grow` is set.
struct Greedy {
    n: u32,
    dict: Arc<OnceLock<WeakValueDictionary<Greedy, Image>>>,
    keep: Obj<Image>,
    calls: Arc<AtomicUsize>,
}

impl PartialEq for Greedy {
    fn eq(&self, other: &Self) -> bool {
        let call = self.calls.fetch_add(1, SeqCst);
        if let Some(d) = self.dict.get() {
            d.insert(
                Greedy {
                    n: 1_000_000 + call as u32,
                    dict: Arc::new(OnceLock::new()),
                    keep: self.keep.clone(),
                    calls: self.calls.clone(),
                },
                &self.keep,
            );
        }
        self.n == other.n
    }
}

impl Eq for Greedy {}

impl Hash for Greedy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.n.hash(state);
    }
}

#[test]
fn an_eq_that_inserts_on_every_call_does_not_stop_an_insert_or_remove() {
    watchdog(LIMIT, || {
        let dict = Arc::new(OnceLock::new());
        let keep = Obj::new(Image(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let key = |n| Greedy {
            n,
            dict: dict.clone(),
            keep: keep.clone(),
            calls: calls.clone(),
        };
        assert!(dict.set(WeakValueDictionary::new()).is_ok());
        let d = dict.get().unwrap();
        let a = Obj::new(Image(1));
        let b = Obj::new(Image(2));
        d.insert(key(1), &a);
        // Replacing compares with the old key: its `Eq` grows the table.
        let old = d.insert(key(1), &b);
        assert!(Obj::ptr_eq(&old.unwrap(), &a));
        assert!(Obj::ptr_eq(&d.get(&key(1)).unwrap(), &b));
        assert!(Obj::ptr_eq(&d.remove(&key(1)).unwrap(), &b));
        assert!(d.get(&key(1)).is_none());
        assert!(calls.load(SeqCst) < 100, "{} Eq calls", calls.load(SeqCst));
    });
}

/// A key whose `Eq` is slow when either side is marked slow.
#[derive(Clone)]
struct Slow {
    n: u32,
    slow: bool,
}

/// How many comparisons with a slow key were made.
static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

impl PartialEq for Slow {
    fn eq(&self, other: &Self) -> bool {
        if self.slow || other.slow {
            SLOW_CALLS.fetch_add(1, SeqCst);
            thread::sleep(Duration::from_millis(2));
        }
        self.n == other.n
    }
}

impl Eq for Slow {}

impl Hash for Slow {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.n.hash(state);
    }
}

fn fast(n: u32) -> Slow {
    Slow { n, slow: false }
}

#[test]
fn a_slow_replace_finishes_while_another_thread_uses_the_dictionary() {
    let d = Arc::new(WeakValueDictionary::new());
    let stop = Arc::new(AtomicBool::new(false));
    let keep = Obj::new(Image(0));
    // A cache user: inserts and looks up other keys without a pause.
    let cache = {
        let (d, stop, keep) = (d.clone(), stop.clone(), keep.clone());
        thread::spawn(move || {
            let mut i = 1_000u32;
            while !stop.load(SeqCst) {
                d.insert(fast(i), &keep);
                d.remove(&fast(i - 1));
                i += 1;
                // Under valgrind, which runs one thread at a time, a loop
                // that never yields would starve the replacing thread.
                thread::yield_now();
            }
        })
    };
    let replaces = scaled(50, 3);
    let d2 = d.clone();
    let done = watchdog_result(move || {
        let images: Vec<_> = (0..2).map(|n| Obj::new(Image(n))).collect();
        for i in 0..replaces {
            d2.insert(Slow { n: 1, slow: true }, &images[i % 2]);
        }
    });
    stop.store(true, SeqCst);
    cache.join().unwrap();
    done.unwrap();
    // Nothing the other thread did touched key 1's entry, so each replace
    // compared once: it never looked again because the table changed.
    let calls = SLOW_CALLS.load(SeqCst);
    assert!(
        calls < replaces,
        "{calls} slow comparisons for {replaces} replaces"
    );
}

/// [`watchdog`], but handing its verdict back instead of panicking at
/// once, so the caller can stop its own threads first.
fn watchdog_result<F: FnOnce() + Send + 'static>(f: F) -> std::thread::Result<()> {
    // Generous: valgrind runs this some fifty times slower, one thread at
    // a time. What the test checks is the count of comparisons.
    catch_unwind(AssertUnwindSafe(|| watchdog(4 * LIMIT, f)))
}
