# MicroPython only: passenger display timings for host_tools/bench/main.py section 5 (not a test).
#   micropython -X heapsize=180k host_tools/bench/mp/bench_display_mp.py display REPEATS
#   micropython -X heapsize=180k host_tools/bench/mp/bench_display_mp.py fontimport MODULE
# display: one JSON line per measurement ("what": font_ram, pages_ram, render, scroll, compose, driver);
# needs firmware/ and micropython-lib's ssd1306.py on MICROPYPATH. fontimport: the RAM held after
# importing MODULE, a copy of font_data as .py or .mpy on the filesystem (not frozen).
# Times: time.ticks_us per call, best / median / worst of REPEATS. Allocations: gc.mem_alloc() deltas
# with gc.disable(), plus the same calls once more under micropython.heap_lock() (any allocation raises).
import gc
import json
import sys
import time

import micropython

FRAME_MS = 40  # one frame at 25 fps
DRIVE_S = 60  # display time driven per size for the scroll measurement
T0 = 217589160  # 2026-11-23T09:26:00Z, as tests/mp/pages_script.py


class State:
    """What the controller exposes to the display (as tests/mp/pages_script.py, which this directory's
    mp.py shadows as a package name)."""

    def __init__(self, train, off, country, nxt, dest, at):
        self.train = train
        self.utc_offset_min = off
        self.country = country
        self.next_stop = nxt
        self.destination = dest
        self.at_stop = at


def stats(ts):
    """{best, median, worst} of a list of microsecond figures (sorted in place)."""
    ts.sort()
    return {"best_us": ts[0], "median_us": ts[len(ts) // 2], "worst_us": ts[-1], "n": len(ts)}


def emit(d):
    print(json.dumps(d))


def held(make):
    """(object, bytes it holds): gc.mem_alloc() after minus before make(), collected both times."""
    gc.collect()
    a0 = gc.mem_alloc()
    obj = make()
    gc.collect()
    return obj, gc.mem_alloc() - a0


def alloc_of(fn, n):
    """Bytes allocated by n calls of fn(), the collector off."""
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    for _ in range(n):
        fn()
    a = gc.mem_alloc() - a0
    gc.enable()
    return a


def locked_ok(fn, n):
    """True if n calls of fn() run under micropython.heap_lock() (nothing allocated)."""
    gc.collect()
    micropython.heap_lock()
    try:
        for _ in range(n):
            fn()
        ok = True
    except MemoryError:
        ok = False
    micropython.heap_unlock()
    return ok


def timed(fn, n):
    """Microseconds of each of n calls of fn()."""
    ts = [0] * n
    gc.collect()
    for i in range(n):
        t0 = time.ticks_us()
        fn()
        ts[i] = time.ticks_diff(time.ticks_us(), t0)
    return ts


class Clock:
    """Display time for Pages.tick: FRAME_MS steps, GPS UTC seconds advancing with it."""

    def __init__(self, t0_s):
        self.t0 = t0_s
        self.ms = 0

    def step(self, p):
        self.ms += FRAME_MS
        return p.tick(FRAME_MS, self.t0 + self.ms // 1000)


def bench_display(repeats):
    import framebuf
    from trainctl import font_data
    from trainctl import route_data as R
    from trainctl.pages import Pages
    from trainctl.text import Font

    # RAM held at run time: font_data is imported (frozen on the board: its bytes stay in flash).
    font, font_b = held(lambda: Font(font_data))
    emit({"what": "font_ram", "bytes": font_b})
    p0, first_b = held(lambda: Pages(R, font, 128, 64))  # the first one also interns every glyph's str
    p1, oled_b = held(lambda: Pages(R, font, 128, 64))
    p2, ticker_b = held(lambda: Pages(R, font, 64, 16))
    emit({"what": "pages_ram", "first_128x64": first_b, "128x64": oled_b, "64x16": ticker_b,
          "rows_128x64": p1.rows, "rows_64x16": p2.rows})
    del p0, p1, p2

    st = State("K27", 480, 0, 1, 16, -1)  # under way from Beijing, next stop Tianjin
    for w, h, fmt, fmt_name in ((128, 64, framebuf.MONO_VLSB, "MONO_VLSB"), (64, 16, framebuf.MONO_HLSB,
                                                                             "MONO_HLSB")):
        size = "%dx%d" % (w, h)
        fb, fb_b = held(lambda w=w, h=h, fmt=fmt: framebuf.FrameBuffer(bytearray(w * h // 8), w, h, fmt))
        p = Pages(R, font, w, h)
        p.update(st)
        clk = Clock(T0)
        clk.step(p)
        _bench_render(p, fb, repeats, {"size": size, "format": fmt_name, "fb_bytes": fb_b})
        _bench_scroll(p, fb, clk, w, size)
        _bench_compose(p, st, repeats, size)
        del fb, p
    _bench_drivers(Pages, R, font, st, repeats)


def _bench_render(p, fb, repeats, info):
    """1. One page: the first screen of the rotation (zh), rendered whole again and again (render() alone would
    redraw only what changed since the last: nothing)."""

    def render(p=p, fb=fb):
        p.render(fb, True)

    render()
    d = stats(timed(render, repeats))
    d.update(info)
    d.update({"what": "render", "lines": [p.lines[r].width_px for r in range(p.rows)],
              "alloc_bytes": alloc_of(render, repeats), "alloc_calls": repeats,
              "locked_ok": locked_ok(render, repeats)})
    emit(d)


def _bench_scroll(p, fb, clk, w, size):
    """2. Scroll steps: DRIVE_S of display time in 40 ms ticks, rendering each changed frame. A scroll step = a tick
    that moved the scroll by 2 px on the same screen, plus its render (the rows that moved)."""

    def frame(p=p, fb=fb, clk=clk):
        if clk.step(p):
            p.render(fb)

    n_frames = DRIVE_S * 1000 // FRAME_MS
    steps = []
    frames = [0] * n_frames
    widest = 0
    gc.collect()
    for i in range(n_frames):
        before = (p.kind, p.lang, p.screen, p.scroll_px)
        t0 = time.ticks_us()
        frame()
        dt = time.ticks_diff(time.ticks_us(), t0)
        frames[i] = dt
        moved = p.scroll_px - before[3]
        if (p.kind, p.lang, p.screen) == before[:3] and 1 <= moved <= 2:
            steps.append(dt)
            widest = max(widest, p._over + w)
    d = stats(steps)
    d["frames"] = stats(frames)
    d.update({"what": "scroll", "size": size, "widest_px": widest,
              "alloc_bytes": alloc_of(frame, n_frames), "alloc_calls": n_frames,
              "locked_ok": locked_ok(frame, n_frames)})
    emit(d)


def _bench_compose(p, st, repeats, size):
    """3. Compose: update() with a new next stop (no alert): every line of the screen is recomposed."""
    sa = State("K27", 480, 0, 2, 16, -1)
    flip = [st, sa]
    k = [0]

    def compose(p=p, flip=flip, k=k):
        k[0] ^= 1
        p.update(flip[k[0]])

    compose()
    d = stats(timed(compose, repeats))
    d.update({"what": "compose", "size": size, "alloc_bytes": alloc_of(compose, repeats),
              "alloc_calls": repeats, "locked_ok": locked_ok(compose, repeats)})
    emit(d)


class _NullI2C:
    """A bus that accepts every write and records nothing."""

    def writeto(self, addr, buf, stop=True):
        return len(buf) + 1

    def writevto(self, addr, vector, stop=True):
        return 0


class _NullSPI:
    def write(self, buf):
        pass


def _null_cs(v):
    pass


def _displays():
    """(name, how, make) of the real drivers on null buses; an ssd1306 that does not import is reported."""
    try:
        import ssd1306
    except ImportError as e:
        ssd1306 = None
        emit({"what": "driver", "driver": "ssd1306", "error": "import ssd1306: %s" % e})
    from trainctl.max7219 import Max7219Chain

    displays = []
    if ssd1306 is not None:
        displays.append(("ssd1306", "SSD1306_I2C(128, 64, i2c)", lambda: ssd1306.SSD1306_I2C(128, 64, _NullI2C())))
    displays.append(("max7219", "Max7219Chain(spi, cs) (2 x 8 modules)", lambda: Max7219Chain(_NullSPI(), _null_cs)))
    return displays


def _bench_drivers(Pages, R, font, st, repeats):
    """4. The real drivers on buses that accept every write and record nothing."""
    for name, how, make in _displays():
        disp, disp_b = held(make)
        p = Pages(R, font, disp.width, disp.height)
        p.update(st)
        Clock(T0).step(p)

        def frame(p=p, disp=disp):
            p.render(disp)
            disp.show()

        frame()
        d = stats(timed(frame, repeats))
        d["show"] = stats(timed(disp.show, repeats))
        d.update({"what": "driver", "driver": name, "how": how, "size": "%dx%d" % (disp.width, disp.height),
                  "driver_bytes": disp_b, "alloc_bytes": alloc_of(frame, repeats), "alloc_calls": repeats,
                  "locked_ok": locked_ok(frame, repeats)})
        emit(d)


def font_import(module):
    """RAM held after importing module, collected before and after."""
    try:
        _, b = held(lambda: __import__(module))
    except MemoryError:
        return {"what": "fontimport", "module": module, "error": "MemoryError"}
    return {"what": "fontimport", "module": module, "bytes": b}


def main():
    mode = sys.argv[1]
    if mode == "display":
        bench_display(int(sys.argv[2]))
    elif mode == "fontimport":
        emit(font_import(sys.argv[2]))
    else:
        raise SystemExit("unknown mode " + mode)


main()
