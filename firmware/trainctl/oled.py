"""SSD1306 on I2C (micropython-lib's ssd1306 driver, subclassed): sends only the 128-byte pages that changed
since the last send, each run of pages as one writeto from one preallocated buffer (control byte + frame).

Why: the driver's show() sends the whole frame with writevto, which the rp2 port's transfer adaptor joins
into a heap copy (1,025 B per frame; MemoryError under heap_lock()), and a whole frame costs ~24 ms at
400 kHz. A scroll step changes 2 of the 8 pages. send(budget) lets the loop spread a whole frame over
several passes, so no pass holds the loop longer than `budget` pages (~3 ms each at 400 kHz).
"""

import framebuf
from micropython import const
from ssd1306 import SSD1306, SSD1306_I2C

_CTRL_DATA = const(0x40)  # control byte: Co=0, D/C#=1 (the rest of the transaction is display RAM)
_CTRL_CMDS = const(0x00)  # control byte: Co=0, D/C#=0 (the rest of the transaction is commands)
_SET_COL_ADDR = const(0x21)
_SET_PAGE_ADDR = const(0x22)


class Oled(SSD1306_I2C):
    """SSD1306_I2C with show() sending changed pages only; send(budget) / pending for the loop."""

    def __init__(self, width, height, i2c, addr=0x3C, external_vcc=False):
        n = width * height // 8
        self._tx = bytearray(n + 1)  # control byte + frame: one buffer, one writeto per run of pages
        self._tx[0] = _CTRL_DATA
        self._shadow = bytearray(n)  # what the panel's RAM holds (after the first full send)
        self._cmd = bytearray(7)  # control byte + column and page address commands, one transaction
        self._cmd[0] = _CTRL_CMDS
        self._cmd[1] = _SET_COL_ADDR
        self._cmd[4] = _SET_PAGE_ADDR
        self.pending = 0  # bit p: page p differs from what the panel shows
        self.bytes_sent = 0  # I2C bytes (address byte included) since boot
        self._sync = False  # the shadow matches the panel (False until a whole frame went out)
        np = height // 8
        mv = memoryview(self._tx)
        self._fp = [mv[1 + p * width:1 + (p + 1) * width] for p in range(np)]  # frame pages
        sv = memoryview(self._shadow)
        self._sp = [sv[p * width:(p + 1) * width] for p in range(np)]
        # runs a..b (a <= b) of pages as one transaction: the byte before page a briefly holds the control byte
        self._run = [mv[a * width:(b + 1) * width + 1] if b >= a else None for a in range(np) for b in range(np)]
        super().__init__(width, height, i2c, addr, external_vcc)  # init_display() sends our blank frame
        self.buffer = mv[1:]  # drawing goes straight into the transmit buffer
        super(SSD1306, self).__init__(self.buffer, width, height, framebuf.MONO_VLSB)  # FrameBuffer on it

    def changed(self):
        """Mark the pages whose content differs from the panel's; returns the pending bit mask."""
        if not self._sync:
            self.pending = (1 << self.pages) - 1
            return self.pending
        m = self.pending
        fp = self._fp
        sp = self._sp
        for p in range(self.pages):
            if fp[p] != sp[p]:
                m |= 1 << p
        self.pending = m
        return m

    def send(self, budget=8):
        """Send up to `budget` pending pages (runs of adjacent pages in one transaction each); returns the
        number of pages still pending. OSError (bus fault) leaves the unsent pages pending."""
        m = self.pending
        np = self.pages
        p = 0
        while m and budget > 0 and p < np:
            if not m & (1 << p):
                p += 1
                continue
            q = p
            while q + 1 < np and q + 1 - p < budget and m & (1 << (q + 1)):
                q += 1
            self._send_run(p, q)
            for k in range(p, q + 1):
                m &= ~(1 << k)
                self._sp[k][:] = self._fp[k]
            self.pending = m
            budget -= q + 1 - p
            p = q + 1
        if not m:
            self._sync = True
        n = 0
        while m:
            n += m & 1
            m >>= 1
        return n

    def _send_run(self, a, b):
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
            self.i2c.writeto(self.addr, self._run[a * self.pages + b])
        finally:
            if a:
                tx[i] = keep
        self.bytes_sent += 10 + (b - a + 1) * self.width  # 2 address bytes, 7 command bytes, 1 control byte

    def show(self):
        """The whole frame's changes at once (as the driver's show())."""
        self.changed()
        self.send(self.pages)
