//! Deep chains of deaths (issue 18, finding 5): a million objects, each
//! kept alive only by the one before it (owning it, or through a callback,
//! a finalizer, or a weak dictionary's entry), die on an 8 MiB stack,
//! each exactly once, because deaths nested deeper than
//! `weakable`'s limit are postponed and run one after another by the
//! outermost death (CPython's "trashcan"). Also: the order those deaths
//! run in, as the crate docs state it, and a panic in a postponed death.

use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::flavour::{finalize, Obj, Ref, WeakKeyDictionary, WeakValueDictionary};
use weakable::Weakable;
use weakable_tests::{scaled, DropCounter, DropToken};

/// The length of every chain: CPython's real-size trashcan test under
/// native runs; under Miri (where 2,000 links through finalizers took
/// minutes), past the nesting limit, so that deaths are
/// postponed there too, by the outermost death and by postponed ones.
const DEPTH: usize = scaled(1_000_000, 150);

/// The nesting limit the crate docs state ("# Limitations").
const DOCUMENTED_LIMIT: usize = 100;

/// Runs `f` on a thread with an 8 MiB stack, as a main thread has, and
/// passes its panic on.
fn on_8_mib_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .name("deep chain".into())
        .stack_size(8 << 20)
        .spawn(f)
        .expect("spawning the test thread")
        .join()
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// A link of an owning chain: it owns the next link.
#[derive(Weakable)]
struct Link {
    _next: Option<Obj<Link>>,
    _token: DropToken,
}

/// A chain of `len` links, each owning the next.
fn owning_chain(len: usize, drops: &DropCounter) -> Obj<Link> {
    let mut head = None;
    for _ in 0..len {
        head = Some(Obj::new(Link {
            _next: head.take(),
            _token: drops.token(),
        }));
    }
    head.unwrap()
}

#[test]
fn a_million_objects_owning_each_other() {
    on_8_mib_stack(|| {
        let drops = DropCounter::new();
        let head = owning_chain(DEPTH, &drops);
        let first = Ref::new(&head);
        drop(head);
        assert_eq!(drops.count(), DEPTH);
        assert!(!first.is_alive());
    });
}

#[test]
fn a_million_objects_die_in_a_thread_local_destructor() {
    // The thread's bookkeeping of deaths is a thread-local too: it must
    // still postpone while the thread's thread-locals are destroyed.
    std::thread_local! {
        static HELD: std::cell::RefCell<Option<Obj<Link>>> = const {
            std::cell::RefCell::new(None)
        };
    }
    let drops = DropCounter::new();
    let held = drops.clone();
    on_8_mib_stack(move || {
        let head = owning_chain(DEPTH, &held);
        HELD.with(|slot| *slot.borrow_mut() = Some(head));
    });
    // Joining waits for the thread's thread-local destructors.
    assert_eq!(drops.count(), DEPTH);
}

/// A plain object that counts its drop.
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

impl Hash for Counted {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.n.hash(state);
    }
}

fn counted(n: usize, drops: &DropCounter) -> Obj<Counted> {
    Obj::new(Counted {
        n,
        _token: drops.token(),
    })
}

#[test]
fn a_million_objects_each_kept_by_a_callback_of_the_one_before() {
    on_8_mib_stack(|| {
        let (drops, calls) = (DropCounter::new(), Arc::new(AtomicUsize::new(0)));
        let head = counted(0, &drops);
        let mut refs = Vec::with_capacity(DEPTH);
        let mut cur = head.clone();
        for n in 1..DEPTH {
            let next = counted(n, &drops);
            let (owned, calls) = (next.clone(), calls.clone());
            refs.push(Ref::with_callback(&cur, move |_| {
                calls.fetch_add(1, Ordering::Relaxed);
                drop(owned);
            }));
            cur = next;
        }
        drop(cur);
        drop(head);
        assert_eq!(drops.count(), DEPTH);
        assert_eq!(calls.load(Ordering::Relaxed), DEPTH - 1);
        assert!(refs.iter().all(|r| !r.is_alive() && !r.has_callback()));
    });
}

#[test]
fn a_million_objects_each_kept_by_a_finalizer_of_the_one_before() {
    on_8_mib_stack(|| {
        let (drops, calls) = (DropCounter::new(), Arc::new(AtomicUsize::new(0)));
        let head = counted(0, &drops);
        let mut finalizers = Vec::with_capacity(DEPTH);
        let mut cur = head.clone();
        for n in 1..DEPTH {
            let next = counted(n, &drops);
            let calls = calls.clone();
            let f = move |owned: Obj<Counted>| {
                calls.fetch_add(1, Ordering::Relaxed);
                drop(owned);
            };
            finalizers.push(finalize(&cur, f, next.clone()));
            cur = next;
        }
        drop(cur);
        drop(head);
        assert_eq!(drops.count(), DEPTH);
        assert_eq!(calls.load(Ordering::Relaxed), DEPTH - 1);
        assert!(finalizers.iter().all(|f| !f.is_alive()));
    });
}

#[test]
fn a_million_objects_each_the_value_of_the_one_before_in_a_weak_key_dictionary() {
    on_8_mib_stack(|| {
        let drops = DropCounter::new();
        let d = WeakKeyDictionary::new();
        let head = counted(0, &drops);
        let mut cur = head.clone();
        for n in 1..DEPTH {
            let next = counted(n, &drops);
            d.insert(&cur, next.clone());
            cur = next;
        }
        drop(cur);
        assert_eq!(d.len(), DEPTH - 1);
        drop(head);
        assert_eq!(drops.count(), DEPTH);
        assert_eq!(d.len(), 0);
    });
}

/// A `WeakValueDictionary` key that owns the next object of the chain.
struct OwningKey {
    n: usize,
    _next: Obj<Counted>,
}

impl PartialEq for OwningKey {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n
    }
}

impl Eq for OwningKey {}

impl Hash for OwningKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.n.hash(state);
    }
}

#[test]
fn a_million_objects_each_owned_by_the_key_of_the_one_before_in_a_weak_value_dictionary() {
    on_8_mib_stack(|| {
        let drops = DropCounter::new();
        let d = WeakValueDictionary::new();
        let head = counted(0, &drops);
        let mut cur = head.clone();
        for n in 1..DEPTH {
            let next = counted(n, &drops);
            let key = OwningKey {
                n,
                _next: next.clone(),
            };
            d.insert(key, &cur);
            cur = next;
        }
        drop(cur);
        assert_eq!(d.len(), DEPTH - 1);
        drop(head);
        assert_eq!(drops.count(), DEPTH);
        assert_eq!(d.len(), 0);
    });
}

/// What a [`Logged`] object's `Drop` records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// Its `Drop` started (after its callbacks ran).
    Start(char, usize),
    /// Its `Drop` dropped its children and ends.
    End(char, usize),
    /// A death callback on it ran.
    Called(char, usize),
}

type Log = Arc<Mutex<Vec<Event>>>;

/// An object that owns its children, and logs its `Drop` around dropping
/// them; the one labelled `panics_at` panics at the start of its `Drop`.
#[derive(Weakable)]
struct Logged {
    label: (char, usize),
    children: Vec<Obj<Logged>>,
    log: Log,
    panics_at: Option<(char, usize)>,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let (name, n) = self.label;
        self.log.lock().unwrap().push(Event::Start(name, n));
        if self.panics_at == Some(self.label) {
            // The children still die: drop glue drops the fields while the
            // panic unwinds.
            panic!("Drop of {name}{n}");
        }
        drop(std::mem::take(&mut self.children));
        self.log.lock().unwrap().push(Event::End(name, n));
    }
}

/// A chain `name0` → `name1` → … of `len` objects, each owning the next.
fn logged_chain(
    name: char,
    len: usize,
    log: &Log,
    panics_at: Option<(char, usize)>,
) -> Obj<Logged> {
    let mut children = Vec::new();
    for n in (0..len).rev() {
        children = vec![Obj::new(Logged {
            label: (name, n),
            children,
            log: log.clone(),
            panics_at,
        })];
    }
    children.pop().unwrap()
}

/// What the docs promise for a run of `name`'s links that dies nested in
/// one death, unlimited: each `Drop` starts, then they end innermost first.
fn nested(name: char, links: std::ops::Range<usize>) -> Vec<Event> {
    let starts = links.clone().map(|n| Event::Start(name, n));
    starts
        .chain(links.rev().map(|n| Event::End(name, n)))
        .collect()
}

#[test]
fn a_chain_dies_in_runs_of_the_documented_limit() {
    on_8_mib_stack(|| {
        let log = Log::default();
        let len = 2 * DOCUMENTED_LIMIT + 30;
        drop(logged_chain('a', len, &log, None));
        // Each run holds the nested deaths the limit allows: the first is
        // the outermost death and its nested ones; each next one starts
        // where the one before postponed a death, and runs after it ended.
        let mut expected = Vec::new();
        let mut start = 0;
        while start < len {
            let end = (start + DOCUMENTED_LIMIT).min(len);
            expected.extend(nested('a', start..end));
            start = end;
        }
        assert_eq!(*log.lock().unwrap(), expected);
    });
}

#[test]
fn postponed_deaths_run_depth_first() {
    on_8_mib_stack(|| {
        // A root owning two chains: the recursion would kill all of `a`,
        // then all of `b`. Past the limit, each chain's deep part is
        // postponed; the deaths postponed while running `a`'s postponed
        // part run before `b`'s postponed part (not first in, first out).
        let log = Log::default();
        let len = 2 * DOCUMENTED_LIMIT + 30;
        let root = Obj::new(Logged {
            label: ('r', 0),
            children: vec![
                logged_chain('a', len, &log, None),
                logged_chain('b', len, &log, None),
            ],
            log: log.clone(),
            panics_at: None,
        });
        drop(root);
        // The root is at depth 1, so each chain's first run is one shorter.
        let first = DOCUMENTED_LIMIT - 1;
        let second = first + DOCUMENTED_LIMIT;
        let mut expected = vec![Event::Start('r', 0)];
        expected.extend(nested('a', 0..first));
        expected.extend(nested('b', 0..first));
        expected.push(Event::End('r', 0));
        expected.extend(nested('a', first..second));
        expected.extend(nested('a', second..len));
        expected.extend(nested('b', first..second));
        expected.extend(nested('b', second..len));
        assert_eq!(*log.lock().unwrap(), expected);
    });
}

#[test]
fn a_callback_chain_drops_its_values_in_runs_of_the_documented_limit() {
    on_8_mib_stack(|| {
        // Each object is kept by a callback of the one before. Unlimited,
        // every callback would run, then every value drop, innermost first
        // (a value drops after its callbacks). Postponed, the callbacks
        // still run in order; each run's values drop before the next run.
        let log = Log::default();
        let len = 2 * DOCUMENTED_LIMIT + 30;
        let objects: Vec<Obj<Logged>> = (0..len)
            .map(|n| {
                Obj::new(Logged {
                    label: ('c', n),
                    children: Vec::new(),
                    log: log.clone(),
                    panics_at: None,
                })
            })
            .collect();
        let refs: Vec<Ref<Logged>> = objects
            .windows(2)
            .enumerate()
            .map(|(n, pair)| {
                let (next, log) = (pair[1].clone(), log.clone());
                Ref::with_callback(&pair[0], move |_| {
                    log.lock().unwrap().push(Event::Called('c', n));
                    drop(next);
                })
            })
            .collect();
        let head = objects.into_iter().next().unwrap();
        drop(head);
        let mut expected = Vec::new();
        let mut start = 0;
        while start < len {
            let end = (start + DOCUMENTED_LIMIT).min(len);
            let called = start..end.min(len - 1);
            expected.extend(called.map(|n| Event::Called('c', n)));
            for n in (start..end).rev() {
                expected.extend([Event::Start('c', n), Event::End('c', n)]);
            }
            start = end;
        }
        assert_eq!(*log.lock().unwrap(), expected);
        assert!(refs.iter().all(|r| !r.is_alive()));
    });
}

#[test]
fn a_panic_in_a_postponed_death_loses_no_other_death() {
    on_8_mib_stack(|| {
        let log = Log::default();
        let len = 3 * DOCUMENTED_LIMIT + 30;
        // Link `LIMIT` is the first postponed death; its `Drop` panics.
        let panicking = ('a', DOCUMENTED_LIMIT);
        let head = logged_chain('a', len, &log, Some(panicking));
        let refs: Vec<Ref<Logged>> = {
            let mut refs = vec![Ref::new(&head)];
            let mut link = head.clone();
            while let Some(next) = link.children.first().cloned() {
                refs.push(Ref::new(&next));
                link = next;
            }
            refs
        };
        let payload = catch_unwind(AssertUnwindSafe(|| drop(head)))
            .expect_err("the panic of a postponed death reaches the outermost drop");
        assert_eq!(
            payload.downcast_ref::<String>(),
            Some(&format!("Drop of a{DOCUMENTED_LIMIT}"))
        );
        assert!(refs.iter().all(|r| !r.is_alive()));
        // Every link's `Drop` started once; all but the panicking one ended.
        let (mut starts, mut ends) = (vec![0; len], vec![0; len]);
        for event in std::mem::take(&mut *log.lock().unwrap()) {
            match event {
                Event::Start('a', n) => starts[n] += 1,
                Event::End('a', n) => ends[n] += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        for n in 0..len {
            let expected = (1, usize::from(n != DOCUMENTED_LIMIT));
            assert_eq!((starts[n], ends[n]), expected, "link {n}");
        }
        // The thread's bookkeeping is back at rest: the next chain nests
        // from the outermost level again, and postpones at the same depth.
        let again = Log::default();
        drop(logged_chain('b', DOCUMENTED_LIMIT + 1, &again, None));
        let mut expected = nested('b', 0..DOCUMENTED_LIMIT);
        expected.extend(nested('b', DOCUMENTED_LIMIT..DOCUMENTED_LIMIT + 1));
        assert_eq!(*again.lock().unwrap(), expected);
    });
}
