"""Decoders that turn the traffic of the fake I2C/SPI buses (host_tools.common.fakes) back into pixels, and
the traffic's cost (CPython, host only).

    i2c = FakeI2C()                                  spi = FakeSPI(); cs = FakePin(1, spi)
    oled = ssd1306.SSD1306_I2C(128, 64, i2c)         chain = Max7219Chain(spi, cs)
    dec = Ssd1306Decoder(128, 64); dec.feed_all(i2c.transactions)
    dec.pixels() == fb_pixels(oled, 128, 64)

Canonical image form everywhere: a list of `height` rows, each a list of `width` ints 0/1 (row 0 on top).
Decoders model the chip's RAM and registers from its datasheet (Solomon SSD1306 rev 1.1, Maxim MAX7219);
bad input (a command they do not know, a truncated frame) raises ValueError.
"""

from collections import namedtuple

from host_tools.common.fakes import FakeI2C

BusCost = namedtuple("BusCost", "transactions payload_bytes wire_bytes wire_bits")
BusCost.__doc__ = """Traffic of one show(). I2C: wire_bytes adds the address byte of each transaction,
wire_bits counts 9 bits per byte (ACK) plus START and STOP; SPI: 8 bits per byte. Seconds = wire_bits / clock_hz."""


def bus_cost(bus):
    """BusCost of everything recorded on a FakeI2C or FakeSPI."""
    tr = bus.transactions
    if isinstance(bus, FakeI2C):
        payload = sum(len(d) for _, d in tr)
        return BusCost(len(tr), payload, payload + len(tr), 9 * (payload + len(tr)) + 2 * len(tr))
    payload = sum(len(d) for d in tr)
    return BusCost(len(tr), payload, payload, 8 * payload)


def frame_bus_bytes(display, bus):
    """Clear bus's record, run display.show() once, return its BusCost (bytes and bits on the bus per frame)."""
    bus.clear()
    display.show()
    return bus_cost(bus)


def fb_pixels(fb, w, h):
    """A FrameBuffer's pixels (any format) in the canonical form, through fb.pixel(x, y)."""
    return [[1 if fb.pixel(x, y) else 0 for x in range(w)] for y in range(h)]


# ---------------------------------------------------------------------------------------------------- SSD1306

# Command -> number of argument bytes (SSD1306 datasheet rev 1.1, section 9, Table 9-1).
_SSD1306_ARGS = {
    0x81: 1,  # contrast
    0x20: 1,  # memory addressing mode
    0x21: 2,  # column address start, end (horizontal/vertical modes)
    0x22: 2,  # page address start, end
    0xA8: 1,  # multiplex ratio
    0xD3: 1,  # display offset
    0xDA: 1,  # COM pins hardware configuration
    0xD5: 1,  # display clock divide ratio / oscillator frequency
    0xD9: 1,  # pre-charge period
    0xDB: 1,  # VCOMH deselect level
    0x8D: 1,  # charge pump (application note)
    0x26: 6, 0x27: 6,  # continuous horizontal scroll setup
    0x29: 5, 0x2A: 5,  # continuous vertical and horizontal scroll setup
    0xA3: 2,  # vertical scroll area
    0xAD: 1,  # internal IREF selection (SSD1306B; micropython-lib's current driver sends 0xAD 0x30 at init)
}
_SSD1306_SINGLE = set(range(0x20)) | set(range(0x40, 0x80)) | set(range(0xB0, 0xB8)) | {
    0x2E, 0x2F, 0xA0, 0xA1, 0xA4, 0xA5, 0xA6, 0xA7, 0xAE, 0xAF, 0xC0, 0xC8, 0xE3}


class Ssd1306Decoder:
    """GDDRAM (128 columns x 8 pages) and registers of an SSD1306 fed with its I2C transactions.

    width x height is the panel; a 64-pixel-wide panel is wired to columns 32..95 (as micropython-lib's
    driver assumes). pixels() is the RAM seen through that window, pixel (x, y) = bit y % 8 of column
    x + offset in page y // 8: the panel's orientation when SEG remap (0xA1) and COM reversed scan (0xC8)
    are set, as on the common modules (seg_remap and com_reversed record them).
    """

    COLUMNS = 128
    PAGES = 8

    def __init__(self, width=128, height=64, addr=0x3C):
        if width > self.COLUMNS or height > 8 * self.PAGES or height % 8:
            raise ValueError("panel %dx%d does not fit the SSD1306" % (width, height))
        self.width = width
        self.height = height
        self.addr = addr
        self.col_offset = 32 if width == 64 else 0
        self.ram = bytearray(self.COLUMNS * self.PAGES)
        # Reset values (Table 9-1): page addressing mode, full windows, display off, contrast 0x7F.
        self.mode = 2
        self.col_start, self.col_end = 0, self.COLUMNS - 1
        self.page_start, self.page_end = 0, self.PAGES - 1
        self.col = 0
        self.page = 0
        self.display_on = False
        self.contrast = 0x7F
        self.inverted = False
        self.entire_on = False
        self.seg_remap = False
        self.com_reversed = False
        self.mux = 63
        self.charge_pump = False
        self.commands = []  # every command as a tuple (opcode, args...)
        self.data_bytes = 0
        self._pending = None  # a command waiting for arguments: [opcode, args...]

    def feed_all(self, transactions):
        for addr, data in transactions:
            self.feed(addr, data)
        return self

    def feed(self, addr, data):
        """One I2C write transaction: control byte(s) (Co bit 7, D/C# bit 6), then commands or data."""
        if addr != self.addr:
            return
        i = 0
        n = len(data)
        while i < n:
            control = data[i]
            if control & 0x3F:
                raise ValueError("control byte 0x%02X: bits 5..0 must be 0" % control)
            i += 1
            is_data = bool(control & 0x40)
            if control & 0x80:  # Co = 1: one byte, then another control byte
                if i >= n:
                    raise ValueError("control byte 0x%02X without its byte" % control)
                chunk = data[i:i + 1]
                i += 1
            else:  # Co = 0: the rest of the transaction is a stream of data or commands
                chunk = data[i:]
                i = n
            for b in chunk:
                if is_data:
                    self._data(b)
                else:
                    self._command_byte(b)

    def _command_byte(self, b):
        if self._pending is not None:
            self._pending.append(b)
            if len(self._pending) == 1 + _SSD1306_ARGS[self._pending[0]]:
                cmd, self._pending = tuple(self._pending), None
                self._execute(cmd)
            return
        if b in _SSD1306_ARGS:
            self._pending = [b]
        elif b in _SSD1306_SINGLE:
            self._execute((b,))
        else:
            raise ValueError("unknown SSD1306 command 0x%02X" % b)

    def _execute(self, cmd):
        self.commands.append(cmd)
        op = cmd[0]
        if op == 0x20:
            if cmd[1] & 3 == 3:
                raise ValueError("memory addressing mode 3 is invalid")
            self.mode = cmd[1] & 3
        elif op == 0x21:
            self.col_start, self.col_end = cmd[1] & 0x7F, cmd[2] & 0x7F
            self.col = self.col_start
        elif op == 0x22:
            self.page_start, self.page_end = cmd[1] & 7, cmd[2] & 7
            self.page = self.page_start
        elif op < 0x10:  # lower nibble of the column start (page addressing mode)
            self.col = (self.col & 0xF0) | op
        elif op < 0x20:
            self.col = (self.col & 0x0F) | ((op & 0x07) << 4)
        elif 0xB0 <= op <= 0xB7:
            self.page = op & 7
        elif op == 0x81:
            self.contrast = cmd[1]
        elif op in (0xA0, 0xA1):
            self.seg_remap = op == 0xA1
        elif op in (0xA4, 0xA5):
            self.entire_on = op == 0xA5
        elif op in (0xA6, 0xA7):
            self.inverted = op == 0xA7
        elif op in (0xAE, 0xAF):
            self.display_on = op == 0xAF
        elif op in (0xC0, 0xC8):
            self.com_reversed = op == 0xC8
        elif op == 0xA8:
            self.mux = cmd[1] & 0x3F
        elif op == 0x8D:
            self.charge_pump = bool(cmd[1] & 0x04)

    def _data(self, b):
        """Write at the pointer, then advance it as the addressing mode says (datasheet 10.1.3)."""
        self.ram[self.page * self.COLUMNS + self.col] = b
        self.data_bytes += 1
        if self.mode == 0:  # horizontal: column, then page, both wrapping inside their windows
            if self.col >= self.col_end:
                self.col = self.col_start
                self.page = self.page_start if self.page >= self.page_end else self.page + 1
            else:
                self.col += 1
        elif self.mode == 1:  # vertical: page, then column
            if self.page >= self.page_end:
                self.page = self.page_start
                self.col = self.col_start if self.col >= self.col_end else self.col + 1
            else:
                self.page += 1
        else:  # page mode: the column wraps to 0, the page stays
            self.col = 0 if self.col >= self.COLUMNS - 1 else self.col + 1

    def pixels(self):
        """The panel's RAM window in the canonical form."""
        ram, off, cols = self.ram, self.col_offset, self.COLUMNS
        return [[(ram[(y >> 3) * cols + off + x] >> (y & 7)) & 1 for x in range(self.width)]
                for y in range(self.height)]

    def visible(self):
        """What the panel lights: pixels() after display off (all dark), entire-on (A5) and inverse (A7)."""
        if not self.display_on:
            return [[0] * self.width for _ in range(self.height)]
        if self.entire_on:
            return [[1] * self.width for _ in range(self.height)]
        flip = 1 if self.inverted else 0
        return [[p ^ flip for p in row] for row in self.pixels()]


# ---------------------------------------------------------------------------------------------------- MAX7219


class Max7219Decoder:
    """Registers of a chain of rows x cols MAX7219 modules fed with SPI transactions (CS low..high).

    The chain is one shift register of 16 bits per module (DOUT -> DIN), kept across transactions as in
    hardware; on the LOAD/CS rising edge every module latches the 16 bits it holds (address D11-D8, data
    D7-D0, MSB first). Module k is the k-th from DIN; geometry as firmware/trainctl/max7219.py documents
    (module 0 top-right, right to left along each row, rows top to bottom; digit 1 + y = row y, bit 7
    leftmost), with mirror/flip as there.
    """

    def __init__(self, cols=8, rows=2, mirror=False, flip=False):
        self.cols = cols
        self.rows = rows
        self.n = cols * rows
        self.mirror = mirror
        self.flip = flip
        self.stream = bytearray(2 * self.n)  # the last 2 * n bytes shifted in; module k holds [-2k-2:-2k]
        # Datasheet "Initial Power-Up": control registers reset (scan 1 digit, no decode, minimum
        # intensity), shutdown mode; digit registers start unknown (0 here, `written` tells).
        self.digits = [bytearray(8) for _ in range(self.n)]
        self.written = [0] * self.n  # bit d set once digit register d (address 1 + d) has been latched
        self.decode = [0] * self.n
        self.intensity = [0] * self.n
        self.scan_limit = [0] * self.n
        self.shutdown = [True] * self.n
        self.test = [False] * self.n
        self.latches = 0
        self.frames = []  # (module, address, data) of every latched 16-bit word that was not a no-op

    def feed_all(self, transactions):
        for t in transactions:
            self.feed(t)
        return self

    def feed(self, data):
        """Shift one transaction's bytes in at DIN (address byte first), then latch all (CS rising edge)."""
        self.stream = (self.stream + bytes(data))[-2 * self.n:]
        self.latches += 1
        end = 2 * self.n
        for k in range(self.n):
            self._latch(k, self.stream[end - 2 * k - 2] & 0x0F, self.stream[end - 2 * k - 1])

    def _latch(self, k, addr, value):
        if addr == 0x00:  # no-op
            return
        self.frames.append((k, addr, value))
        if 0x01 <= addr <= 0x08:
            self.digits[k][addr - 1] = value
            self.written[k] |= 1 << (addr - 1)
        elif addr == 0x09:
            self.decode[k] = value
        elif addr == 0x0A:
            self.intensity[k] = value & 0x0F
        elif addr == 0x0B:
            self.scan_limit[k] = value & 0x07
        elif addr == 0x0C:
            self.shutdown[k] = not value & 1
        elif addr == 0x0F:
            self.test[k] = bool(value & 1)
        else:
            raise ValueError("MAX7219 module %d: address 0x%X is not a register" % (k, addr))

    def module_at(self, r, c):
        """Chain index of the module in row r (0 top), column c (0 left)."""
        return r * self.cols + (self.cols - 1 - c)

    def _module_pixels(self, k, y, lit):
        d = 7 - y if self.flip else y
        v = lit(k, d)
        if self.mirror:
            return [(v >> x) & 1 for x in range(8)]
        return [(v >> (7 - x)) & 1 for x in range(8)]

    def _image(self, lit):
        return [[p for c in range(self.cols) for p in self._module_pixels(self.module_at(r, c), y, lit)]
                for r in range(self.rows) for y in range(8)]

    def pixels(self):
        """The digit registers of the whole chain in the canonical form."""
        return self._image(lambda k, d: self.digits[k][d])

    def visible(self):
        """What the LEDs show: display test lights all, shutdown blanks, digits past the scan limit are dark."""
        def lit(k, d):
            if self.test[k]:
                return 0xFF
            if self.shutdown[k] or d > self.scan_limit[k]:
                return 0
            if self.decode[k] & (1 << d):
                raise ValueError("module %d digit %d in Code-B decode mode" % (k, d))
            return self.digits[k][d]
        return self._image(lit)
