"""The judgement of a fault-injection journey (host_tools/verify/faults.py): the display timeline across power
cuts and damaged state files, and the passenger counts conserved across the cuts."""

from host_tools.replay import judge
from host_tools.synth import journey as synth

KEYS = ("train", "utc_offset_min", "next_stop", "destination", "at_stop")
STRICT = ("clean", "torn_write")  # damage after which the shown state must come back exactly
LENIENT = ("truncated", "garbage", "deleted")  # the newest copy may be gone: none or a right number
RECOVER_S = 900  # after a state loss the number must be back this long after the next departure


def _allowed(legs, train, t):
    """train may be shown at t: inside its leg or within judge.SWITCH_S after it (not the last leg)."""
    for i, leg in enumerate(legs):
        lag = judge.SWITCH_S if i + 1 < len(legs) else float("inf")
        if leg["train"] == train and judge.epoch(leg["from_utc"]) <= t < judge.epoch(leg["to_utc"]) + lag:
            return True
    return False


def _true_at(legs, t):
    for leg in legs:
        if judge.epoch(leg["from_utc"]) <= t < judge.epoch(leg["to_utc"]):
            return leg["train"]
    return legs[-1]["train"] if legs and t >= judge.epoch(legs[-1]["to_utc"]) else None



def check(events, truth, reboots):
    """Violations of one journey. events: display states from fixes, in order (the ones a controller emits
    while constructed are in the reboots); reboots, in order: dicts at (index into events where the new run
    starts), utc (last time known before the cut), before (state shown at the cut or None), restored (states
    emitted at construction), damage (a STRICT or LENIENT kind). After a LENIENT reboot an older copy of the
    state may come back (judged with the rest: an older number is a flap), or none: then the number may be
    blank until it is known again; that stretch counts as unseen by the judge, but the number must come back."""
    bad = []
    timeline, lost = _timeline(events, truth, reboots, bad)
    outages = list(truth["faults"]["outages"])
    drop = _lost_stretches(timeline, lost, truth, outages, bad)
    timeline = [dict(e, event="display") for i, e in enumerate(timeline) if i not in drop]
    bad += judge.judge(timeline, dict(truth, faults=dict(truth["faults"], outages=_unseen(outages))))
    return bad


def _timeline(events, truth, reboots, bad):
    """The display states in order, with the states restored at each reboot where they count; and the state
    losses, [(index into the timeline, UTC s, reboot)], the cold start first. Restores that break the rules
    are added to bad."""
    legs = truth["legs"]
    timeline, prev = [], 0
    # The cold start is judged like a state loss: blank until the journey is found, and it must be found.
    lost = [(0, judge.epoch(truth["track"]["from_utc"]), {"utc": truth["track"]["from_utc"], "damage": "cold start"})]
    for rb in reboots:
        timeline += events[prev:rb["at"]]
        prev = rb["at"]
        before, restored = rb["before"], rb["restored"]
        t = judge.epoch(rb["utc"]) if rb["utc"] else None
        first = restored[0] if restored else None
        if rb["damage"] in STRICT:
            _check_strict(rb, before, first, bad)
            timeline += [dict(s, utc=rb["utc"]) for s in restored if rb["utc"]]
            continue
        same = before is not None and first is not None and first["train"] == before["train"]
        if first is not None and first["train"] is not None and t is not None and not same and not _allowed(
                legs, first["train"], t):
            bad.append("reboot at %s (%s): restored %s, truth %s" % (rb["utc"], rb["damage"], first["train"],
                                                                     _true_at(legs, t)))
        if t is not None and first is not None and first["train"] is not None:  # an older copy: judged too
            timeline += [dict(s, utc=rb["utc"]) for s in restored]  # (a number going back is a flap)
        elif t is not None:
            lost.append((len(timeline), t, rb))
    timeline += events[prev:]
    return timeline, lost


def _check_strict(rb, before, first, bad):
    """After a clean cut or a torn write: the state shown before comes back exactly."""
    if before is not None and before["train"] is not None:
        if first is None:
            bad.append("reboot at %s (%s): nothing restored, %s was shown" % (rb["utc"], rb["damage"],
                                                                            before["train"]))
        else:
            diff = [k for k in KEYS if first[k] != before[k]]
            if diff:
                bad.append("reboot at %s (%s): restored %s, shown before %s" % (
                    rb["utc"], rb["damage"], {k: first[k] for k in diff}, {k: before[k] for k in diff}))
    elif first is not None and first["train"] is not None:
        bad.append("reboot at %s: restored %s, nothing was shown" % (rb["utc"], first["train"]))


def _lost_stretches(timeline, lost, truth, outages, bad):
    """The blank stretch after each state loss: unseen (appended to outages; returns the timeline indexes to
    drop), and it must end (bad when the number is not back RECOVER_S after a departure)."""
    end_t = judge.epoch(truth["track"]["to_utc"])
    drop = set()
    for k, t, rb in lost:  # the blank stretch after a state loss: unseen, and it must end
        while k < len(timeline) and timeline[k]["train"] is None:
            if rb["damage"] != "cold start":  # (the judge allows a blank number at the start)
                drop.add(k)
            k += 1
        t_back = judge.epoch(timeline[k]["utc"]) if k < len(timeline) else end_t
        outages.append({"from_utc": synth.iso_utc(t), "to_utc": synth.iso_utc(max(t, t_back)), "kind": "lost"})
        if k == len(timeline):
            blind = [(judge.epoch(o["from_utc"]), judge.epoch(o["to_utc"]) + judge.AFTER_OUTAGE_S)
                     for o in truth["faults"]["outages"]]
            deps = [judge.epoch(s["dep_utc"]) for s in truth["stops"] if s["dep_utc"]]
            late = [d for d in deps if d > t and d + RECOVER_S < end_t
                    and not any(a <= d + RECOVER_S <= b for a, b in blind)]
            if late:
                bad.append("%s (%s): no number by the end (departure at %s)" % (
                    rb["utc"], rb["damage"], synth.iso_utc(late[0])))
    return drop


def _unseen(outages):
    """Outages and blank stretches (the cold start is always one) touching: one unseen stretch each."""
    merged = []
    for a, b in sorted((judge.epoch(o["from_utc"]), judge.epoch(o["to_utc"])) for o in outages):
        if merged and a <= merged[-1][1] + judge.AFTER_OUTAGE_S:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [{"from_utc": synth.iso_utc(a), "to_utc": synth.iso_utc(b), "kind": "unseen"} for a, b in merged]


def check_counts(run, ref):
    """Counts conserved across the power cuts of run (ref: the same replay without cuts). A cut after a
    clean or torn write must bring back exactly the counts at the cut. Overall, each station's
    boardings and alightings and the live count may fall short of ref only by the crossings a cut
    interrupted (a person between the beams at that instant, or crossing while the board was dead until
    the next epoch), and never exceed it."""
    bad = []
    strict = True
    for rb in run["reboots"]:
        if rb["damage"] not in STRICT:
            strict = False
            continue
        at, back = rb["tally"]
        if at[0] != back[0] or at[2:] != back[2:]:
            bad.append("reboot at %s (%s): counts at the cut (onboard, stop, in, out) %s, restored %s"
                       % (rb["utc"], rb["damage"], at, back))
    if not strict:  # a damaged state file may lose counts: nothing more to hold it to
        return bad
    slack = run["interrupted"]
    for name in sorted(set(ref["stations"]) | set(run["stations"])):
        want, got = ref["stations"].get(name, (0, 0)), run["stations"].get(name, (0, 0))
        if any(g > w or g < w - slack for w, g in zip(want, got)):
            bad.append("%s: boardings/alightings %s, without power cuts %s (%d crossings interrupted)"
                       % (name, got, want, slack))
    if abs(run["onboard"] - ref["onboard"]) > slack:
        bad.append("on board %d at the end, without power cuts %d" % (run["onboard"], ref["onboard"]))
    return bad

