# MicroPython only: the main loop's sensor path (Sensors.poll -> App._event -> pages refresh + journey log)
# allocates nothing per poll; with STATE_PATH every counted crossing is saved to the state file as well.
#   micropython tests/mp/app_sensors_alloc.py JLOG_PATH [STATE_PATH]
import gc
import sys

import micropython
from trainctl import route_data as R
from trainctl.app import App
from trainctl.hw import Hardware

LEVELS = bytearray(12)
NAMES = ("door_A_left", "beam_A_outer", "beam_A_inner", "wc_1")


class In:
    def __init__(self, i):
        self.i = i

    def __call__(self):
        return LEVELS[self.i]


class NoUart:
    def any(self):
        return 0

    def readinto(self, b, n=-1):
        return None


class Disp:
    def __init__(self):
        import framebuf

        self.width = 128
        self.height = 64
        self.buf = bytearray(1024)
        self.fb = framebuf.FrameBuffer(self.buf, 128, 64, framebuf.MONO_VLSB)

    def fill(self, c):
        self.fb.fill(c)

    def fill_rect(self, x, y, w, h, c):  # a row redrawn (Pages.render: only what changed)
        self.fb.fill_rect(x, y, w, h, c)

    def blit(self, src, x, y, key=-1, palette=None):
        self.fb.blit(src, x, y, key, palette)

    def show(self):
        pass


inputs = {}
for k in range(len(NAMES)):
    inputs[NAMES[k]] = In(k)
hw = Hardware("alloc", NoUart(), Disp(), None, sys.argv[2] if len(sys.argv) > 2 else None, inputs, None,
              jlog_path=sys.argv[1])
app = App(R, hw, log=lambda s: None)
# a pattern of 400 polls (4 s): door opens, 3 people in, door closes, WC locked and unlocked
PATTERN = []
for k in range(400):
    d = 1 if 20 <= k < 300 else 0
    ph = (k - 60) % 40 if 60 <= k < 240 else -1
    o, i = (1, 0) if 0 <= ph < 5 else (1, 1) if 5 <= ph < 10 else (0, 1) if 10 <= ph < 15 else (0, 0)
    w = 1 if 100 <= k < 200 else 0
    PATTERN.append((d, o, i, w))


def polls(n):
    for k in range(n):
        p = PATTERN[k % 400]
        LEVELS[0] = p[0]
        LEVELS[1] = p[1]
        LEVELS[2] = p[2]
        LEVELS[3] = p[3]
        app.step(10)


polls(800)
gc.collect()
before = gc.mem_alloc()
micropython.heap_lock()
err = False
try:
    polls(4000)
except MemoryError:
    err = True
micropython.heap_unlock()
after = gc.mem_alloc()
s = app.sensors
print("memory_error %d bytes %d events %d ins %d uses %d saves %d" % (
    err, after - before, s.events, s.tally.onboard, s.wc.uses[0], app.store.writes if app.store else -1))
