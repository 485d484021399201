"""The route generator: the committed module is what the source gives; bad sources fail clearly."""

import copy
import json
import math
import re
import subprocess
import sys

import pytest
from mp.mp import REPO
from trainctl import geo

from host_tools.build import route as gen_route
from host_tools.common import segs

SRC = REPO / "routes" / "beijing-pyongyang.json"
OUT = REPO / "firmware" / "trainctl" / "route_data.py"


def test_committed_route_module_is_regenerated_identically():
    text = gen_route.render(gen_route.load(str(SRC)), "routes/beijing-pyongyang.json",
                            "python -m host_tools.build.route routes/beijing-pyongyang.json "
                            "firmware/trainctl/route_data.py")
    assert OUT.read_text() == text, "route_data.py is stale: run `make route` and commit it"


def test_cli_writes_the_same_tables_to_stdout():
    p = subprocess.run([sys.executable, "-m", "host_tools.build.route", "routes/beijing-pyongyang.json"], cwd=REPO,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    body = lambda t: t.split("\n", 3)[3]  # noqa: E731 (all but the header's command line)
    assert body(p.stdout) == body(OUT.read_text())


def test_header_names_generator_and_command():
    head = OUT.read_text().splitlines()[:4]
    assert "host_tools/build/route.py" in head[1] and head[2].startswith("# Command: python -m host_tools.build.route")
    assert "OpenStreetMap contributors" in head[3] and "ODbL" in head[3]  # the line's attribution travels with it


def test_route_tables_are_consistent():
    from trainctl import route_data as R

    from host_tools.common.route_names import names

    N = names(R)
    assert tuple(sorted(R.ST_ALONG_M)) == R.ST_ALONG_M
    assert N.ST_ID[0] == "beijing" and N.ST_ID[-1] == "pyongyang"
    dandong, sinuiju = N.ST_ID.index("dandong"), N.ST_ID.index("sinuiju")
    assert R.ST_ALONG_M[dandong] < R.BORDER_M < R.ST_ALONG_M[sinuiju]
    assert R.TRAIN == (("K27", "95", "52"), ("51", "85", "K28"))
    assert ((dandong, sinuiju, R.STATION_N - 1), (sinuiju, dandong, 0)) == R.LEG_END
    assert N.ST_KO[dandong] == "단동" and N.ST_ZH[sinuiju] == "新义州"
    assert N.ZONE_NAME[1][0] == "平壤时间" and N.BORDER_NAME[2] == "Friendship Bridge"
    assert isinstance(R.SEG, bytes) and len(R.SEG) == R.SEG_N * segs.SEG_BYTES
    for j in range(R.SEG_N):  # every product the matcher forms stays a small int on 32-bit ports
        lat, lon, kx, sx, sy, ln, along = segs.seg_row(R.SEG, j)
        assert 0 < ln <= 8100 and abs(sx) <= 8100 and abs(sy) <= 8100 and kx * 500000 < 2**30
        assert max(abs(lat), abs(lon), along + ln) < 2**30  # decoded without a long int on 32-bit ports


def test_seg_bytes_decode_to_the_generator_rows():
    """The firmware's decoding of the bytes constant gives back every value build() computed."""
    from trainctl import route_data as R

    b = gen_route.build(gen_route.load(str(SRC)))
    assert gen_route.SEG_BYTES == segs.SEG_BYTES == geo._SEG_BYTES and gen_route.NEAR_UDEG == geo._NEAR
    assert [segs.seg_row(R.SEG, j) for j in range(R.SEG_N)] == [tuple(r) for r in b["seg"]]
    assert [segs.seg_start(R.SEG, j) for j in range(R.SEG_N)] == [tuple(r[:2]) for r in b["seg"]]
    assert [segs.seg_len_m(R.SEG, j) for j in range(R.SEG_N)] == [r[5] for r in b["seg"]]
    assert [segs.seg_along_m(R.SEG, j) for j in range(R.SEG_N)] == [r[6] for r in b["seg"]]
    assert b["seg"][-1][6] + b["seg"][-1][5] == R.LENGTH_M


@pytest.mark.parametrize("v", [0, 1, -1, 127, 128, -128, -129, 32767, -32768, 2**24, -(2**24) - 1, 2**30 - 1,
                               -(2**30) + 1, 125736389, -125736389])
def test_field_decoders_match_struct(v):
    import struct

    b = struct.pack("<i", v)
    assert geo._i32(b * 2, 4) == v
    if -(2**15) <= v < 2**15:
        assert geo._i16(b"\0" + struct.pack("<h", v), 1) == v
    if 0 <= v < 2**16:
        assert geo._u16(struct.pack("<H", v), 0) == v


def test_segment_that_breaks_a_field_or_the_matcher_bounds_is_refused():
    row = [39902002, 116421073, 1398, 4766, -6095, 7737, 0]
    gen_route._check_seg([row], [0])
    for k, v, msg in ((3, 40000, "east_m = 40000 does not fit its field"),
                      (3, 9000, "over 8100 m: lower max_segment_m"),
                      (5, 0, "0 m long"),
                      (2, 1900, "kx = 1900 over KY"),
                      (0, 2**30, "lat_udeg = 1073741824 does not fit"),
                      (6, 2**30 - 10, "too long (under 2**30 m)")):
        bad = list(row)
        bad[k] = v
        with pytest.raises(gen_route.RouteError, match="points\\[0\\]-points\\[1\\]: segment 0: "):
            gen_route._check_seg([bad], [0])
        with pytest.raises(gen_route.RouteError) as e:
            gen_route._check_seg([row, bad], [0, 1])
        assert msg in str(e.value) and "segment 1" in str(e.value), str(e.value)


def test_segments_longer_than_the_matcher_allows_fail_with_route_error(tmp_path):
    """Far from the middle latitude a sub-segment's own scale is larger: refused, not written."""
    d = _doc()
    d["max_segment_m"] = 8000
    d["points"][1]["lat"], d["points"][1]["lon"] = 0.5, 150.0  # one 4,000 km leg down to the equator
    d["line"] = [{"from": "beijing", "to": "pyongyang", "geometry": "straight", "tolerance_m": 5000}]
    p = tmp_path / "r.json"
    p.write_text(json.dumps(d, ensure_ascii=False))
    with pytest.raises(gen_route.RouteError, match="over 8100 m: lower max_segment_m"):
        gen_route.render(gen_route.load(str(p)), "r.json", "test")


def _doc():
    """The route source, its line files named by absolute path (tests write it elsewhere)."""
    d = json.loads(SRC.read_text())
    for s in d["line"]:
        if "file" in s:
            s["file"] = str(SRC.parent / s["file"])
    return d


def _mutations():
    def m(path, value):
        def f(d):
            o = d
            for k in path[:-1]:
                o = o[k]
            if value is KeyError:
                del o[path[-1]]
            else:
                o[path[-1]] = value
        return f

    return [
        (m(["points", 3, "lat"], "40.0"), "points[3].lat: expected float"),
        (m(["points", 3, "lat"], 95.0), "points[3].lat: value 95.0 out of range"),
        (m(["points", 5, "zh"], KeyError), "points[5].zh: missing"),
        (m(["points", 5, "country"], "XX"), "points[5].country: 'XX' is not in route.countries"),
        (m(["points", 2, "calls"], ["to_moscow"]), "points[2].calls: 'to_moscow' is not one of"),
        (m(["points", 4, "id"], "beijing"), "points[4].id: 'beijing' repeats points[0]"),
        (m(["directions", "to_pyongyang", "legs", 1, "from"], "shenyang"),
         "directions.to_pyongyang.legs[1].from: expected 'dandong'"),
        (m(["directions", "to_beijing", "legs", 2, "to"], "nowhere"),
         "directions.to_beijing.legs[2].to: 'nowhere' is not a station id"),
        (m(["border", "ref"], "moon"), "border.ref: 'moon' is not a point id"),
        (m(["countries", "KP", "utc_offset_min", 1, 1], 2000), "countries.KP.utc_offset_min[1]: minutes 2000"),
        (m(["countries", "KP", "utc_offset_min", 2, 0], "2018-05-04"), "countries.KP.utc_offset_min[2]: expected"),
        (m(["max_segment_m"], 100000), "route.max_segment_m: value 100000 out of range"),
        (m(["countries", "KP", "zone", "ko"], KeyError), "countries.KP.zone.ko: missing"),
        (m(["border", "names", "zh"], ""), "border.names.zh: value '' out of range"),
        (m(["line", 0, "geometry"], "curvy"), "line[0].geometry: value 'curvy' out of range"),
        (m(["line", 0, "tolerance_m"], 150), "line[0].tolerance_m: value 150 out of range"),
        (m(["line", 1, "from"], "dandong"), "line[1].from: expected 'friendship_bridge'"),
        (m(["line", 2, "to"], "sinanju"), "line[2].to: the line must end at the last point, 'pyongyang'"),
        (m(["line", 0, "file"], "/nonexistent.geojson"), "line[0].file: cannot read /nonexistent.geojson"),
        (m(["points", 2, "lat"], 39.9),
         "points[2] (tangshan): 14658 m from the line of line[0], more than its tolerance_m"),
        (m(["languages"], ["en", "zh", "ko"]), "route.languages: expected zh, ko, en, in this order"),
        (m(["languages", 2], "ru"), "route.languages[2]: 'ru': the fixed texts"),
        (m(["line", 0, "licence"], KeyError), "line[0].licence: an osm stretch must carry its licence"),
    ]


@pytest.mark.parametrize("mutate,message", _mutations())
def test_bad_source_names_the_field(tmp_path, mutate, message):
    d = copy.deepcopy(_doc())
    mutate(d)
    p = tmp_path / "r.json"
    p.write_text(json.dumps(d, ensure_ascii=False))
    with pytest.raises(gen_route.RouteError) as e:
        gen_route.load(str(p))
    assert message in str(e.value)


def test_cli_reports_errors_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "points": [1, 2,]}')
    for src, msg in ((bad, "not JSON: line 1"), (tmp_path / "missing.json", "cannot read")):
        p = subprocess.run([sys.executable, "-m", "host_tools.build.route", str(src)], cwd=REPO,
                           capture_output=True, text=True)
        assert p.returncode == 2 and msg in p.stderr and "Traceback" not in p.stderr


def test_adding_a_station_changes_the_tables(tmp_path):
    d = _doc()
    ids = [p["id"] for p in d["points"]]
    i = ids.index("benxi")
    line = json.loads((SRC.parent / "osm-line-beijing-dandong.geojson").read_text())["features"][0]
    lon, lat = next(c for c in line["geometry"]["coordinates"] if 41.0 < c[1] < 41.2 and c[0] > 123.7)  # after Benxi
    new = dict(d["points"][i], id="nanfen", en="Nanfen", zh="南芬", ko="난펀", lat=lat, lon=lon,
               calls=["to_pyongyang"])
    d["points"].insert(i + 1, new)
    p = tmp_path / "r.json"
    p.write_text(json.dumps(d, ensure_ascii=False))
    text = gen_route.render(gen_route.load(str(p)), "r.json", "test")
    assert re.search(r'b"Nanfen"  # \d+ Nanfen', text) and re.search(r"  # \d+ 南芬", text)


def test_spikes_and_zigzags_of_the_source_line_are_dropped():
    """Ways joined end to end leave spikes (the line doubling back) and metre-long zigzags: no train runs them."""
    line = [(40.0, 120.0), (40.0, 120.01), (40.0005, 120.0205), (40.0, 120.02), (40.0, 120.03)]  # a 55 m spike
    assert gen_route.despike(line) == [line[0], line[1], line[3], line[4]]
    assert gen_route.despike([(40.0, 120.0), (40.0, 120.01), (40.0, 120.0101), (40.0, 120.02)]) == [
        (40.0, 120.0), (40.0, 120.01), (40.0, 120.02)]  # 8.5 m on
    route = gen_route.load(str(SRC))
    v = route["vertices"]
    for a, b, c in zip(v, v[1:], v[2:]):
        k = math.cos(math.radians(b[0]))
        u1, u2 = ((b[1] - a[1]) * k, b[0] - a[0]), ((c[1] - b[1]) * k, c[0] - b[0])
        turn = abs(math.degrees(math.atan2(u1[0] * u2[1] - u1[1] * u2[0], u1[0] * u2[0] + u1[1] * u2[1])))
        assert turn <= gen_route.SPIKE_DEG, (b, turn)


def test_simplified_line_stays_within_simplify_m_of_the_source_line():
    """Douglas-Peucker: every vertex of the (despiked) source line is within simplify_m of the line kept."""
    route = gen_route.load(str(SRC))
    s = route["stretches"][0]
    raw = gen_route.despike(s["coords"])
    kept = gen_route.simplify(raw, s["simplify_m"])
    assert s["simplify_m"] == 150 and len(kept) < len(raw) // 2
    lat0 = raw[0][0]
    xy = [gen_route._local_m(lat0, *p) for p in kept]
    k = 0
    for p in raw:
        px, py = gen_route._local_m(lat0, *p)
        best = float("inf")
        for (ax, ay), (bx, by) in zip(xy[max(0, k - 3):k + 4], xy[max(1, k - 2):k + 5]):
            dx, dy = bx - ax, by - ay
            ll = dx * dx + dy * dy
            t = 0.0 if ll == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / ll))
            best = min(best, math.hypot(ax + t * dx - px, ay + t * dy - py))
        if p in kept:
            k = kept.index(p)
        assert best <= s["simplify_m"] + 1, (p, best)


def test_despiking_the_real_line_drops_what_it_says():
    """The vertices despike() drops from the OSM line and how far each lay from the line kept: a new source
    line changes these figures and must be looked at again (the docstring of gen_route.despike)."""
    route = gen_route.load(str(SRC))
    raw = route["stretches"][0]["coords"]
    kept = gen_route.despike(raw)
    dropped = [p for p in raw if p not in kept]
    lat0 = raw[0][0]
    xy = [gen_route._local_m(lat0, *p) for p in kept]

    def off(p):
        px, py = gen_route._local_m(lat0, *p)
        best = float("inf")
        for (ax, ay), (bx, by) in zip(xy, xy[1:]):
            dx, dy = bx - ax, by - ay
            ll = dx * dx + dy * dy
            t = 0.0 if ll == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / ll))
            best = min(best, math.hypot(ax + t * dx - px, ay + t * dy - py))
        return best

    far = sorted(off(p) for p in dropped)
    assert len(dropped) == 10, len(dropped)
    assert 740 < far[-1] < 770 and sum(d > 100 for d in far) == 7, far
