"""What every benchmark section shares: paths, the journey's direction and seed, timing, input cuts, the
MicroPython runner and the markdown helpers."""

import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from host_tools.common import paths

ROOT = paths.ROOT
MP_DIR = os.path.join(ROOT, "host_tools", "bench", "mp")  # the MicroPython programs the benchmarks run
BENCH_MP = os.path.join(MP_DIR, "bench_mp.py")
DIRECTION = "to_pyongyang"
SEED = 1
CHUNK_BYTES = 4096  # CPython: bytes per feed(), as host_tools/replay/cli.py reads


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def best_of_ns(fn, repeats):
    """Run fn() repeats times with the collector off; returns (best ns, median ns, last result)."""
    times_ns = []
    result = None
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter_ns()
            result = fn()
            times_ns.append(time.perf_counter_ns() - t0)
        finally:
            gc.enable()
    return min(times_ns), statistics.median(times_ns), result


# ---- inputs ----------------------------------------------------------------------------------


def cut_lines(data, n_lines):
    """The first n_lines lines of data (bytes, line ends kept)."""
    lines = data.splitlines(keepends=True)
    return b"".join(lines[:n_lines])


def cut_epochs(data, n_epochs):
    """data up to (not including) the RMC that starts epoch n_epochs + 1."""
    pos = 0
    for _ in range(n_epochs + 1):
        i = data.find(b"RMC,", pos)
        if i < 0:
            return data
        pos = i + 4
    return data[: data.rfind(b"\n", 0, pos) + 1]

# ---- 3./4. MicroPython ------------------------------------------------------------------------


def run_mp_script(exe, heap, script, mp_paths, *args):
    """Run a MicroPython script under the unix port with MICROPYPATH = firmware:tests:repo root:mp_paths.

    Returns (the JSON objects of its lines starting with "{", command line, error text or None); the error
    text is the last output line when the script failed or printed no JSON."""
    cmd = [exe, "-X", "heapsize=%s" % heap, script, *[str(a) for a in args]]
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join([os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tests"), ROOT,
                                          *mp_paths, ".frozen"])
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    err = None
    if p.returncode != 0 or not out:
        lines = (p.stdout + p.stderr).strip().splitlines()
        err = lines[-1] if lines else "exit %d" % p.returncode
    return out, cmd, err


def run_mp(exe, heap, mp_path, *args):
    """Run host_tools/bench/mp/bench_mp.py; returns (its JSON dict or None, command line, error text)."""
    out, cmd, err = run_mp_script(exe, heap, BENCH_MP, [mp_path], *args)
    if out:
        return out[0], cmd, None
    return None, cmd, err


def compile_route(mpy_cross, src_py, dest_dir, module):
    """Copy a generated route module into dest_dir as module.py and compile it to module.mpy."""
    tmp_py = os.path.join(dest_dir, module + ".py")
    shutil.copyfile(src_py, tmp_py)
    subprocess.run([mpy_cross, "-o", os.path.join(dest_dir, module + ".mpy"), module + ".py"], cwd=dest_dir,
                   check=True, capture_output=True)
    os.remove(tmp_py)  # the .mpy only: compiling 2,000 segments from source needs more heap than a board has




# ---- markdown --------------------------------------------------------------------------------


def fmt(v, digits=2):
    return "%.*f" % (digits, v)


def verdict(ok):
    return "**met**" if ok else "**not met**"


def kib(b):
    return "%.1f KiB" % (b / 1024)
