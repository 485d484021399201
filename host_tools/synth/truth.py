"""The ground truth of a synthetic journey (host_tools.synth.journey._Journey): stops, passes, the border's
crossings and band, legs and the faults placed, as a JSON-ready dict."""

from host_tools.common.utc import iso_utc
from host_tools.synth.earth import EARTH_RADIUS_M, parse_iso_utc
from host_tools.synth.motion import ACCEL_MS2, BORDER_STATIONS, BRAKE_MS2, BRIDGE_SPEED_KMH
from host_tools.synth.nmea import NOISE_TAU_S

# The border band: where the clock offset cannot be judged. The journey switches the clock 50 m past the
# border line (trainctl.journey.Journey.BORDER_M, its hysteresis), and a receiver with position error
# sigma (noise_m) cannot tell the side of the line any closer than about 2 sigma.
BORDER_HYST_M = 50.0
BORDER_BAND_SIGMA = 2.0


def truth_stops(j):
    stops_out = []
    for st in j.stops:
        if not (j.in_window(st["arr"]) or j.in_window(st["dep"])):
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
    return stops_out

def truth_passes(j):
    """[(UTC s, point id)] of the route points passed without stopping."""
    stop_ids = {st["station"] for st in j.stops}
    return sorted(
        (t_s, p["id"])
        for p in j.points
        if p["id"] is not None and p["id"] not in stop_ids
        for t_s in j.motion.crossings(j.path.s_of(p["id"]))
        if j.in_window(t_s)
    )

def truth_border(j, noise_m, rate_s):
    """The border line's crossings, the band around it (its width m, [first, last] epoch times within it,
    widened by one epoch) and the main crossing(s) between the two border stations."""
    border_s = j.border_s
    crossings = [t_s for t_s in j.motion.crossings(border_s) if j.in_window(t_s)]
    band_m = BORDER_HYST_M + BORDER_BAND_SIGMA * noise_m
    band = []
    for t, st in zip(j.epochs, j.states):
        if abs(st[0] - border_s) <= band_m:
            if band and t - band[-1][1] <= 2 * rate_s:
                band[-1][1] = t + rate_s
            else:
                band.append([t - rate_s, t + rate_s])
    by_id = {st["station"]: st for st in j.stops}
    b_first, b_second = sorted(BORDER_STATIONS, key=lambda sid: by_id[sid]["s_m"])
    main_crossings = [t_s for t_s in crossings if by_id[b_first]["dep"] < t_s < by_id[b_second]["arr"]]
    return crossings, band_m, band, main_crossings

def truth_legs(j):
    legs = []
    win_lo, win_hi = j.epochs[0], j.epochs[-1]
    by_id = {st["station"]: st for st in j.stops}
    leg_defs = j.route["directions"][j.direction]["legs"]
    t_from = win_lo
    for k, leg in enumerate(leg_defs):
        t_to = by_id[leg["to"]]["arr"] if k < len(leg_defs) - 1 else win_hi
        lo, hi = max(t_from, win_lo), min(t_to, win_hi)
        if lo < hi:
            legs.append({"train": leg["train"], "from_utc": iso_utc(lo), "to_utc": iso_utc(hi)})
        t_from = t_to
    return legs

def truth_faults(j):
    epochs = j.epochs

    def span(k, n):
        return {
            "from_utc": iso_utc(epochs[k]),
            "to_utc": iso_utc(epochs[k + n - 1]),
            "epochs": n,
        }

    return {
        "outages": [
            {
                "from_utc": iso_utc(a),
                "to_utc": iso_utc(b),
                "duration_s": round(b - a, 3),
                "epochs": sum(1 for t in epochs if a <= t < b),
                "kind": kind,
            }
            for (a, b), kind in zip(j.outage_iv, j.outage_kinds)
        ],
        "jumps": [
            {**span(k, n), "offset_m": round(d, 1), "bearing_deg": round(b, 2)}
            for (k, n), (d, b) in zip(j.jump_at, j.jump_params)
        ],
        "frozen": [span(k, n) for k, n in j.frozen_at],
        "garbage": j.counts,
    }

def truth(j, args, noise_m, rate_s):
    """The ground truth dict; args: generate()'s arguments as recorded."""
    crossings, band_m, band, main_crossings = truth_border(j, noise_m, rate_s)
    return {
        "direction": j.direction,
        "seed": j.seed,
        "args": args,
        "model": {
            "earth_radius_m": EARTH_RADIUS_M,
            "accel_ms2": ACCEL_MS2,
            "brake_ms2": BRAKE_MS2,
            "bridge_speed_kmh": BRIDGE_SPEED_KMH,
            "noise": f"Gauss-Markov per axis, tau {NOISE_TAU_S:g} s",
            "path_length_m": round(j.path.length_m, 1),
        },
        "track": {"from_utc": iso_utc(j.epochs[0]), "to_utc": iso_utc(j.epochs[-1])},
        "stops": truth_stops(j),
        "runs": j.runs,
        "passes": [{"point": pid, "utc": iso_utc(t_s)} for t_s, pid in truth_passes(j)],
        "border_crossing_utc": iso_utc(main_crossings[0]) if main_crossings else None,
        "border_crossings_utc": [iso_utc(t_s) for t_s in crossings],
        "border_band_m": round(band_m, 1),
        "border_band_utc": [[iso_utc(a), iso_utc(b)] for a, b in band],
        "legs": truth_legs(j),
        "shunting": [r for r in j.shunts if j.in_window(parse_iso_utc(r["from_utc"]))],
        "faults": truth_faults(j),
        "notes": j.notes,
        "epochs": len(j.epochs),
        "sentences": j.n_sentences,
    }
