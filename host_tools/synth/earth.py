"""Time and sphere geometry of the synthetic journeys: UTC seconds and ISO-8601, great-circle distance, bearing
and destination on a sphere of radius EARTH_RADIUS_M, and the route's line as a chain of arcs (float64, the
independent oracle for the firmware's integer geometry)."""

import bisect
import itertools
import math

from host_tools.common.utc import day_s, utc_s

EARTH_RADIUS_M = 6371008.8
MS_TO_KN = 3600.0 / 1852.0
MS_TO_KMH = 3.6

# ---------------------------------------------------------------- time helpers


def parse_iso_utc(text):
    """An ISO-8601 UTC time with its zone (Z or an offset) -> seconds since 1970; ValueError without one."""
    return utc_s(text, zone=True)


def _local_to_utc_s(date, day, hhmm, utc_offset_min):
    hours, minutes = (int(x) for x in hhmm.split(":"))
    midnight_s = day_s(date)
    return midnight_s + day * 86400 + hours * 3600 + minutes * 60 - utc_offset_min * 60


# ---------------------------------------------------------------- sphere geometry


def _vec(lat_deg, lon_deg):
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def _latlon(vec):
    x, y, z = vec
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def distance_m(lat1, lon1, lat2, lon2):
    """Great-circle distance on the sphere (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1, lon1, lat2, lon2):
    """Initial great-circle bearing from point 1 to point 2, degrees 0..360."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat_deg, lon_deg, bearing, dist_m):
    """Point reached from (lat, lon) after dist_m along the given initial bearing."""
    p1, l1 = math.radians(lat_deg), math.radians(lon_deg)
    b, d = math.radians(bearing), dist_m / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1),
        math.cos(d) - math.sin(p1) * math.sin(p2),
    )
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


class RoutePath:
    """Chain of great-circle arcs through the route points of one direction."""

    def __init__(self, points):
        self.points = points
        self.vecs = [_vec(p["lat"], p["lon"]) for p in points]
        self.cum_m = [0.0]
        self.omega = []
        for a, b in itertools.pairwise(points):
            dist = distance_m(a["lat"], a["lon"], b["lat"], b["lon"])
            self.omega.append(dist / EARTH_RADIUS_M)
            self.cum_m.append(self.cum_m[-1] + dist)
        self.length_m = self.cum_m[-1]
        self.index = {p["id"]: i for i, p in enumerate(points) if p.get("id") is not None}

    def s_of(self, point_id):
        """Path distance of a route point from the start of the direction."""
        return self.cum_m[self.index[point_id]]

    def locate(self, s_m):
        """(lat, lon, course of the forward direction) at path distance s_m."""
        s_m = min(max(s_m, 0.0), self.length_m)
        seg = min(bisect.bisect_right(self.cum_m, s_m) - 1, len(self.omega) - 1)
        a, b = self.points[seg], self.points[seg + 1]
        seg_m = self.cum_m[seg + 1] - self.cum_m[seg]
        frac = (s_m - self.cum_m[seg]) / seg_m if seg_m > 0 else 0.0
        if frac <= 0.0:
            lat, lon = a["lat"], a["lon"]
        elif frac >= 1.0:
            lat, lon = b["lat"], b["lon"]
        else:
            om = self.omega[seg]
            wa, wb = (
                math.sin((1 - frac) * om) / math.sin(om),
                math.sin(frac * om) / math.sin(om),
            )
            va, vb = self.vecs[seg], self.vecs[seg + 1]
            lat, lon = _latlon(tuple(wa * p + wb * q for p, q in zip(va, vb)))
        if frac < 0.999999:
            course = bearing_deg(lat, lon, b["lat"], b["lon"])
        else:
            course = (bearing_deg(b["lat"], b["lon"], a["lat"], a["lon"]) + 180.0) % 360.0
        return lat, lon, course
