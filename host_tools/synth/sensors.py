"""Seeded synthetic passenger flows through one vestibule's two IR beams, with ground truth (host only).

Model (independent of the firmware): the doorway is a line, x in metres, positive inward; the outer
beam at x = 0, the inner at x = gap_m. A person is a body of depth w_m centred at x(t), a piecewise
linear path; a beam is broken while some body (or luggage) covers its x. From these intervals come the
raw edges (time in ms, before any debouncing), then flicker pulses invert a beam's level briefly.

Hard cases mixed in: groups of 2-3 walking close together (gaps 4-30 cm), people who turn back
with their front past the outer beam, people who pause mid-doorway (0.3-3 s), luggage left in the
doorway for 6-40 s (stuck beam; nobody crosses meanwhile), flicker on both beams at all times
(most pulses shorter than the beam debounce, some longer), and people in the vestibule while the
door is closed (must not count).
Boarding kinds (issue 17; off by default, BOARDING turns them on): people who stop in the doorway for 5-60 s
anywhere across the beams (standing in the outer beam, then walking in, among them), queues of 4-12 people
walking slowly close together with stop-and-go pauses (the followers wait behind), and luggage pushed or
pulled through (the body extended 0.3-0.8 m: a trolley's or a case's handle at beam height bridges the gap).

    flow = generate(seed=1, n_crossings=3000, **BOARDING)

    flow = generate(seed=1, n_crossings=10000)
    result = simulate(flow)    # runs the firmware's Debouncer + BeamCounter on it
    result["accuracy"]         # crossings counted in the right direction / crossings
"""

import argparse
import random
import sys

from trainctl.codes import EV_IN, EV_OUT, EV_STUCK, EV_UNSTUCK
from trainctl.counter import BeamCounter, Tally
from trainctl.debounce import Debouncer

from host_tools.common import cli

DOOR, OUTER, INNER = 0, 1, 2  # input numbers in Flow.edges


class Flow:
    """edges: sorted (t_ms, input, level); crossings: (t_first_ms, t_last_ms, +1 in / -1 out);
    turnbacks, closed_walks: counts; stuck: (t0_ms, t1_ms) luggage intervals; end_ms."""

    def __init__(self):
        self.edges = []
        self.crossings = []
        self.turnbacks = 0
        self.groups = 0
        self.pauses = 0
        self.long_pauses = 0
        self.queues = 0
        self.pushed = 0
        self.closed_walks = 0
        self.stuck = []
        self.flicker_short = 0
        self.flicker_long = 0
        self.end_ms = 0


def _cover(path, w, xb):
    """Time intervals (s) while a body of depth w on a piecewise-linear path [(t, x)...] covers xb."""
    lo, hi = xb - w / 2, xb + w / 2
    out = []
    for (t0, x0), (t1, x1) in zip(path, path[1:]):
        if x0 == x1:
            if lo <= x0 <= hi:
                out.append((t0, t1))
            continue
        ta = t0 + (lo - x0) * (t1 - t0) / (x1 - x0)
        tb = t0 + (hi - x0) * (t1 - t0) / (x1 - x0)
        a, b = max(t0, min(ta, tb)), min(t1, max(ta, tb))
        if a < b:
            out.append((a, b))
    return out


def _union(iv):
    iv = sorted(iv)
    out = []
    for a, b in iv:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


class _Builder:
    def __init__(self, rng, gap_m):
        self.rng = rng
        self.gap_m = gap_m
        self.beams = ([], [])  # broken intervals (s) of the outer and inner beam

    def walk(self, t, direction, w, v, pause=None, turn_at=None):
        """A body walking through from 0.3 m outside to 0.3 m inside (or back); returns (t_first, t_end)."""
        g = self.gap_m
        start = -0.3 - w / 2 if direction > 0 else g + 0.3 + w / 2
        end = g + 0.3 + w / 2 if direction > 0 else -0.3 - w / 2
        path = [(t, start)]
        if turn_at is not None:  # reach turn_at (centre), then walk back out
            t1 = t + abs(turn_at - start) / v
            path += [(t1, turn_at), (t1 + 0.2, turn_at), (t1 + 0.2 + abs(turn_at - start) / v, start)]
        elif pause is not None:  # stop with the centre at pause[0] for pause[1] seconds
            t1 = t + abs(pause[0] - start) / v
            path += [(t1, pause[0]), (t1 + pause[1], pause[0]), (t1 + pause[1] + abs(end - pause[0]) / v, end)]
        else:
            path.append((t + abs(end - start) / v, end))
        first = None
        for k, xb in enumerate((0.0, g)):
            iv = _cover(path, w, xb)
            self.beams[k].extend(iv)
            if iv and (first is None or iv[0][0] < first):
                first = iv[0][0]
        return first, path[-1][0]


BOARDING = {"p_long_pause": 0.06, "p_queue": 0.05, "p_push": 0.08}


def generate(seed=1, n_crossings=10000, gap_m=None, p_group=0.25, p_turn=0.04, p_pause=0.05, p_stuck=0.01,
             flicker_per_s=0.05, p_long_flicker=0.15, p_long_pause=0.0, p_queue=0.0, p_push=0.0):
    """A flow with about n_crossings real crossings (station stops of 4-40 people each). p_long_pause: a
    person stops 5-60 s in the doorway; p_queue: a queue of 4-12 starts; p_push: a person pushes or pulls
    luggage through (each drawn per person, before the other kinds)."""
    rng = random.Random(seed)
    gap_m = gap_m if gap_m is not None else rng.uniform(0.04, 0.08)
    b = _Builder(rng, gap_m)
    f = Flow()
    ppl = _People(rng, b, f, dict(p_group=p_group, p_turn=p_turn, p_pause=p_pause, p_stuck=p_stuck,
                                  p_long_pause=p_long_pause, p_queue=p_queue, p_push=p_push))
    door = []
    t = 5.0
    while len(ppl.truth) < n_crossings:
        for _ in range(rng.randint(0, 2)):  # people in the vestibule while the door is closed
            w, v = rng.uniform(0.22, 0.45), rng.uniform(0.5, 1.6)
            t = b.walk(t, rng.choice((1, -1)), w, v)[1] + rng.uniform(1, 5)
            f.closed_walks += 1
        t_open = t + rng.uniform(1, 3)
        t = t_open + rng.uniform(1.5, 3)
        people = rng.randint(4, 40)
        n_out = rng.randint(0, people)
        k = 0
        while k < people:
            t, k = ppl.next(t, k, people, -1 if k < n_out else 1)
        t_close = t + rng.uniform(1, 4)
        door.append((t_open, t_close))
        t = t_close + rng.uniform(5, 60)
    f.end_ms = int(t * 1000) + 5000
    edges = []
    for j in (0, 1):
        levels = _edges(_union(b.beams[j]))
        levels = _flicker(rng, levels, f, f.end_ms, flicker_per_s, p_long_flicker)
        edges += [(tm, OUTER + j, lv) for tm, lv in levels]
    edges += [(tm, DOOR, lv) for tm, lv in _edges(door)]
    edges.sort()
    f.edges = edges
    f.crossings = [(int(a * 1000), int(z * 1000), d) for a, z, d in ppl.truth]
    return f


class _People:
    """generate()'s people at a stop, one draw at a time: luggage left in the doorway, a person (with a bag, or
    pushing luggage) who stops long, a queue, a turn-back, a pause, or a group. truth: (first beam break s,
    end s, direction) of every real crossing."""

    def __init__(self, rng, b, f, p):
        self.rng, self.b, self.f, self.p = rng, b, f, p
        self.truth = []

    def next(self, t, k, people, direction):
        """The next draw from time t, person k of people; returns (time after it, k after it)."""
        rng, b, f, p = self.rng, self.b, self.f, self.p
        gap_m = b.gap_m
        r = rng.random()
        if r < p["p_stuck"]:
            t0 = t
            t1 = t0 + rng.uniform(6, 40)
            which = rng.choice(((0,), (1,), (0, 1)))
            for j in which:
                b.beams[j].append((t0, t1))
            f.stuck.append((int(t0 * 1000), int(t1 * 1000)))
            return t1 + rng.uniform(0.5, 2), k
        w = rng.uniform(0.22, 0.45)
        if rng.random() < 0.1:
            w += 0.2  # with a bag
        v = rng.uniform(0.5, 1.6)
        if p["p_push"] and rng.random() < p["p_push"]:
            w += rng.uniform(0.3, 0.8)  # a trolley or a case pushed ahead or pulled behind
            v = rng.uniform(0.4, 1.0)
            f.pushed += 1
        if p["p_long_pause"] and rng.random() < p["p_long_pause"]:
            where = rng.uniform(-w / 2 + 0.01, gap_m + w / 2 - 0.01)  # covering one beam or both
            first, end = b.walk(t, direction, w, v, pause=(where, rng.uniform(5, 60)))
            self.truth.append((first, end, direction))
            f.long_pauses += 1
            return end + rng.uniform(0.3, 2), k + 1
        if p["p_queue"] and rng.random() < p["p_queue"]:
            return self.queue(t, k, people, direction, w)
        r = rng.random()
        if r < p["p_turn"]:
            lo, hi = -w / 2 + 0.02, gap_m + w / 2 - 0.02  # front past the outer beam, back not past the inner
            turn = rng.uniform(lo, hi) if direction > 0 else rng.uniform(lo, hi)
            f.turnbacks += 1
            return b.walk(t, direction, w, v, turn_at=turn)[1] + rng.uniform(0.3, 2), k
        if r < p["p_turn"] + p["p_pause"]:
            where = rng.uniform(-w / 2, gap_m + w / 2)
            first, end = b.walk(t, direction, w, v, pause=(where, rng.uniform(0.3, 3)))
            self.truth.append((first, end, direction))
            f.pauses += 1
            return end + rng.uniform(0.3, 2), k + 1
        size = 1
        if r < p["p_turn"] + p["p_pause"] + p["p_group"]:
            size = rng.randint(2, 3)
            f.groups += 1
        tt = t
        for _ in range(min(size, people - k)):
            first, end = b.walk(tt, direction, w, v)
            self.truth.append((first, end, direction))
            k += 1
            tt += (w + rng.uniform(0.04, 0.30)) / v  # the next body's front 4-30 cm behind this one's back
            w = rng.uniform(0.22, 0.45)
        return end + rng.uniform(0.3, 2.5), k

    def queue(self, t, k, people, direction, w):
        """A queue of 4-12 at one slow pace, stop and go (the ones behind wait as long)."""
        rng, b, gap_m = self.rng, self.b, self.b.gap_m
        tt = t
        self.f.queues += 1
        vq = rng.uniform(0.3, 0.8)  # one pace: nobody walks into the one in front
        for _ in range(min(rng.randint(4, 12), people - k)):
            kw = {}
            if rng.random() < 0.3:  # stop and go: the ones behind wait as long
                kw = {"pause": (rng.uniform(-w / 2 + 0.01, gap_m + w / 2 - 0.01), rng.uniform(1, 10))}
            first, end = b.walk(tt, direction, w, vq, **kw)
            self.truth.append((first, end, direction))
            k += 1
            tt += (w + rng.uniform(0.04, 0.30)) / vq + (kw["pause"][1] if kw else 0)
            w = rng.uniform(0.22, 0.45)
        return end + rng.uniform(0.3, 2.5), k


def scenario(walks, gap_m=0.06, luggage=(), pulses=(), end_s=None):
    """A flow with the door open from 0.5 s: walks = [(t_s, direction, w_m, v_mps, kw)] where kw is
    {} or {"pause": (x_m, s)} or {"turn_at": x_m} (no crossing); luggage = [(t0_s, t1_s, beams)];
    pulses = [(beam 0/1, t_ms, dur_ms)] flicker (level inverted)."""
    b = _Builder(random.Random(0), gap_m)
    f = Flow()
    truth = []
    last = 1.0
    for t, direction, w, v, kw in walks:
        first, end = b.walk(t, direction, w, v, **kw)
        if "turn_at" in kw:
            f.turnbacks += 1
        else:
            truth.append((first, end, direction))
        last = max(last, end)
    for t0, t1, beams in luggage:
        for j in beams:
            b.beams[j].append((t0, t1))
        f.stuck.append((int(t0 * 1000), int(t1 * 1000)))
        last = max(last, t1)
    end_s = end_s if end_s is not None else last + 2
    edges = [(500, DOOR, 1), (int(end_s * 1000), DOOR, 0)]
    for j in (0, 1):
        lv = _edges(_union(b.beams[j]))
        mine = [(t, t + d) for k, t, d in pulses if k == j]
        lv = _xor(lv, mine)
        edges += [(tm, OUTER + j, x) for tm, x in lv]
    f.edges = sorted(edges)
    f.crossings = [(int(a * 1000), int(z * 1000), d) for a, z, d in truth]
    f.end_ms = int(end_s * 1000) + 1000
    return f


def _edges(iv):
    out = []
    for a, z in iv:
        ta, tz = int(a * 1000), int(z * 1000)
        if tz > ta:
            if out and out[-1][0] >= ta:  # touching intervals at ms resolution merge
                out.pop()
                out.append((tz, 0))
            else:
                out += [(ta, 1), (tz, 0)]
    return out


def _flicker(rng, edges, f, end_ms, rate, p_long):
    """Invert the level for short pulses (Poisson in time): 1-12 ms mostly, 16-40 ms with p_long."""
    pulses = []
    t = 0.0
    while rate > 0:
        t += rng.expovariate(rate) * 1000
        if t >= end_ms:
            break
        if rng.random() < p_long:
            d = rng.uniform(16, 40)
            f.flicker_long += 1
        else:
            d = rng.uniform(1, 12)
            f.flicker_short += 1
        pulses.append((int(t), int(t + d) + 1))
    return _xor(edges, pulses)


def _xor(edges, pulses):
    """Edges of (level of edges) XOR (1 during the pulses [a, z) ms)."""
    marks = sorted([(tm, 0, lv) for tm, lv in edges] + [(a, 1, 1) for a, _ in pulses] + [(z, 1, 0) for _, z in pulses])
    base = pul = 0
    level = 0
    out = []
    for tm, kind, lv in marks:
        if kind == 0:
            base = lv
        else:
            pul = lv
        new = base ^ pul
        if new != level:
            if out and out[-1][0] == tm:
                out.pop()
            else:
                out.append((tm, new))
            level = new
    return out


def simulate(flow, poll_ms=5, beam_settle_ms=15, door_settle_ms=100, stuck_ms=None):
    """Run the firmware's Debouncer + Tally + BeamCounter over the flow; match counts to crossings."""
    events, ctr = _count(flow, poll_ms, (door_settle_ms, beam_settle_ms, beam_settle_ms), stuck_ms)
    edges = flow.edges
    counts = [(tm, 1 if k == EV_IN else -1) for tm, k in events if k in (EV_IN, EV_OUT)]
    matched, false, missed = _match(flow.crossings, counts, beam_settle_ms + 3 * poll_ms)
    opened, shut = [], 0  # counts while the door was shut (debounced: door_settle_ms after the edges)
    for tm, inp, lv in edges:
        if inp == DOOR:
            if lv:
                opened.append([tm, None])
            elif opened:
                opened[-1][1] = tm
    for tm, _ in counts:
        if not any(a + door_settle_ms <= tm <= (z if z is not None else tm) + door_settle_ms + poll_ms
                   for a, z in opened):
            shut += 1
    return {
        "missed": sorted(missed),
        "crossings": len(flow.crossings),
        "matched": matched,
        "false_counts": false,
        "counts_door_shut": shut,
        "accuracy": matched / max(1, len(flow.crossings)),
        "ins": ctr.ins,
        "outs": ctr.outs,
        "stuck_events": sum(1 for _, k in events if k == EV_STUCK),
        "unstuck_events": sum(1 for _, k in events if k == EV_UNSTUCK),
        "stuck_at_end": ctr.stuck,
    }


def _count(flow, poll_ms, settle_ms, stuck_ms):
    """The flow's edges polled every poll_ms through the firmware's Debouncer (settle_ms: door, outer, inner)
    into a BeamCounter; returns ([(t_ms, event kind)], the counter)."""
    raw = [0, 0, 0]
    bank = Debouncer([lambda: raw[0], lambda: raw[1], lambda: raw[2]], settle_ms)
    events = []
    now = [0]
    tally = Tally(1, on_event=lambda kind, door: events.append((now[0], kind)))
    tally.begin_stop(0)
    ctr = BeamCounter(bank.out, OUTER, INNER, (DOOR,), tally, door=0, **({"stuck_ms": stuck_ms} if stuck_ms else {}))
    edges = flow.edges
    i, t, n = 0, 0, len(edges)
    while i < n or not bank.settled():
        if i < n and bank.settled():  # nothing changes until the next edge: skip ahead in steps of <= 10 s
            tn = (edges[i][0] - 1) // poll_ms * poll_ms
            while tn > t:
                dt = min(tn - t, 10000)
                t += dt
                now[0] = t
                bank.poll(dt)
                ctr.update(dt)
        t += poll_ms
        while i < n and edges[i][0] <= t:
            raw[edges[i][1]] = edges[i][2]
            i += 1
        now[0] = t
        bank.poll(poll_ms)
        ctr.update(poll_ms)
    return events, ctr


def _match(crossings, counts, slack):
    """Counts [(t_ms, direction)] matched to the true crossings: (matched, false counts, crossings missed)."""
    pending = {1: [], -1: []}
    for c in crossings:
        pending[c[2]].append(c)
    # A count is matched to a crossing of its direction from the crossing's first beam break to its end +
    # slack, or to the end of the next crossing when that one started before this one ended (two people close
    # together: the first is counted when the second's order of beams proves it went through).
    ends = {}
    for d in (1, -1):
        lst = pending[d]
        ends[d] = [max(z, lst[k + 1][1]) if k + 1 < len(lst) and lst[k + 1][0] <= z else z
                   for k, (_, z, _) in enumerate(lst)]
    used = {1: 0, -1: 0}  # truth crossings are sorted by start; greedy earliest-window match
    matched, false = 0, 0
    taken = set()
    for tm, d in counts:
        ok = False
        lst = pending[d]
        j = used[d]
        while j < len(lst) and ends[d][j] + slack < tm and (d, j) in taken:
            j += 1
        used[d] = j
        for k in range(j, len(lst)):
            a, z, _ = lst[k]
            if a > tm:
                break
            if (d, k) not in taken and a <= tm <= ends[d][k] + slack:
                taken.add((d, k))
                ok = True
                break
        if ok:
            matched += 1
        else:
            false += 1
    missed = [c for d in (1, -1) for k, c in enumerate(pending[d]) if (d, k) not in taken]
    return matched, false, missed


def main(argv=None):
    """python -m host_tools.synth.sensors: generate a seeded passenger flow and count it with the firmware."""
    ap = argparse.ArgumentParser(prog="python -m host_tools.synth.sensors", description=main.__doc__)
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--crossings", type=int, default=3000, help="real crossings to generate (default 3000)")
    ap.add_argument("--boarding", action="store_true",
                    help="mix in the boarding kinds: 5-60 s stops in the doorway, queues, luggage pushed through")
    ap.add_argument("--stuck-ms", type=int, help="the counter's stuck-beam report threshold (default: firmware's)")
    a = ap.parse_args(argv)
    if a.crossings < 1 or a.crossings > 10 ** 6:
        ap.error("--crossings: 1..1000000")
    f = generate(seed=a.seed, n_crossings=a.crossings, **(BOARDING if a.boarding else {}))
    r = simulate(f, stuck_ms=a.stuck_ms)
    print("accuracy %.4f on %d crossings: %d missed, %d false counts, %d counted with the door shut; %d long pauses, "
          "%d queues, %d pushed, %d luggage left, %d walks with the door shut"
          % (r["accuracy"], r["crossings"], r["crossings"] - r["matched"], r["false_counts"], r["counts_door_shut"],
             f.long_pauses, f.queues, f.pushed, len(f.stuck), f.closed_walks))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(cli.guard(main, "sensor_synth"))
