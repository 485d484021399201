"""The virtual board's I2C and SPI buses: write transactions go to the capture, at the bus's cost in virtual time."""

import os
import time as _t

from vb_board import _board


class I2C:
    """I2C(id, sda=, scl=, freq=): every write transaction goes to the capture; addresses in VBOARD_I2C_DEVS
    answer, others raise OSError(ENODEV) like a NACK."""

    def __init__(self, id=0, sda=None, scl=None, freq=400000, **kwargs):
        self.id = id
        self.freq = freq
        self.devices = [int(a, 16) for a in (os.getenv("VBOARD_I2C_DEVS") or "3c").split(",") if a]
        self._v = [None]

    def init(self, *args, **kwargs):
        pass

    def scan(self):
        return list(self.devices)

    def _check(self, addr):
        if addr not in self.devices:
            raise OSError(19)  # ENODEV, as MicroPython reports an address NACK

    def _cost(self, n):
        """n bytes after the address byte: 9 clocks each (8 bits + ACK), start and stop ~1 more."""
        us = ((n + 1) * 9 + 1) * 1000000 // self.freq
        _board.i2c_bytes += n + 1
        _board.i2c_us += us
        _t.advance_us(us)

    def writeto(self, addr, buf, stop=True):
        self._check(addr)
        _board.i2c_tx += 1
        if _board.cap is not None:
            self._v[0] = buf
            _board.cap.transaction(ord("I"), addr, addr, self._v)
        self._cost(len(buf))
        return len(buf) + 1

    def writevto(self, addr, vector, stop=True):
        self._check(addr)
        n = 0
        for b in vector:
            n += len(b)
        if len(vector) > 1:  # the port's transfer adaptor joins the buffers in a heap copy
            joined = bytearray(n)
            _board.i2c_alloc += len(joined)
        _board.i2c_tx += 1
        if _board.cap is not None:
            _board.cap.transaction(ord("I"), addr, addr, vector)
        self._cost(n)
        return n + 1

    def readfrom(self, addr, nbytes, stop=True):
        self._check(addr)
        return bytes(nbytes)

    def readfrom_into(self, addr, buf, stop=True):
        self._check(addr)
        for i in range(len(buf)):
            buf[i] = 0

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        return self.writevto(addr, [bytes((memaddr & 0xFF,)), buf])

    def readfrom_mem(self, addr, memaddr, nbytes, addrsize=8):
        return self.readfrom(addr, nbytes)

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        self.readfrom_into(addr, buf)


class SoftI2C(I2C):
    pass


class SPI:
    """SPI(id, baudrate=, polarity=, phase=, sck=, mosi=, miso=): bytes written while a chip-select pin is
    low form one transaction in the capture (chan = id); reads return zeros."""

    MSB = 0
    LSB = 1

    def __init__(self, id=0, baudrate=1000000, polarity=0, phase=0, bits=8, firstbit=0, sck=None, mosi=None,
                 miso=None, **kwargs):
        self.id = id if isinstance(id, int) else 0
        self.baudrate = baudrate
        self.open = False
        self.parts = []
        _board.spis.append(self)

    def init(self, *args, **kwargs):
        pass

    def deinit(self):
        pass

    def _select(self, low):
        if low:
            self.open = True
            self.parts = []
            return
        if not self.open:
            return
        self.open = False
        if self.parts:
            _board.spi_tx += 1
            if _board.cap is not None:
                p = self.parts
                _board.cap.transaction(ord("S"), self.id & 0xFF, 256 + p[0][0] if len(p[0]) else 256, p)
            self.parts = []

    def write(self, buf):
        if self.open:
            self.parts.append(bytes(buf))
        return None

    def read(self, nbytes, write=0):
        return bytes(nbytes)

    def readinto(self, buf, write=0):
        for i in range(len(buf)):
            buf[i] = 0

    def write_readinto(self, write_buf, read_buf):
        self.write(write_buf)
        self.readinto(read_buf)


class SoftSPI(SPI):
    pass
