"""The coach's sensors wired together: 12 inputs -> debouncer -> doors (alarm), two vestibule counters,
toilets (WcMonitor, here); events out through one callback; the doors/WC line for the passenger pages.

Inputs are callables returning the logical level (1 = door open / beam broken / WC locked); the board
file adapts pin polarity. A missing input reads 0 (closed / clear / free). poll() allocates nothing.
"""

from micropython import const

from .counter import BeamCounter, Tally
from .debounce import Debouncer, EventRing
from .doors import DoorMonitor

# Fixed texts: their indexes in route_data.TEXT (host_tools/gen_route.py puts host_tools/ui_text.py's texts
# first, in its ORDER; tests/test_route_gen.py checks these); + lang for those in three languages.
_T_WC = const(21)
_T_WC_OCCUPIED = const(24)
_T_WC_FREE = const(27)
_T_WC_CLOSED = const(30)
_T_DOOR_OPEN = const(33)
# Toilet events and states (trainctl/codes.py names them for the tools; a test checks these copies).
_EV_WC_OCCUPIED = const(32)
_EV_WC_FREE = const(33)
_FREE = const(0)
_OCCUPIED = const(1)
_CLOSED = const(2)  # locked out at a station (lockout rule on), nobody inside

INPUT_NAMES = (
    "door_A_left", "door_A_right", "door_B_left", "door_B_right", "gangway_A", "gangway_B",
    "beam_A_outer", "beam_A_inner", "beam_B_outer", "beam_B_inner", "wc_1", "wc_2",
)
VESTIBULES = ("A", "B")


def _zero():
    return 0


# Tuning in the units named: private constants, folded by the compiler (no name, no lookup in RAM).
_DOOR_SETTLE_MS = const(100)  # reed switches chatter on a moving coach
_BEAM_SETTLE_MS = const(15)  # a person's legs break a beam for 100 ms or more
_WC_SETTLE_MS = const(200)


class Sensors:
    """route: route_data (station count, the doors/WC line's texts); inputs: {name: callable}; alarm:
    callable(0/1) or None; on_event(kind, index): called for every event after each poll (kinds: doors.EV_*,
    counter.EV_*, the toilets': trainctl/codes.py)."""


    def __init__(self, route, inputs, alarm=None, on_event=None, wc_lockout=False, door_alarm_cms=139):
        fns = [inputs.get(n) or _zero for n in INPUT_NAMES]
        settle = (_DOOR_SETTLE_MS,) * 6 + (_BEAM_SETTLE_MS,) * 4 + (_WC_SETTLE_MS,) * 2
        self.deb = Debouncer(fns, settle, INPUT_NAMES)
        self.ring = EventRing(64)
        push = self.ring.push
        out = self.deb.out
        self.doors = DoorMonitor(out, (0, 1, 2, 3, 4, 5), on_event=push, threshold_cms=door_alarm_cms)
        self.route = route
        self.tally = Tally(route.STATION_N, push)
        self.counters = (BeamCounter(out, 6, 7, (0, 1), self.tally, 0),
                         BeamCounter(out, 8, 9, (2, 3), self.tally, 1))
        self.wc = WcMonitor(out, (10, 11), wc_lockout, push)
        self.alarm = alarm
        self.on_event = on_event
        self.at_stop = -1
        self.events = 0
        self._alarm = 0
        self.deb.prime()
        if alarm is not None:
            alarm(0)

    def fix(self, speed_cms):
        """A GPS fix's speed over ground (cm/s); negative: the fix had none."""
        self.doors.speed(speed_cms)

    def stop(self, at_stop):
        """The journey's station the coach stands at (-1 none): boardings/alightings go to it."""
        if at_stop == self.at_stop:
            return
        if self.at_stop >= 0:
            self.tally.end_stop()
        if at_stop >= 0:
            self.tally.begin_stop(at_stop)
        self.wc.set_station(at_stop >= 0)
        self.at_stop = at_stop

    def poll(self, dt_ms):
        """Once per loop pass, dt_ms after the last. Returns the number of events delivered."""
        self.deb.poll(dt_ms)
        a = self.doors.update(dt_ms)
        self.counters[0].update(dt_ms)
        self.counters[1].update(dt_ms)
        self.wc.update()
        if a != self._alarm:
            self._alarm = a
            if self.alarm is not None:
                self.alarm(a)
        n = 0
        cb = self.on_event
        e = self.ring.pop()
        while e >= 0:
            n += 1
            if cb is not None:
                cb(e >> 8, e & 0xFF)
            e = self.ring.pop()
        self.events += n
        return n

    def busy(self):
        """2: a change is settling, or a beam is broken with its door open (a crossing: poll every pass); 1: an
        exterior door is open; 0: all quiet (for a host that polls on events rather than every 10 ms)."""
        if not self.deb.settled():
            return 2
        out = self.deb.out
        a, b = self.counters  # the wiring above: beams 6, 7 behind doors 0, 1; beams 8, 9 behind doors 2, 3
        if (not a.stuck and (out[6] or out[7]) and (out[0] or out[1])) or \
                (not b.stuck and (out[8] or out[9]) and (out[2] or out[3])):
            return 2
        return 1 if out[0] or out[1] or out[2] or out[3] else 0

    def status(self, ln, lang):
        """The pages' doors/WC line: '厕所 1有人 2无人', 'WC 1 occupied 2 free', or the door alarm."""
        r = self.route
        if self._alarm:
            ln.add_text(r, _T_DOOR_OPEN + lang)
            return
        ln.add_text(r, _T_WC + lang)
        wc = self.wc
        for i in range(wc.n):
            ln.add_cp(32)  # ' '
            ln.add_cp(49 + i)  # '1', '2'
            s = wc.status(i)
            ln.add_text(r, (_T_WC_OCCUPIED if s == _OCCUPIED else (_T_WC_CLOSED if s == _CLOSED else _T_WC_FREE))
                        + lang)


# Toilets: occupied/free from each WC door's lock switch, and the optional rule that closes them at stations
# (the coach's toilets discharge onto the track).


class WcMonitor:
    """levels: debounced levels (Debouncer.out), 1 = locked from inside; index: each toilet's lock in
    levels; lockout_at_stations: the station rule; on_event(kind, wc): optional (EventRing.push)."""

    def __init__(self, levels, index=(0,), lockout_at_stations=False, on_event=None):
        n = len(index)
        if n == 0:
            raise ValueError("no toilet")
        self.n = n
        self._levels = levels
        self._index = tuple(index)
        self._on_event = on_event
        self.lockout_at_stations = lockout_at_stations
        self.at_station = 0
        self.occupied = bytearray(n)
        self.uses = [0] * n  # times locked since start

    def set_station(self, at_station):
        """The journey says the coach is (1) or is not (0) standing at a station."""
        self.at_station = 1 if at_station else 0

    def update(self):
        """Once per input poll, after the debouncer. Returns the number of toilets occupied."""
        levels = self._levels
        index = self._index
        occ = self.occupied
        cb = self._on_event
        k = 0
        for i in range(self.n):
            o = 1 if levels[index[i]] else 0
            if o != occ[i]:
                occ[i] = o
                if o:
                    self.uses[i] += 1
                if cb is not None:
                    cb(_EV_WC_OCCUPIED if o else _EV_WC_FREE, i)
            k += o
        return k

    def status(self, i):
        """Toilet i's state: 0 free, 1 occupied, 2 closed (codes.WC_*; occupied wins over closed)."""
        if self.occupied[i]:
            return _OCCUPIED
        if self.lockout_at_stations and self.at_station:
            return _CLOSED
        return _FREE
