"""The display drivers under MicroPython: show() under heap_lock, its allocation, and the bus traffic.

Usage: micropython tests/mp/drivers_mp.py CASES.json  (tests/integration/test_drivers_mp.py writes CASES)
"""

import binascii
import gc
import json
import sys

import micropython
import ssd1306
from trainctl.max7219 import Max7219Chain


class Log:
    # Records into preallocated buffers: recording itself allocates nothing.
    def __init__(self):
        self.log = bytearray(16384)
        self.n = 0
        self.ends = [0] * 512
        self.addrs = bytearray(512)
        self.t = 0
    def put(self, buf):
        n = self.n
        log = self.log
        for b in buf:
            log[n] = b
            n += 1
        self.n = n
    def end(self, addr):
        self.ends[self.t] = self.n
        self.addrs[self.t] = addr
        self.t += 1
    def dump(self):
        out = []
        a = 0
        for i in range(self.t):
            out.append([self.addrs[i], binascii.hexlify(self.log[a:self.ends[i]]).decode()])
            a = self.ends[i]
        return out

class I2C(Log):
    def writeto(self, addr, buf, stop=True):
        self.put(buf)
        self.end(addr)
    def writevto(self, addr, bufs, stop=True):
        for b in bufs:
            self.put(b)
        self.end(addr)

class SPI(Log):
    def write(self, buf):
        self.put(buf)

class CS:
    def __init__(self, spi):
        self.spi = spi
        self.v = 1
    def __call__(self, v):
        if v and not self.v:
            self.spi.end(0)
        self.v = v

def locked_show(disp):
    gc.collect()
    micropython.heap_lock()
    try:
        disp.show()
        ok = True
    except MemoryError:
        ok = False
    micropython.heap_unlock()
    return ok

def alloc_show(disp):
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    disp.show()
    b = gc.mem_alloc()
    gc.enable()
    return b - a

with open(sys.argv[1]) as f:
    CASES = json.load(f)
results = []
for kind, args, ops in CASES:
    if kind == "ssd1306":
        bus = I2C()
        disp = ssd1306.SSD1306_I2C(args[0], args[1], bus)
    else:
        bus = SPI()
        disp = Max7219Chain(bus, CS(bus), cols=args[0], rows=args[1], mirror=args[2], flip=args[3])
    for op in ops:
        getattr(disp, op[0])(*op[1:])
    ok = locked_show(disp)
    alloc = alloc_show(disp)
    results.append({"kind": kind, "args": args, "locked_ok": ok, "alloc": alloc, "traffic": bus.dump()})
print(json.dumps(results))
