//! A tour of weakable: Python's weakref walk-through (PyMOTW's "weakref —
//! Impermanent References to Objects"), replayed in Rust.
//!
//! Run it with `cargo run --example tour`.

use std::fmt;

use weakable::{getweakrefcount, Obj, Ref, Weakable};

/// An object too expensive to keep alive just because a cache mentions it.
#[derive(Weakable)]
struct ExpensiveObject {
    name: &'static str,
}

impl fmt::Display for ExpensiveObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<ExpensiveObject {} at {:p}>", self.name, self)
    }
}

impl Drop for ExpensiveObject {
    // Python's `__del__`: runs after every weak reference is dead and every
    // callback has run.
    fn drop(&mut self) {
        println!("(Deleting {self})");
    }
}

fn references() {
    println!("== References: a ref goes dead when its object is dropped");
    let obj = Obj::new(ExpensiveObject { name: "first" });
    let r = Ref::new(&obj);
    println!("obj: {obj}");
    println!("ref: {r:?}");
    println!("r(): {}", show(r.upgrade()));
    println!("deleting obj");
    drop(obj);
    println!("r(): {}", show(r.upgrade()));
    println!("ref: {r:?}");
}

fn reference_callbacks() {
    println!("\n== Reference callbacks: the callback announces the death");
    let obj = Obj::new(ExpensiveObject { name: "second" });
    let r = Ref::with_callback(&obj, |r: &Ref<ExpensiveObject>| {
        println!("callback({r:?})");
    });
    println!("obj: {obj}");
    println!("ref: {r:?}");
    println!("r(): {}", show(r.upgrade()));
    println!("deleting obj");
    drop(obj);
    println!("r(): {}", show(r.upgrade()));
}

fn several_callbacks() {
    println!("\n== Several callbacks: the newest runs first, each exactly once");
    let obj = Obj::new(ExpensiveObject { name: "third" });
    let refs: Vec<Ref<ExpensiveObject, usize>> = (1..=3)
        .map(|i| {
            Ref::with_data_and_callback(&obj, i, |r: &Ref<ExpensiveObject, usize>| {
                println!("callback #{} ({r:?})", r.data());
            })
        })
        .collect();
    let basic = Ref::new(&obj);
    println!(
        "{} refs with callbacks and one basic ref: getweakrefcount = {}",
        refs.len(),
        getweakrefcount(&obj)
    );
    println!(
        "Ref::new twice gives the same ref: {}",
        Ref::ptr_eq(&basic, &Ref::new(&obj))
    );
    println!("deleting obj");
    drop(obj);
}

fn show(o: Option<Obj<ExpensiveObject>>) -> String {
    match o {
        Some(o) => o.to_string(),
        None => "None".to_string(),
    }
}

fn main() {
    references();
    reference_callbacks();
    several_callbacks();
}
