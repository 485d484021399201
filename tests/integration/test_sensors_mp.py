"""The sensor inputs under real MicroPython (unix port): 0 bytes allocated per poll in steady state."""

import json

from mp.mp import REPO, run_unix

PATHS = (REPO / "firmware", REPO / "tests")


def test_sensor_polling_allocates_nothing_under_heap_lock():
    p = run_unix("tests/mp/sensors_alloc.py", "10000", heap="256k", paths=PATHS)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(p.stdout.splitlines()[-1])
    assert r["memory_error"] is False, r
    assert r["locked_polls"] == 10000, r
    assert r["bytes_unlocked"] == 0, r
    # the locked phase did real work: crossings counted, alarms raised and cleared, WC used
    assert r["events_locked"] >= 300, r
    assert r["ins"] == r["outs"] == 52 and r["alarms"] >= 50 and r["wc_uses"] >= 50, r


def test_the_main_loops_sensor_path_allocates_nothing(tmp_path):
    """Sensors.poll through App: events refresh the pages, go to the journey log, and every count is saved
    to the state file, under heap_lock."""
    p = run_unix("tests/mp/app_sensors_alloc.py", str(tmp_path / "jlog.bin"), str(tmp_path / "state.bin"),
                 heap="256k", paths=PATHS)
    assert p.returncode == 0, p.stdout + p.stderr
    w = p.stdout.split()
    r = {w[i]: int(w[i + 1]) for i in range(0, len(w), 2)}
    assert r["memory_error"] == 0 and r["bytes"] == 0, r
    assert r["events"] >= 60 and r["ins"] >= 30 and r["uses"] >= 10, r  # doors, counts and WC all ran
    assert r["saves"] >= r["ins"], r  # one save per counted crossing, inside the locked stretch too
