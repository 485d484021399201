"""The frames CLI on the stored tracks: clips where the replay says alerts start, stills equal to a
Screen driven in the test to the same state, a GIF whose durations are the clips', errors as one line."""

import json
import re
import subprocess
import sys

import pytest
from mp.mp import REPO
from PIL import Image

from host_tools.common import route_names
from host_tools.replay.screen import Screen

DATA = REPO / "tests" / "data"
SCALE = 4  # the LED look of Screen.image() needs 4 or more
CLIP_S = 15
TRACKS = ("border_to_pyongyang", "border_to_beijing", "short_clean")


def run(*args, tool="replay.frames"):
    return subprocess.run([sys.executable, "-m", "host_tools." + tool, *map(str, args)], cwd=REPO,
                          capture_output=True, timeout=300)


def replay_states(track):
    """Display states from the replay CLI (the independent side): dicts with utc, train, names..."""
    p = run(DATA / (track + ".nmea"), "--json", tool="replay")
    assert p.returncode == 0, p.stderr.decode()
    return [e for e in map(json.loads, p.stdout.decode().splitlines()) if e["event"] == "display"]


def expected_alerts(states):
    """Alert labels the replay implies, in order: a number change, a clock change, an arrival."""
    out = []
    for a, b in zip(states, states[1:]):
        t = []
        if a["train"] and b["train"] and a["train"] != b["train"]:
            t.append("train_" + b["train"].lower())
        if a["utc_offset_min"] and b["utc_offset_min"] and a["utc_offset_min"] != b["utc_offset_min"]:
            t.append("border_utc+%d" % (b["utc_offset_min"] // 60))
        if b["at_stop"] and b["at_stop"] != a["at_stop"] and a["train"]:  # not when first found at a stop
            t.append("arrival_" + b["at_stop"].lower().replace(" ", "-"))
        out.extend((x, b["utc"]) for x in t)
    return out


def utc_s(iso):
    from host_tools.replay import core as replay_core

    return replay_core.parse_iso_utc(iso[:19] + "Z")


class State:
    """A controller's display state, from a replay event (names back to station indexes)."""

    def __init__(self, e, route):
        en = list(route_names.names(route).ST_EN)
        self.train = e["train"]
        self.utc_offset_min = e["utc_offset_min"]
        # 2026: China is on UTC+8, the DPRK on UTC+9 (routes/beijing-pyongyang.json, time zones)
        self.country = -1 if e["utc_offset_min"] is None else list(route.COUNTRIES).index(
            "KP" if e["utc_offset_min"] == 540 else "CN")
        self.next_stop = en.index(e["next_stop"]) if e["next_stop"] else -1
        self.destination = en.index(e["destination"]) if e["destination"] else -1
        self.at_stop = en.index(e["at_stop"]) if e["at_stop"] else -1


@pytest.fixture(scope="module")
def border(tmp_path_factory):
    out = tmp_path_factory.mktemp("frames")
    p = run(DATA / "border_to_pyongyang.nmea", "--display", "both", "--gif", "--scale", SCALE,
            "--clip-s", CLIP_S, "--out", out)
    assert p.returncode == 0, p.stderr.decode()
    assert re.match(r"frames: \d+ clips, \d+ stills, 2 GIFs .* in .*; [\d.]+ s$", p.stdout.decode().strip())
    return out, json.loads((out / "index.json").read_text(encoding="utf-8"))


def clips_of(index, display):
    return [c for c in index["clips"] if c["display"] == display]


def test_border_clip_stills_equal_a_screen_driven_to_the_same_state(border):
    from trainctl import route_data

    out, index = border
    states = replay_states("border_to_pyongyang")
    k = next(i for i in range(1, len(states)) if states[i - 1]["utc_offset_min"] == 480
             and states[i]["utc_offset_min"] == 540)
    t0 = utc_s(states[k]["utc"])
    for display in ("oled", "ticker"):
        clip = next(c for c in clips_of(index, display) if c["label"] == "border_utc+9")
        assert clip["start_utc"] == states[k]["utc"][:19] + ".000Z"
        stills = clip["stills"]
        want = ["border_utc+9_" + lg for lg in ("zh", "ko", "en")]
        if display == "ticker":  # one row: the bridge's name, then the clock, per language
            want = [w + p for w in want for p in ("_p1", "_p2")]
        got = [s["label"] for s in stills if s["kind"] == "border"]  # then the rotation comes back
        assert got == want[:len(got)] and len(got) >= (3 if display == "oled" else 4), got
        assert stills[:len(got)] == [s for s in stills if s["kind"] == "border"]
        scr = Screen(display, route_data)
        scr.pages.update(State(states[k - 1], route_data))
        scr.pages.update(State(states[k], route_data))  # the clock changes: the border alert starts
        scr.pages.tick(0, t0)
        t_ms = t0 * 1000
        for st in stills:
            ts = utc_s(st["utc"]) * 1000 + int(st["utc"][20:23])
            while t_ms < ts:
                scr.pages.tick(100, t0)
                t_ms += 100
            scr.render()
            want_img = scr.image(SCALE).convert("RGB")
            got_img = Image.open(out / st["file"]).convert("RGB")
            assert got_img.size == want_img.size
            assert got_img.tobytes() == want_img.tobytes(), st["file"]
            lit = sum(map(sum, scr.pixels()))
            assert 0 < lit < scr.width * scr.height  # neither blank nor all lit
        # the languages differ: the zh and ko stills are different pictures
        a, b = (Image.open(out / s["file"]).tobytes() for s in stills[:2])
        assert a != b


def test_index_is_consistent_with_the_files(border):
    out, index = border
    assert index["displays"] == ["oled", "ticker"] and index["scale"] == SCALE and index["clip_s"] == CLIP_S
    listed = set()
    for display in ("oled", "ticker"):
        clips = clips_of(index, display)
        assert clips[0]["label"] == "start"
        end = ""
        n = 0
        for c in clips:
            assert c["start_utc"] >= end  # in order, no overlap
            end = c["end_utc"]
            assert c["duration_ms"] >= CLIP_S * 1000 and c["samples"] == c["duration_ms"] // 100  # --fps 10
            assert utc_s(c["end_utc"]) - utc_s(c["start_utc"]) in (c["duration_ms"] // 1000,
                                                                  c["duration_ms"] // 1000 + 1)
            assert c["label"] == ("start" if c is clips[0] else c["alerts"][0]["label"])
            for st in c["stills"]:
                assert c["start_utc"] <= st["utc"] < c["end_utc"]
                assert st["index"] == n
                n += 1
                name = "%s/%04d_%s_%s.png" % (display, st["index"], st["utc"][:19].replace(":", "-") + "Z",
                                              st["label"])
                assert st["file"] == name and (out / name).is_file()
                assert st["lang"] in ("zh", "ko", "en") and st["label"].startswith(st["kind"] + "_")
                listed.add(name)
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*.png")}
    assert on_disk == listed
    for display, g in index["gifs"].items():
        with Image.open(out / g["file"]) as im:
            assert im.n_frames == g["frames"], display


def test_gif_frames_and_durations(border):
    out, index = border
    for display in ("oled", "ticker"):
        clips = clips_of(index, display)
        durations = []
        with Image.open(out / (display + ".gif")) as im:
            assert im.n_frames > 1
            for i in range(im.n_frames):
                im.seek(i)
                durations.append(im.info["duration"])
                if i == 0:
                    first = im.convert("RGB")
        assert sum(durations) == sum(c["duration_ms"] for c in clips)
        # 10 frames per second: a scrolling line changes the picture at every one of them
        assert min(durations) == 100 and all(d % 100 == 0 for d in durations)
        # the first frame is the first still above a caption strip
        still = Image.open(out / clips[0]["stills"][0]["file"]).convert("RGB")
        x0 = (first.width - still.width) // 2
        assert first.crop((x0, 0, x0 + still.width, still.height)).tobytes() == still.tobytes()
        assert first.height > still.height


@pytest.mark.parametrize("track", TRACKS)
def test_every_alert_the_replay_implies_starts_a_clip(tmp_path, track):
    p = run(DATA / (track + ".nmea"), "--display", "both", "--scale", 1, "--out", tmp_path)
    assert p.returncode == 0, p.stderr.decode()
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    want = expected_alerts(replay_states(track))
    # short_clean starts standing at Beijing and leaves: no alert (found at a stop is not an arrival)
    assert bool(want) == (track != "short_clean")
    for display in ("oled", "ticker"):
        got = [(a["label"], a["utc"]) for c in clips_of(index, display) for a in c["alerts"]]
        # an alert starts at the fix that caused it, or after the alert before it, in the replay's order
        assert [x for x, _ in got] == [x for x, _ in want], display
        for (_, t_got), (_, t_want) in zip(got, want):
            assert utc_s(t_got) >= utc_s(t_want) and utc_s(t_got) - utc_s(t_want) < 120


def test_pick_writes_stable_names_and_reports_what_it_did_not_find(tmp_path):
    p = run(DATA / "border_to_pyongyang.nmea", "--display", "oled", "--out", tmp_path,
            "--pick", "bridge=border_*_ko", "--pick", "nowhere=arrival_pyongyang_*")
    assert p.returncode == 1
    assert p.stderr.decode().strip() == "frames: --pick nowhere: no oled still matches"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["index.json", "oled-bridge.png"]
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    files = [s["file"] for c in index["clips"] for s in c["stills"]]
    assert files == ["oled-bridge.png"]


@pytest.mark.parametrize("args", [
    ("tests/data/no_such_track.nmea",),
    ("tests/data/short_clean.nmea", "--display", "lcd"),
    ("tests/data/short_clean.nmea", "--fps", "3"),
    ("tests/data/short_clean.nmea", "--fps", "ten"),
    ("tests/data/short_clean.nmea", "--scale", "0"),
    ("tests/data/short_clean.nmea", "--clip-s", "-1"),
    ("tests/data/short_clean.nmea", "--pick", "nogood"),
    ("tests/data/short_clean.nmea", "--bogus"),
    (),
])
def test_bad_arguments_exit_2_with_one_line(args, tmp_path):
    p = run(*args, "--out", tmp_path / "out")
    err = p.stderr.decode()
    assert p.returncode == 2
    assert err.startswith("frames: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert p.stdout == b""
    assert not (tmp_path / "out").exists()
