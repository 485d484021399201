"""SSD1306 on I2C: micropython-lib's ssd1306 driver, sending only the pages marked as redrawn, one or two
adjacent pages a writeto from one preallocated buffer (control byte + frame).

The driver's show() sends the whole frame with writevto, which the rp2 port joins into a heap copy (1,025 B a
frame; MemoryError under heap_lock()); a whole frame costs ~24 ms at 400 kHz. A scroll step redraws 2 of 8.
"""

import framebuf
from micropython import const
from ssd1306 import SSD1306, SSD1306_I2C

_CTRL_DATA = const(0x40)  # control byte: Co=0, D/C#=1 (the rest of the transaction is display RAM)
_CTRL_CMDS = const(0x00)  # control byte: Co=0, D/C#=0 (the rest of the transaction is commands)
_SET_COL_ADDR = const(0x21)
_SET_PAGE_ADDR = const(0x22)


class Oled(SSD1306_I2C):
    """SSD1306_I2C; mark(pages) then send(budget) from the loop; show() sends every page."""

    def __init__(self, width, height, i2c, addr=0x3C, external_vcc=False):
        self._tx = bytearray(width * height // 8 + 1)  # control byte + frame
        self._tx[0] = _CTRL_DATA
        self._cmd = bytearray(7)  # control byte + column and page address commands: one transaction
        self._cmd[1] = _SET_COL_ADDR
        self._cmd[4] = _SET_PAGE_ADDR
        self.pending = 0  # bit p: page p to send
        self.bytes_sent = 0  # I2C bytes (address bytes included) since boot
        n = height // 8
        mv = memoryview(self._tx)
        # page p alone, or p and p + 1, from the byte before it (which holds the control byte meanwhile)
        self._one = [mv[p * width:(p + 1) * width + 1] for p in range(n)]
        self._two = [mv[p * width:(p + 2) * width + 1] for p in range(n - 1)]
        super().__init__(width, height, i2c, addr, external_vcc)  # init_display() sends our blank frame
        self.buffer = mv[1:]
        super(SSD1306, self).__init__(self.buffer, width, height, framebuf.MONO_VLSB)  # draw into it

    def mark(self, pages):
        """Pages (bit mask) drawn since the last send."""
        self.pending |= pages

    def send(self, budget=8):
        """Send up to `budget` marked pages; returns how many are left. OSError: the unsent stay marked."""
        m = self.pending
        np = self.pages
        p = 0
        while m and budget > 0 and p < np:
            if not m & (1 << p):
                p += 1
                continue
            two = p + 1 < np and budget > 1 and m & (2 << p)
            self._send(p, p + 1 if two else p)
            m &= ~((3 if two else 1) << p)
            self.pending = m
            budget -= 2 if two else 1
            p += 2 if two else 1
        n = 0
        while m:
            n += m & 1
            m >>= 1
        return n

    def _send(self, a, b):
        c = self._cmd
        x0 = 32 if self.width == 64 else 0  # a 64-pixel-wide panel sits on columns 32..95 (as the driver)
        c[2] = x0
        c[3] = x0 + self.width - 1
        c[5] = a
        c[6] = b
        self.i2c.writeto(self.addr, c)
        tx = self._tx
        i = a * self.width
        keep = tx[i]
        tx[i] = _CTRL_DATA
        try:
            self.i2c.writeto(self.addr, self._one[a] if a == b else self._two[a])
        finally:
            if a:
                tx[i] = keep
        self.bytes_sent += 10 + (b - a + 1) * self.width  # 2 address, 7 command, 1 control byte

    def show(self):
        self.pending = (1 << self.pages) - 1
        self.send(self.pages)
