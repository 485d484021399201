"""Integrating debouncer for a bank of digital inputs, and a small event ring the sensor modules share.

An output changes only after its raw input has read the other level at every poll for settle_ms (the
time is counted from the first poll that saw the new level), so a glitch shorter than settle_ms never
gets through, and a stable change gets through at the first poll >= settle_ms after the first poll
that saw it: less than settle_ms + 2 poll periods after the edge (settle_ms + 1 poll when the poll
period divides settle_ms). Each output is delayed by its own settle time, so the order of two inputs'
edges survives when both use the same settle time. poll() allocates nothing.
"""

from micropython import const

_MAX_DT_MS = const(60000)  # a longer pause is counted as 60 s: the accumulators stay small ints


class Debouncer:
    """inputs: callables returning the logical level 0/1 (1 = door open / beam broken / WC locked);
    settle_ms: one int for all, or one per input; names: optional, for index()."""

    def __init__(self, inputs, settle_ms, names=None):
        n = len(inputs)
        if n == 0 or n > 255:
            raise ValueError("1..255 inputs")
        if isinstance(settle_ms, int):
            settle_ms = (settle_ms,) * n
        if len(settle_ms) != n:
            raise ValueError("one settle time per input")
        for s in settle_ms:
            if s < 0 or s > _MAX_DT_MS:
                raise ValueError("settle_ms")
        if names is not None and len(names) != n:
            raise ValueError("one name per input")
        self.n = n
        self.names = tuple(names) if names is not None else None
        self._inputs = tuple(inputs)
        self._settle = tuple(settle_ms)
        self._acc = [0] * n  # ms the raw level has differed from the output, counted from the first such poll
        self._pend = bytearray(n)  # 1 while the raw level differs from the output
        self.out = bytearray(n)  # debounced levels (read by DoorMonitor, BeamCounter, WcMonitor)
        self.changed = bytearray(n)  # 1 where the output changed in the last poll
        self.n_changed = 0  # outputs that changed in the last poll
        self.edges = [0] * n  # debounced changes per input since start (wraps at 2**24)

    def index(self, name):
        """Index of a named input (ValueError if unknown). Setup only: not for the per-poll path."""
        if self.names is None:
            raise ValueError("no names")
        for i in range(self.n):
            if self.names[i] == name:
                return i
        raise ValueError(name)

    def prime(self):
        """Take the current raw levels as the debounced state (at boot), without change flags."""
        for i in range(self.n):
            self.out[i] = 1 if self._inputs[i]() else 0
            self._acc[i] = 0
            self._pend[i] = 0
            self.changed[i] = 0
        self.n_changed = 0

    def poll(self, dt_ms):
        """Read every input once, dt_ms after the previous poll; return the number of outputs changed."""
        if dt_ms > _MAX_DT_MS:
            dt_ms = _MAX_DT_MS
        inputs = self._inputs
        settle = self._settle
        acc = self._acc
        out = self.out
        changed = self.changed
        pend = self._pend
        k = 0
        for i in range(self.n):
            v = 1 if inputs[i]() else 0
            if v == out[i]:
                pend[i] = 0
                acc[i] = 0
                changed[i] = 0
                continue
            if pend[i]:
                a = acc[i] + dt_ms
            else:  # first poll at the new level: time counts from here
                pend[i] = 1
                a = 0
            if a >= settle[i]:
                out[i] = v
                pend[i] = 0
                acc[i] = 0
                changed[i] = 1
                self.edges[i] = (self.edges[i] + 1) & 0xFFFFFF
                k += 1
            else:
                acc[i] = a
                changed[i] = 0
        self.n_changed = k
        return k

    def value(self, i):
        return self.out[i]

    def settled(self):
        """True when every output equals its last raw reading (nothing pending)."""
        return not any(self._pend)


class EventRing:
    """Bounded FIFO of (kind, index) byte pairs; push() is an on_event callback for DoorMonitor, Tally,
    BeamCounter, WcMonitor. When full the oldest event is dropped and counted in `dropped`.

    Kinds: trainctl/codes.py EV_* (doors 1..9, counting 16..22, toilets 32..34)."""

    def __init__(self, size=64):
        if size < 1 or size > 4096:
            raise ValueError("size")
        self._buf = bytearray(2 * size)
        self._size = size
        self._head = 0  # next to read
        self.count = 0
        self.dropped = 0

    def push(self, kind, index):
        if self.count == self._size:
            self._head = (self._head + 1) % self._size
            self.count -= 1
            self.dropped += 1
        j = (self._head + self.count) % self._size
        self._buf[2 * j] = kind
        self._buf[2 * j + 1] = index
        self.count += 1

    def pop(self):
        """The oldest event as kind << 8 | index, or -1 when empty."""
        if self.count == 0:
            return -1
        j = self._head
        self._head = (j + 1) % self._size
        self.count -= 1
        return self._buf[2 * j] << 8 | self._buf[2 * j + 1]

    def clear(self):
        self._head = 0
        self.count = 0
