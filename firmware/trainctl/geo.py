"""Integer geometry: distance between fixes and projection of a fix onto the route polyline.

Positions are micro-degrees (WGS-84). Each route segment carries its own east-west scale, so local
metres come from integer multiplies; every product stays below 2**30 (a small int on 32-bit ports),
which makes CPython and MicroPython give identical results. Per-fix cost does not depend on the route
size: a hill-climb from the last matched segment, a window around it when the climb ends off the line,
and a bounded slice of a full scan only when lost (LOST_N fixes in a row off the line, or reset).
Each segment has a lateral tolerance (route_data.SEG_TOL: the route source says how good the line is):
a fix within it is on the line. The tables are bytes constants (read in place: no tuple of ints in RAM).
"""

from micropython import const

KY = const(1822)  # metres per micro-degree of latitude x 2**14 (0.111195 m; R = 6371.0088 km)
_NEAR = const(500000)  # |difference| in micro-degrees (~55 km) below which the fine formula is exact
_CLIMB = const(16)  # hill-climb steps per fix at most
_SCAN = const(48)  # segments scanned per fix while searching the whole route
_WIN = const(24)  # segments either side of the last match tried when the climb ends off the line
_LOST_N = const(8)  # fixes in a row off the line (past the window too) before a whole-route search
_TOL_UNIT_M = const(100)  # SEG_TOL unit
_FAR = const(999999)  # metres; "not near"
# One segment of route_data.SEG, little-endian (host_tools/build/route.py SEG_LAYOUT writes it).
_SEG_BYTES = const(20)
_LAT = const(0)  # int32 start latitude, micro-degrees
_LON = const(4)  # int32 start longitude, micro-degrees
_KX = const(8)  # uint16 metres per micro-degree of longitude x 2**14
_EAST = const(10)  # int16 east extent, m
_NORTH = const(12)  # int16 north extent, m
_LEN = const(14)  # uint16 length, m
_ALONG = const(16)  # int32 distance along the route at the start, m


def _i32(b, o):
    """Signed little-endian int32 at b[o]. The generator keeps |value| < 2**30, so the sign-extended top
    byte is within -64..63 and no step leaves the small-int range of a 32-bit port."""
    return ((b[o + 3] ^ 128) - 128) << 24 | b[o + 2] << 16 | b[o + 1] << 8 | b[o]


def _i16(b, o):
    return ((b[o + 1] ^ 128) - 128) << 8 | b[o]


def _u16(b, o):
    return b[o + 1] << 8 | b[o]


def hyp_m(x, y):
    """Approximate sqrt(x*x + y*y) for ints: max + half min - an eighth of max, error < 3 %."""
    if x < 0:
        x = -x
    if y < 0:
        y = -y
    if x < y:
        x, y = y, x
    v = x - (x >> 3) + (y >> 1)
    return v if v > x else x


def dist_m(lat1, lon1, lat2, lon2, kx):
    """Approximate ground distance in metres; kx = metres per micro-degree of longitude x 2**14."""
    dlat = lat2 - lat1
    dlon = lon2 - lon1
    if -_NEAR < dlat < _NEAR and -_NEAR < dlon < _NEAR:
        return hyp_m((dlon * kx) >> 14, (dlat * KY) >> 14)
    # Far apart: scale down first (1024 micro-degrees ~ 110 m steps) so nothing overflows.
    return hyp_m(((dlon >> 10) * kx) >> 4, ((dlat >> 10) * KY) >> 4)


class Matcher:
    """Tracks the fix's position along the route: along_m from the first point, off_m to the side."""

    def __init__(self, seg, seg_n, seg_tol):
        if len(seg) != seg_n * _SEG_BYTES or len(seg_tol) != seg_n:  # e.g. a route_data.py from before
            raise ValueError("route: SEG, SEG_TOL are not SEG_N segments")
        self.seg = seg  # bytes, _SEG_BYTES per segment
        self.tol = seg_tol  # bytes, one per segment, x _TOL_UNIT_M
        self.n = seg_n
        self.idx = -1  # matched segment, -1 when lost
        self.along_m = -1
        self.off_m = _FAR
        self.kx = 0  # metres per micro-degree of longitude x 2**14 there
        self._t = 0  # along the segment, set by _proj
        self._scan = 0  # lost: next segment of a full scan in progress; tracking: fixes in a row off the line
        self._best = -1
        self._best_d = _FAR

    def reset(self):
        self.idx = -1
        self._scan = 0
        self._best = -1
        self._best_d = _FAR

    def _proj(self, j, lat, lon):
        """Distance in metres from the fix to segment j; the position along it goes to self._t."""
        # Fields decoded inline as _i32/_i16/_u16 do: unix port, 10,000 updates along the route, 3.8 us each
        # (calling the helpers: 5.1 us; SEG as a tuple of ints: 2.2 us).
        s = self.seg
        o = j * _SEG_BYTES
        dy = lat - (((s[o + (_LAT + 3)] ^ 128) - 128) << 24 | s[o + (_LAT + 2)] << 16 | s[o + (_LAT + 1)] << 8
                    | s[o])
        if dy <= -_NEAR or dy >= _NEAR:
            self._t = 0
            return _FAR
        dx = lon - (((s[o + (_LON + 3)] ^ 128) - 128) << 24 | s[o + (_LON + 2)] << 16 | s[o + (_LON + 1)] << 8
                    | s[o + _LON])
        if dx <= -_NEAR or dx >= _NEAR:
            self._t = 0
            return _FAR
        x = (dx * (s[o + (_KX + 1)] << 8 | s[o + _KX])) >> 14
        y = (dy * KY) >> 14
        sx = ((s[o + (_EAST + 1)] ^ 128) - 128) << 8 | s[o + _EAST]
        sy = ((s[o + (_NORTH + 1)] ^ 128) - 128) << 8 | s[o + _NORTH]
        ln = s[o + (_LEN + 1)] << 8 | s[o + _LEN]
        dot = x * sx + y * sy  # |x|,|y| < 56 km, |sx|,|sy| <= 8 km: below 2**30
        if dot <= 0:
            self._t = 0
            return hyp_m(x, y)
        if dot >= ln * ln:
            self._t = ln
            return hyp_m(x - sx, y - sy)
        self._t = dot // ln
        c = x * sy - y * sx
        return (c if c >= 0 else -c) // ln

    def update(self, lat, lon):
        """Match a fix; True when it is on the line (within its segment's tolerance): along_m/off_m set.

        False with off_m == -1 while a whole-route search is still going on, else off_m is how far the
        fix is from the nearest segment found (the fix is off the line; the match stays where it was)."""
        n = self.n
        j = self.idx
        if j >= 0:
            d = self._proj(j, lat, lon)
            t = self._t
            steps = 0
            while steps < _CLIMB:
                steps += 1
                if j + 1 < n:
                    d2 = self._proj(j + 1, lat, lon)
                    if d2 < d:
                        j += 1
                        d = d2
                        t = self._t
                        continue
                if j > 0:
                    d2 = self._proj(j - 1, lat, lon)
                    if d2 < d:
                        j -= 1
                        d = d2
                        t = self._t
                        continue
                break
            if d > self.tol[j] * _TOL_UNIT_M:  # a local minimum off the line: try the window around it
                lo = j - _WIN if j > _WIN else 0
                hi = j + _WIN if j + _WIN < n else n - 1
                for i in range(lo, hi + 1):
                    d2 = self._proj(i, lat, lon)
                    if d2 < d:
                        j = i
                        d = d2
                        t = self._t
            if d <= self.tol[j] * _TOL_UNIT_M:
                self._scan = 0
                self._set(j, d, t)
                return True
            self._scan += 1
            if self._scan < _LOST_N:  # off the line: keep the match, climb on from the nearest segment
                self.idx = j
                self.off_m = d
                return False
            self.reset()
        return self._search(lat, lon)

    def _search(self, lat, lon):
        """Lost: scan a slice of the route per fix, then climb from the best segment found."""
        n = self.n
        end = self._scan + _SCAN
        if end > n:
            end = n
        for i in range(self._scan, end):
            d = self._proj(i, lat, lon)
            if d < self._best_d:
                self._best_d = d
                self._best = i
        self._scan = end
        if end < n:
            self.off_m = -1  # not known yet: the search goes on with the next fix
            return False
        j = self._best
        self._scan = 0
        self._best = -1
        self._best_d = _FAR
        if j < 0:  # nothing within reach of the whole route
            self.off_m = _FAR
            return False
        d = self._proj(j, lat, lon)
        if d > self.tol[j] * _TOL_UNIT_M:  # off the line: search again from the next fix
            self.off_m = d
            return False
        self._set(j, d, self._t)
        return True

    def _set(self, j, d, t):
        self.idx = j
        self.off_m = d
        o = j * _SEG_BYTES + _KX
        self.kx = self.seg[o + 1] << 8 | self.seg[o]  # for distances near the fix
        self.along_m = _i32(self.seg, j * _SEG_BYTES + _ALONG) + t
