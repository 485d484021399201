"""Whole synthetic journeys with faults through the replay CLI, judged against their ground truth."""

import json
import subprocess
import sys

import pytest
from mp.mp import REPO

from host_tools import judge

DATA = REPO / "tests" / "data"


def replay(track, *extra, stdin=None):
    p = subprocess.run([sys.executable, "-m", "host_tools.replay", str(track), "--json", *extra],
                       cwd=REPO, capture_output=True, timeout=600, input=stdin)
    assert p.returncode == 0, p.stderr.decode()
    return [json.loads(x) for x in p.stdout.decode().splitlines()]


def _check(events, truth):
    bad = judge.judge(events, truth)
    assert bad == [], "\n".join(bad[:20])
    assert events[-1]["event"] == "summary"


def test_full_journey_to_pyongyang(full_journey):
    track, truth = full_journey
    events = replay(track)
    _check(events, truth)
    s = events[-1]
    assert s["jumps"] >= 6 * 2  # every jump epoch rejected (each lasts 2-8 epochs)
    assert s["bad_checksum"] + s["truncated"] + s["too_long"] > 0
    disp = [e for e in events if e["event"] == "display"]
    last = disp[-1]
    assert last["at_stop"] == "Pyongyang" and last["next_stop"] is None and last["utc_offset_min"] == 540
    # Leaving a stop is seen within a few hundred metres: on the bridge nobody reads "now at Dandong".
    clock = [e for a, e in zip(disp, disp[1:]) if e["utc_offset_min"] != a["utc_offset_min"]]
    assert clock and all(e["at_stop"] is None for e in clock)


def test_full_journey_to_beijing_with_the_border_unseen(full_journey_back):
    track, truth = full_journey_back
    events = replay(track)
    _check(events, truth)
    last = [e for e in events if e["event"] == "display"][-1]
    assert last["train"] == "K28" and last["at_stop"] == "Beijing" and last["utc_offset_min"] == 480


@pytest.mark.parametrize("name", ["border_to_pyongyang", "border_to_beijing", "short_clean"])
def test_stored_tracks(name):
    truth = json.loads((DATA / (name + ".truth.json")).read_text())
    _check(replay(DATA / (name + ".nmea")), truth)


def test_judge_catches_a_wrong_number():
    """The judge itself: a display that shows 95 too early, or flaps back, is reported."""
    truth = json.loads((DATA / "border_to_pyongyang.truth.json").read_text())
    events = replay(DATA / "border_to_pyongyang.nmea")
    disp = [e for e in events if e["event"] == "display"]
    early = [dict(e, train="95") if e["train"] == "K27" else e for e in disp]
    assert judge.judge(early, truth)
    flap = disp + [dict(disp[-1], utc=truth["track"]["to_utc"][:19] + "Z", train="95")]
    assert any("numbers shown" in b for b in judge.judge(flap, truth))
    wrong_clock = [dict(e, utc_offset_min=480) for e in disp]
    assert any("offset" in b for b in judge.judge(wrong_clock, truth))
