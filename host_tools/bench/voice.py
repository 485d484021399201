"""Benchmark section 7: the announcements. Flash the clip file takes (whole and per language), the player's RAM
while playing and idle, the decoding cost per second of audio and the bytes allocated per refill on the unix port
(host_tools/bench/mp/bench_voice_mp.py), with the Python decoder and with the viper one as deploy builds it."""

import os
import re
import subprocess

from host_tools.bench.common import MP_DIR, ROOT, fmt, log, run_mp_script, verdict
from host_tools.build import voice as gen_voice

BENCH_VOICE_MP = os.path.join(MP_DIR, "bench_voice_mp.py")
CLIPS = os.path.join(ROOT, "firmware", "voice.bin")
NATIVE_SRC = os.path.join(ROOT, "boards", "native", "trainctl", "adpcm_viper.py")
FLASH_MAX_B = gen_voice.MAX_FLASH  # the issue: every clip of the route within 600 KB of flash
LANGS = gen_voice.LANGS  # clip k is in language k % 3 (host_tools/build/voice.py phrases())
HEAP = "64k"
REFILL_MS = 32  # a refill: 512 samples at 16 kHz (trainctl/voice.py _PCM_N)


def flash_figures(path=CLIPS):
    """The clip file's size, its header and tables, and per language its clips' bytes and seconds of audio."""
    vf = gen_voice.load(path)
    per = {lang: [0, 0] for lang in LANGS}
    for k in range(vf.CLIP_N):
        n = len(vf.clip(k))
        per[LANGS[k % 3]][0] += n
        per[LANGS[k % 3]][1] += 2 * n  # 4 bits a sample
    return dict(file_bytes=os.path.getsize(path), clips=vf.CLIP_N, head_bytes=vf.at[0], rate=vf.RATE,
                langs={lang: dict(bytes=b, audio_s=s / vf.RATE) for lang, (b, s) in per.items()})


def board_ibuf(board):
    """The I2S buffer of boards/<board>/board.py (_I2S_IBUF), bytes."""
    with open(os.path.join(ROOT, "boards", board, "board.py"), encoding="utf-8") as f:
        return int(re.search(r"^_I2S_IBUF = const\((\d+)\)", f.read(), re.M).group(1))


def bench_voice(mp_exe, mpy_cross, tmp, cfg):
    """Section 7: flash on CPython; RAM, cost and allocation under the unix port."""
    d = dict(flash=flash_figures(), heap=HEAP, repeats=cfg["mp_repeats"],
             ibuf={b: board_ibuf(b) for b in ("esp32", "rp2040")})
    if not mp_exe:
        d["mp_error"] = "`micropython` not found (run `make venv`)"
        return d
    native = os.path.join(tmp, "voice-native")
    os.makedirs(native, exist_ok=True)
    args = [CLIPS, cfg["mp_repeats"]]
    if mpy_cross:  # the viper decoder as deploy builds it, for this port's architecture
        p = subprocess.run([mpy_cross, "-march=host", "-s", "trainctl.adpcm_viper", "-o",
                            os.path.join(native, "adpcm_viper.mpy"), NATIVE_SRC], capture_output=True, text=True)
        if p.returncode == 0:
            args.append(native)
        else:
            d["viper_error"] = (p.stderr or p.stdout).strip()
    log("MicroPython: announcements, heap %s (%d repeats)" % (HEAP, cfg["mp_repeats"]))
    out, cmd, d["mp_error"] = run_mp_script(mp_exe, HEAP, BENCH_VOICE_MP, [], *args)
    d["mp"] = out
    d["mp_cmd"] = cmd
    for r in out:
        if r["what"] == "viper_error":
            d["viper_error"] = r["error"]
    return d


def _find(d, what, decoder=None):
    for r in d.get("mp") or ():
        if r["what"] == what and (decoder is None or r.get("decoder") == decoder):
            return r
    return None


def render_voice(ctx):
    """Section 7 as markdown lines."""
    d = ctx["voice"]
    f = d["flash"]
    out = ["## 7. Announcements", ""]
    out += [
        "The clip file `firmware/voice.bin` (`make voice`: IMA ADPCM, 4 bits a sample, %d Hz mono) as deploy puts it "
        "on the board's filesystem, and the player `trainctl.voice` under the unix port: `micropython -X heapsize=%s "
        "host_tools/bench/mp/bench_voice_mp.py firmware/voice.bin %d DIR` with MICROPYPATH = firmware:tests:repo "
        "root; DIR holds `adpcm_viper.mpy`, `mpy-cross -march=host` of `boards/native/trainctl/adpcm_viper.py` "
        "(as deploy builds it for a board's architecture). It plays clips 30-77 (fixed phrases, zones, trains, "
        "stations) into an output that takes each buffer at once, so every `step()` refills and the time is the "
        "player's own: reading the file in 256-byte chunks, decoding, the queue. Times: `time.ticks_us`, best "
        "(median) of %d plays." % (f["rate"], d["heap"], d["repeats"], d["repeats"]),
        "",
    ]
    if d.get("mp_error") and not d.get("mp"):
        out += ["MicroPython part not run: %s" % d["mp_error"], ""]
    out += _targets(d)
    out += _flash_table(f)
    if d.get("mp"):
        out += _mp_tables(d)
    return out


def _targets(d):
    f = d["flash"]
    out = ["| target (issue 18) | measured | verdict |", "|---|---|---|",
           "| all clips for the route within %d KB of flash | %d B (%s %% of it): %d clips | %s |" % (
               FLASH_MAX_B // 1024, f["file_bytes"], fmt(100 * f["file_bytes"] / FLASH_MAX_B, 1), f["clips"],
               verdict(f["file_bytes"] <= FLASH_MAX_B))]
    allocs = [r for r in d.get("mp") or () if r["what"] == "alloc"]
    if allocs:
        ok = all(r["bytes"] == 0 and r["locked_refills"] == r["refills"] for r in allocs)
        out.append("| 0 bytes allocated per audio buffer refill (`heap_lock()`) | %s | %s |" % ("; ".join(
            "%s decoder: %d B over %d refills, %s under `heap_lock()`" % (
                r["decoder"], r["bytes"], r["refills"], "%d of %d refills" % (r["locked_refills"], r["refills"])
                if r["locked_refills"] >= 0 else "**MemoryError** after %d" % -r["locked_refills"])
            for r in allocs), verdict(ok)))
    else:
        out.append("| 0 bytes allocated per audio buffer refill (`heap_lock()`) | not measured | — |")
    out.append("")
    return out


def _flash_table(f):
    out = ["| in the clip file | bytes | audio, s |", "|---|---:|---:|",
           "| header, note (the command, every clip), station table, offset table | %d | |" % f["head_bytes"]]
    for lang in LANGS:
        r = f["langs"][lang]
        out.append("| clips in %s (%d of them) | %d | %s |" % (lang, f["clips"] // 3, r["bytes"], fmt(r["audio_s"], 1)))
    out += ["| the whole file (`/voice.bin`, read while playing: flash, not RAM) | %d | %s |" % (
        f["file_bytes"], fmt(sum(r["audio_s"] for r in f["langs"].values()), 1)), ""]
    return out


def _mp_tables(d):
    out = []
    ram = _find(d, "ram")
    if ram:
        after = ram["after"]
        out += [
            "| RAM held by the player (unix port, 64-bit; `gc.mem_alloc()` after `gc.collect()`) | bytes |",
            "|---|---:|",
            "| idle: `Voice(audio, path)` (its queue, state) | %d |" % ram["idle"],
            "| while an announcement plays: + the open clip file, the 256-byte read buffer, the 512-sample PCM "
            "buffer, the decoder's state and step table | %d |" % ram["playing"],
            "| of it, held only while playing | %d |" % (ram["playing"] - ram["idle"]),
            "| after each of three announcements (the output closed, the buffers freed) | %s |" % ", ".join(
                str(a) for a in after),
            "| I2S buffer (`ibuf`, the board files): ESP32, DMA buffers from ESP-IDF's heap, not MicroPython's | "
            "%d |" % d["ibuf"]["esp32"],
            "| I2S buffer (`ibuf`, the board files): RP2040, the port's ring in MicroPython's heap, only while "
            "playing | %d |" % d["ibuf"]["rp2040"],
            "",
        ]
    rows = []
    for dec, how in (("python", "`trainctl.voice.decode` (Python, the unix port's and the fallback)"),
                     ("viper", "`adpcm_viper.mpy` (viper, `mpy-cross -march=host`)")):
        r = _find(d, "cost", dec)
        if r is None:
            continue
        per_s = r["best_us"] * 1000 / r["audio_ms"]
        per_refill = r["best_us"] / r["refills"]
        rows.append("| %s | %d (%d) | %s | %s | %s %% |" % (
            how, r["best_us"], r["median_us"], fmt(per_s / 1000, 2), fmt(per_refill, 0),
            fmt(100 * per_refill / (REFILL_MS * 1000), 2)))
        audio_s = r["audio_ms"] / 1000
    if rows:
        out += ["Playing %s s of audio (%d refills):" % (fmt(audio_s, 1), _find(d, "cost")["refills"]), "",
                "| decoder | µs for all, best (median) | ms per second of audio (reads, decoding, queue) | "
                "µs per refill | of the 32 ms a refill plays |", "|---|---:|---:|---:|---:|", *rows, ""]
    if d.get("viper_error"):
        out += ["The viper decoder did not run: %s" % d["viper_error"], ""]
    out += ["Bytes allocated per refill: `gc.mem_alloc()` after minus before %s refills with the collector off; then "
            "as many again under `micropython.heap_lock()` (the targets table above). The unix port is not a board: "
            "an RP2040's Cortex-M0+ at 125 MHz runs this far slower; the share of a refill's time says how much "
            "headroom there is." % _refills(d), ""]
    return out


def _refills(d):
    r = _find(d, "alloc")
    return str(r["refills"]) if r else "the"
