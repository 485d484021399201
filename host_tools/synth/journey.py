"""Seeded, reproducible synthetic NMEA journeys with ground truth (host only, stdlib only).

This is the independent float64 oracle for the firmware's integer geometry: it reads the
human-edited route source and never imports anything from ``firmware/``.

Model: the train runs along the route's line (``route.line`` of the source: the OpenStreetMap
line where there is one, as the source has it, not as the firmware's table simplifies it; straight
between the stations elsewhere; read by host_tools.build.route)
as great-circle arcs between its vertices on a sphere (radius ``EARTH_RADIUS_M``), with constant
acceleration, cruise and braking phases between stops, standing exactly on the station's place
on the line while it dwells.  Where the line is only straight, ``wander_m`` bends the track
sideways by a smooth random offset (zero at the stations): the real track is not straight.  Times are UTC seconds since
the Unix epoch (float) inside; ISO-8601 with ``Z`` in the truth.

The parts: host_tools.synth.earth (time, sphere geometry, the line as arcs), .motion (moves, the timetable solved,
shunting), .nmea (sentences, sky, garbage); this module puts a journey together and writes its ground truth.
"""

import argparse
import json
import math
import random
import sys
from pathlib import Path

from host_tools.build import route as gen_route
from host_tools.common import cli
from host_tools.common.paths import ROOT
from host_tools.common.utc import day_s, iso_utc
from host_tools.synth import truth as synth_truth
from host_tools.synth.earth import RoutePath, bearing_deg, destination, distance_m, parse_iso_utc
from host_tools.synth.motion import BORDER_STATIONS, SHUNT_BORDER_CLEAR_M, Motion, _schedule, _shunting
from host_tools.synth.nmea import GARBAGE_KINDS, _garbage, _Noise, _Sky, epoch_lines
from host_tools.synth.truth import BORDER_HYST_M

# Read from here by other tools and the tests: the border band's half-width and how far shunting keeps from the
# border line (the truth's and the motion's), the sphere's helpers.
__all__ = ["BORDER_HYST_M", "GARBAGE_KINDS", "SHUNT_BORDER_CLEAR_M", "bearing_deg", "destination", "distance_m",
           "generate", "iso_utc", "line_points", "load_route", "main", "parse_iso_utc", "truth_json"]

MARGIN_S = 600
WANDER_MIN_M = 20000.0  # straight pieces shorter than this do not wander
RUNNING_MIN_SPEED_MS = 2.0

DEFAULT_ROUTE = Path(ROOT) / "routes" / "beijing-pyongyang.json"
SENTENCE_TYPES = ("RMC", "VTG", "GGA", "GSA", "GSV", "ZDA")
TALKERS = ("GP", "GN", "BD", "GB", "GL", "GA", "GQ")


# ---------------------------------------------------------------- journey generation


def load_route(route_path=None):
    """The route source as a dict."""
    with open(route_path or DEFAULT_ROUTE, encoding="utf-8") as fh:
        return json.load(fh)


def line_points(route_path=None, wander_m=0.0, rng=None):
    """The route's line as point dicts in route order: the route's points (stations, waypoints) at their
    place on the line, the line's own vertices between them ({"id": None, "kind": "vertex"}). With
    wander_m, each straight piece between two points longer than WANDER_MIN_M bends sideways by up to
    wander_m (a smooth arch: zero at both ends)."""

    r = gen_route.load(str(route_path or DEFAULT_ROUTE))
    out = []
    verts = gen_route.line_vertices(r, raw=True)  # the source's line, not the firmware's simplified one
    for k, (lat, lon, _tol, i) in enumerate(verts):
        if k and wander_m > 0 and i >= 0 and verts[k - 1][3] >= 0:
            la0, lo0 = verts[k - 1][0], verts[k - 1][1]
            dist = distance_m(la0, lo0, lat, lon)
            if dist > WANDER_MIN_M:
                amp = rng.uniform(-1.0, 1.0) * min(wander_m, dist / 6)
                amp2 = rng.uniform(-0.3, 0.3) * min(wander_m, dist / 6)
                bearing = bearing_deg(la0, lo0, lat, lon)
                n = int(dist // 1000)
                for q in range(1, n):
                    f = q / n
                    off = amp * math.sin(math.pi * f) + amp2 * math.sin(2 * math.pi * f)
                    pla, plo = destination(la0, lo0, bearing, f * dist)
                    pla, plo = destination(pla, plo, bearing + 90.0, off)
                    out.append({"id": None, "kind": "vertex", "lat": pla, "lon": plo})
        if i >= 0:
            out.append(dict(r["points"][i], lat=lat, lon=lon))
        else:
            out.append({"id": None, "kind": "vertex", "lat": lat, "lon": lon})
    return out


def _direction_points(route, direction, points):
    if direction not in route["directions"]:
        raise ValueError(f"unknown direction {direction!r}")
    points = list(points)
    if route["directions"][direction]["from"] != points[0]["id"]:
        points.reverse()
    return points


def _event_times(stops, motion, path, point_id):
    """(first, last) time at a point: the whole stay at a stop, the passing time otherwise."""
    for st in stops:
        if st["station"] == point_id:
            first = st["arr"] if st["arr"] is not None else st["dep"]
            last = st["dep"] if st["dep"] is not None else st["arr"]
            return first, last
    times = motion.crossings(path.s_of(point_id))
    if not times:
        raise ValueError(f"point {point_id!r} is never passed")
    return times[0], times[-1]


def _normalise_outages(outages, t_first_s):
    out = []
    for start, dur_s in outages:
        if isinstance(start, str):
            t0 = parse_iso_utc(start)
        else:
            t0 = t_first_s + float(start)
        out.append((t0, t0 + float(dur_s)))
    return out


def _place_events(rng, running, claimed, count, len_range, n_epochs):
    """Pick `count` runs of consecutive running, unclaimed epochs; returns [(first, n)]."""
    placed = []
    for _ in range(count):
        for _attempt in range(500):
            n = rng.randint(*len_range)
            if n_epochs - n - 1 < 1:
                break
            k = rng.randint(1, n_epochs - n - 1)
            span = range(k - 1, k + n + 1)
            if all(running[i] and i not in claimed for i in span):
                claimed.update(span)
                placed.append((k, n))
                break
    return sorted(placed)


def _check_args(sentences, gsv, talkers, garbage, rate_s):
    """generate()'s arguments checked: (sentence types, rate_s as an int)."""
    sentences = tuple(s.upper() for s in sentences)
    if gsv and "GSV" not in sentences:
        sentences += ("GSV",)
    bad = [s for s in sentences if s not in SENTENCE_TYPES]
    if bad:
        raise ValueError(f"unsupported sentence types {bad}")
    bad = [t for t in talkers if t not in TALKERS]
    if bad or not talkers:
        raise ValueError(f"unsupported talkers {bad or talkers}")
    if not 0.0 <= garbage <= 1.0:
        raise ValueError("garbage must be a fraction 0..1")
    if int(rate_s) != rate_s or rate_s < 1:
        raise ValueError("rate_s must be a whole number of seconds >= 1")
    return sentences, int(rate_s)


class _Journey:
    """One journey planned: the path, the schedule and motion, the epochs of the track, and the outages, jumps
    and freezes placed on them. Random streams are seeded per purpose (stream())."""

    def __init__(self, direction, seed, date, route_path, wander_m, shunting):
        self.direction, self.seed = direction, seed
        self.route = route = load_route(route_path)
        self.points = points = _direction_points(route, direction,
                                                 line_points(route_path, wander_m, self.stream("wander")))
        self.path = path = RoutePath(points)
        self.stops, phases, self.notes, self.runs = _schedule(route, direction, path, date)
        border = route["border"]
        ref_s = path.s_of(border["ref"])
        towards_before = path.s_of(border["before"]) > ref_s
        self.border_s = ref_s + (border["offset_m"] if towards_before else -border["offset_m"])
        self.shunts = []
        if shunting:
            shunt_phases, self.shunts = _shunting(self.stream("shunting"), self.stops, path, self.border_s)
            phases = phases + shunt_phases
        self.motion = Motion(0.0, phases)

    def stream(self, name):
        return random.Random(f"synth:{self.seed}:{name}")

    def track(self, start, end, rate_s, duration_s):
        """The epochs (UTC seconds) from `start` to `end` with the margins, and the true state at each."""
        path, points, stops, motion = self.path, self.points, self.stops, self.motion
        for pid in (start, end):
            if pid not in path.index:
                raise ValueError("unknown point %r for --from/--to; the route's points: %s"
                                 % (pid, ", ".join(p["id"] for p in points if p.get("id"))))
        if path.index[start] >= path.index[end]:
            raise ValueError("start must come before end in this direction")
        t_begin = _event_times(stops, motion, path, start)[0] - MARGIN_S
        t_end = _event_times(stops, motion, path, end)[1] + MARGIN_S
        if duration_s is not None:
            t_end = min(t_end, t_begin + duration_s)
        first = math.ceil(t_begin / rate_s) * rate_s
        self.epochs = epochs = list(range(first, math.floor(t_end) + 1, rate_s))
        if not epochs:
            raise ValueError("empty track")
        self.states = []  # (path m, lat, lon, speed m/s, course) per epoch
        for t in epochs:
            s_m, v_ms = motion.state(t)
            lat, lon, course = path.locate(s_m)
            if v_ms < 0:
                course = (course + 180.0) % 360.0
            self.states.append((s_m, lat, lon, abs(v_ms), course))

    def place_outages(self, outages, outage_border):
        epochs = self.epochs
        self.outage_iv = _normalise_outages(outages, epochs[0])
        self.outage_kinds = ["given"] * len(self.outage_iv)
        if outage_border:
            b_stops = [st for st in self.stops if st["station"] in BORDER_STATIONS]
            if len(b_stops) == 2:
                self.outage_iv.append((b_stops[0]["arr"] - 600.0, b_stops[1]["dep"] + 600.0))
                self.outage_kinds.append("border")
        self.in_outage = [any(a <= t < b for a, b in self.outage_iv) for t in epochs]

    def place_faults(self, jumps, frozen):
        """Jumps (multipath) and frozen-receiver stretches on running epochs outside outages."""
        n_ep = len(self.epochs)
        rng_faults = self.stream("faults")
        running = [st[3] > RUNNING_MIN_SPEED_MS and not out for st, out in zip(self.states, self.in_outage)]
        claimed = set()
        self.jump_at = _place_events(rng_faults, running, claimed, jumps, (2, 8), n_ep)
        self.jump_params = [(rng_faults.uniform(100e3, 600e3), rng_faults.uniform(0, 360)) for _ in self.jump_at]
        self.frozen_at = _place_events(rng_faults, running, claimed, frozen, (5, 30), n_ep)
        self.jump_of, self.frozen_set = {}, set()
        for (k, n), params in zip(self.jump_at, self.jump_params):
            for i in range(k, k + n):
                self.jump_of[i] = params
        for k, n in self.frozen_at:
            self.frozen_set.update(range(k, k + n))
        for wanted, got, what in ((jumps, self.jump_at, "jumps"), (frozen, self.frozen_at, "frozen")):
            if len(got) < wanted:
                self.notes.append(f"only {len(got)} of {wanted} {what} fitted in the running epochs")

    def in_window(self, t_s):
        return t_s is not None and self.epochs[0] <= t_s <= self.epochs[-1]

    def emit(self, noise_m, talkers, garbage, sentences, rate_s):
        """The NMEA bytes of the track; sets the sentence count and the garbage counts per kind."""
        rng_noise, rng_talk, rng_garb = self.stream("noise"), self.stream("talkers"), self.stream("garbage")
        sky = _Sky(self.stream("sky"))
        noise = _Noise(rng_noise, noise_m, rate_s)
        self.counts = dict.fromkeys(GARBAGE_KINDS, 0)
        self.n_sentences = 0
        out, last = [], None
        want = set(sentences)
        for i, t in enumerate(self.epochs):
            s_m, lat, lon, speed_ms, course = self.states[i]
            lat, lon, sog_ms, cog = noise.step(lat, lon, speed_ms, course)
            talker = rng_talk.choice(talkers)
            groups = sky.visible(t, talker)
            used = min(12, sum(len(s) for _, s in groups))
            hdop = max(0.5, 1.7 - 0.07 * used + rng_noise.gauss(0, 0.05))
            alt_m = 40.0 + 30.0 * math.sin(s_m / 20000.0)
            valid = not self.in_outage[i]
            if i in self.jump_of:
                lat, lon = destination(lat, lon, self.jump_of[i][1], self.jump_of[i][0])
            report = (lat, lon, sog_ms, cog if speed_ms > 0.05 else None, alt_m, used, hdop)
            if i in self.frozen_set and last is not None:
                report = last
            if valid:
                last = report
            lines, rmc = epoch_lines(t, talker, report, groups, valid, want)
            self.n_sentences += len(lines)
            out.append(("\r\n".join(lines) + "\r\n").encode("ascii"))
            if rng_garb.random() < garbage:
                kind = rng_garb.choice(GARBAGE_KINDS)
                self.counts[kind] += 1
                out.append(_garbage(rng_garb, kind, rmc, talker))
        return b"".join(out)


def generate(
    direction,
    *,
    date="2026-11-23",
    seed=0,
    rate_s=1,
    sentences=("RMC", "GGA"),
    noise_m=0.0,
    outages=(),
    jumps=0,
    garbage=0.0,
    talkers=("GN",),
    shunting=False,
    frozen=0,
    start=None,
    end=None,
    route_path=None,
    gsv=False,
    outage_border=False,
    duration_s=None,
    wander_m=0.0,
):
    """Synthetic journey: returns (nmea_bytes, truth dict). Same arguments => same bytes.

    The track covers the whole stay at `start` and `end` (route point ids; a point where the
    train does not stop counts by its passing time) plus 600 s before and after; default:
    origin to destination.  `outages`: (start, duration_s) pairs, start an ISO UTC string or
    seconds from the first epoch.  `outage_border`: no fix from 10 min before arrival at the
    first border station to 10 min after departure from the second.  `duration_s` cuts the
    track that long after its beginning.  Noise is Gauss-Markov per axis (sigma noise_m,
    time constant 60 s).
    """
    sentences = tuple(s.upper() for s in sentences)
    if gsv and "GSV" not in sentences:
        sentences += ("GSV",)
    sentences, rate_s = _check_args(sentences, gsv, talkers, garbage, rate_s)
    j = _Journey(direction, seed, date, route_path, wander_m, shunting)
    start = start or j.points[0]["id"]
    end = end or j.points[-1]["id"]
    j.track(start, end, rate_s, duration_s)
    j.place_outages(outages, outage_border)
    j.place_faults(jumps, frozen)
    data = j.emit(noise_m, talkers, garbage, sentences, rate_s)
    args = dict(date=date, rate_s=rate_s, sentences=list(sentences), noise_m=noise_m,
                outages=[[o[0], o[1]] for o in outages], outage_border=outage_border, jumps=jumps, garbage=garbage,
                talkers=list(talkers), shunting=shunting, frozen=frozen, start=start, end=end, gsv=gsv,
                duration_s=duration_s, wander_m=wander_m, route_path=None if route_path is None else str(route_path))
    return data, synth_truth.truth(j, args, noise_m, rate_s)


def truth_json(truth):
    """Canonical JSON text of a truth dict."""
    return json.dumps(truth, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- CLI


def _parse_outage(text):
    start, _, dur = text.rpartition("/")
    if not start:
        raise argparse.ArgumentTypeError("outage must be START/DURATION_S")
    try:
        start_v = float(start)
    except ValueError:
        start_v = start
        parse_iso_utc(start)
    return (start_v, float(dur))


def _date(text):
    """argparse type: a real calendar date YYYY-MM-DD."""
    try:
        day_s(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a date YYYY-MM-DD" % text) from None
    return text


def _arg_parser():
    ap = argparse.ArgumentParser(prog="python -m host_tools.synth", description=__doc__.splitlines()[0])
    ap.add_argument("--direction", required=True, choices=("to_pyongyang", "to_beijing"), help="which way")
    ap.add_argument("-o", "--output", required=True, help="NMEA output file ('-' = stdout)")
    ap.add_argument("--truth", help="write the ground truth JSON here")
    ap.add_argument("--seed", type=int, default=0, help="random seed of noise and faults (default 0)")
    ap.add_argument("--date", default="2026-11-23", type=_date, help="departure date at the origin (local)")
    ap.add_argument("--rate-s", type=int, default=1, choices=range(1, 61), metavar="S",
                    help="seconds between fixes (1..60, default 1)")
    ap.add_argument("--sentences", default="RMC,GGA", help="comma list of RMC,GGA,VTG,GSA,ZDA,GSV")
    ap.add_argument("--noise-m", type=float, default=0.0, help="receiver position noise, 1 sigma in metres")
    ap.add_argument(
        "--outage",
        action="append",
        type=_parse_outage,
        default=[],
        metavar="START/DURATION_S",
        help="START is ISO UTC or seconds from track start",
    )
    ap.add_argument("--outage-border", action="store_true", help="a GPS outage while crossing the border")
    ap.add_argument("--jumps", type=int, default=0, help="number of position jumps (multipath) to inject")
    ap.add_argument("--frozen", type=int, default=0, help="number of frozen-receiver stretches to inject")
    ap.add_argument("--garbage", type=float, default=0.0, help="share of corrupted bytes (0..1)")
    ap.add_argument("--talkers", default="GN", help="comma list of NMEA talkers to rotate (GN,GP,BD,GB)")
    ap.add_argument("--shunting", action="store_true", help="add shunting moves in the stations")
    ap.add_argument("--gsv", action="store_true", help="add GSV satellite sentences")
    ap.add_argument("--from", dest="start", help="route point id to start at (default: the origin)")
    ap.add_argument("--to", dest="end", help="route point id to end at (default: the destination)")
    ap.add_argument("--duration-s", type=float, help="cut the track after this many seconds")
    ap.add_argument("--route", help="route JSON (default routes/beijing-pyongyang.json)")
    ap.add_argument("--wander-m", type=float, default=0.0,
                    help="where the route's line is straight, bend the track sideways by up to this")
    return ap


def main(argv=None):
    """Command-line entry point."""
    args = _arg_parser().parse_args(argv)
    data, truth = generate(
        args.direction,
        date=args.date,
        seed=args.seed,
        rate_s=args.rate_s,
        sentences=tuple(s for s in args.sentences.split(",") if s),
        noise_m=args.noise_m,
        outages=tuple(args.outage),
        jumps=args.jumps,
        garbage=args.garbage,
        talkers=tuple(args.talkers.split(",")),
        shunting=args.shunting,
        frozen=args.frozen,
        start=args.start,
        end=args.end,
        route_path=args.route,
        gsv=args.gsv,
        outage_border=args.outage_border,
        duration_s=args.duration_s,
        wander_m=args.wander_m,
    )
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(args.output).write_bytes(data)
    if args.truth:
        Path(args.truth).write_text(truth_json(truth), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "synth"))
