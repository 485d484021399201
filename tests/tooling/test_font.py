"""The font subset: regenerated identically, covers every string the display can show, draws glyphs."""

import subprocess
import sys

import pytest
from hyp import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from mp.mp import REPO

from host_tools.build import font as gen_font
from host_tools.build import route as gen_route

SRC = REPO / "routes" / "beijing-pyongyang.json"
OUT = REPO / "firmware" / "trainctl" / "font_data.py"
CMD = "python -m host_tools.build.font routes/beijing-pyongyang.json firmware/trainctl/font_data.py"


def _unifont():
    try:
        open(gen_font.UNIFONT_HEX).close()
    except OSError:
        pytest.fail("GNU Unifont is missing: `make test` installs it (apt-get install unifont)")


def _all_strings():
    route = gen_route.load(str(SRC))
    return gen_font.route_strings(route) + gen_font.ui_strings()


def test_committed_font_module_is_regenerated_identically():
    _unifont()
    glyphs = gen_font.read_unifont(gen_font.UNIFONT_HEX, gen_font.needed_code_points(_all_strings()))
    text = gen_font.render(glyphs, "routes/beijing-pyongyang.json", CMD, gen_font.unifont_name(gen_font.UNIFONT_HEX))
    assert OUT.read_text() == text, "font_data.py is stale: run `make route` and commit it"


def test_header_names_generator_command_and_font():
    head = OUT.read_text().splitlines()[:5]
    assert "host_tools/build/font.py" in head[1] and head[2] == "# Command: " + CMD
    assert "GNU Unifont" in head[3] and "Open Font License" in head[4]


def test_every_display_string_has_its_glyphs():
    from trainctl import font_data, route_data
    from trainctl.text import Font, text

    f = Font(font_data)
    strings = _all_strings()
    assert "平壤" in strings and "조중친선다리" in strings and "Sinanju" in strings
    for s in strings:
        missing = [c for c in s if f.ref(ord(c)) == 0]
        assert not missing, "no glyph for %r in %r" % (missing, s)
    # The generated route module and the source agree, so the firmware's own tables are covered too.
    for i in range(len(route_data.TEXT_AT) // 2 - 1):
        assert all(f.ref(ord(c)) != 0 for c in text(route_data, i)), i


def test_a_new_station_name_needs_regeneration(tmp_path):
    """A route string outside the committed font is caught: the check above would fail for it."""
    from trainctl import font_data
    from trainctl.text import Font

    f = Font(font_data)
    assert f.ref(ord("鸭")) == 0  # 鸭绿江 (Yalu) is in no station name
    route = gen_route.load(str(SRC))
    route["stations"][0]["zh"] = "鸭绿江"
    _unifont()
    glyphs = gen_font.read_unifont(gen_font.UNIFONT_HEX, gen_font.needed_code_points(gen_font.route_strings(route)))
    assert ord("鸭") in glyphs and len(glyphs[ord("鸭")]) == 32


def test_font_size_targets():
    from trainctl import font_data as d

    total = len(d.NARROW_CP) + len(d.NARROW) + len(d.WIDE_CP) + len(d.WIDE)
    assert total < 16 * 1024
    assert len(d.NARROW) == 16 * d.NARROW_N and len(d.WIDE) == 32 * d.WIDE_N
    assert len(d.NARROW_CP) == 2 * d.NARROW_N and len(d.WIDE_CP) == 2 * d.WIDE_N
    for table, n in ((d.NARROW_CP, d.NARROW_N), (d.WIDE_CP, d.WIDE_N)):
        cps = [table[2 * i] << 8 | table[2 * i + 1] for i in range(n)]
        assert cps == sorted(set(cps))


def test_lookup_matches_a_linear_scan():
    from trainctl import font_data as d
    from trainctl.text import Font

    f = Font(d)
    narrow = [d.NARROW_CP[2 * i] << 8 | d.NARROW_CP[2 * i + 1] for i in range(d.NARROW_N)]
    wide = [d.WIDE_CP[2 * i] << 8 | d.WIDE_CP[2 * i + 1] for i in range(d.WIDE_N)]
    for cp in list(range(0x3000)) + list(range(0xAC00, 0xD7A4)) + [0xFFFF]:
        want = narrow.index(cp) if cp in narrow else (d.NARROW_N + wide.index(cp) if cp in wide else 0)
        if cp == 0:
            want = 0
        assert f.ref(cp) == want, hex(cp)


def test_glyph_pixels_are_unifonts():
    """The drawn 'A' and '평' are the Unifont bitmaps, read independently from the .hex file."""
    import framebuf
    from trainctl import font_data
    from trainctl.text import Font

    _unifont()
    want = gen_font.read_unifont(gen_font.UNIFONT_HEX, [ord("A"), ord("평")])
    f = Font(font_data)
    for ch, w in (("A", 8), ("평", 16)):
        buf = bytearray(32 * 20 // 8)
        fb = framebuf.FrameBuffer(buf, 32, 20, framebuf.MONO_HLSB)
        ref = f.ref(ord(ch))
        assert f.width(ref) == w
        f.draw(fb, ref, 3, 2)
        g = want[ord(ch)]
        bpr = w // 8
        for y in range(20):
            for x in range(32):
                gx, gy = x - 3, y - 2
                ink = 0
                if 0 <= gx < w and 0 <= gy < 16:
                    ink = (g[gy * bpr + gx // 8] >> (7 - gx % 8)) & 1
                assert fb.pixel(x, y) == ink, (ch, x, y)


def test_missing_glyph_is_a_visible_box_not_a_crash():
    import framebuf
    from trainctl import font_data
    from trainctl.text import Font, Line

    f = Font(font_data)
    ln = Line(f)
    ln.add("A☃B".encode())  # U+2603 is not in the subset
    assert ln.n == 3 and ln.missing == 1 and ln.refs[1] == 0 and ln.width_px == 24
    buf = bytearray(32 * 16 // 8)
    fb = framebuf.FrameBuffer(buf, 32, 16, framebuf.MONO_HLSB)
    ln.draw(fb, 0, 0, 32)
    box = [[fb.pixel(8 + x, y) for x in range(8)] for y in range(16)]
    assert sum(map(sum, box)) >= 30  # an outline: the two sides and the top and bottom rows
    assert box[2] == [0, 1, 1, 1, 1, 1, 1, 0] and box[7][1] == 1 and box[7][6] == 1


def test_cli_reports_a_missing_unifont_clearly(tmp_path):
    p = subprocess.run([sys.executable, "-m", "host_tools.build.font", str(SRC), "--hex", str(tmp_path / "nope.hex")],
                       cwd=REPO, capture_output=True, text=True)
    assert p.returncode == 2 and "apt-get install unifont" in p.stderr and "Traceback" not in p.stderr


class _CodePointFont:
    """A stand-in font whose glyph reference is the code point itself (0, the box, beyond 16 bits)."""

    height = 16

    def ref(self, cp):
        return cp if cp < 0x10000 else 0

    def width(self, ref):
        return 8


@given(st.text(max_size=40))
@settings(max_examples=examples(300))
def test_line_decodes_utf8_as_python_does(s):
    from trainctl.text import Line

    ln = Line(_CodePointFont(), cap=64)
    ln.add(s.encode("utf-8"))
    assert list(ln.refs[:ln.n]) == [ord(c) if ord(c) < 0x10000 else 0 for c in s]


@given(st.binary(max_size=60))
@settings(max_examples=examples(300))
def test_line_survives_any_bytes(b):
    """Broken UTF-8 (a stray continuation byte, a cut sequence) shows as boxes; nothing raises."""
    from trainctl.text import Line

    ln = Line(_CodePointFont(), cap=64)
    ln.add(b)
    assert ln.n <= len(b)
    try:
        text = b.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert list(ln.refs[:ln.n]) == [ord(c) if ord(c) < 0x10000 else 0 for c in text]
