"""Fault-injection soak: seeded journeys with randomly combined faults and power cuts, judged (host only).

    python -m host_tools.verify.faults --journeys N [--seed S] [--jobs J] [--quick] [--only SEED]

Journey k uses seed S+k (direction alternates with the seed); one seed fixes every fault, so a failing
journey reruns alone with --only SEED (same --quick). Faults: GPS noise, outages (some over the border,
some up to an hour), jumps of 100-600 km, frozen fixes, garbage sentences, bursts of binary noise, talker
mixes, shunting, a receiver that stops talking, and power cuts at random byte offsets (mid-sentence too):
the first part is replayed with a state file, a fresh Replay is started on the same file, as after a
reboot, and fed the rest. Before some reboots the state file is damaged: a torn write of the slot being
written (the shown state must still come back), or truncation, garbage or deletion (then the number
shown must be none or right). Invariants: judge.judge on the whole display timeline, the restore checks
above, the number comes back after a state loss, no exception escapes. --quick: windows of the journey
around the border (where the number changes) instead of whole 24 h journeys.
"""

import argparse
import io
import multiprocessing
import os
import random
import re
import sys
import tempfile
import time
import traceback
from collections import Counter

from trainctl import clock, route_data
from trainctl.store import SIZE
from trainctl.text import station_en

from host_tools.common import cli
from host_tools.replay import cli as replay
from host_tools.replay import core as replay_core
from host_tools.replay import judge
from host_tools.synth import inputs as inputs_synth
from host_tools.synth import journey as synth
from host_tools.verify.faults_check import KEYS, check, check_counts

# Read from here by the tests (host_tools/verify/faults_check.py holds them).
__all__ = ["Counter", "check", "check_counts", "cut_run", "main", "plan", "run_journey", "soak"]

DIRECTIONS = ("to_pyongyang", "to_beijing")
# Window starts/ends per direction for --quick: each window holds both border stations (two changes).
_BEFORE = {"to_pyongyang": ("benxi", "fenghuangcheng", "dandong"), "to_beijing": ("yomju", "sinuiju")}
_AFTER = {"to_pyongyang": ("sinuiju", "yomju"), "to_beijing": ("dandong", "fenghuangcheng")}
_RMC = re.compile(rb"\$[A-Z]{2}RMC,(\d\d)(\d\d)(\d\d)")


def plan(seed, quick):
    """The faults of journey `seed`: (direction, synth keyword arguments, extra faults dict)."""
    rng = random.Random("faults:%d" % seed)
    direction = DIRECTIONS[seed % 2]
    kw = {"seed": seed, "noise_m": rng.choice((0.0, 3.0, 8.0, 15.0, 30.0))}
    kw["jumps"] = rng.choice((0, 0, 1, 2, 4, 6))
    kw["frozen"] = rng.choice((0, 0, 1, 2, 4))
    kw["garbage"] = rng.choice((0.0, 0.002, 0.01, 0.03))
    kw["talkers"] = tuple(rng.sample(("GN", "GP", "BD", "GB", "GL", "GA", "GQ"), rng.randint(1, 4)))
    kw["shunting"] = rng.random() < 0.6
    kw["outage_border"] = rng.random() < 0.25
    kw["sentences"] = rng.choice((("RMC", "GGA"), ("RMC", "GGA"), ("RMC",), ("RMC", "GGA", "VTG", "GSA", "ZDA")))
    kw["wander_m"] = random.Random("faults-wander:%d" % seed).choice((0.0, 3000.0, 10000.0))  # own stream
    if quick:
        kw["start"] = rng.choice(_BEFORE[direction])
        kw["end"] = rng.choice(_AFTER[direction])
    outages = []
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        # start as a fraction of the track, resolved once its length is known; no fix for up to an hour
        long_ = rng.random() < 0.3
        outages.append((rng.random(), rng.uniform(1200, 3600) if long_ else rng.uniform(5, 600)))
    extra = {
        "outages": outages,
        "silence": [(rng.random(), rng.uniform(30, 3600)) for _ in range(rng.choice((0, 0, 1)))],
        "bursts": [(rng.random(), rng.randint(8, 2048)) for _ in range(rng.choice((0, 1, 3, 10)))],
        "cuts": sorted(rng.random() for _ in range(rng.choice((0, 1, 1, 2, 3, 4)))),
    }
    extra["damage"] = [rng.choice(("clean", "clean", "clean", "torn_write", "torn_write", "truncated",
                                   "garbage", "deleted")) for _ in extra["cuts"]]
    ri = random.Random("faults-inputs:%d" % seed)  # its own stream: the faults above stay as they were
    extra["inputs"] = ri.random() < 0.8
    extra["people"] = ri.choice((10, 30, 60))
    extra["floats"] = [(ri.choice(("door_A_left", "door_B_right", "beam_A_outer", "wc_2")), ri.random(),
                        ri.uniform(10, 600)) for _ in range(ri.choice((0, 0, 1, 2)))]
    return direction, kw, extra


def _utc_of(t0, sod):
    """UNIX time of an RMC's seconds of day sod, on a track that starts at t0 (it may pass midnight)."""
    return int(t0) + (sod - int(t0) % 86400) % 86400


def _epoch_offsets(data):
    """[(byte offset, seconds of day)] of every RMC sentence start."""
    return [(m.start(), int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])) for m in _RMC.finditer(data)]


def _inject(data, truth, extra, rng, faults):
    """Receiver silence and binary noise bursts into the bytes; silences become outages of the truth."""
    t0 = judge.epoch(truth["track"]["from_utc"])
    marks = _epoch_offsets(data)

    def t_of(k):  # UTC seconds of mark k
        return _utc_of(t0, marks[k][1])

    cuts = []
    for frac, dur_s in extra["silence"]:
        a = int(frac * len(marks))
        t_a = t_of(min(a, len(marks) - 1))
        b = a
        while b < len(marks) and t_of(b) < t_a + dur_s:
            b += 1
        if b - a < 2 or b >= len(marks):
            continue
        cuts.append((marks[a][0], marks[b][0]))
        truth["faults"]["outages"].append({"from_utc": synth.iso_utc(t_a), "to_utc": synth.iso_utc(t_of(b)),
                                           "duration_s": t_of(b) - t_a, "kind": "silent"})
        faults["silence"] += 1
    out = bytearray()
    pos = 0
    for a, b in sorted(cuts):
        if a < pos:
            continue
        out += data[pos:a]
        pos = b
    out += data[pos:]
    data = bytes(out)
    for frac, n in sorted(extra["bursts"], reverse=True):
        at = data.find(b"\n", int(frac * len(data)))
        if at < 0:
            continue
        noise = bytes(rng.randrange(256) for _ in range(n))
        data = data[:at + 1] + noise + data[at + 1:]
        faults["binary_noise"] += 1
    return data


def _damage(path, kind, store, rng):
    """Damage the state file as a cut mid-write (torn_write) or flash trouble would."""

    if kind == "deleted":
        if os.path.exists(path):
            os.remove(path)
        return
    try:
        with open(path, "rb") as f:
            data = bytearray(f.read())
    except OSError:
        data = bytearray()
    if kind == "torn_write":  # the slot the next save would write: a prefix of it changed
        slot = store.slot if store is not None else 0
        if len(data) < 2 * SIZE:  # never written, or truncated before: the write extends it
            data += bytes(2 * SIZE - len(data))
        n = rng.randint(1, SIZE - 1)
        fill = rng.choice((None, 0xFF, 0x00))
        for i in range(slot * SIZE, slot * SIZE + n):
            data[i] = rng.randrange(256) if fill is None else fill
    elif kind == "truncated":
        data = data[:rng.randrange(len(data) + 1)] if data else data
    elif kind == "garbage":
        if not data:
            data = bytearray(2 * SIZE)
        a = rng.randrange(len(data))
        for i in range(a, min(len(data), a + rng.randint(1, 16))):
            data[i] = rng.randrange(256)
    with open(path, "wb") as f:
        f.write(data)



def _state(pairs):
    d = dict(pairs)
    return {k: d[k] for k in ("utc", *KEYS)}



def _inputs(truth, seed, extra, faults):
    """The journey's door/beam/WC inputs (host_tools.synth.inputs), plus floating inputs, as changes."""

    rows, itruth = inputs_synth.generate(truth, seed=seed, max_people=extra["people"])
    faults["inputs"] += 1
    faults["door_stuck"] += sum(1 for a in itruth["alarms"] if a.get("kind") == "stuck")
    rng = random.Random("faults-float:%d" % seed)
    t0, t1 = rows[0][0] if rows else 0, rows[-1][0] if rows else 0
    for name, frac, dur_s in extra["floats"]:  # an input left floating: random levels every 1-60 ms
        t = t0 + frac * (t1 - t0)
        end = t + dur_s
        while t < end:
            rows.append((t, name, rng.randrange(2)))
            t += rng.uniform(0.001, 0.06)
        rows.append((end, name, 0))
        faults["input_float"] += 1
    rows.sort()
    buf = io.StringIO()
    inputs_synth.write_csv(rows, buf)
    return replay_core.parse_inputs(buf.getvalue().splitlines())


def _tally(r):
    """(onboard, station of the stop in progress, its boardings, its alightings) of a replay."""
    t = r.sens.s.tally
    st = t.station
    return (t.onboard, st, t.boardings[st] if st >= 0 else 0, t.alightings[st] if st >= 0 else 0)


def _crossing(r):
    """Vestibules with a person between the beams (or a beam broken): a cut now may lose them."""
    s, raw, out = r.sens.s, r.sens.raw, r.sens.s.deb.out
    return sum(1 for c, (o, i) in zip(s.counters, ((6, 7), (8, 9))) if raw[o] or raw[i] or out[o] or out[i] or c._p)


def _dead_breaks(changes, t_ms, data, off, t0):
    """People a power cut may miss: outer beams broken while the board is dead (after its last poll,
    t_ms in GPS ms since 2020, until the first epoch after the cut at byte off, when the new run first
    reads its inputs), and after that until the vestibule's beams are both clear again (a counter
    restarts only from clear beams: a person seen halfway is never counted)."""
    nxt = _epoch_offsets(data[off:off + 4096])
    if t_ms < 0 or not nxt:
        return 0
    back = (_utc_of(t0, nxt[0][1]) - clock.EPOCH_DAYS * 86400) * 1000  # GPS ms since the clock's epoch
    n = 0
    for outer, inner in ((6, 7), (8, 9)):
        lv = {outer: 0, inner: 0}
        for t, i, v in changes:
            if i != outer and i != inner:
                continue
            if t > back and not lv[outer] and not lv[inner]:
                break  # clear again after the restart
            lv[i] = v
            if t_ms < t and i == outer and v:
                n += 1
    return n


def cut_run(route, data, changes, offsets, damage, rng, t0):
    """Replay data (with input changes, or None) through the firmware's logic, cut the power at each
    byte offset: the state file is damaged as damage[k] says, and a fresh replay starts on it, as after
    a reboot. t0: UNIX time of the track's start (to read RMC times). Returns the display events, the
    reboots (see check), and with inputs: counts (per station, from each stop's end and the last run),
    onboard, crossings counted, and per reboot the tally at the cut and restored."""

    out = {"events": [], "reboots": [], "mid_sentence": 0, "crossings": 0, "stations": {}, "interrupted": 0}
    sink = _Sink(out)
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        path = os.path.join(tmp, "state.bin")
        r = replay.make_replay(route, path, sink.on_event, changes)
        out["events"].extend(sink.take())
        pos = 0
        for k, off in enumerate([*offsets, len(data)]):
            r.feed(data[pos:off])
            out["events"].extend(sink.take())
            if off == len(data):
                if changes is not None:
                    r.finish()
                break
            r = _reboot(route, r, path, sink, (data, off, t0), damage[k], changes, rng)
            pos = off
        r.store.close()
        if changes is not None:
            _last_counts(route, r, out["stations"])
            out["onboard"] = r.sens.s.tally.onboard
    return out


class _Sink:
    """What the replays emit: the display states (kept until taken), the crossings counted and each station's
    boardings and alightings (into out), and the last UTC and state shown."""

    def __init__(self, out):
        self.out = out
        self.states = []
        self.utc = None
        self.shown = None

    def on_event(self, pairs):
        kind = pairs[0][1]
        if kind == "display":
            st = _state(pairs)
            self.states.append(st)
            self.shown = st
            if st["utc"]:
                self.utc = st["utc"]
        elif kind == "count":
            self.out["crossings"] += 1
        elif kind == "station":
            d = dict(pairs)
            self.out["stations"][d["station"]] = (d["boardings"], d["alightings"])

    def take(self):
        states = list(self.states)
        self.states.clear()
        return states

    def last_utc(self, chunk, t0):
        """The last RMC time fed, as the UTC the board knew at the cut."""
        ms = _epoch_offsets(chunk)
        if not ms:
            return self.utc
        return synth.iso_utc(_utc_of(t0, ms[-1][1]))


def _reboot(route, r, path, sink, at, kind, changes, rng):
    """The power cut at byte off of data (at = (data, off, t0)): the state file damaged as kind says, a fresh
    replay on it; the reboot recorded in sink.out. Returns the new replay."""
    data, off, t0 = at
    out = sink.out
    if data[off - 1:off] != b"\n":
        out["mid_sentence"] += 1
    at_cut = None
    if changes is not None:
        at_cut = _tally(r)
        out["interrupted"] += _crossing(r) + _dead_breaks(changes, r.sens.now, data, off, t0)
    if kind != "clean":
        _damage(path, kind, r.store, rng)
    before = sink.shown
    t_cut = sink.last_utc(data[:off], t0) if sink.utc else None
    r.store.close()
    r = replay.make_replay(route, path, sink.on_event, changes)
    rb = {"at": len(out["events"]), "utc": t_cut, "before": before, "restored": sink.take(), "damage": kind}
    if changes is not None:
        t = r.sens.s.tally
        st = at_cut[1]
        rb["tally"] = (at_cut, (t.onboard, st, t.boardings[st] if st >= 0 else 0,
                                t.alightings[st] if st >= 0 else 0))
    out["reboots"].append(rb)
    return r


def _last_counts(route, r, stations):
    """Boardings and alightings of the stops the last run's end did not end."""
    t = r.sens.s.tally
    for i in range(len(t.boardings)):  # stops not ended by the last run's end
        if (t.boardings[i] or t.alightings[i]) and station_en(route, i) not in stations:
            stations[station_en(route, i)] = (t.boardings[i], t.alightings[i])
    if t.station >= 0:
        stations[station_en(route, t.station)] = (t.boardings[t.station], t.alightings[t.station])


def run_journey(seed, quick=False, keep=False):
    """One journey: returns a dict (seed, direction, faults Counter, cuts, violations, epochs); keep: with
    the events, reboots and truth that check() was given."""


    faults = Counter()
    res = {"seed": seed, "faults": faults, "violations": [], "epochs": 0, "cuts": 0, "mid_sentence": 0}
    try:
        direction, kw, extra = plan(seed, quick)
        res["direction"] = direction
        span_s = 4 * 3600 if quick else 86000  # outages start anywhere in about the track's span
        kw["outages"] = tuple((f * span_s, d) for f, d in extra["outages"])
        data, truth = synth.generate(direction, **kw)
        res["epochs"] = truth["epochs"]
        for k, n in (("noise", kw["noise_m"] > 0), ("outage", len(kw["outages"])),
                     ("long_outage", sum(1 for _, d in kw["outages"] if d >= 1200)),
                     ("outage_border", kw["outage_border"]), ("jump", len(truth["faults"]["jumps"])),
                     ("frozen", len(truth["faults"]["frozen"])), ("garbage", sum(truth["faults"]["garbage"].values())),
                     ("talker_mix", len(kw["talkers"]) > 1), ("shunting", len(truth["shunting"]))):
            if n:
                faults[k] += int(n)
        rng = random.Random("faults-run:%d" % seed)
        data = _inject(data, truth, extra, rng, faults)
        changes = _inputs(truth, seed, extra, faults) if extra["inputs"] else None
        offsets = sorted({int(f * len(data)) for f in extra["cuts"]})
        run = cut_run(route_data, data, changes, offsets, extra["damage"], rng,
                      int(judge.epoch(truth["track"]["from_utc"])))
        events, reboots = run["events"], run["reboots"]
        res["cuts"] = len(reboots)
        res["mid_sentence"] = run["mid_sentence"]
        faults["power_cut"] += len(reboots)
        for rb in reboots:
            if rb["damage"] != "clean":
                faults["state_" + rb["damage"]] += 1
        bad_counts = []
        if changes is not None:
            res["crossings"] = run["crossings"]
            if reboots:  # the same journey without the cuts: what the counts should have been
                ref = cut_run(route_data, data, changes, [], [], rng, 0)
                bad_counts = check_counts(run, ref)
        if keep:
            res.update(events=events, reboots=reboots, truth=truth)
        res["violations"] = check(events, truth, reboots) + bad_counts
    except Exception:  # the harness reports any escape as a violation of its journey
        res["violations"].append("exception: " + traceback.format_exc().strip().splitlines()[-1])
        res["traceback"] = traceback.format_exc()
    return res


def _job(args):
    return run_journey(*args)


def soak(journeys, seed=1, jobs=1, quick=False, only=None, out=sys.stdout):
    """Run and print the soak; returns the list of journey results."""
    seeds = [only] if only is not None else list(range(seed, seed + journeys))
    t0 = time.time()
    work = [(s, quick) for s in seeds]
    if jobs > 1 and len(work) > 1:

        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = list(pool.imap_unordered(_job, work, chunksize=1))
    else:
        results = [_job(w) for w in work]
    wall_s = time.time() - t0
    results.sort(key=lambda r: r["seed"])
    faults = Counter()
    for r in results:
        faults.update(r["faults"])
    dirs = Counter(r.get("direction") for r in results)
    failing = [r for r in results if r["violations"]]
    cuts = sum(r["cuts"] for r in results)
    out.write("fault soak: %d journeys (%s), %s, seeds %d..%d, %d epochs replayed\n" % (
        len(results), ", ".join("%d %s" % (n, d) for d, n in sorted(dirs.items(), key=str)),
        "windows around the border" if quick else "whole journeys", seeds[0], seeds[-1],
        sum(r["epochs"] for r in results)))
    out.write("faults injected: %s\n" % ", ".join("%s %d" % kv for kv in sorted(faults.items())))
    out.write("power cuts: %d at random byte offsets (%d mid-sentence); state file damaged before %d reboots\n"
              % (cuts, sum(r["mid_sentence"] for r in results),
                 sum(n for k, n in faults.items() if k.startswith("state_"))))
    out.write("passenger counts: %d journeys with door/beam/WC inputs, %d crossings counted; counts checked "
              "across %d power cuts\n" % (faults["inputs"], sum(r.get("crossings", 0) for r in results),
                                          sum(r["cuts"] for r in results if "crossings" in r)))
    out.write("violations: %d in %d journeys\n" % (sum(len(r["violations"]) for r in results), len(failing)))
    for r in failing:
        out.write("  seed %d (%s): rerun: python -m host_tools.verify.faults --only %d%s\n" % (
            r["seed"], r.get("direction"), r["seed"], " --quick" if quick else ""))
        for v in r["violations"][:10]:
            out.write("    " + v + "\n")
        if only is not None and "traceback" in r:
            out.write(r["traceback"])
    out.write("wall time: %.1f s (%d job%s)\n" % (wall_s, jobs, "s" if jobs > 1 else ""))
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.verify.faults", description=__doc__.splitlines()[0])
    ap.add_argument("--journeys", type=int, default=100, help="seeded journeys to run (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="first journey's seed (journey k: seed + k)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel processes (default: the cores)")
    ap.add_argument("--quick", action="store_true", help="windows around the border, not whole journeys")
    ap.add_argument("--only", type=int, help="run the journey of this seed alone")
    a = ap.parse_args(argv)
    results = soak(a.journeys, a.seed, a.jobs, a.quick, a.only)
    return 1 if any(r["violations"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "faults"))
