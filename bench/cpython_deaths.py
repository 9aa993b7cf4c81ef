"""One CPython "drop all" workload of bench/compare, for bench/instructions
to count under callgrind: a collection of N entries whose referents a list
owns alone, then `del` of that list's items, which runs every death and its
eviction inside one call of `list_ass_subscript` (the C function callgrind
is told to count).

    python3 bench/cpython_deaths.py wvd|wkd|set N
"""

import gc
import os
import sys
import weakref

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpython import Key, Val  # noqa: E402  (the same classes as bench/compare's)


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    if kind == "wvd":
        owners = [Val(i) for i in range(n)]
        c = weakref.WeakValueDictionary(zip([f"key-{i:08}" for i in range(n)], owners))
    elif kind == "wkd":
        owners = [Key(i) for i in range(n)]
        c = weakref.WeakKeyDictionary(zip(owners, range(n)))
    elif kind == "set":
        owners = [Key(i) for i in range(n)]
        c = weakref.WeakSet(owners)
    else:
        sys.exit(f"unknown workload {kind!r}: wvd, wkd or set")
    gc.disable()
    del owners[:]
    assert len(c) == 0


if __name__ == "__main__":
    main()
