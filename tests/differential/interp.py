"""The CPython side of weakable's differential test (tests/differential).

Reads sequences of ops (the text form of tests/differential/ops.rs) from
stdin, each ended by a line `===`, runs each over CPython's `weakref`, and
prints each sequence's event log followed by `===`. It mirrors interp.rs:
the two must log the same events in the same order.

Deaths must happen exactly where the Rust side drops its last `Obj`, so
this file never keeps a strong reference to an Item in a local that outlives
the statement that could kill something: a handle that may be the last is
popped into `old` and then deleted explicitly, after every other local that
could hold an Item is gone. CPython frees at refcount zero, so that makes
deaths deterministic; the cyclic GC is off and only run between sequences
(Items never form cycles: `hold` only goes from a higher id to a lower one).
"""

import gc
import sys
import weakref


class Item:
    __slots__ = ("id", "val", "child", "__weakref__")

    def __init__(self, id, val):
        self.id = id
        self.val = val
        self.child = None

    def __eq__(self, other):
        return isinstance(other, Item) and self.val == other.val

    def __hash__(self):
        return hash(self.val)


def name(o):
    return "None" if o is None else f"o{o.id}"


def py_list(items):
    return "[" + " ".join(str(i) for i in items) + "]"


def obj_list(objs):
    return py_list(f"o{i}" for i in sorted(o.id for o in objs))


def parse(line):
    words = line.split()
    verb, args, action = words[0], [], None
    for w in words[1:]:
        if w.startswith("!"):
            action = (w[1], int(w[2:]))
        elif w[0].isalpha():
            args.append(int(w[1:]))
        else:
            args.append(int(w))
    return verb, args, action


class Interp:
    def __init__(self):
        self.log = []
        self.objs = {}
        self.refs = {}
        self.proxies = {}
        self.fins = {}
        self.vd = [weakref.WeakValueDictionary(), weakref.WeakValueDictionary()]
        self.kd = [weakref.WeakKeyDictionary(), weakref.WeakKeyDictionary()]
        self.ws = [weakref.WeakSet(), weakref.WeakSet()]

    def emit(self, event):
        self.log.append(event)

    def act(self, action):
        if action is None:
            return
        kind, slot = action
        if kind == "o":
            old = self.objs.pop(slot, None)
            del old
        elif kind == "r":
            old = self.refs.pop(slot, None)
            del old
        elif kind == "p":
            old = self.proxies.pop(slot, None)
            del old
        elif kind == "f":
            f = self.fins.get(slot)
            if f is not None:
                f()
        else:
            if kind == "v":
                d = self.vd[slot]
                items = py_list(f"{k}:o{i}" for k, i in sorted((k, o.id) for k, o in d.items()))
            elif kind == "k":
                d = self.kd[slot]
                items = py_list(f"o{i}:{v}" for i, v in sorted((o.id, v) for o, v in d.items()))
            else:
                d = self.ws[slot]
                items = obj_list(d)
            self.emit(f"{kind}{slot} seen: len {len(d)} {items}")

    def callback(self, event, action):
        def cb(_wr):
            self.emit(event)
            self.act(action)

        return cb

    def finalizer(self, slot, action):
        self.emit(f"finalizer f{slot} ran")
        self.act(action)
        return 1

    def listed_names(self, o):
        names = []
        for w in weakref.getweakrefs(o):
            n = next((f"r{k}" for k, r in sorted(self.refs.items()) if r is w), None)
            if n is None:
                n = next((f"p{k}" for k, p in sorted(self.proxies.items()) if p is w), "?")
            names.append(n)
        return py_list(names)

    def run(self, line):
        verb, a, action = parse(line)
        # `None` means "nothing to log"; a result that is None is "None".
        result = getattr(self, "op_" + verb)(a, action)
        if result is not None:
            self.emit(f"{line} -> {result}")

    # Objects.

    def op_new(self, a, action):
        old = self.objs.get(a[0])
        self.objs[a[0]] = Item(a[0], a[1])
        del old

    def op_alias(self, a, action):
        if a[1] in self.objs:
            old = self.objs.get(a[0])
            self.objs[a[0]] = self.objs[a[1]]
            del old

    def op_del(self, a, action):
        old = self.objs.pop(a[0], None)
        del old

    def op_hold(self, a, action):
        owner, child = self.objs.get(a[0]), self.objs.get(a[1])
        if owner is None or child is None or child.id >= owner.id:
            return
        old = owner.child
        owner.child = child
        del owner, child
        del old

    def op_unhold(self, a, action):
        owner = self.objs.get(a[0])
        if owner is None:
            return
        old = owner.child
        owner.child = None
        del owner
        del old

    def op_count(self, a, action):
        if a[0] in self.objs:
            return weakref.getweakrefcount(self.objs[a[0]])

    def op_refs(self, a, action):
        if a[0] in self.objs:
            return self.listed_names(self.objs[a[0]])

    # Refs.

    def op_ref(self, a, action):
        if a[1] in self.objs:
            self.refs[a[0]] = weakref.ref(self.objs[a[1]])

    def op_refcb(self, a, action):
        if a[1] in self.objs:
            cb = self.callback(f"callback r{a[0]}", action)
            self.refs[a[0]] = weakref.ref(self.objs[a[1]], cb)

    def op_ralias(self, a, action):
        if a[1] in self.refs:
            self.refs[a[0]] = self.refs[a[1]]

    def op_rdel(self, a, action):
        self.refs.pop(a[0], None)

    def op_up(self, a, action):
        if a[0] in self.refs:
            return name(self.refs[a[0]]())

    def op_same(self, a, action):
        if a[0] in self.refs and a[1] in self.refs:
            return self.refs[a[0]] is self.refs[a[1]]

    def op_eq(self, a, action):
        if a[0] in self.refs and a[1] in self.refs:
            return self.refs[a[0]] == self.refs[a[1]]

    def op_hash(self, a, action):
        if a[0] in self.refs:
            try:
                hash(self.refs[a[0]])
                return "ok"
            except TypeError:
                return "TypeError"

    def op_hascb(self, a, action):
        if a[0] in self.refs:
            return self.refs[a[0]].__callback__ is not None

    # Proxies.

    def op_proxy(self, a, action):
        if a[1] in self.objs:
            self.proxies[a[0]] = weakref.proxy(self.objs[a[1]])

    def op_proxycb(self, a, action):
        if a[1] in self.objs:
            cb = self.callback(f"callback p{a[0]}", action)
            self.proxies[a[0]] = weakref.proxy(self.objs[a[1]], cb)

    def op_pdel(self, a, action):
        self.proxies.pop(a[0], None)

    def op_pget(self, a, action):
        if a[0] in self.proxies:
            try:
                return f"o{self.proxies[a[0]].id}"
            except ReferenceError:
                return "ReferenceError"

    def op_psame(self, a, action):
        if a[0] in self.proxies and a[1] in self.proxies:
            return self.proxies[a[0]] is self.proxies[a[1]]

    # Finalizers.

    def op_fin(self, a, action):
        if a[1] in self.objs:
            self.fins[a[0]] = weakref.finalize(self.objs[a[1]], self.finalizer, a[0], action)

    def op_fcall(self, a, action):
        f = self.fins.get(a[0])
        if f is not None:
            return str(f())

    def op_fdetach(self, a, action):
        f = self.fins.get(a[0])
        if f is not None:
            got = f.detach()
            return name(got and got[0])

    def op_fpeek(self, a, action):
        f = self.fins.get(a[0])
        if f is not None:
            got = f.peek()
            return name(got and got[0])

    def op_falive(self, a, action):
        if a[0] in self.fins:
            return self.fins[a[0]].alive

    def op_fatexit(self, a, action):
        if a[0] in self.fins:
            return self.fins[a[0]].atexit

    def op_fsetatexit(self, a, action):
        if a[0] in self.fins:
            self.fins[a[0]].atexit = bool(a[1])

    def op_fdel(self, a, action):
        self.fins.pop(a[0], None)

    # WeakValueDictionary.

    def op_vset(self, a, action):
        if a[2] in self.objs:
            d = self.vd[a[0]]
            old = d.get(a[1])
            d[a[1]] = self.objs[a[2]]
            return name(old)

    def op_vsetdefault(self, a, action):
        if a[2] in self.objs:
            return name(self.vd[a[0]].setdefault(a[1], self.objs[a[2]]))

    def op_vget(self, a, action):
        return name(self.vd[a[0]].get(a[1]))

    def op_vhas(self, a, action):
        return a[1] in self.vd[a[0]]

    def op_vpop(self, a, action):
        return name(self.vd[a[0]].pop(a[1], None))

    def op_vpopitem(self, a, action):
        d = self.vd[a[0]]
        if len(d) == 0:
            return "None"
        if len(d) == 1:
            k, o = d.popitem()
            return f"{k}:{name(o)}"
        return "skipped"

    def op_vitems(self, a, action):
        return py_list(f"{k}:{o}" for k, o in sorted((k, name(o)) for k, o in self.vd[a[0]].items()))

    def op_vrefs(self, a, action):
        items = sorted((r.key, name(r())) for r in self.vd[a[0]].valuerefs())
        return py_list(f"{k}:{o}" for k, o in items)

    def op_vkeys(self, a, action):
        return py_list(sorted(self.vd[a[0]].keys()))

    def op_vvalues(self, a, action):
        return obj_list(self.vd[a[0]].values())

    def op_vlen(self, a, action):
        return len(self.vd[a[0]])

    def op_vclear(self, a, action):
        self.vd[a[0]].clear()

    def op_vcopy(self, a, action):
        if a[0] != a[1]:
            self.vd[a[1]] = self.vd[a[0]].copy()

    def op_vupdate(self, a, action):
        if a[0] != a[1]:
            self.vd[a[0]] |= self.vd[a[1]]

    def op_veq(self, a, action):
        if a[0] != a[1]:
            return self.vd[a[0]] == self.vd[a[1]]

    # WeakKeyDictionary.

    def op_kset(self, a, action):
        if a[1] in self.objs:
            d, o = self.kd[a[0]], self.objs[a[1]]
            old = d.get(o)
            d[o] = a[2]
            return str(old)

    def op_ksetdefault(self, a, action):
        if a[1] in self.objs:
            return self.kd[a[0]].setdefault(self.objs[a[1]], a[2])

    def op_kget(self, a, action):
        if a[1] in self.objs:
            return str(self.kd[a[0]].get(self.objs[a[1]]))

    def op_khas(self, a, action):
        if a[1] in self.objs:
            return self.objs[a[1]] in self.kd[a[0]]

    def op_kpop(self, a, action):
        if a[1] in self.objs:
            return str(self.kd[a[0]].pop(self.objs[a[1]], None))

    def op_kpopitem(self, a, action):
        d = self.kd[a[0]]
        if len(d) == 0:
            return "None"
        if len(d) == 1:
            o, v = d.popitem()
            return f"{name(o)}:{v}"
        return "skipped"

    def op_kitems(self, a, action):
        return py_list(f"o{i}:{v}" for i, v in sorted((o.id, v) for o, v in self.kd[a[0]].items()))

    def op_kkeys(self, a, action):
        return obj_list(self.kd[a[0]].keys())

    def op_krefs(self, a, action):
        ids = sorted((o.id if o is not None else 2**32, name(o)) for o in (r() for r in self.kd[a[0]].keyrefs()))
        return py_list(n for _, n in ids)

    def op_kvalues(self, a, action):
        return py_list(sorted(self.kd[a[0]].values()))

    def op_klen(self, a, action):
        return len(self.kd[a[0]])

    def op_kclear(self, a, action):
        self.kd[a[0]].clear()

    def op_kcopy(self, a, action):
        if a[0] != a[1]:
            self.kd[a[1]] = self.kd[a[0]].copy()

    def op_kupdate(self, a, action):
        if a[0] != a[1]:
            self.kd[a[0]] |= self.kd[a[1]]

    def op_keq(self, a, action):
        if a[0] != a[1]:
            return self.kd[a[0]] == self.kd[a[1]]

    # WeakSet.

    def op_sadd(self, a, action):
        if a[1] in self.objs:
            s, o = self.ws[a[0]], self.objs[a[1]]
            added = o not in s
            s.add(o)
            return added

    def op_shas(self, a, action):
        if a[1] in self.objs:
            return self.objs[a[1]] in self.ws[a[0]]

    def op_sdiscard(self, a, action):
        if a[1] in self.objs:
            s, o = self.ws[a[0]], self.objs[a[1]]
            present = o in s
            s.discard(o)
            return present

    def op_spop(self, a, action):
        s = self.ws[a[0]]
        if len(s) == 0:
            return "None"
        if len(s) == 1:
            return name(s.pop())
        return "skipped"

    def op_sitems(self, a, action):
        return obj_list(self.ws[a[0]])

    def op_slen(self, a, action):
        return len(self.ws[a[0]])

    def op_sclear(self, a, action):
        self.ws[a[0]].clear()

    def op_scopy(self, a, action):
        if a[0] != a[1]:
            self.ws[a[1]] = self.ws[a[0]].copy()

    def op_sor(self, a, action):
        if a[0] != a[1]:
            self.ws[a[0]] |= self.ws[a[1]]

    def op_sand(self, a, action):
        # `s = s & t`, not `s &= t`: see the `sand` verb in ops.rs.
        if a[0] != a[1]:
            self.ws[a[0]] = self.ws[a[0]] & self.ws[a[1]]

    def op_ssub(self, a, action):
        if a[0] != a[1]:
            self.ws[a[0]] -= self.ws[a[1]]

    def op_sxor(self, a, action):
        if a[0] != a[1]:
            self.ws[a[0]] ^= self.ws[a[1]]

    def op_scmp(self, a, action):
        if a[0] != a[1]:
            s, t = self.ws[a[0]], self.ws[a[1]]
            return (
                f"le={s <= t} ge={s >= t} lt={s < t} gt={s > t} "
                f"disjoint={s.isdisjoint(t)} eq={s == t}"
            )

    def teardown(self):
        self.emit("end")
        while self.objs:
            old = self.objs.pop(min(self.objs))
            del old
        self.refs.clear()
        self.proxies.clear()
        self.fins.clear()


def run(lines):
    interp = Interp()
    try:
        for line in lines:
            interp.run(line)
        interp.teardown()
    except Exception as e:  # reported as an event: the logs then differ
        interp.emit(f"python error: {type(e).__name__}: {e}")
    log = interp.log
    del interp
    gc.collect()
    return log


def main():
    gc.disable()
    out = [f"python {sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}", "==="]
    seq = []
    for line in sys.stdin.read().splitlines():
        if line == "===":
            out.extend(run(seq))
            out.append("===")
            seq = []
        elif line.strip():
            seq.append(line.strip())
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
