"""The virtual board's UART: the track's bytes arrive at the baud rate in virtual time, with the rp2 port's read
timeouts and its 32-byte FIFO while the flash is busy (machine.py's docstring)."""

import os
import struct
import time as _t

from vb_board import _board, _env_int
from vb_track import _Track

_FIFO = 32  # bytes: the RP2040's PL011 receive FIFO
_TC_MIN_MS = 2  # the rp2 port raises timeout_char to at least this
_WIRE = 4096  # bytes on the wire not yet received (> 3 s at 9,600 baud): a ring, allocated once


class UART:
    """UART(id, baudrate=9600, tx=, rx=, rxbuf=, timeout=, timeout_char=): receives the VBOARD_TRACK epochs in
    virtual time, at the baud rate, with the rp2 port's read timeouts (module docstring); writes are counted
    and dropped."""

    INV_TX = 1
    INV_RX = 2

    def __init__(self, id, baudrate=9600, bits=8, parity=None, stop=1, tx=None, rx=None, rxbuf=256, timeout=0,
                 timeout_char=0, **kwargs):
        self.id = id
        self.baudrate = _env_int("VBOARD_BAUD", baudrate)
        self.char_us = 10000000 // self.baudrate  # start + 8 data + stop bits
        self.timeout_ms = timeout
        self.timeout_char_ms = timeout_char if timeout_char > _TC_MIN_MS else _TC_MIN_MS
        self.rx = bytearray(max(rxbuf, 64))
        self.rd = 0
        self.wr = 0
        self.dropped = 0
        self.rx_total = 0
        self.lines = 0  # lines the GPS sent (each _send)
        self.tx_total = 0
        self.epochs = 0
        self.lost_flash = 0  # bytes lost to flash writes in the main loop
        self.lost_boot = 0  # ... before it (boot)
        self.wait_us = 0  # virtual time spent waiting inside reads
        self.wire = bytearray(_WIRE)  # bytes sent by the GPS, not received yet (a ring; counters below)
        self.w_rd = 0  # counter of the next byte to arrive
        self.w_wr = 0  # counter after the last byte sent
        self.w_base = 0  # counter of the byte that arrives at w_t0_us; the ones after it every char_us
        self.w_t0_us = 0
        self._rel_us = 0  # release time of the epoch being sent
        self.next_ms = -1
        self.t0_ms = _t.now_ms()
        self.track = None
        path = os.getenv("VBOARD_TRACK")
        if path:
            self.track = _Track(path, os.getenv("VBOARD_PACE") == "track")
            if self.track.eof:
                _board.track_done(_t.now_ms())
            else:
                self.next_ms = self.t0_ms + self.track.due_ms()
            _board.uart = self

    def init(self, *args, **kwargs):
        pass

    def deinit(self):
        pass

    def _send(self, line):
        """The GPS sends line at release time self._rel_us: after the bytes still on the wire, or from then."""
        n = len(line)
        if self.w_rd == self.w_wr:  # the wire is idle: this line starts now
            self.w_base = self.w_wr
            self.w_t0_us = self._rel_us + self.char_us
        free = _WIRE - (self.w_wr - self.w_rd)
        if n > free:
            self.dropped += n - free  # the GPS outruns the baud rate by 8 KiB: never with a real track
            n = free
        w = self.wire
        o = self.w_wr % _WIRE
        k = n if o + n <= _WIRE else _WIRE - o
        w[o:o + k] = line[:k]
        if k < n:
            w[0:n - k] = line[k:n]
        self.w_wr += n
        self.rx_total += n
        self.lines += 1

    def _arrived(self, now_us):
        """Bytes on the wire that have arrived by now_us."""
        if self.w_rd == self.w_wr or now_us < self.w_t0_us:
            return 0
        k = (now_us - self.w_t0_us) // self.char_us + 1 - (self.w_rd - self.w_base)
        if k < 0:
            return 0
        m = self.w_wr - self.w_rd
        return k if k < m else m

    def _take(self, k, keep=True):
        """k bytes off the wire into the receive buffer (keep), or lost."""
        if not keep:
            self.w_rd += k
            return
        rx = self.rx
        while k > 0:
            o = self.w_rd % _WIRE
            n = k if o + k <= _WIRE else _WIRE - o
            if self.wr + n > len(rx):
                if self.rd:
                    m = self.wr - self.rd
                    rx[0:m] = rx[self.rd:self.wr]
                    self.rd, self.wr = 0, m
                if self.wr + n > len(rx):  # the receive buffer is full: these bytes are dropped
                    room = len(rx) - self.wr
                    self.dropped += n - room
                    rx[self.wr:self.wr + room] = self.wire[o:o + room]
                    self.wr += room
                    self.w_rd += n
                    k -= n
                    continue
            rx[self.wr:self.wr + n] = self.wire[o:o + n]
            self.wr += n
            self.w_rd += n
            k -= n

    def _arrive(self):
        self._pump()
        k = self._arrived(_t.now_us())
        if k:
            self._take(k)

    def _next_us(self):
        """When the next byte arrives (-1: nothing on the wire and no epoch due)."""
        if self.w_rd < self.w_wr:
            return self.w_t0_us + (self.w_rd - self.w_base) * self.char_us
        if self.next_ms >= 0:
            return 1000 * self.next_ms + self.char_us
        return -1

    def _irq_off(self, ms):
        """The flash is busy for ms (interrupts off): arriving bytes fill the FIFO, the rest are lost."""
        self._arrive()
        fifo = 0
        for _ in range(ms):
            _t.advance_us(1000)  # the clock's hook releases epochs due meanwhile
            self._pump()
            k = self._arrived(_t.now_us())
            if k:
                take = k if k < _FIFO - fifo else _FIFO - fifo
                self._take(take)
                fifo += take
                if k > take:
                    self._take(k - take, False)
                    if _t.booted():
                        self.lost_flash += k - take
                    else:  # boot (a fresh board creates its journey log: 16 KiB)
                        self.lost_boot += k - take
                    if _board.lost_at_ms < 0:
                        _board.lost_at_ms = _t.now_ms()

    def _pump(self):
        tr = self.track
        if tr is None or self.next_ms < 0:
            return
        now = _t.now_ms()
        b = _board
        while self.next_ms >= 0 and now >= self.next_ms:
            self._rel_us = 1000 * self.next_ms
            tr.release(self._send)
            self.epochs += 1
            if tr.day_s >= 0 and tr.sod >= 0:
                b.utc_s = tr.day_s + tr.sod
                b.utc_ms = self.next_ms
                if tr.epochs % 60 == 1 and b.cap is not None:
                    b.cap.record(ord("T"), 0, struct.pack("<I", b.utc_s))
            if tr.eof:
                self.next_ms = -1
                b.track_done(now)
            else:
                self.next_ms = self.t0_ms + tr.due_ms()

    def any(self):
        self._arrive()
        return self.wr - self.rd

    def _wait_for(self, want):
        """The port's read loop: wait for up to `want` bytes in the receive buffer, `timeout` for the first and
        timeout_char for each next one, busy (virtual time passes); returns how many are there."""
        self._arrive()
        have = self.wr - self.rd
        if have >= want:
            return want
        deadline = _t.now_us() + 1000 * (self.timeout_ms if have == 0 else self.timeout_char_ms)
        while have < want:
            t = self._next_us()
            now = _t.now_us()
            if t < 0 or t > deadline:
                if deadline > now:
                    self.wait_us += deadline - now
                    _t.advance_us(deadline - now)
                break
            if t > now:
                self.wait_us += t - now
                _t.advance_us(t - now)
            self._arrive()
            if self.wr - self.rd > have:
                have = self.wr - self.rd
                deadline = _t.now_us() + 1000 * self.timeout_char_ms
        return have if have < want else want

    def readinto(self, buf, nbytes=-1):
        want = len(buf) if nbytes < 0 or nbytes > len(buf) else nbytes
        n = self._wait_for(want)
        if not n:
            return None
        buf[0:n] = self.rx[self.rd:self.rd + n]
        self.rd += n
        if self.rd == self.wr:
            self.rd = self.wr = 0
        return n

    def read(self, nbytes=-1):
        n = self._wait_for(len(self.rx) if nbytes < 0 else nbytes)
        if not n:
            return None
        out = bytes(self.rx[self.rd:self.rd + n])
        self.rd += n
        if self.rd == self.wr:
            self.rd = self.wr = 0
        return out

    def readline(self):
        self._arrive()
        i = self.rx.find(b"\n", self.rd, self.wr) if hasattr(self.rx, "find") else -1
        if i < 0:
            return self.read(self.wr - self.rd) if self.wr > self.rd else None
        return self.read(i + 1 - self.rd)

    def write(self, buf):
        self.tx_total += len(buf)
        return len(buf)

    def txdone(self):
        return True

    def flush(self):
        pass
