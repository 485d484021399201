"""The MicroPython unix port as a serial board on a pseudo-terminal, for mpremote without hardware.

    python -m host_tools.vboard.ptyboard --flash DIR [--heap 180k] [--path EXTRA]... [--capacity BYTES]
                                  [--report-version 1.22.0] [--romfs BYTES]

prints the device path (/dev/pts/N) on its first line and runs until killed (SIGTERM/SIGINT; SIGUSR1 is a
hard reset). Then `mpremote connect /dev/pts/N ...` works as on a board. From Python:

    with PtyBoard(flash_dir, paths=[...]) as b:
        subprocess.run(["mpremote", "connect", b.port, "ls"])
        b.console()  # everything the "board" sent so far

The board: `micropython -X heapsize=HEAP -i launcher` runs on a pty of its own (so it behaves as on a
terminal: raw REPL, raw-paste mode and Ctrl-C work) with cwd = DIR, sys.path = ['', DIR/lib, EXTRA...]
(mip installs into DIR/lib). Relative paths are the board's filesystem; absolute ones are the host's.
What a board does and the unix port does not, the bridge does:
- soft reset: Ctrl-D (or sys.exit()) ends the unix port's process. The bridge prints "MPY: soft reboot"
  and starts a new interpreter: in the raw REPL it enters the raw REPL again (main.py does not run, as on
  a board), in the friendly REPL it runs boot.py and main.py first, then the REPL;
- hard reset (PtyBoard.hard_reset(), SIGUSR1 to the CLI, or the interpreter exiting with status 3, 4 or
  126: the virtual board's watchdog and machine.reset() end the run with SystemExit(3) and (4)): a new
  interpreter runs boot.py, main.py and the REPL;
- input typed while a program runs in the friendly REPL is held until the REPL reads again (the unix port
  flushes pending input when it switches the terminal to raw mode), except Ctrl-C, which interrupts.
Output with no client reading is dropped once the pty's buffer is full, like a UART with nobody listening.
--capacity BYTES: `os.statvfs()` reports a filesystem of that size whose used part is what DIR holds
(4 KiB blocks), and opening a file for writing fails with ENOSPC once it is full; the host disk is not
touched. --report-version X.Y.Z: sys.implementation reports that version (and an older .mpy version when
X.Y < 1.23) so a deploy tool's version check can be tested. --romfs BYTES: a ROMFS partition (ROMFS0) as on a
board built with one: `vfs.rom_ioctl` serves `mpremote romfs query/deploy` (the partition is kept in the file
DIR.rom0), and at each start a valid image is mounted at /rom, with /rom and /rom/lib on sys.path after ''.
"""

import argparse
import contextlib
import fcntl
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time
import tty

from host_tools.common import cli
from host_tools.common.tools import venv_tool
from host_tools.vboard import fake_hardware

# Interpreter exit statuses that mean a hard reset: host_tools/vboard/fake_machine/machine.py ends the run with
# SystemExit(4) for machine.reset() and SystemExit(3) for a watchdog reset; 126 for other fakes.
HARD_RESET_STATUS = (3, 4, 126)
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
RAW_PROMPT = RAW_BANNER + b">"
FRIENDLY_MARK = b'Type "help()" for more information.'
SOFT_REBOOT = b"MPY: soft reboot\r\n"
HOLD_LIMIT_S = 1.0  # input held this long while a program runs is then passed on (a program reading stdin)
TRANSCRIPT_MAX = 1 << 20

# The MicroPython side: makes the unix port look like a board, then runs boot.py/main.py; copied beside the
# data module ptyboard_conf.py that _spawn writes for each start.
LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_machine", "ptyboard_launch.py")


def micropython_exe():
    """The unix port's `micropython` (the venv's, else on PATH); ToolMissing (a FileNotFoundError) if none."""
    return venv_tool("micropython")


def heap_bytes(text):
    """'180k' -> 184320, '1m' -> 1048576, '5000' -> 5000."""
    t = str(text).strip().lower()
    mult = 1024 if t.endswith("k") else 1024 * 1024 if t.endswith("m") else 1
    return int(float(t.rstrip("km")) * mult)


def parse_version(text):
    """'1.22.0' -> (1, 22, 0, '')"""
    parts = [int(p) for p in text.split(".")]
    if not 2 <= len(parts) <= 3:
        raise ValueError("version must be X.Y or X.Y.Z: %r" % text)
    return tuple(parts + [0] * (3 - len(parts))) + ("",)


class PtyBoard:
    """A MicroPython unix-port interpreter behind a pty that mpremote can open as a board's serial port."""

    def __init__(self, flash, heap="180k", paths=(), capacity=None, report_version=None, micropython=None,
                 env=None, romfs=0):
        """env: extra environment variables for the interpreter (e.g. the virtual board's VBOARD_*).
        romfs: size in bytes of a ROMFS partition (0: none, like a stock build), kept in FLASH.rom0 beside the
        flash folder; the heap is given that much more, since the partition lives in it here."""
        self.flash = os.path.abspath(flash)
        self.romfs = int(romfs)
        self.romfs_file = self.flash.rstrip(os.sep) + ".rom0"
        self.heap = str(heap)
        self.paths = [os.path.abspath(p) for p in paths]
        self.capacity = capacity
        self.report_version = parse_version(report_version) if isinstance(report_version, str) else report_version
        self.exe = micropython or micropython_exe()
        self.env = dict(env or {})
        self.port = None
        self.resets = 0  # interpreters started after the first (soft and hard resets)
        self._transcript = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._hard = threading.Event()
        self._thread = None
        self._proc = None
        self._im = None
        self._raw = False
        self._tail = b""
        self._pending = bytearray()
        self._held_since = None
        self._interrupted = False
        self._booting_raw = False  # restarting into the raw REPL: swallow output until its prompt
        self._boot_buf = b""
        self._tmp = None

    def _compile_fakes(self):
        """The fake hardware (fake_machine/*.py on paths) compiled with mpy-cross into the temporary folder, put before
        its sources on the path: on a board machine and time are built in, and compiling the fake machine (1,200 lines)
        in the board's heap, from deploy's raw REPL (`from machine import WDT`), ran out of it."""
        fakes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_machine")
        if fakes not in self.paths:
            return
        out = os.path.join(self._tmp, "fake_machine")
        os.makedirs(out, exist_ok=True)
        for name in fake_hardware():
            subprocess.run([venv_tool("mpy-cross"), "-o", os.path.join(out, name + ".mpy"),
                            os.path.join(fakes, name + ".py")], check=True, capture_output=True)
        self.paths.insert(self.paths.index(fakes), out)

    # --- public ---
    def start(self):
        os.makedirs(os.path.join(self.flash, "lib"), exist_ok=True)
        self._tmp = tempfile.mkdtemp(prefix="ptyboard-")
        self._compile_fakes()
        self._cm, self._cs = os.openpty()
        tty.setraw(self._cs)
        os.set_blocking(self._cm, False)
        self.port = os.ttyname(self._cs)
        self._wake_r, self._wake_w = os.pipe()
        self._spawn(run_main=True)
        self._thread = threading.Thread(target=self._loop, name="ptyboard", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(5)
        self._kill()
        for fd in (self._cm, self._cs, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def hard_reset(self):
        """Like pressing the reset button: a new interpreter runs boot.py and main.py."""
        self._hard.set()
        self._wake()

    def console(self):
        """Everything the board has sent towards the client so far (bytes)."""
        with self._lock:
            return bytes(self._transcript)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- interpreter ---
    def _spawn(self, run_main):
        names = ["boot.py", "main.py"] if run_main else ["boot.py"]
        launcher = os.path.join(self._tmp, "ptyboard_launch.py")
        shutil.copyfile(LAUNCHER, launcher)
        conf = {"PATHS": ["", os.path.join(self.flash, "lib")] + self.paths, "REPORT_VERSION": self.report_version,
                "CAPACITY": self.capacity, "RUN": names, "ROMFS": self.romfs, "ROMFS_FILE": self.romfs_file}
        with open(os.path.join(self._tmp, "ptyboard_conf.py"), "w") as f:
            f.write("".join("%s = %r\n" % kv for kv in conf.items()))
        im, islave = os.openpty()
        attrs = termios.tcgetattr(islave)
        attrs[1] &= ~termios.OPOST  # "\r\n" exactly as the REPL writes it (a board's UART adds nothing)
        termios.tcsetattr(islave, termios.TCSANOW, attrs)

        def controlling_tty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # Ctrl-C -> SIGINT -> KeyboardInterrupt, as on a terminal

        env = dict(os.environ, **self.env)
        env["MICROPYPATH"] = os.pathsep.join([""] + self.paths)
        self._proc = subprocess.Popen(
            [self.exe, "-X", "heapsize=%d" % (heap_bytes(self.heap) + self.romfs), "-i", launcher], cwd=self.flash,
            env=env,
            stdin=islave, stdout=islave, stderr=islave, close_fds=True, start_new_session=True,
            preexec_fn=controlling_tty)
        os.close(islave)
        os.set_blocking(im, False)
        self._im = im
        self._raw = False
        self._tail = b""

    def _kill(self):
        p = self._proc
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(5)
        if self._im is not None:
            with contextlib.suppress(OSError):
                os.close(self._im)
            self._im = None

    def _restart(self, how):
        """how: 'hard', 'soft' (raw or friendly, as the REPL was), 'interrupted' (REPL without main.py)."""
        was_raw = self._raw
        self._kill()
        self.resets += 1
        self._pending.clear()
        self._held_since = None
        self._interrupted = False
        if how == "soft":
            self._emit(SOFT_REBOOT)
        if how == "soft" and was_raw:
            self._booting_raw = True
            self._boot_buf = b""
            self._spawn(run_main=False)
        else:
            self._spawn(run_main=(how != "interrupted"))

    def _exited(self):
        status = self._proc.wait()
        if self._hard.is_set() or status in HARD_RESET_STATUS:
            self._hard.clear()
            self._restart("hard")
        elif status == -signal.SIGINT:
            self._restart("interrupted")
        elif status < 0:
            self._restart("hard")  # crashed: a board's watchdog or brown-out would reset it
        else:
            self._restart("soft")

    # --- plumbing ---
    def _wake(self):
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def _emit(self, data):
        with self._lock:
            self._transcript += data
            if len(self._transcript) > TRANSCRIPT_MAX:
                del self._transcript[: len(self._transcript) - TRANSCRIPT_MAX]
        with contextlib.suppress(OSError):  # nobody reading (buffer full): dropped, like a UART
            os.write(self._cm, data)

    def _from_interp(self, data):
        if self._booting_raw:
            self._boot_buf += data
            i = self._boot_buf.find(RAW_PROMPT)
            if i < 0:
                return
            rest = self._boot_buf[i + len(RAW_PROMPT):]
            self._booting_raw = False
            self._boot_buf = b""
            self._raw = True
            self._emit(RAW_PROMPT + rest)
            return
        seen = self._tail + data
        r, f = seen.rfind(RAW_BANNER), seen.rfind(FRIENDLY_MARK)
        if r >= 0 or f >= 0:
            self._raw = r > f
        self._tail = seen[-64:]
        self._emit(data)

    def _reading(self):
        """True when the interpreter waits for input (its REPL put the terminal in raw mode)."""
        try:
            return not termios.tcgetattr(self._im)[3] & termios.ICANON
        except termios.error:
            return False

    def _forward(self):
        if not self._pending or self._im is None:
            return
        if self._booting_raw:
            return
        now = time.monotonic()
        if self._reading():
            n = len(self._pending)
        else:
            if self._held_since is None:
                self._held_since = now
            i = self._pending.find(b"\x03")
            if i >= 0 and not self._interrupted:
                n = i + 1
                self._interrupted = True
                self._held_since = now
            elif now - self._held_since > HOLD_LIMIT_S:
                n = len(self._pending)
            else:
                return
        try:
            written = os.write(self._im, bytes(self._pending[:n]))
        except (BlockingIOError, OSError):
            return
        del self._pending[:written]
        if self._reading():
            self._interrupted = False
        if not self._pending:
            self._held_since = None

    def _loop(self):
        sent_raw_entry = False
        while not self._stop.is_set():
            fds = [self._cm, self._wake_r] + ([self._im] if self._im is not None else [])
            try:
                ready, _, _ = select.select(fds, [], [], 0.01)
            except (OSError, ValueError):
                ready = []
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            if self._cm in ready:
                with contextlib.suppress(OSError):
                    self._pending += os.read(self._cm, 4096)
            if self._im is not None and self._im in ready:
                try:
                    data = os.read(self._im, 4096)
                except BlockingIOError:
                    data = None
                except OSError:
                    data = b""
                if data:
                    self._from_interp(data)
                elif data == b"" and self._proc.poll() is not None:
                    self._exited()
                    sent_raw_entry = False
                    continue
            if self._hard.is_set():
                self._hard.clear()
                self._restart("hard")
                sent_raw_entry = False
                continue
            if self._proc.poll() is not None:
                self._drain()
                self._exited()
                sent_raw_entry = False
                continue
            if self._booting_raw and not sent_raw_entry and self._reading():
                os.write(self._im, b"\r\x01")
                sent_raw_entry = True
            if not self._booting_raw:
                sent_raw_entry = False
                self._forward()

    def _drain(self):
        while self._im is not None:
            try:
                data = os.read(self._im, 4096)
            except OSError:
                return
            if not data:
                return
            self._from_interp(data)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flash", required=True, help="folder that is the board's filesystem")
    ap.add_argument("--heap", default="180k", help="MicroPython heap (-X heapsize=), default %(default)s")
    ap.add_argument("--path", action="append", default=[], help="extra folder on sys.path (repeatable)")
    ap.add_argument("--capacity", type=int, help="filesystem size in bytes reported by os.statvfs")
    ap.add_argument("--report-version", help="MicroPython version the board reports (X.Y.Z)")
    ap.add_argument("--romfs", type=int, default=0, help="ROMFS partition size in bytes (default: none); kept in "
                                                          "FLASH.rom0 beside the flash folder")
    args = ap.parse_args(argv)
    try:
        board = PtyBoard(args.flash, args.heap, args.path, args.capacity, args.report_version, romfs=args.romfs)
    except (FileNotFoundError, ValueError) as e:
        print("ptyboard: error: %s" % e, file=sys.stderr)
        return 2
    board.start()
    print(board.port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGUSR1, lambda *_: board.hard_reset())
    try:
        while not done.wait(0.5):
            pass
    finally:
        board.stop()
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "ptyboard"))
