"""Issue 17 item 1: after every failure of deploy, crew or jlog the virtual board runs its firmware again.

Each test starts from a board that runs the deployed firmware (a copy of one deployed flash), breaks one
thing (a refused MicroPython version, a full filesystem, a broken micropython-lib bundle, the port lost in
the middle of the copy, a missing journey log, a failing crew command) and checks that the board's console
then shows main.py's boot line again, i.e. the controller is not left stopped in the REPL.
"""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from mp.mp import REPO

from host_tools.board import deploy as deploy_mod
from host_tools.board import link
from host_tools.vboard.ptyboard import PtyBoard

VBOARD = REPO / "host_tools" / "vboard" / "fake_machine"
ENV = {"VBOARD_END": "-1", "VBOARD_DISPLAY": "ticker"}
# heap="240k" below: the RP2040's heap (a stock build from .mpy files no longer starts in 180k here: see test_deploy.py)
BOOT = re.compile(rb"trainctl \S+ route=[^\r\n]+ board=virtual ")
RAW = b"raw REPL; CTRL-B to exit\r\n>"


def run(mod, *args, timeout=90, env=None):
    return subprocess.run([sys.executable, "-m", mod, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **(env or {})))


def booted_after(b, mark, timeout_s=30):
    """True once the console shows a boot line after byte offset `mark` and no raw REPL prompt after it."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        tail = b.console()[mark:]
        ends = [m.end() for m in BOOT.finditer(tail)]
        if ends and RAW not in tail[ends[-1]:]:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A flash folder holding the deployed firmware (files, no ROMFS)."""
    flash = tmp_path_factory.mktemp("golden")
    with PtyBoard(flash, heap="240k", paths=[VBOARD], env=ENV) as b:
        out = run("host_tools.board.deploy", "--board", "virtual", "--port", b.port, "--romfs", "no")
        assert out.returncode == 0, out.stdout + out.stderr
    return flash


def board_from(deployed, tmp_path, **kw):
    flash = tmp_path / "flash"
    shutil.copytree(deployed, flash)
    b = PtyBoard(flash, heap="240k", paths=[VBOARD], env=ENV, **kw).start()
    assert booted_after(b, 0), b.console()[-2000:]
    return b


def test_wrong_version_leaves_the_firmware_running(deployed, tmp_path):
    b = board_from(deployed, tmp_path, report_version="1.28.0")  # runs the firmware, refused by deploy (1.29)
    try:
        mark = len(b.console())
        out = run("host_tools.board.deploy", "--board", "virtual", "--port", b.port, "--romfs", "no")
        assert out.returncode == 2, out.stdout + out.stderr
        assert "board runs MicroPython" in out.stderr and "Traceback" not in out.stderr
        assert booted_after(b, mark), b.console()[mark:][-2000:]
        assert "board restarted: trainctl " in out.stdout, out.stdout
    finally:
        b.stop()


def test_full_filesystem_leaves_the_firmware_running(deployed, tmp_path):
    flash = tmp_path / "flash"
    shutil.copytree(deployed, flash)
    with open(flash / "main.py", "a") as f:
        f.write("# changed\n")  # one file to copy, with no room for it
    used = sum((p.stat().st_size + 4095) // 4096 * 4096 for p in flash.rglob("*") if p.is_file())
    used += 4096 * sum(1 for p in flash.rglob("*") if p.is_dir())
    with PtyBoard(flash, heap="240k", paths=[VBOARD], env=ENV, capacity=used) as b:
        assert booted_after(b, 0)
        mark = len(b.console())
        out = run("host_tools.board.deploy", "--board", "virtual", "--port", b.port, "--romfs", "no")
        assert out.returncode == 2, out.stdout + out.stderr
        assert "filesystem full" in out.stderr
        assert booted_after(b, mark), b.console()[mark:][-2000:]
    assert (flash / "main.py").read_text().endswith("# changed\n")  # the old firmware, whole


def test_broken_bundle_touches_no_board(deployed, tmp_path):
    """A micropython-lib file that cannot be had (the bundle missing or not the pinned file; before: a mip
    error) stops the deploy before it connects: the firmware never stops."""
    bad = tmp_path / "bundle"
    r = run("host_tools.build.bundle", "-o", str(bad))
    assert r.returncode == 0, r.stderr
    for p in (bad / "file").rglob("*"):
        if p.is_file():
            p.write_bytes(p.read_bytes() + b"#")
    b = board_from(deployed, tmp_path)
    try:
        mark = len(b.console())
        resets = b.resets
        out = run("host_tools.board.deploy", "--board", "virtual", "--port", b.port, "--bundle", str(bad))
        assert out.returncode == 2, out.stdout + out.stderr
        assert re.fullmatch(r"deploy: error: ssd1306\.py in .*: not the pinned file \(sha256\): run `make bundle` "
                            r"again", out.stderr.strip()), out.stderr
        time.sleep(0.5)
        assert b.resets == resets and b"raw REPL" not in b.console()[mark:]
        out = run("host_tools.board.deploy", "--board", "virtual", "--port", b.port, "--bundle", str(tmp_path / "none"))
        assert out.returncode == 2 and "no usable bundle" in out.stderr and "Traceback" not in out.stderr
    finally:
        b.stop()


def test_port_lost_mid_copy_the_board_resets_itself(deployed, tmp_path, monkeypatch):
    """The cable is pulled after the first file: the host cannot restart the board; the deploy's lease
    feeder resets it once the host stops renewing the lease, and the old firmware, whole, runs again."""
    flash = tmp_path / "flash"
    shutil.copytree(deployed, flash)
    for name in ("main.py", "board.py"):
        with open(flash / name, "a") as f:
            f.write("# old\n")
    old = {n: (flash / n).read_bytes() for n in ("main.py", "board.py")}
    monkeypatch.setattr(link, "LEASE_S", 3)
    real_write = link.Board.write
    calls = []

    def write_then_unplug(self, path, data):
        calls.append(path)
        if len(calls) == 1:
            return real_write(self, path, data)
        self.t.serial.close()  # the USB cable goes
        raise link.DeployError("writing %s: port lost" % path, code=1)

    monkeypatch.setattr(link.Board, "write", write_then_unplug)
    with PtyBoard(flash, heap="240k", paths=[VBOARD], env=ENV) as b:
        assert booted_after(b, 0)
        mark = len(b.console())
        logs = []
        with pytest.raises(link.DeployError, match="port lost"):
            deploy_mod.deploy("virtual", b.port, romfs="no", log=logs.append, boot_timeout_s=5)
        assert len(calls) == 2, calls
        assert any("resets itself within 3 s (lease)" in m for m in logs), logs
        assert booted_after(b, mark, timeout_s=20), b.console()[mark:][-2000:]
        assert {n: (flash / n).read_bytes() for n in old} == old  # nothing half-replaced
        assert list(flash.glob("*.new")), "the first file was written as .new"
        monkeypatch.setattr(link.Board, "write", real_write)
        mark = len(b.console())
        line = deploy_mod.deploy("virtual", b.port, romfs="no", log=logs.append, boot_timeout_s=20)
        assert line.startswith("trainctl ")
    assert not list(flash.rglob("*.new"))  # the next deploy cleans up
    assert (flash / "main.py").read_bytes() == (REPO / "firmware" / "main.py").read_bytes()


def test_a_second_deploy_from_the_bundle_writes_nothing(deployed, tmp_path):
    bundle = tmp_path / "bundle"
    assert run("host_tools.build.bundle", "-o", str(bundle)).returncode == 0
    again = run("host_tools.build.bundle", "-o", str(bundle))
    assert "0 file(s) written" in again.stdout
    b = board_from(deployed, tmp_path)
    try:
        flash = tmp_path / "flash"
        before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in flash.rglob("*")
                  if p.is_file() and p.suffix in (".py", ".mpy")}
        env = {"https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}  # no network
        out = run("host_tools.board.deploy", "--board", "virtual", "--port", b.port, "--romfs", "no", "--bundle",
                  str(bundle), env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "0 to copy" in out.stdout and "copied" not in out.stdout
        after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in flash.rglob("*")
                 if p.is_file() and p.suffix in (".py", ".mpy")}
        assert after == before
    finally:
        b.stop()


def test_jlog_pull_failure_and_success_restart_the_board(deployed, tmp_path):
    b = board_from(deployed, tmp_path)
    try:
        flash = tmp_path / "flash"
        (flash / "jlog.bin").unlink(missing_ok=True)
        time.sleep(0.2)
        mark = len(b.console())
        out = run("host_tools.board.jlog", "pull", "--port", b.port, "-o", str(tmp_path / "j.bin"))
        if out.returncode == 0:  # the firmware wrote a fresh log since: still a pull
            assert (tmp_path / "j.bin").is_file()
        else:
            assert out.returncode == 2 and out.stderr.startswith("jlog: pull from "), out.stderr
            assert "Traceback" not in out.stderr
        assert booted_after(b, mark), b.console()[mark:][-2000:]
        mark = len(b.console())
        out = run("host_tools.board.jlog", "pull", "--port", b.port, "-o", str(tmp_path / "j2.bin"))
        assert out.returncode == 0, out.stderr
        assert booted_after(b, mark), b.console()[mark:][-2000:]
    finally:
        b.stop()


def test_crew_without_state_uses_the_boards_own_and_restarts(deployed, tmp_path):
    """The README's crew command (no --state) on the virtual board: the board's state.bin, not the host's root."""
    b = board_from(deployed, tmp_path)
    try:
        mark = len(b.console())
        out = run("host_tools.board.crew", "--port", b.port, "--boot-timeout", "20", "onboard", "12")
        assert out.returncode == 0, out.stdout + out.stderr
        assert " onboard=12 state=saved" in out.stdout
        assert (tmp_path / "flash" / "state.bin").is_file()
        assert booted_after(b, mark)
        mark = len(b.console())
        out = run("host_tools.board.crew", "--port", b.port, "--boot-timeout", "20", "override", "NOPE")
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert b.console()[mark:] == b"" or booted_after(b, mark)  # refused before connecting
    finally:
        b.stop()


def test_crew_selftest_walks_the_inputs_and_restarts(deployed, tmp_path):
    """Issue 17 item 5: display pattern, alarm pulse, input walk-test (inputs scripted in virtual seconds)."""
    script = tmp_path / "walk.csv"
    # rows after the display and alarm tests (2.6 virtual s)
    script.write_text("utc,input,value\n+5,door_A_left,1\n+6,door_A_left,0\n+7,beam_B_inner,1\n")
    flash = tmp_path / "flash"
    shutil.copytree(deployed, flash)
    env = dict(ENV, VBOARD_INPUTS=str(script), VBOARD_CAPTURE=str(tmp_path / "cap.bin"))
    with PtyBoard(flash, heap="240k", paths=[VBOARD], env=env) as b:
        assert booted_after(b, 0)
        mark = len(b.console())
        out = run("host_tools.board.crew", "--port", b.port, "--boot-timeout", "20", "selftest", "--seconds", "10")
        assert out.returncode == 0, out.stdout + out.stderr
        text = out.stdout
        assert "selftest: display Max7219Chain 64x16: all lit, checkerboard, frame shown" in text, text
        assert "selftest: alarm output pulsed 500 ms" in text
        assert "door_A_left=1" in text and "door_A_left=0" in text and "beam_B_inner=1" in text, text
        assert "walk-test done: 3 input changes" in text, text
        assert re.search(r"^trainctl \S+ route=", text, re.M), text
        assert booted_after(b, mark)
    r = run("host_tools.board.crew", "--port", "/dev/null-none", "selftest", "--seconds", "9999")
    assert r.returncode == 2 and "0..600" in r.stderr
