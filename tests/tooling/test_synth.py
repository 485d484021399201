"""Tests of host_tools/synth/journey.py, the synthetic NMEA journey generator (host only)."""

import functools
import itertools
import json
import math
import operator
import os
import re
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host_tools.common import nmea, paths
from host_tools.synth import journey as synth
from host_tools.synth import nmea as synth_nmea

ROOT = Path(paths.ROOT)
DATA = ROOT / "tests" / "data"
ROUTE = json.loads((ROOT / "routes" / "beijing-pyongyang.json").read_text(encoding="utf-8"))
# Each point where the train stands or passes: its place on the route's line (the projection of an OSM node)
POINTS = {p["id"]: p for p in synth.line_points() if p["id"] is not None}
KNOWN_TYPES = {"RMC", "GGA", "VTG", "GSA", "GSV", "ZDA"}
SENTENCE_RE = re.compile(rb"\$([A-Z]{2})([A-Z]{3}),(.*)\*([0-9A-Fa-f]{2})")
KN_TO_KMH = 1.852

FAULTY = {
    "seed": 3,
    "rate_s": 2,
    "start": "dandong",
    "end": "sinuiju",
    "noise_m": 15.0,
    "garbage": 0.05,
    "jumps": 3,
    "frozen": 3,
    "shunting": True,
    "gsv": True,
    "sentences": ("RMC", "GGA", "VTG", "GSA", "ZDA"),
    "talkers": ("GN", "GP", "BD", "GB", "GL", "GA", "GQ"),
    "outages": (("2026-11-23T23:40:00Z", 300), (7000, 120)),
}


def utc_s(iso):
    """ISO-8601 Z time -> UTC seconds."""
    return datetime.fromisoformat(iso).timestamp()


def haversine_m(lat1, lon1, lat2, lon2):
    """Independent great-circle distance (mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def nmea_deg(value, hemi):
    """'ddmm.mmmmm' or 'dddmm.mmmmm' -> signed degrees."""
    head, _, _ = value.partition(".")
    deg_digits = len(head) - 2
    deg = int(value[:deg_digits]) + float(value[deg_digits:]) / 60.0
    return -deg if hemi in ("S", "W") else deg


def classify(data):
    """Split a byte stream like a resyncing receiver parser: the text from the last '$'."""
    out = {"valid": [], "unknown": 0, "too_long": 0, "invalid": 0}
    for raw in data.split(b"\n"):
        line = raw.rstrip(b"\r")
        start = line.rfind(b"$")
        if start < 0:
            if line:
                out["invalid"] += 1
            continue
        text = line[start:]
        m = SENTENCE_RE.fullmatch(text)
        if not m or int(m.group(4), 16) != functools.reduce(operator.xor, text[1 : text.index(b"*")], 0):
            out["invalid"] += 1
        elif len(text) + 2 > 82:
            out["too_long"] += 1
        elif m.group(2).decode() not in KNOWN_TYPES:
            out["unknown"] += 1
        else:
            out["valid"].append((m.group(1).decode(), m.group(2).decode(), m.group(3).decode().split(",")))
    return out


def hms_to_s(hms, ddmmyy):
    """NMEA time and date fields -> UTC seconds."""
    stamp = datetime.strptime(ddmmyy + hms[:6] + "+0000", "%d%m%y%H%M%S%z")
    return stamp.timestamp()


def rmc_epochs(sentences):
    """Decoded RMC sentences: dicts with t, status, lat, lon, sog_kmh, cog (None when empty)."""
    out = []
    for _talker, kind, f in sentences:
        if kind != "RMC":
            continue
        rec = {"t": hms_to_s(f[0], f[8]), "status": f[1], "lat": None, "lon": None, "sog_kmh": None}
        if f[1] == "A":
            rec.update(
                lat=nmea_deg(f[2], f[3]),
                lon=nmea_deg(f[4], f[5]),
                sog_kmh=float(f[6]) * KN_TO_KMH,
                cog=float(f[7]) if f[7] else None,
            )
        else:
            assert f[2:8] == [""] * 6
        out.append(rec)
    return out


class Track:
    """One generated track, decoded."""

    def __init__(self, direction, **kwargs):
        self.data, self.truth = synth.generate(direction, **kwargs)
        self.parsed = classify(self.data)
        self.rmc = rmc_epochs(self.parsed["valid"])


@pytest.fixture(scope="module")
def to_pyongyang():
    return Track("to_pyongyang")


@pytest.fixture(scope="module")
def to_beijing():
    return Track("to_beijing", rate_s=5)


@pytest.fixture(scope="module")
def faulty():
    return Track("to_pyongyang", **FAULTY)


@pytest.fixture(scope="module")
def shunting_clean():
    return Track("to_pyongyang", seed=3, rate_s=2, start="dandong", end="sinuiju", shunting=True)


# ---------------------------------------------------------------- reproducibility, format


def test_same_seed_same_bytes_other_seed_other_bytes(faulty):
    again, truth = synth.generate("to_pyongyang", **FAULTY)
    assert again == faulty.data
    assert synth.truth_json(truth) == synth.truth_json(faulty.truth)
    other, _ = synth.generate("to_pyongyang", **{**FAULTY, "seed": 4})
    assert other != faulty.data


@pytest.mark.slow
def test_clean_track_is_all_valid_crlf_lines(to_pyongyang):
    p = to_pyongyang.parsed
    assert p["invalid"] == p["unknown"] == p["too_long"] == 0
    assert len(p["valid"]) == to_pyongyang.truth["sentences"] == 2 * to_pyongyang.truth["epochs"]
    lines = to_pyongyang.data.split(b"\r\n")
    assert lines[-1] == b"" and all(line.startswith(b"$") for line in lines[:-1])
    assert max(len(line) for line in lines) + 2 <= 82


def test_garbage_is_counted_and_everything_else_checks(faulty):
    p, g = faulty.parsed, faulty.truth["faults"]["garbage"]
    assert all(g[kind] > 0 for kind in synth.GARBAGE_KINDS)
    assert len(p["valid"]) == faulty.truth["sentences"]
    assert p["unknown"] == g["unknown_type"]
    assert p["too_long"] == g["too_long"]
    # junk without '$' or LF merges into the next line, which the resync still reads
    assert p["invalid"] >= g["bad_checksum"]
    assert faulty.truth["epochs"] == len(faulty.rmc)
    assert {talker for talker, kind, _ in p["valid"] if kind == "RMC"} == set(FAULTY["talkers"])
    gsv = [f for _, kind, f in p["valid"] if kind == "GSV"]
    assert gsv and any(len(f) % 4 == 0 for f in gsv) and any(len(f) % 4 == 3 for f in gsv)


# ---------------------------------------------------------------- schedule and motion


def expected_calls(direction):
    ids = [p["id"] for p in ROUTE["points"] if direction in p.get("calls", [])]
    return ids if direction == "to_pyongyang" else ids[::-1]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["to_pyongyang", "to_beijing"])
def test_stops_in_order_and_standing_still(name, request):
    track = request.getfixturevalue(name)
    stops = track.truth["stops"]
    assert [s["station"] for s in stops] == expected_calls(name)
    times = [utc_s(t) for s in stops for t in (s["stopped_utc"], s["dep_utc"]) if t]
    assert times == sorted(times)
    for stop in stops:
        pt = POINTS[stop["station"]]
        lo = utc_s(stop["stopped_utc"]) if stop["stopped_utc"] else track.rmc[0]["t"]
        hi = utc_s(stop["dep_utc"]) if stop["dep_utc"] else track.rmc[-1]["t"]
        standing = [r for r in track.rmc if lo <= r["t"] <= hi]
        assert len(standing) >= 2
        for r in standing:
            assert r["sog_kmh"] < 0.01
            assert haversine_m(r["lat"], r["lon"], pt["lat"], pt["lon"]) < 30
        moving = [r for r in track.rmc if hi < r["t"] <= hi + 60]
        assert not moving or moving[-1]["sog_kmh"] > 1


@pytest.mark.slow
def test_sourced_times_are_met(to_pyongyang, to_beijing):
    by = {s["station"]: s for s in to_pyongyang.truth["stops"]}
    assert by["beijing"]["dep_utc"] == "2026-11-23T09:26:00Z"
    assert abs(utc_s(by["dandong"]["stopped_utc"]) - utc_s("2026-11-23T23:35:00Z")) <= 60
    assert by["dandong"]["dep_utc"] == "2026-11-24T02:00:00Z"
    assert abs(utc_s(by["pyongyang"]["stopped_utc"]) - utc_s("2026-11-24T09:07:00Z")) <= 60
    by = {s["station"]: s for s in to_beijing.truth["stops"]}
    assert by["pyongyang"]["dep_utc"] == "2026-11-23T01:26:00Z"
    assert abs(utc_s(by["beijing"]["stopped_utc"]) - utc_s("2026-11-24T00:40:00Z")) <= 60
    # the first fix that moves is just after the sourced departure
    first_moving = next(r for r in to_pyongyang.rmc if r["sog_kmh"] > 0)
    assert 0 < first_moving["t"] - utc_s("2026-11-23T09:26:00Z") <= 2
    assert to_pyongyang.truth["notes"] == [] and to_beijing.truth["notes"] == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["to_pyongyang", "to_beijing"])
def test_speed_caps(name, request):
    track = request.getfixturevalue(name)
    caps = ROUTE["timetable"]["max_speed_kmh"]
    by = {s["station"]: s for s in track.truth["stops"]}
    if name == "to_pyongyang":
        kp = (utc_s(by["sinuiju"]["stopped_utc"]), math.inf)
        bridge = (utc_s(by["dandong"]["dep_utc"]), utc_s(by["sinuiju"]["stopped_utc"]))
    else:
        kp = (-math.inf, utc_s(by["sinuiju"]["dep_utc"]))
        bridge = (utc_s(by["sinuiju"]["dep_utc"]), utc_s(by["dandong"]["stopped_utc"]))
    top = max(r["sog_kmh"] for r in track.rmc)
    assert 50 < top <= caps["CN"] + 0.01
    assert max(r["sog_kmh"] for r in track.rmc if kp[0] <= r["t"] <= kp[1]) <= caps["KP"] + 0.01
    on_bridge = [r["sog_kmh"] for r in track.rmc if bridge[0] <= r["t"] <= bridge[1]]
    assert 19 < max(on_bridge) <= 20.01


@pytest.mark.slow
def test_reported_motion_matches_positions(to_pyongyang):
    """Speed and course agree with the displacement between consecutive fixes."""
    rmc = to_pyongyang.rmc
    checked = 0
    for a, b in itertools.pairwise(rmc):
        if a["sog_kmh"] > 30 and b["sog_kmh"] > 30:
            dist_m = haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])
            mean_ms = (a["sog_kmh"] + b["sog_kmh"]) / 2 / 3.6
            # the chord between two fixes is never longer than the way run; with a vertex of the line between
            # them it is shorter (the simplified OSM line turns by up to 74 degrees at a vertex)
            run_m = mean_ms * (b["t"] - a["t"])
            assert 0.75 * run_m < dist_m < run_m + 1.0
            if abs((a["cog"] - b["cog"] + 180) % 360 - 180) > 0.1:
                continue  # a vertex of the line lies between the two fixes
            bearing = synth.bearing_deg(a["lat"], a["lon"], b["lat"], b["lon"])
            assert abs((bearing - b["cog"] + 180) % 360 - 180) < 0.2  # 1e-5' quantization
            checked += 1
    assert checked > 10000


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "trains", "changes"),
    [
        ("to_pyongyang", ["K27", "95", "52"], ["dandong", "sinuiju"]),
        ("to_beijing", ["51", "85", "K28"], ["sinuiju", "dandong"]),
    ],
)
def test_legs_contiguous_with_right_numbers(name, trains, changes, request):
    truth = request.getfixturevalue(name).truth
    legs = truth["legs"]
    assert [leg["train"] for leg in legs] == trains
    assert legs[0]["from_utc"] == truth["track"]["from_utc"]
    assert legs[-1]["to_utc"] == truth["track"]["to_utc"]
    by = {s["station"]: s for s in truth["stops"]}
    for leg, nxt, station in zip(legs, legs[1:], changes):
        assert leg["to_utc"] == nxt["from_utc"] == by[station]["stopped_utc"]


def test_points_are_on_the_line_near_their_source_position():
    src = {p["id"]: p for p in ROUTE["points"]}
    assert list(POINTS) == list(src)
    for pid, p in POINTS.items():
        # OSM nodes: <= 102 m from the OSM line (the synthetic train runs the source line, not simplified)
        assert haversine_m(p["lat"], p["lon"], src[pid]["lat"], src[pid]["lon"]) < 110, pid


def test_the_track_follows_the_osm_line_not_the_chord():
    """Between Beijing and Tianjin the line runs south-west first: the chord would not."""
    data, truth = synth.generate("to_pyongyang", seed=1, end="tianjin")
    assert 136000 < truth["runs"][0]["dist_m"] < 138000  # OSM: 136.9 km (the chord is 111 km)
    fixes = re.findall(rb"RMC,[\d.]+,A,([\d.]+),N,([\d.]+),E", data)
    lats = [float(a[:2]) + float(a[2:]) / 60 for a, _ in fixes]
    lons = [float(b[:3]) + float(b[3:]) / 60 for _, b in fixes]
    assert min(lons) < 116.28 and min(lats) < 39.6  # south-west of Beijing station, then round to Tianjin


def test_wander_bends_the_straight_dprk_track_only():
    plain = synth.line_points()
    bent = synth.line_points(wander_m=10000.0, rng=synth.random.Random(3))
    assert [p for p in bent if p["id"]] == [p for p in plain if p["id"]]  # the points stay where they are
    assert len(bent) > len(plain)
    i = next(k for k, p in enumerate(plain) if p["id"] == "sinuiju")
    assert plain[:i] == bent[:i]  # nothing moves on the OSM line


def border_point():
    ref, before = POINTS[ROUTE["border"]["ref"]], POINTS[ROUTE["border"]["before"]]
    bearing = synth.bearing_deg(ref["lat"], ref["lon"], before["lat"], before["lon"])
    return synth.destination(ref["lat"], ref["lon"], bearing, ROUTE["border"]["offset_m"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "first", "second"), [("to_pyongyang", "dandong", "sinuiju"), ("to_beijing", "sinuiju", "dandong")]
)
def test_border_crossing_between_border_stations(name, first, second, request):
    track = request.getfixturevalue(name)
    by = {s["station"]: s for s in track.truth["stops"]}
    t_cross = utc_s(track.truth["border_crossing_utc"])
    assert utc_s(by[first]["dep_utc"]) < t_cross < utc_s(by[second]["stopped_utc"])
    assert track.truth["border_crossings_utc"] == [track.truth["border_crossing_utc"]]
    nearest = min(track.rmc, key=lambda r: abs(r["t"] - t_cross))
    lat, lon = border_point()
    slack_m = 20 / 3.6 * abs(nearest["t"] - t_cross) + 2
    assert haversine_m(nearest["lat"], nearest["lon"], lat, lon) < slack_m


# ---------------------------------------------------------------- faults


def test_outages_print_status_v(faulty):
    spans = [(utc_s(o["from_utc"]), utc_s(o["to_utc"])) for o in faulty.truth["faults"]["outages"]]
    assert len(spans) == 2
    inside = [r for r in faulty.rmc if any(a <= r["t"] < b for a, b in spans)]
    assert len(inside) == sum(o["epochs"] for o in faulty.truth["faults"]["outages"]) > 100
    assert all(r["status"] == "V" for r in inside)
    assert all(r["status"] == "A" for r in faulty.rmc if r not in inside)
    gga_q = [f[5] for _, kind, f in faulty.parsed["valid"] if kind == "GGA"]
    assert gga_q.count("0") == len(inside)


def test_border_outage_in_stored_file():
    truth = json.loads((DATA / "border_to_beijing.truth.json").read_text(encoding="utf-8"))
    (outage,) = truth["faults"]["outages"]
    by = {s["station"]: s for s in truth["stops"]}
    assert utc_s(outage["from_utc"]) == utc_s(by["sinuiju"]["stopped_utc"]) - 600
    assert utc_s(outage["to_utc"]) == utc_s(by["dandong"]["dep_utc"]) + 600
    rmc = rmc_epochs(classify((DATA / "border_to_beijing.nmea").read_bytes())["valid"])
    lo, hi = utc_s(outage["from_utc"]), utc_s(outage["to_utc"])
    assert all((r["status"] == "V") == (lo <= r["t"] < hi) for r in rmc)
    assert lo <= utc_s(truth["border_crossing_utc"]) < hi


def test_jumps_are_far_and_frozen_repeat(faulty):
    by_t = {r["t"]: r for r in faulty.rmc}
    faults = faulty.truth["faults"]
    assert len(faults["jumps"]) == 3 and len(faults["frozen"]) == 3
    for jump in faults["jumps"]:
        t0, t1 = utc_s(jump["from_utc"]), utc_s(jump["to_utc"])
        assert 2 <= jump["epochs"] <= 8 and t1 - t0 == (jump["epochs"] - 1) * FAULTY["rate_s"]
        before = by_t[t0 - FAULTY["rate_s"]]
        for k in range(jump["epochs"]):
            r = by_t[t0 + k * FAULTY["rate_s"]]
            assert r["status"] == "A"
            assert 90e3 < haversine_m(r["lat"], r["lon"], before["lat"], before["lon"]) < 610e3
    for freeze in faults["frozen"]:
        t0 = utc_s(freeze["from_utc"])
        assert 5 <= freeze["epochs"] <= 30
        before = by_t[t0 - FAULTY["rate_s"]]
        for k in range(freeze["epochs"]):
            r = by_t[t0 + k * FAULTY["rate_s"]]
            assert (r["lat"], r["lon"], r["sog_kmh"], r["cog"]) == (
                before["lat"],
                before["lon"],
                before["sog_kmh"],
                before["cog"],
            )
        after = by_t[t0 + freeze["epochs"] * FAULTY["rate_s"]]
        assert (after["lat"], after["lon"]) != (before["lat"], before["lon"])


def test_noise_has_the_asked_sigma(faulty):
    by = {s["station"]: s for s in faulty.truth["stops"]}
    pt = POINTS["sinuiju"]
    lo, hi = utc_s(by["sinuiju"]["stopped_utc"]), utc_s(by["sinuiju"]["dep_utc"])
    busy = [(utc_s(m["from_utc"]), utc_s(m["to_utc"])) for m in faulty.truth["shunting"]]
    north = [
        (r["lat"] - pt["lat"]) * math.pi / 180 * 6371008.8
        for r in faulty.rmc
        if lo <= r["t"] <= hi and r["status"] == "A" and not any(a - 10 <= r["t"] <= b + 10 for a, b in busy)
    ]
    sigma_m = math.sqrt(sum(x * x for x in north) / len(north))
    assert len(north) > 1000 and 7 < sigma_m < 30


def test_shunting_moves_return_to_the_platform(shunting_clean):
    truth = shunting_clean.truth
    moves = truth["shunting"]
    assert {m["towards"] for m in moves} == {"next", "previous"}
    for station in ("dandong", "sinuiju"):
        assert 3 <= sum(m["station"] == station for m in moves) <= 6
    for m in moves:
        pt = POINTS[m["station"]]
        t0, t1 = utc_s(m["from_utc"]), utc_s(m["to_utc"])
        during = [r for r in shunting_clean.rmc if t0 <= r["t"] <= t1]
        far = max(haversine_m(r["lat"], r["lon"], pt["lat"], pt["lon"]) for r in during)
        assert m["dist_m"] - 30 < far < m["dist_m"] + 1
        assert max(r["sog_kmh"] for r in during) <= m["speed_kmh"] + 0.01 <= 15.01
        after = next(r for r in shunting_clean.rmc if r["t"] > t1)
        assert haversine_m(after["lat"], after["lon"], pt["lat"], pt["lon"]) < 1
    crossings = truth["border_crossings_utc"]
    assert len(crossings) % 2 == 1 and truth["border_crossing_utc"] in crossings
    assert len(crossings) == 1  # shunting stays in the station's country (synth.SHUNT_BORDER_CLEAR_M)
    assert any(m["station"] == "dandong" and m["towards"] == "next" for m in moves)  # towards the bridge, short


def test_cli_outage_iso_and_truth_file(tmp_path):
    out, truth_path = tmp_path / "t.nmea", tmp_path / "t.json"
    rc = synth.main(
        [
            "--direction",
            "to_beijing",
            "--duration-s",
            "900",
            "--outage",
            "2026-11-23T01:20:00Z/60",
            "--sentences",
            "RMC,VTG,GGA,GSA,ZDA",
            "-o",
            str(out),
            "--truth",
            str(truth_path),
        ]
    )
    assert rc == 0
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    assert truth["faults"]["outages"][0]["epochs"] == 60 and truth["epochs"] == 901
    parsed = classify(out.read_bytes())
    assert len(parsed["valid"]) == truth["sentences"] == 5 * 901 and parsed["invalid"] == 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        synth.generate("to_moscow")
    with pytest.raises(ValueError):
        synth.generate("to_pyongyang", talkers=("XX",))
    with pytest.raises(ValueError):
        synth.generate("to_pyongyang", start="sinuiju", end="dandong")


# ---------------------------------------------------------------- stored data


def readme_commands():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    return [shlex.split(line) for line in text.splitlines() if line.startswith("python -m host_tools.synth ")]


def test_stored_files_equal_a_fresh_regeneration(tmp_path):
    commands = readme_commands()
    assert len(commands) == 3
    (tmp_path / "tests" / "data").mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    written = []
    for argv in commands:
        subprocess.run([sys.executable, *argv[1:]], cwd=tmp_path, env=env, check=True)
        written += [argv[argv.index(flag) + 1] for flag in ("-o", "--truth")]
    stored = sorted(p.name for p in DATA.iterdir() if p.suffix in (".nmea", ".json"))
    assert sorted(Path(w).name for w in written) == stored
    for rel in written:
        fresh, kept = (tmp_path / rel).read_bytes(), (ROOT / rel).read_bytes()
        assert fresh == kept, f"{rel} differs from a fresh regeneration (see tests/data/README.md)"
        assert len(kept) < 600_000


# ---------------------------------------------------------------- helpers (property tests)


@given(st.binary(min_size=0, max_size=300))
def test_fast_xor_matches_reduce(data):
    assert nmea.checksum(data) == functools.reduce(operator.xor, data, 0)


@settings(max_examples=300)
@given(st.floats(min_value=-89.99999, max_value=89.99999), st.floats(min_value=-179.99999, max_value=179.99999))
def test_coordinate_format_round_trips(lat, lon):
    lat_f, lat_h = synth_nmea.fmt_lat(lat)
    lon_f, lon_h = synth_nmea.fmt_lon(lon)
    assert re.fullmatch(r"\d{4}\.\d{5}", lat_f) and re.fullmatch(r"\d{5}\.\d{5}", lon_f)
    assert abs(nmea_deg(lat_f, lat_h) - lat) <= 0.5e-5 / 60 + 1e-12
    assert abs(nmea_deg(lon_f, lon_h) - lon) <= 0.5e-5 / 60 + 1e-12
