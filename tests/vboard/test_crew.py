"""`python -m host_tools.board.crew`: argument errors on the host, then a round trip on the virtual board.

The round trip runs as a user runs it (a subprocess per command, mpremote's serial transport on the pty
of host_tools/vboard/ptyboard.py) against the firmware compiled as `make deploy` puts it on a board, with
main.py running: the tool stops the main loop, runs trainctl.service, reboots the board into main.py.
The state file is then read back on the host as the firmware reads it at boot.
"""

import os
import re
import subprocess
import sys
import time

import pytest
from mp.mp import REPO
from trainctl import route_data as R
from trainctl.counter import Tally
from trainctl.journey import Journey
from trainctl.store import StateFile

from host_tools.board import crew
from host_tools.build import firmware
from host_tools.vboard.ptyboard import PtyBoard

VBOARD = REPO / "host_tools" / "vboard" / "fake_machine"
ENV = {"VBOARD_END": "-1", "VBOARD_DISPLAY": "ticker"}  # main.py runs until interrupted; no ssd1306 needed
BOOT_LINE = re.compile(r"^trainctl \S+ route=.+ board=virtual coach=C07 .*restored=1", re.M)
DANDONG = 9
TRAINS = "K27 95 52 51 85 K28"


def crew_cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "host_tools.board.crew", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture()
def silent_port():
    """A terminal nobody answers on; yields (path, read what was written to it)."""
    m, s = os.openpty()
    os.set_blocking(m, False)

    def written():
        try:
            return os.read(m, 4096)
        except BlockingIOError:
            return b""

    try:
        yield os.ttyname(s), written
    finally:
        os.close(m)
        os.close(s)


def test_missing_port_argument():
    out = crew_cli("override", "95")
    assert out.returncode == 2
    assert "the following arguments are required: --port" in out.stderr and "Traceback" not in out.stderr


def test_port_that_does_not_exist(tmp_path):
    port = str(tmp_path / "ttyACM9")
    out = crew_cli("--port", port, "show")
    assert out.returncode == 2
    assert out.stderr.strip().startswith("crew: error: %s: no such device" % port), out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_train_is_refused_before_touching_the_board(silent_port):
    port, written = silent_port
    for train in ("96", "k27", "K 27"):
        out = crew_cli("--port", port, "override", train)
        assert out.returncode == 2, out.stderr
        assert out.stderr.strip() == "crew: error: no train %r on this route; trains: %s" % (train, TRAINS)
        assert out.stdout == ""
    assert written() == b""  # not even mpremote's Ctrl-C reached the port


def test_bad_passenger_count_is_refused_before_touching_the_board(silent_port):
    port, written = silent_port
    out = crew_cli("--port", port, "onboard", "1000")
    assert out.returncode == 2 and "crew: error: onboard: a whole number 0..999, not 1000" in out.stderr
    for bad in ("twelve", "-1", "1.5"):
        out = crew_cli("--port", port, "onboard", bad)
        assert out.returncode == 2 and "Traceback" not in out.stderr, (bad, out.stderr)
    assert written() == b""


def test_board_call_is_the_service_function():
    assert crew.board_call("show") == "from trainctl import service\nservice.show('/state.bin')\n"
    assert crew.board_call("override", "95", "state.bin") == (
        "from trainctl import service\nservice.override('95', 'state.bin')\n")
    assert crew.board_call("clear", None, "/x.bin").endswith("service.clear('/x.bin')\n")
    assert crew.board_call("onboard", 12).endswith("service.set_onboard(12, '/state.bin')\n")
    with pytest.raises(ValueError, match="no train '951'"):
        crew.board_call("override", "951")


# --- on the virtual board -------------------------------------------------------------------------------

def _saved_state(path):
    """K27 standing at Dandong with a stop in progress there, 37 on board: as the firmware saves it."""
    j = Journey(R)
    j.direction, j.leg, j.at_stop, j.next_idx, j.country = 0, 0, DANDONG, DANDONG + 1, 0
    j.f.anchor_s = j.f.last_s = 217589160
    j.f.anchor_lat, j.f.anchor_lon = 40123456, 124398765
    j.along_m = j.far_m = R.ST_ALONG_M[DANDONG]
    tl = Tally(R.STATION_N)
    tl.begin_stop(DANDONG)
    for _ in range(4):
        tl.count(True, 0)
    tl.count(False, 1)
    tl.onboard = 37
    st = StateFile(str(path), tl)
    st.save(j)
    st.close()


def _restored(path):
    """(train shown, override, onboard, boardings at Dandong, alightings there) as the firmware restores."""
    j = Journey(R)
    tl = Tally(R.STATION_N)
    assert StateFile(str(path), tl).load(j)
    return j.train(), j.override, tl.onboard, tl.boardings[DANDONG], tl.alightings[DANDONG]


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """The virtual board with the deployed firmware (.mpy, as `make deploy` copies it) running main.py."""
    flash = tmp_path_factory.mktemp("flash")
    try:
        files = firmware.build("virtual", out_dir=str(tmp_path_factory.mktemp("build")), log=lambda *a: None)
    except firmware.BuildError as e:
        pytest.fail("cannot build the firmware: %s" % e, pytrace=False)
    for rel, data in files.items():
        (flash / rel).parent.mkdir(parents=True, exist_ok=True)
        (flash / rel).write_bytes(data)
    _saved_state(flash / "state.bin")
    (flash / "config.json").write_text('{"coach": "C07"}')
    with PtyBoard(flash, heap="240k", paths=[VBOARD], env=ENV) as b:  # the RP2040's heap: see test_deploy.py
        b.flash_path = flash
        yield b


def _crew(board, *args):
    out = crew_cli("--port", board.port, "--state", "state.bin", "--boot-timeout", "20", *args)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_round_trip_on_the_virtual_board(board):
    state = board.flash_path / "state.bin"
    assert _restored(state) == ("K27", -1, 37, 4, 1)

    out = _crew(board, "show")
    assert out.returncode == 0, out.stderr + out.stdout
    lines = out.stdout.splitlines()
    assert lines[0] == "train=K27 to=Pyongyang leg=0 at=Dandong next=Sinuiju override=- onboard=37 state=saved"
    assert BOOT_LINE.match(lines[1]), out.stdout  # rebooted into main.py: the controller runs again
    assert _restored(state) == ("K27", -1, 37, 4, 1)

    out = _crew(board, "override", "95")
    assert out.returncode == 0, out.stderr + out.stdout
    assert out.stdout.splitlines()[0] == ("train=95 to=Pyongyang leg=1 at=Dandong next=Sinuiju override=95 "
                                          "onboard=37 state=saved")
    assert BOOT_LINE.search(out.stdout), out.stdout
    assert _restored(state) == ("95", 1, 37, 4, 1)  # the override, and the counts unchanged

    out = _crew(board, "show")
    assert out.stdout.startswith("train=95 to=Pyongyang leg=1 at=Dandong next=Sinuiju override=95 onboard=37 ")

    out = _crew(board, "onboard", "12")
    assert out.returncode == 0 and " override=95 onboard=12 state=saved" in out.stdout, out.stderr + out.stdout
    assert _restored(state) == ("95", 1, 12, 4, 1)

    out = _crew(board, "clear")
    assert out.returncode == 0 and out.stdout.startswith("train=K27 ") and " override=- onboard=12 " in out.stdout
    assert _restored(state) == ("K27", -1, 12, 4, 1)


def _quiet_console(board, quiet_s=1.5, timeout_s=30):
    """The console once the board has said nothing new for quiet_s (the previous test restarted it: its boot
    line comes in its own time)."""
    end = time.monotonic() + timeout_s
    last = board.console()
    t = time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.1)
        now = board.console()
        if now != last:
            last, t = now, time.monotonic()
        elif time.monotonic() - t >= quiet_s:
            break
    return last


def test_unknown_train_does_not_reach_the_running_board(board):
    before = _quiet_console(board)
    data = (board.flash_path / "state.bin").read_bytes()
    out = _crew(board, "override", "96")
    assert out.returncode == 2 and "no train '96'" in out.stderr
    assert board.console() == before
    assert (board.flash_path / "state.bin").read_bytes() == data


def test_a_failure_on_the_board_is_reported_and_the_board_restarted(board):
    out = crew_cli("--port", board.port, "--state", "trainctl", "--boot-timeout", "20", "override", "95")
    assert out.returncode == 1, out.stderr + out.stdout
    msg = out.stderr.strip()
    assert msg.startswith("crew: error: the board failed: OSError: trainctl: write failed; restarted: trainctl "), msg
    assert "Traceback" not in msg


def test_status_of_a_silent_port_is_one_line_and_exit_1(silent_port):
    port, written = silent_port
    out = crew_cli("--port", port, "status", "--timeout", "1")
    assert out.returncode == 1 and out.stderr.startswith("crew: error: %s: no status answer within 1 s" % port)
    assert out.stderr.count("\n") == 1 and out.stdout == ""
    assert written() == b"status\r"  # the request only: no Ctrl-C, nothing that stops a running board


def _status(board):
    out = crew_cli("--port", board.port, "status", "--raw")
    assert out.returncode == 0, (out.stderr, board.console()[-2000:])
    return dict(kv.split("=", 1) for kv in out.stdout.split())


def test_status_is_answered_live_without_stopping_the_display_or_a_reset(board):
    """crew status: the running main loop answers (trainctl/status.py); frames keep coming, no reset."""
    import time

    from trainctl import VERSION

    end = time.monotonic() + 30
    while BOOT_LINE.search(board.console().decode("utf-8", "replace")) is None and time.monotonic() < end:
        time.sleep(0.2)  # main.py runs (when this test runs first)
    resets = board.resets
    boots = board.console().count(b"trainctl ")
    s1 = _status(board)
    s2 = _status(board)
    assert s1["fw"] == VERSION and s1["coach"] == "C07" and re.fullmatch(r"[0-9a-f]{4}/17", s1["route"])
    assert s1["config"] == ("coach:C07,wc_lockout:0,brightness:8,door_alarm_kmh:5,volume:8,quiet_from_h:22,"
                            "quiet_to_h:6") and s1["config_problems"] == "0"
    train, _, onboard, _, _ = _restored(board.flash_path / "state.bin")
    assert s1["train"] == train == "K27" and s1["at"] == str(DANDONG) and s1["onboard"] == str(onboard)  # restored
    assert s1["doors"] == "0000" and s1["beams"] == "0000" and s1["wc"] == "00" and s1["fix_age_s"] == "-"
    assert int(s1["free"]) > 0 and s1["reset"] == "0" and s1["faults_display"] == "0"
    # the display kept running between the two requests, on the same boot
    assert int(s2["frames"]) > int(s1["frames"]) > 0 and int(s2["loops"]) > int(s1["loops"])
    assert int(s2["uptime_s"]) > int(s1["uptime_s"])
    assert board.resets == resets and board.console().count(b"trainctl ") == boots
    out = crew_cli("--port", board.port, "status")  # the readable form: one key and value a line
    assert out.returncode == 0 and re.search(r"^coach +C07$", out.stdout, re.M), out.stdout
    assert board.resets == resets


def test_overrides_and_boots_are_in_the_boards_journey_log(board):
    """After the round trip (override 95, clear): the crew's records and each boot's coach ID, read back on
    the host as `jlog csv` decodes them."""
    from host_tools.board import jlog as tool

    _crew(board, "override", "95")
    _crew(board, "clear")
    rows = list(tool.rows(tool.read_log(str(board.flash_path / "jlog.bin"))))
    details = [r[7] for r in rows]
    assert "crew override 95 set (was -)" in details and "crew override 95 cleared" in details
    kinds = [r[2] for r in rows]
    assert kinds.count("boot") >= 3 and kinds.count("coach") == kinds.count("boot")
    assert all(details[i + 1] == "coach C07" for i, k in enumerate(kinds) if k == "boot")
