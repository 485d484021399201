"""Integer geometry: distance between fixes and projection of a fix onto the route polyline.

Positions are micro-degrees (WGS-84). Each route segment carries its own east-west scale, so local
metres come from integer multiplies; every product stays below 2**30 (a small int on 32-bit ports),
which makes CPython and MicroPython give identical results. Per-fix cost does not depend on the route
size: a hill-climb from the last matched segment, and a bounded slice of a full scan when lost.
"""

from .compat import const

KY = const(1822)  # metres per micro-degree of latitude x 2**14 (0.111195 m; R = 6371.0088 km)
_NEAR = const(500000)  # |difference| in micro-degrees (~55 km) below which the fine formula is exact
_CLIMB = const(16)  # hill-climb steps per fix at most
_SCAN = const(48)  # segments scanned per fix while searching the whole route
_FAR = const(999999)  # metres; "not near"
SEG_FIELDS = const(7)  # lat0, lon0, kx, east_m, north_m, len_m, start_m


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

    def __init__(self, seg, seg_n):
        self.seg = seg  # flat tuple, SEG_FIELDS ints per segment (see host_tools/gen_route.py)
        self.n = seg_n
        self.idx = -1  # matched segment, -1 when lost
        self.along_m = -1
        self.off_m = _FAR
        self._t = 0  # along the segment, set by _proj
        self._scan = 0  # next segment of a full scan in progress
        self._best = -1
        self._best_d = _FAR

    def reset(self):
        self.idx = -1
        self._scan = 0
        self._best = -1
        self._best_d = _FAR

    def _proj(self, j, lat, lon):
        """Distance in metres from the fix to segment j; the position along it goes to self._t."""
        s = self.seg
        o = j * SEG_FIELDS
        dy = lat - s[o]
        dx = lon - s[o + 1]
        if dy <= -_NEAR or dy >= _NEAR or dx <= -_NEAR or dx >= _NEAR:
            self._t = 0
            return _FAR
        x = (dx * s[o + 2]) >> 14
        y = (dy * KY) >> 14
        sx = s[o + 3]
        sy = s[o + 4]
        ln = s[o + 5]
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

    def update(self, lat, lon, relock_m):
        """Match a fix; True when along_m/off_m are set. Searches the whole route if off by > relock_m.

        False with off_m == -1 while a whole-route search is still going on."""
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
            if d <= relock_m:
                self._set(j, d, t)
                return True
            self.reset()
        # Lost: scan a slice of the route per fix, then climb from the best segment found.
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
        if self._best < 0:  # nothing within reach of the whole route
            self.reset()
            self.off_m = _FAR
            return False
        j = self._best
        d = self._proj(j, lat, lon)
        self._set(j, d, self._t)
        self._scan = 0
        self._best = -1
        self._best_d = _FAR
        return True

    def _set(self, j, d, t):
        self.idx = j
        self.off_m = d
        self.along_m = self.seg[j * SEG_FIELDS + 6] + t
