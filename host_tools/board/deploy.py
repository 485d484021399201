"""Deploy the firmware to a board over its serial port with mpremote, copying only what changed.

    python -m host_tools.board.deploy --board esp32|rp2040|virtual --port PORT
                                [--no-reset] [--hard-reset] [--boot-timeout S] [--romfs auto|yes|no]

1. compiles firmware/ with mpy-cross into build/deploy/<board>/ (main.py stays .py; trainctl/*.py -> .mpy,
   -march=xtensawin for esp32, armv6m for rp2040, bytecode for virtual; boards/native/'s native code, e.g.
   trainctl/adpcm_viper.py -> trainctl/adpcm_viper.mpy, only for a board with a -march) and adds
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
import hashlib
import os
import re
import sys

from host_tools.board import link
from host_tools.board.link import (
    NEW,
    Board,
    DeployError,
    deploy_romfs,
    files_call,
    remote_dirs,
    remote_program,
    reset_and_read,
)
from host_tools.build.firmware import (
    BOARDS,
    BUILD,
    VOICE_FILE,
    BuildError,
    build,
    compile_board,
    mpy_cross_version,
    romfs_image,
    tool,
)
from host_tools.common import cli
from host_tools.common.paths import ROOT

ARCH_NAMES = ("none", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
              "xtensa", "xtensawin", "rv32imc", "rv64imc")
BLOCK = 4096  # LittleFS block on ESP32 and RP2040: space is taken in whole blocks
# A watchdog the firmware started runs on through the connection's soft reset (neither chip can stop one),
# and that soft reset stops the board file's keep-alive timer: unfed, the board would reset WDT_MS into the
# deploy (a ROMFS image over a 115,200-baud USB-UART takes about as long). remote/keep_fed.py is compiled into
# RAM from the raw REPL (not run from the ROMFS partition being rewritten) and lasts until the final reset. On a
# board that had no watchdog running it starts one, which the firmware starts at boot anyway.
WDT_MS = 8000  # the watchdog timeout of boards/*/board.py (_WDT_MS; tests/test_boards.py checks)


def keep_fed_timer(board):
    """The id of the timer the board file's keep_alive feeds the watchdog from: 0 (the ESP32's hardware timer 0),
    -1 (a soft timer; also for a board file without one)."""
    with open(os.path.join(ROOT, "boards", board, "board.py"), encoding="utf-8") as f:
        m = re.search(r"\bTimer\((-?\d+), mode=Timer\.PERIODIC", f.read())
    return int(m.group(1)) if m else -1


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


def deploy(board, port, reset=True, hard_reset=False, boot_timeout_s=30, log=print,
           romfs="auto", bundle=None):
    """The whole deploy; returns the boot line (or None with reset=False). Raises DeployError (BuildError).

    romfs: "auto" puts trainctl into the board's ROMFS partition when it has one big enough (the modules then
    run in place from flash), else onto the filesystem; "yes" requires the partition; "no" never uses it."""
    if not os.path.exists(port):
        raise DeployError("%s: no such device (is the board plugged in? try `mpremote connect list`)" % port)
    cross = mpy_cross_version(tool("mpy-cross"))
    local = build(board, log=log, bundle=bundle)
    b = Board(port)
    done = False
    try:
        have = _connect(b, board, cross, log)
        out_dir = os.path.join(BUILD, board)
        local, in_rom = _romfs_step(b, board, local, out_dir, romfs, log)
        _copy_step(b, local, in_rom, "MicroPython %s on %s" % (have, port), log)
        if in_rom:
            _unshadow_rom(b, out_dir, log)
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


def _connect(b, board, cross, log):
    """Check the board's MicroPython against mpy-cross's (cross: its versions), start the watchdog feeder with its
    lease; the board's version."""
    impl_version, mpy = b.eval(files_call("probe()"))
    have = check_version(board, impl_version, mpy, *cross)
    call = "keep_fed(%d, %d, %d)\ndel keep_fed" % (link.LEASE_S, WDT_MS, keep_fed_timer(board))
    fed = b.eval(remote_program("keep_fed", call))
    b.lease = fed == 1
    log("watchdog: fed from a timer until the reset" if fed == 1 else
        "watchdog: could not start a feeder (%s): a watchdog the firmware started may reset the board %d "
        "s into the deploy" % (fed, WDT_MS // 1000))
    return have


def _romfs_step(b, board, local, out_dir, romfs, log):
    """The ROMFS image written to the board's partition when it has one big enough (and romfs allows): then
    (only main.py and the clip file left for the filesystem, True); else (local, False)."""
    img = romfs_image(dict(local, **{"board.mpy": compile_board(board, out_dir)}), out_dir, log) if romfs != "no" \
        else None
    rom_size, rom_sha = (0, "")
    if img:
        rom_size, rom_sha = b.eval(remote_program("rom_probe", "print(repr(rom_probe(%d)))\ndel rom_probe"
                                                  % len(img)))
    if img and rom_size >= len(img):
        if rom_sha == hashlib.sha256(img).hexdigest():
            log("ROMFS0 (%d bytes): trainctl image up to date" % rom_size)
        else:
            deploy_romfs(b, os.path.join(out_dir, "trainctl.romfs"), log)
        return {p: v for p, v in local.items() if p in ("main.py", VOICE_FILE)}, True  # the rest is in the image
    if romfs == "yes":
        raise DeployError("the board has no ROMFS partition big enough for the %d-byte image (%s): flash a "
                          "MicroPython build with one (docs/deploy.md) or use --romfs auto"
                          % (len(img), "partition of %d bytes" % rom_size if rom_size else "none"))
    if img:
        log("no ROMFS partition (or too small): trainctl goes onto the filesystem as .mpy and loads into RAM "
            "(BENCH.md section 6 gives the difference)")
    return local, False


def _copy_step(b, local, in_rom, who, log):
    """Copy what changed (checked against the free space), remove stale files, rename the new ones over the old
    ones in one command."""
    remote, free = b.eval(remote_program("listing", "print(repr(listing()))\ndel listing, _sha256, _BUF"))
    changed, stale, same = plan(local, remote)
    need = space_needed(local, remote, changed, stale)
    if need > free:
        raise DeployError("filesystem full: %d bytes needed, %d free" % (need, free))
    log("board: %s; %d to copy, %d unchanged, %d to remove; %d bytes free" % (who, len(changed), same, len(stale),
                                                                               free))
    for d in ("trainctl", "lib"):
        if any(p.startswith(d + "/") for p in changed) and d not in remote_dirs(b):
            b.eval(files_call("mkdir(%r)" % d))
    for p in stale:
        if not b.eval(files_call("remove(%r)" % p)):
            raise DeployError("could not remove %s from the board" % p, code=1)
        log("removed %s" % p)
    if in_rom and "trainctl" in remote_dirs(b):
        # trainctl runs from the ROMFS: an empty folder first on sys.path would hide it
        if not b.eval(files_call("rmdir('trainctl')")):
            raise DeployError("trainctl/ on the board's filesystem is not empty: it would hide the ROMFS's trainctl",
                              code=1)
        log("removed trainctl/ (now in the ROMFS)")
    for p in changed:
        b.write(p, local[p])
        log("copied %s (%d bytes)" % (p, len(local[p])))
    if changed:  # all at once: a deploy cut short leaves the old firmware whole (and .new files)
        b.eval(files_call("commit(%r, %r)" % (changed, NEW)))


def _unshadow_rom(b, out_dir, log):
    """The dependencies are in the image's lib/: copies on the filesystem would shadow them."""
    stage = os.path.join(out_dir, "romfs")
    for p in sorted(os.path.relpath(os.path.join(dp, n), stage)
                    for dp, _, ns in os.walk(os.path.join(stage, "lib")) for n in ns):
        if b.eval(files_call("remove(%r)" % p)):
            log("removed %s (now in the ROMFS)" % p)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.board.deploy", description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", required=True, choices=sorted(BOARDS),
                    help="the board type (its boards/<board>/board.py)")
    ap.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyACM0, /dev/ttyUSB0, /dev/pts/3")
    ap.add_argument("--no-reset", action="store_true",
                    help="leave the board at the REPL after copying (it resets itself %d s after the last command: "
                         "TRAINCTL_DEPLOY_LEASE_S)" % link.LEASE_S)
    ap.add_argument("--bundle", help="the depot bundle folder (make bundle: build/bundle) to take micropython-lib's "
                                     "files from, offline (default: .venv/mplib)")
    ap.add_argument("--hard-reset", action="store_true", help="machine.reset() instead of a soft reboot")
    ap.add_argument("--boot-timeout", type=float, default=30, help="seconds to wait for the boot line")
    ap.add_argument("--romfs", choices=("auto", "yes", "no"), default="auto",
                    help="trainctl into the board's ROMFS partition: auto (if it has one, default), yes, no")
    a = ap.parse_args(argv)
    return cli.board_command("deploy", lambda: deploy(a.board, a.port, not a.no_reset, a.hard_reset, a.boot_timeout,
                                                      romfs=a.romfs, bundle=a.bundle), BuildError)  # DeployError too


if __name__ == "__main__":
    sys.exit(cli.guard(main, "deploy"))
