"""The fault-injection harness: a small soak with every kind of fault, and its checker catching planted faults."""

import io

import pytest

from host_tools import faults

# A quick run of seeds where every kind of fault occurs (make soak runs 1,000 journeys).
SEED, JOURNEYS = 201, 12
KINDS = ("noise", "outage", "long_outage", "outage_border", "jump", "frozen", "garbage", "talker_mix",
         "shunting", "silence", "binary_noise", "power_cut", "state_torn_write", "state_truncated",
         "state_garbage")  # state_deleted is drawn rarely: not in these 12 journeys


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
