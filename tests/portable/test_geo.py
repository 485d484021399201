# Integer geometry: portable. (The float64 oracle comparisons are in tests/test_geo_oracle.py.)
import struct

from trainctl import geo
from trainctl import route_data as R


def test_hyp_within_3_percent_of_exact():
    for x in range(0, 60001, 1500):
        for y in range(0, 60001, 2500):
            exact = (x * x + y * y) ** 0.5
            v = geo.hyp_m(x, y)
            assert v == geo.hyp_m(-x, y) == geo.hyp_m(y, -x)
            assert abs(v - exact) <= 0.03 * exact + 1, (x, y, v, exact)


def test_every_station_matches_at_its_own_along():
    m = geo.Matcher(R.SEG, R.SEG_N, R.SEG_TOL)
    for i in range(R.STATION_N):
        m.reset()
        ok = False
        for _ in range(R.SEG_N // 48 + 2):  # a whole-route search spreads over a few fixes
            ok = m.update(R.ST_LAT_UDEG[i], R.ST_LON_UDEG[i])
            if ok:
                break
        assert ok, i
        assert abs(m.along_m - R.ST_ALONG_M[i]) <= 15, (i, m.along_m, R.ST_ALONG_M[i])
        assert m.off_m <= 270, (i, m.off_m)  # OSM nodes lie up to 102 m from the OSM line, simplified by 150 m


def _seg_point(j, k, n):
    """k/n of the way along segment j (micro-degrees)."""
    la0, lo0 = struct.unpack_from("<ii", R.SEG, 20 * j)
    la1, lo1 = struct.unpack_from("<ii", R.SEG, 20 * (j + 1))
    return la0 + (la1 - la0) * k // n, lo0 + (lo1 - lo0) * k // n


def test_tracking_follows_a_moving_point_with_local_search_only():
    m = geo.Matcher(R.SEG, R.SEG_N, R.SEG_TOL)
    j = 100  # on the OpenStreetMap line, which winds: every point of it is matched in order
    while not m.update(*_seg_point(j, 0, 1)):
        pass
    prev = m.along_m
    for k in range(1, 240):
        lat, lon = _seg_point(j + k // 4, k % 4, 4)
        assert m.update(lat, lon)
        assert m.along_m > prev and m.off_m < 30, (k, m.along_m, prev, m.off_m)
        prev = m.along_m
        assert m.tol[m.idx] * 100 == 1500
    assert m.idx == j + 239 // 4


def test_a_fix_off_an_approximate_line_within_its_tolerance_is_on_it():
    m = geo.Matcher(R.SEG, R.SEG_N, R.SEG_TOL)
    j = 0
    while R.SEG_TOL[j] != 120:
        j += 1
    j += 12  # into the straight stretch in the DPRK: 12 km tolerance (Sinuiju - Yomju - Chonggang)
    while not m.update(*_seg_point(j, 0, 1)):
        pass
    assert m.tol[m.idx] * 100 == 12000
    prev = m.along_m
    _, _, kx, east, north, ln, _ = struct.unpack_from("<iiHhhHi", R.SEG, 20 * j)
    off_e, off_n = -north * 8000 // ln, east * 8000 // ln  # 8 km to the left of the line
    dlat, dlon = off_n * 10000 // 1112, off_e * 16384 // kx  # 1 micro-degree of latitude = 0.1112 m
    for k in range(1, 20):  # moving along it (5 segments, before the next corner)
        lat, lon = _seg_point(j + k // 4, k % 4, 4)
        assert m.update(lat + dlat, lon + dlon), k
        assert m.along_m > prev and 7000 < m.off_m < 9000, (k, m.along_m, prev, m.off_m)
        prev = m.along_m
    assert m.idx >= j + 4


def test_a_fix_off_the_line_keeps_the_match_and_searches_only_when_lost():
    m = geo.Matcher(R.SEG, R.SEG_N, R.SEG_TOL)
    j = 100
    while not m.update(*_seg_point(j, 0, 1)):
        pass
    at = m.along_m
    lat, lon = _seg_point(j, 0, 1)
    for _ in range(7):  # 5 km off the OSM line (1.5 km tolerance): off, the match stays near
        assert not m.update(lat + 45000, lon) and m.off_m > 1500 and m.idx >= 0
    assert m.update(lat, lon) and abs(m.along_m - at) < 30  # back on the line: no search needed
    for _ in range(8):
        m.update(lat + 45000, lon)
    assert m.idx == -1 and m.off_m == -1  # lost: the whole-route search has begun


def test_far_fix_is_off_route():
    m = geo.Matcher(R.SEG, R.SEG_N, R.SEG_TOL)
    for _ in range(2 * (R.SEG_N // 48 + 1)):
        assert not m.update(30000000, 100000000)  # far west of the line
    assert m.off_m >= 500000 and m.idx == -1


def test_dist_is_symmetric_and_scales_far_away():
    a = (39902002, 116421073)
    b = (39004722, 125736389)  # Beijing - Pyongyang, about 800 km great-circle
    d1 = geo.dist_m(a[0], a[1], b[0], b[1], R.KX_MEAN)
    d2 = geo.dist_m(b[0], b[1], a[0], a[1], R.KX_MEAN)
    assert abs(d1 - d2) <= 200
    assert 760000 < d1 < 840000, d1




def test_segment_fields_decode_signed_and_unsigned():
    # one segment packed by hand (CPython struct "<iiHhhHi"): south and west of 0, heading south-west, 8 km
    seg = (b"\xa0\x94\xfa\xfd" + b"\xd0\xb8\xca\xfb" + b"\xe7\x05" + b"\x60\xf0" + b"\xa8\xe4" + b"\x7f\x1f"
           + b"\x40\x42\x0f\x00")
    # the firmware's own readers (trainctl/geo.py: lat at 0, lon 4, kx 8, east 10, north 12, length 14, along 16)
    assert (geo._i32(seg, 0), geo._i32(seg, 4), geo._u16(seg, 8), geo._i16(seg, 10), geo._i16(seg, 12),
            geo._u16(seg, 14), geo._i32(seg, 16)) == (-33909600, -70600496, 1511, -4000, -7000, 8063, 1000000)
    m = geo.Matcher(seg, 1, b"\x0f")
    assert m.update(-33909600 - 31475, -70600496 - 21715)  # half-way along the segment (~3.5 km S, 2 km W)
    assert abs(m.along_m - (1000000 + 8063 // 2)) < 150 and m.off_m < 150, (m.along_m, m.off_m)


def test_matcher_refuses_a_table_of_the_wrong_size():
    for seg in (tuple(range(7 * R.SEG_N)), R.SEG[:-1]):  # SEG as it was before it became bytes; truncated
        try:
            geo.Matcher(seg, R.SEG_N, R.SEG_TOL)
        except ValueError:
            continue
        raise AssertionError("accepted %d items" % len(seg))
