"""A line of display text as glyph references, composed without allocating and drawn clipped."""

import array


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

    def clear(self):
        self.n = 0
        self.width_px = 0
        self.dropped = 0
        self.missing = 0

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

    def add(self, s):
        for ch in s:
            self.add_cp(ord(ch))

    def add_2d(self, v):
        """Two decimal digits of 0 <= v < 100."""
        self.add_cp(48 + v // 10)
        self.add_cp(48 + v % 10)

    def draw(self, fb, x, y, right, inverse=False):
        """Draw with the first glyph at x; glyphs wholly left of 0 or right of `right` are skipped."""
        font = self.font
        refs = self.refs
        for i in range(self.n):
            ref = refs[i]
            w = font.width(ref)
            if x >= right:
                return
            if x + w > 0:
                font.draw(fb, ref, x, y, inverse)
            x += w
