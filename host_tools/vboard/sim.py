"""The virtual board: the unmodified firmware (main.py) boots in the MicroPython unix port on fake hardware
(host_tools/vboard) and runs a whole journey fast-forwarded; the display capture becomes pictures.

    python -m host_tools.vboard.sim [--track FILE --truth FILE] [--direction D] [--seed N] [--heap 180k]
                             [--display oled|ticker] [--rate sim|real] [--out build/sim] [--no-romfs]

Steps: the firmware compiled with mpy-cross into OUT/mpy (board.mpy = boards/virtual/board.py, trainctl/*.mpy,
lib/ssd1306.mpy: everything but main.py, as `make deploy` does, because compiling source on a small heap does
not fit; recompiled only when a source changes), then put where `make deploy` puts it: into a ROMFS image
OUT/rom/trainctl.romfs for a board with a ROMFS partition, or with --no-romfs into the flash directory
OUT/flash beside main.py, as on a stock build; a synthetic journey with the demo's faults unless --track is
given; then `micropython -X heapsize=HEAP+ALLOWANCE -c "import vboot"` in OUT/flash with MICROPYPATH = the
flash directory, its lib and the compiled fake hardware (host_tools/vboard/fake_machine/vboot.py mounts the image
at /rom if there is one, the heap being given its size more, then runs main.py), the console streamed as it runs.
What precedes main.py, the fake machine and time modules among it, lives in the
same heap on the host but are built in on a board: VBOARD_ALLOWANCE_K is added to --heap for them (their
measured share is printed as vboard_bytes). Then the capture is decoded: OUT/frames/*.png (every distinct
frame within ALERT_S after each timeline line, the boot frames), OUT/journey.gif (the journey sampled every
GIF_SAMPLE_S of virtual time plus those frames, with a caption), the timeline judged against the
synthetic journey's ground truth, and a summary (heap, watchdog, frames, verdict, wall time).
"""

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time

from PIL import Image, ImageDraw, ImageFont

from host_tools.board.deploy import VOICE_FILE, native_only, romfs_image, source_name
from host_tools.build import qstrs
from host_tools.common import cli, paths
from host_tools.common.cli import check_track
from host_tools.common.tools import ToolMissing, venv_tool
from host_tools.replay import judge as judge_mod
from host_tools.replay import pictures as picture_mod
from host_tools.replay import screen
from host_tools.vboard import fake_hardware, voice_check
from host_tools.vboard.buses import Max7219Decoder, Ssd1306Decoder
from host_tools.vboard.ptyboard import heap_bytes

ROOT = paths.ROOT
VBOARD = os.path.join(ROOT, "host_tools", "vboard", "fake_machine")  # the MicroPython side: machine, time, vboot
# KiB: what precedes main.py (start-up, fake machine + time modules) and fake devices (the strict UART: a 4 KiB
# wire ring)
VBOARD_ALLOWANCE_K = 56
ALERT_S = 30  # seconds of frames kept as PNG after each timeline line
GIF_SAMPLE_S = 300  # one GIF frame per 5 virtual minutes between events
SYNTH_ARGS = ["--noise-m", "15", "--jumps", "4", "--frozen", "2", "--garbage", "0.002",
              "--talkers", "GN,GP,BD,GB", "--shunting", "--wander-m", "8000"]  # the Makefile's SYNTH (make demo)
HDR = struct.Struct("<BBIH")


def iso_utc(t_s):
    """Seconds since 1970 -> '2026-11-23T09:16:27Z'."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_s))


def tool(name):
    try:
        return venv_tool(name)
    except ToolMissing as e:
        raise SystemExit("sim: %s" % e) from None


# ---------------------------------------------------------------------------------------------------- build


def _compile(src, dst, mpy_cross, name):
    """src -> dst with mpy-cross; name: the source name the .mpy carries (deploy.source_name, as `make deploy`
    gives it)."""
    if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
        return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    subprocess.run([mpy_cross, "-s", name, "-o", dst, src], check=True)


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
        if name.endswith(".py") and not native_only(os.path.join(fw, "trainctl", name)):  # bytecode, as deploy
            _compile(os.path.join(fw, "trainctl", name), os.path.join(mpy, "trainctl", name[:-3] + ".mpy"),
                     mpy_cross, source_name("trainctl/" + name))
    _compile(os.path.join(ROOT, "boards", "virtual", "board.py"), os.path.join(mpy, "board.mpy"), mpy_cross,
             source_name("board.py"))
    _compile(os.path.join(ROOT, ".venv", "mplib", "ssd1306.py"), os.path.join(mpy, "lib", "ssd1306.mpy"),
             mpy_cross, "ssd1306.py")
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
    line 'vboard: audio k=v ...' (the I2S output: i2s_*, heap_audio_*) before it."""
    d = {}
    for ln in reversed(lines):
        if ln.startswith("vboard: ") and "=" in ln:
            w = ln.split()
            if w[1] == "audio":
                if d:
                    for kv in w[2:]:
                        k, _, v = kv.partition("=")
                        d.setdefault(k, int(v))
                    return d
                continue
            if d:
                return d
            d["why"] = w[1]
            for kv in w[2:]:
                k, _, v = kv.partition("=")
                d[k] = int(v)
    return d


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


def read_capture(path):
    """Records (kind char, chan, ms, bytes) of a capture file, repeats resolved to their original's data."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"VBCAP1\n"):
        raise ValueError("%s: not a vboard capture" % path)
    pos = 7
    originals = {}
    n = len(data)
    while pos + 8 <= n:
        kind, chan, ms, ln = HDR.unpack_from(data, pos)
        body = data[pos + 8:pos + 8 + ln]
        if len(body) < ln:
            break  # cut short (the run was killed)
        k = chr(kind)
        if k == "R":
            (off,) = struct.unpack("<I", body)
            k, body = originals[off]
        elif ln >= 32:
            originals[pos] = (k, body)
        yield k, chan, ms, body
        pos += 8 + ln


class FastSsd1306Decoder(Ssd1306Decoder):
    """Ssd1306Decoder with a bulk path for a whole-RAM data write in horizontal mode (what show() sends)."""

    def feed(self, addr, data):
        if (addr == self.addr and len(data) == 1 + self.COLUMNS * self.PAGES and data[0] == 0x40
                and self.mode == 0 and self._pending is None and self.col == self.col_start == 0
                and self.col_end == self.COLUMNS - 1 and self.page == self.page_start == 0
                and self.page_end == self.PAGES - 1):
            self.ram[:] = data[1:]
            self.data_bytes += len(data) - 1
            return
        super().feed(addr, data)


def oled_hlsb(ram, width=128, height=64):
    """SSD1306 RAM (pages of VLSB columns) -> MONO_HLSB bytes of the panel (through Pillow, no Python loop)."""

    strip = Image.frombytes("1", (8, len(ram)), bytes(ram), "raw", "1;R").transpose(Image.Transpose.TRANSPOSE)
    img = Image.new("1", (width, height))
    for p in range(height // 8):
        img.paste(strip.crop((p * 128, 0, p * 128 + width, 8)), (0, 8 * p))
    return img.tobytes()


def hlsb_of_rows(rows):
    w = len(rows[0])
    out = bytearray(w * len(rows) // 8)
    for y, row in enumerate(rows):
        for x, v in enumerate(row):
            if v:
                out[(y * w + x) >> 3] |= 0x80 >> (x & 7)
    return bytes(out)


def display_frames(records, display):
    """[(ms, MONO_HLSB bytes)] of every frame sent, identical neighbours merged; [(ms, utc_s)] sync points."""
    frames, syncs = [], []
    dec = FastSsd1306Decoder(128, 64) if display == "oled" else Max7219Decoder(8, 2)
    for k, chan, ms, body in records:
        if k == "T":
            syncs.append((ms, struct.unpack("<I", body)[0]))
            continue
        if display == "oled" and k == "I":
            dec.feed(chan, body)
            if len(body) < 32:
                continue
            img = oled_hlsb(dec.ram)
        elif display == "ticker" and k == "S":
            dec.feed(body)
            if body[0] & 0x0F != 0x08:  # digit 7 ends a show()
                continue
            img = hlsb_of_rows(dec.pixels())
        else:
            continue
        if frames and frames[-1][1] == img:
            continue
        if frames and frames[-1][0] == ms:
            frames[-1] = (ms, img)
        else:
            frames.append((ms, img))
    return frames, syncs


def utc_at(syncs, ms):
    """GPS UTC seconds at virtual ms (the latest sync point before it), -1 before the first fix."""
    best = None
    for s_ms, s_utc in syncs:
        if s_ms <= ms:
            best = (s_ms, s_utc)
        else:
            break
    if best is None:
        return -1 if not syncs else syncs[0][1] - (syncs[0][0] - ms) // 1000
    return best[1] + (ms - best[0]) // 1000


def ms_at(syncs, utc_s):
    """Virtual ms when the GPS clock read utc_s."""
    best = syncs[0]
    for s_ms, s_utc in syncs:
        if s_utc <= utc_s:
            best = (s_ms, s_utc)
        else:
            break
    return best[0] + (utc_s - best[1]) * 1000


# ---------------------------------------------------------------------------------------------------- pictures


class Pictures:
    def __init__(self, display, scale):

        self.frames_mod = picture_mod  # CAPTION_PAD and the picture helpers
        self.scr = screen.Screen(display)
        self.pics = picture_mod.Pictures(self.scr, scale)

    def png(self, hlsb, path):
        self.pics.of(hlsb).save(path, optimize=True)

    def gif(self, items, path):
        """items: [(hlsb, caption, duration ms)]."""

        fm = self.frames_mod
        try:
            font = ImageFont.load_default(size=12)
        except (ImportError, OSError, TypeError):
            font = ImageFont.load_default()
        line_h = font.getbbox("Ag")[3] + 2
        pw, ph = self.pics.size
        d0 = ImageDraw.Draw(Image.new("P", (1, 1)))
        text_w = max(int(d0.textlength(c, font=font)) for _, cap, _ in items for c in cap.split("\n"))
        width = max(pw, text_w + 2 * fm.CAPTION_PAD)
        height = ph + 2 * line_h + 2 * fm.CAPTION_PAD
        x0 = (width - pw) // 2

        def image(hlsb, cap):
            img = Image.new("P", (width, height), 0)
            img.putpalette(self.pics.palette)
            img.paste(self.pics.of(hlsb), (x0, 0))
            d = ImageDraw.Draw(img)
            for i, ln in enumerate(cap.split("\n")):
                d.text((fm.CAPTION_PAD, ph + fm.CAPTION_PAD + i * line_h), ln, fill=1, font=font)
            return img

        first = image(items[0][0], items[0][1])
        rest = (image(h, c) for h, c, _ in items[1:])
        first.save(path, save_all=True, append_images=rest, duration=[max(20, d) for _, _, d in items], loop=0,
                   disposal=1, optimize=False)


def caption(ev, utc_s):
    if utc_s < 0:
        return "--:--:-- local   (no fix yet)\ntrain --"
    off = ev.get("utc_offset_min") if ev else None
    utc = iso_utc(utc_s).replace("T", " ")
    if off is None:
        local = "--:--:-- local"
    else:
        ls = utc_s + off * 60
        local = "%02d:%02d:%02d UTC%+d" % (ls // 3600 % 24, ls // 60 % 60, ls % 60, off // 60)
    where = ""
    if ev and ev.get("at_stop"):
        where = "at " + ev["at_stop"]
    elif ev and ev.get("next_stop"):
        where = "next " + ev["next_stop"]
    return "%s   %s\ntrain %s   %s" % (local, utc, (ev or {}).get("train") or "--", where)


def pictures(frames, syncs, events, display, out, scale=3):
    """PNG stills after each timeline event and at boot, and the journey GIF; returns (pngs, gif frames)."""
    pics = Pictures(display, scale)
    fdir = os.path.join(out, "frames")
    shutil.rmtree(fdir, ignore_errors=True)
    os.makedirs(fdir)
    ev_ms = []
    for ev in events:
        if ev["utc"] is not None and syncs:
            ev_ms.append((ms_at(syncs, int(judge_mod.epoch(ev["utc"]))), ev))
    starts = [(0, None)] + ev_ms  # boot, then each timeline line
    wanted = set()
    for i, (t0, ev) in enumerate(starts):
        end = t0 + ALERT_S * 1000
        prev = None
        k = 0
        for j, (ms, img) in enumerate(frames):
            if ms < t0 - 1000 and not (j + 1 < len(frames) and frames[j + 1][0] > t0):
                continue
            if ms > end:
                break
            if img == prev:
                continue
            prev = img
            wanted.add(j)
            label = (ev["train"] or "--") if ev else "boot"
            name = "%03d_%s_%s_%02d.png" % (i, iso_utc(max(0, utc_at(syncs, max(ms, t0)))).replace(":", "-")
                                            if syncs else "boot", label, k)
            pics.png(img, os.path.join(fdir, name))
            k += 1
    pngs = len(os.listdir(fdir))
    # GIF: frames around events at their own durations; elsewhere one frame per GIF_SAMPLE_S.
    items = []
    next_sample = 0
    ev_i = 0
    cur_ev = None
    for j, (ms, img) in enumerate(frames):
        while ev_i < len(ev_ms) and ev_ms[ev_i][0] <= ms:
            cur_ev = ev_ms[ev_i][1]
            ev_i += 1
        if j in wanted or ms >= next_sample:
            nxt = frames[j + 1][0] if j + 1 < len(frames) else ms + 1000
            dur = min(nxt - ms, 2000) if j in wanted else 250
            items.append((img, caption(cur_ev, utc_at(syncs, ms) if syncs else -1), dur))
            if ms >= next_sample:
                next_sample = ms + GIF_SAMPLE_S * 1000
    if items:
        pics.gif(items, os.path.join(out, "journey.gif"))
    return pngs, len(items)


# ---------------------------------------------------------------------------------------------------- main


def simulate(track=None, truth=None, direction="to_pyongyang", seed=1, heap="180k", display="oled", rate="sim",
             out="build/sim", echo=True, images=True, romfs=True):
    """The whole run; returns a dict of figures (also written to OUT/summary.json)."""
    t0 = time.perf_counter()
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    flash, vb, img = build_flash(out, romfs)
    if track is None:
        track, truth = synth(out, direction, seed)
    t_build = time.perf_counter() - t0
    capture = os.path.join(out, "capture.bin")
    wav = os.path.join(out, "announcements.wav")
    lines, rc, t_run = run_board(flash, vb, track, capture, heap, display, rate, echo=echo, romfs=img,
                                 extra_env={"VBOARD_AUDIO": wav, "VBOARD_I2S_RING": i2s_ring(heap)})
    boot, vbi = boot_info(lines), vboard_info(lines)
    events = timeline_events(lines)
    t1 = time.perf_counter()
    frames, syncs = display_frames(read_capture(capture), display) if os.path.exists(capture) else ([], [])
    pngs = gif_frames = 0
    if images and frames:
        pngs, gif_frames = pictures(frames, syncs, events, display, out)
    t_pics = time.perf_counter() - t1
    violations = None
    if truth:
        with open(truth, encoding="utf-8") as f:
            violations = judge_mod.judge([e for e in events if e["utc"]], json.load(f))
    voice = _voice(wav, truth, out)
    with open(os.path.join(out, "timeline.jsonl"), "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    res = {
        "rc": rc, "heap": heap, "romfs": os.path.getsize(img) if img else 0,
        "display": display, "boot": boot, "vboard": vbi, "timeline": len(events),
        "voice": voice, "frames": len(frames), "pngs": pngs, "gif_frames": gif_frames, "violations": violations,
        "wall_s": {"build_and_synth": round(t_build, 1), "board": round(t_run, 1), "pictures": round(t_pics, 1),
                   "total": round(time.perf_counter() - t0, 1)},
        "errors": [ln for ln in lines if "Error" in ln or "Traceback" in ln],
    }
    with open(os.path.join(out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1)
    return res


def _voice(wav, truth, out):
    """The announcements heard in the I2S stream (host_tools.vboard.voice_check), one WAV each in OUT/announcements/."""
    if not os.path.exists(wav) or os.path.getsize(wav) <= 44:
        return {}
    from trainctl import route_data

    from host_tools.build.voice import load
    t = None
    if truth:
        with open(truth, encoding="utf-8") as f:
            t = json.load(f)
    shutil.rmtree(os.path.join(out, "announcements"), ignore_errors=True)
    try:
        return voice_check.report(wav, t, route_data, load(os.path.join(ROOT, "firmware", VOICE_FILE)),
                                  os.path.join(out, "announcements"))
    except ValueError as e:
        return {"error": str(e)}


def report(res):
    vb, boot = res["vboard"], res["boot"]
    k = 1024.0
    print("-" * 100)
    if boot:
        share = vb.get("vboard_bytes", 0)
        print("boot: %s; heap after boot %.1f KiB, of which the fake hardware%s %.1f KiB (built in on a board): "
              "firmware %.1f KiB, %s"
              % (" ".join("%s=%s" % kv for kv in boot.items() if kv[0] in ("free", "alloc", "restored", "rom")),
                 int(boot["alloc"]) / k, " and the ROMFS partition" if res.get("romfs") else "", share / k,
                 (int(boot["alloc"]) - share) / k, "modules in place in the ROMFS" if boot.get("rom") == "1"
                 else "modules loaded from .mpy files"))
    if vb:
        print("heap (gc.collect(); gc.mem_alloc() every virtual minute, %d samples): first %.1f KiB, high-water "
              "%.1f KiB, end %.1f KiB, heap %.0f KiB (--heap %s + %d KiB allowance%s)"
              % (vb["heap_samples"], vb["heap_first"] / k, vb["heap_max"] / k, vb["heap_end"] / k,
                 vb["heap_size"] / k, res["heap"], VBOARD_ALLOWANCE_K,
                 " + the %d-byte ROMFS partition" % res["romfs"] if res.get("romfs") else ""))
        print("watchdog: timeout %d ms, longest gap between feeds %d ms (%d feeds); run ended: %s at %.1f virtual h"
              % (vb["wdt_timeout_ms"], vb["wdt_max_gap_ms"], vb["wdt_feeds"], vb["why"], vb["ms"] / 3.6e6))
        print("uart: %d epochs, %d bytes, %d dropped; display: %d frames decoded (%d I2C / %d SPI transactions)"
              % (vb["epochs"], vb["rx_bytes"], vb["rx_dropped"], res["frames"], vb["i2c_tx"], vb["spi_tx"]))
    print("pictures: %d PNG in frames/, journey.gif with %d frames" % (res["pngs"], res["gif_frames"]))
    v = res.get("voice") or {}
    if "heard" in v:
        print("announcements: %d heard (announcements.wav, one WAV each in announcements/), every one in zh, ko, en: "
              "%s%s" % (len(v["heard"]), v["languages_ok"], "; against the ground truth: order %s, quiet hours %s, "
                        "missing %s, unexpected %s" % (v["order_ok"], v["quiet_ok"], v["missing"], v["unexpected"])
                        if "order_ok" in v else ""))
    elif v:
        print("announcements: %s" % v)
    if res["violations"] is not None:
        print("judged against the ground truth: %d violation(s)" % len(res["violations"]))
        for b in res["violations"][:20]:
            print("  " + b)
    for e in res["errors"][:5]:
        print("error: " + e)
    w = res["wall_s"]
    print("wall time: %.1f s (build+synth %.1f, board %.1f, pictures %.1f)"
          % (w["total"], w["build_and_synth"], w["board"], w["pictures"]))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.vboard.sim", description=__doc__.splitlines()[0])
    ap.add_argument("--track", help="NMEA track to play (default: a synthetic journey with faults)")
    ap.add_argument("--truth", help="ground truth JSON of --track, to judge the timeline")
    ap.add_argument("--direction", default="to_pyongyang", choices=("to_pyongyang", "to_beijing"),
                    help="direction of the synthetic journey (without --track)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the synthetic journey (default 1)")
    ap.add_argument("--heap", default="180k", help="MicroPython heap for the firmware (180k: RP2040; 110k: ESP32)")
    ap.add_argument("--display", default="oled", choices=("oled", "ticker"), help="display type on the board")
    ap.add_argument("--rate", default="sim", choices=("sim", "real"),
                    help="loop periods: sim 100/1000 ms (fast), real 10/40 ms (the firmware's)")
    ap.add_argument("--out", default=os.path.join("build", "sim"), help="folder for frames and logs (build/sim)")
    ap.add_argument("--no-romfs", dest="romfs", action="store_false",
                    help="a board without a ROMFS partition (a stock build): trainctl as .mpy files on the "
                         "filesystem, loaded into RAM (default: in a ROMFS partition, run in place)")
    a = ap.parse_args(argv)
    if a.track:
        check_track(a.track)
    if a.truth and not os.path.isfile(a.truth):
        raise FileNotFoundError(2, "No such file or directory", a.truth)
    res = simulate(a.track, a.truth, a.direction, a.seed, a.heap, a.display, a.rate, a.out, romfs=a.romfs)
    report(res)
    ok = res["rc"] == 0 and not res["errors"] and not res["violations"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(cli.guard(main, "sim"))
