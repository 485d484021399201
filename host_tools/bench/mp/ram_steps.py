# RAM after boot, step by step (MicroPython): the boot of main.py, gc.mem_alloc() after gc.collect() after
# each step; one JSON line. Usage: micropython ram_steps.py STATE_FILE (host_tools/bench/main.py, section 6;
# ram_steps_romfs.py runs it with the modules in a ROMFS image). Each import is a measured step: where it stands
# and what it imports are the point.
# (Comments, not a docstring: a docstring would be allocated before the measurement.)
# ruff: noqa: E402, F401, I001

import gc
import sys


class _UART:
    def __init__(self, rxbuf):
        self.rx = bytearray(rxbuf)

    def any(self):
        return 0

    def readinto(self, buf, n=-1):
        return None

    def write(self, b):
        return len(b)


class _I2C:
    def writeto(self, addr, buf):
        return 1

    def writevto(self, addr, bufs):
        return 1


class _Pin:
    def __init__(self, name, value=0):
        self.name = name
        self.v = value

    def __call__(self, v=None):
        if v is None:
            return self.v
        self.v = v

    def value(self, v=None):
        return self(v)


class _WDT:
    def feed(self):
        pass


def _log(*a):
    pass


INPUTS = ("door_A_left", "door_A_right", "door_B_left", "door_B_right", "gangway_A", "gangway_B",
          "beam_A_outer", "beam_A_inner", "beam_B_outer", "beam_B_inner", "wc_1", "wc_2")
steps = []
last = [0]


def mark(name):
    gc.collect()
    a = gc.mem_alloc()
    steps.append((name, a - last[0]))
    last[0] = a


gc.collect()
last[0] = base = gc.mem_alloc()
import ssd1306
from trainctl.hw import Hardware

uart = _UART(2048)
disp = ssd1306.SSD1306_I2C(128, 64, _I2C())
hw = Hardware("bench", uart, disp, _WDT(), sys.argv[1], {n: _Pin(n) for n in INPUTS}, _Pin("alarm"),
              poll_ms=100, frame_ms=1000)
mark("hw")
from trainctl import route_data
mark("route_data")
from trainctl import font_data
mark("font_data")
from trainctl import app, pages, text
mark("modules")
a = app.App(route_data, hw, log=_log)
mark("app")
mods = sorted(k for k in sys.modules if k.startswith("trainctl"))
print('{"base": %d, "total": %d, "heap": %d, "maxsize": %d, "build": "%s", "steps": {%s}, "modules": [%s]}' % (
    base, last[0] - base, gc.mem_alloc() + gc.mem_free(), sys.maxsize, getattr(sys.implementation, "_build", "?"),
    ", ".join('"%s": %d' % s for s in steps), ", ".join('"%s"' % m for m in mods)))
