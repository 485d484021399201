"""Whole synthetic journeys with faults through the replay CLI, judged against their ground truth."""

import json
import subprocess
import sys

import pytest
from mp.mp import REPO

from host_tools.replay import judge

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


def _shift(disp, k, t):
    """disp with event k moved to time t (the events it overtakes dropped): a later change."""
    iso = judge_iso(t)
    return disp[:k] + [dict(disp[k], utc=iso)] + [e for e in disp[k + 1:] if judge.epoch(e["utc"]) > t]


def judge_iso(t):
    from host_tools.synth import journey as synth

    return synth.iso_utc(t)


def test_judge_allows_the_border_band_and_no_more():
    """The clock may be wrong inside the border band and up to OFFSET_S after leaving it, not later."""
    truth = json.loads((DATA / "border_to_pyongyang.truth.json").read_text())
    disp = [e for e in replay(DATA / "border_to_pyongyang.nmea") if e["event"] == "display"]
    main = judge.epoch(truth["border_crossing_utc"])
    a, b = next((judge.epoch(x), judge.epoch(y)) for x, y in truth["border_band_utc"]
                if judge.epoch(x) <= main <= judge.epoch(y))
    assert 0 < b - a < 120 and truth["border_band_m"] == 50 + 2 * 15
    k = next(i for i, e in enumerate(disp) if e["utc_offset_min"] == 540 and judge.epoch(e["utc"]) >= a)
    assert judge.judge(_shift(disp, k, b + judge.OFFSET_S - 5), truth) == []
    late = judge.judge(_shift(disp, k, b + judge.OFFSET_S + 10), truth)
    assert any("offset 480, truth 540" in v for v in late), late


def test_judge_counts_the_switching_delay_from_when_an_arrival_hidden_by_an_outage_can_be_seen():
    truth = json.loads((DATA / "border_to_pyongyang.truth.json").read_text())
    disp = [e for e in replay(DATA / "border_to_pyongyang.nmea") if e["event"] == "display"]
    t95 = judge.epoch(next(leg["from_utc"] for leg in truth["legs"] if leg["train"] == "95"))
    k = next(i for i, e in enumerate(disp) if e["train"] == "95")
    hidden = dict(truth, shunting=[], faults=dict(truth["faults"], outages=[
        {"from_utc": judge_iso(t95 - 10), "to_utc": judge_iso(t95 + 300), "kind": "given"}]))
    due = t95 + 300 + judge.AFTER_OUTAGE_S + judge.SWITCH_S
    ok = judge.judge(_shift(disp, k, due - 20), hidden)
    assert not any("after the true change" in v or "shows K27" in v for v in ok), ok
    late = judge.judge(_shift(disp, k, due + 30), hidden)
    assert any("95 shown" in v for v in late) and any("shows K27" in v for v in late), late
    assert any("95 shown" in v for v in judge.judge(_shift(disp, k, t95 + judge.SWITCH_S + 30), truth))
