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
same heap on the host but are built in on a board: run.VBOARD_ALLOWANCE_K is added to --heap for them (their
measured share is printed as vboard_bytes). Then the capture is decoded: OUT/frames/*.png (every distinct
frame within ALERT_S after each timeline line, the boot frames), OUT/journey.gif (the journey sampled every
GIF_SAMPLE_S of virtual time plus those frames, with a caption), the timeline judged against the
synthetic journey's ground truth, and a summary (heap, watchdog, frames, verdict, wall time).
"""

import argparse
import json
import os
import shutil
import sys
import time

from trainctl import route_data

from host_tools.build.firmware import VOICE_FILE
from host_tools.build.voice import load
from host_tools.common import cli
from host_tools.common.cli import check_track
from host_tools.replay import judge as judge_mod
from host_tools.vboard import capture, run, voice_check


def simulate(track=None, truth=None, direction="to_pyongyang", seed=1, heap="180k", display="oled", rate="sim",
             out="build/sim", echo=True, images=True, romfs=True):
    """The whole run; returns a dict of figures (also written to OUT/summary.json)."""
    t0 = time.perf_counter()
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    flash, vb, img = run.build_flash(out, romfs)
    if track is None:
        track, truth = run.synth(out, direction, seed)
    t_build = time.perf_counter() - t0
    cap = os.path.join(out, "capture.bin")
    wav = os.path.join(out, "announcements.wav")
    lines, rc, t_run = run.run_board(flash, vb, track, cap, heap, display, rate, echo=echo, romfs=img,
                                     extra_env={"VBOARD_AUDIO": wav, "VBOARD_I2S_RING": run.i2s_ring(heap)})
    boot, vbi = run.boot_info(lines), run.vboard_info(lines)
    events = run.timeline_events(lines)
    t1 = time.perf_counter()
    frames, syncs = capture.display_frames(capture.read_capture(cap), display) if os.path.exists(cap) else ([], [])
    pngs = gif_frames = 0
    if images and frames:
        pngs, gif_frames = capture.pictures(frames, syncs, events, display, out)
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
    t = None
    if truth:
        with open(truth, encoding="utf-8") as f:
            t = json.load(f)
    shutil.rmtree(os.path.join(out, "announcements"), ignore_errors=True)
    try:
        return voice_check.report(wav, t, route_data, load(os.path.join(run.ROOT, "firmware", VOICE_FILE)),
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
                 vb["heap_size"] / k, res["heap"], run.VBOARD_ALLOWANCE_K,
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
    print("wall time: %.1f s (build+run.synth %.1f, board %.1f, pictures %.1f)"
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
