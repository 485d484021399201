"""Run by tests/integration/test_jlog.py under the unix port: JourneyLog.add under heap_lock(), and the bytes it
allocates unlocked; prints one JSON line."""

import gc
import sys

import micropython
from trainctl.jlog import JourneyLog


def main(path):
    j = JourneyLog(path, 64)
    j.load()
    add = j.add
    for i in range(100):  # warm up past a wrap
        add(1000 + i, 64, i & 15, 3, i, i)
    gc.collect()
    err = False
    locked = 0
    micropython.heap_lock()
    try:
        for i in range(300):
            add(2000 + i, 1, i & 3, -1, i, 7)
            locked += 1
    except MemoryError:
        err = True
    finally:
        micropython.heap_unlock()
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    for i in range(300):
        add(3000 + i, 17, 1, 5, i, 0)
    unlocked = gc.mem_alloc() - a0
    gc.enable()
    j.close()
    last = j.records()[-1]
    print('{"locked": %d, "memory_error": %s, "bytes_unlocked": %d, "seq": %d, "writes": %d, "last_utc": %d}'
          % (locked, "true" if err else "false", unlocked, j.seq, j.writes, last[1]))


main(sys.argv[1])
