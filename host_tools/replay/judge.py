"""Judge a replay against a synthetic journey's ground truth (host side).

Checks the journey targets: the train number is never one that is not true at that time (a number
may lag its true change by SWITCH_S, counted from when the change could be seen if it fell in a GPS
outage: _seen_end), never flaps (the sequence of numbers is exactly the truth's), the clock offset is
right except in the border band (synth.BORDER_HYST_M + 2 sigma of the receiver's noise either side of
the line, where the side cannot be told) and for OFFSET_S after leaving it. And what passengers read at
the stops: "at <station>" from STOP_SHOWN_S after stopping at every calling stop until it leaves, the next
stop never one beyond the true next stop nor one already called at, and every calling stop named, the
number within NUMBER_S of leaving the terminus, and fewer than OFF_LINE_FRACTION of the fixes dropped for
being off the line.
"""

import argparse
import json
import sys

from trainctl import route_data

from host_tools.common import cli, utc
from host_tools.common.cli import UsageError, check_track
from host_tools.replay import core as replay_core
from host_tools.synth import journey as synth

SWITCH_S = 120  # the number changes within 2 minutes of the train stopping at Dandong / Sinuiju
OFFSET_S = 30  # the offset changes within 30 s of leaving the border band (or of a crossing, older truths)
BORDER_EXCURSION_S = 120  # older truths: an excursion over the border and back this short may be missed
AFTER_OUTAGE_S = 60  # after fixes return, the receiver's position must first be confirmed
STOP_SHOWN_S = 60  # "at <station>" shown within this of stopping there
NUMBER_S = 300  # the number shown within this of leaving the terminus
OFF_LINE_FRACTION = 0.01  # at most this share of the fixes dropped as off the line (or while searching it),
COLD_LOCK_FIXES = 60  # besides the fixes of the first whole-route search at a cold start (SEG_N / 48)
STEP_S = 5  # the stop checks sample the display this often
COLD_START_S = 1200  # a track that begins under way: a first leg over within this may go unshown


def epoch(iso):
    """Seconds (float) since 1970 of an ISO-8601 UTC time with Z."""
    if iso is None:
        return None
    return utc.utc_s(iso)


def _true_train(legs, t):
    for leg in legs:
        if epoch(leg["from_utc"]) <= t < epoch(leg["to_utc"]):
            return leg["train"]
    return legs[-1]["train"] if t >= epoch(legs[-1]["to_utc"]) else None


def _offset_at(truth, t):
    """True offset in minutes at t (CN 480 / KP 540), from the crossings list."""
    start_cn = truth["direction"] == "to_pyongyang"
    cn = start_cn
    for c in truth.get("border_crossings_utc") or []:
        if epoch(c) <= t:
            cn = not cn
    return 480 if cn else 540


def _seen_end(truth, leg):
    """When the end of leg can be seen: its end, or, when a GPS outage took the arrival or the switching
    delay after it (the board must see the train stand), AFTER_OUTAGE_S after the fixes came back, or the
    end of a shunting move then in progress (until the train stands at the station again, a slow train
    near it may as well still be arriving)."""
    end = epoch(leg["to_utc"])
    seen = end
    for o in truth["faults"]["outages"]:
        a, b = epoch(o["from_utc"]), epoch(o["to_utc"])
        if a <= end + SWITCH_S and end <= b:
            seen = max(seen, b + AFTER_OUTAGE_S)
            for m in truth.get("shunting") or []:
                if epoch(m["from_utc"]) <= b <= epoch(m["to_utc"]):
                    seen = max(seen, epoch(m["to_utc"]))
    return seen


def _station_names(truth):
    """Station id -> the English name the replay prints, from the truth's route source."""

    route = synth.load_route(truth.get("args", {}).get("route_path"))
    return {p["id"]: p.get("en") for p in route["points"]}


def _shown_at(disp, times):
    """The display event in force at each of the (ascending) times, None before the first."""
    out, k = [], -1
    for t in times:
        while k + 1 < len(disp) and epoch(disp[k + 1]["utc"]) <= t:
            k += 1
        out.append(disp[k] if k >= 0 else None)
    return out


def judge_stops(events, truth):
    """What passengers read at the stops (see the module's docstring); a list of violations."""
    bad = []
    disp = [e for e in events if e.get("event") == "display"]
    stops = truth.get("stops") or []
    if not disp or not stops:
        return bad
    names = _station_names(truth)
    begin, end_t = epoch(truth["track"]["from_utc"]), epoch(truth["track"]["to_utc"])
    blind = [(epoch(o["from_utc"]), epoch(o["to_utc"]) + AFTER_OUTAGE_S) for o in truth["faults"]["outages"]]

    def excused(t):  # no fix then, or too short a time after fixes came back to see the stop
        return any(a <= t <= b + STOP_SHOWN_S for a, b in blind)

    span = (begin, end_t)
    bad += _judge_at_stops(disp, stops, names, span, excused)
    bad += _judge_next_stops(disp, stops, names, span, excused)
    # 3. The number within NUMBER_S of leaving the terminus.
    dep = epoch(stops[0]["dep_utc"]) if stops[0]["dep_utc"] else None
    if stops[0]["stopped_utc"] is None and dep is not None and begin < dep:
        first = next((epoch(e["utc"]) for e in disp if e["train"] is not None), None)
        if (first is None or first > dep + NUMBER_S) and not excused(dep + NUMBER_S):
            bad.append("the number is first shown %s, more than %d s after leaving %s" % (
                "never" if first is None else "%+.0f s after departure" % (first - dep), NUMBER_S,
                names[stops[0]["station"]]))
    # 4. Fixes dropped for being off the line.
    summ = [e for e in events if e.get("event") == "summary"]
    if summ and summ[-1].get("fixes"):
        sm = summ[-1]
        off = sm.get("off_route", 0) + sm.get("searching", 0)
        if off > OFF_LINE_FRACTION * sm["fixes"] + COLD_LOCK_FIXES:
            bad.append("%d of %d fixes dropped as off the line or while searching it (more than %g %% + %d)"
                       % (off, sm["fixes"], 100 * OFF_LINE_FRACTION, COLD_LOCK_FIXES))
    return bad


def _judge_at_stops(disp, stops, names, span, excused):
    """1. "at <station>" while standing at every calling stop, from STOP_SHOWN_S after stopping."""
    bad = []
    begin, end_t = span
    for s in stops:
        a = epoch(s["stopped_utc"]) if s["stopped_utc"] else begin
        b = epoch(s["dep_utc"]) if s["dep_utc"] else end_t
        times = [t for t in range(int(a + STOP_SHOWN_S), int(b)) if (t - int(a)) % STEP_S == 0]
        for t, e in zip(times, _shown_at(disp, times)):
            if (e is None or e["at_stop"] != names[s["station"]]) and not excused(t):
                bad.append("%s: standing at %s since %+.0f s, the display says at=%r" % (
                    _iso(t), names[s["station"]], t - a, None if e is None else e["at_stop"]))
                break
    return bad


def _judge_next_stops(disp, stops, names, span, excused):
    """2. The next stop is never one beyond the true next one, and every calling stop is named."""
    bad = []
    begin, end_t = span
    order = {names[s["station"]]: k for k, s in enumerate(stops)}
    times = list(range(int(begin), int(end_t), STEP_S))
    for t, e in zip(times, _shown_at(disp, times)):
        if e is None or e["next_stop"] is None or excused(t):
            continue
        true_next = next((k for k, s in enumerate(stops) if k > 0 and (s["dep_utc"] is None or epoch(s["dep_utc"]) > t)
                          and not (s["stopped_utc"] and epoch(s["stopped_utc"]) <= t)), len(stops))
        k = order.get(e["next_stop"])
        if k is not None and k > true_next:
            bad.append("%s: next stop %s shown, but the train has not yet called at %s" % (
                _iso(t), e["next_stop"], names[stops[true_next]["station"]]))
            break
        if k is not None and k < true_next:  # stale: a stop already called at (but just after stopping there)
            got = stops[k]["stopped_utc"]
            if not (k == true_next - 1 and got and t < epoch(got) + STOP_SHOWN_S):
                bad.append("%s: next stop %s shown, but the train has already called there" % (
                    _iso(t), e["next_stop"]))
                break
    named = {e["next_stop"] for e in disp} | {e["at_stop"] for e in disp}
    for s in stops[1:]:
        a = epoch(s["stopped_utc"])
        if names[s["station"]] not in named and not excused(a):
            bad.append("%s: never named as the next stop or the stop the train is at" % names[s["station"]])
    return bad


def _iso(t):
    return utc.iso_utc(t)


def judge(events, truth):
    """events: display dicts in order; returns a list of violation strings (empty = all good)."""
    disp = [e for e in events if e.get("event") == "display"]
    if not disp:
        return ["no display event"]
    # Without fixes nothing can be known: during an outage (and just after) the last state may stay.
    blind = [(epoch(o["from_utc"]), epoch(o["to_utc"]) + AFTER_OUTAGE_S) for o in truth["faults"]["outages"]]

    def unseen(a, b):
        return any(x <= a and b <= y for x, y in blind)

    bad = _judge_numbers(disp, truth, unseen)
    bad += _judge_shown(disp, truth, unseen)
    bad += _judge_switch(disp, truth, unseen)
    return bad + judge_stops(events, truth)


def _judge_numbers(disp, truth, unseen):
    """1. Never flap: the distinct numbers shown are the truth's, in order (a null only at the start)."""
    bad = []
    legs = truth["legs"]
    shown = []
    for e in disp:
        if not shown or shown[-1] != e["train"]:
            shown.append(e["train"])
    if shown and shown[0] is None:
        shown = shown[1:]
    if None in shown:
        bad.append("number went back to null: %r" % shown)
    begin = epoch(truth["track"]["from_utc"])
    # A cold start mid-route (the track begins with the train under way): the first leg may end before the coach
    # can know its direction (journey.py: by leaving or reaching a station, or travel beyond the line's error).
    cold = [i for i, leg in enumerate(legs) if i == 0 and epoch(leg["to_utc"]) <= begin + COLD_START_S
            and (truth.get("stops") or [{}])[0].get("stopped_utc") is not None]
    want = [leg["train"] for i, leg in enumerate(legs)
            if leg["train"] in shown or not (unseen(epoch(leg["from_utc"]), epoch(leg["to_utc"])) or i in cold)]
    if shown != want:
        bad.append("numbers shown %r, truth %r" % (shown, want))
    return bad


def _judge_shown(disp, truth, unseen):
    """2. and 3. for each display state, over the time it was shown: the number and the offset."""
    bad = []
    end_t = epoch(truth["track"]["to_utc"])
    legs = truth["legs"]
    windows = {}
    for i, leg in enumerate(legs):
        lag = SWITCH_S if i + 1 < len(legs) else float("inf")
        windows.setdefault(leg["train"], []).append((epoch(leg["from_utc"]), _seen_end(truth, leg) + lag))
    for i, e in enumerate(disp):
        t0 = epoch(e["utc"])
        t1 = epoch(disp[i + 1]["utc"]) if i + 1 < len(disp) else end_t
        if e["train"] is not None:
            bad += _wrong_number(e, t0, t1, windows.get(e["train"], []), unseen)
        if e["utc_offset_min"] is not None:
            bad += _wrong_offset(e, t0, t1, truth, unseen)
    return bad


def _wrong_number(e, t0, t1, ok, unseen):
    """2. Never wrong: a number is shown only inside its leg, or up to SWITCH_S after the leg ended (ok: those
    windows of e's number); e shown over [t0, t1)."""
    # the parts of [t0, t1) outside every window of this number
    cur = t0
    for a_, b_ in sorted(ok) + [(t1, t1)]:
        lo, hi = cur, min(a_, t1)
        if hi - lo > 0.5 and not unseen(lo, hi):
            return ["%s shows %s, not true for %.0f s from +%.0f s" % (e["utc"], e["train"], hi - lo, lo - t0)]
        cur = max(cur, b_)
        if cur >= t1:
            break
    return []


def _wrong_offset(e, t0, t1, truth, unseen):
    """3. Offset right, except just after a crossing (or across a short excursion over the border)."""
    off = e["utc_offset_min"]
    crossings = [epoch(c) for c in truth.get("border_crossings_utc") or []]
    band = truth.get("border_band_utc")
    band = None if band is None else [(epoch(a), epoch(b)) for a, b in band]
    t = t0
    while t < t1:
        if _offset_at(truth, t) != off:
            if band is not None:  # within the border band, or less than OFFSET_S out of it
                near = any(a <= t < b + OFFSET_S for a, b in band)
                short = False
            else:  # an older truth without the band: just after a crossing, or a short excursion
                near = any(c <= t < c + OFFSET_S for c in crossings)
                short = any(abs(c2 - c1) < BORDER_EXCURSION_S and c1 <= t <= c2 + OFFSET_S
                            for c1, c2 in zip(crossings, crossings[1:]))
            if not near and not short and not unseen(t, t):
                return ["%s: offset %s, truth %s at +%.0f s" % (e["utc"], off, _offset_at(truth, t), t - t0)]
        t += 5
    return []


def _judge_switch(disp, truth, unseen):
    """4. The number changed within SWITCH_S of the train coming to rest at Dandong and Sinuiju.
    (A GPS outage over the arrival: within SWITCH_S of when it could be seen, _seen_end.)"""
    bad = []
    legs = truth["legs"]
    for prev, leg in zip(legs, legs[1:]):
        t_true = epoch(leg["from_utc"])
        first = next((epoch(e["utc"]) for e in disp if e["train"] == leg["train"]), None)
        if first is None:
            continue  # reported above as a missing number
        early = first < t_true - 0.5 and not unseen(first, t_true)  # (blind: the lost-arrival rule may be early)
        if early or first > _seen_end(truth, prev) + SWITCH_S:
            bad.append("%s shown %.0f s after the true change" % (leg["train"], first - t_true))
    return bad


def main(argv=None):
    """python -m host_tools.replay.judge TRACK TRUTH: replay TRACK and judge it against TRUTH (exit 1 if wrong)."""

    ap = argparse.ArgumentParser(prog="python -m host_tools.replay.judge", description=main.__doc__)
    ap.add_argument("track", help="the NMEA track that was replayed (host_tools.synth -o)")
    ap.add_argument("truth", help="its ground truth JSON (host_tools.synth --truth)")
    a = ap.parse_args(argv)
    check_track(a.track)
    with open(a.truth, encoding="utf-8") as f:
        try:
            truth = json.load(f)
        except ValueError as e:
            raise UsageError("%s: not a ground-truth JSON file (%s)" % (a.truth, e)) from None
    missing = [k for k in ("legs", "direction", "faults", "track") if not isinstance(truth, dict) or k not in truth]
    if missing:
        raise UsageError("%s: not a ground-truth file of host_tools.synth (no %s)" % (a.truth, ", ".join(missing)))
    events = []
    replay_core.run_file(route_data, a.track, emit=lambda line: events.append(json.loads(line)))
    bad = judge(events, truth)
    shown = [e["train"] for e in events if e.get("event") == "display"]
    seq = [t for i, t in enumerate(shown) if t is not None and (i == 0 or shown[i - 1] != t)]
    print("judged against the ground truth: numbers %s (truth %s); %d violation(s)"
          % (" -> ".join(seq), " -> ".join(leg["train"] for leg in truth["legs"]), len(bad)))
    for b in bad[:20]:
        print("  " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "judge"))
