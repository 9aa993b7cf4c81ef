//! Differential testing of weakable against CPython 3.11's `weakref`.
//!
//! A small operation language drives two interpreters: `interp.rs` over
//! weakable, `interp.py` over CPython (`python3`). Each runs a sequence of
//! ops and logs what it observes; the logs must be identical, line for line.
//! CPython frees an object the moment its refcount reaches zero, so its
//! deaths, callbacks and finalizers happen at exactly the points where the
//! Rust side drops its last `Obj`: the order of everything is comparable.
//!
//! # The language
//!
//! One op per line, a verb and its operands (`ops.rs` has the full table):
//!
//! ```text
//! new o1 2          object #1, value 2 (objects compare and hash by value)
//! alias o4 o1       a second strong handle to object #1
//! hold o5 o1        object #5 owns object #1 (an attribute), higher id to lower only
//! ref r2 o1         weakref.ref(o1), the shared basic ref
//! refcb r3 o1 !o4   weakref.ref(o1, cb): cb logs `callback r3`, then drops slot o4
//! up r3             r3() -> `up r3 -> o1` or `-> None`
//! proxycb p6 o1     weakref.proxy(o1, cb); `pget p6` logs `o1` or `ReferenceError`
//! fin f7 o1         weakref.finalize(o1, fn): fn logs `finalizer f7 ran`
//! vset v0 3 o1      WeakValueDictionary 0 (of two): d[3] = o1, logs the old value
//! kset k1 o1 5      WeakKeyDictionary 1: d[o1] = 5
//! sadd s0 o1        WeakSet 0: s.add(o1), logs whether it was new
//! sitems s0         the elements, sorted (Python dicts keep insertion order,
//!                   weakable's tables do not, so every listing is sorted)
//! del o1            drop the slot's strong handle: maybe a death, with its events
//! ```
//!
//! A callback or finalizer may carry an action (`!o4` drop an object slot,
//! `!r4` a ref slot, `!p4` a proxy slot, `!f4` call a finalizer, `!v0` /
//! `!k0` / `!s0` log a collection's `len()` and items from inside the
//! death): deaths inside deaths, refs dropped while their callback is due,
//! collections seen mid-death. After the last op both sides log `end` and
//! drop every object slot, lowest first, so every pending callback and
//! finalizer fires and is compared too; weakable's side then checks that no
//! value leaked. An op on an empty slot does nothing. `popitem`/`pop` are
//! only compared with at most one entry (which entry an arbitrary pop takes
//! differs by design) and log `skipped` otherwise.
//!
//! Left out on purpose, because the two differ by design:
//! - a value's `Drop`: CPython runs `__del__` *before* the weakref callbacks;
//!   weakable drops the value after them, which matches CPython's clearing
//!   of an instance's attributes after them (compared, through `hold`);
//! - reference cycles: CPython's cyclic GC collects what Rust leaks, so
//!   `hold` only points from a higher id to a lower one;
//! - hashing a basic ref (`ref`, no callback) after death: CPython's WeakSet
//!   and WeakKeyDictionary look objects up through `ref(o)`, the shared
//!   basic ref, which caches its hash as a side effect, so such a ref may
//!   hash after death in CPython and not in weakable; `hash` only takes refs
//!   with a callback;
//! - `WeakSet.__iand__`: CPython 3.11's stores refs without the set's
//!   removal callback, so dead elements stay counted by `len()` (CPython's
//!   bug); `sand` is `s = s & t` instead.
//!
//! # Running it
//!
//! ```sh
//! cargo test -p weakable-tests --test differential -- --nocapture
//! WEAKABLE_DIFF_SEED=0x1234 WEAKABLE_DIFF_CASES=5000 cargo test -p weakable-tests --test differential -- --nocapture
//! ```
//!
//! `WEAKABLE_DIFF_SEED` (hex with `0x`, or decimal) and `WEAKABLE_DIFF_CASES`
//! default to a fixed seed and 500 sequences of 1 to 40 ops, so CI is
//! reproducible. The run prints one summary line: the seed, the number of
//! sequences and ops, how often each verb ran, and how many events were
//! compared. All of a batch's sequences go to a single `python3` process
//! (`python3 -I tests/differential/interp.py`, which reads the text form on
//! stdin, each sequence ended by `===`). `WEAKABLE_DIFF_DUMP=1` prints every
//! sequence and its log.
//!
//! # Without CPython 3.11
//!
//! The interpreter is the first of `python3.11` and `python3` that is
//! CPython 3.11, or `WEAKABLE_DIFF_PYTHON`. Without one, the tests compare
//! weakable's logs against CPython's recorded in `recorded.txt` (every
//! sequence of the default run: the default seed's batch and the fixed
//! tests) and print one line saying so; another seed is skipped, with a
//! line, and a difference is reported unshrunk. With CPython 3.11 they also
//! check that the recording is still what CPython says, so after changing
//! `ops.rs`, `interp.py` or a fixed test, run `scripts/record-differential`
//! and commit `recorded.txt`. `WEAKABLE_DIFF_REPLAY=1` replays even when
//! CPython 3.11 is installed, `WEAKABLE_DIFF_LIVE=1` fails without it
//! (reference.rs has the details).
//!
//! # Reading a failure
//!
//! The first sequence whose logs differ is shrunk (chunks and single ops
//! removed, actions stripped, as long as the first difference stays at the
//! same ops, so that shrinking does not drift to another bug), and the
//! test panics with the shrunk ops, the first differing event, both logs,
//! and a regression test ready to paste into this file, e.g.
//!
//! ```text
//! #[test]
//! #[cfg_attr(miri, ignore)]
//! fn regression_5eed_17() {
//!     assert_same(&["new o1 0", "refcb r2 o1", "refcb r3 o1", "del o1"]);
//! }
//! ```
//!
//! `assert_same` runs one sequence through both interpreters and returns the
//! (common) log. A line marked `!` in the printed logs differs. If the
//! difference is weakable's bug, fix the library and keep the pasted test;
//! if it is a deliberate difference, take the op out and say why above.

mod ops;
mod reference;
mod sync;
mod unsync;

use sync::interp;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use ops::{generate, sequence_seed, Op, Rng};
use reference::{reference, Reference, RECORDING_PATH, REGENERATE};

const INTERP_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/differential/interp.py");
const DEFAULT_SEED: u64 = 0x5EED_D1FF_0000_0006;
const DEFAULT_CASES: u64 = 500;
const MAX_OPS: u32 = 40;
const MARKER: &str = "===";

/// The logs the CPython at `python` gives for `seqs`, from one process, and
/// its version line.
fn run_python(python: &str, seqs: &[Vec<Op>]) -> (String, Vec<Vec<String>>) {
    let mut input = String::new();
    for seq in seqs {
        for op in seq {
            input.push_str(&op.to_string());
            input.push('\n');
        }
        input.push_str(MARKER);
        input.push('\n');
    }
    let mut child = match Command::new(python)
        .arg("-I")
        .arg(INTERP_PY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("starting `{python}` failed: {e}"),
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // A thread, so that a large batch cannot deadlock on full pipes.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("waiting for python");
    writer
        .join()
        .expect("the writer thread panicked")
        .expect("writing the sequences to python");
    assert!(
        output.status.success(),
        "{python} {INTERP_PY} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("python printed UTF-8");
    let mut groups = vec![Vec::new()];
    for line in stdout.lines() {
        if line == MARKER {
            groups.push(Vec::new());
        } else {
            groups.last_mut().unwrap().push(line.to_string());
        }
    }
    groups.pop(); // after the last marker: nothing
    let version = groups.remove(0).join(" ");
    assert_eq!(
        groups.len(),
        seqs.len(),
        "{python} returned {} logs for {} sequences",
        groups.len(),
        seqs.len()
    );
    (version, groups)
}

/// CPython's logs for `seqs`, and where they come from: a live run (which,
/// when `recorded` says these sequences belong to the recording, must agree
/// with it, and in record mode rewrites it), or the recording.
fn cpython_logs(seqs: &[Vec<Op>], recorded: bool) -> (String, Vec<Vec<String>>) {
    let show = |i: usize| {
        let ops: Vec<String> = seqs[i].iter().map(Op::to_string).collect();
        format!("[{}]", ops.join(", "))
    };
    match reference() {
        Reference::Live { python, .. } => {
            let (version, logs) = run_python(python, seqs);
            if recorded {
                reference::record(&version, seqs, &logs);
            }
            if recorded && reference().checks_recording() {
                let stale = reference::stale(seqs, &logs);
                if let Some(&first) = stale.first() {
                    panic!(
                        "{RECORDING_PATH} is out of date: CPython's log is not the recorded \
                         one for {} of {} sequences (first: {}); {REGENERATE}",
                        stale.len(),
                        seqs.len(),
                        show(first)
                    );
                }
            }
            (version, logs)
        }
        Reference::Replay => {
            let recording = reference::recording();
            let missing: Vec<usize> = (0..seqs.len())
                .filter(|&i| recording.get(&seqs[i]).is_none())
                .collect();
            if let Some(&first) = missing.first() {
                panic!(
                    "{RECORDING_PATH} has no log for {} of {} sequences (ops.rs, interp.py or \
                     a fixed test changed since it was recorded; first: {}); {REGENERATE}, \
                     or install CPython 3.11 to compare live",
                    missing.len(),
                    seqs.len(),
                    show(first)
                );
            }
            let logs = seqs
                .iter()
                .map(|ops| recording.get(ops).expect("checked above").to_vec())
                .collect();
            (format!("recorded python {}", recording.version), logs)
        }
    }
}

fn first_difference(ours: &[String], theirs: &[String]) -> Option<usize> {
    let common = ours.iter().zip(theirs).position(|(a, b)| a != b);
    common.or_else(|| (ours.len() != theirs.len()).then(|| ours.len().min(theirs.len())))
}

/// What a difference looks like, so that shrinking keeps *this* one rather
/// than drifting to another: the two first differing events up to their
/// ` -> ` (the op, not its result, which shrinking may change).
type Symptom = (String, String);

fn symptom(ours: &[String], theirs: &[String]) -> Option<Symptom> {
    let i = first_difference(ours, theirs)?;
    let head = |log: &[String]| {
        log.get(i).map_or("(nothing)".to_string(), |event| {
            event.split(" -> ").next().unwrap_or(event).to_string()
        })
    };
    Some((head(ours), head(theirs)))
}

/// Whether each candidate shows `wanted`, with one python run for all.
fn shows(python: &str, candidates: &[Vec<Op>], wanted: &Symptom) -> Vec<bool> {
    let (_, theirs) = run_python(python, candidates);
    candidates
        .iter()
        .zip(&theirs)
        .map(|(ops, theirs)| symptom(&interp::run(ops), theirs).as_ref() == Some(wanted))
        .collect()
}

/// Delta debugging: removes chunks of ops, halving the chunk size when no
/// removal keeps the symptom, then strips actions one by one.
fn shrink(python: &str, mut current: Vec<Op>, wanted: &Symptom) -> Vec<Op> {
    let mut chunk = (current.len() / 2).max(1);
    loop {
        let mut candidates = Vec::new();
        for start in (0..current.len()).step_by(chunk) {
            let mut c = current.clone();
            c.drain(start..(start + chunk).min(current.len()));
            if !c.is_empty() {
                candidates.push(c);
            }
        }
        if chunk == 1 {
            for (i, op) in current.iter().enumerate() {
                if op.action.is_some() {
                    let mut c = current.clone();
                    c[i].action = None;
                    candidates.push(c);
                }
            }
        }
        let failing = shows(python, &candidates, wanted).iter().position(|&f| f);
        match failing {
            Some(k) => {
                current = candidates.swap_remove(k);
                chunk = chunk.min((current.len() / 2).max(1));
            }
            None if chunk == 1 => return current,
            None => chunk /= 2,
        }
    }
}

fn show_logs(ours: &[String], theirs: &[String]) -> String {
    let mut s = String::new();
    for i in 0..ours.len().max(theirs.len()) {
        let a = ours.get(i).map_or("", String::as_str);
        let b = theirs.get(i).map_or("", String::as_str);
        let mark = if a == b { ' ' } else { '!' };
        s.push_str(&format!("  {mark} {i:>3}  {a:<40} | {b}\n"));
    }
    s
}

fn describe_difference(ops: &[Op], ours: &[String], theirs: &[String]) -> String {
    let i = first_difference(ours, theirs).expect("the logs differ");
    let none = "(nothing)".to_string();
    let mut s = String::from("ops:\n");
    for op in ops {
        s.push_str(&format!("  {op}\n"));
    }
    s.push_str(&format!(
        "first difference at event {i}:\n  weakable: {}\n  CPython:  {}\n\
         logs (weakable | CPython):\n{}",
        ours.get(i).unwrap_or(&none),
        theirs.get(i).unwrap_or(&none),
        show_logs(ours, theirs)
    ));
    s
}

fn show_ops_and_log(ops: &[Op], log: &[String]) -> String {
    let mut s = String::new();
    for op in ops {
        s.push_str(&format!("  {op}\n"));
    }
    s.push_str("log:\n");
    for event in log {
        s.push_str(&format!("    {event}\n"));
    }
    s
}

fn regression_test(name: &str, ops: &[Op]) -> String {
    let mut s = format!("#[test]\n#[cfg_attr(miri, ignore)]\nfn {name}() {{\n    assert_same(&[\n");
    for op in ops {
        s.push_str(&format!("        \"{op}\",\n"));
    }
    s.push_str("    ]);\n}\n");
    s
}

/// Runs the sequence `lines` (the text form) over weakable and CPython,
/// panics if the logs differ, and returns the log.
fn assert_same(lines: &[&str]) -> Vec<String> {
    let ops: Vec<Op> = lines
        .iter()
        .map(|l| Op::parse(l).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let ours = interp::run(&ops);
    let (_, mut theirs) = cpython_logs(std::slice::from_ref(&ops), true);
    let theirs = theirs.pop().expect("one log");
    if ours != theirs {
        panic!(
            "weakable and CPython differ\n{}",
            describe_difference(&ops, &ours, &theirs)
        );
    }
    assert_same_in_unsync(&ops, &ours);
    ours
}

/// Panics unless the unsync flavour logs `ops` as the sync one did: the
/// two flavours mean the same (SPEC, "Two flavours"), so the sync log,
/// compared with CPython's, stands for both.
fn assert_same_in_unsync(ops: &[Op], sync_log: &[String]) {
    let unsync_log = unsync::interp::run(ops);
    if unsync_log != sync_log {
        panic!(
            "weakable's unsync flavour differs from its sync flavour (and so from CPython)\n{}",
            describe_difference(ops, &unsync_log, sync_log)
        );
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    let Ok(text) = std::env::var(name) else {
        return default;
    };
    let text = text.trim().replace('_', "");
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|_| panic!("{name}={text}: want a number (decimal, or hex with 0x)"))
}

#[test]
#[cfg_attr(miri, ignore)]
fn differential() {
    let started = Instant::now();
    let seed = env_number("WEAKABLE_DIFF_SEED", DEFAULT_SEED);
    let cases = env_number("WEAKABLE_DIFF_CASES", DEFAULT_CASES);
    // The default batch is the one recorded for machines without CPython.
    let default = seed == DEFAULT_SEED && cases == DEFAULT_CASES;
    if !default && reference::recording_mode() {
        panic!("WEAKABLE_DIFF_RECORD records the default batch: unset WEAKABLE_DIFF_SEED and WEAKABLE_DIFF_CASES");
    }
    if !default && matches!(reference(), Reference::Replay) {
        // Not captured by the harness: a plain `cargo test` shows it.
        let _ = writeln!(
            std::io::stderr(),
            "differential: skipped seed {seed:#x} with {cases} sequences: only the default \
             batch is recorded, and comparing another needs CPython 3.11"
        );
        return;
    }
    let seqs: Vec<Vec<Op>> = (0..cases)
        .map(|i| {
            let mut rng = Rng::new(sequence_seed(seed, i));
            let len = 1 + rng.below(MAX_OPS) as usize;
            generate(&mut rng, len)
        })
        .collect();
    let ours: Vec<Vec<String>> = seqs.iter().map(|ops| interp::run(ops)).collect();
    let (version, theirs) = cpython_logs(&seqs, default);
    if env_number("WEAKABLE_DIFF_DUMP", 0) != 0 {
        for (i, ops) in seqs.iter().enumerate() {
            println!("sequence {i}:\n{}", show_ops_and_log(ops, &ours[i]));
        }
    }

    if let Some(index) = (0..seqs.len()).find(|&i| ours[i] != theirs[i]) {
        let original = &seqs[index];
        let rerun = format!(
            "rerun: WEAKABLE_DIFF_SEED={seed:#x} WEAKABLE_DIFF_CASES={}",
            index + 1
        );
        let Reference::Live { python, .. } = reference() else {
            panic!(
                "weakable and the recorded CPython log differ on sequence {index} of seed \
                 {seed:#x} ({rerun}; not shrunk: shrinking needs CPython 3.11)\n{}",
                describe_difference(original, &ours[index], &theirs[index]),
            );
        };
        let wanted = symptom(&ours[index], &theirs[index]).expect("the logs differ");
        let shrunk = shrink(python, original.clone(), &wanted);
        let ours = interp::run(&shrunk);
        let (_, mut theirs) = run_python(python, std::slice::from_ref(&shrunk));
        let theirs = theirs.pop().expect("one log");
        panic!(
            "weakable and CPython differ on sequence {index} of seed {seed:#x} \
             ({rerun}), shrunk from {} to {} ops\n{}\nregression test, ready to paste into \
             tests/differential/main.rs (then run scripts/record-differential):\n\n{}",
            original.len(),
            shrunk.len(),
            describe_difference(&shrunk, &ours, &theirs),
            regression_test(&format!("regression_{seed:x}_{index}"), &shrunk),
        );
    }

    // The same sequences over the unsync flavour: the same logs.
    for (ops, sync_log) in seqs.iter().zip(&ours) {
        assert_same_in_unsync(ops, sync_log);
    }

    let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
    for op in seqs.iter().flatten() {
        *histogram.entry(op.verb).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = histogram.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let counts: Vec<String> = counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    let total_ops: usize = seqs.iter().map(Vec::len).sum();
    let events: usize = ours.iter().map(Vec::len).sum();
    println!(
        "differential: {} sequences (seed {seed:#x}), {total_ops} ops [{}], {events} events, \
         logs identical ({version}; the unsync flavour's logs identical to the sync one's; \
         {:.1}s)",
        seqs.len(),
        counts.join(", "),
        started.elapsed().as_secs_f64()
    );
}

// Fixed sequences: what the log must be, not only that both sides agree.

fn lines(log: &[String]) -> Vec<&str> {
    log.iter().map(String::as_str).collect()
}

#[test]
#[cfg_attr(miri, ignore)]
fn callbacks_fire_newest_first_and_dropped_refs_never() {
    let log = assert_same(&[
        "new o1 0",
        "refcb r2 o1",
        "refcb r3 o1",
        "ref r4 o1",
        "refcb r5 o1",
        "refcb r6 o1",
        "rdel r6",
        "proxycb p7 o1",
        "del o1",
        "up r4",
    ]);
    assert_eq!(
        lines(&log),
        [
            "callback p7",
            "callback r5",
            "callback r3",
            "callback r2",
            "up r4 -> None",
            "end"
        ]
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_ref_dropped_by_an_earlier_callback_of_the_same_death_still_fires() {
    let log = assert_same(&["new o1 0", "refcb r2 o1", "refcb r3 o1 !r2", "del o1"]);
    assert_eq!(lines(&log), ["callback r3", "callback r2", "end"]);
}

#[test]
#[cfg_attr(miri, ignore)]
fn weak_value_entry_vanishes_when_its_value_dies() {
    let log = assert_same(&[
        "new o1 0",
        "new o2 0",
        "vset v0 3 o1",
        "vset v0 4 o2",
        "vlen v0",
        "del o1",
        "vlen v0",
        "vget v0 3",
        "vhas v0 3",
        "vitems v0",
    ]);
    assert_eq!(
        lines(&log),
        [
            "vset v0 3 o1 -> None",
            "vset v0 4 o2 -> None",
            "vlen v0 -> 2",
            "vlen v0 -> 1",
            "vget v0 3 -> None",
            "vhas v0 3 -> False",
            "vitems v0 -> [4:o2]",
            "end"
        ]
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_collection_seen_mid_death_counts_the_dying_entry_but_does_not_list_it() {
    // The user's ref is newer than the dictionary's, so its callback runs
    // first: `len()` still counts the entry whose removal is yet to run, as
    // CPython's `len(d.data)` does, while `items()` skips the dead value.
    let log = assert_same(&[
        "new o1 0",
        "new o2 0",
        "vset v0 1 o1",
        "vset v0 2 o2",
        "refcb r3 o1 !v0",
        "del o1",
        "vlen v0",
    ]);
    assert_eq!(
        lines(&log),
        [
            "vset v0 1 o1 -> None",
            "vset v0 2 o2 -> None",
            "callback r3",
            "v0 seen: len 2 [2:o2]",
            "vlen v0 -> 1",
            "end"
        ]
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn equal_key_keeps_the_old_key_object_and_dies_with_it() {
    // SPEC 14, CPython's quirk: o2 == o1, so o2 replaces the value only.
    let log = assert_same(&[
        "new o1 7",
        "new o2 7",
        "kset k0 o1 1",
        "kset k0 o2 2",
        "kitems k0",
        "del o1",
        "klen k0",
        "khas k0 o2",
    ]);
    assert_eq!(
        lines(&log),
        [
            "kset k0 o1 1 -> None",
            "kset k0 o2 2 -> 1",
            "kitems k0 -> [o1:2]",
            "klen k0 -> 0",
            "khas k0 o2 -> False",
            "end"
        ]
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_parents_callbacks_run_before_its_childs_and_cascades_nest() {
    let log = assert_same(&[
        "new o1 0",
        "new o2 0",
        "new o3 0",
        "refcb r4 o1",
        "hold o2 o1",
        "del o1",
        "refcb r5 o2 !o3",
        "refcb r6 o3",
        "fin f7 o2",
        "del o2",
    ]);
    assert_eq!(
        lines(&log),
        [
            "finalizer f7 ran",
            "callback r5",
            "callback r6",
            "callback r4",
            "end"
        ]
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn the_basic_ref_and_proxy_are_shared() {
    let log = assert_same(&[
        "new o1 0",
        "ref r2 o1",
        "ref r3 o1",
        "refcb r4 o1",
        "proxy p5 o1",
        "proxy p6 o1",
        "same r2 r3",
        "same r2 r4",
        "eq r2 r4",
        "psame p5 p6",
        "count o1",
        "refs o1",
        "hascb r4",
        "del o1",
        "hascb r4",
        "eq r2 r4",
        "hash r4",
        "pget p5",
    ]);
    assert_eq!(
        lines(&log),
        [
            "same r2 r3 -> True",
            "same r2 r4 -> False",
            "eq r2 r4 -> True",
            "psame p5 p6 -> True",
            "count o1 -> 3",
            "refs o1 -> [r2 p5 r4]",
            "hascb r4 -> True",
            "callback r4",
            "hascb r4 -> False",
            "eq r2 r4 -> False",
            "hash r4 -> TypeError",
            "pget p5 -> ReferenceError",
            "end"
        ]
    );
}

// Bugs this test found in weakable, fixed since.

/// After `f()` or `f.detach()`, CPython frees the finalizer's weakref (its
/// `_Info`, which owns the ref, leaves the registry; the `finalize` handle
/// holds nothing), so the object has one weakref fewer. weakable kept the
/// `Ref` in the state its handles share, so `getweakrefcount` and
/// `getweakrefs` still counted it until every handle was dropped.
#[test]
#[cfg_attr(miri, ignore)]
fn regression_called_finalizer_no_longer_counts_as_a_weakref() {
    assert_same(&["new o1 4", "fin f2 o1", "fcall f2", "refs o1"]);
}

/// The same, through `detach`.
#[test]
#[cfg_attr(miri, ignore)]
fn regression_detached_finalizer_no_longer_counts_as_a_weakref() {
    assert_same(&["new o1 0", "fin f2 o1", "fdetach f2", "count o1"]);
}

/// The same, through a callback that calls a finalizer of the dying object's
/// neighbour.
#[test]
#[cfg_attr(miri, ignore)]
fn regression_finalizer_called_from_a_callback_no_longer_counts() {
    assert_same(&[
        "new o1 0",
        "new o2 0",
        "fin f3 o2",
        "refcb r4 o1 !f3",
        "del o1",
        "count o2",
    ]);
}
