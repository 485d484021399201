# The NMEA parser over log files, one summary line per log: the same text on CPython and every MicroPython port.
# Usage: micropython tests/mp/corpus_mp.py LOG...   (firmware/ on MICROPYPATH; CPython: firmware/ on sys.path)
import sys

from trainctl import nmea

_buf = bytearray(64)  # read as a board's UART pump does: 64-byte reads into one buffer


class _Sum:
    def __init__(self):
        self.n = 0
        self.h = 0

    def __call__(self, f):
        self.n += 1
        for v in (f.utc_s, f.utc_ms, f.valid, f.lat_udeg, f.lon_udeg, f.speed_cms, f.course_cdeg, f.talker):
            self.h = (self.h * 31 + int(v)) % 1000000007


for path in sys.argv[1:]:
    s = _Sum()
    p = nmea.Parser(s)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(_buf)
            if not n:
                break
            p.feed(_buf, n)
    p.flush()
    d = p.stats.as_dict()
    print(path.split("/")[-1], s.n, s.h, " ".join("%s=%d" % (k, d[k]) for k in sorted(d)),
          " ".join("%d=%d" % (i, v) for i, v in enumerate(p.stats.by_kind) if v))
