"""Seeded synthetic door/beam/WC inputs for a synthetic journey, with ground truth (host only).

    python -m host_tools.synth.inputs TRUTH.json -o inputs.csv --truth-out inputs.truth.json [--seed N]

TRUTH.json is host_tools.synth's ground truth (stops with arrival/departure, shunting, outages). Writes
the CSV that `python -m host_tools.replay TRACK --inputs FILE` reads (header utc,input,value; raw
levels, 1 = door open / beam broken / WC locked) and a JSON of what the replay should find.

Model: at each stop both vestibules' platform-side doors open in the first stretch of the stay clear
of shunting moves and GPS outages (60 s margins), with contact chatter at each edge; people
alight, then board, through each vestibule's beam pair (host_tools.synth.sensors's crossing model:
groups, turn-backs, pauses, beam flicker); both doors close before departure. While running,
closed doors chatter (pulses under the 100 ms door settle time) and the toilets are used. Optional
faults, each listed in the truth as an expected alarm: a door left open at one departure
(`late_close`: alarm at the 5 km/h crossing), a door opened mid-run (`open_moving`), a door contact
stuck open for a whole long run (`stuck`: alarm, then a suspected fault after 20 min moving).
"""

import argparse
import functools
import json
import random
import sys

from trainctl import route_data
from trainctl.config import Config
from trainctl.doors import DOOR_NAMES, EXTERIOR

from host_tools.common import cli, route_names
from host_tools.common.utc import iso_utc
from host_tools.synth import journey as synth
from host_tools.synth import sensors as sensor_synth

EXTERIOR_DOORS = tuple(n for n, e in zip(DOOR_NAMES, EXTERIOR) if e)

MARGIN_S = 60.0  # the display shows the stop ~20 s after arrival and keeps it ~55 s after departure
THRESHOLD_MS = Config().door_alarm_cms() / 100  # the door monitor's default moving threshold (m/s)
MIN_WINDOW_S = 150.0
_iso_ms = functools.partial(iso_utc, ms=True)  # truth times and input rows carry milliseconds


def _subtract(iv, holes):
    """Interval iv = (a, b) minus the holes, as a list of intervals."""
    out = [iv]
    for ha, hb in holes:
        nxt = []
        for a, b in out:
            if hb <= a or ha >= b:
                nxt.append((a, b))
                continue
            if ha > a:
                nxt.append((a, ha))
            if hb < b:
                nxt.append((hb, b))
        out = nxt
    return out


def _bounce(rng, t, level, rows, name):
    """A contact settling at `level` at time t with 1-4 bounces over the next 10-60 ms."""
    rows.append((t, name, level))
    tt = t
    for _ in range(rng.randint(1, 4)):
        tt += rng.uniform(0.003, 0.012)
        rows.append((tt, name, 1 - level))
        tt += rng.uniform(0.002, 0.010)
        rows.append((tt, name, level))


def _flow(rng, b, t0, t_end, n_out, n_in, stats):
    """People through one vestibule from t0 (s): n_out alight, then n_in board; returns the crossings
    made (direction per person) before t_end. Hard cases as in sensor_synth.generate."""
    made = []
    t = t0
    for k in range(n_out + n_in):
        direction = -1 if k < n_out else 1
        w = rng.uniform(0.22, 0.45) + (0.2 if rng.random() < 0.1 else 0.0)
        v = rng.uniform(0.5, 1.6)
        if t + 8 > t_end:
            break
        r = rng.random()
        if r < 0.03:  # turns back
            lo, hi = -w / 2 + 0.02, b.gap_m + w / 2 - 0.02
            t = b.walk(t, direction, w, v, turn_at=rng.uniform(lo, hi))[1] + rng.uniform(0.3, 2)
            stats["turnbacks"] += 1
        elif r < 0.06:  # pauses in the doorway
            where = rng.uniform(-w / 2, b.gap_m + w / 2)
            t = b.walk(t, direction, w, v, pause=(where, rng.uniform(0.3, 3)))[1] + rng.uniform(0.3, 2)
            stats["pauses"] += 1
        elif r < 0.26 and k + 1 < n_out + n_in and (k + 1 < n_out) == (k < n_out):  # two close together
            end = b.walk(t, direction, w, v)[1]
            made.append(direction)
            t2 = t + (w + rng.uniform(0.04, 0.30)) / v
            end = max(end, b.walk(t2, direction, rng.uniform(0.22, 0.45), v)[1])
            stats["groups"] += 1
            t = end + rng.uniform(0.3, 2.5)
        else:
            t = b.walk(t, direction, w, v)[1] + rng.uniform(0.3, 2.5)
        if r >= 0.03:
            made.append(direction)
    return made, t


def generate(truth, seed=1, late_close=True, open_moving=True, stuck=True, chatter_per_h=12.0,
             wc_per_h=4.0, flicker_per_s=0.05, max_people=60):
    """(rows, ground truth): rows are sorted (t_s, input name, level) with t in UNIX seconds."""
    rng = random.Random(seed)
    p = synth.parse_iso_utc
    span = (p(truth["track"]["from_utc"]), p(truth["track"]["to_utc"]))
    holes = _holes(truth)
    rows = []
    stats = {"turnbacks": 0, "pauses": 0, "groups": 0, "chatter_pulses": 0, "flicker_pulses": 0}
    stations, stops_out, onboard, open_iv, stays = _stops(rng, truth, span, holes, (max_people, flicker_per_s),
                                                          rows, stats)
    runs = _runs(truth, span, stays)
    alarms = []
    busy = list(open_iv)
    if late_close and stops_out:
        _late_close(rng, truth, span, stops_out, rows, alarms, busy)
    long_runs = sorted((r for r in runs if r[1] - r[0] > 1800), key=lambda r: r[0] - r[1])
    if stuck and long_runs:  # a contact that reads open from the start of the longest run to the next stop
        a, z = long_runs[0]
        door = rng.choice(EXTERIOR_DOORS)
        t0, t1 = a + 120, z + 30
        rows.append((t0, door, 1))
        rows.append((t1, door, 0))
        alarms.append({"kind": "stuck", "door": door, "from_utc": _iso_ms(t0), "to_utc": _iso_ms(t1)})
        busy.append((t0 - 2, t1 + 2))
        long_runs = long_runs[1:]
    if open_moving:
        _open_moving(rng, runs, long_runs, holes, rows, alarms, busy)
    _chatter(rng, runs, busy, chatter_per_h, rows, stats)
    wc_uses = _toilets(rng, runs, wc_per_h, rows)
    rows.sort()
    out_truth = {
        "generator": "host_tools.synth.inputs",
        "seed": seed,
        "track": truth["track"],
        "stations": stations,
        "stops": stops_out,
        "crossings": sum(s["boardings"] + s["alightings"] for s in stations.values()),
        "onboard": onboard,
        "alarms": alarms,
        "wc_uses": wc_uses,
        "input_changes": len(rows),
        "stats": stats,
    }
    return rows, out_truth


def _holes(truth):
    """Times the doors stay shut (shunting moves, GPS outages and frozen fixes, with MARGIN_S): [(a, b)]."""
    p = synth.parse_iso_utc
    holes = []
    for s in truth.get("shunting", []):
        holes.append((p(s["from_utc"]) - MARGIN_S, p(s["to_utc"]) + MARGIN_S))
    faults = truth.get("faults", {})
    for kind in ("outages", "frozen"):
        for o in faults.get(kind, []):
            if "from_utc" in o:
                holes.append((p(o["from_utc"]) - MARGIN_S, p(o["to_utc"]) + MARGIN_S))
    return holes


def _stops(rng, truth, span, holes, limits, rows, stats):
    """Doors and people at every stop: (stations {name: counts}, stops of the truth, on board at the end,
    [(a, b)] while a door is open, [(arrival, departure)] of every stop)."""
    p = synth.parse_iso_utc
    t_from, t_to = span
    max_people, flicker_per_s = limits
    stations = {}
    stops_out = []
    onboard = 0
    open_iv = []  # (a, b) while some door is open at a stop (no chatter or WC use generated then)
    stays = []
    for st in truth["stops"]:
        arr = p(st["arr_utc"]) if st["arr_utc"] else t_from
        dep = p(st["dep_utc"]) if st["dep_utc"] else t_to
        stays.append((arr, dep))
        win = _subtract((max(arr, t_from) + MARGIN_S, min(dep, t_to) - MARGIN_S), holes)
        win = [w for w in win if w[1] - w[0] >= MIN_WINDOW_S]
        if not win:
            continue
        a, z = win[0]  # doors open on arrival, in the first stretch clear of shunting and outages
        nm = route_names.names(route_data)
        name = nm.ST_EN[nm.ST_ID.index(st["station"])]
        side = rng.choice(("left", "right"))
        t_open = a + rng.uniform(0, 10)
        t_close = z - rng.uniform(0, 10)
        room = int((t_close - t_open - 20) / 2.5)  # about 2.5 s per person through one doorway
        n_out_total = rng.randint(0, min(onboard, max_people)) if onboard else 0
        n_in_total = rng.randint(max_people // 4, max_people)
        got = {1: 0, -1: 0}
        for v_name, share in (("A", 0.5), ("B", 0.5)):
            n_out = min(room // 2, int(round(n_out_total * share)))
            n_in = min(room - n_out, int(round(n_in_total * share)))
            _vestibule(rng, "%s_%s" % (v_name, side), (t_open, t_close), (n_out, n_in), flicker_per_s, rows, stats,
                       got)
        onboard += got[1] - got[-1]
        stations[name] = {"boardings": got[1], "alightings": got[-1]}
        open_iv.append((t_open - 2, t_close + 2))
        stops_out.append({"station": name, "side": side, "open_utc": _iso_ms(t_open), "close_utc": _iso_ms(t_close),
                          "boardings": got[1], "alightings": got[-1]})
    return stations, stops_out, onboard, open_iv, stays


def _vestibule(rng, where, span, people, flicker_per_s, rows, stats, got):
    """One vestibule's door (where: "A_left"...) open over about span, and n_out, n_in = people through its
    beams; got counts the crossings made by direction."""
    t_open, t_close = span
    n_out, n_in = people
    v_name, side = where.split("_")
    door = "door_%s_%s" % (v_name, side)
    o_s = t_open + rng.uniform(0, 2)
    c_s = t_close - rng.uniform(0, 2)
    _bounce(rng, o_s, 1, rows, door)
    _bounce(rng, c_s, 0, rows, door)
    b = sensor_synth._Builder(rng, rng.uniform(0.04, 0.08))
    made, _ = _flow(rng, b, o_s + 2, c_s - 3, n_out, n_in, stats)
    for d in made:
        got[d] += 1
    t0_ms = int(o_s * 1000)
    for j, beam in enumerate(("outer", "inner")):
        iv = [(x - o_s, y - o_s) for x, y in b.beams[j]]
        f = sensor_synth.Flow()
        lv = sensor_synth._edges(sensor_synth._union(iv))
        lv = sensor_synth._flicker(rng, lv, f, int((c_s - o_s) * 1000) - 1500, flicker_per_s, 0.15)
        stats["flicker_pulses"] += f.flicker_short + f.flicker_long
        rows += [((t0_ms + tm) / 1000.0, "beam_%s_%s" % (v_name, beam), x) for tm, x in lv]


def _runs(truth, span, stays):
    """Runs: between the stays, where the train moves: [(a, b)]."""
    t_from, t_to = span
    runs = []
    for (_a0, d0), (a1, _d1) in zip(stays, stays[1:]):
        if a1 - d0 > 240:
            runs.append((d0, a1))
    if stays and stays[-1][1] < t_to - 240:
        runs.append((stays[-1][1], t_to))
    if not truth["stops"]:
        runs.append((t_from, t_to))
    return runs


def _late_close(rng, truth, span, stops_out, rows, alarms, busy):
    """The first stop with a departure in the track: one door closes late."""
    p = synth.parse_iso_utc
    t_to = span[1]
    accel = truth.get("model", {}).get("accel_ms2", 0.3)
    for st, so in zip(truth["stops"], stops_out):
        if st["dep_utc"] and p(st["dep_utc"]) < t_to - 120:
            dep = p(st["dep_utc"])
            door = "door_B_%s" % so["side"]
            rows[:] = [r for r in rows if not (r[1] == door and abs(r[0] - p(so["close_utc"])) < 3)]
            shut = dep + rng.uniform(20, 40)
            _bounce(rng, shut, 0, rows, door)
            alarms.append({"kind": "late_close", "door": door, "threshold_utc": _iso_ms(dep + THRESHOLD_MS / accel),
                           "close_utc": _iso_ms(shut)})
            busy.append((dep - 5, shut + 2))
            break


def _open_moving(rng, runs, long_runs, holes, rows, alarms, busy):
    """A door opened for 15-40 s in the middle of a run."""
    cand = long_runs or [r for r in runs if r[1] - r[0] > 360]
    if cand:
        a, z = cand[0]
        mid = (a + z) / 2 + rng.uniform(-60, 60)
        if not any(x <= mid <= y for x, y in holes):
            door = rng.choice(EXTERIOR_DOORS)
            t1 = mid + rng.uniform(15, 40)
            _bounce(rng, mid, 1, rows, door)
            _bounce(rng, t1, 0, rows, door)
            alarms.append({"kind": "open_moving", "door": door, "from_utc": _iso_ms(mid), "to_utc": _iso_ms(t1)})
            busy.append((mid - 2, t1 + 2))


def _chatter(rng, runs, busy, chatter_per_h, rows, stats):
    """Chatter on closed doors while running: pulses shorter than the door settle time."""
    for name in DOOR_NAMES:
        for a, z in runs:
            t = a
            while chatter_per_h > 0:
                t += rng.expovariate(chatter_per_h / 3600.0)
                if t >= z:
                    break
                if any(x - 1 <= t <= y + 1 for x, y in busy):
                    continue
                tt = t
                for _ in range(rng.randint(1, 3)):  # a burst within 80 ms
                    d = rng.uniform(0.003, 0.025)
                    rows.append((tt, name, 1))
                    rows.append((tt + d, name, 0))
                    tt += d + rng.uniform(0.012, 0.025)
                    stats["chatter_pulses"] += 1


def _toilets(rng, runs, wc_per_h, rows):
    """Toilets: used while running; returns the uses per toilet."""
    wc_uses = [0, 0]
    for k, name in enumerate(("wc_1", "wc_2")):
        for a, z in runs:
            t = a + 60
            while wc_per_h > 0:
                t += rng.expovariate(wc_per_h / 3600.0)
                dur = rng.uniform(60, 480)
                if t + dur >= z - 60:
                    break
                _bounce(rng, t, 1, rows, name)
                _bounce(rng, t + dur, 0, rows, name)
                wc_uses[k] += 1
                t += dur + 30
    return wc_uses


def write_csv(rows, f):
    f.write("utc,input,value\n")
    for t, name, v in rows:
        f.write("%s,%s,%d\n" % (_iso_ms(t), name, v))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.synth.inputs", description=__doc__.splitlines()[0])
    ap.add_argument("truth", help="ground truth JSON written by host_tools.synth")
    ap.add_argument("-o", "--output", required=True, help="inputs CSV to write")
    ap.add_argument("--truth-out", required=True, help="ground truth JSON of the inputs")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--max-people", type=int, default=60, help="most boardings per stop (both vestibules)")
    ap.add_argument("--no-late-close", action="store_true", help="no door left open at a departure")
    ap.add_argument("--no-open-moving", action="store_true", help="no door opened while running")
    ap.add_argument("--no-stuck", action="store_true", help="no door contact stuck open through a long run")
    a = ap.parse_args(argv)
    try:
        with open(a.truth, encoding="utf-8") as f:
            truth = json.load(f)
    except (OSError, ValueError) as e:
        print("host_tools.synth.inputs: %s: %s" % (a.truth, e), file=sys.stderr)
        return 2
    rows, gt = generate(truth, seed=a.seed, late_close=not a.no_late_close, open_moving=not a.no_open_moving,
                        stuck=not a.no_stuck, max_people=a.max_people)
    gt["command"] = "python -m host_tools.synth.inputs " + " ".join(sys.argv[1:] if argv is None else argv)
    with open(a.output, "w", encoding="utf-8", newline="") as f:
        write_csv(rows, f)
    with open(a.truth_out, "w", encoding="utf-8") as f:
        json.dump(gt, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "inputs_synth"))
