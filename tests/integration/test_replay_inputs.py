"""Replay with recorded door/beam/WC inputs (--inputs): events beside the display states, counts per
station against generated ground truth, the door alarm's timing, no false alarms from chatter, errors.

tests/data/inputs_short_clean.csv was made with (and is checked against):
    python -m host_tools.synth.inputs tests/data/short_clean.truth.json -o tests/data/inputs_short_clean.csv \
        --truth-out inputs_short_clean.truth.json --seed 5
"""

import io
import json
import subprocess
import sys

import pytest
from mp.mp import REPO

from host_tools.synth import inputs as inputs_synth
from host_tools.synth import journey as synth

DATA = REPO / "tests" / "data"
SHORT = DATA / "short_clean.nmea"
SHORT_INPUTS = DATA / "inputs_short_clean.csv"
SENSOR_EVENTS = ("door_alarm", "count", "wc", "door", "door_fault", "beam_stuck", "count_clamp", "station")


def run(*args):
    return subprocess.run([sys.executable, "-m", "host_tools.replay", *map(str, args)], cwd=REPO,
                          capture_output=True, timeout=600)


def events(p):
    assert p.returncode == 0, p.stderr.decode()
    return [json.loads(x) for x in p.stdout.decode().splitlines()]


def t_s(text):
    return synth.parse_iso_utc(text)


def short_truth():
    with open(DATA / "short_clean.truth.json", encoding="utf-8") as f:
        return inputs_synth.generate(json.load(f), seed=5)


def accuracy(summary, truth):
    """1 - (miscounted crossings / crossings), per station and direction."""
    wrong = 0
    for name, st in truth["stations"].items():
        wrong += abs(summary["boardings"].get(name, 0) - st["boardings"])
        wrong += abs(summary["alightings"].get(name, 0) - st["alightings"])
    return 1 - wrong / max(1, truth["crossings"])


def check_alarms(evs, truth, threshold_slack_s=1.0):
    """Every alarm raised is one the truth expects (none from chatter), at the expected time."""
    expected = truth["alarms"]
    on = [e for e in evs if e["event"] == "door_alarm" and e["active"]]
    off = [e for e in evs if e["event"] == "door_alarm" and not e["active"]]
    assert len(on) == len(expected) == len(off), (on, expected)
    for a in expected:
        mine = [e for e in on if e["door"] == a["door"]]
        if a["kind"] == "late_close":  # the door is open when the train passes 5 km/h
            t = min(t_s(e["utc"]) - t_s(a["threshold_utc"]) for e in mine)
            assert -0.5 <= t <= threshold_slack_s, a
            end = min(t_s(e["utc"]) for e in off if e["door"] == a["door"] and t_s(e["utc"]) >= t_s(a["close_utc"]))
            assert end - t_s(a["close_utc"]) <= 0.2, a  # door settle 100 ms + one 10 ms poll
        else:  # opened while moving (or a contact stuck open): at once
            t = min(abs(t_s(e["utc"]) - t_s(a["from_utc"])) for e in mine)
            assert t <= 0.2, a
    return on


def test_stored_inputs_are_reproducible():
    rows, _ = short_truth()
    buf = io.StringIO()
    inputs_synth.write_csv(rows, buf)
    assert SHORT_INPUTS.read_text(encoding="utf-8") == buf.getvalue()


def test_short_track_with_inputs():
    _, truth = short_truth()
    evs = events(run(SHORT, "--json", "--inputs", SHORT_INPUTS))
    summary = evs[-1]
    assert summary["event"] == "summary"
    kinds = {e["event"] for e in evs[:-1]}
    assert kinds <= {"display", *SENSOR_EVENTS} and {"door_alarm", "count", "wc", "door"} <= kinds
    for e in evs[:-1]:
        if e["event"] != "display":
            assert e["utc"].endswith("Z") and len(e["utc"]) == 24 and e["utc"][19] == "."
    # times never go backwards
    ts = [t_s(e["utc"]) for e in evs[:-1] if e["utc"]]
    assert ts == sorted(ts)
    assert accuracy(summary, truth) >= 0.99
    counts = [e for e in evs if e["event"] == "count"]
    assert {c["door"] for c in counts} == {"A", "B"} and all(c["direction"] in ("in", "out") for c in counts)
    assert counts[-1]["onboard"] == summary["onboard"]
    onboard = 0
    for c in counts:  # the live count after each crossing
        onboard = onboard + 1 if c["direction"] == "in" else max(0, onboard - 1)
        assert c["onboard"] == onboard
    check_alarms(evs, truth)
    wc = [e for e in evs if e["event"] == "wc"]
    assert [(e["wc"], e["occupied"]) for e in wc] == [(1, True), (1, False)] * truth["wc_uses"][0]
    assert summary["wc_uses"] == sum(truth["wc_uses"])
    assert summary["discrepancies"] == 0 and summary["door_faults"] == 0
    # the display states are the same as without inputs
    plain = events(run(SHORT, "--json"))
    assert [e for e in evs if e["event"] == "display"] == [e for e in plain if e["event"] == "display"]


def test_readable_timeline_with_inputs():
    p = run(SHORT, "--inputs", SHORT_INPUTS)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert "DOOR ALARM on  door_B_right" in out and "WC 1 occupied" in out and "Beijing: 66 boarded" in out
    assert out.rstrip().splitlines()[-1].startswith("sensors: 592 input changes; on board 66")


def test_without_inputs_the_output_is_unchanged(tmp_path):
    """No sensor keys without --inputs; and inputs that never change leave the display events as they were."""
    evs = events(run(SHORT, "--json"))
    assert all(e["event"] in ("display", "summary") for e in evs)
    assert "onboard" not in evs[-1] and "boardings" not in evs[-1]
    empty = tmp_path / "empty.csv"
    empty.write_text("utc,input,value\n")
    for track in (SHORT, DATA / "border_to_beijing.nmea"):
        plain = [e for e in events(run(track, "--json")) if e["event"] == "display"]
        quiet = [e for e in events(run(track, "--json", "--inputs", empty)) if e["event"] == "display"]
        assert plain == quiet and len(plain) >= 3


@pytest.mark.parametrize("body, msg", [
    ("utc,in,value\n", b"line 1: header"),
    ("", b"line 1: empty"),
    ("utc,input,value\n2026-11-23T09:20:01.250Z,door_C,1\n", b"line 2: unknown input 'door_C'"),
    ("utc,input,value\n2026-11-23T09:20:01Z,wc_1,1\n", b"line 2: bad time"),
    ("utc,input,value\n2026-11-23T25:20:01.250Z,wc_1,1\n", b"line 2: bad time"),
    ("utc,input,value\n2026-11-23T09:20:01.250Z,wc_1,2\n", b"line 2: value must be 0 or 1"),
    ("utc,input,value\n2026-11-23T09:20:01.250Z,wc_1\n", b"line 2: expected utc,input,value"),
    ("utc,input,value\n2026-11-23T09:20:01.250Z,wc_1,1\n2026-11-23T09:20:01.249Z,wc_1,0\n",
     b"line 3: time goes backwards"),
])
def test_bad_inputs_are_one_line_errors(tmp_path, body, msg):
    f = tmp_path / "inputs.csv"
    f.write_text(body)
    p = run(SHORT, "--json", "--inputs", f)
    assert p.returncode == 2 and msg in p.stderr and b"Traceback" not in p.stderr, p.stderr
    assert p.stderr.count(b"\n") == 1 and p.stdout == b""


def test_missing_inputs_file(tmp_path):
    p = run(SHORT, "--inputs", tmp_path / "none.csv")
    assert p.returncode == 2 and b"none.csv" in p.stderr and b"Traceback" not in p.stderr


def test_whole_journey_with_inputs(tmp_path, full_journey):
    """24 h Beijing -> Pyongyang with faults; a few thousand input changes; counts, alarms, runtime."""
    track, jtruth = full_journey
    rows, truth = inputs_synth.generate(jtruth, seed=3)
    assert len(rows) > 3000 and truth["crossings"] > 200 and truth["stats"]["chatter_pulses"] > 1000
    assert {a["kind"] for a in truth["alarms"]} == {"late_close", "open_moving", "stuck"}
    f = tmp_path / "inputs.csv"
    with open(f, "w", encoding="utf-8") as out:
        inputs_synth.write_csv(rows, out)
    evs = events(run(track, "--json", "--inputs", f))  # its speed is make bench's, not a test's (a busy CI)
    summary = evs[-1]
    assert accuracy(summary, truth) >= 0.99, (summary["boardings"], summary["alightings"], truth["stations"])
    assert summary["off_stop_in"] + summary["off_stop_out"] <= 0.01 * truth["crossings"]
    check_alarms(evs, truth, threshold_slack_s=2.0)  # GPS speed noise on this track
    # the stuck contact: an alarm, then a suspected fault after 20 min of moving, cleared when it closes
    stuck = [a for a in truth["alarms"] if a["kind"] == "stuck"][0]
    faults = [e for e in evs if e["event"] == "door_fault"]
    assert [(e["door"], e["active"]) for e in faults] == [(stuck["door"], True), (stuck["door"], False)]
    assert 1195 <= t_s(faults[0]["utc"]) - t_s(stuck["from_utc"]) <= 1500
    assert summary["door_faults"] == 1 and summary["events_dropped"] == 0
    assert summary["wc_uses"] == sum(truth["wc_uses"]) > 20


def test_parse_iso_utc_inverts_iso_utc():
    from trainctl import clock

    from host_tools.replay import core as replay_core

    t = clock.epoch_seconds(2026, 11, 24, 2, 3, 14)
    assert replay_core.parse_iso_utc(clock.iso_utc(t, 132)) == replay_core.parse_iso_utc(clock.iso_utc(t)) == t
    for bad in ("2026-11-24 02:03:14Z", "2026-11-24T02:03:14", "2026-11-24T02:03Z"):
        with pytest.raises(ValueError):
            replay_core.parse_iso_utc(bad)
