"""Passenger counting with two IR break-beams across a vestibule doorway (outer = platform side).

The beam pair is decoded like a quadrature encoder: 00 -> outer -> both -> inner -> 00 is one person in,
the reverse one person out; a step back cancels a step forward, so a person who turns back anywhere
before leaving the inner beam counts nothing, and a flicker that survives the debouncer (one beam
changing twice) counts nothing. Two people close together: the second one breaks the outer beam while
the first is still on the inner one (inner-only -> both -> outer-only -> both), which alone cannot be
told from one person stepping back and forward again; it is counted as two, the more common case.
A person may stand in the doorway as long as they like (a pause, a queue, luggage being lifted): the
state is kept and the crossing counts when they walk on. A stuck beam (luggage left, a dirty lens) is told
from a standing person by how it ends: a person leaves the beams one at a time, so both beams changing in
one poll after a state held _HOLD_MS counts nothing and waits for both beams clear; luggage taken back the
way it came counts nothing either. The same broken state held stuck_ms (default 90 s, longer than any
pause a boarding has) raises flag `stuck` and EV_STUCK for the operator; counting goes on, and a person
cannot be counted through a beam that stays broken (the other beam alone gives no direction).
Counting runs only while one of the vestibule's doors is open, and starts once both beams read clear.
"""

from micropython import const

# Event kinds (trainctl/codes.py names them for the tools; a test checks these copies).
_EV_IN = const(16)
_EV_OUT = const(17)
_EV_CLAMP = const(18)  # an "out" with nobody on board: clamped at 0, counted as a discrepancy
_EV_STUCK = const(19)
_EV_UNSTUCK = const(20)

_MAX_DT_MS = const(60000)
_HOLD_MS = const(1000)  # a state held this long was not a person walking through at speed
_Q = const(b"\x00\x01\x03\x02")  # pair state (outer | inner << 1) -> quadrature phase: 00=0, O=1, OI=2, I=3


class Tally:
    """The coach's live count and per-station boardings/alightings, shared by the vestibules' counters.
    n_stations: size of the per-station tables (station index from the caller, e.g. the route's)."""

    def __init__(self, n_stations, on_event=None):
        if n_stations < 1:
            raise ValueError("n_stations")
        self.boardings = [0] * n_stations
        self.alightings = [0] * n_stations
        self.station = -1  # the stop in progress, -1 between stops
        self.onboard = 0
        self.discrepancies = 0  # alightings counted with nobody on board (clamped)
        self.off_stop_in = 0  # counted while no stop was in progress
        self.off_stop_out = 0
        self.dirty = False  # a count changed since the state file saved it (store.StateFile clears it)
        self._on_event = on_event

    def begin_stop(self, station):
        if station < 0 or station >= len(self.boardings):
            raise ValueError("station")
        self.station = station

    def end_stop(self):
        self.station = -1

    def set_onboard(self, n):
        """Crew correction of the live count."""
        if n < 0:
            raise ValueError("onboard")
        self.onboard = n
        self.dirty = True

    def count(self, inward, door):
        """One person crossed at vestibule `door` (0 = A, 1 = B)."""
        cb = self._on_event
        st = self.station
        self.dirty = True
        if inward:
            self.onboard += 1
            if st >= 0:
                self.boardings[st] += 1
            else:
                self.off_stop_in += 1
            if cb is not None:
                cb(_EV_IN, door)
            return
        if st >= 0:
            self.alightings[st] += 1
        else:
            self.off_stop_out += 1
        if self.onboard > 0:
            self.onboard -= 1
        else:
            self.discrepancies += 1
            if cb is not None:
                cb(_EV_CLAMP, door)
        if cb is not None:
            cb(_EV_OUT, door)


class BeamCounter:
    """One vestibule. levels: debounced levels (Debouncer.out), 1 = beam broken / door open; outer,
    inner: indexes of the beams in levels; doors: indexes of the doors whose opening enables counting;
    tally: the shared Tally; door: this vestibule's number in events (0 = A, 1 = B)."""

    def __init__(self, levels, outer, inner, doors, tally, door=0, stuck_ms=90000):
        if stuck_ms < 1 or stuck_ms > 1 << 29:
            raise ValueError("stuck_ms")
        self._levels = levels
        self._outer = outer
        self._inner = inner
        self._doors = tuple(doors)
        self._tally = tally
        self.door = door
        self.stuck_ms = stuck_ms
        self.ins = 0
        self.outs = 0
        self.stuck = 0
        self.stuck_events = 0
        self.armed = 0  # counting: a door is open and the beams were seen clear since
        self._q = 0  # quadrature phase of the last pair state
        self._p = 0  # position in steps since the pair was last clear, -3..3
        self._hi = 0  # furthest position reached inward since then (or since the last early count)
        self._lo = 0  # furthest outward
        self._dir = 0  # last step: +1 inward, -1 outward, 0 none yet
        self._amb = 0  # the pair went 00 -> both in one poll: direction guessed inward
        self._broken_ms = 0  # how long the pair has held its present broken state (door open)

    def _reset(self):
        self._p = 0
        self._hi = 0
        self._lo = 0
        self._dir = 0
        self._amb = 0

    def _count(self, inward):
        if inward:
            self.ins += 1
        else:
            self.outs += 1
        self._tally.count(inward, self.door)

    def update(self, dt_ms):
        """Once per input poll, after the debouncer; dt_ms since the previous update."""
        if dt_ms > _MAX_DT_MS:
            dt_ms = _MAX_DT_MS
        lv = self._levels
        s = (1 if lv[self._outer] else 0) | (2 if lv[self._inner] else 0)
        q = _Q[s]
        dq = (q - self._q) & 3
        self._q = q
        doors = self._doors
        door_open = 0
        for i in range(len(doors)):
            if lv[doors[i]]:
                door_open = 1
        held = self._broken_ms
        if dq:
            self._broken_ms = 0
        if s == 0 and self.stuck:
            self.stuck = 0
            cb = self._tally._on_event
            if cb is not None:
                cb(_EV_UNSTUCK, self.door)
        if not door_open:
            self.armed = 0
            self._broken_ms = 0
            self._reset()
            return
        if s:
            self._broken_ms += dt_ms
            if self._broken_ms >= _HOLD_MS:
                self._amb = 0  # not a walker too fast to see the order: no direction guessed
            if self._broken_ms >= self.stuck_ms and not self.stuck:
                self.stuck = 1
                self.stuck_events += 1
                cb = self._tally._on_event
                if cb is not None:
                    cb(_EV_STUCK, self.door)
        if not self.armed:
            if s == 0:
                self.armed = 1
                self._reset()
            return
        if dq == 0:
            return
        if dq == 2:  # both beams changed in one poll
            if held >= _HOLD_MS:  # after a long hold: luggage lifted or dropped, not a crossing
                self.armed = 0 if s else 1
                self._reset()
                return
            step = 2 * self._dir
            if step == 0:
                step = 2
                self._amb = 1
        elif dq == 1:
            step = 1
        else:
            step = -1
        p = self._p
        if step == 1 and p == 1 and self._hi == 3:  # inner-only -> both -> outer -> both: a second person
            self._count(True)
            self._hi = 2
        elif step == -1 and p == -1 and self._lo == -3:
            self._count(False)
            self._lo = -2
        p += step
        self._dir = 1 if step > 0 else -1
        counted = 0
        if p >= 4:  # a jump from inner-only can land on outer-only: the next person is already there
            self._count(True)
            p -= 4
            counted = 1
        elif p <= -4:
            self._count(False)
            p += 4
            counted = 1
        if p == 0:
            if self._amb and not counted and self._hi < 3:  # both broke at once, the inner cleared first
                self._count(False)
            self._reset()
            return
        self._p = p
        if counted:
            self._hi = p if p > 0 else 0
            self._lo = p if p < 0 else 0
            self._amb = 0
        if p > self._hi:
            self._hi = p
        if p < self._lo:
            self._lo = p
