#!/usr/bin/env python3
"""CPython's side of weakable's benchmarks: the same workloads with the
`weakref` module, in the same units (ns per operation, bytes).

    python3 bench/cpython.py [--quick] [--json]

Timings: `timeit` (best of the repeats, gc disabled as timeit does) for the
single-object workloads; the collection workloads time N operations with
`time.perf_counter_ns` around a plain loop (gc disabled) and divide by N,
best of the repeats, so building the inputs and dropping the collection are
not timed, as on the Rust side. Memory: `tracemalloc` (bytes requested, as
the Rust side's counting allocator).

Workload and row names match the criterion benches in bench/benches/,
so bench/compare can pair each CPython number with the weakable row it
corresponds to. Standard library only.
"""

import gc
import json
import platform
import sys
import threading
import time
import timeit
import tracemalloc
import weakref

SIZES = (1_000, 100_000)


class Val:
    """A cached value, with a __weakref__ slot (the default for a class)."""

    __slots__ = ("v", "__weakref__")

    def __init__(self, v):
        self.v = v


class Plain:
    """The same without a __weakref__ slot (weakable's no_weakref)."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v


class Key:
    """A weak key / set element compared by value, as the Rust `Key(u64)`.

    Its hash is its number's, the number itself: keys made in order sit in
    order in CPython's tables, where the Rust side's `RandomState` scatters
    them (see the "drop all, len" description in bench/compare)."""

    __slots__ = ("v", "__weakref__")

    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return hash(self.v)

    def __eq__(self, other):
        return self.v == other.v



def shuffled(items):
    """`items` in the fixed pseudo-random order the Rust benchmark uses
    (Fisher-Yates driven by the same xorshift generator and seed)."""
    out = list(items)
    state = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    for i in range(len(out) - 1, 0, -1):
        state ^= (state << 13) & mask
        state ^= state >> 7
        state ^= (state << 17) & mask
        j = state % (i + 1)
        out[i], out[j] = out[j], out[i]
    return out

def cb(_r):
    pass


class Runner:
    def __init__(self, quick):
        self.quick = quick
        self.repeat = 3 if quick else 7
        self.target = 0.05 if quick else 0.2  # seconds per timeit repeat
        self.rows = []

    def add(self, group, row, ns, n=None):
        self.rows.append({"group": group, "row": row, "n": n, "ns": ns})
        label = f"{group} / {row}" + (f" / {n}" if n else "")
        print(f"  {label:<75} {ns:10.1f} ns/op", file=sys.stderr)

    def timeit(self, group, row, stmt, setup="pass", env=None):
        t = timeit.Timer(stmt, setup, globals=dict(env or {}, **globals()))
        number, _ = t.autorange()
        number = max(1, int(number * self.target / 0.2))
        best = min(t.repeat(repeat=self.repeat, number=number)) / number
        self.add(group, row, best * 1e9)

    def loop(self, group, row, n, prepare, run):
        """Best per-op time of `run(state)` over N ops; `prepare()` builds
        the state outside the timing; the state is dropped untimed."""
        repeat = 2 if (self.quick and n >= 100_000) else self.repeat
        best = None
        for _ in range(repeat):
            state = prepare()
            gc.collect()
            gc.disable()
            t0 = time.perf_counter_ns()
            run(state)
            t1 = time.perf_counter_ns()
            gc.enable()
            del state
            best = t1 - t0 if best is None else min(best, t1 - t0)
        self.add(group, row, best / n, n)


def refs(r):
    o = Val(1)
    ref = weakref.ref(o)
    dead = Val(1)
    dead_ref = weakref.ref(dead)
    del dead
    env = {"o": o, "r": ref, "dead_r": dead_ref}

    r.timeit("upgrade hit", "weakable", "r()", env=env)
    r.timeit("upgrade miss", "weakable", "dead_r()", env=env)

    # Two threads calling the same ref: the GIL serialises them, so this is
    # the main thread's time per call while a second thread competes.
    for group, stmt in (("upgrade hit, 2 threads", "r()"), ("upgrade miss, 2 threads", "dead_r()")):
        stop = threading.Event()
        target = ref if "hit" in group else dead_ref

        def spin(target=target, stop=stop):
            while not stop.is_set():
                for _ in range(1000):
                    target()

        t = threading.Thread(target=spin, daemon=True)
        t.start()
        try:
            r.timeit(group, "weakable", stmt, env=env)
        finally:
            stop.set()
            t.join()

    bare = Val(1)
    env = {"o": o, "bare": bare, "cb": cb, "ref": weakref.ref}
    r.timeit("take a ref", "weakable Ref::new, basic ref exists", "ref(o)", env=env)
    r.timeit("take a ref", "weakable Ref::new, first", "ref(bare)", env=env)
    r.timeit("take a ref", "weakable Ref::with_callback", "ref(bare, cb)", env=env)

    def life1():
        o = Val(1)
        w = weakref.ref(o, cb)
        del o
        return w

    def life8():
        o = Val(1)
        ws = [weakref.ref(o, cb) for _ in range(8)]
        del o
        return ws

    env = {"Val": Val, "Plain": Plain, "life1": life1, "life8": life8}
    r.timeit("object life", "weakable Obj, 0 refs", "Val(1)", env=env)
    r.timeit("object life", "weakable Obj, 1 callback ref", "life1()", env=env)
    r.timeit("object life", "weakable Obj, 8 callback refs", "life8()", env=env)
    r.timeit("no_weakref new+drop", "weakable Obj, no_weakref", "Plain(1)", env=env)
    r.timeit("no_weakref new+drop", "weakable Obj, with slot", "Val(1)", env=env)


def collections(r):
    for n in SIZES:
        hit = [f"key-{i:08}" for i in range(n)]
        hit_shuffled = shuffled(hit)
        miss = [f"miss{i:08}" for i in range(n)]
        vals = [Val(i) for i in range(n)]
        full = weakref.WeakValueDictionary(zip(hit, vals))

        def insert(d):
            for k, v in zip(hit, vals):
                d[k] = v

        def get(keys):
            g = full.get
            for k in keys:
                g(k)

        def prep_dead():
            vs = [Val(i) for i in range(n)]
            return [weakref.WeakValueDictionary(zip(hit, vs)), vs]

        def drop_all(state):
            del state[1][:]  # drop every value; the list was their owner
            len(state[0])

        g = "WeakValueDictionary "
        r.loop(g + "insert", "weakable", n, weakref.WeakValueDictionary, insert)
        r.loop(g + "get hit", "weakable", n, lambda: hit, get)
        r.loop(g + "get hit, shuffled", "weakable", n, lambda: hit_shuffled, get)
        r.loop(g + "get miss", "weakable", n, lambda: miss, get)
        r.loop(g + "drop all, len", "weakable", n, prep_dead, drop_all)
        del full, vals

        keys = [Key(i) for i in range(n)]
        others = [Key(i) for i in range(n, 2 * n)]
        nums = list(range(n))
        full = weakref.WeakKeyDictionary(zip(keys, nums))

        def kinsert(d):
            for k, i in zip(keys, nums):
                d[k] = i

        def kget(probe):
            g = full.get
            for k in probe:
                g(k)

        def kprep_dead():
            ks = [Key(i) for i in range(n)]
            return [weakref.WeakKeyDictionary(zip(ks, nums)), ks]

        g = "WeakKeyDictionary "
        r.loop(g + "insert", "weakable", n, weakref.WeakKeyDictionary, kinsert)
        r.loop(g + "get hit", "weakable", n, lambda: keys, kget)
        r.loop(g + "get miss", "weakable", n, lambda: others, kget)
        r.loop(g + "drop all, len", "weakable", n, kprep_dead, drop_all)
        del full

        full = weakref.WeakSet(keys)

        def sinsert(s):
            add = s.add
            for k in keys:
                add(k)

        def scontains(probe):
            for k in probe:
                k in full  # noqa: B015 (the lookup is the workload)

        def sprep_dead():
            ks = [Key(i) for i in range(n)]
            return [weakref.WeakSet(ks), ks]

        g = "WeakSet "
        r.loop(g + "insert", "weakable", n, weakref.WeakSet, sinsert)
        r.loop(g + "contains hit", "weakable", n, lambda: keys, scontains)
        r.loop(g + "contains miss", "weakable", n, lambda: others, scontains)
        r.loop(g + "drop all, len", "weakable", n, sprep_dead, drop_all)
        del full, keys, others


def memory(n):
    """Bytes per live entry (beyond keys and values), bytes held once every
    value died, len() then; and object / ref sizes. Same protocol as
    bench/examples/memory.rs."""
    rows = []

    def cur():
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    def row(section, name, value, unit="bytes", rn=1):
        if section == "sizes":
            value = round(value)  # per object, over 10,000 of them
        rows.append({"section": section, "name": name, "impl": "CPython",
                     "n": rn, "value": value, "unit": unit})

    tracemalloc.start()
    m = 10_000

    def per_object(make, objs):
        """Bytes per object made by `make(o)` for each of `objs`, stored in a
        list allocated beforehand (so the list is not counted)."""
        out = [None] * len(objs)
        before = cur()
        for i, o in enumerate(objs):
            out[i] = make(o)
        return (cur() - before) / len(objs), out

    per_plain, plain = per_object(lambda _: Plain(None), range(m))
    per_slotted, slotted = per_object(lambda _: Val(None), range(m))
    # The value (one field, `v`) is 8 bytes, as the Rust value's u64.
    row("sizes", "object header (allocation - value)", per_slotted - 8)
    rows[-1]["impl"] = "CPython, with slot"
    row("sizes", "object header (allocation - value)", per_plain - 8)
    rows[-1]["impl"] = "CPython, no __weakref__"
    size, refs = per_object(weakref.ref, slotted)
    row("sizes", "first basic ref", size)
    size, again = per_object(weakref.ref, slotted)
    row("sizes", "basic ref, again", size)
    size, cbs = per_object(lambda o: weakref.ref(o, cb), slotted)
    row("sizes", "ref with a (zero-sized) callback", size)
    del plain, slotted, refs, again, cbs

    def measure(section, make_keys, make_values, build, ln):
        start = cur()
        keys = make_keys()
        values = make_values()
        mid = cur()
        coll = build(keys, values)
        per_entry = (cur() - mid) / n
        del keys
        del values[:]
        del values
        retained = cur() - start
        row(section, "bytes per live entry", per_entry, rn=n)
        row(section, "bytes held after all values died", retained, rn=n)
        row(section, "len() after all values died", ln(coll), "entries", rn=n)
        del coll

    measure("WeakValueDictionary",
            lambda: [f"key-{i:08}" for i in range(n)],
            lambda: [Val(i) for i in range(n)],
            lambda ks, vs: weakref.WeakValueDictionary(zip(ks, vs)), len)
    # The values (ints) live in the dictionary, as the Rust u64s do; made
    # beforehand, so only the entry is counted.
    nums = list(range(n))
    measure("WeakKeyDictionary", lambda: None,
            lambda: [Key(i) for i in range(n)],
            lambda _, ks: weakref.WeakKeyDictionary(zip(ks, nums)), len)
    measure("WeakSet", lambda: None,
            lambda: [Key(i) for i in range(n)],
            lambda _, ks: weakref.WeakSet(ks), len)
    tracemalloc.stop()
    return rows


def main():
    quick = "--quick" in sys.argv
    r = Runner(quick)
    print(f"CPython {platform.python_version()} ({'quick' if quick else 'full'} run)",
          file=sys.stderr)
    refs(r)
    collections(r)
    mem = memory(100_000)
    for m in mem:
        print(f"  {m['section']:<20} {m['name']:<40} {m['impl']:<24} {m['value']:12.1f} {m['unit']}",
              file=sys.stderr)
    out = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "timings": r.rows,
        "memory": mem,
    }
    if "--json" in sys.argv:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
