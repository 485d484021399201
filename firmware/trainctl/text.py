"""A line of display text as glyph references, composed without allocating and drawn clipped.

Text comes as UTF-8 bytes: the route's text table (route_data.TEXT, by index) or a bytes literal. A str is
never iterated here: MicroPython interns every character of a str it iterates (objstrunicode.c), a qstr
each, for good.
"""

import array


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
