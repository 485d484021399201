"""Journeys along the real line (the OpenStreetMap geometry of routes/, straight only in the DPRK), judged by
what passengers read: the number, the clock, "at <station>" at every calling stop, no skipped next stop.

The track always follows the real line (host_tools.synth); the robustness property gives the firmware a
route whose line is displaced sideways by up to 5 km between stations, as a poorly drawn route would be."""

import json
import math
import types

import pytest
from hyp import examples
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mp.mp import REPO
from trainctl import route_data

from host_tools.build import route as gen_route
from host_tools.replay import core as replay_core
from host_tools.replay import judge
from host_tools.synth import journey as synth

SRC = REPO / "routes" / "beijing-pyongyang.json"
FAULTS = dict(noise_m=15.0, jumps=6, frozen=4, garbage=0.005, talkers=("GN", "GP", "BD", "GB", "GL"),
              shunting=True, outages=(("2026-11-23T12:00:00Z", 240), (40000, 600)))


def run(route, data):
    events = []
    r = replay_core.Replay(route, None, lambda pairs: events.append(json.loads(replay_core.line(pairs))))
    view = memoryview(data)
    for i in range(0, len(data), 4096):
        chunk = bytearray(view[i:i + 4096])
        r.feed(chunk, len(chunk))
    events.append(json.loads(replay_core.line(r.summary_pairs())))
    return events


def check(route, direction, seed, **kw):
    data, truth = synth.generate(direction, seed=seed, **kw)
    events = run(route, data)
    bad = judge.judge(events, truth)
    assert bad == [], "\n".join(bad[:10])
    return events, truth


@pytest.mark.slow
@pytest.mark.parametrize("direction", ["to_pyongyang", "to_beijing"])
def test_real_line_with_faults_and_a_wandering_track_in_the_dprk(direction):
    """Faults, and the DPRK track up to 10 km from the straight lines the route has there."""
    events, truth = check(route_data, direction, 21, wander_m=10000.0, **FAULTS)
    s = events[-1]
    assert s["off_route"] + s["searching"] < 0.01 * s["fixes"]
    assert truth["args"]["wander_m"] == 10000.0


def test_the_judge_reads_what_passengers_read():
    """The stop checks fail on a display that skips a stop, never says "at", or shows the number late."""
    data, truth = synth.generate("to_pyongyang", seed=2, end="shenyang")
    events = run(route_data, data)
    assert judge.judge_stops(events, truth) == []
    disp = [e for e in events if e["event"] == "display"]
    no_at = [dict(e, at_stop=None) if e["at_stop"] == "Tianjin" else e for e in disp]
    assert any("standing at Tianjin" in b for b in judge.judge_stops(no_at, truth))
    skip = [dict(e, next_stop="Shanhaiguan") if e["next_stop"] == "Tianjin" else e for e in disp]
    assert any("not yet called at Tianjin" in b for b in judge.judge_stops(skip, truth))
    late = [dict(e, train=None) if judge.epoch(e["utc"]) < judge.epoch(truth["stops"][0]["dep_utc"]) + 400 else e
            for e in disp]
    assert any("first shown" in b for b in judge.judge_stops(late, truth))
    stale = [dict(e, next_stop="Tianjin") if e["next_stop"] == "Shanhaiguan" else e for e in disp]
    assert any("already called there" in b for b in judge.judge_stops(stale, truth))
    dropped = events[:-1] + [dict(events[-1], off_route=events[-1]["fixes"] // 50 + 60)]
    assert any("off the line" in b for b in judge.judge_stops(dropped, truth))


@pytest.mark.parametrize("direction", ["to_pyongyang", "to_beijing"])
def test_first_fix_as_the_train_leaves_the_terminus(direction):
    """No fix while the train stands at the terminus (the receiver still cold): its first fixes come 10 s
    before it leaves, so the standing rule cannot tell the direction: leaving it must, within 5 minutes."""
    data, truth = synth.generate(direction, seed=4, noise_m=8.0, outages=((0, 590),), end="tianjin"
                                 if direction == "to_pyongyang" else "sinanju")
    events = run(route_data, data)
    assert judge.judge(events, truth) == []
    dep = judge.epoch(truth["stops"][0]["dep_utc"])
    first = next(judge.epoch(e["utc"]) for e in events if e.get("train"))
    assert first - dep <= judge.NUMBER_S, first - dep


def _displaced(amps_m):
    """The route module, its line moved sideways between consecutive points of the route (stations, the
    bridge) by a * sin(pi f), f the fraction of the way between them, a = amps_m[k] but at most a sixth of
    the distance (a smooth line: no slope steeper than about 1 in 2); its stated tolerance 6 km everywhere."""
    route = gen_route.load(str(SRC))
    route["vertices"] = _displaced_vertices(route["vertices"], route["points"], amps_m)
    mod = types.ModuleType("displaced_route")
    exec(compile(gen_route.render(route, "displaced", "test"), "displaced", "exec"), mod.__dict__)
    return mod


def _displaced_vertices(verts, points, amps_m):
    xy = [(lon * math.cos(math.radians(lat)) * 111195.0, lat * 111195.0) for lat, lon, _, _ in verts]
    cum = [0.0]
    for a, b in zip(xy, xy[1:]):
        cum.append(cum[-1] + math.dist(a, b))
    st_at = [k for k, v in enumerate(verts) if v[3] >= 0]
    out = []
    gap = 0
    for k, (lat, lon, _tol, i) in enumerate(verts):
        while gap + 1 < len(st_at) and st_at[gap + 1] <= k:
            gap += 1
        a, b = st_at[gap], st_at[min(gap + 1, len(st_at) - 1)]
        if i >= 0 or b <= a or k in (0, len(verts) - 1):
            out.append((lat, lon, 6000, i))
            continue
        f = (cum[k] - cum[a]) / (cum[b] - cum[a])
        amp = max(-(cum[b] - cum[a]) / 6, min((cum[b] - cum[a]) / 6, amps_m[gap % len(amps_m)]))
        off = amp * math.sin(math.pi * f)
        (x0, y0), (x1, y1) = xy[k - 1], xy[k + 1]
        n = math.hypot(x1 - x0, y1 - y0) or 1.0
        nx, ny = -(y1 - y0) / n, (x1 - x0) / n  # to the left of the line
        out.append((lat + ny * off / 111195.0, lon + nx * off / (111195.0 * math.cos(math.radians(lat))), 6000, i))
    return out


@pytest.mark.slow
@settings(max_examples=examples(2), deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))  # no shrinking: a whole journey per example
@given(st.lists(st.floats(-5000, 5000), min_size=17, max_size=17), st.sampled_from(["to_pyongyang", "to_beijing"]),
       st.integers(0, 1000))
def test_a_line_displaced_up_to_5_km_still_reads_right(amps_m, direction, seed):
    route = _displaced(amps_m)
    events, _ = check(route, direction, seed, noise_m=15.0, shunting=True, jumps=2, frozen=2)
    s = events[-1]
    assert s["off_route"] + s["searching"] < 0.01 * s["fixes"]


def test_displacement_really_moves_the_line():
    """The property's line is not the real one: up to 5 km away between stations, on it at the stations."""
    route = gen_route.load(str(SRC))
    moved = _displaced_vertices(route["vertices"], route["points"], [5000.0] * 17)
    far = [synth.distance_m(a[0], a[1], b[0], b[1]) for a, b in zip(route["vertices"], moved)]
    assert 4500 < max(far) <= 5001, max(far)
    assert all(d == 0 for d, v in zip(far, moved) if v[3] >= 0)
    assert _displaced([5000.0] * 17).ST_LAT_UDEG == route_data.ST_LAT_UDEG
