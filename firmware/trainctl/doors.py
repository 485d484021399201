"""Door monitor: open/closed per door from debounced contacts, the door-open-while-moving alarm, and
suspected contact faults.

Speed comes from GPS fixes (speed(), cm/s); the state moving/stopped has hysteresis. Without a valid
speed the last state is held for hold_ms (tunnels, station roofs); after that the train is taken as
MOVING when lost_moving is set (the default: fail safe, an open exterior door then alarms, because a
missed alarm is worse than a false one), else the last state is kept. A journey layer that knows the
coach is standing at a station should pass speed 0 rather than nothing.

An exterior door that reads open without a break for fault_ms of moving time (stops do not reset it,
a close does) is flagged as a suspected contact fault: its alarm is dropped until it reads closed.
"""

from micropython import const

# Event kinds (trainctl/codes.py names them for the tools; a test checks these copies).
_EV_DOOR_OPEN = const(1)
_EV_DOOR_CLOSED = const(2)
_EV_ALARM_ON = const(3)
_EV_ALARM_OFF = const(4)
_EV_FAULT = const(5)
_EV_FAULT_CLEAR = const(6)

DOOR_NAMES = ("door_A_left", "door_A_right", "door_B_left", "door_B_right", "gangway_A", "gangway_B")
EXTERIOR = (1, 1, 1, 1, 0, 0)

_MAX_DT_MS = const(60000)


class DoorMonitor:
    """levels: indexable of debounced levels, 1 = open (Debouncer.out); index: where each door is in it;
    exterior: 1 per door that can alarm; on_event(kind, door): optional callback (EventRing.push)."""

    def __init__(self, levels, index=(0, 1, 2, 3, 4, 5), exterior=EXTERIOR, on_event=None,
                 threshold_cms=139, hyst_cms=28, hold_ms=30000, fault_ms=1200000, lost_moving=True):
        n = len(index)
        if len(exterior) != n or n == 0:
            raise ValueError("one exterior flag per door")
        if threshold_cms < 1 or hyst_cms < 0 or hyst_cms >= threshold_cms:
            raise ValueError("threshold")
        if hold_ms < 0 or fault_ms < 1 or fault_ms > 1 << 29:
            raise ValueError("times")
        self.n = n
        self._levels = levels
        self._index = tuple(index)
        self._ext = bytes(exterior)
        self._on_event = on_event
        self.threshold_cms = threshold_cms
        self.hyst_cms = hyst_cms
        self.hold_ms = hold_ms
        self.fault_ms = fault_ms
        self.lost_moving = lost_moving
        self.open = bytearray(n)  # 1 = door open
        self.alarm = bytearray(n)  # 1 = this door is alarming
        self.fault = bytearray(n)  # 1 = suspected contact fault (alarm suppressed)
        self._open_ms = [0] * n  # moving time while open without a break, capped at fault_ms
        self.alarm_any = 0  # drives the buzzer/lamp output
        self.alarms = 0  # alarms raised since start
        self.faults = 0  # faults flagged since start
        self.moving_gps = 0  # last state decided from a valid speed
        self.moving = 0  # state used for the alarm (after hold / fail safe)
        self.speed_known = 1  # 0 once no valid speed for hold_ms
        self._age_ms = 0  # since the last valid speed (boot counts as a "stopped" reading)

    def speed(self, speed_cms):
        """A GPS fix's speed over ground in cm/s; negative = no valid speed (does not refresh the hold)."""
        if speed_cms < 0:
            return
        self._age_ms = 0
        if speed_cms > self.threshold_cms:
            self.moving_gps = 1
        elif speed_cms < self.threshold_cms - self.hyst_cms:
            self.moving_gps = 0

    def update(self, dt_ms):
        """Once per input poll, after the debouncer: dt_ms since the previous update. Returns alarm_any."""
        if dt_ms > _MAX_DT_MS:
            dt_ms = _MAX_DT_MS
        if self._age_ms <= self.hold_ms:
            self._age_ms += dt_ms
        if self._age_ms <= self.hold_ms:
            self.speed_known = 1
            mv = self.moving_gps
        else:
            self.speed_known = 0
            mv = 1 if self.lost_moving else self.moving_gps
        self.moving = mv
        levels = self._levels
        index = self._index
        ext = self._ext
        open_ = self.open
        alarm = self.alarm
        fault = self.fault
        open_ms = self._open_ms
        cb = self._on_event
        any_ = 0
        for i in range(self.n):
            o = 1 if levels[index[i]] else 0
            if o != open_[i]:
                open_[i] = o
                if cb is not None:
                    cb(_EV_DOOR_OPEN if o else _EV_DOOR_CLOSED, i)
                if not o:
                    open_ms[i] = 0
                    if fault[i]:
                        fault[i] = 0
                        if cb is not None:
                            cb(_EV_FAULT_CLEAR, i)
            a = 0
            if o and mv and ext[i]:
                t = open_ms[i]
                if t < self.fault_ms:
                    t += dt_ms
                    if t >= self.fault_ms:
                        t = self.fault_ms
                        fault[i] = 1
                        self.faults += 1
                        if cb is not None:
                            cb(_EV_FAULT, i)
                    open_ms[i] = t
                if not fault[i]:
                    a = 1
            if a != alarm[i]:
                alarm[i] = a
                if a:
                    self.alarms += 1
                if cb is not None:
                    cb(_EV_ALARM_ON if a else _EV_ALARM_OFF, i)
            any_ |= a
        self.alarm_any = any_
        return any_
