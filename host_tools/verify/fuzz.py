"""Coverage-guided fuzzing of the NMEA parser (with the whole controller behind it), the route loader and
the inputs CSV parser, with atheris (libFuzzer); a seeded random-mutation loop when atheris is missing.

    python -m host_tools.verify.fuzz parser|route|inputs [--runs N] [--seed S] [--corpus DIR] [--jobs J]
    python -m host_tools.verify.fuzz corpus     # rewrite the seed corpus tests/data/fuzz/<target>/ from tests/data

Targets and what counts as a crash (anything else raised, or a broken invariant):
  parser  the bytes into trainctl.coach.Controller(route_data) (firmware Parser, journey, filter, geometry)
          and into a lone trainctl.nmea.Parser, each in its own chunking: nothing may be raised, both must
          report the same fixes, Stats and state, and each fix must be dated, in range and counted in Stats.
  route   the bytes as a route source file: gen_route.load() then render(); only RouteError may be raised,
          and the rendered module must compile.
  inputs  the bytes as an inputs CSV read as host_tools/replay/cli.py reads it: replay_core.parse_inputs() may only
          raise ValueError "line N: ..." (or UnicodeDecodeError); what it returns is in time order, 0/1 levels.
Every new crash signature (exception type and the line that raised it) is written to
tests/data/fuzz/crashes/<target>-<sha1>.<ext>; the run goes on, prints the figures and exits 1.
tests/test_fuzz_regress.py replays the corpus and the crashes on every `make test`.
"""


import argparse
import hashlib
import json
import os
import random
import re
import selectors
import subprocess
import sys
import tempfile
import time

from host_tools.common import cli, paths
from host_tools.verify.fuzz_corpus import make_corpus, read_dir
from host_tools.verify.fuzz_mutate import MUTATORS, _resign, gen_track, mutate_nmea, raw_mutate
from host_tools.verify.fuzz_targets import (
    _STATE,
    CHECKS,
    CRASH_DIR,
    EXT,
    FUZZ_DIR,
    MAX_LEN,
    TARGETS,
    WORK_DIR,
    _m,
    check_parser,
    signature,
    target_of,
)

# Read from here by the tests (host_tools/verify/fuzz_targets.py, fuzz_mutate.py, fuzz_corpus.py hold them).
__all__ = ["CHECKS", "CRASH_DIR", "FUZZ_DIR", "MAX_LEN", "TARGETS", "_STATE", "_resign", "check_parser", "gen_track",
           "main", "mutate_nmea", "raw_mutate", "read_dir", "target_of"]


# ---- one fuzzing worker (a child process) -----------------------------------------------------------------


class Worker:
    """Runs inputs through a target, records the first input of every new crash signature."""

    def __init__(self, target, runs, summary_path):
        self.target = target
        self.check = CHECKS[target]
        self.runs = runs
        self.summary_path = summary_path
        self.n = 0
        self.crashes = 0
        self.sigs = {}  # signature -> [count, file]
        self.t0 = time.monotonic()

    def known(self):
        """Signatures of the crashes already stored for this target: counted again, not written again."""
        for name, data in read_dir(CRASH_DIR):
            if target_of(name) == self.target:
                try:
                    self.check(data)
                except Exception as e:  # noqa: BLE001 (any exception is what is being looked for)
                    self.sigs.setdefault(signature(e), [0, name])

    def one(self, data):
        self.n += 1
        try:
            self.check(data)
        except Exception as e:  # noqa: BLE001
            self.crashes += 1
            sig = signature(e)
            s = self.sigs.get(sig)
            if s is None:
                name = "%s-%s.%s" % (self.target, hashlib.sha1(data).hexdigest()[:16], EXT[self.target])
                os.makedirs(CRASH_DIR, exist_ok=True)
                with open(os.path.join(CRASH_DIR, name), "wb") as f:
                    f.write(data)
                s = self.sigs[sig] = [0, name]
                print("fuzz: new crash %s: %s -> %s" % (sig, str(e)[:200], name), file=sys.stderr, flush=True)
            s[0] += 1
        if self.n >= self.runs:
            self.finish()

    def finish(self):
        with open(self.summary_path, "w") as f:
            json.dump(dict(inputs=self.n, crashes=self.crashes, wall_s=time.monotonic() - self.t0,
                           sigs={k: v for k, v in self.sigs.items() if v[0]}), f)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def child(a):
    """One fuzzing worker: atheris (coverage-guided, libFuzzer) or the seeded random-mutation loop; never returns."""
    seeds = [d for _, d in read_dir(a.corpus)] or [b""]
    if a.engine == "atheris":
        _child_atheris(a, seeds)
    _child_random(a, seeds)


def _instrument_parser(atheris):
    """Instrument the parser's modules for coverage. The per-byte loop Parser.feed is left uninstrumented (a counter
    per branch per byte made the parser target ~8x slower); its sentence and field methods are instrumented one by
    one."""
    parts = ["trainctl.nmea", "trainctl.nmeafield", "trainctl.nmeasent", "trainctl.nmeaepoch"]
    with atheris.instrument_imports(include=["trainctl", "host_tools"],
                                    exclude=["host_tools.verify.fuzz", "host_tools.verify.fuzz_targets",
                                             "host_tools.verify.fuzz_mutate", "host_tools.verify.fuzz_corpus",
                                             *parts]):
        _m("nmea")
    nmea = _m("nmea")
    mods = [sys.modules[m] for m in parts]
    for k, v in list(vars(nmea.Parser).items()):
        if callable(v) and k != "feed":
            setattr(nmea.Parser, k, atheris.instrument_func(v))
    done = {}  # the parser's module-level functions, instrumented, by name
    for mod in mods[1:]:
        for k, v in list(vars(mod).items()):
            if callable(v) and not isinstance(v, type) and getattr(v, "__module__", "") == mod.__name__:
                done[k] = (v, atheris.instrument_func(v))
    for mod in mods:
        for k, v in list(vars(mod).items()):
            if k in done and v is done[k][0]:
                setattr(mod, k, done[k][1])  # where defined and where imported by name
    by_id = {id(v[0]): v[1] for v in done.values()}
    decode = tuple(by_id.get(id(f), f) for f in mods[2]._DECODE)  # nmeasent's table of decoders
    mods[0]._DECODE = mods[2]._DECODE = decode


def _child_atheris(a, seeds):
    import atheris  # optional (requirements-dev.txt): the random engine runs without it

    target, mutate = a.target, MUTATORS[a.target]
    _instrument_parser(atheris)
    w = Worker(target, a.runs, a.summary)
    w.known()

    def custom_mutator(data, max_size, seed):
        rng = random.Random(seed)
        if rng.random() < 0.02:  # a fresh generated track now and then
            return gen_track(rng, max_size) if target == "parser" else rng.choice(seeds)[:max_size]
        return mutate(data, max_size, rng, atheris.Mutate)

    os.makedirs(a.workdir, exist_ok=True)
    argv = [sys.argv[0], a.workdir, a.corpus, "-seed=%d" % a.seed, "-max_len=%d" % MAX_LEN[target],
            "-timeout=20", "-rss_limit_mb=4096", "-artifact_prefix=%s/%s-" % (CRASH_DIR, target),
            "-print_pcs=0", "-reduce_inputs=1"]
    atheris.Setup(argv, w.one, custom_mutator=custom_mutator)
    atheris.Fuzz()
    w.finish()


def _child_random(a, seeds):
    target, mutate, max_len = a.target, MUTATORS[a.target], MAX_LEN[a.target]
    rng = random.Random(a.seed)
    raw = raw_mutate(rng)
    w = Worker(target, a.runs, a.summary)
    w.known()
    pool = list(seeds)
    for d in seeds:
        w.one(d)
    while True:
        base = rng.choice(pool)
        data = gen_track(rng, max_len) if target == "parser" and rng.random() < 0.02 else mutate(
            base, max_len, rng, raw)
        w.one(data)
        if rng.random() < 0.01 and len(pool) < 2000:  # a random walk away from the seeds
            pool.append(data)


# ---- the command line: workers in parallel, figures summed ------------------------------------------------

_STATUS = re.compile(r"#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+)")


def _arg_parser():
    ap = argparse.ArgumentParser(prog="python -m host_tools.verify.fuzz", description=__doc__.splitlines()[0])
    ap.add_argument("target", choices=TARGETS + ("corpus",), help="what to fuzz, or corpus: replay the saved corpus")
    ap.add_argument("--runs", type=int, default=100000, help="inputs to try in all (default 100000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--corpus", help="seed corpus directory (default tests/data/fuzz/<target>)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes; the runs are split between them")
    ap.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto",
                    help="atheris (coverage-guided) when installed, else random mutation")
    ap.add_argument("-v", "--verbose", action="store_true", help="show libFuzzer's own output")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--summary", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    return ap


def main(argv=None):
    a = _arg_parser().parse_args(argv)
    if a.target == "corpus":
        make_corpus()
        return 0
    a.corpus = os.path.abspath(a.corpus or os.path.join(FUZZ_DIR, a.target))
    if a.engine == "auto":
        try:
            import atheris  # noqa: F401
            a.engine = "atheris"
        except ImportError:
            a.engine = "random"
    if a.child:
        child(a)
        return 0
    if a.engine == "random":
        print("fuzz: random structure-aware mutation, no coverage feedback (atheris not used)", flush=True)
    t0 = time.monotonic()
    procs = _spawn(a)
    new_units, cov, ft = _follow(procs, a.verbose)
    inputs, crashes, sigs, failed = _collect(procs)
    wall = time.monotonic() - t0
    print("fuzz %s (%s, %d job%s, seed %d): %d inputs in %.1f s (%.0f inputs/s)" % (
        a.target, a.engine, a.jobs, "" if a.jobs == 1 else "s", a.seed, inputs, wall, inputs / wall if wall else 0))
    if a.engine == "atheris":
        print("  new coverage units: %d (libFuzzer NEW), coverage: %d edges, %d features" % (new_units, cov, ft))
    print("  uncaught exceptions: %d, distinct: %d" % (crashes, len(sigs)))
    for k, (count, name) in sorted(sigs.items()):
        print("    %dx %s -> tests/data/fuzz/crashes/%s" % (count, k, name))
    if failed:
        print("  %d worker(s) died without a summary (exit codes %s): see tests/data/fuzz/crashes/ for libFuzzer"
              " timeout/oom artifacts" % (len(failed), failed))
    return 1 if crashes or failed else 0


def _spawn(a):
    """The worker processes: [(Popen, summary file, work dir)]."""
    procs = []
    tmp = tempfile.mkdtemp(prefix="fuzz-")
    for j in range(a.jobs):
        runs = a.runs // a.jobs + (1 if j < a.runs % a.jobs else 0)
        summary = os.path.join(tmp, "w%d.json" % j)
        workdir = os.path.join(WORK_DIR, "%s-s%d-w%d" % (a.target, a.seed, j))
        if os.path.isdir(workdir):  # new units of an earlier run: start from the seed corpus again
            for n, _ in read_dir(workdir):
                os.remove(os.path.join(workdir, n))
        cmd = [sys.executable, "-m", "host_tools.verify.fuzz", a.target, "--child", "--runs", str(runs),
               "--seed", str(a.seed * 1000 + j), "--corpus", a.corpus, "--engine", a.engine,
               "--summary", summary, "--workdir", workdir]
        procs.append((subprocess.Popen(cmd, cwd=paths.ROOT, stderr=subprocess.PIPE, text=True, errors="replace"),
                      summary, workdir))
    return procs


def _follow(procs, verbose):
    """The workers' stderr until they all close it: libFuzzer's status lines counted, crashes and errors shown;
    returns (new coverage units, coverage edges, features)."""
    new_units = 0
    cov = 0
    ft = 0

    sel = selectors.DefaultSelector()
    for p, _, _ in procs:
        sel.register(p.stderr, selectors.EVENT_READ)
    open_streams = len(procs)
    while open_streams:
        for key, _ in sel.select():
            ln = key.fileobj.readline()
            if not ln:
                sel.unregister(key.fileobj)
                open_streams -= 1
                continue
            m = _STATUS.search(ln)
            if m:
                if m.group(2) == "NEW":
                    new_units += 1
                cov = max(cov, int(m.group(3)))
                ft = max(ft, int(m.group(4)))
            if verbose or ln.startswith("fuzz:") or "ERROR" in ln or "Traceback" in ln or "Error" in ln:
                sys.stderr.write(ln)
    return new_units, cov, ft


def _collect(procs):
    """The workers' summaries summed: (inputs, crashes, {signature: [count, crash file]}, exit codes of workers
    that left none). A crash two workers found is kept once."""
    inputs = crashes = 0
    sigs = {}
    failed = []
    for p, summary, _ in procs:
        rc = p.wait()
        if not os.path.exists(summary):
            failed.append(rc)
            continue
        with open(summary) as f:
            s = json.load(f)
        inputs += s["inputs"]
        crashes += s["crashes"]
        for k, (count, name) in s["sigs"].items():
            if k in sigs:
                sigs[k][0] += count
                if name != sigs[k][1] and os.path.exists(os.path.join(CRASH_DIR, name)):
                    os.remove(os.path.join(CRASH_DIR, name))  # the same crash found by two workers
            else:
                sigs[k] = [count, name]
    return inputs, crashes, sigs, failed


if __name__ == "__main__":
    sys.exit(cli.guard(main, "fuzz"))
