//! The operation language: its verbs, the one-line text form both
//! interpreters parse, a seeded PRNG and the sequence generator.

use std::fmt;

/// A verb of the language.
///
/// `sig` lists its operands, one character each:
/// - `O` `R` `P` `F`: a *fresh* object / ref / proxy / finalizer slot (the
///   generator never reuses a number, so shrinking never makes two slots
///   alias by accident);
/// - `o` `r` `p` `f`: an existing slot of that kind;
/// - `c`: an existing ref slot holding a ref with a callback (written `r3`);
/// - `v` `k` `s`: which of the two WeakValueDictionaries / WeakKeyDictionaries
///   / WeakSets; `V` `K` `S`: the *other* one of the same kind;
/// - `n`: a small integer (an object's value, a dictionary key or value);
/// - `b`: 0 or 1.
///
/// `action`: the op takes a callback or finalizer, which may carry a
/// trailing `!o3` / `!r3` / `!p3` / `!f3` (see `Action`).
#[derive(Debug)]
pub(crate) struct Verb {
    pub(crate) name: &'static str,
    pub(crate) sig: &'static str,
    weight: u32,
    action: bool,
}

const fn verb(name: &'static str, sig: &'static str, weight: u32) -> Verb {
    Verb {
        name,
        sig,
        weight,
        action: false,
    }
}

const fn with_action(name: &'static str, sig: &'static str, weight: u32) -> Verb {
    Verb {
        name,
        sig,
        weight,
        action: true,
    }
}

/// Every verb, with its weight in generated sequences. Object births and
/// deaths and the ops that observe them weigh most: deaths are where the
/// interesting behaviour is.
pub(crate) static VERBS: &[Verb] = &[
    // Objects. `new o3 2`: object #3 (id 3) with value 2; objects compare
    // and hash by value, so equal-but-distinct objects meet in the
    // collections. `alias o7 o3`: a second strong handle. `hold o5 o3`:
    // object 5 owns (an attribute holding) object 3, only from a higher id
    // to a lower one, so no cycle can form (CPython's cyclic GC would
    // collect one, Rust leaks it, by design).
    verb("new", "On", 14),
    verb("alias", "Oo", 3),
    verb("del", "o", 16),
    verb("hold", "oo", 3),
    verb("unhold", "o", 1),
    verb("count", "o", 4),
    verb("refs", "o", 3),
    // Refs.
    verb("ref", "Ro", 5),
    with_action("refcb", "Ro", 8),
    verb("ralias", "Rr", 2),
    verb("rdel", "r", 4),
    verb("up", "r", 6),
    verb("same", "rr", 2),
    verb("eq", "rr", 2),
    // Only refs with a callback are hashed: CPython's WeakSet and
    // WeakKeyDictionary look an object up through `ref(o)`, the shared basic
    // ref, which caches its hash as a side effect, so whether a basic ref
    // hashes after death depends on lookups weakable has no reason to copy.
    verb("hash", "c", 2),
    verb("hascb", "r", 2),
    // Proxies.
    verb("proxy", "Po", 2),
    with_action("proxycb", "Po", 3),
    verb("pdel", "p", 2),
    verb("pget", "p", 3),
    verb("psame", "pp", 1),
    // Finalizers.
    with_action("fin", "Fo", 4),
    verb("fcall", "f", 4),
    verb("fdetach", "f", 2),
    verb("fpeek", "f", 2),
    verb("falive", "f", 2),
    verb("fatexit", "f", 1),
    verb("fsetatexit", "fb", 1),
    verb("fdel", "f", 2),
    // WeakValueDictionary<int, Item>.
    verb("vset", "vno", 10),
    verb("vget", "vn", 3),
    verb("vhas", "vn", 2),
    verb("vpop", "vn", 2),
    verb("vsetdefault", "vno", 2),
    verb("vpopitem", "v", 1),
    verb("vitems", "v", 3),
    verb("vkeys", "v", 1),
    verb("vvalues", "v", 1),
    verb("vrefs", "v", 1),
    verb("vlen", "v", 3),
    verb("vclear", "v", 1),
    verb("vcopy", "vV", 1),
    verb("vupdate", "vV", 1),
    verb("veq", "vV", 1),
    // WeakKeyDictionary<Item, int>.
    verb("kset", "kon", 10),
    verb("kget", "ko", 3),
    verb("khas", "ko", 2),
    verb("kpop", "ko", 2),
    verb("ksetdefault", "kon", 2),
    verb("kpopitem", "k", 1),
    verb("kitems", "k", 3),
    verb("kkeys", "k", 1),
    verb("kvalues", "k", 1),
    verb("krefs", "k", 1),
    verb("klen", "k", 3),
    verb("kclear", "k", 1),
    verb("kcopy", "kK", 1),
    verb("kupdate", "kK", 1),
    verb("keq", "kK", 1),
    // WeakSet<Item>. `sand` is `s = s & t`, not `s &= t`: CPython 3.11's
    // `WeakSet.__iand__` stores refs without its removal callback, so dead
    // elements then linger in `len()`; that is CPython's bug, not a
    // behaviour to copy.
    verb("sadd", "so", 10),
    verb("shas", "so", 3),
    verb("sdiscard", "so", 2),
    verb("spop", "s", 1),
    verb("sitems", "s", 3),
    verb("slen", "s", 3),
    verb("sclear", "s", 1),
    verb("scopy", "sS", 1),
    verb("sor", "sS", 1),
    verb("sand", "sS", 1),
    verb("ssub", "sS", 1),
    verb("sxor", "sS", 1),
    verb("scmp", "sS", 1),
];

impl Verb {
    /// The verb's family, for swarm testing: `o` objects, `r` refs, `p`
    /// proxies, `f` finalizers, `v` `k` `s` the collections.
    fn group(&self) -> char {
        match self.sig.chars().next().map(|c| c.to_ascii_lowercase()) {
            Some('c') => 'r',
            Some(g) => g,
            None => 'o',
        }
    }
}

fn find_verb(name: &str) -> Option<&'static Verb> {
    VERBS.iter().find(|v| v.name == name)
}

/// What a callback or finalizer does after logging: drop an object, ref or
/// proxy slot (cascading deaths, cancelling callbacks, dropping a ref whose
/// callback is already due), call a finalizer, or look at a collection
/// (`!v0`: its `len()` and items, from inside a death: an entry whose own
/// removal callback has not run yet is still counted by `len()` but not
/// listed, on both sides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Action {
    pub(crate) kind: char,
    pub(crate) slot: u32,
}

/// One operation: a verb and its operands (numbers, their kinds given by the
/// verb's `sig`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Op {
    pub(crate) verb: &'static str,
    pub(crate) args: Vec<u32>,
    pub(crate) action: Option<Action>,
}

fn prefix(kind: char) -> Option<char> {
    match kind.to_ascii_lowercase() {
        'c' => Some('r'),
        c @ ('o' | 'r' | 'p' | 'f' | 'v' | 'k' | 's') => Some(c),
        _ => None,
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb)?;
        let sig = find_verb(self.verb).map_or("", |v| v.sig);
        for (kind, arg) in sig.chars().zip(&self.args) {
            match prefix(kind) {
                Some(p) => write!(f, " {p}{arg}")?,
                None => write!(f, " {arg}")?,
            }
        }
        if let Some(a) = self.action {
            write!(f, " !{}{}", a.kind, a.slot)?;
        }
        Ok(())
    }
}

impl Op {
    /// Parses the text form, e.g. `refcb r2 o1 !o3`.
    pub(crate) fn parse(line: &str) -> Result<Op, String> {
        let mut words = line.split_whitespace();
        let name = words.next().ok_or("empty op")?;
        let verb = find_verb(name).ok_or_else(|| format!("unknown verb `{name}` in `{line}`"))?;
        let mut sig = verb.sig.chars();
        let mut args = Vec::new();
        let mut action = None;
        for word in words {
            if let Some(rest) = word.strip_prefix('!') {
                let kind = rest.chars().next().filter(|c| "orpfvks".contains(*c));
                let slot = rest.get(1..).and_then(|n| n.parse().ok());
                match (verb.action, kind, slot) {
                    (true, Some(kind), Some(slot)) => action = Some(Action { kind, slot }),
                    _ => return Err(format!("bad action `{word}` in `{line}`")),
                }
                continue;
            }
            let kind = sig
                .next()
                .ok_or_else(|| format!("too many operands in `{line}`"))?;
            let digits = match prefix(kind) {
                Some(p) => word
                    .strip_prefix(p)
                    .ok_or_else(|| format!("`{word}` should start with `{p}` in `{line}`"))?,
                None => word,
            };
            let n = digits
                .parse()
                .map_err(|_| format!("bad number `{word}` in `{line}`"))?;
            args.push(n);
        }
        if sig.next().is_some() {
            return Err(format!(
                "missing operands in `{line}` (wants `{}`)",
                verb.sig
            ));
        }
        Ok(Op {
            verb: verb.name,
            args,
            action,
        })
    }
}

/// splitmix64: tiny, seedable, good enough to pick ops.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the bias is irrelevant here).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// The seed of sequence `index` of a run seeded with `seed`, so that one
/// sequence can be regenerated alone.
pub(crate) fn sequence_seed(seed: u64, index: u64) -> u64 {
    Rng::new(seed ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next_u64()
}

/// The slots a generated sequence has filled so far, tracked syntactically
/// (a callback action may empty one at run time; then later ops on it are
/// no-ops in both interpreters).
#[derive(Default)]
struct Slots {
    /// (slot, id of the object it holds)
    objs: Vec<(u32, u32)>,
    refs: Vec<u32>,
    /// The refs with a callback (a subset of `refs`).
    callback_refs: Vec<u32>,
    proxies: Vec<u32>,
    fins: Vec<u32>,
    next: u32,
}

impl Slots {
    fn live(&self, kind: char) -> usize {
        match kind {
            'o' => self.objs.len(),
            'r' => self.refs.len(),
            'c' => self.callback_refs.len(),
            'p' => self.proxies.len(),
            'f' => self.fins.len(),
            _ => 1,
        }
    }

    fn pick(&self, rng: &mut Rng, kind: char) -> u32 {
        match kind {
            'o' => rng.pick(&self.objs).0,
            'r' => rng.pick(&self.refs),
            'c' => rng.pick(&self.callback_refs),
            'p' => rng.pick(&self.proxies),
            _ => rng.pick(&self.fins),
        }
    }

    fn id_of(&self, slot: u32) -> u32 {
        self.objs.iter().find(|o| o.0 == slot).map_or(slot, |o| o.1)
    }

    fn fresh(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    fn remove(list: &mut Vec<u32>, slot: u32) {
        list.retain(|&s| s != slot);
    }

    fn apply(&mut self, op: &Op) {
        let a = &op.args;
        match op.verb {
            "new" => self.objs.push((a[0], a[0])),
            "alias" => {
                let id = self.id_of(a[1]);
                self.objs.push((a[0], id));
            }
            "del" => self.objs.retain(|o| o.0 != a[0]),
            "ref" => self.refs.push(a[0]),
            "refcb" => {
                self.refs.push(a[0]);
                self.callback_refs.push(a[0]);
            }
            "ralias" => {
                self.refs.push(a[0]);
                if self.callback_refs.contains(&a[1]) {
                    self.callback_refs.push(a[0]);
                }
            }
            "rdel" => {
                Self::remove(&mut self.refs, a[0]);
                Self::remove(&mut self.callback_refs, a[0]);
            }
            "proxy" | "proxycb" => self.proxies.push(a[0]),
            "pdel" => Self::remove(&mut self.proxies, a[0]),
            "fin" => self.fins.push(a[0]),
            "fdel" => Self::remove(&mut self.fins, a[0]),
            _ => {}
        }
    }
}

fn feasible(verb: &Verb, slots: &Slots) -> bool {
    let distinct_objects = || {
        let mut ids: Vec<u32> = slots.objs.iter().map(|o| o.1).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len() >= 2
    };
    verb.sig.chars().all(|c| slots.live(c) > 0) && (verb.name != "hold" || distinct_objects())
}

/// A random sequence of `len` ops.
pub(crate) fn generate(rng: &mut Rng, len: usize) -> Vec<Op> {
    // Swarm testing: each sequence weighs each family differently, leaving
    // some out, so that some sequences pile many ops onto one collection
    // instead of spreading a few over all of them.
    let mut scale: Vec<(char, u32)> = "rpfvks"
        .chars()
        .map(|group| (group, rng.pick(&[0, 1, 1, 2, 4])))
        .collect();
    scale.push(('o', 2));
    let weight = |v: &Verb| {
        let group = v.group();
        v.weight * scale.iter().find(|s| s.0 == group).map_or(1, |s| s.1)
    };
    let mut slots = Slots::default();
    let mut ops = Vec::with_capacity(len);
    for _ in 0..len {
        let candidates: Vec<&Verb> = VERBS
            .iter()
            .filter(|v| weight(v) > 0 && feasible(v, &slots))
            .collect();
        let total: u32 = candidates.iter().map(|v| weight(v)).sum();
        let mut roll = rng.below(total);
        let verb = candidates
            .iter()
            .find(|v| {
                if roll < weight(v) {
                    return true;
                }
                roll -= weight(v);
                false
            })
            .expect("the roll is below the total weight");
        let mut args = Vec::new();
        let mut first_collection = 0;
        for kind in verb.sig.chars() {
            let arg = match kind {
                'O' | 'R' | 'P' | 'F' => slots.fresh(),
                'o' | 'r' | 'c' | 'p' | 'f' => slots.pick(rng, kind),
                'v' | 'k' | 's' => {
                    // Mostly the first one, so that entries pile up.
                    first_collection = u32::from(rng.below(4) == 3);
                    first_collection
                }
                'V' | 'K' | 'S' => 1 - first_collection,
                'b' => rng.below(2),
                _ => rng.below(6),
            };
            args.push(arg);
        }
        if verb.name == "hold" {
            // Owner first, and only from a higher id to a lower one.
            let (mut a, mut b) = (args[0], args[1]);
            while slots.id_of(a) == slots.id_of(b) {
                a = slots.pick(rng, 'o');
                b = slots.pick(rng, 'o');
            }
            if slots.id_of(a) < slots.id_of(b) {
                (a, b) = (b, a);
            }
            args = vec![a, b];
        }
        let action = if verb.action && rng.below(5) < 2 {
            let kinds: Vec<char> = ['o', 'r', 'p', 'f', 'v', 'k', 's']
                .into_iter()
                .filter(|&k| slots.live(k) > 0)
                .collect();
            (!kinds.is_empty()).then(|| {
                let kind = rng.pick(&kinds);
                Action {
                    kind,
                    slot: match kind {
                        'v' | 'k' | 's' => u32::from(rng.below(4) == 3),
                        _ => slots.pick(rng, kind),
                    },
                }
            })
        } else {
            None
        };
        let op = Op {
            verb: verb.name,
            args,
            action,
        };
        slots.apply(&op);
        ops.push(op);
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(miri, ignore)] // slow there, and weakable is not involved
    fn text_form_round_trips() {
        let mut rng = Rng::new(7);
        for _ in 0..200 {
            let len = 1 + rng.below(40) as usize;
            for op in generate(&mut rng, len) {
                assert_eq!(Op::parse(&op.to_string()), Ok(op.clone()), "{op}");
            }
        }
        assert!(Op::parse("refcb r1 o2 !x3").is_err());
        assert!(Op::parse("ref r1 o2 !o3").is_err());
        assert!(Op::parse("vset v0 3").is_err());
    }

    #[test]
    #[cfg_attr(miri, ignore)] // slow there, and weakable is not involved
    fn every_verb_is_generated() {
        let mut rng = Rng::new(1);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            for op in generate(&mut rng, 40) {
                seen.insert(op.verb);
            }
        }
        let missing: Vec<_> = VERBS.iter().filter(|v| !seen.contains(v.name)).collect();
        assert!(missing.is_empty(), "never generated: {missing:?}");
    }
}
