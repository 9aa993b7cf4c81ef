//! Memory measurements with a counting global allocator: object header
//! sizes, ref node sizes, bytes per live entry of each weak collection and
//! of its anchors (`weak-table`, `HashMap` of `sync::Weak`), and what each
//! still holds after every value died.
//!
//! Bytes are the sizes requested from the allocator (as `tracemalloc`
//! counts them on the CPython side), not what the allocator rounds up to.
//!
//! ```text
//! cargo run --release -p weakable-bench --example memory [-- --json] [--n N]
//! ```
#![allow(missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Weak};

use weakable::{DeathQueue, Obj, Ref, WeakKeyDictionary, WeakSet, WeakValueDictionary, Weakable};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments, so
// `System`'s guarantees carry over; the counter has no effect on them.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// A cached value, with a `__weakref__` slot.
#[derive(Weakable)]
struct Val(#[allow(dead_code)] u64);

/// The same value without a slot.
#[derive(Weakable)]
#[weakable(no_weakref)]
struct Plain(#[allow(dead_code)] u64);

/// A weak key or set element.
#[derive(Weakable, PartialEq, Eq, Hash)]
struct Key(u64);

/// One row of output.
struct Row {
    section: &'static str,
    name: String,
    imp: &'static str,
    n: usize,
    value: f64,
    unit: &'static str,
}

/// Bytes that `f` leaves allocated (its result kept until measured).
fn bytes_of<R>(f: impl FnOnce() -> R) -> (isize, R) {
    let before = live();
    let r = black_box(f());
    (live() - before, r)
}

fn headers(rows: &mut Vec<Row>) {
    let mut row = |name: &str, imp: &'static str, bytes: isize| {
        rows.push(Row {
            section: "sizes",
            name: name.to_string(),
            imp,
            n: 1,
            value: bytes as f64,
            unit: "bytes",
        })
    };
    let value = std::mem::size_of::<Val>() as isize;
    let (slotted, o) = bytes_of(|| Obj::new(Val(1)));
    row(
        "object header (allocation - value)",
        "weakable, with slot",
        slotted - value,
    );
    let (plain, p) = bytes_of(|| Obj::new(Plain(1)));
    row(
        "object header (allocation - value)",
        "weakable, no_weakref",
        plain - value,
    );
    let (arc, a) = bytes_of(|| Arc::new(Val(1)));
    row("object header (allocation - value)", "Arc", arc - value);

    let (first, r1) = bytes_of(|| Ref::new(&o));
    row("first basic ref", "weakable", first);
    let (again, r2) = bytes_of(|| Ref::new(&o));
    row("basic ref, again", "weakable", again);
    let (cb, r3) = bytes_of(|| Ref::with_callback(&o, |_| {}));
    row("ref with a (zero-sized) callback", "weakable", cb);
    let (dg, w) = bytes_of(|| Arc::downgrade(&a));
    row("first basic ref", "Arc::downgrade", dg);
    drop((r1, r2, r3, w, o, p, a));
}

/// What death as data costs: a pending `dead()` future (its node and the
/// state it shares with it), and a `DeathQueue` registration with a `u64`
/// value (node, map entry), averaged over `n` registrations, before and
/// after the deaths (a delivered value waits in the queue).
fn death_as_data(rows: &mut Vec<Row>, n: usize) {
    let mut row = |name: &str, n: usize, bytes: f64| {
        rows.push(Row {
            section: "death as data",
            name: name.to_string(),
            imp: "weakable",
            n,
            value: bytes,
            unit: "bytes",
        })
    };
    let o = Obj::new(Val(1));
    let r = Ref::new(&o);
    let (bytes, dead) = bytes_of(|| r.dead());
    row(
        "dead() future, pending (beside the future's 16)",
        1,
        bytes as f64,
    );
    drop((dead, r, o));

    let q = DeathQueue::new();
    let base = live();
    let objs: Vec<_> = (0..n as u64).map(|i| Obj::new(Val(i))).collect();
    let before = live();
    for o in &objs {
        q.register(o, 1_u64);
    }
    let registered = live();
    row(
        "DeathQueue registration, u64 value, waiting",
        n,
        (registered - before) as f64 / n as f64,
    );
    drop(objs);
    let delivered = live();
    row(
        "DeathQueue, held per u64 value delivered, not received",
        n,
        (delivered - base) as f64 / n as f64,
    );
    while q.try_recv().is_some() {}
    row(
        "DeathQueue, held after every value was received",
        n,
        (live() - base) as f64,
    );
    drop(q);
}

/// Builds a collection over `n` entries whose keys and values exist
/// beforehand (`make_keys` may make `()` when the values are the keys),
/// then drops all the values. Reports bytes per live entry (beyond keys and
/// values), bytes still held once every value died (including the keys the
/// collection owns and any dead allocations its weak handles pin), and
/// `len()` then.
fn measure<K, V, C>(
    rows: &mut Vec<Row>,
    (name, imp, n): (&'static str, &'static str, usize),
    make_keys: impl FnOnce() -> K,
    make_values: impl FnOnce() -> Vec<V>,
    build: impl FnOnce(&mut K, &[V]) -> C,
    len: impl Fn(&C) -> usize,
) {
    let start = live();
    let mut keys = make_keys();
    let values = make_values();
    // `build` moves the keys out (`mem::take`) and leaves the emptied
    // vector, freed only after the count, as a key list would be.
    let (entry_bytes, coll) = bytes_of(|| build(&mut keys, &values));
    drop(keys);
    drop(values);
    let retained = live() - start;
    let dead_len = len(&coll);
    for (what, value, unit) in [
        (
            "bytes per live entry",
            entry_bytes as f64 / n as f64,
            "bytes",
        ),
        ("bytes held after all values died", retained as f64, "bytes"),
        ("len() after all values died", dead_len as f64, "entries"),
    ] {
        rows.push(Row {
            section: name,
            name: what.to_string(),
            imp,
            n,
            value,
            unit,
        });
    }
    drop(coll);
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("key-{i:08}")).collect()
}

fn collections(rows: &mut Vec<Row>, n: usize) {
    const WVD: &str = "WeakValueDictionary";
    const WKD: &str = "WeakKeyDictionary";
    const WS: &str = "WeakSet";

    measure(
        rows,
        (WVD, "weakable", n),
        || keys(n),
        || (0..n as u64).map(|i| Obj::new(Val(i))).collect(),
        |ks, vs| {
            let d = WeakValueDictionary::new();
            for (k, v) in ks.iter_mut().map(std::mem::take).zip(vs) {
                d.insert(k, v);
            }
            d
        },
        WeakValueDictionary::len,
    );
    measure(
        rows,
        (WVD, "weak-table", n),
        || keys(n),
        || (0..n as u64).map(|i| Arc::new(Val(i))).collect(),
        |ks, vs| {
            let mut d = weak_table::WeakValueHashMap::<String, Weak<Val>>::new();
            for (k, v) in ks.iter_mut().map(std::mem::take).zip(vs) {
                d.insert(k, v.clone());
            }
            d
        },
        weak_table::WeakValueHashMap::len,
    );
    measure(
        rows,
        (WVD, "HashMap<_, sync::Weak>", n),
        || keys(n),
        || (0..n as u64).map(|i| Arc::new(Val(i))).collect(),
        |ks, vs| {
            let mut d = HashMap::new();
            for (k, v) in ks.iter_mut().map(std::mem::take).zip(vs) {
                d.insert(k, Arc::downgrade(v));
            }
            d
        },
        HashMap::len,
    );
    measure(
        rows,
        (WKD, "weakable", n),
        || (),
        || (0..n as u64).map(|i| Obj::new(Key(i))).collect(),
        |_, ks| {
            let d = WeakKeyDictionary::new();
            for (i, k) in ks.iter().enumerate() {
                d.insert(k, i as u64);
            }
            d
        },
        WeakKeyDictionary::len,
    );
    measure(
        rows,
        (WKD, "weak-table", n),
        || (),
        || (0..n as u64).map(|i| Arc::new(Key(i))).collect(),
        |_, ks| {
            let mut d = weak_table::WeakKeyHashMap::<Weak<Key>, u64>::new();
            for (i, k) in ks.iter().enumerate() {
                d.insert(k.clone(), i as u64);
            }
            d
        },
        weak_table::WeakKeyHashMap::len,
    );
    measure(
        rows,
        (WS, "weakable", n),
        || (),
        || (0..n as u64).map(|i| Obj::new(Key(i))).collect(),
        |_, ks| {
            let s = WeakSet::new();
            for k in ks {
                s.insert(k);
            }
            s
        },
        WeakSet::len,
    );
    measure(
        rows,
        (WS, "weak-table", n),
        || (),
        || (0..n as u64).map(|i| Arc::new(Key(i))).collect(),
        |_, ks| {
            let mut s = weak_table::WeakHashSet::<Weak<Key>>::new();
            for k in ks {
                s.insert(k.clone());
            }
            s
        },
        weak_table::WeakHashSet::len,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let n = args
        .iter()
        .position(|a| a == "--n")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse().expect("--n takes a number"))
        .unwrap_or(100_000);

    let mut rows = Vec::new();
    headers(&mut rows);
    death_as_data(&mut rows, n);
    collections(&mut rows, n);

    if json {
        let items: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{{\"section\":\"{}\",\"name\":\"{}\",\"impl\":\"{}\",\"n\":{},\"value\":{},\"unit\":\"{}\"}}",
                    r.section, r.name, r.imp, r.n, r.value, r.unit
                )
            })
            .collect();
        println!("[{}]", items.join(",\n "));
    } else {
        for r in &rows {
            println!(
                "{:<20} {:<40} {:<24} n={:<7} {:>12.1} {}",
                r.section, r.name, r.imp, r.n, r.value, r.unit
            );
        }
    }
}
