"""The virtual board's I2S output: a ring that drains at the sample rate in virtual time; samples to VBOARD_AUDIO."""

import os
import struct
import time as _t

from vb_board import _board, _env_int


class I2S:
    """machine.I2S, transmit, 16-bit mono: a ring of ibuf bytes that drains at the sample rate in virtual time.
    Non-blocking once irq() has a handler: write() hands over the buffer and returns at once; the handler runs
    (from the clock's hook, as the port schedules it) once the ring has taken all of it; a write before that
    raises OSError, as the buffer is still the driver's. Every sample goes to VBOARD_AUDIO."""

    TX = 0
    RX = 1
    MONO = 0
    STEREO = 1

    def __init__(self, id, sck=None, ws=None, sd=None, mode=0, bits=16, format=0, rate=16000, ibuf=8192):
        if mode != I2S.TX or bits != 16 or format != I2S.MONO:
            raise ValueError("the virtual board plays 16-bit mono TX only")
        self.rate = rate
        ibuf = _env_int("VBOARD_I2S_IBUF", ibuf)
        # the rp2 port's ring buffer is in the firmware's heap (MICROPY_PY_MACHINE_I2S_RING_BUF); the esp32 port's
        # DMA buffers are not (ESP-IDF's heap)
        self.ring = bytearray(ibuf) if os.getenv("VBOARD_I2S_RING", "heap") == "heap" else None
        self.ibuf = ibuf
        self.fill = 0  # bytes in the ring
        self.pending = 0  # bytes of the last write not in the ring yet
        self.handler = None
        self.t_ms = _t.now_ms()
        self.dry_ms = -1  # since when the ring is empty while open, -1 not empty
        self.refill_us = _env_int("VBOARD_I2S_REFILL_US", 0)
        b = _board
        b.i2s = self
        b.i2s_opens += 1
        self.written = 0
        if b.cap is not None:
            b.cap.record(ord("A"), 1, struct.pack("<I", rate))

    def irq(self, handler):
        self.handler = handler

    def _drain(self, now_ms):
        dt = now_ms - self.t_ms
        if dt <= 0 and not self.pending:
            return
        self.t_ms = now_ms
        used = dt * 2 * self.rate // 1000
        if used >= self.fill:
            if self.fill and self.dry_ms < 0:
                self.dry_ms = now_ms  # approximately: when the last sample left
            self.fill = 0
        else:
            self.fill -= used
        if self.pending:
            take = min(self.ibuf - self.fill, self.pending)
            self.fill += take
            self.pending -= take
            if self.fill > _board.i2s_max_ring:
                _board.i2s_max_ring = self.fill
            if self.pending == 0 and self.handler is not None:
                self.handler(self)

    def write(self, buf):
        if self.pending:
            raise OSError(11)  # EAGAIN: the driver still has the last buffer
        # bytes: the buffer's length in bytes, as the port takes it (buffer protocol); MicroPython's array has no
        # itemsize to ask, and the only array the firmware writes is of 16-bit samples (array 'h')
        # (no isinstance() with a tuple: building it allocates, and a port's write allocates nothing)
        t = type(buf)
        n = len(buf) if t is bytes or t is bytearray or t is memoryview else 2 * len(buf)
        b = _board
        if self.dry_ms >= 0:
            if self.written:
                b.i2s_underrun_ms += _t.now_ms() - self.dry_ms
            self.dry_ms = -1
        if b.audio is not None:
            b.audio.write(buf)
        b.i2s_samples += n // 2
        self.written += n // 2
        self.pending = n
        if self.refill_us:
            _t.advance_us(self.refill_us)
        self._drain(_t.now_ms())
        return n

    def deinit(self):
        b = _board
        if b.cap is not None:
            b.cap.record(ord("A"), 0, struct.pack("<I", self.written))
        if b.i2s is self:
            b.i2s = None
        self.ring = None
        self.handler = None
