"""Crew service from a laptop on the board's USB port: see or correct the saved journey state.

    python -m host_tools.board.crew --port PORT [--state PATH] [--boot-timeout S] show
    python -m host_tools.board.crew --port PORT ... override TRAIN    # show TRAIN (e.g. 95) until cleared
    python -m host_tools.board.crew --port PORT ... clear             # back to the journey's own number
    python -m host_tools.board.crew --port PORT ... onboard N         # the live passenger count
    python -m host_tools.board.crew --port PORT ... selftest [--seconds S]  # commissioning: display, alarm, inputs
    python -m host_tools.board.crew --port PORT status [--raw]   # live and read-only: the display keeps running

status sends the line `status` to the running firmware (trainctl/status.py answers it from the main loop: no
Ctrl-C, no reset) and prints its answer: versions, coach ID, configuration, fix age and quality, position and
journey state, door/beam/WC levels, fault counters, free RAM and flash, uptime, last reset cause.

The other commands: connecting stops the firmware's main loop (mpremote's Ctrl-C and soft reset, as `make deploy` does);
the command then runs trainctl.service on the board, prints its line (what the display shows after a
reset) and reboots the board into main.py, printing the boot line, so the controller runs again even
after `show`. The train number and N are checked here first: an error touches no board.
--state: the board's state file (its board file's state_path); default: the board's own, found on the board:
/state.bin on the ESP32 and the RP2040, $VBOARD_STATE or state.bin (relative: the flash folder) on the virtual
board (the unix port).
Exit status: 0 done; 2 usage, unknown train, bad N, or a port that is missing or does not answer;
1 the board failed (no trainctl.service on it, no boot line after the reset).
"""

import argparse
import os
import sys
import time

import serial
from mpremote.transport import TransportExecError
from trainctl import route_data, service

from host_tools.board import link
from host_tools.board.link import DeployError
from host_tools.common import cli

STATE = "/state.bin"


class _BoardsOwn:
    """The board's own state path, chosen on the board (repr: the name of a variable set there)."""

    def __repr__(self):
        return "_st"


BOARDS_OWN = _BoardsOwn()
_OWN = link.remote_program("own_paths", "_st, _jl = own_paths()\ndel own_paths")  # the board's state and log


class _Raw:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _service():

    return service, route_data


def board_call(command, value=None, state=STATE):
    """The line of Python run on the board; ValueError for a train the route lacks or a bad count."""
    service, route = _service()
    if command == "show":
        args = [state]
    elif command == "override":
        args = [service.check_train(value, route), state]
    elif command == "clear":
        args = [state]
    elif command == "selftest":
        s = int(value if value is not None else 20)
        if not 0 <= s <= 600:
            raise ValueError("selftest --seconds: 0..600, not %r" % value)
        return "import board\nfrom trainctl import selftest\nselftest.run(board.build(), %d)\n" % s
    elif command == "onboard":
        command = "set_onboard"
        args = [service.check_onboard(value), state]
    else:
        raise ValueError("unknown command %r" % command)
    if command in ("override", "clear") and state is BOARDS_OWN:  # the override's record: the board's own log
        args += [_Raw("None"), _Raw("jlog=_jl")]
    return (_OWN if state is BOARDS_OWN else "") + "from trainctl import service\nservice.%s(%s)\n" % (
        command, ", ".join(repr(a) for a in args))


def _failure(e):
    """The last line of the board's traceback, or the transport's message."""
    text = getattr(e, "error_output", None) or str(e)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else type(e).__name__


EXEC_TIMEOUT_S = 30  # seconds without a byte from the board (the walk-test prints at least every 5 s)


def run(port, code, boot_timeout_s=30, log=print, live=None):
    """Run code on the board at port, log its output, reboot it into main.py; return (output, boot line).
    Whatever fails after connecting, the board is rebooted into main.py (Board.restart, in a finally).
    live: called with each chunk of the board's output as it comes (the self-test's walk-test)."""
    b = link.Board(port)
    line = None
    try:
        try:
            ret, err = b.t.exec_raw(code, timeout=EXEC_TIMEOUT_S, data_consumer=live)
            if err:
                raise TransportExecError(ret, err.decode("utf-8", "replace"))
            out = ret.decode("utf-8", "replace").replace("\r", "").strip()
        except (b.TransportError, OSError) as e:
            msg = _failure(e)
            if "ImportError" in msg and "service" in msg:
                msg += ": the board's firmware has no trainctl.service; deploy it first (make deploy)"
            line = b.restart(boot_timeout_s, lambda m: None)  # the main loop must not stay stopped
            raise DeployError("the board failed: %s; %s" % (msg, line), code=1) from None
        if live is None:
            log(out)
        line = link.reset_and_read(b, False, boot_timeout_s, log)
        log(line)
        return out, line
    finally:
        if line is None:
            b.restart(boot_timeout_s, log)
        b.close()


STATUS_TIMEOUT_S = 10  # the virtual board passes console input on after 1 s; a board answers within a loop pass
STATUS_PREFIX = b"status fw="


def status(port, timeout_s=STATUS_TIMEOUT_S):
    """Ask the firmware running on the board at port for its status line (str, without the word `status`):
    the port is opened as a plain serial line (no Ctrl-C, no soft reset: the display keeps running)."""

    if not os.path.exists(port):
        raise DeployError("%s: no such device (is the board plugged in? try `mpremote connect list`)" % port)
    try:
        s = serial.Serial(port, 115200, timeout=0.2)
    except (serial.SerialException, OSError) as e:
        raise DeployError("%s: cannot open: %s" % (port, e)) from None
    try:
        s.reset_input_buffer()
        s.write(b"status\r")
        buf = b""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            buf += s.read(4096)
            i = buf.find(STATUS_PREFIX)
            if i >= 0 and buf.find(b"\n", i) > 0:
                return buf[i + 7:buf.index(b"\n", i)].decode("ascii", "replace").strip()
            i = buf.find(b"console: ")  # the loop caught an error answering (e.g. MemoryError): it runs on
            if i >= 0 and buf.find(b"\n", i) > 0:
                raise DeployError("%s: the board could not answer: %s" % (
                    port, buf[i + 9:buf.index(b"\n", i)].decode("ascii", "replace").strip()), code=1)
    finally:
        s.close()
    raise DeployError("%s: no status answer within %g s: is the firmware running, and recent enough to answer "
                      "(make deploy)?" % (port, timeout_s), code=1)


def status_lines(text):
    """The status line as 'key  value' lines, in its order."""
    pairs = [w.partition("=") for w in text.split()]
    width = max(len(k) for k, _, _ in pairs)
    return ["%s  %s" % (k.ljust(width), v) for k, _, v in pairs]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.board.crew", description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0, /dev/ttyUSB0, /dev/pts/3")
    ap.add_argument("--state", default=BOARDS_OWN, help="the state file on the board (default: the board's own: "
                                                         "/state.bin on ESP32 and RP2040, state.bin on the virtual)")
    ap.add_argument("--boot-timeout", type=float, default=30, help="seconds to wait for the boot line")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("show", help="print what the display shows after a reset")
    sub.add_parser("override", help="show this train number until cleared").add_argument(
        "train", help="a train number of the route, e.g. 95")
    sub.add_parser("clear", help="remove the override")
    sub.add_parser("selftest", help="commissioning: display test pattern, alarm pulse, input walk-test").add_argument(
        "--seconds", type=int, default=20, help="length of the input walk-test (default 20)")
    sub.add_parser("onboard", help="set the live passenger count").add_argument(
        "n", type=int, help="passengers on board now (0 or more)")
    p = sub.add_parser("status", help="live, read-only status of the running firmware (the display keeps running)")
    p.add_argument("--raw", action="store_true", help="print the board's line as it came (key=value pairs)")
    p.add_argument("--timeout", type=float, default=STATUS_TIMEOUT_S, help="seconds to wait for the answer")
    args = ap.parse_args(argv)
    if args.command == "status":
        def show():
            text = status(args.port, args.timeout)
            print(text if args.raw else "\n".join(status_lines(text)))

        return cli.board_command("crew", show, DeployError)
    try:
        value = getattr(args, "train", getattr(args, "n", getattr(args, "seconds", None)))
        code = board_call(args.command, value, args.state)
    except ValueError as e:
        print("crew: error: %s" % e, file=sys.stderr)
        return 2
    live = _echo if args.command == "selftest" else None
    return cli.board_command("crew", lambda: run(args.port, code, args.boot_timeout, live=live), DeployError)


def _echo(data):
    """The self-test's walk-test as it comes."""
    sys.stdout.write(data.decode("utf-8", "replace").replace("\r", "").replace("\x04", ""))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(cli.guard(main, "crew"))
