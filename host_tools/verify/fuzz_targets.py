"""The fuzzing targets of host_tools/verify/fuzz.py: what each does with the bytes and what counts as a crash, and
a crash's signature."""

import io
import os
import re
import tempfile
import traceback
import zlib

from trainctl import geo, nmea, route_data
from trainctl.coach import Controller
from trainctl.sensors import INPUT_NAMES

from host_tools.build import route as gen_route
from host_tools.common import paths
from host_tools.replay import core as replay_core

FUZZ_DIR = os.path.join(paths.ROOT, "tests", "data", "fuzz")
CRASH_DIR = os.path.join(FUZZ_DIR, "crashes")
WORK_DIR = os.path.join(paths.ROOT, "build", "fuzz")
TARGETS = ("parser", "route", "inputs")
EXT = {"parser": "nmea", "route": "json", "inputs": "csv"}
MAX_LEN = {"parser": 2048, "route": 16384, "inputs": 4096}
ROUTE_SRC = os.path.join(paths.ROOT, "routes", "beijing-pyongyang.json")


class Mismatch(AssertionError):
    """The parser's results change with the chunking, or a result breaks its contract."""


_mods = {}


def _m(name):
    """Import lazily: under atheris the modules must be first imported inside instrument_imports()."""
    if not _mods:
        _mods.update(geo=geo, nmea=nmea, route_data=route_data, Controller=Controller, INPUT_NAMES=INPUT_NAMES,
                     gen_route=gen_route, replay_core=replay_core,
                     fix_fields=tuple(sorted(vars(nmea.Fix()))))
    return _mods[name]


# ---- targets --------------------------------------------------------------------------------------------

# The parser's state carried from one feed() call to the next (tests/property/test_nmea_paths.py checks the names).
_STATE = ("_state", "_day", "_ep", "_sats", "_vtg_cms", "_vtg_cdeg")


def _cuts(data, salt):
    """Chunk lengths (1..160) drawn from the data's CRC: the same input is always cut the same way."""
    x = zlib.crc32(data, salt) | 1
    out = []
    total = 0
    while total < len(data):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        c = 1 + (x >> 8) % (160 if x & 0x30 else 8)
        out.append(c)
        total += c
    return out


def _feed(feed, data, cuts):
    i = 0
    for j, c in enumerate(cuts):
        piece = data[i : i + c]
        i += c
        if j % 3 == 1:
            feed(bytearray(piece))
        elif j % 3 == 2:  # as host_tools/replay/cli.py does: a bigger buffer, n bytes of it valid
            feed(bytearray(piece) + b"$GPRMC,x\r", len(piece))
        else:
            feed(piece)


def check_parser(data, salt=0):
    """The bytes through the controller (its firmware Parser) in one chunking and through a lone Parser in
    another: no exception, the same fixes, Stats and state, and each fix within its contract."""
    nmea = _m("nmea")
    fields = _m("fix_fields")
    ref = []

    def make(on_fix):
        def tee(fix):
            ref.append(tuple(getattr(fix, k) for k in fields))
            on_fix(fix)

        return nmea.Parser(tee)

    ctl = _m("Controller")(_m("route_data"), parser=make)
    _feed(ctl.feed, data, _cuts(data, salt))
    other = []
    q = nmea.Parser(lambda fix: other.append(tuple(getattr(fix, k) for k in fields)))
    _feed(q.feed, data, _cuts(data, salt + 1))
    p = ctl.parser
    for a, b, what in ((ref, other, "fixes"), (p.stats.as_dict(), q.stats.as_dict(), "stats"),
                       ([getattr(p, k) for k in _STATE], [getattr(q, k) for k in _STATE], "state"),
                       ([getattr(p.fix, k) for k in fields], [getattr(q.fix, k) for k in fields], "fix")):
        if a != b:
            raise Mismatch("two chunkings differ in %s: %r != %r" % (what, a, b))
    _check_fixes([dict(zip(fields, f)) for f in ref], p.stats)


def _check_fixes(fixes, stats):
    """Every reported fix is dated and in range; Stats counts the valid ones as fixes, the others as no_fix."""
    for f in fixes:
        if f["utc_s"] < 0 or not 0 <= f["utc_ms"] < 1000:
            raise Mismatch("fix reported with time %r.%r" % (f["utc_s"], f["utc_ms"]))
        if f["valid"] and (abs(f["lat_udeg"]) > 90000000 or abs(f["lon_udeg"]) > 180000000):
            raise Mismatch("valid fix out of range: %r, %r" % (f["lat_udeg"], f["lon_udeg"]))
    valid = sum(1 for f in fixes if f["valid"])
    if valid != stats.fixes or len(fixes) - valid > stats.no_fix:
        raise Mismatch("%d fixes reported (%d valid), Stats: fixes %d, no_fix %d"
                       % (len(fixes), valid, stats.fixes, stats.no_fix))


_tmp = []


def check_route(data):
    """The bytes as a route source: load() and render() succeed, or load() raises RouteError."""
    gr = _m("gen_route")
    if not _tmp:
        fd, path = tempfile.mkstemp(prefix="fuzz-route-", suffix=".json", dir="/dev/shm" if os.path.isdir(
            "/dev/shm") else None)
        os.close(fd)
        _tmp.append(path)
    path = _tmp[0]
    with open(path, "wb") as f:
        f.write(data)
    try:
        route = gr.load(path)
        text = gr.render(route, "fuzz.json", "fuzz")  # build() refuses coincident points: RouteError too
    except gr.RouteError:
        return
    compile(text, "route_data.py", "exec")


_LINE_ERR = re.compile(r"line \d+: ")


def check_inputs(data):
    """The bytes as an inputs CSV: a list of changes in time order, or ValueError 'line N: ...'."""
    rc = _m("replay_core")
    f = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")  # as replay.load_inputs opens it
    try:
        out = rc.parse_inputs(f)
    except UnicodeDecodeError:
        return  # replay.py reports it as a bad file
    except ValueError as e:
        if not _LINE_ERR.match(str(e)):
            raise Mismatch("ValueError without 'line N: ': %r" % str(e)) from None
        return
    last = -1
    for t, i, v in out:
        if type(t) is not int or t < last or type(i) is not int or not 0 <= i < 12 or v not in (0, 1):
            raise Mismatch("bad change %r after t=%d" % ((t, i, v), last))
        last = t


CHECKS = {"parser": check_parser, "route": check_route, "inputs": check_inputs}


def target_of(name):
    """The target a corpus or crash file name belongs to ('parser-....nmea' -> 'parser')."""
    for t in TARGETS:
        if name.startswith(t + "-") or name.endswith("." + EXT[t]):
            return t
    return None


def signature(exc):
    """Exception type and the innermost repository line it came through: one crash, one file."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = "?"
    for fr in frames:
        if fr.filename.startswith(paths.ROOT) and "/.venv/" not in fr.filename:
            where = "%s:%d" % (os.path.relpath(fr.filename, paths.ROOT), fr.lineno)
    if frames:
        last = frames[-1]
        where += " (%s:%d)" % (os.path.basename(last.filename), last.lineno)
    return "%s at %s" % (type(exc).__name__, where)
