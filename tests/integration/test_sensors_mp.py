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


def test_console_polling_allocates_nothing_and_answers_status(tmp_path):
    """app.App polls hw.console each pass (select.poll ipoll): nothing allocated while no byte comes (the
    pipe held open, heap_lock); then other lines get one line saying so, `status` the status line, and the
    end of input stops the polling."""
    import os
    import subprocess

    from mp.mp import micropython_exe

    r, w = os.pipe()
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(str(p) for p in PATHS) + os.pathsep + ".frozen")
    with subprocess.Popen([micropython_exe(), "-X", "heapsize=256k", "tests/mp/app_console_alloc.py",
                           str(tmp_path / "jlog.bin")], stdin=r, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          cwd=REPO, env=env, text=True) as p:
        os.close(r)
        first = p.stdout.readline().split()
        os.write(w, b"statu\nstatuses\n\r\nstatus\r")
        os.close(w)
        out = p.stdout.read()
        assert p.wait(120) == 0, out
    assert first[0] == "locked", (first, out)
    got = {first[i]: int(first[i + 1]) for i in range(1, len(first), 2)}
    assert got == {"memory_error": 0, "bytes": 0, "polling": 1}, got
    lines = out.splitlines()
    assert lines[:2] == ["status: unknown request (ask: status)"] * 2, out  # blank lines: nothing
    lines = lines[2:]
    assert lines[0].startswith("status fw=") and " coach=- " in lines[0] and " sensors=none " in lines[0], out
    assert lines[-1].startswith("done ") and lines[-1].endswith(" polling 0"), out
