"""Chain of MAX7219 8x8 LED matrix modules as one framebuf.FrameBuffer (MONO_HLSB, stride = width).

Geometry: `rows` x `cols` modules, width = 8 * cols, height = 8 * rows (default 2 x 8 = 64 x 16).
Chain order: the module wired to the MCU (DIN) is the top-right one; DOUT -> DIN runs right to left along
row 0, then right to left along row 1, ... as on "FC-16" 4-in-1 boards (input connector on the right).
Each module is a 16-bit shift register: the first 2 bytes shifted out end up in the LAST module of the
chain (bottom-left), so one transaction lists rows bottom to top, modules left to right in each row.
In a module, digit register 1 + y drives pixel row y and bit 7 the leftmost column (FC-16): a module's row
is one framebuffer byte, sent as it is. mirror=True: bit 0 is leftmost; flip=True: digit 1 is the bottom
row (both: a module mounted upside down). Facts cited from the Maxim MAX7219/MAX7221 datasheet.
"""

import framebuf
from micropython import const

# Register addresses, datasheet Table 2 (D11-D8; D15-D12 are don't-care).
_NOOP = const(0x00)
_DIGIT0 = const(0x01)  # digits 0..7 = 0x01..0x08
_DECODE_MODE = const(0x09)  # 0: no Code-B decode for any digit (Table 4)
_INTENSITY = const(0x0A)  # 0x0..0xF: PWM duty 1/32 .. 31/32 (Table 7)
_SCAN_LIMIT = const(0x0B)  # 7: digits 0..7 scanned (Table 8)
_SHUTDOWN = const(0x0C)  # 0: shutdown (blank, registers kept), 1: normal operation (Table 3)
_DISPLAY_TEST = const(0x0F)  # 1: all LEDs on, overriding all registers; 0: normal (Table 10)


class Max7219Chain(framebuf.FrameBuffer):
    """rows x cols MAX7219 modules on `spi` (has .write(buf), <= 10 MHz, mode 0) with LOAD/CS on `cs`.

    cs is any callable pin: cs(0) selects, cs(1) latches (data latched on the LOAD/CS rising edge).
    """

    def __init__(self, spi, cs, cols=8, rows=2, brightness=4, mirror=False, flip=False):
        if cols < 1 or rows < 1:
            raise ValueError("cols and rows must be >= 1")
        self.width = 8 * cols
        self.height = 8 * rows
        self.cols = cols
        self.rows = rows
        self.modules = cols * rows
        self.buffer = bytearray(cols * 8 * rows)  # MONO_HLSB: row y of module column c is byte y * cols + c
        self._tx = bytearray(2 * self.modules)  # one 16-bit frame per module, the farthest module's first
        self._spi = spi
        self._cs = cs
        self._flip = flip
        self._rev = None
        if mirror:  # bit-reversal table, 256 bytes, only when needed
            rev = bytearray(256)
            for b in range(256):
                r = 0
                for i in range(8):
                    if b & (1 << i):
                        r |= 0x80 >> i
                rev[b] = r
            self._rev = rev
        super().__init__(self.buffer, self.width, self.height, framebuf.MONO_HLSB)
        cs(1)
        # Datasheet "Initial Power-Up": control registers reset, display blanked, shutdown mode; the digit
        # registers are not said to be reset. After an MCU-only reset the chain may be running: blank it,
        # configure, clear the digits, then leave shutdown.
        self._all(_SHUTDOWN, 0)
        self._all(_DISPLAY_TEST, 0)
        self._all(_DECODE_MODE, 0)
        self._all(_SCAN_LIMIT, 7)  # all 8 digits; 3 or fewer over-stress the digit drivers (datasheet)
        self.brightness(brightness)
        self.fill(0)
        self.show()
        self._all(_SHUTDOWN, 1)

    def _all(self, reg, value):
        """Write one register with the same value in every module (one CS/LOAD cycle)."""
        tx = self._tx
        for i in range(0, len(tx), 2):
            tx[i] = reg  # address byte first: D15 is clocked in first
            tx[i + 1] = value
        self._cs(0)
        self._spi.write(tx)
        self._cs(1)

    def brightness(self, value):
        """Intensity 0..15 (PWM duty (2 * value + 1) / 32); ValueError outside."""
        if not 0 <= value <= 15:
            raise ValueError("brightness 0..15")
        self._all(_INTENSITY, value)

    def power(self, on):
        """on: normal operation; off: shutdown mode (blank, 150 uA typical, registers kept)."""
        self._all(_SHUTDOWN, 1 if on else 0)

    def show(self):
        """Send the framebuffer: 8 transactions (one per digit register) of 2 bytes per module; no allocation."""
        tx = self._tx
        buf = self.buffer
        rev = self._rev
        cols = self.cols
        spi = self._spi
        cs = self._cs
        for d in range(8):
            y = 7 - d if self._flip else d
            i = 0
            r = self.rows - 1
            while r >= 0:  # bottom row first: its modules are the farthest from DIN
                src = (r * 8 + y) * cols
                for c in range(cols):
                    tx[i] = _DIGIT0 + d
                    tx[i + 1] = rev[buf[src + c]] if rev is not None else buf[src + c]
                    i += 2
                r -= 1
            cs(0)
            spi.write(tx)
            cs(1)
