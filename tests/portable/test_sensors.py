# Debouncer, door monitor, passenger counter, WC: portable (CPython, MicroPython unix and WebAssembly ports).
from trainctl import codes as K
from trainctl import counter as C
from trainctl import doors as D
from trainctl import sensors as S
from trainctl.debounce import Debouncer, EventRing


class Raw:
    """Raw input levels the tests set; inputs() gives the callables a Debouncer polls."""

    def __init__(self, n):
        self.v = [0] * n

    def inputs(self):
        return [self._get(i) for i in range(len(self.v))]

    def _get(self, i):
        return lambda: self.v[i]


def _drain(ring):
    out = []
    while True:
        e = ring.pop()
        if e < 0:
            return out
        out.append((e >> 8, e & 0xFF))


def test_debounce_needs_settle_time_at_the_new_level():
    r = Raw(1)
    b = Debouncer(r.inputs(), 50)
    r.v[0] = 1
    changed_at = None
    for k in range(1, 20):
        b.poll(10)
        if b.changed[0]:
            changed_at = k
            break
    # first poll sees it (t=0), out changes at the poll where 50 ms have passed since: the 6th poll
    assert changed_at == 6 and b.out[0] == 1 and b.edges[0] == 1


def test_debounce_ignores_glitches_and_chatter():
    r = Raw(1)
    b = Debouncer(r.inputs(), 50)
    for _ in range(100):  # chatter: 40 ms at the other level, 10 ms back
        r.v[0] = 1
        for _ in range(4):
            b.poll(10)
        r.v[0] = 0
        b.poll(10)
        assert b.out[0] == 0
    assert b.edges[0] == 0


def test_debounce_per_input_settle_and_prime():
    r = Raw(3)
    b = Debouncer(r.inputs(), (0, 20, 100), names=("a", "b", "c"))
    assert b.index("c") == 2
    r.v = [1, 1, 1]
    assert b.poll(10) == 1 and b.out[0] == 1 and b.n_changed == 1
    b.poll(10)
    b.poll(10)
    assert b.out[1] == 1 and b.out[2] == 0
    r.v[2] = 0
    b.prime()
    assert list(b.out) == [1, 1, 0] and b.settled()
    try:
        Debouncer(r.inputs(), (1, 2))
    except ValueError:
        return
    raise AssertionError("accepted a settle list of the wrong length")


def test_event_ring_drops_oldest():
    ring = EventRing(3)
    for k in range(5):
        ring.push(1, k)
    assert ring.dropped == 2
    assert _drain(ring) == [(1, 2), (1, 3), (1, 4)]
    assert ring.pop() == -1


def _doors(**kw):
    levels = bytearray(6)
    ring = EventRing(32)
    m = D.DoorMonitor(levels, on_event=ring.push, **kw)
    return levels, ring, m


def test_door_alarm_raised_at_speed_and_cleared_on_close_or_stop():
    levels, ring, m = _doors()
    levels[1] = 1  # door_A_right open at the station
    m.speed(0)
    m.update(100)
    assert m.alarm_any == 0 and _drain(ring) == [(K.EV_DOOR_OPEN, 1)]
    m.speed(120)  # below 139 cm/s
    m.update(100)
    assert m.alarm_any == 0
    m.speed(150)
    m.update(100)
    assert m.alarm_any == 1 and m.alarm[1] == 1 and m.alarms == 1
    assert _drain(ring) == [(K.EV_ALARM_ON, 1)]
    m.speed(120)  # inside the hysteresis band: still moving
    m.update(100)
    assert m.alarm_any == 1
    m.speed(100)
    m.update(100)
    assert m.alarm_any == 0 and _drain(ring) == [(K.EV_ALARM_OFF, 1)]
    m.speed(500)
    m.update(100)
    assert m.alarm_any == 1
    levels[1] = 0
    m.update(100)
    assert m.alarm_any == 0
    assert _drain(ring) == [(K.EV_ALARM_ON, 1), (K.EV_DOOR_CLOSED, 1), (K.EV_ALARM_OFF, 1)]


def test_gangway_door_never_alarms():
    levels, ring, m = _doors()
    levels[4] = 1
    levels[5] = 1
    m.speed(2000)
    m.update(100)
    assert m.alarm_any == 0 and sum(m.open) == 2


def test_gps_loss_holds_then_fails_safe():
    levels, ring, m = _doors(hold_ms=30000)
    m.speed(0)
    levels[0] = 1
    for _ in range(290):  # 29 s without a fix: still "stopped"
        m.update(100)
    assert m.alarm_any == 0 and m.speed_known == 1
    for _ in range(20):
        m.update(100)
    assert m.speed_known == 0 and m.moving == 1 and m.alarm_any == 1  # fail safe: taken as moving
    m.speed(0)
    m.update(100)
    assert m.alarm_any == 0
    _, _, m2 = _doors(hold_ms=1000, lost_moving=False)
    m2.update(5000)
    assert m2.speed_known == 0 and m2.moving == 0


def test_door_open_for_the_fault_time_becomes_a_fault():
    levels, ring, m = _doors(fault_ms=60000)
    levels[2] = 1
    m.speed(2000)
    for _ in range(59):
        m.update(1000)
    assert m.alarm[2] == 1 and m.fault[2] == 0
    m.speed(0)  # a stop does not reset the open time
    for _ in range(100):
        m.update(1000)
    m.speed(2000)
    m.update(1000)
    assert m.fault[2] == 1 and m.alarm[2] == 0 and m.faults == 1
    levels[0] = 1  # another door still alarms
    m.update(100)
    assert m.alarm[0] == 1 and m.alarm_any == 1
    levels[2] = 0
    m.update(100)
    assert m.fault[2] == 0
    ev = _drain(ring)
    assert (K.EV_FAULT, 2) in ev and (K.EV_FAULT_CLEAR, 2) in ev


# counter: levels 0 door, 1 outer beam, 2 inner beam (already debounced)

def _counter(**kw):
    levels = bytearray(3)
    ring = EventRing(64)
    tally = C.Tally(5, on_event=ring.push)
    ctr = C.BeamCounter(levels, 1, 2, (0,), tally, door=1, **kw)
    levels[0] = 1
    ctr.update(10)
    return levels, ring, tally, ctr


def _seq(levels, ctr, pairs, dt=20):
    for s in pairs:
        levels[1] = 1 if s in ("O", "B") else 0
        levels[2] = 1 if s in ("I", "B") else 0
        ctr.update(dt)


def test_count_in_and_out_by_beam_order():
    levels, ring, tally, ctr = _counter()
    tally.begin_stop(3)
    _seq(levels, ctr, ["O", "B", "I", "-"])
    _seq(levels, ctr, ["O", "B", "I", "-"])
    _seq(levels, ctr, ["I", "B", "O", "-"])
    assert (ctr.ins, ctr.outs, tally.onboard) == (2, 1, 1)
    assert tally.boardings[3] == 2 and tally.alightings[3] == 1
    assert _drain(ring) == [(K.EV_IN, 1), (K.EV_IN, 1), (K.EV_OUT, 1)]


def test_turn_back_counts_nothing():
    levels, ring, tally, ctr = _counter()
    _seq(levels, ctr, ["O", "B", "O", "-"])
    _seq(levels, ctr, ["O", "B", "I", "B", "O", "-"])  # almost through, then back out
    _seq(levels, ctr, ["I", "-"])
    assert (ctr.ins, ctr.outs) == (0, 0)


def test_two_people_close_together_count_twice():
    levels, ring, tally, ctr = _counter()
    _seq(levels, ctr, ["O", "B", "I", "B", "O", "B", "I", "-"])
    assert ctr.ins == 2
    _seq(levels, ctr, ["I", "B", "O", "B", "I", "B", "O", "B", "I", "B", "O", "-"])
    assert ctr.outs == 3
    _seq(levels, ctr, ["O", "B", "I", "O", "B", "I", "-"])  # both beams change in one poll
    assert ctr.ins == 4


def test_flicker_that_passes_the_debouncer_is_tolerated():
    levels, ring, tally, ctr = _counter()
    _seq(levels, ctr, ["O", "-", "O", "B", "I", "B", "I", "-", "I", "-"])
    assert (ctr.ins, ctr.outs) == (1, 0)


def test_counting_only_while_the_door_is_open():
    levels, ring, tally, ctr = _counter()
    levels[0] = 0
    _seq(levels, ctr, ["O", "B", "I", "-"])
    levels[0] = 1
    _seq(levels, ctr, ["B", "I", "-"])  # door opened with someone already in the beams: not armed
    assert ctr.ins == 0
    _seq(levels, ctr, ["O", "B", "I", "-"])
    assert ctr.ins == 1 and tally.off_stop_in == 1


def test_a_person_standing_in_the_outer_beam_then_walking_in_counts_once():
    """Issue 17: the old 4 s "stuck beam" rule dropped this person; the stuck flag is now only a report."""
    levels, ring, tally, ctr = _counter(stuck_ms=1000)
    _seq(levels, ctr, ["O"] * 60)
    assert ctr.stuck == 1 and ctr.stuck_events == 1 and ctr.ins == 0
    _seq(levels, ctr, ["B", "I", "-"])
    assert ctr.stuck == 0 and (ctr.ins, ctr.outs) == (1, 0)
    _seq(levels, ctr, ["O", "B", "I", "-"])
    assert ctr.ins == 2
    ev = _drain(ring)
    assert ev[0] == (K.EV_STUCK, 1) and ev[1] == (K.EV_UNSTUCK, 1)


def test_luggage_dropped_and_lifted_counts_nothing():
    levels, ring, tally, ctr = _counter(stuck_ms=1000)
    _seq(levels, ctr, ["B"] * 100 + ["-"])  # on both beams at once, lifted off both at once
    _seq(levels, ctr, ["B"] * 100 + ["O", "-"])  # on both at once, taken back out
    _seq(levels, ctr, ["O"] * 100 + ["-"] + ["I"] * 100 + ["-"])  # on one beam, taken back
    _seq(levels, ctr, ["O"] * 100 + ["I"] + ["-"])  # slid from one beam to the other in one poll, then lifted
    assert (ctr.ins, ctr.outs) == (0, 0)
    _seq(levels, ctr, ["O", "B", "I", "-"])
    assert (ctr.ins, ctr.outs, ctr.stuck) == (1, 0, 0)


def test_onboard_count_is_clamped_and_the_clamp_counted():
    levels, ring, tally, ctr = _counter()
    _seq(levels, ctr, ["I", "B", "O", "-"])
    assert tally.onboard == 0 and tally.discrepancies == 1
    assert (K.EV_CLAMP, 1) in _drain(ring)
    tally.set_onboard(10)
    _seq(levels, ctr, ["I", "B", "O", "-"])
    assert tally.onboard == 9 and tally.discrepancies == 1


def test_two_vestibules_share_one_tally():
    levels = bytearray(6)  # door A, door B, A outer, A inner, B outer, B inner
    tally = C.Tally(2)
    a = C.BeamCounter(levels, 2, 3, (0,), tally, door=0)
    b = C.BeamCounter(levels, 4, 5, (1,), tally, door=1)
    levels[0] = levels[1] = 1
    a.update(20)  # arms: a door open and both beams clear
    b.update(20)
    tally.begin_stop(1)
    for s in ((1, 0), (1, 1), (0, 1), (0, 0)):
        levels[2], levels[3] = s
        levels[4], levels[5] = s
        a.update(20)
        b.update(20)
    assert tally.onboard == 2 and tally.boardings[1] == 2 and a.ins == b.ins == 1


def test_wc_occupied_and_lockout_at_stations():
    levels = bytearray(2)
    ring = EventRing(8)
    w = S.WcMonitor(levels, (0, 1), lockout_at_stations=True, on_event=ring.push)
    levels[1] = 1
    assert w.update() == 1
    assert w.status(0) == K.WC_FREE and w.status(1) == K.WC_OCCUPIED
    w.set_station(True)
    assert w.status(0) == K.WC_CLOSED and w.status(1) == K.WC_OCCUPIED
    levels[1] = 0
    w.update()
    assert w.status(1) == K.WC_CLOSED and w.uses[1] == 1
    assert _drain(ring) == [(K.EV_WC_OCCUPIED, 1), (K.EV_WC_FREE, 1)]
    w2 = S.WcMonitor(levels, (0,))
    w2.set_station(True)
    assert w2.status(0) == K.WC_FREE
