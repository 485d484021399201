"""Motion of the synthetic train: rest-to-rest moves with constant acceleration, cruise and braking, the
timetable solved into stops and main-line phases, and the shunting moves at the border stations."""

import bisect
import math

from host_tools.common.utc import iso_utc
from host_tools.synth.earth import MS_TO_KMH, _local_to_utc_s

ACCEL_MS2 = 0.3
BRAKE_MS2 = 0.4
BRIDGE_SPEED_KMH = 20.0
DEFAULT_DWELL_MIN = 2
SHUNT_BORDER_CLEAR_M = 300.0  # shunting stops this far short of the border line
BORDER_STATIONS = ("dandong", "sinuiju")

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

class _Scheduler:
    """The stops' times and the main-line phases, built one timed leg (up to the next stop with a timetable
    time) at a time."""

    def __init__(self, route, direction, path, date):
        self.tt = route["timetable"]
        self.caps_ms = {c: kmh / MS_TO_KMH for c, kmh in self.tt["max_speed_kmh"].items()}
        self.bridge_ms = BRIDGE_SPEED_KMH / MS_TO_KMH
        self.path = path
        self.rows = _timetable_rows(route, direction, date)
        self.stops = [p for p in path.points if p["kind"] == "station" and direction in p.get("calls", [])]
        self.notes, self.runs, self.phases, self.out = [], [], [], []

    def dwell_s(self, station_id):
        minutes = self.tt["dwell_min"].get(station_id)
        if minutes is None:
            self.notes.append(f"no dwell for {station_id}: assumed {DEFAULT_DWELL_MIN} min")
            minutes = DEFAULT_DWELL_MIN
        return minutes * 60.0

    def run_spec(self, a, b):
        dist = self.path.s_of(b["id"]) - self.path.s_of(a["id"])
        if a["country"] != b["country"]:
            return dist, self.bridge_ms, True
        return dist, self.caps_ms[a["country"]], False

    def next_timed(self, i):
        """Index of the first stop after i with a timetable time (the last stop when none has)."""
        stops, rows = self.stops, self.rows
        return next(
            (k for k in range(i + 1, len(stops)) if {"arr", "dep"} & set(rows.get(stops[k]["id"], {}))),
            len(stops) - 1,
        )

    def leg(self, i, j):
        """The runs from stop i to stop j, at the cruise speed that reaches j at its timetable time."""
        stops = self.stops
        row_j = self.rows.get(stops[j]["id"], {})
        target_arr = row_j.get("arr")
        if target_arr is None and "dep" in row_j:
            target_arr = row_j["dep"] - self.dwell_s(stops[j]["id"])
        specs = [self.run_spec(stops[k], stops[k + 1]) for k in range(i, j)]
        dwells = [self.dwell_s(stops[k]["id"]) for k in range(i + 1, j)]
        t_dep = self.out[-1]["dep"]
        free = [(d, cap) for d, cap, fixed in specs if not fixed]
        cruise = None
        if target_arr is not None and free:
            fixed_s = sum(run_time_s(d, cap) for d, cap, fixed in specs if fixed)
            cruise = _solve_cruise_ms(free, target_arr - t_dep - sum(dwells) - fixed_s)
            if cruise is None:
                self.notes.append(
                    f"{stops[i]['id']}->{stops[j]['id']}: schedule infeasible at max_speed_kmh;"
                    " running at the cap, times slip"
                )
        t = t_dep
        for k in range(i, j):
            dist, cap, fixed = specs[k - i]
            v = cap if (fixed or cruise is None) else min(cruise, cap)
            t = self.run(k, dist, v, t)
            station = stops[k + 1]["id"]
            if k + 1 < j:
                self.out.append({"station": station, "arr": t, "dep": t + dwells[k - i], "tt_arr": None})
                t += dwells[k - i]
            else:
                self.arrive(station, t, j, row_j, target_arr)

    def run(self, k, dist, v, t):
        """The move from stop k to stop k + 1 (dist m at cruise v m/s), starting at t; returns the arrival time."""
        s_a = self.path.s_of(self.stops[k]["id"])
        move, t = _move_phases(t, s_a, s_a + dist, v)
        self.phases.extend(move)
        self.runs.append(
            {
                "from": self.stops[k]["id"],
                "to": self.stops[k + 1]["id"],
                "dist_m": round(dist, 1),
                "peak_kmh": round(max(abs(ph[3]) for ph in move[1:]) * MS_TO_KMH, 2),
            }
        )
        return t

    def arrive(self, station, t, j, row_j, target_arr):
        """Arrival at t at the timed stop j; its departure as the timetable has it, or slipped."""
        dep = row_j.get("dep")
        if j == len(self.stops) - 1:
            dep = None
        elif dep is None or dep < t:
            if dep is not None:
                self.notes.append(f"{station}: late arrival, departure slips")
            dep = t + self.dwell_s(station)
        self.out.append({"station": station, "arr": t, "dep": dep, "tt_arr": row_j.get("arr")})
        if target_arr is not None and abs(t - target_arr) > 1:
            self.notes.append(f"{station}: arrives {t - target_arr:+.0f} s off the timetable")


def _schedule(route, direction, path, date):
    """Stops with arrival/departure times and the main-line phases; plus notes."""
    sch = _Scheduler(route, direction, path, date)
    stops, rows = sch.stops, sch.rows
    origin = stops[0]["id"]
    if "dep" not in rows.get(origin, {}):
        raise ValueError(f"timetable has no departure for origin {origin}")
    sch.out.append({"station": origin, "arr": None, "dep": rows[origin]["dep"], "tt_arr": None})
    i = 0
    while i < len(stops) - 1:
        j = sch.next_timed(i)
        sch.leg(i, j)
        i = j
    for stop in sch.out:
        stop["s_m"] = path.s_of(stop["station"])
    return sch.out, sch.phases, list(dict.fromkeys(sch.notes)), sch.runs


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
