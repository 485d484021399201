"""The replay CLI contract: JSON lines, stdin, --state across a power cut, readable timeline, errors."""

import json
import subprocess
import sys

from mp.mp import REPO

DATA = REPO / "tests" / "data"
KEYS = ("utc", "train", "utc_offset_min", "next_stop", "destination")


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "host_tools.replay", *map(str, args)], cwd=REPO,
                          capture_output=True, input=stdin, timeout=600)


def events(p):
    assert p.returncode == 0, p.stderr.decode()
    return [json.loads(x) for x in p.stdout.decode().splitlines()]


def states(evs):
    """Display states without their time, consecutive repeats folded."""
    out = []
    for e in evs:
        if e["event"] == "display":
            s = {k: e[k] for k in e if k not in ("event", "utc")}
            if not out or out[-1] != s:
                out.append(s)
    return out


def test_json_lines_contract():
    evs = events(run(DATA / "border_to_pyongyang.nmea", "--json"))
    disp = [e for e in evs if e["event"] == "display"]
    assert evs[-1]["event"] == "summary" and all(e["event"] == "display" for e in evs[:-1])
    for e in disp:
        for k in KEYS:
            assert k in e
        assert e["utc"].endswith("Z") and len(e["utc"]) == 20
        assert e["utc_offset_min"] in (None, 480, 540)
    assert disp[0]["train"] is None  # nothing known before the first confirmed fixes
    assert [e["train"] for e in disp].count("95") >= 1
    s = evs[-1]
    for k in ("sentences", "bad_checksum", "too_long", "unknown_type", "truncated", "garbage_bytes", "fixes"):
        assert isinstance(s[k], int)
    assert s["bad_checksum"] > 0 and s["garbage_bytes"] > 0  # the stored track carries 1 % garbage


def test_stdin_gives_the_same_as_a_file():
    track = DATA / "border_to_beijing.nmea"
    assert run("-", "--json", stdin=track.read_bytes()).stdout == run(track, "--json").stdout


def test_power_cut_mid_journey_with_the_state_file(tmp_path):
    """Two halves with one state file print the same display states as one run."""
    data = (DATA / "border_to_pyongyang.nmea").read_bytes()
    lines = data.split(b"\n")
    whole = states(events(run(DATA / "border_to_pyongyang.nmea", "--json")))
    for cut_frac in (0.3, 0.55, 0.8):
        cut = int(len(lines) * cut_frac)
        a, b = tmp_path / "a.nmea", tmp_path / "b.nmea"
        a.write_bytes(b"\n".join(lines[:cut]) + b"\n")
        b.write_bytes(b"\n".join(lines[cut:]))
        st = tmp_path / ("state-%d.bin" % cut)
        first = events(run(a, "--json", "--state", st))
        second = events(run(b, "--json", "--state", st))
        assert second[-1]["restored"] is True
        # the second half's first line already shows what the first half ended with
        assert states(second)[0] == states(first)[-1]
        joined = states(first)
        for s in states(second):
            if joined[-1] != s:
                joined.append(s)
        assert joined == whole, cut_frac


def test_corrupt_state_file_is_ignored(tmp_path):
    st = tmp_path / "state.bin"
    st.write_bytes(b"\x55" * 200)
    evs = events(run(DATA / "short_clean.nmea", "--json", "--state", st))
    assert evs[-1]["restored"] is False
    assert [e for e in evs if e["event"] == "display"][-1]["train"] == "K27"


def test_readable_timeline():
    p = run(DATA / "border_to_pyongyang.nmea")
    assert p.returncode == 0
    out = p.stdout.decode()
    assert "UTC+8" in out and "UTC+9" in out and " 95 " in out and "next: Sinuiju" in out
    lines = out.rstrip().splitlines()
    assert lines[-2].startswith("summary:")
    assert lines[-1].startswith("sentences by type and talker: ") and "GNRMC " in lines[-1]
    assert "\r" not in out  # no progress bar when not on a terminal


def test_summary_counts_sentences_by_type_and_talker():
    summary = events(run(DATA / "short_clean.nmea", "--json"))[-1]
    kinds = summary["by_kind"]
    assert sum(kinds.values()) == summary["sentences"] + summary["bad_field"] and kinds["GNRMC"] == summary["fixes"]


def test_garbage_only_input():
    p = run("-", "--json", stdin=bytes(range(256)) * 50 + b"$GPRMC,1,2*00\r\n")
    why = "replay: error: -: no NMEA sentence read (empty, binary or not NMEA)"
    assert p.returncode == 2 and p.stderr.decode().strip() == why
    evs = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert len(evs) == 1 and evs[0]["event"] == "display" and evs[0]["train"] is None and evs[0]["utc"] is None


def test_route_option_with_a_source_file():
    a = run(DATA / "short_clean.nmea", "--json", "--route", REPO / "routes" / "beijing-pyongyang.json")
    b = run(DATA / "short_clean.nmea", "--json")
    assert a.returncode == 0 and a.stdout == b.stdout


def test_errors_are_messages(tmp_path):
    p = run(REPO / "nope.nmea")
    assert p.returncode == 2 and b"nope.nmea" in p.stderr and b"Traceback" not in p.stderr
    junk = tmp_path / "route.py"
    junk.write_text("this is not a route module (\n")
    bad = tmp_path / "route.json"
    bad.write_text('{"name": 1}')
    for route, msg in ((junk, b"route.py"), (bad, b"route.name: expected str"), (tmp_path / "no.json", b"no.json")):
        p = run(DATA / "short_clean.nmea", "--route", route)
        assert p.returncode == 2 and msg in p.stderr and b"Traceback" not in p.stderr, p.stderr


def test_progress_bar_only_on_a_terminal():
    """On a TTY the timeline comes with a progress bar on stderr; piped output has none (tested above)."""
    import os
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # child: stdout and stderr are the terminal
        os.chdir(REPO)
        os.execv(sys.executable, [sys.executable, "-m", "host_tools.replay", str(DATA / "border_to_pyongyang.nmea")])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    assert b"] 100%" in out and b"\r[" in out
    assert b"summary:" in out
