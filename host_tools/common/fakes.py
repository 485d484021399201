"""The host's one set of fakes of MicroPython's machine classes and the peers' I/O, for tests and tools (CPython).

FakeI2C, FakeSPI, FakePin record bus traffic (host_tools.vboard.buses decodes it); FakeUART plays bytes as the
rp2 and ESP32 ports' machine.UART does (and fails a read that would wait); FakeWDT counts feeds; LineUART is what
adafruit_gps reads from a busio.UART. The MicroPython scripts keep their own minimal stand-ins (they run without
host_tools).
"""

import errno


class FakeI2C:
    """machine.I2C stand-in: one recorded transaction (addr, bytes) per writeto/writevto.

    devices: addresses that ACK (others raise OSError(ENODEV), as MicroPython does on an address NACK).
    fault: None or a callable (addr, data) -> errno or None, asked before each transaction; an errno makes
    the transaction fail with OSError(errno) and go unrecorded. fail_next(err, n) is the simple case.
    """

    def __init__(self, devices=(0x3C,), fault=None):
        self.devices = set(devices)
        self.fault = fault
        self.transactions = []  # [(addr, bytes)]
        self.errors = []  # [(addr, bytes, errno)] of failed transactions
        self._fail = []  # errnos for the next transactions

    def fail_next(self, err=errno.ETIMEDOUT, count=1):
        """Make the next `count` transactions raise OSError(err) (errno.ENODEV, errno.ETIMEDOUT, ...)."""
        self._fail.extend([err] * count)

    def scan(self):
        return sorted(self.devices)

    def _transaction(self, addr, data):
        err = None
        if self._fail:
            err = self._fail.pop(0)
        elif self.fault is not None:
            err = self.fault(addr, data)
        if err is None and addr not in self.devices:
            err = errno.ENODEV
        if err is not None:
            self.errors.append((addr, data, err))
            raise OSError(err, errno.errorcode.get(err, "fault"))
        self.transactions.append((addr, data))
        return len(data) + 1  # ACKs: address byte + each data byte (MicroPython returns the ACK count)

    def writeto(self, addr, buf, stop=True):
        return self._transaction(addr, bytes(buf))

    def writevto(self, addr, vector, stop=True):
        """All buffers go out in one START ... STOP transaction, as on hardware."""
        return self._transaction(addr, b"".join(bytes(b) for b in vector))

    def clear(self):
        self.transactions.clear()
        self.errors.clear()


class FakeSPI:
    """machine.SPI stand-in: bytes written while a FakePin bound to it is low form one transaction.

    Writes while no chip select is low go to `stray` (on a MAX7219 they would be latched by the next
    rising edge of LOAD; a driver should not do that).
    """

    def __init__(self):
        self.transactions = []  # [bytes], one per CS low..high window
        self.stray = bytearray()
        self._open = None

    def init(self, *args, **kwargs):
        pass

    def write(self, buf):
        if self._open is None:
            self.stray.extend(buf)
        else:
            self._open.extend(buf)

    def _select(self, low):
        if low and self._open is None:
            self._open = bytearray()
        elif not low and self._open is not None:
            self.transactions.append(bytes(self._open))
            self._open = None

    def clear(self):
        self.transactions.clear()
        self.stray = bytearray()


class FakePin:
    """machine.Pin stand-in: pin(v) sets, pin() reads; every set level is kept in `history`.

    Given a FakeSPI, its falling edge opens an SPI transaction and its rising edge closes it (a chip select).
    """

    IN = 0
    OUT = 1

    def __init__(self, value=1, spi=None):
        self.level = 1 if value else 0
        self.spi = spi
        self.history = [self.level]

    def __call__(self, value=None):
        if value is None:
            return self.level
        self._set(value)
        return None

    def value(self, value=None):
        return self(value)

    def on(self):
        self._set(1)

    def off(self):
        self._set(0)

    def init(self, mode=None, pull=None, value=None, **kwargs):
        if value is not None:
            self._set(value)

    def edges(self):
        return sum(1 for a, b in zip(self.history, self.history[1:]) if a != b)

    def _set(self, value):
        self.level = 1 if value else 0
        self.history.append(self.level)
        if self.spi is not None:
            self.spi._select(self.level == 0)


class FakeUART:
    """Plays bytes at a fixed rate per millisecond of loop time."""

    def __init__(self, data, bytes_per_ms=2):
        self.data = data
        self.pos = 0
        self.avail = 0
        self.rate = bytes_per_ms

    def advance(self, ms):
        self.avail = min(len(self.data), self.avail + ms * self.rate)

    def any(self):
        return self.avail - self.pos

    def readinto(self, buf, nbytes=-1):
        """As the rp2 and ESP32 ports: asking for more than is there waits timeout_char per missing byte
        (the rp2 port: at least 2 ms, busy-waiting): a loop that does so fails here."""
        want = len(buf) if nbytes < 0 else min(nbytes, len(buf))
        if want > self.avail - self.pos:
            raise AssertionError("readinto(%d) with %d bytes there: the read would wait"
                                 % (want, self.avail - self.pos))
        n = want
        if n <= 0:
            return None
        buf[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


class FakeWDT:
    def __init__(self):
        self.feeds = 0

    def feed(self):
        self.feeds += 1


class LineUART:
    """What adafruit_gps.GPS reads from a busio.UART: in_waiting and readline(), from a list of lines."""

    def __init__(self, lines):
        self.lines = lines
        self.i = 0

    @property
    def in_waiting(self):
        return 4096 if self.i < len(self.lines) else 0

    def readline(self):
        i = self.i
        self.i = i + 1
        return self.lines[i] if i < len(self.lines) else b""


class FakeI2S:
    """A non-blocking machine.I2S (trainctl.voice's output) that takes each buffer at once, its handler called
    before write() returns, and keeps the samples it was given."""

    def __init__(self):
        self.samples = []
        self.h = None

    def irq(self, h):
        self.h = h

    def write(self, b):
        self.samples += list(b)
        self.h(self)
        return 2 * len(b)

    def deinit(self):
        pass
