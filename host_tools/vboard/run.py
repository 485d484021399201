"""The virtual board's build and boot (host_tools/vboard/sim.py drives them): the firmware compiled and put on a
flash folder or a ROMFS image as `make deploy` puts it, the MicroPython unix port or the WebAssembly port booting it
on the fake hardware, and what its console says (the boot line, the board's summary, the timeline, the names)."""

import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time

from host_tools.build import qstrs
from host_tools.build.firmware import VOICE_FILE, romfs_image, source_name
from host_tools.common import paths
from host_tools.common.tools import ToolMissing, venv_tool
from host_tools.vboard import FAKE_MACHINE, fake_hardware
from host_tools.vboard.ptyboard import heap_bytes

ROOT = paths.ROOT
VBOARD = FAKE_MACHINE  # the MicroPython side: machine (vb_* modules), time, vboot
# KiB: what precedes main.py (start-up, fake machine + time modules) and fake devices (the strict UART: a 4 KiB
# wire ring). Measured (vboard_bytes, tests/data/short_clean.nmea, --heap 180k, .mpy files): 52,896 B with
# machine.py in one module, 55,040 B with its vb_* modules (8 more module objects).
VBOARD_ALLOWANCE_K = 56

SYNTH_ARGS = ["--noise-m", "15", "--jumps", "4", "--frozen", "2", "--garbage", "0.002",
              "--talkers", "GN,GP,BD,GB", "--shunting", "--wander-m", "8000"]  # the Makefile's SYNTH (make demo)



def tool(name):
    try:
        return venv_tool(name)
    except ToolMissing as e:
        raise SystemExit("sim: %s" % e) from None



MPY_CACHE = os.path.join(ROOT, "build", "mpy-cache")  # compiled bytecode by source, name and mpy-cross


@functools.cache
def _cross_id(mpy_cross):
    """What mpy-cross says it is (`--version`: its MicroPython and .mpy versions): part of the cache's key."""
    return subprocess.run([mpy_cross, "--version"], capture_output=True, timeout=30, check=True).stdout


def _compile(src, dst, mpy_cross, name):
    """src -> dst with mpy-cross; name: the source name the .mpy carries (firmware.source_name, as `make deploy`
    gives it). Each board folder is new (a test's, a sim run's): the same source, name and mpy-cross give the same
    bytes, so they come from MPY_CACHE after the first time."""
    if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
        return
    with open(src, "rb") as f:
        key = hashlib.sha256(f.read() + b"\0" + name.encode() + b"\0" + _cross_id(mpy_cross))
    cached = os.path.join(MPY_CACHE, key.hexdigest() + ".mpy")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if not os.path.exists(cached):
        os.makedirs(MPY_CACHE, exist_ok=True)
        tmp = "%s.%d" % (cached, os.getpid())  # two test workers may compile the same file at once
        subprocess.run([mpy_cross, "-s", name, "-o", tmp, src], check=True)
        os.replace(tmp, cached)
    shutil.copyfile(cached, dst)


def _read_tree(root):
    """{relative path with '/': bytes} of every file under root."""
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, root).replace(os.sep, "/")] = f.read()
    return files


def build_flash(out, romfs=False, voice=True):
    """OUT/flash (the board's filesystem) and OUT/vboard (the fake hardware, compiled); returns both, and with
    romfs the ROMFS image OUT/rom/trainctl.romfs of trainctl, lib/ and board.mpy (then not on the
    filesystem), as `make deploy` makes for a board with a ROMFS partition. voice: the announcements' clip file
    (firmware/voice.bin) on the filesystem as voice.bin, as `make deploy` puts it (without: a board that does not
    announce)."""

    mpy_cross = tool("mpy-cross")
    mpy = os.path.join(out, "mpy")
    flash = os.path.join(out, "flash")
    vb = os.path.join(out, "vboard")
    fw = os.path.join(ROOT, "firmware")
    for name in sorted(os.listdir(os.path.join(fw, "trainctl"))):
        if name.endswith(".py"):  # bytecode, as deploy builds for the virtual board (without boards/native/)
            _compile(os.path.join(fw, "trainctl", name), os.path.join(mpy, "trainctl", name[:-3] + ".mpy"),
                     mpy_cross, source_name("trainctl/" + name))
    _compile(os.path.join(ROOT, "boards", "virtual", "board.py"), os.path.join(mpy, "board.mpy"), mpy_cross,
             source_name("board.py"))
    _compile(os.path.join(ROOT, ".venv", "mplib", "ssd1306.py"), os.path.join(mpy, "lib", "ssd1306.mpy"),
             mpy_cross, "ssd1306")  # the source name deploy gives it
    for m in fake_hardware() + ["vboot"]:
        _compile(os.path.join(VBOARD, m + ".py"), os.path.join(vb, m + ".mpy"), mpy_cross, m + ".py")
    os.makedirs(flash, exist_ok=True)
    shutil.copyfile(os.path.join(fw, "main.py"), os.path.join(flash, "main.py"))
    if voice:
        shutil.copyfile(os.path.join(fw, VOICE_FILE), os.path.join(flash, VOICE_FILE))
    elif os.path.exists(os.path.join(flash, VOICE_FILE)):
        os.remove(os.path.join(flash, VOICE_FILE))
    for sub in ("trainctl", "lib"):  # what a previous build put there, in either mode
        shutil.rmtree(os.path.join(flash, sub), ignore_errors=True)
    if os.path.exists(os.path.join(flash, "board.mpy")):
        os.remove(os.path.join(flash, "board.mpy"))
    if not romfs:
        shutil.copytree(mpy, flash, dirs_exist_ok=True)
        return flash, vb, None

    romfs_image(_read_tree(mpy), os.path.join(out, "rom"), log=lambda *_: None)
    return flash, vb, os.path.join(out, "rom", "trainctl.romfs")


def i2s_ring(heap):
    """Where the I2S driver keeps the board file's ibuf (fake_machine VBOARD_I2S_RING): "dma" on the 110 KiB heap
    of an ESP32 without PSRAM (the esp32 port's machine.I2S takes DMA buffers from ESP-IDF's heap, outside
    MicroPython's), "heap" on bigger ones, an RP2040's (extmod/machine_i2s.c's ring buffer in MicroPython's
    heap)."""
    return "dma" if heap_bytes(heap) <= heap_bytes("110k") else "heap"


def synth(out, direction, seed):
    track = os.path.join(out, "journey.nmea")
    truth = os.path.join(out, "journey.truth.json")
    subprocess.run([sys.executable, "-m", "host_tools.synth", *SYNTH_ARGS, "--direction", direction,
                    "--seed", str(seed), "-o", track, "--truth", truth], check=True, cwd=ROOT)
    return track, truth


# ---------------------------------------------------------------------------------------------------- run


def run_board(flash, vb, track, capture, heap, display="oled", rate="sim", end_s=10, echo=True, extra_env=None,
              allowance_k=VBOARD_ALLOWANCE_K, timeout=600, romfs=None):
    """Boot main.py on the virtual board; returns (console lines, return code, wall seconds). romfs: a ROMFS
    image that the board has in its partition (host_tools/vboard/fake_machine/vboot.py mounts it before main.py; the
    heap is given its size more, counted as the board's share)."""
    flash, vb = os.path.abspath(flash), os.path.abspath(vb)
    if os.path.exists(capture):
        os.remove(capture)
    state = os.path.join(flash, "state.bin")
    if os.path.exists(state):
        os.remove(state)  # a fresh board: no restored state
    env = dict(os.environ)
    env.update({
        "MICROPYPATH": os.pathsep.join([flash, os.path.join(flash, "lib"), vb, ".frozen"]),
        "VBOARD_TRACK": os.path.abspath(track),
        "VBOARD_CAPTURE": os.path.abspath(capture),
        "VBOARD_END": str(end_s),
        "VBOARD_DISPLAY": display,
        "VBOARD_RATE": rate,
        "VBOARD_STATE": state,
    })
    env.update(extra_env or {})
    size = heap_bytes(heap) + 1024 * allowance_k + (os.path.getsize(romfs) if romfs else 0)
    cmd = [tool("micropython"), "-X", "heapsize=%d" % size, "-c", "import vboot"]  # vboot runs main.py
    if romfs:
        env["VBOARD_ROMFS"] = os.path.abspath(romfs)
    t0 = time.perf_counter()
    lines = []
    with subprocess.Popen(cmd, cwd=flash, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace") as p:
        try:
            for ln in p.stdout:
                ln = ln.rstrip("\n")
                lines.append(ln)
                if echo:
                    print(ln, flush=True)
                if time.perf_counter() - t0 > timeout:
                    p.kill()
                    lines.append("sim: killed after %d s" % timeout)
                    break
        finally:
            rc = p.wait()
    return lines, rc, time.perf_counter() - t0


def boot_wasm(flash, vb, romfs, out, end_s=5, timeout=120):
    """Boot main.py on the virtual board inside the 32-bit WebAssembly port (npm's
    @micropython/micropython-webassembly-pyscript, through tests/mp/run_wasm.mjs): no track, end_s virtual
    seconds, then the board's summary. That port keeps files its program writes in the GC heap, so the
    journey log and state file are there beforehand at their full size, as on a board that has run before
    (the firmware only opens them), and the display is not captured. Its heap grows on demand: this measures,
    it does not limit.
    Returns (console lines, return code)."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("sim: `node` not found (Node.js runs the WebAssembly port)")
    fs_dir = os.path.join(os.path.abspath(out), "wasm")
    shutil.rmtree(fs_dir, ignore_errors=True)
    os.makedirs(fs_dir)
    with open(os.path.join(fs_dir, "jlog.bin"), "wb") as f:
        f.write(bytes(1024 * 16))  # what JourneyLog.load() writes on a first boot (1024 records of 16 bytes)
    with open(os.path.join(fs_dir, "state.bin"), "wb") as f:
        f.write(bytes(112))  # two blank slots: no valid record, a fresh journey
    env = {"VBOARD_END": str(end_s), "VBOARD_STATE": os.path.join(fs_dir, "state.bin"),
           "VBOARD_JLOG": os.path.join(fs_dir, "jlog.bin"),  # no display capture: it would fill the heap
           "VBOARD_QSTR": "1"}  # the interned-name pools before main.py and after boot (qstr_board_figures)
    copies = ["--copy", fs_dir]
    if romfs:
        env["VBOARD_ROMFS"] = os.path.abspath(romfs)
        copies += ["--copy", os.path.dirname(os.path.abspath(romfs))]
    script = os.path.join(fs_dir, "wboot.py")  # fake_machine/wboot.py, its environment beside it
    shutil.copyfile(os.path.join(VBOARD, "wboot.py"), script)
    with open(os.path.join(fs_dir, "wboot_env.py"), "w", encoding="utf-8") as f:
        f.write("ENV = %r\n" % (env,))
    flash = os.path.abspath(flash)
    paths_ = [flash] + ([os.path.join(flash, "lib")] if os.path.isdir(os.path.join(flash, "lib")) else [])
    cmd = [node, os.path.join(ROOT, "tests", "mp", "run_wasm.mjs"), "--heap", "256k"]
    for d in paths_ + [os.path.abspath(vb)]:
        cmd += ["--path", d]
    p = subprocess.run(cmd + copies + [script], cwd=flash, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    return (p.stdout + p.stderr).splitlines(), p.returncode


QSTR_INFO = re.compile(r"^qstr pool: n_pool=(\d+), n_qstr=(\d+), n_str_data_bytes=(\d+), n_total_bytes=(\d+)")


def qstr_board_figures(lines, out):
    """The firmware's interned names on a board (host_tools.build.qstrs), from a VBOARD_QSTR boot's console lines:
    the two `qstr pool:` lines (before main.py, right after boot) and the loaded modules; out: the build_flash
    folder (OUT/mpy holds the .mpy files). Returns {} if the lines are missing, else: qstr_vboard (names the
    firmware added on the virtual board), pools_fw (pool bytes that appeared after main.py started: in the
    measured figure), model_ok (the pool model gives the port's own pool bytes at both points), and per real
    board qstr_<board> (names it makes at run time for the firmware), then qstr_board (the most of them),
    pools_board (what the pools for that many cost) and pools_board_n."""

    m = [QSTR_INFO.match(ln) for ln in lines]
    m = [tuple(int(v) for v in x.groups()) for x in m if x]
    mods = next((ln.split()[2:] for ln in lines if ln.startswith("vboard: modules ")), None)
    if len(m) < 2 or mods is None:
        return {}
    (p0, q0, s0, t0), (p1, q1, s1, t1) = m[0], m[-1]
    mpy = os.path.join(out, "mpy")
    files = qstrs.loaded_files(mods, mpy)
    main_mpy = os.path.join(mpy, "main.mpy")
    subprocess.run([tool("mpy-cross"), "-s", "main.py", "-o", main_mpy, os.path.join(ROOT, "firmware", "main.py")],
                   check=True)  # compiled as the board compiles it at boot, under its own name
    r = dict(qstr_vboard=q1 - q0, pools_fw=(t1 - s1) - (t0 - s0),
             model_ok=t0 - s0 == qstrs.pools_bytes(p0) and t1 - s1 == qstrs.pools_bytes(p1))
    per_board = {}
    for board in qstrs.BOARD_STUBS:
        bf = os.path.join(mpy, "board-%s.mpy" % board)
        subprocess.run([tool("mpy-cross"), "-s", source_name("board.py"), "-o", bf,
                        os.path.join(ROOT, "boards", board, "board.py")], check=True)
        per_board[board] = qstrs.firmware_names(dict(files, board=bf), main_mpy)
    probe = os.path.join(out, "qstr-probe")
    os.makedirs(probe, exist_ok=True)
    core = qstrs.wasm_static(set().union(*per_board.values()), probe)
    for board, names in per_board.items():
        r["qstr_" + board] = len(qstrs.board_names(names, board, core))
    n = max(r["qstr_" + b] for b in qstrs.BOARD_STUBS)
    r.update(qstr_board=n, pools_board_n=qstrs.pools_for(n), pools_board=qstrs.pools_bytes(qstrs.pools_for(n)))
    return r


def ram_after_boot_wasm(out, romfs, voice=True):
    """Firmware RAM after boot on the 32-bit WebAssembly port (build_flash + boot_wasm in out): a dict with the
    boot line's alloc, the board's share (vboard_bytes), firmware = alloc - share, the interned names' figures
    (qstr_board_figures) and firmware_board = firmware with the name pools a board would hold for the
    firmware's names instead of the ones counted here; or with error. voice: the clip file on the flash (the
    announcements' modules are imported at boot only then)."""
    flash, vb, img = build_flash(out, romfs, voice)
    try:
        lines, rc = boot_wasm(flash, vb, img, out)
    except (SystemExit, subprocess.TimeoutExpired) as e:
        return dict(error=str(e))
    boot, vbi = boot_info(lines), vboard_info(lines)
    q = qstr_board_figures(lines, out) if boot else {}
    if rc or not boot or not vbi or not q:
        return dict(error="exit %d: %s" % (rc, " / ".join(lines[-3:])))
    alloc = int(boot["alloc"])
    fw = alloc - vbi["vboard_bytes"]
    return dict(alloc=alloc, share=vbi["vboard_bytes"], firmware=fw, rom=boot.get("rom"),
                firmware_board=fw - q["pools_fw"] + q["pools_board"], **q)


def boot_info(lines):
    """The boot line's key=value pairs (free, alloc, restored...), {} if none."""
    for ln in lines:
        if ln.startswith("trainctl "):
            return {k: v for k, _, v in (w.partition("=") for w in ln.split()) if _}
    return {}


def vboard_info(lines):
    """The fake machine's last line 'vboard: <why> k=v ...' as a dict (ints), with 'why', and the figures of its
    lines 'vboard: audio k=v ...' (the I2S output: i2s_*, heap_audio_*) and 'vboard: nmea k=v ...' (rx_lines, the
    firmware parser's nmea_*) before it."""
    d = {}
    parts = set()
    for ln in reversed(lines):
        if not (ln.startswith("vboard: ") and "=" in ln):
            continue
        w = ln.split()
        if w[1] in VBOARD_PARTS:
            if d and w[1] not in parts:
                parts.add(w[1])
                for kv in w[2:]:
                    k, _, v = kv.partition("=")
                    d.setdefault(k, int(v))
                if len(parts) == len(VBOARD_PARTS):
                    return d
            continue
        if d:
            return d
        d["why"] = w[1]
        for kv in w[2:]:
            k, _, v = kv.partition("=")
            d[k] = int(v)
    return d


VBOARD_PARTS = ("audio", "nmea")  # the fake machine's lines before its last


TIMELINE = re.compile(r"^(\S+) (\S+) UTC(\S+) at=(.+) next=(.+)$")


def timeline_events(lines):
    """Timeline lines 'ISO TRAIN UTC+N[:MM] at=X next=Y' -> display events as host_tools.replay.judge expects them."""
    out = []
    for ln in lines:
        m = TIMELINE.match(ln.strip())
        if not m:
            continue
        utc, train, off, at, nxt = m.groups()
        if off != "?":
            h, _, mm = off.partition(":")
            off = int(h) * 60 + (int(mm) if mm else 0) * (-1 if h.startswith("-") else 1)
        ev = {"event": "display", "utc": None if utc == "-" else utc, "train": None if train == "--" else train,
              "utc_offset_min": None if off == "?" else off,
              "at_stop": None if at == "-" else at, "next_stop": None if nxt == "-" else nxt}
        out.append(ev)
    return out


# ---------------------------------------------------------------------------------------------------- capture
