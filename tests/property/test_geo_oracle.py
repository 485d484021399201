"""Integer geometry against an independent float64 oracle (spherical, local tangent plane per segment)."""

import math

from hyp import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from trainctl import geo
from trainctl import route_data as R

from host_tools.common import segs

R_EARTH = 6371008.8


def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * R_EARTH * math.asin(math.sqrt(h))


def route_points():
    """The route polyline in float degrees: segment starts, then the last station."""
    pts = [(lat / 1e6, lon / 1e6) for lat, lon in (segs.seg_start(R.SEG, j) for j in range(R.SEG_N))]
    pts.append((R.ST_LAT_UDEG[-1] / 1e6, R.ST_LON_UDEG[-1] / 1e6))
    return pts


PTS = route_points()
CUM = [0.0]
for a, b in zip(PTS, PTS[1:]):
    CUM.append(CUM[-1] + haversine(*a, *b))


def oracle(lat, lon):
    """(along_m, off_m) of the nearest point of the polyline, in float64."""
    return min(oracle_all(lat, lon), key=lambda r: r[1])


def oracle_all(lat, lon):
    """[(along_m, off_m)] of the nearest point of each segment, in float64."""
    out = []
    for j, (a, b) in enumerate(zip(PTS, PTS[1:])):
        k = math.cos(math.radians((a[0] + b[0]) / 2)) * math.pi / 180 * R_EARTH
        ky = math.pi / 180 * R_EARTH
        sx, sy = (b[1] - a[1]) * k, (b[0] - a[0]) * ky
        x, y = (lon - a[1]) * k, (lat - a[0]) * ky
        L2 = sx * sx + sy * sy
        t = max(0.0, min(1.0, (x * sx + y * sy) / L2))
        d = math.hypot(x - t * sx, y - t * sy)
        out.append((CUM[j] + t * (CUM[j + 1] - CUM[j]), d))
    return out


def match(lat_udeg, lon_udeg):
    m = geo.Matcher(R.SEG, R.SEG_N, R.SEG_TOL)
    for _ in range(R.SEG_N // 40 + 2):
        if m.update(lat_udeg, lon_udeg):
            return m
    raise AssertionError("no match")


@settings(max_examples=examples(300), deadline=None)
@given(st.integers(0, R.SEG_N - 1), st.floats(0, 1), st.floats(-1400, 1400))
def test_projection_matches_the_float_oracle(j, frac, side_m):
    a = PTS[j]
    b = PTS[j + 1]
    lat = a[0] + (b[0] - a[0]) * frac
    lon = a[1] + (b[1] - a[1]) * frac
    # move side_m perpendicular-ish (north) of the line
    lat += side_m / (math.pi / 180 * R_EARTH)
    along, off = oracle(lat, lon)
    m = match(round(lat * 1e6), round(lon * 1e6))
    assert abs(m.off_m - off) <= 0.03 * off + 15, (m.off_m, off)
    # The choice of segment rests on the hypot estimate (3 %): near a vertex, off the line, a segment up to
    # 3 % further than the nearest may win, and on a bend its foot can lie hundreds of metres along from the
    # nearest one's. So: the matcher's foot is the exact foot (scale errors of the per-segment integer frame
    # below 0.1 %) of a segment no more than 3 % (+15 m) further than the nearest.
    near = [a for a, d in oracle_all(lat, lon) if d <= 1.03 * off + 15]
    assert any(abs(m.along_m - a) <= 0.001 * a + 40 for a in near), (m.along_m, along, off, near)


@settings(max_examples=examples(300))
@given(st.floats(38.5, 42.5), st.floats(115.5, 126.5), st.floats(-3, 3), st.floats(-6, 6))
def test_distance_matches_haversine(lat, lon, dlat, dlon):
    a = (round(lat * 1e6), round(lon * 1e6))
    b = (round((lat + dlat) * 1e6), round((lon + dlon) * 1e6))
    want = haversine(a[0] / 1e6, a[1] / 1e6, b[0] / 1e6, b[1] / 1e6)
    got = geo.dist_m(a[0], a[1], b[0], b[1], R.KX_MEAN)
    # within 3 % (hypot estimate) plus the error of the east-west scale, which is the route's middle
    # latitude's (KX_MEAN) wherever the points are: 3 % on the route's own latitudes, more further off
    k_true = math.cos(math.radians((a[0] + b[0]) / 2e6)) * math.pi / 180 * R_EARTH / 1e6
    scale = abs(R.KX_MEAN / 2**14 / k_true - 1)
    assert abs(got - want) <= (0.035 + scale) * want + 150, (got, want, scale)


def test_route_length_matches_haversine_chain():
    assert abs(R.LENGTH_M - CUM[-1]) <= 0.001 * CUM[-1]
