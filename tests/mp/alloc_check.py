# MicroPython only: proves the parser and the whole pipeline allocate nothing per sentence, and
# geo.Matcher (decoding the bytes segment table) nothing per fix.
#   micropython tests/mp/alloc_check.py
# Builds a moving-train stream (RMC + GGA + GSV at 1 Hz, some bad lines), warms up, then feeds the
# rest under micropython.heap_lock(): any allocation raises MemoryError. Prints JSON lines.
import gc
import sys

import micropython
from portable.nmeagen import Track, gga, rmc, sentence
from trainctl import geo
from trainctl import route_data as R
from trainctl.coach import Controller
from trainctl.nmea import Parser

from host_tools.common import segs

T0 = 217589160 + 3600  # 2026-11-23T10:26:00Z


def build(epochs, bad):
    """Chunks of a train running along the line from Tianjin towards Tangshan at 25 m/s, 1 fix per second."""
    tr = Track(R, T0)
    gsv = (sentence("GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00,1")
           + sentence("GPGSV,3,2,11,14,25,170,00,16,57,208,39,18,67,296,40,19,40,246,00,1")
           + sentence("BDGSV,1,1,03,20,10,080,36,21,45,300,41,22,05,020,00,1"))
    junk = (b"\x00\xff$GNRMC,0926" + sentence("GPTXT,01,01,02,u-blox") + b"$GPGGA,bad*00\r\n"
            + b"$" + b"9" * 150 + b"\r\n")
    chunks = [None] * epochs  # allocated once: a growing list needs ever larger blocks of a fragmented heap
    for k in range(epochs):
        t = T0 + k
        lat, lon = tr.line_at(R.ST_ALONG_M[1] + 25 * k)
        s = rmc(t, lat, lon, 2500) + gga(t, lat, lon) + gsv
        if bad:
            s += junk
        chunks[k] = bytearray(s)
    return chunks


def build_receivers(epochs):
    """What other receivers send (issue 15): GNS + GLL + ZDA seconds, GGA-only seconds between RMC ones (reported
    when the next begins), a week-rollover date, no-fix sentences with empty fields, '$$', '#' comment lines."""
    chunks = [None] * epochs
    for k in range(epochs):
        t = T0 + k
        s = t % 86400
        hms = "%02d%02d%02d.00" % (s // 3600, s // 60 % 60, s % 60)
        lon = "%03d%02d.%05d" % (117, k % 60, k * 37 % 100000)
        kind = k % 4
        if kind == 0:
            s = (sentence("GNGNS,%s,3907.50000,N,%s,E,AANN,13,0.93,12.5,-8.0,,,V" % (hms, lon))
                 + sentence("GNGLL,3907.50000,N,%s,E,%s,A,A" % (lon, hms))
                 + sentence("GNZDA,%s,23,11,2026,," % hms))
        elif kind == 1:  # '$$', and a receiver with the week-rollover bug: 2007-04-09 for 2026-11-23
            s = b"$" + sentence("GPRMC,%s,A,3907.50000,N,%s,E,48.6,,090407,,,A" % (hms, lon))
        elif kind == 2:
            s = gga(t, 39125000, 117000000 + k) + sentence("GPGGA,,,,,,0,00,99.99,,,,,,")
        else:
            s = b"# a comment line $GPRMC\r\n" + sentence("GPRMC,,V,,,,,,,,,,N") + rmc(t, 39125000, 117000000 + k)
        chunks[k] = bytearray(s)
    return chunks


def run(name, feed, chunks, counter):
    """Warm up on the first 40 %, feed 30 % under heap_lock, measure the last 30 % unlocked."""
    n = len(chunks)
    a = n * 4 // 10
    b = n * 7 // 10
    for i in range(a):
        feed(chunks[i])
    gc.collect()
    before = counter()
    micropython.heap_lock()
    err = False
    try:
        for i in range(a, b):
            feed(chunks[i])
    except MemoryError:
        err = True
    finally:
        micropython.heap_unlock()
    done = counter() - before
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    for i in range(b, n):
        feed(chunks[i])
    per = (gc.mem_alloc() - a0) // max(1, n - b)
    gc.enable()
    return '{"case": "%s", "locked_sentences": %d, "memory_error": %s, "bytes_per_epoch_unlocked": %d}' % (
        name, done, "true" if err else "false", per)


class MatchFeed:
    """Matcher.update on (lat, lon) pairs, counted."""

    def __init__(self):
        self.m = geo.Matcher(R.SEG, R.SEG_N, R.SEG_TOL)
        self.n = 0

    def feed(self, p):
        self.m.update(p[0], p[1])
        self.n += 1


def match_points(passes):
    """The whole route walked 1/4 segment per fix ~1 km off the line, passes times; mid-way through each
    pass 5 fixes far away (a whole-route search follows), and each pass restarts at the far end (a jump)."""
    pts = []
    for _ in range(passes):
        for j in range(R.SEG_N - 1):
            la0, lo0 = segs.seg_start(R.SEG, j)
            la1, lo1 = segs.seg_start(R.SEG, j + 1)
            for k in range(4):
                pts.append((la0 + (la1 - la0) * k // 4 + 9000, lo0 + (lo1 - lo0) * k // 4))
            if j == R.SEG_N // 2:
                for _ in range(5):
                    pts.append((30000000, 100000000))
    return pts


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    mf = MatchFeed()
    print(run("matcher", mf.feed, match_points(1), lambda: mf.n))
    mf = None
    chunks = build(epochs, True)
    p = Parser()
    print(run("parser", p.feed, chunks, lambda: p.stats.sentences))
    q = Parser()
    print(run("receivers", q.feed, build_receivers(epochs), lambda: q.stats.sentences))
    print('{"receivers_fixes": %d, "rollover": %d, "no_fix": %d, "comments": %d, "bad_field": %d}' % (
        q.stats.fixes, q.stats.rollover, q.stats.no_fix, q.stats.comments, q.stats.bad_field))
    q = None
    c = Controller(R, None, None)
    print(run("pipeline", c.feed, chunks, lambda: c.parser.stats.sentences))
    print('{"train": "%s", "next_stop": %d, "fixes": %d, "bad_checksum": %d, "too_long": %d}' % (
        c.train, c.next_stop, c.parser.stats.fixes, c.parser.stats.bad_checksum, c.parser.stats.too_long))


main()
