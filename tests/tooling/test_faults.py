"""The fault-injection harness: a small soak with every kind of fault, and its checker catching planted faults."""

import io
import json
import random

import pytest
from mp.mp import REPO
from trainctl import route_data as R

from host_tools.verify import faults

DATA = REPO / "tests" / "data"

# A quick run of seeds where every kind of fault occurs (make soak runs 1,000 journeys): seeds 209..212 are the
# fewest in a row that hold them all (seeds 201..212 run one by one, /tmp runs of faults.soak, Dec 2026).
SEED, JOURNEYS = 209, 4
KINDS = ("noise", "outage", "long_outage", "outage_border", "jump", "frozen", "garbage", "talker_mix",
         "shunting", "silence", "binary_noise", "power_cut", "state_torn_write", "state_truncated",
         "state_garbage", "inputs", "door_stuck", "input_float")  # state_deleted is drawn rarely: not in these 4


@pytest.fixture(scope="module")
def small_soak():
    out = io.StringIO()
    results = faults.soak(JOURNEYS, SEED, jobs=2, quick=True, out=out)
    return results, out.getvalue()


def test_small_soak_injects_every_fault(small_soak):
    results, text = small_soak
    assert len(results) == JOURNEYS and {r["direction"] for r in results} == {"to_pyongyang", "to_beijing"}
    total = sum((r["faults"] for r in results), faults.Counter())
    assert all(total[k] > 0 for k in KINDS), total
    assert sum(r["mid_sentence"] for r in results) > 0
    assert "power cuts: %d" % total["power_cut"] in text
    assert sum(r.get("crossings", 0) for r in results) > 200
    assert "passenger counts: %d journeys" % total["inputs"] in text


def test_small_soak_has_no_violation(small_soak):
    results, text = small_soak
    assert [r["violations"] for r in results] == [[]] * JOURNEYS, text
    assert "violations: 0 in 0 journeys" in text


def test_same_seed_same_journey():
    a, b = faults.plan(7, True), faults.plan(7, True)
    assert a == b and faults.plan(8, True)[0] != a[0]


@pytest.fixture(scope="module")
def journey():
    """A journey with a clean power cut after a number was shown, kept for doctoring."""
    for seed in range(1, 60):
        d, _, extra = faults.plan(seed, True)
        if "clean" not in extra["damage"]:
            continue
        r = faults.run_journey(seed, True, keep=True)
        rbs = [i for i, rb in enumerate(r["reboots"]) if rb["damage"] == "clean" and rb["before"]
               and rb["before"]["train"] and rb["restored"]]
        if not r["violations"] and rbs:
            return r, rbs[0]
    raise AssertionError("no journey with a clean cut")


def test_checker_catches_a_lost_restore(journey):
    r, i = journey
    assert faults.check(r["events"], r["truth"], r["reboots"]) == []
    lost = [dict(rb) for rb in r["reboots"]]
    lost[i]["restored"] = []
    assert any("nothing restored" in v for v in faults.check(r["events"], r["truth"], lost))
    wrong = [dict(rb) for rb in r["reboots"]]
    wrong[i]["restored"] = [dict(wrong[i]["restored"][0], train="K99")]
    assert any("restored {'train': 'K99'}" in v for v in faults.check(r["events"], r["truth"], wrong))


def test_checker_catches_a_planted_wrong_number(journey):
    r, _ = journey
    ev = r["events"]
    k = next(i for i, e in enumerate(ev) if e["train"] is not None and e["utc"])
    planted = ev[:k] + [dict(ev[k], train="K99")] + ev[k + 1:]
    assert any("K99" in v for v in faults.check(planted, r["truth"], r["reboots"]))


def test_checker_catches_a_wrong_number_after_a_state_loss(journey):
    """After a damaged state file a blank number is fine, an old or foreign one is not."""
    r, i = journey
    rbs = [dict(rb) for rb in r["reboots"]]
    rbs[i]["damage"] = "truncated"
    rbs[i]["restored"] = [dict(rbs[i]["restored"][0], train=None)]
    assert faults.check(r["events"], r["truth"], rbs) == []
    rbs[i]["restored"] = [dict(rbs[i]["restored"][0], train="K99")]
    assert any("restored K99" in v for v in faults.check(r["events"], r["truth"], rbs))


def test_an_exception_is_a_violation(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("planted")

    monkeypatch.setattr(faults, "_inject", boom)
    r = faults.run_journey(3, True)
    assert r["violations"] == ["exception: RuntimeError: planted"]


# ---------------------------------------------------------------- power cuts and counts

def _short_clean():
    from host_tools.replay import core as replay_core
    from host_tools.replay.judge import epoch

    data = (DATA / "short_clean.nmea").read_bytes()
    truth = json.loads((DATA / "short_clean.truth.json").read_text())
    changes = replay_core.parse_inputs((DATA / "inputs_short_clean.csv").read_text().splitlines())
    return data, truth, changes, int(epoch(truth["track"]["from_utc"]))


RUNS, CUTS = 50, 20


@pytest.fixture(scope="module")
def thousand_cuts():
    """short_clean.nmea with its inputs (66 people boarding at Beijing, doors, WC): 50 replays, each with
    the power cut at 20 random instants (byte offsets, most mid-sentence) at least 48 s of GPS time
    apart (a board needs seconds to come back; a cut every second would only test the cold start), a
    quarter of them during a state write. 1,000 cuts in all."""
    data, truth, changes, t0 = _short_clean()
    ref = faults.cut_run(R, data, changes, [], [], random.Random(0), t0)
    gap = len(data) // 25  # 48 s of the 20-minute track
    runs = []
    for k in range(RUNS):
        rng = random.Random("thousand-cuts:%d" % k)
        offsets, pos = [], rng.randrange(1, gap)
        while len(offsets) < CUTS and pos < len(data):
            offsets.append(pos)
            pos += rng.randrange(gap, gap + gap // 8)
        damage = [rng.choice(("clean", "clean", "clean", "torn_write")) for _ in offsets]
        runs.append(faults.cut_run(R, data, changes, offsets, damage, rng, t0))
    return runs, ref, truth


def test_power_cut_at_1000_instants_restores_the_state_every_time(thousand_cuts):
    runs, ref, truth = thousand_cuts
    reboots = [rb for run in runs for rb in run["reboots"]]
    assert len(reboots) == RUNS * CUTS
    assert sum(rb["damage"] == "torn_write" for rb in reboots) > 200
    shown = [rb for rb in reboots if rb["before"] and rb["before"]["train"]]
    assert len(shown) > 900 and all(rb["restored"] and rb["restored"][0]["train"] for rb in shown)
    for run in runs:
        assert faults.check(run["events"], truth, run["reboots"]) == []  # restored exactly, then judged


def test_power_cut_at_1000_instants_loses_and_doubles_no_count(thousand_cuts):
    runs, ref, _ = thousand_cuts
    reboots = [rb for run in runs for rb in run["reboots"]]
    assert sum(rb["tally"][0][1] >= 0 for rb in reboots) > 300  # cut during the stop at Beijing
    assert sum(rb["tally"][0][0] > 0 for rb in reboots) > 800  # with people on board
    assert all(rb["tally"][0] == rb["tally"][1] for rb in reboots)  # restored == at the cut
    assert ref["stations"] == {"Beijing": (66, 0)} and ref["onboard"] == 66
    for run in runs:
        assert faults.check_counts(run, ref) == []
        lost = ref["stations"]["Beijing"][0] - run["stations"]["Beijing"][0]
        assert 0 <= lost <= run["interrupted"]  # only people between the beams at a cut


def test_count_checker_catches_a_lost_and_a_doubled_count(thousand_cuts):
    runs, ref, _ = thousand_cuts
    run = runs[0]
    rbs = [dict(rb) for rb in run["reboots"]]
    k = next(i for i, rb in enumerate(rbs) if rb["tally"][0][2] > 0)
    at, back = rbs[k]["tally"]
    rbs[k]["tally"] = (at, (back[0], back[1], back[2] - 1, back[3]))
    assert any("counts at the cut" in v for v in faults.check_counts(dict(run, reboots=rbs), ref))
    doubled = dict(run, stations=dict(run["stations"], Beijing=(run["stations"]["Beijing"][0] + 66, 0)))
    assert any("Beijing" in v for v in faults.check_counts(doubled, ref))
    assert any("on board" in v for v in faults.check_counts(dict(run, onboard=run["onboard"] + 40), ref))
