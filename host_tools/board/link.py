"""The serial link to a board (mpremote's serial transport) for `make deploy`, crew and jlog: connect into the raw
REPL, evaluate, write files, reset and read the boot line, write a ROMFS image; errors become DeployError."""

import ast
import contextlib
import os
import time

import serial
from mpremote.commands import _do_romfs_deploy
from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from host_tools.build.firmware import BuildError
from host_tools.common.cli import quiet

CONNECT_TIMEOUT_S = 6
REMOTE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "remote")  # programs run on the board
# The feeder holds a lease of LEASE_S ticks that every command from the host renews (Board.eval, Board.write):
# when the host goes (cable pulled, laptop asleep, the tool killed) the lease runs out and the feeder calls
# machine.reset(), so the board runs main.py again instead of feeding its watchdog for ever in the raw REPL.
LEASE_S = int(os.environ.get("TRAINCTL_DEPLOY_LEASE_S") or 60)
RENEW = "_deploy_left = %d\n"  # renews the lease (keep_fed.py)
# The virtual board (ptyboard) was seen now and then not to act on the first Ctrl-C while main.py ran (about
# 1 test run in 7, cause not found; not reproduced since in 467 connects and 22 test runs with one try); a
# second try interrupts it, on a board too if a byte is lost. A board that answers neither time is reported.
CONNECT_TRIES = 2
READ_TIMEOUT_S = 2

NEW = ".new"  # a changed file is written as path.new, then all are renamed over the old ones in one command


def remote_program(name, call):
    """host_tools/board/remote/NAME.py followed by the line CALL: what deploy runs in the raw REPL."""
    with open(os.path.join(REMOTE, name + ".py"), encoding="utf-8") as f:
        return f.read() + "\n" + call + "\n"


def files_call(call):
    """host_tools/board/remote/files.py with one call whose value is printed, e.g. files_call("remove('x')")."""
    return remote_program("files", "print(repr(%s))\ndel probe, dirs, mkdir, remove, rmdir, commit" % call)


class DeployError(BuildError):
    """Stops the deploy with a one-line message; code 2 (usage/port/version/space) or 1."""


class Board:
    """mpremote's serial transport on `port`, with errors turned into DeployError."""

    def __init__(self, port):

        self.port = port
        self.lease = False  # the deploy's lease feeder runs: every command renews it
        self.TransportError = TransportError
        if not os.path.exists(port):
            raise DeployError("%s: no such device (is the board plugged in? try `mpremote connect list`)" % port)
        try:
            # A read timeout: with none, mpremote blocks for ever on a pty that says nothing.
            self.t, _ = quiet(SerialTransport, port, baudrate=115200, timeout=READ_TIMEOUT_S)
        except (TransportError, OSError) as e:
            raise DeployError("%s: cannot open: %s" % (port, e)) from None
        for attempt in range(CONNECT_TRIES):  # each one interrupts the running program with Ctrl-C
            try:
                quiet(self.t.enter_raw_repl, soft_reset=True, timeout_overall=CONNECT_TIMEOUT_S)
                break
            except (TransportError, OSError) as e:
                if attempt + 1 < CONNECT_TRIES:
                    continue
                self.close()
                raise DeployError("%s does not answer as a MicroPython REPL (%s within %d s, %d tries): is it the "
                                  "board, and is no other program (mpremote repl, a terminal) using it?"
                                  % (port, str(e) or "no raw REPL prompt", CONNECT_TIMEOUT_S, CONNECT_TRIES)
                                  ) from None

    def eval(self, code):
        if self.lease:
            code = RENEW % LEASE_S + code
        try:
            out = self.t.exec(code)
        except self.TransportError as e:
            raise DeployError("%s: the board failed: %s" % (self.port, str(e).strip().splitlines()[-1:]),
                              code=1) from None
        return ast.literal_eval(out.decode().strip())

    def write(self, path, data):
        """Write data to path + NEW on the board (renewing the lease first); DeployError on failure."""
        try:
            if self.lease:
                self.t.exec(RENEW % LEASE_S)
            self.t.fs_writefile(path + NEW, data, chunk_size=1024)
        except (self.TransportError, OSError) as e:
            if "ENOSPC" in str(e) or getattr(e, "errno", None) == 28:
                raise DeployError("filesystem full while writing %s" % path) from None
            raise DeployError("writing %s: %s" % (path, e), code=1) from None

    def restart(self, timeout_s=10, log=print):
        """After a failure: run main.py again (soft reboot from the friendly REPL) so that the board is not left
        stopped. Logs and returns what happened ("restarted: <boot line>", ...); never raises. A board without
        a main.py (a fresh one, refused before anything was copied) prints no boot line: it is not waited for."""
        try:
            try:
                fresh = not self.eval(remote_program("has_main", "print(has_main())\ndel has_main"))
            except (DeployError, ValueError, SyntaxError):  # no answer as expected: restart it as ever
                fresh = False
            if fresh:
                self.t.exit_raw_repl()
                self.t.serial.write(b"\x04")  # soft reboot from the friendly REPL
                what = "restarted: no main.py on it, nothing runs (a fresh board)"
            else:
                what = "restarted: " + reset_and_read(self, False, timeout_s, log)
        except DeployError as e:
            what = "restarted, but: %s" % str(e).splitlines()[0]
        except Exception as e:  # the port is gone: the lease feeder resets the board within LEASE_S
            what = ("not restarted from here (%s): it resets itself within %d s (lease)" % (type(e).__name__, LEASE_S)
                    if self.lease else "not restarted (%s): reset or power-cycle it" % type(e).__name__)
        finally:
            self.close()
        log("board " + what)
        return what

    def close(self):
        with contextlib.suppress(Exception):
            self.t.close()


def read_boot(stream_read, timeout_s, log):
    """Read the console until the boot line; return it. stream_read(n) -> bytes (may be empty)."""
    end = time.monotonic() + timeout_s
    buf = b""
    while time.monotonic() < end:
        data = stream_read()
        if not data:
            time.sleep(0.01)
            continue
        buf += data
        lines = buf.replace(b"\r", b"").replace(b"\x04", b"").split(b"\n")  # \x04: raw REPL end marks
        for line in lines[:-1]:
            if line.startswith(b"trainctl "):
                return line.decode("utf-8", "replace")
        if b"Traceback (most recent call last)" in buf and buf.endswith(b">>> "):  # main.py failed
            raise DeployError("the board did not boot:\n" + buf.decode("utf-8", "replace").strip(), code=1)
    tail = buf.decode("utf-8", "replace").strip()[-400:]
    raise DeployError("no boot line (trainctl ...) within %d s%s" % (timeout_s, ("; the board said:\n" + tail)
                                                                     if tail else ""), code=1)


def reset_and_read(b, hard, timeout_s, log):
    ser = b.t.serial

    def rd():
        n = ser.inWaiting()
        return ser.read(n) if n else b""

    if hard:
        with contextlib.suppress(Exception):
            b.t.exec_raw_no_follow("import machine\nmachine.reset()")
        b.close()

        end = time.monotonic() + timeout_s
        while True:  # USB boards drop off the bus and come back
            try:
                ser = serial.Serial(b.port, 115200, timeout=0)
                break
            except (OSError, serial.SerialException):
                if time.monotonic() > end:
                    raise DeployError("%s did not come back after machine.reset()" % b.port, code=1) from None
                time.sleep(0.2)
        try:
            return read_boot(rd, max(1, end - time.monotonic()), log)
        finally:
            ser.close()
    b.t.exit_raw_repl()  # friendly REPL: a soft reboot there runs main.py
    time.sleep(0.1)
    rd()
    ser.write(b"\x04")
    try:
        return read_boot(rd, timeout_s, log)
    finally:
        b.close()


def remote_dirs(b):
    return b.eval(files_call("dirs()"))


def deploy_romfs(b, path, log):
    """Write the image file at path to the board's ROMFS0 partition with mpremote's `romfs deploy` (its
    transfer code)."""

    class _State:
        transport = b.t

        def ensure_raw_repl(self):
            pass

        def did_action(self):
            pass

    class _Args:
        partition = 0
        mpy = False

    _Args.path = path
    try:
        quiet(_do_romfs_deploy, _State(), _Args())
    except (b.TransportError, OSError) as e:
        raise DeployError("writing the ROMFS partition: %s" % e, code=1) from None
    log("ROMFS0: image written (%d bytes)" % os.path.getsize(path))
