"""Toilets: occupied/free from each WC door's lock switch, and the optional rule that closes them at
stations (the coach's toilets discharge onto the track)."""

from micropython import const

EV_WC_OCCUPIED = const(32)
EV_WC_FREE = const(33)

FREE = const(0)
OCCUPIED = const(1)
CLOSED = const(2)  # locked out at a station (lockout rule on), nobody inside


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
                    cb(EV_WC_OCCUPIED if o else EV_WC_FREE, i)
            k += o
        return k

    def status(self, i):
        """FREE, OCCUPIED or CLOSED for toilet i (occupied wins over closed)."""
        if self.occupied[i]:
            return OCCUPIED
        if self.lockout_at_stations and self.at_station:
            return CLOSED
        return FREE
