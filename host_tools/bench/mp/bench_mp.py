# MicroPython only: timings for host_tools/bench/main.py (not a test). Prints one JSON line per run.
#   micropython -X heapsize=180k host_tools/bench/mp/bench_mp.py parser FILE REPEATS
#   micropython -X heapsize=180k host_tools/bench/mp/bench_mp.py pipeline FILE ROUTE_MODULE WARM_FIXES REPEATS
#   micropython -X heapsize=180k host_tools/bench/mp/bench_mp.py adafruit FILE REPEATS
# FILE is read in UART-sized chunks (CHUNK bytes through one preallocated bytearray and readinto), so
# the stream never has to fit in the heap. Times: time.ticks_us, best (and median) of REPEATS passes.
# Allocations: gc.mem_alloc() deltas with gc.disable().
import gc
import json
import sys
import time

import micropython

CHUNK = 64  # bytes per read: what a UART driver hands over at a time
MOVING_CMS = 300  # a fix counts as "moving" at this speed or more


def best_median(values_us):
    """(best, median) of a list of microsecond totals."""
    s = sorted(values_us)
    return s[0], s[len(s) // 2]


def read_all(path, feed, buf, lock=False):
    """Feed the whole file through feed(buf, n) in CHUNK-byte reads; returns microseconds.

    lock: hold micropython.heap_lock() while timing (MicroPython then keeps every function frame on
    the C stack instead of the heap; any allocation would raise MemoryError)."""
    with open(path, "rb") as f:
        gc.collect()
        if lock:
            micropython.heap_lock()
        try:
            t0 = time.ticks_us()
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                feed(buf, n)
            dt = time.ticks_diff(time.ticks_us(), t0)
        finally:
            if lock:
                micropython.heap_unlock()
    return dt


def _no_feed(buf, n):
    pass


def bench_parser(path, repeats):
    """Our parser alone: microseconds per sentence, and bytes allocated per sentence."""
    from trainctl.nmea import Parser

    buf = bytearray(CHUNK)
    runs = []
    p = None
    for _ in range(repeats):
        p = Parser()
        runs.append(read_all(path, p.feed, buf))
    sentences = p.stats.sentences
    locked = []
    for _ in range(repeats):
        p = Parser()
        locked.append(read_all(path, p.feed, buf, lock=True))
    reads = []
    for _ in range(repeats):
        reads.append(read_all(path, _no_feed, buf))
    # Allocation: a fresh parser from the first byte, the collector off.
    p = Parser()
    with open(path, "rb") as f:
        gc.collect()
        gc.disable()
        a0 = gc.mem_alloc()
        while True:
            n = f.readinto(buf)
            if not n:
                break
            p.feed(buf, n)
        alloc = gc.mem_alloc() - a0
        gc.enable()
    best, med = best_median(runs)
    rbest, rmed = best_median(reads)
    lbest, lmed = best_median(locked)
    return {
        "mode": "parser",
        "chunk_bytes": CHUNK,
        "repeats": repeats,
        "sentences": sentences,
        "fixes": p.stats.fixes,
        "bad": p.stats.bad_checksum + p.stats.bad_field + p.stats.truncated + p.stats.too_long,
        "best_us": best,
        "median_us": med,
        "locked_best_us": lbest,
        "locked_median_us": lmed,
        "read_only_best_us": rbest,
        "read_only_median_us": rmed,
        "alloc_bytes": alloc,
        "alloc_sentences": p.stats.sentences,
    }


class Timed:
    """on_fix wrapper: times the controller's work per fix (journey + display check), steady state only."""

    def __init__(self, ctl, warm_fixes):
        self.ctl = ctl
        self.on_fix = ctl._on_fix
        self.warm = warm_fixes
        self.n = 0  # fixes seen
        self.moving_n = 0  # timed fixes: after warm-up and moving
        self.moving_us = 0
        self.lock_at = -1  # fix number at which the route matcher first locked

    def timed(self, fix):
        self.n += 1
        if self.n <= self.warm or fix.speed_cms < MOVING_CMS:
            self.on_fix(fix)
        else:
            t0 = time.ticks_us()
            self.on_fix(fix)
            self.moving_us += time.ticks_diff(time.ticks_us(), t0)
            self.moving_n += 1
        if self.lock_at < 0 and self.ctl.journey.m.idx >= 0:
            self.lock_at = self.n

    def count(self, fix):
        self.n += 1
        self.on_fix(fix)


def bench_pipeline(path, route_name, warm_fixes, repeats):
    """The coach on the whole stream: microseconds per fix (bytes in), per steady moving fix, bytes per fix."""
    gc.collect()
    route = __import__(route_name)  # first: its SEG bytes (from a .mpy file) need one contiguous block of heap
    for part in route_name.split(".")[1:]:
        route = getattr(route, part)
    from trainctl.coach import Coach
    buf = bytearray(CHUNK)
    whole = []
    per_fix = []
    ctl = tm = None
    for _ in range(repeats):
        ctl = Coach(route).ctl  # the coach as the board runs it (no sensors, no files)
        whole.append(read_all(path, ctl.feed, buf))
        ctl = Coach(route).ctl  # the coach as the board runs it (no sensors, no files)
        tm = Timed(ctl, warm_fixes)
        ctl.parser.on_fix = tm.timed
        read_all(path, ctl.feed, buf)
        per_fix.append(tm.moving_us)
    st = ctl.parser.stats
    j = ctl.journey
    out = {
        "mode": "pipeline",
        "route": route_name,
        "seg_n": route.SEG_N,
        "chunk_bytes": CHUNK,
        "repeats": repeats,
        "warm_fixes": warm_fixes,
        "sentences": st.sentences,
        "fixes": st.fixes + st.no_fix,
        "moving_fixes": tm.moving_n,
        "lock_at_fix": tm.lock_at,
        "train": ctl.train,
        "next_stop": ctl.next_stop,
        "along_m": j.along_m,
        "off_route": j.stats.off_route,
        "jumps": j.stats.jumps,
    }
    out["whole_best_us"], out["whole_median_us"] = best_median(whole)
    out["moving_best_us"], out["moving_median_us"] = best_median(per_fix)
    out.update(_alloc_per_fix(Coach, route, path, buf, warm_fixes))
    return out


def _alloc_per_fix(Coach, route, path, buf, warm_fixes):
    """Allocation per fix in steady state: the collector off once warm_fixes are in. Counted between feed() calls,
    where no function frame is live (MicroPython puts big frames on the heap and frees them on return, which would
    show as a negative delta)."""
    ctl = Coach(route).ctl  # the coach as the board runs it (no sensors, no files)
    tm = Timed(ctl, warm_fixes)
    ctl.parser.on_fix = tm.count
    a0 = n0 = -1
    err = None
    with open(path, "rb") as f:
        gc.collect()
        try:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                ctl.feed(buf, n)
                if a0 < 0 and tm.n >= warm_fixes:
                    gc.collect()
                    gc.disable()
                    n0 = tm.n
                    a0 = gc.mem_alloc()
            alloc = gc.mem_alloc() - a0
        except MemoryError:
            alloc = -1
            err = "MemoryError"
        gc.enable()
    return {"alloc_bytes": alloc, "alloc_fixes": tm.n - n0, "alloc_error": err}


class FakeUART:
    """What adafruit_gps.GPS reads: in_waiting and readline(), here lines cut from 1 KB file blocks."""

    def __init__(self, f):
        self.f = f
        self.in_waiting = 4096
        self.block = b""
        self.pos = 0

    def readline(self):
        i = self.block.find(b"\n", self.pos)
        if i < 0:
            more = self.f.read(1024)
            if not more:
                self.in_waiting = 0
                return b""
            self.block = self.block[self.pos :] + more
            self.pos = 0
            i = self.block.find(b"\n")
            if i < 0:
                i = len(self.block) - 1
        line = self.block[self.pos : i + 1]
        self.pos = i + 1
        return line


class TimeShim:
    """The two names adafruit_gps uses from CPython's time that MicroPython's time lacks."""

    _st = None

    @staticmethod
    def struct_time(t):
        if TimeShim._st is None:
            from collections import namedtuple

            TimeShim._st = namedtuple(
                "struct_time",
                ("tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst"),
            )
        return TimeShim._st(*t)

    @staticmethod
    def monotonic():
        return time.ticks_ms() / 1000


def bench_adafruit(path, repeats):
    """adafruit_gps.GPS.update() once per line from a fake UART: microseconds per sentence."""
    try:
        import adafruit_gps
    except Exception as e:  # report, do not patch
        return {"mode": "adafruit", "error": "import: %s: %s" % (type(e).__name__, e)}
    shim = []
    if not hasattr(time, "struct_time") or not hasattr(time, "monotonic"):
        adafruit_gps.time = TimeShim  # the module's own global `time`, nothing else changed
        shim.append("time.struct_time, time.monotonic")
    runs = []
    reads = []
    lines = accepted = 0
    gps = None
    for _ in range(repeats):
        with open(path, "rb") as f:
            uart = FakeUART(f)
            gps = adafruit_gps.GPS(uart)
            lines = accepted = 0
            gc.collect()
            try:
                t0 = time.ticks_us()
                while uart.in_waiting:
                    if gps.update():
                        accepted += 1
                    lines += 1
                runs.append(time.ticks_diff(time.ticks_us(), t0))
            except Exception as e:
                return {"mode": "adafruit", "error": "update: %s: %s" % (type(e).__name__, e), "shim": shim}
        with open(path, "rb") as f:
            uart = FakeUART(f)
            gc.collect()
            t0 = time.ticks_us()
            while uart.readline():
                pass
            reads.append(time.ticks_diff(time.ticks_us(), t0))
    best, med = best_median(runs)
    rbest, rmed = best_median(reads)
    return {
        "mode": "adafruit",
        "shim": shim,
        "repeats": repeats,
        "lines": lines - 1,  # the last update() saw end of file
        "accepted": accepted,
        "best_us": best,
        "median_us": med,
        "readline_only_best_us": rbest,
        "readline_only_median_us": rmed,
        "latitude": gps.latitude,
        "longitude": gps.longitude,
    }


def main():
    mode = sys.argv[1]
    path = sys.argv[2]
    if mode == "parser":
        out = bench_parser(path, int(sys.argv[3]))
    elif mode == "pipeline":
        out = bench_pipeline(path, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "adafruit":
        out = bench_adafruit(path, int(sys.argv[3]))
    else:
        raise SystemExit("unknown mode " + mode)
    print(json.dumps(out))


main()
