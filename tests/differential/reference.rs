//! The CPython side of the comparison: a live CPython 3.11 when one is
//! found, otherwise the logs it gave when they were recorded.
//!
//! `recorded.txt` holds CPython's log for every sequence the default run
//! compares (the default seed's batch and the fixed tests), keyed by a hash
//! of the sequence's text form. Without CPython 3.11 the tests compare
//! weakable's logs against those; with it they compare live and also check
//! that the recording is still what CPython says, so a change to `ops.rs`,
//! `interp.py` or a fixed test that was not re-recorded fails where CPython
//! is installed (CI) instead of going stale. `scripts/record-differential`
//! rewrites the file (`WEAKABLE_DIFF_RECORD=1`).
//!
//! Which interpreter: `WEAKABLE_DIFF_PYTHON` if set (used whatever its
//! version, with a warning if it is not CPython 3.11), else the first of
//! `python3.11` and `python3` on PATH that is CPython 3.11.
//! `WEAKABLE_DIFF_REPLAY=1` replays even when CPython 3.11 is there;
//! `WEAKABLE_DIFF_LIVE=1` fails without it (CI sets it).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use crate::ops::Op;

/// Where the recording lives, for messages (relative to the workspace).
pub(crate) const RECORDING_PATH: &str = "tests/differential/recorded.txt";
const RECORDING_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/differential/recorded.txt");
const RECORDING: &str = include_str!("recorded.txt");
pub(crate) const REGENERATE: &str =
    "regenerate it with `scripts/record-differential` (needs CPython 3.11) and commit it";

pub(crate) enum Reference {
    /// A CPython to run: the command, and its `CPython 3.11.7`-style version.
    Live { python: String, version: String },
    /// No CPython 3.11: the recorded logs stand in for it.
    Replay,
}

impl Reference {
    /// Whether this is the reference the recording was made with (CPython
    /// 3.11), so that its logs must match the recorded ones.
    pub(crate) fn checks_recording(&self) -> bool {
        match self {
            Reference::Live { version, .. } => version.starts_with("CPython 3.11."),
            Reference::Replay => false,
        }
    }
}

/// The reference, found once per test process. In replay mode this prints
/// one line saying so to the real stderr (not captured by the test harness,
/// so that a plain `cargo test` shows it).
pub(crate) fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let (reference, note) = find();
        if let Some(note) = note {
            let _ = writeln!(std::io::stderr(), "differential: {note}");
        }
        reference
    })
}

/// Whether `WEAKABLE_DIFF_RECORD` asks to rewrite the recording.
pub(crate) fn recording_mode() -> bool {
    flag("WEAKABLE_DIFF_RECORD")
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `CPython 3.11.7` for a runnable interpreter, or why it is not one.
fn probe(python: &str) -> Result<String, String> {
    let out = Command::new(python)
        .args([
            "-I",
            "-c",
            "import platform; print(platform.python_implementation(), platform.python_version())",
        ])
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("`{python}` not found"),
            _ => format!("`{python}` did not start: {e}"),
        })?;
    if !out.status.success() {
        return Err(format!("`{python}` failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn find() -> (Reference, Option<String>) {
    let recorded = || {
        format!(
            "comparing against the CPython {} logs recorded in {RECORDING_PATH}",
            recording().version
        )
    };
    let live = flag("WEAKABLE_DIFF_RECORD") || flag("WEAKABLE_DIFF_LIVE");
    if live && flag("WEAKABLE_DIFF_REPLAY") {
        panic!("WEAKABLE_DIFF_REPLAY excludes WEAKABLE_DIFF_RECORD and WEAKABLE_DIFF_LIVE");
    }
    if flag("WEAKABLE_DIFF_REPLAY") {
        let note = format!("WEAKABLE_DIFF_REPLAY is set: {}", recorded());
        return (Reference::Replay, Some(note));
    }
    if let Some(python) = std::env::var("WEAKABLE_DIFF_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
    {
        let version = probe(&python).unwrap_or_else(|why| panic!("WEAKABLE_DIFF_PYTHON: {why}"));
        let note = (!version.starts_with("CPython 3.11.")).then(|| {
            format!(
                "warning: the reference is CPython 3.11, WEAKABLE_DIFF_PYTHON is {version}; \
                 differences may be CPython's, and the recording is not checked"
            )
        });
        return (Reference::Live { python, version }, note);
    }
    let mut tried = Vec::new();
    for python in ["python3.11", "python3"] {
        match probe(python) {
            Ok(version) if version.starts_with("CPython 3.11.") => {
                let python = python.to_string();
                return (Reference::Live { python, version }, None);
            }
            Ok(version) => tried.push(format!("`{python}` is {version}")),
            Err(why) => tried.push(why),
        }
    }
    if live {
        panic!(
            "WEAKABLE_DIFF_RECORD or WEAKABLE_DIFF_LIVE is set, and there is no CPython 3.11 ({})",
            tried.join(", ")
        );
    }
    let note = format!(
        "no CPython 3.11 ({}): {}; the live check and shrinking are skipped \
         (install CPython 3.11 or set WEAKABLE_DIFF_PYTHON to run them)",
        tried.join(", "),
        recorded()
    );
    (Reference::Replay, Some(note))
}

/// A sequence's key in the recording: FNV-1a (64 bits) of its text form,
/// one op a line.
pub(crate) fn key(ops: &[Op]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for op in ops {
        for byte in op.to_string().bytes().chain([b'\n']) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

pub(crate) struct Recording {
    /// The interpreter it was recorded with, e.g. `3.11.7`.
    pub(crate) version: String,
    logs: HashMap<u64, Vec<String>>,
}

const HEADER: &str = "\
# CPython's logs for the sequences `cargo test -p weakable-tests --test differential`
# compares (the default seed's batch and the fixed tests), one `=== <key>` line
# then the log; the key is a hash of the sequence (reference.rs). The tests use
# it when no CPython 3.11 is installed. Written by scripts/record-differential:
# do not edit.
";

/// The committed recording.
pub(crate) fn recording() -> &'static Recording {
    static RECORDING_PARSED: OnceLock<Recording> = OnceLock::new();
    RECORDING_PARSED.get_or_init(|| {
        let mut version = None;
        let mut logs = HashMap::new();
        let mut current: Option<(u64, Vec<String>)> = None;
        for line in RECORDING.lines() {
            if line.starts_with('#') {
                continue;
            }
            if let Some(key) = line.strip_prefix("=== ") {
                let key = u64::from_str_radix(key, 16)
                    .unwrap_or_else(|_| panic!("{RECORDING_PATH}: bad key line `{line}`"));
                if let Some((k, log)) = current.replace((key, Vec::new())) {
                    logs.insert(k, log);
                }
            } else if let Some((_, log)) = current.as_mut() {
                log.push(line.to_string());
            } else if let Some(v) = line.strip_prefix("python ") {
                version = Some(v.to_string());
            } else {
                panic!("{RECORDING_PATH}: unexpected line `{line}` before the first log");
            }
        }
        if let Some((k, log)) = current {
            logs.insert(k, log);
        }
        let version = version
            .unwrap_or_else(|| panic!("{RECORDING_PATH}: no `python 3.11.x` line; {REGENERATE}"));
        Recording { version, logs }
    })
}

impl Recording {
    /// CPython's recorded log for `ops`.
    pub(crate) fn get(&self, ops: &[Op]) -> Option<&[String]> {
        self.logs.get(&key(ops)).map(Vec::as_slice)
    }
}

/// In record mode (`WEAKABLE_DIFF_RECORD=1`), adds these live logs to the
/// recording and rewrites the file with everything recorded by this test
/// process so far (the tests of one binary share the process, so the last
/// write holds them all, and logs of sequences no test runs any more drop
/// out).
pub(crate) fn record(version: &str, seqs: &[Vec<Op>], logs: &[Vec<String>]) {
    if !flag("WEAKABLE_DIFF_RECORD") {
        return;
    }
    static RECORDED: Mutex<BTreeMap<u64, Vec<String>>> = Mutex::new(BTreeMap::new());
    let mut recorded = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
    for (ops, log) in seqs.iter().zip(logs) {
        recorded.insert(key(ops), log.clone());
    }
    let version = version.strip_prefix("python ").unwrap_or(version);
    let mut text = format!("{HEADER}python {version}\n");
    for (key, log) in recorded.iter() {
        text.push_str(&format!("=== {key:016x}\n"));
        for line in log {
            text.push_str(line);
            text.push('\n');
        }
    }
    std::fs::write(RECORDING_FILE, text)
        .unwrap_or_else(|e| panic!("writing {RECORDING_FILE}: {e}"));
}

/// The indices of the sequences whose live log is not the recorded one.
pub(crate) fn stale(seqs: &[Vec<Op>], live: &[Vec<String>]) -> Vec<usize> {
    if flag("WEAKABLE_DIFF_RECORD") {
        return Vec::new();
    }
    let recording = recording();
    (0..seqs.len())
        .filter(|&i| recording.get(&seqs[i]) != Some(live[i].as_slice()))
        .collect()
}
