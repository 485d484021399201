"""The journey core under real MicroPython (unix port): zero allocation, identical replay output."""

import json
import subprocess
import sys

import pytest
from mp.mp import REPO, run_unix

PATHS = (REPO / "firmware", REPO / "tests", REPO)
DATA = REPO / "tests" / "data"


def test_zero_allocation_per_sentence_under_heap_lock():
    p = run_unix("tests/mp/alloc_check.py", "600", heap="4m", paths=PATHS)  # the streams built first take ~2 MB
    assert p.returncode == 0, p.stderr
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    cases = {r["case"]: r for r in rows if "case" in r}
    for name in ("parser", "pipeline"):
        r = cases[name]
        assert r["memory_error"] is False, r
        assert r["locked_sentences"] == 900, r  # 180 epochs x 5 good sentences, all under the lock
        assert r["bytes_per_epoch_unlocked"] == 0, r
    # other receivers' streams (GNS + GLL + ZDA, GGA seconds between RMC ones, rollover, no-fix, '$$', '#')
    r = cases["receivers"]
    assert r["memory_error"] is False and r["bytes_per_epoch_unlocked"] == 0, r
    assert r["locked_sentences"] == 180 * 8 // 4, r  # 8 good sentences per 4 epochs, all under the lock
    q = next(x for x in rows if "receivers_fixes" in x)
    assert q == {"receivers_fixes": 599, "rollover": 150, "no_fix": 300, "comments": 150, "bad_field": 0}, q
    # the locked phase ran with the journey fully engaged (direction known, stops tracked)
    assert rows[-1]["train"] == "K27" and rows[-1]["bad_checksum"] == 600
    # geo.Matcher alone on the bytes segment table: tracking, whole-route searches and relocks, all locked
    r = cases["matcher"]
    assert r["memory_error"] is False and r["bytes_per_epoch_unlocked"] == 0, r
    from trainctl import route_data as R

    n = 4 * (R.SEG_N - 1) + 5  # the whole route walked once, 1/4 segment per fix, and 5 far fixes
    assert r["locked_sentences"] == n * 7 // 10 - n * 4 // 10, r


def _cpython_replay(track, *extra):
    p = subprocess.run([sys.executable, "-m", "host_tools.replay", str(track), "--json", *extra],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.parametrize("name", ["border_to_pyongyang.nmea", "border_to_beijing.nmea"])
def test_micropython_replay_equals_cpython_on_stored_tracks(name):
    track = DATA / name
    mp = run_unix("tests/mp/replay_mp.py", str(track), heap="2m", paths=PATHS)
    assert mp.returncode == 0, mp.stderr
    assert mp.stdout == _cpython_replay(track)
    assert '"event": "display"' in mp.stdout


def test_micropython_replays_a_whole_journey_like_cpython(tmp_path, full_journey):
    """A 24-hour Beijing->Pyongyang journey with faults, on a board-sized 180 KiB heap."""
    track, _truth = full_journey
    mp = run_unix("tests/mp/replay_mp.py", str(track), heap="180k", paths=PATHS, timeout=900)
    assert mp.returncode == 0, mp.stderr
    cp = _cpython_replay(track)
    assert mp.stdout == cp
    assert cp.count('"train": "52"') >= 1
