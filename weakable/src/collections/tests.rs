//! Tests the three collections share: one body, run on each.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::test_util::rounds;
use crate::{getweakrefcount, Obj, WeakKeyDictionary, WeakSet, WeakValueDictionary, Weakable};

#[test]
fn evictors_are_send_in_the_sync_flavour() {
    // What the `Callback` impl of `Evictor` relies on (see `core::table`):
    // with `Send + Sync` contents, a sync entry's evictor is `Send`.
    use crate::collections::DefaultHashBuilder as S;
    use crate::core::table::Evictor;
    type Sync = crate::flavor::Sync;
    fn send<T: Send>() {}
    send::<Evictor<super::value::Entry<String, Counted, Sync>, S, Sync>>();
    send::<Evictor<super::key::Entry<Counted, String, Sync>, S, Sync>>();
    // A `WeakSet`'s entries are a `WeakKeyDictionary`'s with `()` values.
    send::<Evictor<super::key::Entry<Counted, (), Sync>, S, Sync>>();
}

/// An object that counts the live instances in its own test's counter
/// (the tests run in parallel: no statics), equal to another by `id`.
#[derive(Weakable)]
struct Counted {
    id: usize,
    live: Arc<AtomicUsize>,
}

impl Counted {
    fn new(id: usize, live: &Arc<AtomicUsize>) -> Counted {
        live.fetch_add(1, SeqCst);
        Counted {
            id,
            live: live.clone(),
        }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(self.id, &self.live)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Counted {}

impl Hash for Counted {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// A collection under the threaded test: one entry per object, found by
/// the object's `id`.
trait Stressed: Default + Send + Sync + 'static {
    /// How many `Counted` values an entry holds besides its object.
    const VALUES_PER_ENTRY: usize = 0;
    /// Adds the entry for `o`.
    fn put(&self, o: &Obj<Counted>);
    /// The `id` the entry for `o` gives back, looked up by an equal key.
    fn look_up(&self, o: &Obj<Counted>) -> Option<usize>;
    /// One pass over the collection, checking each entry it yields.
    fn check_a_pass(&self);
    fn count(&self) -> usize;
}

impl Stressed for WeakValueDictionary<usize, Counted> {
    fn put(&self, o: &Obj<Counted>) {
        self.insert(o.id, o);
    }
    fn look_up(&self, o: &Obj<Counted>) -> Option<usize> {
        let found = self.get(&o.id)?;
        assert!(Obj::ptr_eq(&found, o));
        Some(found.id)
    }
    fn check_a_pass(&self) {
        for (k, v) in self.iter() {
            assert_eq!(k, v.id);
        }
    }
    fn count(&self) -> usize {
        self.len()
    }
}

/// Values that count themselves too: every clone `get` and `iter` make
/// must be dropped.
impl Stressed for WeakKeyDictionary<Counted, Counted> {
    const VALUES_PER_ENTRY: usize = 1;
    fn put(&self, o: &Obj<Counted>) {
        self.insert(o, Counted::clone(o));
    }
    fn look_up(&self, o: &Obj<Counted>) -> Option<usize> {
        let key = Counted::clone(o);
        self.get(&key).map(|v| v.id)
    }
    fn check_a_pass(&self) {
        for (k, v) in self.iter() {
            assert_eq!(k.id, v.id);
        }
    }
    fn count(&self) -> usize {
        self.len()
    }
}

impl Stressed for WeakSet<Counted> {
    fn put(&self, o: &Obj<Counted>) {
        self.insert(o);
    }
    fn look_up(&self, o: &Obj<Counted>) -> Option<usize> {
        let key = Counted::clone(o);
        self.contains(&key).then_some(o.id)
    }
    fn check_a_pass(&self) {
        for e in self.iter() {
            assert!(self.contains(&e));
        }
    }
    fn count(&self) -> usize {
        self.len()
    }
}

/// Two writers add entries and look each up at once; of every three
/// objects, each writer keeps one, drops one at once, and for the third
/// drops an object it kept before; meanwhile a reader walks the
/// collection. Afterwards exactly the kept objects have entries, each with
/// one ref, and nothing else is alive.
fn threads_insert_look_up_drop_and_iterate<D: Stressed>() {
    let live = Arc::new(AtomicUsize::new(0));
    let d = Arc::new(D::default());
    let kept: Arc<Mutex<Vec<Obj<Counted>>>> = Arc::default();
    let n = rounds(2000, 10);
    let writers: Vec<_> = (0..2)
        .map(|t| {
            let (d, kept, live) = (d.clone(), kept.clone(), live.clone());
            thread::spawn(move || {
                for i in 0..n {
                    let id = t * n + i;
                    let o = Obj::new(Counted::new(id, &live));
                    d.put(&o);
                    assert_eq!(d.look_up(&o), Some(id));
                    if i % 3 == 0 {
                        kept.lock().unwrap().push(o);
                    } else if i % 3 == 1 {
                        drop(kept.lock().unwrap().pop());
                    }
                }
            })
        })
        .collect();
    let reader = {
        let d = d.clone();
        thread::spawn(move || {
            for _ in 0..rounds(200, 10) {
                d.check_a_pass();
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    reader.join().unwrap();
    let kept = kept.lock().unwrap();
    assert_eq!(d.count(), kept.len());
    for o in kept.iter() {
        assert_eq!(d.look_up(o), Some(o.id));
        assert_eq!(getweakrefcount(o), 1);
    }
    assert_eq!(live.load(SeqCst), kept.len() * (1 + D::VALUES_PER_ENTRY));
}

#[test]
fn threads_use_a_weak_value_dictionary() {
    threads_insert_look_up_drop_and_iterate::<WeakValueDictionary<usize, Counted>>();
}

#[test]
fn threads_use_a_weak_key_dictionary() {
    threads_insert_look_up_drop_and_iterate::<WeakKeyDictionary<Counted, Counted>>();
}

#[test]
fn threads_use_a_weak_set() {
    threads_insert_look_up_drop_and_iterate::<WeakSet<Counted>>();
}
