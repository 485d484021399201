"""host_tools/hostlib/framebuf.py (CPython stand-in) against the real framebuf of the MicroPython unix port.

The same driver script (DRIVER below) runs the same drawing cases in both interpreters: in-process on
CPython with the shim, and as one `micropython` process for a whole batch of cases. Buffers start
with pseudo-random bytes, so untouched padding bits, stride gaps and bytes past the end are compared
too. Hypothesis draws the cases; a mismatch names the first differing case and the op after which
the two buffers part (a crc32 is taken after every op).
"""

import contextlib
import io
import json

import framebuf  # the shim (host_tools/hostlib, installed by `make venv`)
import pytest
from hyp import examples
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mp.mp import REPO, ToolMissing, run_unix

HOSTLIB = REPO / "host_tools" / "hostlib"

MONO = (framebuf.MONO_VLSB, framebuf.MONO_HLSB, framebuf.MONO_HMSB)
ALL_FORMATS = MONO + (framebuf.RGB565, framebuf.GS8, framebuf.GS4_HMSB, framebuf.GS2_HMSB)
BPP = {framebuf.MONO_VLSB: 1, framebuf.MONO_HLSB: 1, framebuf.MONO_HMSB: 1, framebuf.GS2_HMSB: 2,
       framebuf.GS4_HMSB: 4, framebuf.GS8: 8, framebuf.RGB565: 16}

# Runs unchanged on CPython and MicroPython: builds the framebuffers of each case, applies its ops,
# returns [pixel reads, crc32 after each op, method calls seen by a subclass, hex of the whole buffer].
DRIVER = r'''
import binascii
import json
import sys

import framebuf

ALIGN = {0: 1, 1: 1, 2: 2, 3: 8, 4: 8, 5: 4, 6: 1}
BPP = {0: 1, 1: 16, 2: 4, 3: 1, 4: 1, 5: 2, 6: 8}


def noise(seed, n):
    out = bytearray(n)
    x = (seed & 0xFFFFFFFF) | 1
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return out


def min_len(fmt, w, h, stride):
    a = ALIGN[fmt]
    stride = (stride + a - 1) // a * a
    if fmt == 0:
        return ((h + 7) // 8 - 1) * stride + w
    return ((h - 1) * stride + (w + a - 1) // a * a) * BPP[fmt] // 8


class Sub(framebuf.FrameBuffer):
    """A driver-style subclass that counts the public calls it receives."""

    def __init__(self, buf, w, h, fmt, stride):
        self.width = w
        self.height = h
        self.buffer = buf
        self.calls = {}
        if stride is None:
            super().__init__(buf, w, h, fmt)
        else:
            super().__init__(buf, w, h, fmt, stride)

    def _count(self, name):
        self.calls[name] = self.calls.get(name, 0) + 1

    def pixel(self, *a):
        self._count("pixel")
        return super().pixel(*a)

    def fill_rect(self, *a):
        self._count("fill_rect")
        return super().fill_rect(*a)

    def hline(self, *a):
        self._count("hline")
        return super().hline(*a)

    def vline(self, *a):
        self._count("vline")
        return super().vline(*a)

    def line(self, *a):
        self._count("line")
        return super().line(*a)


def make(spec, sub=False, pre=0):
    fmt, w, h, stride, seed, extra = spec
    n = min_len(fmt, w, h, w if stride is None else stride) + extra
    store = noise(seed, pre + n)
    buf = memoryview(store)[pre:] if pre else store
    if sub:
        fb = Sub(buf, w, h, fmt, stride)
    elif stride is None:
        fb = framebuf.FrameBuffer(buf, w, h, fmt)
    else:
        fb = framebuf.FrameBuffer(buf, w, h, fmt, stride)
    return fb, store


def as_tuple(spec, store):
    fmt, w, h, stride = spec[0], spec[1], spec[2], spec[3]
    if stride is None:
        return (bytes(store), w, h, fmt)
    return (bytes(store), w, h, fmt, stride)


def run_case(case):
    fb, store = make(case["dst"], case["sub"], case["pre"])
    src, src_store = make(case["src"])
    pal = pal_fb = None
    if case["pal"] is not None:
        pal_fb, pal_store = make(case["pal"])
        pal = pal_fb
        if case["pal_tuple"]:
            pal = as_tuple(case["pal"], pal_store)
    reads = []
    crcs = []
    for op in case["ops"]:
        name = op[0]
        a = op[1:]
        if name == "get":
            reads.append(fb.pixel(a[0], a[1]))
        elif name == "pixel":
            fb.pixel(a[0], a[1], a[2])
        elif name == "fill":
            fb.fill(a[0])
        elif name == "hline":
            fb.hline(a[0], a[1], a[2], a[3])
        elif name == "vline":
            fb.vline(a[0], a[1], a[2], a[3])
        elif name == "fill_rect":
            fb.fill_rect(a[0], a[1], a[2], a[3], a[4])
        elif name == "rect":
            if a[5] is None:
                fb.rect(a[0], a[1], a[2], a[3], a[4])
            else:
                fb.rect(a[0], a[1], a[2], a[3], a[4], a[5])
        elif name == "line":
            fb.line(a[0], a[1], a[2], a[3], a[4])
        elif name == "scroll":
            fb.scroll(a[0], a[1])
        elif name == "blit":
            which, x, y, key, use_pal = a
            if which == "self":
                s = fb
            elif which == "tuple":
                s = as_tuple(case["src"], src_store)
            else:
                s = src
            if isinstance(key, list):  # ["pal", k]: the colour palette entry k maps to
                key = pal_fb.pixel(key[1], 0) if pal_fb is not None else key[1]
            if use_pal and pal is not None and not (which == "self" and case["dst"][0] == 1):  # 1: RGB565
                fb.blit(s, x, y, -1 if key is None else key, pal)
            elif key is None:
                fb.blit(s, x, y)
            else:
                fb.blit(s, x, y, key)
        else:
            raise ValueError(name)
        crcs.append(binascii.crc32(store))
    calls = sorted(fb.calls.items()) if case["sub"] else []
    return [reads, crcs, calls, binascii.hexlify(store).decode()]


def construct(args):
    kind, fmt, w, h, stride, n = args
    buf = bytes(n) if kind == "bytes" else bytearray(n)
    try:
        if stride is None:
            framebuf.FrameBuffer(buf, w, h, fmt)
        else:
            framebuf.FrameBuffer(buf, w, h, fmt, stride)
    except Exception as e:
        return [type(e).__name__, [str(x) for x in e.args]]
    return "ok"


def main(path, what):
    with open(path) as f:
        items = json.load(f)
    fn = run_case if what == "cases" else construct
    for item in items:
        print(json.dumps(fn(item)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
'''

_driver_ns = {"__name__": "fb_driver"}
exec(compile(DRIVER, "fb_driver", "exec"), _driver_ns)


def _cpython(fn, items):
    """The driver's fn over items with the shim, normalised through JSON like the MicroPython output."""
    return [json.loads(json.dumps(_driver_ns[fn](it))) for it in items]


def _micropython(tmp_path, what, items):
    script = tmp_path / "fb_driver.py"
    script.write_text(DRIVER)
    data = tmp_path / ("%s.json" % what)
    data.write_text(json.dumps(items))
    try:
        proc = run_unix(script, str(data), what, heap="16m", paths=(), timeout=120)
    except ToolMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(items), proc.stdout[-2000:]
    return out


def _assert_same(items, mp_out, cp_out):
    for item, m, c in zip(items, mp_out, cp_out):
        if m != c:
            reads_m, crcs_m, calls_m, _ = m
            reads_c, crcs_c, calls_c, _ = c
            bad = next((i for i, (a, b) in enumerate(zip(crcs_m, crcs_c)) if a != b), None)
            where = "after op %d %r" % (bad, item["ops"][bad]) if bad is not None else "reads/calls"
            raise AssertionError("shim differs from MicroPython %s\ncase: %s\nreads mp %s cp %s\ncalls mp %s cp %s"
                                 % (where, json.dumps(item), reads_m, reads_c, calls_m, calls_c))


# ---- strategies ---------------------------------------------------------------------------------

# a third of the colours are 0, so that mono drawing clears as often as it sets
COLOUR = st.one_of(st.just(0), st.sampled_from([1, 2, 3, -1, 15, 255, 256, 0xFFFF, 0x10000, 0x1FFFF]),
                   st.integers(-3, 70000))
SEED = st.integers(1, 2**31)


@st.composite
def fb_spec(draw, formats, max_w, max_h):
    fmt = draw(st.sampled_from(formats))
    w = draw(st.one_of(st.integers(1, 17), st.integers(1, max_w)))
    h = draw(st.one_of(st.integers(1, 13), st.integers(1, max_h)))
    stride = draw(st.one_of(st.none(), st.integers(w, w + 9)))
    return [fmt, w, h, stride, draw(SEED), draw(st.integers(0, 3))]


def _ops(w, h):
    """Drawing ops for a w x h target: coordinates over -20..150, and often near the target's edges."""
    def pick(*choices):  # one_of() favours its first choices; this draws each equally often
        return st.sampled_from(choices).flatmap(lambda s: s)

    anywhere = st.integers(-20, 150)
    inside_x, inside_y = st.integers(0, w - 1), st.integers(0, h - 1)
    size_w, size_h = st.integers(1, w), st.integers(1, h)
    xs = pick(inside_x, inside_x, inside_x, st.sampled_from((-1, w)), st.integers(-3, w + 1), anywhere)
    ys = pick(inside_y, inside_y, inside_y, st.sampled_from((-1, h)), st.integers(-3, h + 1), anywhere)
    ws = pick(size_w, size_w, size_w, size_w, st.integers(-2, w + 3), anywhere)
    hs = pick(size_h, size_h, size_h, size_h, st.integers(-2, h + 3), anywhere)
    key = st.one_of(st.none(), st.sampled_from([-1, 0, 1, 2, 3, 15]), st.integers(-2, 70000),
                    st.tuples(st.just("pal"), st.integers(0, 1)).map(list))
    op = st.one_of(
        st.tuples(st.just("pixel"), xs, ys, COLOUR),
        st.tuples(st.just("get"), xs, ys),
        st.tuples(st.just("hline"), xs, ys, ws, COLOUR),
        st.tuples(st.just("vline"), xs, ys, hs, COLOUR),
        st.tuples(st.just("fill_rect"), xs, ys, ws, hs, COLOUR),
        st.tuples(st.just("rect"), xs, ys, ws, hs, COLOUR, st.sampled_from([None, 0, 1])),
        st.tuples(st.just("line"), xs, ys, xs, ys, COLOUR),
        st.tuples(st.just("scroll"), pick(st.integers(-w - 2, w + 2), st.just(0)),
                  pick(st.integers(-h - 2, h + 2), st.just(0))),
        st.tuples(st.just("blit"), st.sampled_from(["src", "tuple", "self"]), xs, ys, key, st.booleans()),
        st.tuples(st.just("fill"), COLOUR),
    ).map(list)
    return st.lists(op, min_size=1, max_size=8)


@st.composite
def case(draw):
    dst = draw(fb_spec(MONO * 3 + ALL_FORMATS, 140, 70))  # the mono formats three times as often
    src = draw(fb_spec(ALL_FORMATS, 40, 30))
    pal = None
    if src[0] != framebuf.RGB565 and draw(st.booleans()):
        # every colour of src (and of dst, for blits of dst onto itself) must index the palette's
        # first row: C reads past it unchecked, the shim raises IndexError
        pal = draw(fb_spec(ALL_FORMATS, 1, 3))
        pal[1] = (1 << max(BPP[src[0]], 0 if dst[0] == framebuf.RGB565 else BPP[dst[0]])) + draw(st.integers(0, 3))
        pal[3] = None if draw(st.booleans()) else pal[1] + draw(st.integers(0, 5))
    return {"dst": dst, "src": src, "pal": pal, "pal_tuple": draw(st.booleans()), "sub": draw(st.booleans()),
            "pre": draw(st.sampled_from([0, 0, 1, 3])), "ops": draw(_ops(dst[1], dst[2]))}


# ---- the comparisons -----------------------------------------------------------------------------

CASES_PER_RUN = 25


# No shrink phase: every shrink step is a MicroPython run (a failure took 5 minutes to shrink);
# the failure message names the first differing case and the op after which the buffers part.
@settings(max_examples=examples(16), phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(case(), min_size=CASES_PER_RUN, max_size=CASES_PER_RUN))
def test_shim_draws_like_micropython(tmp_path_factory, cases):
    tmp_path = tmp_path_factory.mktemp("fb")
    _assert_same(cases, _micropython(tmp_path, "cases", cases), _cpython("run_case", cases))


def test_constructor_validation_like_micropython(tmp_path):
    """Accepted or not, and the exception, for every format (and an invalid one) over sizes and strides."""
    items, expect = [], []
    for fmt in ALL_FORMATS + (7, -1):
        for w in (1, 2, 7, 8, 9, 13):
            for h in (1, 7, 8, 9, 11):
                for stride in (None, w - 1, w + 1, w + 6):
                    need = _driver_ns["min_len"](fmt, w, h, w if stride is None else stride) if fmt in BPP else 9
                    for n in (need - 1, need):
                        if n >= 0:
                            items.append(["bytearray", fmt, w, h, stride, n])
                            valid = fmt in BPP and (stride is None or stride >= w)
                            expect.append("ok" if valid and n == need else None)
    items += [["bytes", framebuf.GS8, 4, 4, None, 16], ["bytearray", framebuf.GS8, 0, 4, None, 16],
              ["bytearray", framebuf.GS8, 4, 0, None, 16], ["bytearray", framebuf.GS8, 0x10000, 1, None, 16]]
    mp_out = _micropython(tmp_path, "construct", items)
    assert _cpython("construct", items) == mp_out
    # the buffer size MicroPython requires is exactly the driver's min_len: one byte less is refused
    assert [r if r == "ok" else None for r in mp_out[:len(expect)]] == expect
    assert mp_out[len(expect):] == [["TypeError", ["object with buffer protocol required"]]] + [["ValueError", []]] * 3


# ---- specific edge cases, with the output of MicroPython 1.29 written out --------------------------

EDGE = r'''
import framebuf


def rows(fb, w, h):
    for y in range(h):
        print("".join("#" if fb.pixel(x, y) else "." for x in range(w)))


def edge_blit_palette_key():
    # key is compared with the palette's output, not with the source value
    src = framebuf.FrameBuffer(bytearray([0b10110000]), 4, 1, framebuf.MONO_HLSB)
    pal = framebuf.FrameBuffer(bytearray([7, 9]), 2, 1, framebuf.GS8)
    dst = bytearray(4)
    fb = framebuf.FrameBuffer(dst, 4, 1, framebuf.GS8)
    fb.blit(src, 0, 0, 9, pal)
    print(list(dst))
    fb.blit(src, 0, 0, 1, pal)
    print(list(dst))
    fb.blit((bytes([0b01000000]), 4, 1, framebuf.MONO_HLSB), 0, 0, -1, (bytes([3, 5]), 2, 1, framebuf.GS8))
    print(list(dst))


def edge_blit_onto_itself_smears():
    buf = bytearray([3, 0, 0, 0, 0])
    fb = framebuf.FrameBuffer(buf, 5, 1, framebuf.GS8)
    fb.blit(fb, 1, 0)
    print(list(buf))
    buf[:] = bytes([0, 0, 1, 1, 0])
    pal = framebuf.FrameBuffer(bytearray([1, 0]), 2, 1, framebuf.GS8)  # swaps 0 and 1
    fb.blit(fb, 1, 0, 0, pal)  # key 0 skips source 1, which maps to 0
    print(list(buf))


def edge_scroll():
    buf = bytearray([1, 2, 3, 4, 5])
    fb = framebuf.FrameBuffer(buf, 5, 1, framebuf.GS8)
    fb.scroll(-2, 0)
    print(list(buf))
    buf[:] = bytes([1, 2, 3, 4, 5])
    fb.scroll(2, 0)
    print(list(buf))
    fb.scroll(5, 0)
    fb.scroll(-5, 0)
    print(list(buf))
    sq = bytearray(range(1, 10))
    fb = framebuf.FrameBuffer(sq, 3, 3, framebuf.GS8)
    fb.scroll(-1, -1)
    print(list(sq))
    fb.scroll(1, 2)
    print(list(sq))


def edge_line_shallow_steep():
    for x1, y1, x2, y2 in ((0, 0, 7, 2), (7, 2, 0, 0), (0, 0, 2, 7), (2, 7, 0, 0), (1, 1, 1, 1), (-5, -3, 9, 6)):
        fb = framebuf.FrameBuffer(bytearray(8), 8, 8, framebuf.MONO_HLSB)
        fb.line(x1, y1, x2, y2, 1)
        print(x1, y1, x2, y2)
        rows(fb, 8, 8)


def edge_pixel_get_out_of_range():
    fb = framebuf.FrameBuffer(bytearray(2 * 13 * 11), 13, 11, framebuf.RGB565)
    fb.pixel(12, 10, 0x12345)
    print(fb.pixel(12, 10), fb.pixel(-1, 0), fb.pixel(13, 0), fb.pixel(0, 11), fb.pixel(0, -1), fb.pixel(0, 0))
    print(fb.pixel(13, 0, 1), fb.pixel(5, 5, 1))


def edge_rect_degenerate():
    fb = framebuf.FrameBuffer(bytearray(8 * 3), 8, 3, framebuf.MONO_VLSB)
    fb.rect(4, 0, 0, 3, 1)  # w == 0 still draws the left and right sides: columns 4 and 3
    rows(fb, 8, 3)
    fb.fill(0)
    fb.rect(1, 0, 5, 3, 1, True)
    fb.rect(2, 1, 3, 1, 0)
    rows(fb, 8, 3)


def edge_colours_are_uint32():
    fb = framebuf.FrameBuffer(bytearray(4), 2, 2, framebuf.MONO_HMSB)
    fb.pixel(0, 0, 256)
    fb.pixel(1, 0, -1)
    fb.pixel(0, 1, 2)
    print(fb.pixel(0, 0), fb.pixel(1, 0), fb.pixel(0, 1), fb.pixel(1, 1))
    g = framebuf.FrameBuffer(bytearray(2), 2, 1, framebuf.GS8)
    g.pixel(0, 0, 256)
    g.pixel(1, 0, -1)
    print(g.pixel(0, 0), g.pixel(1, 0))


def edge_stride_and_padding():
    # 13 wide MONO_HLSB: stride rounds up to 16 pixels; bits 13..15 of each row are never touched
    buf = bytearray(b"\x00" * 6)
    fb = framebuf.FrameBuffer(buf, 13, 3, framebuf.MONO_HLSB)
    fb.fill(1)
    print(buf.hex() if hasattr(buf, "hex") else buf)
    buf2 = bytearray(b"\xff" * 4)
    fb = framebuf.FrameBuffer(buf2, 2, 11, framebuf.MONO_VLSB)
    fb.fill(0)
    print(list(buf2))


class Display(framebuf.FrameBuffer):
    def __init__(self, width, height):
        self.width = width
        self.height = height
        self.buffer = bytearray(((height + 7) // 8) * width)
        super().__init__(self.buffer, self.width, self.height, framebuf.MONO_VLSB)


def edge_driver_subclass():
    d = Display(5, 9)
    d.fill(1)
    d.hline(0, 8, 5, 0)
    print(d.width, d.height, list(d.buffer), d.pixel(4, 8), d.pixel(4, 7))


def edge_constructor_errors():
    for args in ((bytearray(21), 13, 11, framebuf.MONO_HLSB), (bytearray(22), 13, 11, framebuf.MONO_HLSB),
                 (bytes(22), 13, 11, framebuf.MONO_HLSB), (bytearray(100), 5, 5, 9), (bytearray(100), 5, 5, 0, 4),
                 (bytearray(100), 0, 5, 0)):
        try:
            framebuf.FrameBuffer(*args)
            print("ok")
        except (ValueError, TypeError) as e:
            print(type(e).__name__, e.args)


def main():
    for name in sorted(k for k in list(globals()) if k.startswith("edge_")):
        print("==", name[5:])
        globals()[name]()


if __name__ == "__main__":
    main()
'''

EDGE_EXPECTED = {
    'blit_onto_itself_smears': """\
[3, 3, 3, 3, 3]
[0, 1, 1, 1, 0]
""",
    'blit_palette_key': """\
[0, 7, 0, 0]
[9, 7, 9, 9]
[3, 5, 3, 3]
""",
    'colours_are_uint32': """\
1 1 1 0
0 255
""",
    'constructor_errors': """\
ValueError ()
ok
TypeError ('object with buffer protocol required',)
ValueError ('invalid format',)
ValueError ()
ValueError ()
""",
    'driver_subclass': """\
5 9 [255, 255, 255, 255, 255, 0, 0, 0, 0, 0] 0 1
""",
    'line_shallow_steep': """\
0 0 7 2
##......
..####..
......##
........
........
........
........
........
7 2 0 0
##......
..####..
......##
........
........
........
........
........
0 0 2 7
#.......
#.......
.#......
.#......
.#......
.#......
..#.....
..#.....
2 7 0 0
#.......
#.......
.#......
.#......
.#......
.#......
..#.....
..#.....
1 1 1 1
........
.#......
........
........
........
........
........
........
-5 -3 9 6
#.......
.#......
..##....
....##..
......#.
.......#
........
........
""",
    'pixel_get_out_of_range': """\
9029 None None None None 0
None None
""",
    'rect_degenerate': """\
...##...
...##...
...##...
.#####..
.#...#..
.#####..
""",
    'scroll': """\
[3, 4, 5, 4, 5]
[1, 2, 1, 2, 3]
[1, 2, 1, 2, 3]
[5, 6, 3, 8, 9, 6, 7, 8, 9]
[5, 6, 3, 8, 9, 6, 7, 5, 6]
""",
    'stride_and_padding': """\
fff8fff8fff8
[0, 0, 248, 248]
""",
}


@pytest.mark.parametrize("name", sorted(EDGE_EXPECTED))
def test_edge_case_on_shim(name):
    ns = {"__name__": "fb_edge"}
    exec(compile(EDGE, "fb_edge", "exec"), ns)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ns["edge_" + name]()
    assert out.getvalue() == EDGE_EXPECTED[name]


def test_edge_cases_on_micropython(tmp_path):
    """The expectations above are what the real framebuf prints."""
    script = tmp_path / "fb_edge.py"
    script.write_text(EDGE)
    proc = run_unix(script, paths=(), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = "".join("== %s\n%s" % (name, EDGE_EXPECTED[name]) for name in sorted(EDGE_EXPECTED))
    assert proc.stdout == expected


# ---- what only the shim does -------------------------------------------------------------------------


def test_text_is_not_provided():
    fb = framebuf.FrameBuffer(bytearray(8), 8, 8, framebuf.MONO_VLSB)
    with pytest.raises(NotImplementedError, match="own fonts"):
        fb.text("A", 0, 0, 1)


def test_keyword_arguments_are_refused_as_on_micropython():
    fb = framebuf.FrameBuffer(bytearray(8), 8, 8, framebuf.MONO_VLSB)
    with pytest.raises(TypeError):
        fb.rect(0, 0, 2, 2, 1, f=True)
    with pytest.raises(TypeError):
        framebuf.FrameBuffer(bytearray(8), 8, 8, framebuf.MONO_VLSB, stride=8)
    with pytest.raises(TypeError):
        fb.pixel(0, 0, None)  # mp_obj_get_int(None)


def test_shim_and_const_are_the_host_copies():
    import micropython

    assert framebuf.__file__ == str(HOSTLIB / "framebuf.py")
    assert micropython.const(0x3C) == 0x3C
    assert (framebuf.MONO_VLSB, framebuf.MONO_HLSB, framebuf.MONO_HMSB, framebuf.RGB565, framebuf.GS2_HMSB,
            framebuf.GS4_HMSB, framebuf.GS8, framebuf.MVLSB) == (0, 3, 4, 1, 5, 2, 6, 0)
