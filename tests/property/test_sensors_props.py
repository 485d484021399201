"""Property tests (CPython) for the sensor logic: debouncer against glitch trains, the passenger counter
against generated crossings with ground truth (host_tools.synth.sensors, an independent geometric model),
and the door alarm against speed profiles, contact chatter and GPS losses."""

from hyp import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from trainctl.debounce import Debouncer
from trainctl.doors import DoorMonitor

from host_tools.synth import sensors as S

# --- (a) debouncer ----------------------------------------------------------------------------------


def _run(segments, settle, poll):
    """Raw signal = consecutive (duration_ms, level) segments from t=0 (before: 0); polls at k*poll.
    Returns [(t, sample, out)] per poll."""
    edges = []
    t = 0
    for dur, lv in segments:
        edges.append((t, lv))
        t += dur
    edges.append((t, segments[-1][1]))
    end = t + settle + 3 * poll
    raw = [0]
    b = Debouncer([lambda: raw[0]], settle)
    out = []
    i = 0
    tp = 0
    while tp <= end:
        while i < len(edges) and edges[i][0] <= tp:
            raw[0] = edges[i][1]
            i += 1
        b.poll(poll)
        out.append((tp, raw[0], b.out[0]))
        tp += poll
    return out, edges


def _oracle(samples, settle):
    """Expected output per poll from runs of equal samples: a run that has lasted settle ms sets it."""
    out, cur = [], 0
    run_start, run_lv = None, None
    for t, s, _ in samples:
        if s != run_lv:
            run_start, run_lv = t, s
        if s != cur and t - run_start >= settle:
            cur = s
        out.append(cur)
    return out


@settings(max_examples=examples(300))
@given(settle=st.integers(0, 200), poll=st.integers(1, 40),
       segs=st.lists(st.tuples(st.integers(1, 400), st.integers(0, 1)), min_size=1, max_size=40))
def test_debouncer_matches_the_run_length_oracle(settle, poll, segs):
    samples, _ = _run(segs, settle, poll)
    assert [o for _, _, o in samples] == _oracle(samples, settle)


@settings(max_examples=examples(300))
@given(settle=st.integers(1, 200), poll=st.integers(1, 40), data=st.data())
def test_glitches_shorter_than_settle_never_change_the_output(settle, poll, data):
    # pulses to 1 shorter than settle, separated by at least one poll period at 0
    n = data.draw(st.integers(1, 30))
    segs = [(data.draw(st.integers(0, 100)) + poll, 0)]
    for _ in range(n):
        segs.append((data.draw(st.integers(1, max(1, settle - 1))), 1) if settle > 1 else (1, 0))
        segs.append((poll + data.draw(st.integers(0, 300)), 0))
    samples, _ = _run(segs, settle, poll)
    assert all(o == 0 for _, _, o in samples)


@settings(max_examples=examples(300))
@given(settle=st.integers(0, 200), poll=st.integers(1, 40), data=st.data())
def test_a_stable_change_is_followed_within_settle_plus_poll(settle, poll, data):
    # chatter of any kind, then a level held: the output follows within settle + 2 polls,
    # settle + 1 poll when the poll period divides the settle time
    segs = data.draw(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 1)), max_size=20))
    lv = data.draw(st.integers(0, 1))
    segs.append((settle + 3 * poll + 50, lv))
    samples, edges = _run(segs, settle, poll)
    t_change = edges[-2][0]
    while len(edges) > 2 and edges[-3][1] == lv:  # the level may have started earlier
        edges.pop(-2)
        t_change = edges[-2][0]
    bound = settle + (poll if settle % poll == 0 else 2 * poll)
    assert all(o == lv for t, _, o in samples if t >= t_change + bound)
    assert all(o == samples[-1][2] for t, _, o in samples if t >= t_change + settle + 2 * poll)


# --- (b) passenger counter ----------------------------------------------------------------------------

walk = st.tuples(st.sampled_from((1, -1)), st.floats(0.22, 0.65), st.floats(0.5, 1.6))
beam_gap = st.floats(0.04, 0.08)


def _pulses(draw_list, poll, settle):
    """Flicker pulses shorter than the beam settle time, at least two polls apart."""
    out = []
    for beam, t, d in sorted(draw_list, key=lambda p: p[1]):
        if out and t < out[-1][1] + out[-1][2] + 2 * poll:
            continue
        out.append((beam, t, min(d, settle - 1)))
    return out


@settings(max_examples=examples(200))
@given(people=st.lists(walk, min_size=1, max_size=6), gap_m=beam_gap,
       flicker=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 20000), st.integers(1, 14)), max_size=30))
def test_separate_people_each_counted_once_in_their_direction(people, gap_m, flicker):
    walks, t = [], 1.0
    for d, w, v in people:
        walks.append((t, d, w, v, {}))
        t += (w + 0.8) / v + 0.3
    f = S.scenario(walks, gap_m=gap_m, pulses=_pulses(flicker, 5, 15))
    r = S.simulate(f)
    assert r["ins"] == sum(1 for p in people if p[0] > 0) and r["outs"] == sum(1 for p in people if p[0] < 0), r
    assert r["accuracy"] == 1.0 and r["false_counts"] == 0, r


@settings(max_examples=examples(200))
@given(d=st.sampled_from((1, -1)), n=st.integers(2, 3), v=st.floats(0.5, 1.6), gap_m=beam_gap,
       ws=st.lists(st.floats(0.22, 0.65), min_size=3, max_size=3),
       gaps=st.lists(st.floats(0.04, 0.30), min_size=2, max_size=2))
def test_people_close_together_all_counted(d, n, v, gap_m, ws, gaps):
    walks, t = [], 1.0
    for k in range(n):
        walks.append((t, d, ws[k], v, {}))
        if k < n - 1:
            t += (ws[k] + gaps[k]) / v  # the next front 4-30 cm behind this back
    r = S.simulate(S.scenario(walks, gap_m=gap_m))
    assert (r["ins"], r["outs"]) == ((n, 0) if d > 0 else (0, n)), (r, walks)


@settings(max_examples=examples(200))
@given(p=walk, gap_m=beam_gap, depth=st.floats(0.02, 0.98), then=walk)
def test_turning_back_counts_nothing(p, gap_m, depth, then):
    d, w, v = p
    lo, hi = -w / 2 + 0.02, gap_m + w / 2 - 0.02  # centre: front past the outer beam, back not past the inner
    x = lo + depth * (hi - lo) if d > 0 else hi - depth * (hi - lo)
    t2 = 1.0 + 2 * (w + 0.8) / v + 1.0
    walks = [(1.0, d, w, v, {"turn_at": x}), (t2, then[0], then[1], then[2], {})]
    r = S.simulate(S.scenario(walks, gap_m=gap_m))
    assert (r["ins"], r["outs"]) == ((1, 0) if then[0] > 0 else (0, 1)), r


@settings(max_examples=examples(100))
@given(p=walk, gap_m=beam_gap, pause_at=st.floats(0, 1), pause_s=st.floats(0.2, 2.0),
       stuck=st.tuples(st.floats(5, 30), st.sampled_from(((0,), (1,), (0, 1)))))
def test_pauses_count_and_luggage_stops_counting_until_cleared(p, gap_m, pause_at, pause_s, stuck):
    d, w, v = p
    x = -w / 2 + pause_at * (gap_m + w)
    t_lug = 1.0 + (w + 0.8) / v + pause_s + 1.0
    t_after = t_lug + stuck[0] + 1.0
    walks = [(1.0, d, w, v, {"pause": (x, pause_s)}), (t_after, d, w, v, {})]
    f = S.scenario(walks, gap_m=gap_m, luggage=[(t_lug, t_lug + stuck[0], stuck[1])])
    r = S.simulate(f, stuck_ms=4000)  # the stuck flag (a report since issue 17; default 90 s) at 4 s here
    assert (r["ins"], r["outs"]) == ((2, 0) if d > 0 else (0, 2)), r
    assert r["stuck_events"] == r["unstuck_events"] == 1 and r["stuck_at_end"] == 0, r


def test_accuracy_over_10000_generated_crossings_with_hard_cases():
    """The issue's target: >= 99 % of crossings counted in the right direction, hard cases mixed in."""
    f = S.generate(seed=2026, n_crossings=10000)
    r = S.simulate(f, stuck_ms=4000)  # luggage left 6-40 s: each one reported as a stuck beam
    print("counting accuracy %.4f on %d crossings (%d groups, %d turn-backs, %d pauses, %d luggage, %d+%d flicker, "
          "%d walks with the door closed): %d missed, %d false counts"
          % (r["accuracy"], r["crossings"], f.groups, f.turnbacks, f.pauses, len(f.stuck), f.flicker_short,
             f.flicker_long, f.closed_walks, r["crossings"] - r["matched"], r["false_counts"]))
    assert r["crossings"] >= 10000
    assert f.groups > 1000 and f.turnbacks > 200 and f.pauses > 200 and len(f.stuck) > 50 and f.flicker_long > 300
    assert r["accuracy"] >= 0.99, r
    assert r["false_counts"] <= 0.002 * r["crossings"], r
    assert r["stuck_events"] >= len(f.stuck) and r["stuck_events"] == r["unstuck_events"] and not r["stuck_at_end"]


# --- (c) door alarm -------------------------------------------------------------------------------------

POLL = 20
DOOR_SETTLE = 100


def _train(fix_speed_cms, door_raw, gps_lost, hold_ms=30000):
    """Run Debouncer + DoorMonitor on 1 Hz speeds (cm/s), a raw door level per ms (function of t), and
    GPS loss (function of t). Returns [(t_ms, alarm_any)] per poll."""
    raw = [0]
    bank = Debouncer([lambda: raw[0]], DOOR_SETTLE)
    m = DoorMonitor(bank.out, index=(0,), exterior=(1,), hold_ms=hold_ms)
    out = []
    for k in range(len(fix_speed_cms) * 1000 // POLL):
        t = k * POLL
        if t % 1000 == 0 and not gps_lost(t):
            m.speed(fix_speed_cms[t // 1000])
        raw[0] = door_raw(t)
        bank.poll(POLL)
        out.append((t, m.update(POLL)))
    return out


@settings(max_examples=examples(200))
@given(v0=st.integers(0, 100), accel=st.integers(10, 100), phase_ms=st.integers(0, 999))
def test_alarm_within_one_second_of_crossing_the_threshold_with_a_door_open(v0, accel, phase_ms):
    # true speed v(t) = v0 + accel * t (cm/s, t in s) from t = -phase; fixes each second report it
    speeds = [v0 + accel * (s + phase_ms / 1000) for s in range(60)]
    t_cross = (139 - v0) / accel - phase_ms / 1000  # seconds, when the true speed passes 139 cm/s
    out = _train(speeds, lambda t: 1, lambda t: False)
    raised = next(t for t, a in out if a)
    assert raised / 1000 <= max(0, t_cross) + 1.0 + POLL / 1000
    assert all(a == 0 for t, a in out if t / 1000 < t_cross)


@settings(max_examples=examples(200))
@given(chatter=st.lists(st.tuples(st.integers(POLL, 3000), st.integers(1, DOOR_SETTLE - 1)), min_size=1, max_size=40))
def test_no_false_alarm_from_contact_chatter(chatter):
    # a closed door whose contact chatters open for less than the settle time, at least one poll apart
    pulses, t, k = [], 0, 0
    while t < 120000:
        gap, d = chatter[k % len(chatter)]
        pulses.append((t + gap, t + gap + d))
        t += gap + d
        k += 1

    level = bytearray(120001)
    for a, z in pulses:
        level[min(a, 120000):min(z, 120000)] = b"\x01" * (min(z, 120000) - min(a, 120000))

    def door(tm):
        return level[tm]

    out = _train([2500] * 120, door, lambda t: False)
    assert all(a == 0 for _, a in out)


@settings(max_examples=examples(100))
@given(lost_at=st.integers(5, 50), lost_s=st.integers(1, 29), moving=st.booleans())
def test_alarm_held_through_short_gps_losses(lost_at, lost_s, moving):
    v = 2500 if moving else 0
    out = _train([v] * 90, lambda t: 1, lambda t: lost_at * 1000 <= t < (lost_at + lost_s) * 1000)
    assert all(a == (1 if moving else 0) for t, a in out if t >= 1000), [(t, a) for t, a in out if a != moving][:3]


def test_long_gps_loss_fails_safe_to_moving():
    out = _train([0] * 90, lambda t: 1, lambda t: t >= 10000)
    first = next(t for t, a in out if a)
    assert 39000 <= first <= 39000 + 2 * POLL  # the last fix at 9 s, then 30 s held
