"""Display text: a bitmap font and lines of glyphs, composed without allocating and drawn clipped.

Font: code point -> glyph reference -> pixels in a framebuf.FrameBuffer. A glyph reference (ref) is an int:
0 .. NARROW_N-1 for an 8x16 glyph, NARROW_N + i for the i-th 16x16 glyph; ref 0 is the missing-glyph box.
The glyph data stays where the font module keeps it (flash, when frozen or in a ROMFS); drawing copies one
glyph into a 32-byte buffer and blits it: no allocation.

Line: text comes as UTF-8 bytes, the route's text table (route_data.TEXT, by index) or a bytes literal. A
str is never iterated here: MicroPython interns every character of a str it iterates (objstrunicode.c), a
qstr each, for good.
"""

import array

import framebuf
from micropython import const

_W_NARROW = const(8)
_W_WIDE = const(16)


def _find(table, n, cp):
    """Index of cp in a table of n big-endian 2-byte code points, ascending; -1 if absent."""
    lo = 0
    hi = n - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        v = (table[2 * mid] << 8) | table[2 * mid + 1]
        if v < cp:
            lo = mid + 1
        elif v > cp:
            hi = mid - 1
        else:
            return mid
    return -1


class Font:
    """data: a generated font module (font_data) or any object with the same attributes."""

    def __init__(self, data):
        self.height = data.HEIGHT
        self.narrow_n = data.NARROW_N
        self.wide_n = data.WIDE_N
        self._ncp = data.NARROW_CP
        self._wcp = data.WIDE_CP
        self._nd = data.NARROW
        self._wd = data.WIDE
        self._nbuf = bytearray(self.height)
        self._wbuf = bytearray(2 * self.height)
        self._nfb = framebuf.FrameBuffer(self._nbuf, _W_NARROW, self.height, framebuf.MONO_HLSB)
        self._wfb = framebuf.FrameBuffer(self._wbuf, _W_WIDE, self.height, framebuf.MONO_HLSB)
        # Palette for drawing dark on light: glyph ink 1 -> colour 0, background 0 -> 1 (skipped as key).
        self._inv = framebuf.FrameBuffer(bytearray(1), 2, 1, framebuf.MONO_HLSB)
        self._inv.pixel(0, 0, 1)
        self._inv.pixel(1, 0, 0)

    def ref(self, cp):
        """Glyph reference of a code point; 0 (the box) when the font lacks it."""
        i = _find(self._ncp, self.narrow_n, cp)
        if i >= 0:
            return i
        i = _find(self._wcp, self.wide_n, cp)
        if i >= 0:
            return self.narrow_n + i
        return 0

    def width(self, ref):
        return _W_WIDE if ref >= self.narrow_n else _W_NARROW

    def draw(self, fb, ref, x, y, inverse=False):
        """Draw glyph ref with its top-left corner at (x, y); ink is colour 1, or 0 when inverse."""
        if ref >= self.narrow_n:
            src = self._wd
            buf = self._wbuf
            gfb = self._wfb
            o = (ref - self.narrow_n) * 2 * self.height
            n = 2 * self.height
        else:
            src = self._nd
            buf = self._nbuf
            gfb = self._nfb
            o = ref * self.height
            n = self.height
        for i in range(n):
            buf[i] = src[o + i]
        if inverse:
            fb.blit(gfb, x, y, 1, self._inv)
        else:
            fb.blit(gfb, x, y, 0)


def _at(route, i):
    """Start of text i in route.TEXT (i = TEXT_N: the end of the last)."""
    at = route.TEXT_AT
    return at[2 * i] | at[2 * i + 1] << 8


def text(route, i):
    """Text i of the route's table as a str (allocates: for logs and the console, not for frames)."""
    return str(route.TEXT[_at(route, i):_at(route, i + 1)], "utf-8")


def station_en(route, st):
    """English name of station st, '-' for none (the console's timeline, the crew service)."""
    return text(route, route.ST_TEXT + 4 * st + 2) if 0 <= st < route.STATION_N else "-"


class Line:
    """Up to cap glyphs. Compose with clear() and add*(); draw(fb, x, y) at any x (scrolling)."""

    def __init__(self, font, cap=48):
        self.font = font
        self.cap = cap
        self.refs = array.array("H", bytes(2 * cap))
        self.n = 0
        self.width_px = 0
        self.dropped = 0  # glyphs that did not fit (a test keeps every route string within cap)
        self.missing = 0  # code points the font lacks (drawn as a box)
        self.fixed_n = 0  # the first fixed_n glyphs (train number, time) never scroll
        self.fixed_px = 0

    def clear(self):
        self.n = 0
        self.width_px = 0
        self.dropped = 0
        self.missing = 0
        self.fixed_n = 0
        self.fixed_px = 0

    def fix(self):
        """What the line holds so far is a fixed field: drawn at the left edge, never scrolled."""
        self.fixed_n = self.n
        self.fixed_px = self.width_px

    def add_cp(self, cp):
        if self.n >= self.cap:
            self.dropped += 1
            return
        ref = self.font.ref(cp)
        if ref == 0:
            self.missing += 1
        self.refs[self.n] = ref
        self.n += 1
        self.width_px += self.font.width(ref)

    def add(self, b, i=0, end=-1):
        """UTF-8 bytes b[i:end] (end -1: to the end); a broken sequence shows as the missing-glyph box."""
        if end < 0:
            end = len(b)
        while i < end:
            c = b[i]
            if c < 0x80:
                n = 0
            elif 0xC0 <= c < 0xE0:
                n = 1
                c &= 0x1F
            elif 0xE0 <= c < 0xF0:
                n = 2
                c &= 0x0F
            elif 0xF0 <= c < 0xF8:
                n = 3
                c &= 0x07
            else:  # a continuation byte where a character should start
                n = -1
            i += 1
            k = 0
            while 0 <= k < n:
                if i >= end or b[i] & 0xC0 != 0x80:
                    n = -1
                else:
                    c = c << 6 | b[i] & 0x3F
                    i += 1
                    k += 1
            self.add_cp(0 if n < 0 else c)

    def add_text(self, route, i):
        """Text i of the route's table (route_data.TEXT)."""
        self.add(route.TEXT, _at(route, i), _at(route, i + 1))

    def add_2d(self, v):
        """Two decimal digits of 0 <= v < 100."""
        self.add_cp(48 + v // 10)
        self.add_cp(48 + v % 10)

    def draw(self, fb, x, y, right, inverse=False):
        """Draw the fixed field at the left edge and the rest from fixed_px + x (x <= 0: scrolled left), clipped
        to [fixed_px, right): glyphs wholly outside are skipped, one cut by the fixed field's edge is painted
        over. The row's background must be filled already (render() does)."""
        font = self.font
        refs = self.refs
        fx = self.fixed_px
        nf = self.fixed_n
        cx = fx + x
        cut = False
        for i in range(nf, self.n):
            ref = refs[i]
            w = font.width(ref)
            if cx >= right:
                break
            if cx + w > fx:
                if cx < fx:
                    cut = True
                font.draw(fb, ref, cx, y, inverse)
            cx += w
        if nf:
            if cut:
                fb.fill_rect(0, y, fx, font.height, 1 if inverse else 0)
            cx = 0
            for i in range(nf):
                ref = refs[i]
                if cx >= right:
                    return
                font.draw(fb, ref, cx, y, inverse)
                cx += font.width(ref)
