"""Issue 17 item 7: every host command line gives help on every option and, on bad input, one clear line and
exit status 2, never a traceback (host_tools/common/cli.py)."""

import argparse
import importlib
import os
import subprocess
import sys

import pytest
from mp.mp import REPO

CLIS = ("bench.main", "build.bundle", "board.crew", "board.deploy", "verify.faults", "build.fetch_mplib",
        "replay.frames", "verify.fuzz", "build.font", "build.pivot", "build.route", "synth.inputs", "board.jlog",
        "replay.judge", "vboard.ptyboard", "build.qstrs", "replay.cli", "replay.screen", "synth.sensors",
        "vboard.sim", "synth.journey", "board.fleet", "build.consts")


class _Stop(Exception):
    pass


def _parsers(name, monkeypatch):
    """The argparse parsers (with their sub-parsers) that host_tools.<name>.main builds."""
    mod = importlib.import_module("host_tools." + name)
    seen = []

    def grab(self, args=None, namespace=None):
        seen.append(self)
        raise _Stop

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", grab)
    with pytest.raises(_Stop):
        mod.main([])
    out = []
    todo = list(seen)
    while todo:
        p = todo.pop()
        out.append(p)
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                todo += list(a.choices.values())
    return out[:1] + out[1:][::-1]


@pytest.mark.parametrize("name", CLIS)
def test_every_option_has_help(name, monkeypatch):
    missing = []
    for k, p in enumerate(_parsers(name, monkeypatch)):
        if k == 0 and not p.description:  # sub-commands: their help= is their line in the parent's help
            missing.append("%s: no description" % p.prog)
        for a in p._actions:
            if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not (a.help or "").strip():
                missing.append("%s %s" % (p.prog, "/".join(a.option_strings) or a.dest))
    assert not missing, "options without help: " + ", ".join(missing)


def _run(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, TRAINCTL_DEBUG=""))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.nmea").write_bytes(b"")
    (d / "binary.nmea").write_bytes(bytes(range(256)) * 40)
    (d / "empty.json").write_text("{}")
    (d / "broken.json").write_text("{")
    (d / "X.py").write_text("x = 1\n")
    r = _run("host_tools.synth", "--direction", "to_pyongyang", "--duration-s", "300", "-o", str(d / "t.nmea"),
             "--truth", str(d / "t.json"))
    assert r.returncode == 0, r.stderr
    (d / "ro").mkdir()
    return d


BAD = (
    ("host_tools.replay", "--route", "{d}/X.py", "{d}/t.nmea"),
    ("host_tools.replay", "{d}/missing.nmea"),
    ("host_tools.replay", "{d}/empty.nmea"),
    ("host_tools.replay", "{d}/binary.nmea"),
    ("host_tools.replay", "--state", "{d}", "{d}/t.nmea"),
    ("host_tools.replay", "--state", "{d}/nowhere/s.bin", "{d}/t.nmea"),
    ("host_tools.replay", "--inputs", "{d}/broken.json", "{d}/t.nmea"),
    ("host_tools.synth", "--direction", "to_beijing", "--date", "2026-13-45", "-o", "{d}/x.nmea"),
    ("host_tools.synth", "--direction", "to_beijing", "--from", "moscow", "-o", "{d}/x.nmea"),
    ("host_tools.synth", "--direction", "to_beijing", "--rate-s", "0", "-o", "{d}/x.nmea"),
    ("host_tools.replay.judge", "{d}/t.nmea", "{d}/empty.json"),
    ("host_tools.replay.judge", "{d}/t.nmea", "{d}/broken.json"),
    ("host_tools.replay.judge", "{d}/empty.nmea", "{d}/t.json"),
    ("host_tools.vboard.sim", "--track", "{d}/missing.nmea"),
    ("host_tools.vboard.sim", "--track", "{d}/binary.nmea"),
    ("host_tools.board.jlog", "csv", "{d}/missing.bin"),
    ("host_tools.board.jlog", "plot", "{d}/empty.nmea", "-o", "{d}/x.png"),
    ("host_tools.board.crew", "--port", "{d}/ttyNONE", "show"),
    ("host_tools.board.crew", "--port", "{d}/ttyNONE", "onboard", "-3"),
    ("host_tools.board.deploy", "--board", "virtual", "--port", "{d}/ttyNONE"),
    ("host_tools.board.deploy", "--board", "virtual", "--port", "{d}/ttyNONE", "--bundle", "{d}/nobundle"),
    ("host_tools.synth.sensors", "--crossings", "0"),
    ("host_tools.build.qstrs", "{d}/nowhere"),
    ("host_tools.build.route", "{d}/empty.json", "{d}/out.py"),
    ("host_tools.build.pivot", "--date", "2026-02-30", "{d}/pivot.py"),
    ("host_tools.synth.inputs", "--track", "{d}/missing.nmea", "-o", "{d}/i.csv"),
)


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a[:3]) for a in BAD])
def test_bad_input_one_line_and_exit_2(argv, files):
    r = _run(*[a.format(d=files) for a in argv])
    err = r.stderr.strip()
    assert "Traceback" not in r.stderr, err
    assert r.returncode == 2, (r.returncode, err, r.stdout[-500:])
    lines = [ln for ln in err.splitlines() if not ln.startswith(("usage:", " ")) and ln.strip()]
    assert len(lines) == 1, err  # argparse's usage lines aside: one line
