# Integer geometry: portable. (The float64 oracle comparisons are in tests/test_geo_oracle.py.)
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
    m = geo.Matcher(R.SEG, R.SEG_N)
    for i in range(R.STATION_N):
        m.reset()
        ok = False
        for _ in range(R.SEG_N // 48 + 2):  # a whole-route search spreads over a few fixes
            ok = m.update(R.ST_LAT_UDEG[i], R.ST_LON_UDEG[i], 3000)
            if ok:
                break
        assert ok, i
        assert abs(m.along_m - R.ST_ALONG_M[i]) <= 15, (i, m.along_m, R.ST_ALONG_M[i])
        assert m.off_m <= 15, (i, m.off_m)


def test_tracking_follows_a_moving_point_with_local_search_only():
    m = geo.Matcher(R.SEG, R.SEG_N)
    j = 40
    F = geo.SEG_FIELDS
    while not m.update(R.SEG[j * F], R.SEG[j * F + 1], 3000):
        pass
    prev = m.along_m
    # walk the route from segment 40 on, 1/4 segment per step, ~1 km north of the line
    for k in range(1, 60):
        o = (j + k // 4) * F
        lat = R.SEG[o] + (R.SEG[o + F] - R.SEG[o]) * (k % 4) // 4 + 9000
        lon = R.SEG[o + 1] + (R.SEG[o + F + 1] - R.SEG[o + 1]) * (k % 4) // 4
        assert m.update(lat, lon, 3000)
        assert m.along_m > prev and m.off_m < 1100, (k, m.along_m, prev, m.off_m)
        prev = m.along_m
    assert m.idx == j + 59 // 4


def test_far_fix_is_off_route():
    m = geo.Matcher(R.SEG, R.SEG_N)
    for _ in range(2 * (R.SEG_N // 48 + 1)):
        assert not m.update(30000000, 100000000, 3000)  # far west of the line
    assert m.off_m >= 500000 and m.idx == -1


def test_dist_is_symmetric_and_scales_far_away():
    a = (39902002, 116421073)
    b = (39004722, 125736389)  # Beijing - Pyongyang, about 800 km great-circle
    d1 = geo.dist_m(a[0], a[1], b[0], b[1], R.KX_MEAN)
    d2 = geo.dist_m(b[0], b[1], a[0], a[1], R.KX_MEAN)
    assert abs(d1 - d2) <= 200
    assert 760000 < d1 < 840000, d1


