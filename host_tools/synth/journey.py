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
"""

import argparse
import bisect
import calendar
import itertools
import json
import math
import random
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from host_tools.build import route as gen_route
from host_tools.common import cli
from host_tools.common.paths import ROOT

EARTH_RADIUS_M = 6371008.8
ACCEL_MS2 = 0.3
BRAKE_MS2 = 0.4
BRIDGE_SPEED_KMH = 20.0
MARGIN_S = 600
NOISE_TAU_S = 60.0
# The border band: where the clock offset cannot be judged. The journey switches the clock 50 m past the
# border line (trainctl.journey.Journey.BORDER_M, its hysteresis), and a receiver with position error
# sigma (noise_m) cannot tell the side of the line any closer than about 2 sigma.
BORDER_HYST_M = 50.0
BORDER_BAND_SIGMA = 2.0
DEFAULT_DWELL_MIN = 2
SHUNT_BORDER_CLEAR_M = 300.0  # shunting stops this far short of the border line
WANDER_MIN_M = 20000.0  # straight pieces shorter than this do not wander
RUNNING_MIN_SPEED_MS = 2.0
MS_TO_KN = 3600.0 / 1852.0
MS_TO_KMH = 3.6

DEFAULT_ROUTE = Path(ROOT) / "routes" / "beijing-pyongyang.json"
SENTENCE_TYPES = ("RMC", "VTG", "GGA", "GSA", "GSV", "ZDA")
TALKERS = ("GP", "GN", "BD", "GB", "GL", "GA", "GQ")
GARBAGE_KINDS = ("binary", "truncated", "bad_checksum", "too_long", "unknown_type")
BORDER_STATIONS = ("dandong", "sinuiju")
MAX_LINE_CHARS = 82  # NMEA 0183 limit, including '$' and CRLF
_REAL_TYPES = frozenset(
    (
        "RMC",
        "GGA",
        "VTG",
        "GSA",
        "GSV",
        "ZDA",
        "GLL",
        "GNS",
        "GST",
        "TXT",
        "GBS",
        "GRS",
        "DTM",
    )
)
_BINARY_SPECIALS = b"\x00\xff$*\r\n,"


# ---------------------------------------------------------------- time helpers


def iso_utc(t_s):
    """Format UTC seconds as ISO-8601 with Z (milliseconds only when not whole)."""
    whole_s = math.floor(t_s)
    ms = round((t_s - whole_s) * 1000)
    if ms == 1000:
        whole_s, ms = whole_s + 1, 0
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole_s))
    return f"{text}.{ms:03d}Z" if ms else text + "Z"


def parse_iso_utc(text):
    """Parse an ISO-8601 UTC time (``Z`` or offset) into UTC seconds."""
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        raise ValueError(f"time without zone: {text!r}")
    return stamp.timestamp()


def _local_to_utc_s(date, day, hhmm, utc_offset_min):
    year, month, mday = (int(x) for x in date.split("-"))
    hours, minutes = (int(x) for x in hhmm.split(":"))
    midnight_s = calendar.timegm((year, month, mday, 0, 0, 0, 0, 0, 0))
    return midnight_s + day * 86400 + hours * 3600 + minutes * 60 - utc_offset_min * 60


# ---------------------------------------------------------------- sphere geometry


def _vec(lat_deg, lon_deg):
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def _latlon(vec):
    x, y, z = vec
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def distance_m(lat1, lon1, lat2, lon2):
    """Great-circle distance on the sphere (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1, lon1, lat2, lon2):
    """Initial great-circle bearing from point 1 to point 2, degrees 0..360."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat_deg, lon_deg, bearing, dist_m):
    """Point reached from (lat, lon) after dist_m along the given initial bearing."""
    p1, l1 = math.radians(lat_deg), math.radians(lon_deg)
    b, d = math.radians(bearing), dist_m / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1),
        math.cos(d) - math.sin(p1) * math.sin(p2),
    )
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


class RoutePath:
    """Chain of great-circle arcs through the route points of one direction."""

    def __init__(self, points):
        self.points = points
        self.vecs = [_vec(p["lat"], p["lon"]) for p in points]
        self.cum_m = [0.0]
        self.omega = []
        for a, b in itertools.pairwise(points):
            dist = distance_m(a["lat"], a["lon"], b["lat"], b["lon"])
            self.omega.append(dist / EARTH_RADIUS_M)
            self.cum_m.append(self.cum_m[-1] + dist)
        self.length_m = self.cum_m[-1]
        self.index = {p["id"]: i for i, p in enumerate(points) if p.get("id") is not None}

    def s_of(self, point_id):
        """Path distance of a route point from the start of the direction."""
        return self.cum_m[self.index[point_id]]

    def locate(self, s_m):
        """(lat, lon, course of the forward direction) at path distance s_m."""
        s_m = min(max(s_m, 0.0), self.length_m)
        seg = min(bisect.bisect_right(self.cum_m, s_m) - 1, len(self.omega) - 1)
        a, b = self.points[seg], self.points[seg + 1]
        seg_m = self.cum_m[seg + 1] - self.cum_m[seg]
        frac = (s_m - self.cum_m[seg]) / seg_m if seg_m > 0 else 0.0
        if frac <= 0.0:
            lat, lon = a["lat"], a["lon"]
        elif frac >= 1.0:
            lat, lon = b["lat"], b["lon"]
        else:
            om = self.omega[seg]
            wa, wb = (
                math.sin((1 - frac) * om) / math.sin(om),
                math.sin(frac * om) / math.sin(om),
            )
            va, vb = self.vecs[seg], self.vecs[seg + 1]
            lat, lon = _latlon(tuple(wa * p + wb * q for p, q in zip(va, vb)))
        if frac < 0.999999:
            course = bearing_deg(lat, lon, b["lat"], b["lon"])
        else:
            course = (bearing_deg(b["lat"], b["lon"], a["lat"], a["lon"]) + 180.0) % 360.0
        return lat, lon, course


# ---------------------------------------------------------------- motion model


def run_time_s(dist_m, cruise_ms, accel=ACCEL_MS2, brake=BRAKE_MS2):
    """Time to run dist_m from rest to rest with the trapezoidal (or triangular) profile."""
    if dist_m <= 0:
        return 0.0
    ramp_m = cruise_ms**2 / (2 * accel) + cruise_ms**2 / (2 * brake)
    if ramp_m <= dist_m:
        return dist_m / cruise_ms + cruise_ms / (2 * accel) + cruise_ms / (2 * brake)
    peak_ms = math.sqrt(2 * dist_m / (1 / accel + 1 / brake))
    return peak_ms / accel + peak_ms / brake


def _move_phases(t0, s_from, s_to, cruise_ms, accel=ACCEL_MS2, brake=BRAKE_MS2):
    """Phases (t0, t1, s0, v0, a, s1) of one rest-to-rest move; returns (phases, t_end)."""
    dist = abs(s_to - s_from)
    sign = 1.0 if s_to >= s_from else -1.0
    if dist == 0:
        return [], t0
    v = cruise_ms
    acc_m, brk_m = v * v / (2 * accel), v * v / (2 * brake)
    if acc_m + brk_m > dist:
        v = math.sqrt(2 * dist / (1 / accel + 1 / brake))
        acc_m = v * v / (2 * accel)
        brk_m = dist - acc_m
    cruise_m = dist - acc_m - brk_m
    phases = []
    t, s = t0, s_from
    t_acc = v / accel
    phases.append((t, t + t_acc, s, 0.0, sign * accel, s + sign * acc_m))
    t, s = t + t_acc, s + sign * acc_m
    if cruise_m > 0:
        t_cruise = cruise_m / v
        phases.append((t, t + t_cruise, s, sign * v, 0.0, s_to - sign * brk_m))
        t, s = t + t_cruise, s_to - sign * brk_m
    t_brk = v / brake
    phases.append((t, t + t_brk, s, sign * v, -sign * brake, s_to))
    return phases, t + t_brk


class Motion:
    """Piecewise constant-acceleration motion s(t) along a RoutePath."""

    def __init__(self, s_start_m, phases):
        self.s_start_m = s_start_m
        self.phases = sorted(phases)
        self.t0s = [p[0] for p in self.phases]

    def state(self, t_s):
        """(path distance m, signed velocity m/s) at time t_s."""
        i = bisect.bisect_right(self.t0s, t_s) - 1
        if i < 0:
            return self.s_start_m, 0.0
        t0, t1, s0, v0, a, s1 = self.phases[i]
        if t_s >= t1:
            return s1, 0.0
        dt = t_s - t0
        s = s0 + v0 * dt + 0.5 * a * dt * dt
        lo, hi = min(s0, s1), max(s0, s1)
        v = v0 + a * dt
        if v * (s1 - s0) < 0:
            v = 0.0
        return min(max(s, lo), hi), v

    def crossings(self, s_m):
        """All times at which the motion passes the path distance s_m."""
        times = []
        for t0, t1, s0, v0, a, s1 in self.phases:
            if (s0 - s_m) * (s1 - s_m) >= 0:
                continue
            if a == 0:
                dt = (s_m - s0) / v0
            else:
                disc = max(0.0, v0 * v0 - 2 * a * (s0 - s_m))
                roots = [(-v0 + r) / a for r in (math.sqrt(disc), -math.sqrt(disc))]
                dt = min((r for r in roots if r >= -1e-9), default=0.0)
            times.append(t0 + min(max(dt, 0.0), t1 - t0))
        return sorted(times)


def _timetable_rows(route, direction, date):
    rows = {}
    for row in route["timetable"][direction]:
        day = row.get("day", 0)
        entry = {"quality": row.get("quality")}
        for key in ("arr", "dep"):
            if key in row:
                entry[key] = _local_to_utc_s(date, day, row[key], row["utc_offset_min"])
        rows[row["station"]] = entry
    return rows


def _solve_cruise_ms(runs, target_s):
    """Cruise speed so that sum of run times == target_s; runs = [(dist_m, cap_ms)]."""

    def total_s(v):
        return sum(run_time_s(d, min(v, cap)) for d, cap in runs)

    v_max = max(cap for _, cap in runs)
    if total_s(v_max) > target_s:
        return None
    lo, hi = 0.01, v_max
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if total_s(mid) > target_s:
            lo = mid
        else:
            hi = mid
    return hi


def _schedule(route, direction, path, date):
    """Stops with arrival/departure times and the main-line phases; plus notes."""
    tt = route["timetable"]
    caps_ms = {c: kmh / MS_TO_KMH for c, kmh in tt["max_speed_kmh"].items()}
    bridge_ms = BRIDGE_SPEED_KMH / MS_TO_KMH
    rows = _timetable_rows(route, direction, date)
    stops = [p for p in path.points if p["kind"] == "station" and direction in p.get("calls", [])]
    notes, runs = [], []

    def dwell_s(station_id):
        minutes = tt["dwell_min"].get(station_id)
        if minutes is None:
            notes.append(f"no dwell for {station_id}: assumed {DEFAULT_DWELL_MIN} min")
            minutes = DEFAULT_DWELL_MIN
        return minutes * 60.0

    def run_spec(a, b):
        dist = path.s_of(b["id"]) - path.s_of(a["id"])
        if a["country"] != b["country"]:
            return dist, bridge_ms, True
        return dist, caps_ms[a["country"]], False

    origin = stops[0]["id"]
    if "dep" not in rows.get(origin, {}):
        raise ValueError(f"timetable has no departure for origin {origin}")
    out = [{"station": origin, "arr": None, "dep": rows[origin]["dep"], "tt_arr": None}]
    phases = []
    i = 0
    while i < len(stops) - 1:
        j = next(
            (k for k in range(i + 1, len(stops)) if {"arr", "dep"} & set(rows.get(stops[k]["id"], {}))),
            len(stops) - 1,
        )
        row_j = rows.get(stops[j]["id"], {})
        target_arr = row_j.get("arr")
        if target_arr is None and "dep" in row_j:
            target_arr = row_j["dep"] - dwell_s(stops[j]["id"])
        specs = [run_spec(stops[k], stops[k + 1]) for k in range(i, j)]
        dwells = [dwell_s(stops[k]["id"]) for k in range(i + 1, j)]
        t_dep = out[-1]["dep"]
        free = [(d, cap) for d, cap, fixed in specs if not fixed]
        cruise = None
        if target_arr is not None and free:
            fixed_s = sum(run_time_s(d, cap) for d, cap, fixed in specs if fixed)
            cruise = _solve_cruise_ms(free, target_arr - t_dep - sum(dwells) - fixed_s)
            if cruise is None:
                notes.append(
                    f"{stops[i]['id']}->{stops[j]['id']}: schedule infeasible at max_speed_kmh;"
                    " running at the cap, times slip"
                )
        t = t_dep
        for k in range(i, j):
            dist, cap, fixed = specs[k - i]
            v = cap if (fixed or cruise is None) else min(cruise, cap)
            s_a = path.s_of(stops[k]["id"])
            move, t = _move_phases(t, s_a, s_a + dist, v)
            phases.extend(move)
            runs.append(
                {
                    "from": stops[k]["id"],
                    "to": stops[k + 1]["id"],
                    "dist_m": round(dist, 1),
                    "peak_kmh": round(max(abs(ph[3]) for ph in move[1:]) * MS_TO_KMH, 2),
                }
            )
            station = stops[k + 1]["id"]
            if k + 1 < j:
                out.append(
                    {
                        "station": station,
                        "arr": t,
                        "dep": t + dwells[k - i],
                        "tt_arr": None,
                    }
                )
                t += dwells[k - i]
            else:
                dep = row_j.get("dep")
                if j == len(stops) - 1:
                    dep = None
                elif dep is None or dep < t:
                    if dep is not None:
                        notes.append(f"{station}: late arrival, departure slips")
                    dep = t + dwell_s(station)
                out.append(
                    {
                        "station": station,
                        "arr": t,
                        "dep": dep,
                        "tt_arr": row_j.get("arr"),
                    }
                )
                if target_arr is not None and abs(t - target_arr) > 1:
                    notes.append(f"{station}: arrives {t - target_arr:+.0f} s off the timetable")
        i = j
    for stop in out:
        stop["s_m"] = path.s_of(stop["station"])
    return out, phases, list(dict.fromkeys(notes)), runs


def _shunting(rng, stops, path, border_s, gap_range_s=(60.0, 600.0)):
    """Seeded back-and-forth moves during the border dwells, each on its own side of the border (path
    distance border_s); returns (phases, records)."""
    phases, records = [], []
    stop_s = [st["s_m"] for st in stops]
    for idx, st in enumerate(stops):
        if st["station"] not in BORDER_STATIONS or st["arr"] is None or st["dep"] is None:
            continue
        w_from, w_to = st["arr"] + 300.0, st["dep"] - 600.0
        n_moves = rng.randint(3, 6)
        moves = []
        for _ in range(n_moves):
            moves.append(
                {
                    "towards": rng.choice(("next", "previous")),
                    "dist_m": rng.uniform(200.0, 1500.0),
                    "speed_kmh": rng.uniform(5.0, 15.0),
                    "pause_s": rng.uniform(30.0, 180.0),
                    "gap_s": rng.uniform(*gap_range_s),
                }
            )
        if all(m["towards"] == "next" for m in moves):
            moves[0]["towards"] = "previous"
        s0 = st["s_m"]
        room_next = (stop_s[idx + 1] if idx + 1 < len(stops) else path.length_m) - s0 - 200.0
        room_prev = s0 - (stop_s[idx - 1] if idx > 0 else 0.0) - 200.0
        if border_s > s0:  # shunting stays in the station's own country, clear of the border's band
            room_next = min(room_next, border_s - s0 - SHUNT_BORDER_CLEAR_M)
        else:
            room_prev = min(room_prev, s0 - border_s - SHUNT_BORDER_CLEAR_M)

        def duration_s(m):
            v = m["speed_kmh"] / MS_TO_KMH
            return 2 * run_time_s(m["dist_m"], v) + m["pause_s"] + m["gap_s"]

        for m in moves:
            room = room_next if m["towards"] == "next" else room_prev
            m["dist_m"] = max(50.0, min(m["dist_m"], room))
        while len(moves) > 1 and sum(duration_s(m) for m in moves) > w_to - w_from:
            moves.pop()
        slack = max(0.0, (w_to - w_from) - sum(duration_s(m) for m in moves))
        t = w_from + rng.uniform(0.0, 0.5 * slack)
        for m in moves:
            v = m["speed_kmh"] / MS_TO_KMH
            sign = 1.0 if m["towards"] == "next" else -1.0
            out, t_out = _move_phases(t, s0, s0 + sign * m["dist_m"], v)
            back, t_back = _move_phases(t_out + m["pause_s"], s0 + sign * m["dist_m"], s0, v)
            phases.extend(out + back)
            records.append(
                {
                    "station": st["station"],
                    "from_utc": iso_utc(t),
                    "to_utc": iso_utc(t_back),
                    "towards": m["towards"],
                    "dist_m": round(m["dist_m"], 1),
                    "speed_kmh": round(m["speed_kmh"], 2),
                }
            )
            t = t_back + m["gap_s"]
    return phases, records


# ---------------------------------------------------------------- NMEA formatting


def _xor(data):
    """XOR of all bytes (folded big-integer form: fast for whole lines)."""
    n = len(data)
    x = int.from_bytes(data, "little")
    while n > 1:
        half = (n + 1) // 2
        x = (x & ((1 << (8 * half)) - 1)) ^ (x >> (8 * half))
        n = half
    return x


def nmea_checksum(body):
    """Checksum of the text between '$' and '*' (str or bytes) as an int."""
    return _xor(body.encode("ascii") if isinstance(body, str) else body)


def sentence(body):
    """'$' + body + '*HH' (no line end)."""
    return f"${body}*{nmea_checksum(body):02X}"


def _fmt_angle(value_deg, deg_digits, hemis):
    units = round(abs(value_deg) * 60 * 100000)
    deg, rem = divmod(units, 60 * 100000)
    hemi = hemis[0] if value_deg >= 0 else hemis[1]
    return f"{deg:0{deg_digits}d}{rem // 100000:02d}.{rem % 100000:05d}", hemi


def fmt_lat(lat_deg):
    """('ddmm.mmmmm', 'N'|'S')."""
    return _fmt_angle(lat_deg, 2, "NS")


def fmt_lon(lon_deg):
    """('dddmm.mmmmm', 'E'|'W')."""
    return _fmt_angle(lon_deg, 3, "EW")


class _Sky:
    """Slowly changing satellite constellation for GSV/GSA/GGA fields."""

    PRN_RANGES: ClassVar[dict] = {
        "GP": (1, 32),
        "GB": (1, 63),
        "BD": (1, 63),
        "GL": (65, 96),
        "GA": (1, 36),
        "GQ": (1, 10),
    }
    WITH_SIGNAL_ID: ClassVar[dict] = {"GP": "1", "GL": "1", "GA": "7"}

    def __init__(self, rng):
        self.rng = rng
        self.sats = {}
        for system in ("GP", "GB", "GL", "GA", "GQ"):
            lo, hi = self.PRN_RANGES[system]
            prns = rng.sample(range(lo, hi + 1), min(12, hi - lo + 1))
            self.sats[system] = [
                (
                    prn,
                    rng.uniform(12, 80),
                    rng.uniform(0, 360),
                    rng.uniform(0, 2 * math.pi),
                    rng.randint(30, 48),
                )
                for prn in prns
            ]
        self.sats["BD"] = self.sats["GB"]
        self.k0, self.k1 = rng.randrange(8), rng.randrange(8)

    def visible(self, t_s, talker):
        """[(system, [(prn, elev, az, cno)])] for the epoch."""
        n_gps = 5 + (int(t_s) // 900 + self.k0) % 4
        groups = []
        if talker == "GP":
            n_gps += 4
            groups.append(("GP", n_gps))
        else:
            other = {
                "GN": "GB",
                "GB": "GB",
                "BD": "BD",
                "GL": "GL",
                "GA": "GA",
                "GQ": "GQ",
            }[talker]
            groups.append(("GP", n_gps))
            groups.append((other, 1 + (int(t_s) // 600 + self.k1) % 8))
        out = []
        for system, n in groups:
            sats = []
            for prn, el0, az0, ph, cno0 in self.sats[system][:n]:
                elev = min(89, max(5, round(el0 + 8 * math.sin(2 * math.pi * t_s / 7200 + ph))))
                az = round(az0 + t_s / 120.0) % 360
                cno = min(50, max(20, cno0 + round(self.rng.gauss(0, 1.5))))
                sats.append((prn, elev, az, cno))
            out.append((system, sats))
        return out


def _gsv_lines(groups, valid):
    lines = []
    for system, sats in groups:
        n_msgs = max(1, math.ceil(len(sats) / 4))
        sig = _Sky.WITH_SIGNAL_ID.get(system)
        for m in range(n_msgs):
            blocks = [
                f"{prn:02d},{el:02d},{az:03d},{cno:02d}" if valid else f"{prn:02d},{el:02d},{az:03d},"
                for prn, el, az, cno in sats[4 * m : 4 * m + 4]
            ]
            fields = [
                f"{system}GSV",
                str(n_msgs),
                str(m + 1),
                f"{len(sats):02d}",
                *blocks,
            ]
            if sig:
                fields.append(sig)
            lines.append(sentence(",".join(fields)))
    return lines


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


def _garbage(rng, kind, rmc_body, talker):
    """Junk bytes of one kind; rmc_body is this epoch's RMC text between '$' and '*'."""
    if kind == "binary":
        while True:
            junk = bytes(
                rng.choice(_BINARY_SPECIALS) if rng.random() < 0.3 else rng.randrange(256)
                for _ in range(rng.randint(1, 48))
            )
            if not any(_valid_line(part) for part in junk.split(b"\n")):
                return junk
    if kind == "truncated":
        line = sentence(rmc_body)
        return line[: rng.randint(8, line.index("*"))].encode("ascii")
    if kind == "bad_checksum":
        digits = [i for i, ch in enumerate(rmc_body) if ch.isdigit()]
        pos = rng.choice(digits)
        new = rng.choice([d for d in "0123456789" if d != rmc_body[pos]])
        body = rmc_body[:pos] + new + rmc_body[pos + 1 :]
        return f"${body}*{nmea_checksum(rmc_body):02X}\r\n".encode("ascii")
    if kind == "too_long":
        target = rng.randint(130, 300)
        body = f"{talker}GSV,1,1,{rng.randint(13, 40):02d}"
        while len(body) + 6 < target:
            prn, elev, az, cno = rng.randint(1, 99), rng.randint(0, 90), rng.randint(0, 359), rng.randint(20, 50)
            body += f",{prn:02d},{elev:02d},{az:03d},{cno:02d}"
        return (sentence(body) + "\r\n").encode("ascii")
    if kind == "unknown_type":
        while True:
            kind3 = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))
            if kind3 not in _REAL_TYPES:
                break
        fields = [f"{rng.randint(0, 9999)}" for _ in range(rng.randint(1, 6))]
        return (sentence(",".join([f"GP{kind3}", *fields])) + "\r\n").encode("ascii")
    raise ValueError(kind)


def _valid_line(raw):
    """True when raw (one line, CR/LF optional) holds a sentence with a valid checksum."""
    raw = raw.rstrip(b"\r\n")
    start = raw.rfind(b"$")
    if start < 0:
        return False
    line = raw[start:]
    star = line.find(b"*")
    if star < 0 or len(line) != star + 3:
        return False
    try:
        return int(line[star + 1 :], 16) == _xor(line[1:star])
    except ValueError:
        return False


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
    rate_s = int(rate_s)

    def stream(name):
        return random.Random(f"synth:{seed}:{name}")

    route = load_route(route_path)
    points = _direction_points(route, direction, line_points(route_path, wander_m, stream("wander")))
    path = RoutePath(points)
    stops, phases, notes, runs = _schedule(route, direction, path, date)
    border = route["border"]
    ref_s = path.s_of(border["ref"])
    towards_before = path.s_of(border["before"]) > ref_s
    border_s = ref_s + (border["offset_m"] if towards_before else -border["offset_m"])
    shunts = []
    if shunting:
        shunt_phases, shunts = _shunting(stream("shunting"), stops, path, border_s)
        phases = phases + shunt_phases
    motion = Motion(0.0, phases)

    start = start or points[0]["id"]
    end = end or points[-1]["id"]
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
    epochs = list(range(first, math.floor(t_end) + 1, rate_s))
    if not epochs:
        raise ValueError("empty track")
    n_ep = len(epochs)

    # true state per epoch
    truth_states = []
    for t in epochs:
        s_m, v_ms = motion.state(t)
        lat, lon, course = path.locate(s_m)
        if v_ms < 0:
            course = (course + 180.0) % 360.0
        truth_states.append((s_m, lat, lon, abs(v_ms), course))

    # outages
    outage_iv = _normalise_outages(outages, epochs[0])
    outage_kinds = ["given"] * len(outage_iv)
    if outage_border:
        b_stops = [st for st in stops if st["station"] in BORDER_STATIONS]
        if len(b_stops) == 2:
            outage_iv.append((b_stops[0]["arr"] - 600.0, b_stops[1]["dep"] + 600.0))
            outage_kinds.append("border")
    in_outage = [any(a <= t < b for a, b in outage_iv) for t in epochs]

    # jumps and freezes
    rng_faults = stream("faults")
    running = [st[3] > RUNNING_MIN_SPEED_MS and not out for st, out in zip(truth_states, in_outage)]
    claimed = set()
    jump_at = _place_events(rng_faults, running, claimed, jumps, (2, 8), n_ep)
    jump_params = [(rng_faults.uniform(100e3, 600e3), rng_faults.uniform(0, 360)) for _ in jump_at]
    frozen_at = _place_events(rng_faults, running, claimed, frozen, (5, 30), n_ep)
    jump_of, frozen_set = {}, set()
    for (k, n), params in zip(jump_at, jump_params):
        for i in range(k, k + n):
            jump_of[i] = params
    for k, n in frozen_at:
        frozen_set.update(range(k, k + n))
    for wanted, got, what in ((jumps, jump_at, "jumps"), (frozen, frozen_at, "frozen")):
        if len(got) < wanted:
            notes.append(f"only {len(got)} of {wanted} {what} fitted in the running epochs")

    rng_noise, rng_talk, rng_garb = (
        stream("noise"),
        stream("talkers"),
        stream("garbage"),
    )
    sky = _Sky(stream("sky"))
    phi = math.exp(-rate_s / NOISE_TAU_S)
    kick = math.sqrt(1 - phi * phi)
    noise_n = rng_noise.gauss(0, 1) * noise_m
    noise_e = rng_noise.gauss(0, 1) * noise_m
    counts = dict.fromkeys(GARBAGE_KINDS, 0)
    out, n_sentences, last = [], 0, None
    want = set(sentences)

    for i, t in enumerate(epochs):
        s_m, lat, lon, speed_ms, course = truth_states[i]
        noise_n = phi * noise_n + kick * rng_noise.gauss(0, 1) * noise_m
        noise_e = phi * noise_e + kick * rng_noise.gauss(0, 1) * noise_m
        sog_ms, cog = speed_ms, course
        if noise_m > 0:
            lat += math.degrees(noise_n / EARTH_RADIUS_M)
            lon += math.degrees(noise_e / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
            if speed_ms > 0.05:
                sog_ms = max(0.0, speed_ms + rng_noise.gauss(0, 0.1))
                cog = (course + rng_noise.gauss(0, 0.5)) % 360.0
            else:
                sog_ms = abs(rng_noise.gauss(0, 0.03))
        talker = rng_talk.choice(talkers)
        groups = sky.visible(t, talker)
        used = min(12, sum(len(s) for _, s in groups))
        hdop = max(0.5, 1.7 - 0.07 * used + rng_noise.gauss(0, 0.05))
        alt_m = 40.0 + 30.0 * math.sin(s_m / 20000.0)
        valid = not in_outage[i]
        if i in jump_of:
            lat, lon = destination(lat, lon, jump_of[i][1], jump_of[i][0])
        report = (lat, lon, sog_ms, cog if speed_ms > 0.05 else None, alt_m, used, hdop)
        if i in frozen_set and last is not None:
            report = last
        if valid:
            last = report
        lat, lon, sog_ms, cog, alt_m, used, hdop = report

        g = time.gmtime(t)
        hms = f"{g.tm_hour:02d}{g.tm_min:02d}{g.tm_sec:02d}.00"
        dmy = f"{g.tm_mday:02d}{g.tm_mon:02d}{g.tm_year % 100:02d}"
        lat_f, lat_h = fmt_lat(lat)
        lon_f, lon_h = fmt_lon(lon)
        cog_f = "" if cog is None else f"{cog:.2f}"
        if valid:
            rmc = f"{talker}RMC,{hms},A,{lat_f},{lat_h},{lon_f},{lon_h},{sog_ms * MS_TO_KN:.3f},{cog_f},{dmy},,,A,V"
        else:
            rmc = f"{talker}RMC,{hms},V,,,,,,,{dmy},,,N,V"
        lines = []
        if "RMC" in want:
            lines.append(sentence(rmc))
        if "VTG" in want:
            if valid:
                lines.append(
                    sentence(f"{talker}VTG,{cog_f},T,,M,{sog_ms * MS_TO_KN:.3f},N,{sog_ms * MS_TO_KMH:.3f},K,A")
                )
            else:
                lines.append(sentence(f"{talker}VTG,,T,,M,,N,,K,N"))
        if "GGA" in want:
            if valid:
                lines.append(
                    sentence(
                        f"{talker}GGA,{hms},{lat_f},{lat_h},{lon_f},{lon_h},1,{used:02d},{hdop:.2f},"
                        f"{alt_m:.1f},M,-8.0,M,,"
                    )
                )
            else:
                lines.append(sentence(f"{talker}GGA,{hms},,,,,0,00,99.99,,M,,M,,"))
        if "GSA" in want:
            if valid:
                prns = [f"{p:02d}" for p, *_ in groups[0][1]][:12]  # GPS only: system ID 1
                prns += [""] * (12 - len(prns))
                lines.append(
                    sentence(f"{talker}GSA,A,3,{','.join(prns)},{hdop * 1.6:.2f},{hdop:.2f},{hdop * 1.3:.2f},1")
                )
            else:
                lines.append(sentence(f"{talker}GSA,A,1,{',' * 11},99.99,99.99,99.99,1"))
        if "GSV" in want:
            lines.extend(_gsv_lines(groups, valid))
        if "ZDA" in want:
            lines.append(sentence(f"{talker}ZDA,{hms},{g.tm_mday:02d},{g.tm_mon:02d},{g.tm_year:04d},00,00"))
        n_sentences += len(lines)
        out.append(("\r\n".join(lines) + "\r\n").encode("ascii"))
        if rng_garb.random() < garbage:
            kind = rng_garb.choice(GARBAGE_KINDS)
            counts[kind] += 1
            out.append(_garbage(rng_garb, kind, rmc, talker))

    # ground truth
    win_lo, win_hi = epochs[0], epochs[-1]

    def in_window(t_s):
        return t_s is not None and win_lo <= t_s <= win_hi

    stops_out = []
    for st in stops:
        if not (in_window(st["arr"]) or in_window(st["dep"])):
            continue
        stops_out.append(
            {
                "station": st["station"],
                "arr_utc": iso_utc(st["tt_arr"] if st["tt_arr"] is not None else st["arr"])
                if st["arr"] is not None
                else None,
                "dep_utc": iso_utc(st["dep"]) if st["dep"] is not None else None,
                "stopped_utc": iso_utc(st["arr"]) if st["arr"] is not None else None,
                "path_m": round(st["s_m"], 1),
            }
        )
    stop_ids = {st["station"] for st in stops}
    passes = sorted(
        (t_s, p["id"])
        for p in points
        if p["id"] is not None and p["id"] not in stop_ids
        for t_s in motion.crossings(path.s_of(p["id"]))
        if in_window(t_s)
    )

    crossings = [t_s for t_s in motion.crossings(border_s) if in_window(t_s)]
    band_m = BORDER_HYST_M + BORDER_BAND_SIGMA * noise_m
    band = []  # [first, last] epoch times within band_m of the border line, widened by one epoch
    for t, st in zip(epochs, truth_states):
        if abs(st[0] - border_s) <= band_m:
            if band and t - band[-1][1] <= 2 * rate_s:
                band[-1][1] = t + rate_s
            else:
                band.append([t - rate_s, t + rate_s])
    by_id = {st["station"]: st for st in stops}
    b_first, b_second = sorted(BORDER_STATIONS, key=lambda sid: by_id[sid]["s_m"])
    main = [t_s for t_s in crossings if by_id[b_first]["dep"] < t_s < by_id[b_second]["arr"]]

    legs = []
    leg_defs = route["directions"][direction]["legs"]
    t_from = win_lo
    for k, leg in enumerate(leg_defs):
        t_to = by_id[leg["to"]]["arr"] if k < len(leg_defs) - 1 else win_hi
        lo, hi = max(t_from, win_lo), min(t_to, win_hi)
        if lo < hi:
            legs.append({"train": leg["train"], "from_utc": iso_utc(lo), "to_utc": iso_utc(hi)})
        t_from = t_to

    def span(k, n):
        return {
            "from_utc": iso_utc(epochs[k]),
            "to_utc": iso_utc(epochs[k + n - 1]),
            "epochs": n,
        }

    faults = {
        "outages": [
            {
                "from_utc": iso_utc(a),
                "to_utc": iso_utc(b),
                "duration_s": round(b - a, 3),
                "epochs": sum(1 for t in epochs if a <= t < b),
                "kind": kind,
            }
            for (a, b), kind in zip(outage_iv, outage_kinds)
        ],
        "jumps": [
            {**span(k, n), "offset_m": round(d, 1), "bearing_deg": round(b, 2)}
            for (k, n), (d, b) in zip(jump_at, jump_params)
        ],
        "frozen": [span(k, n) for k, n in frozen_at],
        "garbage": counts,
    }
    truth = {
        "direction": direction,
        "seed": seed,
        "args": {
            "date": date,
            "rate_s": rate_s,
            "sentences": list(sentences),
            "noise_m": noise_m,
            "outages": [[o[0], o[1]] for o in outages],
            "outage_border": outage_border,
            "jumps": jumps,
            "garbage": garbage,
            "talkers": list(talkers),
            "shunting": shunting,
            "frozen": frozen,
            "start": start,
            "end": end,
            "gsv": gsv,
            "duration_s": duration_s,
            "wander_m": wander_m,
            "route_path": None if route_path is None else str(route_path),
        },
        "model": {
            "earth_radius_m": EARTH_RADIUS_M,
            "accel_ms2": ACCEL_MS2,
            "brake_ms2": BRAKE_MS2,
            "bridge_speed_kmh": BRIDGE_SPEED_KMH,
            "noise": f"Gauss-Markov per axis, tau {NOISE_TAU_S:g} s",
            "path_length_m": round(path.length_m, 1),
        },
        "track": {"from_utc": iso_utc(win_lo), "to_utc": iso_utc(win_hi)},
        "stops": stops_out,
        "runs": runs,
        "passes": [{"point": pid, "utc": iso_utc(t_s)} for t_s, pid in passes],
        "border_crossing_utc": iso_utc(main[0]) if main else None,
        "border_crossings_utc": [iso_utc(t_s) for t_s in crossings],
        "border_band_m": round(band_m, 1),
        "border_band_utc": [[iso_utc(a), iso_utc(b)] for a, b in band],
        "legs": legs,
        "shunting": [r for r in shunts if in_window(parse_iso_utc(r["from_utc"]))],
        "faults": faults,
        "notes": notes,
        "epochs": n_ep,
        "sentences": n_sentences,
    }
    return b"".join(out), truth


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
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a date YYYY-MM-DD" % text) from None
    return text


def main(argv=None):
    """Command-line entry point."""
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
    args = ap.parse_args(argv)
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
