"""Bitmap font lookup and drawing: code point -> glyph reference -> pixels in a framebuf.FrameBuffer.

A glyph reference (ref) is an int: 0 .. NARROW_N-1 for an 8x16 glyph, NARROW_N + i for the i-th
16x16 glyph; ref 0 is the missing-glyph box. The glyph data stays where the font module keeps it
(flash, when frozen); drawing copies one glyph into a 32-byte buffer and blits it: no allocation.
"""

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
