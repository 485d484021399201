"""Replay an NMEA log through the firmware's controller, as the board would see it.

    python -m host_tools.replay TRACK [--route FILE] [--state FILE] [--inputs FILE] [--json]

TRACK is a raw NMEA log (garbage allowed) or '-' for stdin. With --json: one JSON object per line,
"event": "display" whenever what passengers see changes, and a last "event": "summary" line.
--state FILE loads and saves the persistent state exactly as the board does on flash.
--inputs FILE: door/beam/WC input changes (CSV 'utc,input,value', raw levels before debouncing) run
through the coach's Sensors on GPS time; their events (door_alarm, count, wc, door, door_fault,
beam_stuck, count_clamp, station) come out beside the display states, totals in the summary.
"""

import argparse
import os
import sys
import types

from trainctl import route_data

from host_tools.build import route as gen_route
from host_tools.common import cli
from host_tools.common.cli import UsageError, check_track, check_writable
from host_tools.replay import core as replay_core

CHUNK = 4096


def load_route(path=None):
    """The route module: the firmware's generated one, a route source (.json) or a generated .py."""
    if path is None:

        return route_data
    if path.endswith(".json"):

        text = gen_route.render(gen_route.load(path), path, "(in memory)")
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    mod = types.ModuleType("route_from_" + os.path.basename(path))
    exec(compile(text, path, "exec"), mod.__dict__)  # our own generated tables, host side only
    return mod


def make_replay(route, state_path=None, on_event=None, inputs=None):
    """The replay engine (the firmware's coach and parser); inputs: changes from replay_core.parse_inputs, or None."""
    return replay_core.Replay(route, state_path, on_event, inputs=inputs)


def load_inputs(path):
    """Input changes from an inputs CSV; ValueError 'line N: ...' or OSError."""
    with open(path, encoding="utf-8", newline="") as f:
        return replay_core.parse_inputs(f)


class Timeline:
    """Readable lines for a person, and a progress bar on a terminal."""

    def __init__(self, out, total_bytes, tty):
        self.out = out
        self.total = total_bytes
        self.tty = tty
        self.done = 0
        self._bar = -1

    def event(self, pairs):
        d = dict(pairs)
        if d["event"] != "display":
            self.sensor(d)
            return
        self.clear()
        off = d["utc_offset_min"]
        t = d["utc"] or "----------T--:--:--Z"
        if off is not None and d["utc"]:
            s = replay_core.parse_iso_utc(d["utc"]) + off * 60
            local = "%02d:%02d UTC%+d%s" % (s // 3600 % 24, s // 60 % 60, off // 60, ":30" if off % 60 else "")
        else:
            local = "--:--      "
        train = d["train"] or "---"
        dest = ("-> " + d["destination"]) if d["destination"] else ""
        parts = ["%s  %s  %-4s %-13s" % (t.replace("T", " "), local, train, dest)]
        if d["at_stop"]:
            parts.append("at %s" % d["at_stop"])
        if d["next_stop"]:
            parts.append("next: %s" % d["next_stop"])
        self.out.write("  ".join(parts).rstrip() + "\n")
        self.out.flush()

    def sensor(self, d):
        """Sensor events, briefly: alarms, faults, stuck beams, toilets, each stop's counts."""
        ev = d["event"]
        if ev == "door_alarm":
            text = "DOOR ALARM %s %s" % ("on " if d["active"] else "off", d["door"])
        elif ev == "door_fault":
            text = "door fault %s %s" % ("suspected" if d["active"] else "cleared", d["door"])
        elif ev == "beam_stuck":
            text = "beam %s %s" % (d["door"], "stuck" if d["active"] else "clear again")
        elif ev == "wc":
            text = "WC %d %s" % (d["wc"], "occupied" if d["occupied"] else "free")
        elif ev == "station":
            text = "%s: %d boarded, %d alighted, %d on board" % (
                d["station"], d["boardings"], d["alightings"], d["onboard"])
        else:  # count, door, count_clamp: too many for a timeline; totals in the summary
            return
        self.clear()
        self.out.write("%s  %s\n" % (d["utc"].replace("T", " "), text))
        self.out.flush()

    def progress(self, n):
        self.done += n
        if not self.tty or not self.total:
            return
        pct = self.done * 100 // self.total
        if pct != self._bar:
            self._bar = pct
            filled = pct * 40 // 100
            sys.stderr.write("\r[%s%s] %3d%%" % ("#" * filled, "." * (40 - filled), pct))
            sys.stderr.flush()

    def clear(self):
        if self.tty and self._bar >= 0:
            sys.stderr.write("\r" + " " * 48 + "\r")


def _arg_parser():
    ap = argparse.ArgumentParser(prog="python -m host_tools.replay", description=__doc__.splitlines()[0])
    ap.add_argument("track", help="NMEA log file, or - for stdin")
    ap.add_argument("--route", help="route source .json or generated route .py (default: the firmware's)")
    ap.add_argument("--state", help="persistent state file, loaded at start and saved as on the board")
    ap.add_argument("--inputs", help="CSV of door/beam/WC input changes (utc,input,value) to replay with the track")
    ap.add_argument("--json", action="store_true", help="JSON lines instead of a readable timeline")
    return ap


def main(argv=None):
    a = _arg_parser().parse_args(argv)
    if a.state:
        check_writable(a.state)
    if a.track != "-":
        check_track(a.track)
    opened = _open(a)
    if opened is None:
        return 2
    route, inputs, src = opened
    r = _run(a, route, inputs, src)
    summary = r.summary_pairs()
    if not dict(summary)["sentences"]:
        print("replay: error: %s: no NMEA sentence read (empty, binary or not NMEA)" % a.track, file=sys.stderr)
        return 2
    if a.json:
        sys.stdout.write(replay_core.line(summary) + "\n")
    else:
        _write_summary(sys.stdout, dict(summary), inputs is not None)
    return 0


def _open(a):
    """(route, input changes or None, the track's binary stream); None after an error message."""
    inputs = None
    if a.inputs:
        try:
            inputs = load_inputs(a.inputs)
        except OSError as e:
            print("replay: %s: %s" % (a.inputs, e.strerror), file=sys.stderr)
            return None
        except (ValueError, UnicodeDecodeError) as e:
            print("replay: inputs %s: %s" % (a.inputs, e), file=sys.stderr)
            return None
    try:
        route = load_route(a.route)
    except (OSError, ValueError, SyntaxError, NameError) as e:
        print("replay: route %s: %s" % (a.route, e), file=sys.stderr)
        return None
    missing = [k for k in ("NAME", "SEG", "STATION_N") if not hasattr(route, k)]
    if missing:
        raise UsageError("route %s: not a route module (no %s): give a route .json or a .py made by "
                         "host_tools.build.route" % (a.route, ", ".join(missing)))
    try:
        src = sys.stdin.buffer if a.track == "-" else open(a.track, "rb")  # noqa: SIM115 (closed by _run)
    except OSError as e:
        print("replay: %s: %s" % (a.track, e.strerror), file=sys.stderr)
        return None
    return route, inputs, src


def _run(a, route, inputs, src):
    """The track (and inputs) replayed, events written as a timeline or JSON lines; returns the replay."""
    total = 0 if a.track == "-" else os.path.getsize(a.track)
    out = sys.stdout
    tl = Timeline(out, total, sys.stderr.isatty() and not a.json)
    if a.json:
        def on_event(pairs):
            out.write(replay_core.line(pairs) + "\n")
    else:
        on_event = tl.event
    r = make_replay(route, a.state, on_event, inputs)
    buf = bytearray(CHUNK)
    with src:
        while True:
            n = src.readinto(buf)
            if not n:
                break
            r.feed(buf, n)
            tl.progress(n)
    r.finish()
    if r.events == 0:
        r._display(r.ctl)
    tl.clear()
    return r


def _write_summary(out, d, with_inputs):
    """The readable summary lines; d: the summary pairs as a dict."""
    for k in ("boardings", "alightings"):
        if k in d:
            d[k] = dict(d[k])
    out.write(
        "summary: %d sentences, %d fixes, %d without fix; dropped: %d bad checksum, %d too long, "
        "%d truncated, %d bad field, %d unknown type, %d garbage bytes; %d jumps rejected, "
        "%d display changes\n"
        % (d["sentences"], d["fixes"], d["no_fix"], d["bad_checksum"], d["too_long"], d["truncated"],
           d["bad_field"], d["unknown_type"], d["garbage_bytes"], d["jumps"], d["display_changes"])
    )
    out.write("sentences by type and talker: %s\n" % (
        ", ".join("%s %d" % kv for kv in d["by_kind"]) or "none"))
    if with_inputs:
        per = ", ".join("%s +%d -%d" % (k, v, d["alightings"][k]) for k, v in d["boardings"].items())
        out.write("sensors: %d input changes; on board %d, %d discrepancies, %d door alarms, %d door faults, "
                  "%d stuck beams, %d WC uses; %s\n"
                  % (d["input_changes"], d["onboard"], d["discrepancies"], d["door_alarms"], d["door_faults"],
                     d["beam_stuck"], d["wc_uses"], per or "no counts"))

if __name__ == "__main__":
    sys.exit(cli.guard(main, "replay"))
