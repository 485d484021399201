"""Write NMEA sentences for tests (common subset: runs on CPython and MicroPython)."""

from trainctl import clock


def sentence(body):
    """'$' + body + '*HH\\r\\n' as bytes, with a correct checksum."""
    x = 0
    for c in body.encode():
        x ^= c
    return ("$%s*%02X\r\n" % (body, x)).encode()


def _angle(udeg, deg_digits, pos, neg):
    h = pos if udeg >= 0 else neg
    udeg = abs(udeg)
    deg = udeg // 1000000
    min_e5 = ((udeg % 1000000) * 60 + 5) // 10  # minutes x 1e5, rounded
    if min_e5 >= 6000000:
        deg += 1
        min_e5 -= 6000000
    fmt = "%02d%02d.%05d" if deg_digits == 2 else "%03d%02d.%05d"
    return fmt % (deg, min_e5 // 100000, min_e5 % 100000), h


def rmc(t_s, lat_udeg=None, lon_udeg=None, speed_cms=0, talker="GN", ms=0, mode="A"):
    """RMC at epoch seconds t_s; no position (status V) when lat_udeg is None."""
    y, mo, d = clock.civil_from_epoch_days(t_s // 86400)
    s = t_s % 86400
    tod = "%02d%02d%02d.%02d" % (s // 3600, s // 60 % 60, s % 60, ms // 10)
    date = "%02d%02d%02d" % (d, mo, y % 100)
    if lat_udeg is None:
        return sentence("%sRMC,%s,V,,,,,,,%s,,,N,V" % (talker, tod, date))
    la, ns = _angle(lat_udeg, 2, "N", "S")
    lo, ew = _angle(lon_udeg, 3, "E", "W")
    kn = speed_cms * 9000 // 463  # knots x 1000 (1 kn = 463/900 m/s)
    return sentence("%sRMC,%s,A,%s,%s,%s,%s,%d.%03d,,%s,,,%s,V" % (
        talker, tod, la, ns, lo, ew, kn // 1000, kn % 1000, date, mode))


def gga(t_s, lat_udeg, lon_udeg, quality=1, sats=10, hdop="0.9", talker="GN"):
    s = t_s % 86400
    tod = "%02d%02d%02d.00" % (s // 3600, s // 60 % 60, s % 60)
    la, ns = _angle(lat_udeg, 2, "N", "S")
    lo, ew = _angle(lon_udeg, 3, "E", "W")
    return sentence("%sGGA,%s,%s,%s,%s,%s,%d,%02d,%s,45.0,M,-8.0,M,," % (
        talker, tod, la, ns, lo, ew, quality, sats, hdop))


def lerp(a, b, num, den):
    return a + (b - a) * num // den


class Track:
    """A train moving in straight lines between points, or along the route's line, one RMC per second."""

    def __init__(self, route, t0_s, sink=None):
        self.route = route
        self.t = t0_s
        self.out = []
        self.sink = sink  # called with each sentence; kept in self.out when None
        self.lat = 0
        self.lon = 0
        self.along = 0  # along the route's line, for ride_to

    def emit(self, s):
        if self.sink is None:
            self.out.append(s)
        else:
            self.sink(s)

    def at_station(self, i):
        return self.route.ST_LAT_UDEG[i], self.route.ST_LON_UDEG[i]

    def stand(self, seconds, valid=True):
        for _ in range(seconds):
            self.emit(rmc(self.t, self.lat if valid else None, self.lon, 0))
            self.t += 1

    def place(self, lat, lon):
        self.lat = lat
        self.lon = lon

    def move_to(self, lat, lon, speed_cms, valid=True):
        """Travel in a straight line at speed_cms, one fix per second."""
        from trainctl import geo

        d = geo.dist_m(self.lat, self.lon, lat, lon, self.route.KX_MEAN)
        n = max(1, d * 100 // speed_cms)
        la0 = self.lat
        lo0 = self.lon
        for k in range(1, n + 1):
            self.lat = lerp(la0, lat, k, n)
            self.lon = lerp(lo0, lon, k, n)
            self.emit(rmc(self.t, self.lat if valid else None, self.lon, speed_cms))
            self.t += 1

    def line_at(self, along_m):
        """(lat, lon) on the route's line, along_m metres from its start (the generator's SEG table, read with
        struct by host_tools/build/route.py's layout: lat, lon, kx, east, north, length, along)."""
        import struct

        r = self.route

        def row(j):
            return struct.unpack_from("<iiHhhHi", r.SEG, 20 * j)

        lo = 0
        hi = r.SEG_N - 1
        while lo < hi:  # the last segment starting at or before along_m
            mid = (lo + hi + 1) // 2
            if row(mid)[6] <= along_m:
                lo = mid
            else:
                hi = mid - 1
        la0, lo0, _, _, _, ln, a0 = row(lo)
        if lo + 1 < r.SEG_N:
            la1, lo1 = row(lo + 1)[:2]
        else:
            la1, lo1 = r.ST_LAT_UDEG[r.STATION_N - 1], r.ST_LON_UDEG[r.STATION_N - 1]
        f = min(max(along_m - a0, 0), ln)
        return lerp(la0, la1, f, ln), lerp(lo0, lo1, f, ln)

    def between(self, a, b, permille):
        """along_m permille of the way from station a to station b along the line."""
        sa = self.route.ST_ALONG_M[a]
        return sa + (self.route.ST_ALONG_M[b] - sa) * permille // 1000

    def place_along(self, along_m):
        self.along = along_m
        self.lat, self.lon = self.line_at(along_m)

    def ride_to(self, along_m, speed_cms, valid=True):
        """Travel along the route's line from the last place_along/ride_to to along_m, one fix per second."""
        a0 = self.along
        n = max(1, abs(along_m - a0) * 100 // speed_cms)
        for k in range(1, n + 1):
            self.lat, self.lon = self.line_at(lerp(a0, along_m, k, n))
            self.emit(rmc(self.t, self.lat if valid else None, self.lon, speed_cms))
            self.t += 1
        self.along = along_m

    def data(self):
        return b"".join(self.out)
