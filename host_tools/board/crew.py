"""Crew service from a laptop on the board's USB port: see or correct the saved journey state.

    python -m host_tools.board.crew --port PORT [--state PATH] [--boot-timeout S] show
    python -m host_tools.board.crew --port PORT ... override TRAIN    # show TRAIN (e.g. 95) until cleared
    python -m host_tools.board.crew --port PORT ... clear             # back to the journey's own number
    python -m host_tools.board.crew --port PORT ... onboard N         # the live passenger count
    python -m host_tools.board.crew --port PORT ... selftest [--seconds S]  # commissioning: display, alarm, inputs

Connecting stops the firmware's main loop (mpremote's Ctrl-C and soft reset, as `make deploy` does);
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
import sys

from trainctl import route_data, service

from host_tools.board import deploy
from host_tools.board.deploy import DeployError
from host_tools.common import cli

STATE = "/state.bin"


class _BoardsOwn:
    """The board's own state path, chosen on the board (repr: the name of a variable set there)."""

    def __repr__(self):
        return "_st"


BOARDS_OWN = _BoardsOwn()
_OWN = ("import sys, os\n_st = (os.getenv('VBOARD_STATE') or 'state.bin') if sys.platform == 'linux' else "
        "'/state.bin'\n_jl = (os.getenv('VBOARD_JLOG') or 'jlog.bin') if sys.platform == 'linux' else '/jlog.bin'\n")


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
    b = deploy.Board(port)
    line = None
    try:
        try:
            ret, err = b.t.exec_raw(code, timeout=EXEC_TIMEOUT_S, data_consumer=live)
            if err:
                from mpremote.transport import TransportExecError

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
        line = deploy.reset_and_read(b, False, boot_timeout_s, log)
        log(line)
        return out, line
    finally:
        if line is None:
            b.restart(boot_timeout_s, log)
        b.close()


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
    args = ap.parse_args(argv)
    try:
        value = getattr(args, "train", getattr(args, "n", getattr(args, "seconds", None)))
        code = board_call(args.command, value, args.state)
    except ValueError as e:
        print("crew: error: %s" % e, file=sys.stderr)
        return 2
    try:
        live = None
        if args.command == "selftest":
            def live(data):
                sys.stdout.write(data.decode("utf-8", "replace").replace("\r", "").replace("\x04", ""))
                sys.stdout.flush()
        run(args.port, code, args.boot_timeout, live=live)
    except DeployError as e:
        print("crew: error: %s" % e, file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("crew: interrupted", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "crew"))
