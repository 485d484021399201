# MicroPython only: polling the sensor inputs allocates nothing in steady state.
#   micropython tests/mp/sensors_alloc.py [POLLS]
# 12 inputs (6 doors, 2 beam pairs, 2 WC locks) through Debouncer + DoorMonitor + 2 BeamCounter + WcMonitor,
# with an EventRing; a scripted pattern (crossings, door chatter, speed changes, alarms, WC use) repeats
# every 400 polls. Warm up 1 pattern, then POLLS polls under micropython.heap_lock(). Prints one JSON line.
import gc
import sys

import micropython
from trainctl.counter import BeamCounter, Tally
from trainctl.debounce import Debouncer, EventRing
from trainctl.doors import DoorMonitor
from trainctl.sensors import WcMonitor

RAW = bytearray(12)  # 0-5 doors, 6 A outer, 7 A inner, 8 B outer, 9 B inner, 10-11 WC


def _inp(i):
    return lambda: RAW[i]


# beam pattern for one person in at A and one out at B (20 ms per state, 10 ms polls)
_IN = (1, 1, 1, 1, 3, 3, 3, 3, 2, 2, 2, 2, 0, 0, 0, 0)


def stimulus(k):
    """Set RAW for poll k (a 400-poll cycle)."""
    c = k % 400
    RAW[0] = 1 if c < 200 else 0  # door_A_left open half the time
    RAW[1] = 1 if (c % 7) == 0 and c > 300 else 0  # chatter shorter than the debounce
    RAW[2] = 1 if c < 200 else 0
    if 20 <= c < 36:
        s = _IN[c - 20]
        RAW[6] = s & 1
        RAW[7] = s >> 1
        RAW[8] = s >> 1
        RAW[9] = s & 1
    RAW[10] = 1 if 100 <= c < 300 else 0
    RAW[11] = 1 if c > 350 else 0


class Rig:
    """Everything a board's input pump would hold. (Not a closure: a closure over more than 4 variables
    allocates its argument array on every call.)"""

    def __init__(self):
        self.bank = Debouncer([_inp(i) for i in range(12)], (50,) * 6 + (20,) * 4 + (100,) * 2)
        self.ring = EventRing(64)
        push = self.ring.push
        self.doors = DoorMonitor(self.bank.out, on_event=push)
        self.tally = Tally(30, on_event=push)
        self.tally.begin_stop(3)
        self.tally.set_onboard(1000000)  # no clamps: steady state
        self.ca = BeamCounter(self.bank.out, 6, 7, (0, 1), self.tally, door=0)
        self.cb = BeamCounter(self.bank.out, 8, 9, (2, 3), self.tally, door=1)
        self.wc = WcMonitor(self.bank.out, (10, 11), lockout_at_stations=True, on_event=push)

    def step(self, k):
        """One 10 ms poll; returns the number of events drained."""
        stimulus(k)
        self.bank.poll(10)
        if k % 100 == 0:
            self.doors.speed(0 if (k // 100) % 4 == 0 else 2000)
        self.doors.update(10)
        self.ca.update(10)
        self.cb.update(10)
        self.wc.update()
        self.wc.set_station(self.doors.moving == 0)
        n = 0
        while self.ring.pop() >= 0:
            n += 1
        return n


def main():
    polls = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    rig = Rig()
    step = rig.step
    events = 0

    for k in range(800):
        events += step(k)
    gc.collect()
    err = False
    locked = 0
    ev_locked = 0
    micropython.heap_lock()
    try:
        for k in range(800, 800 + polls):
            ev_locked += step(k)
            locked += 1
    except MemoryError:
        err = True
    finally:
        micropython.heap_unlock()
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    for k in range(800 + polls, 800 + 2 * polls):
        step(k)
    unlocked = gc.mem_alloc() - a0
    gc.enable()
    print('{"locked_polls": %d, "memory_error": %s, "bytes_unlocked": %d, "events_locked": %d, '
          '"ins": %d, "outs": %d, "alarms": %d, "wc_uses": %d}' % (
              locked, "true" if err else "false", unlocked, ev_locked, rig.ca.ins + rig.cb.ins,
              rig.ca.outs + rig.cb.outs, rig.doors.alarms, rig.wc.uses[0] + rig.wc.uses[1]))


main()
