"""Passenger pages: the controller's state as rotating trilingual screens, with alerts and scrolling.

Rotation: every language (route_data.LANGS: zh, ko, en) in turn, each as many screens as its lines
need on the display's rows of 16 px: train and route, the stop, the local time with its zone, and the
doors/WC slot when a status source is given. An arrival, a border crossing (clock change) and a
train-number change interrupt the rotation at once with an alert in all three languages, then the
rotation starts again. The train number and the time are fixed fields at the left of their lines; the rest of
a line wider than the display scrolls (2 px steps) after a pause. On a display of one or two rows, every screen
that would show no train number (its stop, doors/WC, arrival or border line) carries it as a fixed field, so
the number (once known) is never out of view for more than one screen. render() redraws only the rows that
changed since the last render (a scroll step: the scrolling rows).

Time enters as milliseconds since the last tick (dt_ms) and GPS UTC seconds: no clock is read here.
tick() and render() allocate nothing.
"""

from micropython import const

from .text import Line

# What a screen is (Pages.kind): the rotation, or an alert, highest priority last. Private constants, as every
# tuning value here (folded by the compiler); hosts read them as module attributes (CPython).
_ROTATE = const(0)
_ARRIVAL = const(1)
_BORDER = const(2)
_TRAIN = const(3)
_EN = const(2)  # index of English in LANGS: the train number follows "train" there
_GAP = const(b"  ")
# Fixed texts: their indexes in route_data.TEXT (host_tools/gen_route.py puts host_tools/ui_text.py's texts
# first, in its ORDER; tests/test_route_gen.py checks these); + lang for those in three languages.
_T_NEXT = const(0)
_T_AT = const(3)
_T_TERMINUS = const(6)
_T_ARRIVING = const(9)
_T_NOW_TRAIN = const(12)
_T_TRAIN = const(15)
_T_ARROW = const(18)
_T_NO_TIME = const(19)
_T_UNKNOWN = const(20)
_T_WAIT_GPS = const(36)
_T_CLOCK_FWD = const(39)
_T_CLOCK_BACK = const(42)
_T_FWD_END = const(45)
_T_BACK_END = const(48)
_T_HOURS = const(51)
_T_MINUTES = const(54)
_T_BORDER_CONTROL = const(57)
_T_STAY = const(60)
_T_DEPARTS = const(63)
_T_SCHED_ARR = const(66)


# Tuning in the units named: private constants, folded by the compiler (no name, no lookup in RAM).
_PAGE_MS = const(4000)  # a screen that needs no scrolling stays this long
_PAUSE_MS = const(1200)  # before and after scrolling
_SCROLL_PX_S = const(32)  # scrolling speed, pixels per second
_STEP_PX = const(2)  # scroll steps: 16 a second at 32 px/s (a frame every 62 ms is what the board holds)


class Pages:
    """route: route_data; font: text.Font; width/height of the display in pixels; status(line, lang):
    optional, composes the doors/WC line."""

    def __init__(self, route, font, width, height, status=None):
        self.route = route
        self.font = font
        self.width = width
        self.rows = min(4, height // font.height) or 1
        self.y0 = (height - self.rows * font.height) // 2
        self.lines = [Line(font) for _ in range(self.rows)]
        self.status = status
        self.nlang = len(route.LANGS)
        # What is shown (a copy of the controller's display state).
        self.train = None
        self.offset_min = None
        self.country = -1
        self.next_stop = -1
        self.destination = -1
        self.at_stop = -1
        self.step_min = 0  # the clock change of the last border alert, minutes (+60: forward 1 h)
        self._seen = False
        self.utc_s = -1
        self._ms = 0  # milliseconds since utc_s was last set
        self._minute = -1  # local minute of the day on screen, -1 none
        # Where the rotation is.
        self.pending = 0  # bit k: alert k waiting
        self.kind = _ROTATE
        self.lang = 0
        self.screen = 0
        self.phase_ms = 0
        self.dwell_ms = _PAGE_MS
        self.scroll_px = 0
        self._over = 0  # widest overflow of the screen's lines, px
        self._dirty = True
        self._rows = 0  # bit r: row r to redraw at the next render
        self._full = True  # the whole frame to redraw (new screen, alert colours)
        self._compose()

    # ---- input ---------------------------------------------------------------------------

    def update(self, c):
        """Take the display state of a controller (or any object with the same attributes)."""
        if self._seen:
            if c.train is not None and self.train is not None and c.train != self.train:
                self.pending |= 1 << _TRAIN
            if c.utc_offset_min is not None and self.offset_min is not None and c.utc_offset_min != self.offset_min:
                self.pending |= 1 << _BORDER
                self.step_min = c.utc_offset_min - self.offset_min
            if c.at_stop >= 0 and c.at_stop != self.at_stop and self.train is not None:  # not at start-up
                self.pending |= 1 << _ARRIVAL
        self._seen = True
        self.train = c.train
        self.offset_min = c.utc_offset_min
        self.country = c.country
        self.next_stop = c.next_stop
        self.destination = c.destination
        self.at_stop = c.at_stop
        top = self._top_pending()
        if top > self.kind:
            self._start(top, 0)
        else:
            self._compose()

    def refresh(self):
        """Recompose the screen shown (the doors/WC status changed); no allocation."""
        self._compose()

    def tick(self, dt_ms, utc_s):
        """Advance by dt_ms; utc_s is the GPS time of the latest fix (-1 none). True if the frame changed."""
        if utc_s != self.utc_s:
            if self.utc_s < 0 and self.train is None:  # the first GPS time: no longer "waiting for GPS"
                self._dirty = True
                self.screen = 0
                self.utc_s = utc_s
                self._compose()
            self.utc_s = utc_s
            self._ms = 0
        else:
            self._ms += dt_ms
            if self._ms > 3600000:  # no new fix for an hour: keep counting in seconds
                self.utc_s += self._ms // 1000
                self._ms %= 1000
        m = self.local_minute()
        if m != self._minute:
            self._minute = m
            self._compose()
        self.phase_ms += dt_ms
        if self.phase_ms >= self.dwell_ms:
            self._next_screen()
        s = (self.phase_ms - _PAUSE_MS) * _SCROLL_PX_S // 1000 // _STEP_PX * _STEP_PX
        if s < 0:
            s = 0
        elif s > self._over:
            s = self._over
        if s != self.scroll_px:
            w = self.width
            for r in range(self.rows):
                o = self.lines[r].width_px - w  # a row moves while its own overflow is not scrolled off yet
                if o > 0 and (s if s < o else o) != (self.scroll_px if self.scroll_px < o else o):
                    self._rows |= 1 << r
                    self._dirty = True
            self.scroll_px = s
        d = self._dirty
        self._dirty = False
        return d

    def local_minute(self):
        """Local minute of the day (0..1439), -1 when the time or the zone is unknown."""
        if self.utc_s < 0 or self.offset_min is None:
            return -1
        return ((self.utc_s + self._ms // 1000) // 60 + self.offset_min) % 1440

    # ---- output --------------------------------------------------------------------------

    def render(self, fb, full=False):
        """Draw into fb what changed since the last render (full: all; same fb each time). Returns the 8-pixel
        bands (SSD1306 pages) drawn, as a bit mask."""
        inv = self.kind != _ROTATE and self.rows > 1  # alerts dark on light, on displays of 2 rows or more
        bg = 1 if inv else 0
        rows = self._rows
        whole = full or self._full
        bands = 0
        if whole:
            fb.fill(bg)
            rows = (1 << self.rows) - 1
            bands = (1 << (self.rows * self.font.height + 2 * self.y0 + 7) // 8) - 1
        self._full = False
        self._rows = 0
        h = self.font.height
        y = self.y0
        if self.kind != _ROTATE and self.rows > 2:
            y += (self.rows - 2) * h // 2  # an alert's two lines in the middle
        w = self.width
        for r in range(self.rows):
            if not rows & (1 << r):
                continue
            ln = self.lines[r]
            if not whole:
                fb.fill_rect(0, y + r * h, w, h, bg)
                for b in range((y + r * h) // 8, (y + r * h + h + 7) // 8):
                    bands |= 1 << b
            over = ln.width_px - w
            x = 0
            if over > 0:
                x = -(self.scroll_px if self.scroll_px < over else over)
            ln.draw(fb, x, y + r * h, w, inv)
        return bands

    # ---- rotation ------------------------------------------------------------------------

    def _top_pending(self):
        for k in (_TRAIN, _BORDER, _ARRIVAL):
            if self.pending & (1 << k):
                return k
        return _ROTATE

    def _start(self, kind, lang):
        if kind != _ROTATE:
            self.pending &= ~(1 << kind)
            if kind == _ARRIVAL and self.at_stop < 0:  # departed before it could be shown
                self._start(self._top_pending(), 0)
                return
        self.kind = kind
        self.lang = lang
        self.screen = 0
        self.phase_ms = 0
        self.scroll_px = 0
        self._compose()

    def _base(self):
        """The rotation's own lines: 'waiting for GPS' (before the first GPS time, the number unknown) or route,
        stop and time; the status line when there is one."""
        n = 1 if self.train is None and self.utc_s < 0 else 3
        return n + (self.status is not None)

    def _n_lines(self):
        if self.kind != _ROTATE:
            return 2
        base = self._base()
        m = self._more()
        n = base + (m & 1)
        if m > 1:  # the border page starts a screen of its own
            n = (n + self.rows - 1) // self.rows * self.rows + (m >> 1)
        return n

    def _more(self):
        """Lines after the rotation's own: bit 0 the destination's arrival time (where sourced), then the border
        page's lines << 1 (2, 3 with a sourced departure) while standing at a border station."""
        r = self.route
        m = 0
        d = self.destination
        if d >= 0 and self.at_stop != d and self._sched(r.ARR_MIN, d) >= 0:
            m = 1
        at = self.at_stop
        if at >= 0 and at in r.BORDER_ST:
            m |= (3 if self._sched(r.DEP_MIN, at) >= 0 else 2) << 1
        return m

    def _sched(self, table, st):
        """The timetable's local minute at station st in the direction shown (DEP_MIN/ARR_MIN), -1 none."""
        d = self.destination
        if d < 0:
            return -1
        return table[0 if d == self.route.STATION_N - 1 else 1][st]

    def _next_screen(self):
        self.phase_ms = 0
        self.scroll_px = 0
        self.screen += 1
        if self.screen * self.rows < self._n_lines():
            self._compose()
            return
        self.screen = 0
        self.lang += 1
        if self.lang < self.nlang:
            self._compose()
            return
        self._start(self._top_pending(), 0)

    def _compose(self):
        n = self._n_lines()
        over = 0
        for r in range(self.rows):
            ln = self.lines[r]
            ln.clear()
            k = self.screen * self.rows + r
            if k < n:
                self._line(ln, k)
            if ln.width_px - self.width > over:
                over = ln.width_px - self.width
        self._over = over
        self._full = True
        self.dwell_ms = _PAGE_MS
        if over > 0:
            d = 2 * _PAUSE_MS + over * 1000 // _SCROLL_PX_S
            if d > self.dwell_ms:
                self.dwell_ms = d
        self._dirty = True

    # ---- the lines -----------------------------------------------------------------------

    def _line(self, ln, k):
        lang = self.lang
        kind = self.kind
        r = self.route
        few = self.rows < 3  # a screen of one or two lines: the route line is not in view with this one
        if kind == _ROTATE:
            base = self._base()
            if k >= base:
                self._more_line(ln, k, k % self.rows == 0 or few, lang)
            elif base < 3 and k == 0:
                ln.add_text(r, _T_WAIT_GPS + lang)
            elif base < 3:
                self.status(ln, lang)
            elif k == 0:
                self._route_line(ln, lang)
            elif k == 1:
                if few:
                    self._lead(ln)
                self._stop_line(ln, lang)
            elif k == 2:
                self._time_line(ln, lang)
            elif self.status is not None:
                if few:
                    self._lead(ln)
                self.status(ln, lang)
        elif kind == _ARRIVAL:
            if k == 0:
                self._lead(ln)
                ln.add_text(r, _T_ARRIVING + lang)
                ln.add(_GAP)
                self._station(ln, self.at_stop, lang)
            elif self.at_stop == self.destination or self.next_stop < 0:
                self._time_line(ln, lang)
            else:
                if few:
                    self._lead(ln)
                self._named(ln, _T_NEXT, self.next_stop, lang)
        elif kind == _BORDER:
            if k == 0:
                self._lead(ln)
                self._clock_step(ln, lang)
            else:
                self._time_line(ln, lang)
        else:  # _TRAIN
            if k == 0:
                ln.add_text(r, _T_NOW_TRAIN + lang)
                ln.add(b" ")
                if lang == _EN:
                    ln.add_text(r, _T_TRAIN + lang)
                    ln.add(b" ")
                    self._train(ln)
                else:
                    self._train(ln)
                    ln.add(b" ")
                    ln.add_text(r, _T_TRAIN + lang)
            else:
                self._leg_line(ln, lang)

    def _clock_step(self, ln, lang):
        """'Clocks forward 1 h' (zh 时钟拨快1小时, ko 시계 1시간 앞당김), or back, or in minutes."""
        r = self.route
        m = self.step_min
        fwd = m > 0
        if not fwd:
            m = -m
        ln.add_text(r, (_T_CLOCK_FWD if fwd else _T_CLOCK_BACK) + lang)
        v = m if m % 60 else m // 60
        if v >= 10:
            ln.add_cp(48 + v // 10 % 10)
        ln.add_cp(48 + v % 10)
        ln.add_text(r, (_T_MINUTES if m % 60 else _T_HOURS) + lang)
        ln.add_text(r, (_T_FWD_END if fwd else _T_BACK_END) + lang)

    def _more_line(self, ln, k, lead, lang):
        """Line k of the rotation past its own (_base()): the arrival time, the border page; lead: the number as
        a fixed field first."""
        r = self.route
        base = self._base()
        m = self._more()
        if k == base and m & 1:  # '正点到达  平壤 18:07 平壤时间'
            if lead:
                self._lead(ln)
            d = self.destination
            ln.add_text(r, _T_SCHED_ARR + lang)
            ln.add(_GAP)
            self._station(ln, d, lang)
            self._hhmm_zone(ln, self._sched(r.ARR_MIN, d), d, lang)
            return
        i = k - (self._n_lines() - (m >> 1))  # line of the border page
        if i < 0:
            return  # the rest of the screen before the border page: blank
        if lead:
            self._lead(ln)
        if i == 0:
            ln.add_text(r, _T_BORDER_CONTROL + lang)
        elif i == 1:
            ln.add_text(r, _T_STAY + lang)
        else:  # '开车 10:00 北京时间'
            ln.add_text(r, _T_DEPARTS + lang)
            self._hhmm_zone(ln, self._sched(r.DEP_MIN, self.at_stop), self.at_stop, lang)

    def _hhmm_zone(self, ln, m, st, lang):
        """' 10:00 北京时间': minute of the day m, in the zone of station st's country."""
        r = self.route
        ln.add(b" ")
        ln.add_2d(m // 60)
        ln.add_cp(58)  # ':'
        ln.add_2d(m % 60)
        ln.add(b" ")
        ln.add_text(r, r.ZONE_TEXT + 3 * r.ST_COUNTRY[st] + lang)

    def _lead(self, ln):
        """The train number as the line's fixed field, once known."""
        if self.train is not None:
            self._train(ln)
            ln.add(b" ")
            ln.fix()

    def _station(self, ln, st, lang):
        r = self.route
        ln.add_text(r, r.ST_TEXT + 4 * st + lang)

    def _named(self, ln, label, st, lang):
        """label: the first of a text's three languages (_T_NEXT...)."""
        r = self.route
        ln.add_text(r, label + lang)
        ln.add(_GAP)
        if st >= 0:
            self._station(ln, st, lang)
        else:
            ln.add_text(r, _T_UNKNOWN)

    def _leg(self):
        """(direction * LEGS + leg) of the train shown, -1 if the route has no such train."""
        tr = self.route.TRAIN
        for d in range(len(tr)):
            for leg in range(len(tr[d])):
                if tr[d][leg] == self.train:
                    return d * self.route.LEGS + leg
        return -1

    def _train(self, ln):
        """The train number shown ('--' if the route lacks it); returns its _leg()."""
        k = self._leg()
        r = self.route
        ln.add_text(r, r.TRAIN_TEXT + k if k >= 0 else _T_UNKNOWN)
        return k

    def _route_line(self, ln, lang):
        r = self.route
        if self.train is None:
            ln.add_text(r, _T_UNKNOWN)
            return
        self._train(ln)
        ln.add(b" ")
        ln.fix()
        d = self.destination
        if d >= 0:
            self._station(ln, r.STATION_N - 1 - d, lang)  # the coaches run end to end
            ln.add_text(r, _T_ARROW)
            self._station(ln, d, lang)

    def _leg_line(self, ln, lang):
        """The current train's own run: '95  丹东 → 新义州'."""
        k = self._train(ln)
        ln.add(b" ")
        ln.fix()
        if k < 0:
            return
        r = self.route
        d = k // r.LEGS
        leg = k % r.LEGS
        ends = r.LEG_END
        start = ends[d][leg - 1] if leg > 0 else (0 if d == 0 else r.STATION_N - 1)
        self._station(ln, start, lang)
        ln.add_text(r, _T_ARROW)
        self._station(ln, ends[d][leg], lang)

    def _stop_line(self, ln, lang):
        at = self.at_stop
        if at >= 0:
            self._named(ln, _T_TERMINUS if at == self.destination else _T_AT, at, lang)
        else:
            self._named(ln, _T_NEXT, self.next_stop, lang)

    def _time_line(self, ln, lang):
        """'17:26 北京时间': the time is a fixed field; the zone scrolls if it must."""
        m = self.local_minute()
        r = self.route
        if m < 0:
            ln.add_text(r, _T_NO_TIME)
        else:
            ln.add_2d(m // 60)
            ln.add_cp(58)  # ':'
            ln.add_2d(m % 60)
        if self.country >= 0:
            ln.add(b" ")  # in the fixed field: the zone scrolls clear of the time
            ln.fix()
            ln.add_text(r, r.ZONE_TEXT + 3 * self.country + lang)
        else:
            ln.fix()
