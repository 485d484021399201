"""Coverage-guided fuzzing of the NMEA parser (with the whole controller behind it), the route loader and
the inputs CSV parser, with atheris (libFuzzer); a seeded random-mutation loop when atheris is missing.

    python -m host_tools.fuzz parser|route|inputs [--runs N] [--seed S] [--corpus DIR] [--jobs J]
    python -m host_tools.fuzz corpus     # rewrite the seed corpus tests/data/fuzz/<target>/ from tests/data

Targets and what counts as a crash (anything else raised, or a broken invariant):
  parser  the bytes into trainctl.controller.Controller(route_data) (firmware Parser, journey, filter, geometry)
          and into host_tools.fast_nmea.FastParser, each in its own chunking: nothing may be raised, and both
          parsers must report the same fixes, Stats and state.
  route   the bytes as a route source file: gen_route.load() then render(); only RouteError may be raised,
          and the rendered module must compile.
  inputs  the bytes as an inputs CSV read as host_tools/replay.py reads it: replay_core.parse_inputs() may only
          raise ValueError "line N: ..." (or UnicodeDecodeError); what it returns is in time order, 0/1 levels.
Every new crash signature (exception type and the line that raised it) is written to
tests/data/fuzz/crashes/<target>-<sha1>.<ext>; the run goes on, prints the figures and exits 1.
tests/test_fuzz_regress.py replays the corpus and the crashes on every `make test`.
"""

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback
import zlib

from host_tools import paths, segs

paths.use_firmware()

FUZZ_DIR = os.path.join(paths.ROOT, "tests", "data", "fuzz")
CRASH_DIR = os.path.join(FUZZ_DIR, "crashes")
WORK_DIR = os.path.join(paths.ROOT, "build", "fuzz")
TARGETS = ("parser", "route", "inputs")
EXT = {"parser": "nmea", "route": "json", "inputs": "csv"}
MAX_LEN = {"parser": 2048, "route": 16384, "inputs": 4096}
ROUTE_SRC = os.path.join(paths.ROOT, "routes", "beijing-pyongyang.json")


class Mismatch(AssertionError):
    """The firmware's parser and the host's FastParser disagree, or a result breaks its contract."""


_mods = {}


def _m(name):
    """Import lazily: under atheris the modules must be first imported inside instrument_imports()."""
    if not _mods:
        from trainctl import geo, nmea, route_data
        from trainctl.controller import Controller

        from host_tools import fast_nmea, gen_route, replay_core

        _mods.update(geo=geo, nmea=nmea, route_data=route_data, Controller=Controller, fast_nmea=fast_nmea,
                     gen_route=gen_route, replay_core=replay_core,
                     fix_fields=tuple(sorted(vars(nmea.Fix()))))
    return _mods[name]


# ---- targets --------------------------------------------------------------------------------------------

_STATE = ("_state", "_day", "_ep", "_sats", "_vtg_cms", "_vtg_cdeg")  # = fast_nmea.CARRIED (a test checks)


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
        elif j % 3 == 2:  # as host_tools/replay.py does: a bigger buffer, n bytes of it valid
            feed(bytearray(piece) + b"$GPRMC,x\r", len(piece))
        else:
            feed(piece)


def check_parser(data, salt=0):
    """The bytes through the controller (firmware Parser) and through FastParser: no exception, same results."""
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
    fast = []
    fp = _m("fast_nmea").FastParser(lambda fix: fast.append(tuple(getattr(fix, k) for k in fields)))
    _feed(fp.feed, data, _cuts(data, salt + 1))
    p = ctl.parser
    for a, b, what in ((ref, fast, "fixes"), (p.stats.as_dict(), fp.stats.as_dict(), "stats"),
                       ([getattr(p, k) for k in _STATE], [getattr(fp, k) for k in _STATE], "state"),
                       ([getattr(p.fix, k) for k in fields], [getattr(fp.fix, k) for k in fields], "fix")):
        if a != b:
            raise Mismatch("Parser and FastParser differ in %s: %r != %r" % (what, a, b))


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


# ---- structure-aware mutators ---------------------------------------------------------------------------

T0_S = 217589160  # 2026-11-23T09:26:00Z, seconds since 2020-01-01
NMEA_TEXTS = [
    "", "A", "V", "N", "S", "E", "W", "M", "T", "K", "D", "P", "R", "F", "0", "1", "2", "3", "6", "9", "10", "99",
    "235959.99", "235960", "240000", "000000", "000000.000", "-10000", "092600.", "092600.x", "0926",
    "9000.00000", "9000.00001", "8959.99999", "18000.00000", "17959.99999", "3960.00000", "-954.12012",
    "3954.120123", "0000.00000", "00000.00000", "-0", "--1", "1..2", "99999999", "100000000", "99999999.9999999",
    "0.000", "359.99", "360.00", "360.01", "-0.5", "999.999", "1999.9995", "9999.9", "291126", "310226", "290224",
    "290228", "010120", "311253", "010154", "311219", "2019", "2020", "2053", "2054", "12", "13", "31", "32",
    "+1", " 1", "1e3", "0x1", "\x7e",
]
SENTENCE_KINDS = ("RMC", "GGA", "VTG", "GSA", "GSV", "ZDA")
TALKERS = ("GN", "GP", "GL", "GA", "GB", "BD", "GQ", "GI", "G1", "gp", "PG")


def sentence(body):
    x = 0
    for c in body:
        x ^= c
    return b"$%s*%02X\r\n" % (body, x)


def _angle(udeg, deg_digits, pos, neg):
    h = pos if udeg >= 0 else neg
    udeg = abs(udeg)
    deg = udeg // 1000000
    min_e5 = ((udeg % 1000000) * 60 + 5) // 10
    if min_e5 >= 6000000:
        deg += 1
        min_e5 -= 6000000
    fmt = "%02d%02d.%05d" if deg_digits == 2 else "%03d%02d.%05d"
    return fmt % (deg, min_e5 // 100000, min_e5 % 100000), h


def _route_point(rng):
    """A position on or near the route (micro-degrees), mostly close to the track, sometimes far off."""
    rd = _m("route_data")
    i = rng.randrange(rd.SEG_N)
    lat, lon = segs.seg_start(rd.SEG, i)
    if i + 1 < rd.SEG_N and rng.random() < 0.7:
        f = rng.random()
        lat1, lon1 = segs.seg_start(rd.SEG, i + 1)
        lat += int((lat1 - lat) * f)
        lon += int((lon1 - lon) * f)
    spread = rng.choice((0, 10, 100, 1000, 10000, 200000, 5000000))
    return lat + rng.randint(-spread, spread), lon + rng.randint(-spread, spread)


def _tod_text(t_s, ms):
    s = t_s % 86400
    return "%02d%02d%02d.%02d" % (s // 3600, s // 60 % 60, s % 60, ms // 10)


def _date_text(t_s):
    from trainctl import clock

    y, mo, d = clock.civil_from_epoch_days(t_s // 86400)
    return "%02d%02d%02d" % (d, mo, y % 100)


def gen_epoch(rng, t_s, lat, lon, speed_cms):
    """One receiver epoch (RMC and/or GGA, sometimes VTG/GSA/GSV/ZDA) with valid checksums."""
    talker = rng.choice(TALKERS[:8]) if rng.random() < 0.2 else "GN"
    la, ns = _angle(lat, 2, "N", "S")
    lo, ew = _angle(lon, 3, "E", "W")
    tod = _tod_text(t_s, rng.choice((0, 0, 500, rng.randrange(1000))))
    kn = speed_cms * 9000 // 463
    status = "A" if rng.random() < 0.9 else "V"
    mode = rng.choice("AAAADNEFRPMS")
    out = []
    if rng.random() < 0.85:
        out.append("%sRMC,%s,%s,%s,%s,%s,%s,%d.%03d,%s,%s,,,%s,V" % (
            talker, tod, status, la, ns, lo, ew, kn // 1000, kn % 1000,
            "%.2f" % (rng.randrange(36000) / 100) if rng.random() < 0.5 else "", _date_text(t_s), mode))
    if rng.random() < 0.7:
        out.append("%sGGA,%s,%s,%s,%s,%s,%d,%02d,%s,%.1f,M,-8.0,M,," % (
            talker, tod, la, ns, lo, ew, rng.choice((1, 1, 1, 2, 4, 5, 0, 6)), rng.randrange(40),
            rng.choice(("0.9", "1.2", "4.5", "12.5", "25.0", "99.9", "")), rng.uniform(-50, 900)))
    if rng.random() < 0.15:
        out.append("%sVTG,%.1f,T,,M,%d.%03d,N,%.1f,K,A" % (talker, rng.randrange(3600) / 10, kn // 1000,
                                                          kn % 1000, speed_cms * 0.036))
    if rng.random() < 0.1:
        out.append("%sGSA,A,%d,04,05,,09,12,,,24,,,,,2.5,1.3,2.1,1" % (talker, rng.choice((1, 2, 3))))
    if rng.random() < 0.1:
        out.append("%sGSV,1,1,%02d,21,45,179,36" % (rng.choice(TALKERS[:8]), rng.randrange(30)))
    if rng.random() < 0.05:
        from trainctl import clock

        y, mo, d = clock.civil_from_epoch_days(t_s // 86400)
        out.append("GNZDA,%s,%02d,%02d,%04d,00,00" % (tod, d, mo, y))
    return b"".join(sentence(s.encode()) for s in out)


def gen_track(rng, max_size):
    """Epochs of a train moving along the route with realistic faults: gaps, jumps, stops, reversals."""
    rd = _m("route_data")
    t = T0_S + rng.randint(-400 * 86400, 400 * 86400) if rng.random() < 0.3 else T0_S + rng.randrange(86400)
    i = rng.randrange(rd.SEG_N)
    frac = rng.random()
    step = rng.choice((1, 1, -1))
    speed = rng.choice((0, 0, 300, 1500, 2800, 4000))
    out = []
    size = 0
    while size < max_size and len(out) < 60:
        j = min(rd.SEG_N - 1, max(0, i))
        la0, lo0 = segs.seg_start(rd.SEG, j)
        la1, lo1 = segs.seg_start(rd.SEG, min(j + 1, rd.SEG_N - 1))
        lat = la0 + int((la1 - la0) * frac)
        lon = lo0 + int((lo1 - lo0) * frac)
        noise = rng.choice((0, 0, 20, 200, 3000))
        ep = gen_epoch(rng, t, lat + rng.randint(-noise, noise), lon + rng.randint(-noise, noise), speed)
        if rng.random() < 0.03:  # a jump
            la2, lo2 = _route_point(rng)
            ep = gen_epoch(rng, t, la2, lo2, speed)
        out.append(ep)
        size += len(ep)
        dt = rng.choice((1, 1, 2, 5, 5, 30, 60, 600)) if rng.random() < 0.95 else rng.randint(-90000, 90000)
        t += dt
        frac += step * speed * max(dt, 0) / 100 / max(1, segs.seg_len_m(rd.SEG, j))
        while frac >= 1:
            frac -= 1
            i += 1
        while frac < 0:
            frac += 1
            i -= 1
        r = rng.random()
        if r < 0.1:
            speed = rng.choice((0, 0, 50, 300, 1500, 2800, 4000, 9000))
        elif r < 0.12:
            step = -step
    return b"".join(out)[:max_size]


_SENT = re.compile(rb"\$([^*\r\n$]*)\*[0-9A-Fa-f]{2}")


def _resign(line):
    """A line '$body*HH...' with the checksum made right (other lines unchanged)."""
    m = _SENT.search(line)
    if m is None:
        return line
    return line[: m.start()] + sentence(m.group(1))[:-2] + line[m.end():]


def _perturb_number(text, rng):
    """Change one digit of a numeric text, or scale it, keeping its shape."""
    digits = [k for k, c in enumerate(text) if 0x30 <= c <= 0x39]
    if not digits:
        return rng.choice(NMEA_TEXTS).encode()
    b = bytearray(text)
    k = rng.choice(digits)
    b[k] = 0x30 + (b[k] - 0x30 + rng.choice((1, -1, 5, 9))) % 10
    return bytes(b)


def mutate_nmea(data, max_size, rng, raw):
    """One to four structure-aware edits of an NMEA stream, checksums kept right; or raw(data) edits."""
    r = rng.random()
    if r < 0.2 or not data:
        out = raw(data, max_size)
        if rng.random() < 0.5:
            out = b"".join(_resign(ln) for ln in out.splitlines(keepends=True))
        return out[:max_size]
    lines = data.splitlines(keepends=True)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(10)
        k = rng.randrange(len(lines)) if lines else 0
        if op <= 3 and lines:  # one field of one sentence
            m = _SENT.search(lines[k])
            if m is None:
                continue
            fields = m.group(1).split(b",")
            i = rng.randrange(len(fields))
            how = rng.randrange(6)
            if how == 0:
                fields[i] = rng.choice(NMEA_TEXTS).encode()
            elif how == 1:
                fields[i] = _perturb_number(fields[i], rng)
            elif how == 2 and i:
                del fields[i]
            elif how == 3:
                fields.insert(i, rng.choice(NMEA_TEXTS).encode())
            elif how == 4 and i == 0:
                fields[0] = (rng.choice(TALKERS) + rng.choice(SENTENCE_KINDS + ("GLL", "TXT", "XYZ"))).encode()
            else:
                j = rng.randrange(len(fields))
                fields[i], fields[j] = fields[j], fields[i]
            body = b",".join(fields)
            lines[k] = lines[k][: m.start()] + sentence(body)[:-2] + lines[k][m.end():]
        elif op == 4:
            lat, lon = _route_point(rng)
            lines.insert(k, gen_epoch(rng, T0_S + rng.randrange(-86400, 86400), lat, lon, rng.randrange(5000)))
        elif op == 5:
            lines.insert(k, gen_track(rng, rng.randrange(200, 2000)))
        elif op == 6 and lines:
            del lines[k : k + rng.randint(1, 4)]
        elif op == 7 and lines:
            lines.insert(k, lines[rng.randrange(len(lines))])
        elif op == 8 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[k], lines[j] = lines[j], lines[k]
        else:
            lines.insert(k, rng.choice((b"\r", b"\n", b"$", b"\x00", b"\xff", b"$GPRMC,", bytes(
                rng.randrange(256) for _ in range(rng.randrange(1, 16))))))
    out = b"".join(lines)
    if len(out) > max_size:
        a = rng.randrange(len(out) - max_size + 1)
        out = out[a : a + max_size]
    return out


ISO_TEXTS = ["2015-08-14T15:00:00Z", "2015-13-14T15:00:00Z", "0000-01-01T00:00:00Z", "2015-08-14T15:00:00",
             "9999-12-31T23:59:59Z", "2015-02-30T25:61:61Z", "2015-08-14 15:00:00Z", "20150814T150000Z", "",
             "2015-00-00T00:00:00Z", "1970-01-01T00:00:00Z", "2015-8-14T15:00:00Z", "+2015-08-14T15:00:00Z",
             "2015-08-14T15:00:00.5Z", " 201-08-14T15:00:00Z", "2015-08-14T15:00:00ZZ"]
ODD_VALUES = [None, True, False, 0, -1, 1, 500, 8000, 8001, 499, 90, -90, 91, 180, -181, 840, 841, -720, -721,
              0.5, 1e308, -1e308, 10**20, 2**63, 10**400, "", "x", "x" * 41, "中国", "\u0000", "\ud800", [], {},
              [None, 480], [[None, 480]], {"zh": "a", "ko": "b", "en": "c"}, "station", "waypoint", "to_pyongyang",
              "to_beijing", "beijing", "pyongyang", "dandong", "friendship_bridge", "CN", "KP"] + ISO_TEXTS


def _nodes(doc, path=()):
    yield path, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _nodes(v, path + (i,))


def _json_edit(doc, rng):
    nodes = list(_nodes(doc))
    path, node = rng.choice(nodes)
    op = rng.randrange(8)
    if op <= 2 and path:  # replace a value
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        if op == 0 or not isinstance(node, (int, float, str)) or isinstance(node, bool):
            new = rng.choice(ODD_VALUES)
        elif isinstance(node, str):
            new = rng.choice((node + rng.choice(("", "x", "Z")), node[: rng.randrange(len(node) + 1)],
                              rng.choice([v for _, v in nodes if isinstance(v, str)] or [""])))
        else:
            new = rng.choice((node + 1, node - 1, -node, node * 1000, node / 1e6, int(node), node + 1e-9))
        parent[path[-1]] = new
    elif op == 3 and isinstance(node, dict) and node:  # drop a key
        del node[rng.choice(list(node))]
    elif op == 4 and isinstance(node, list) and node:  # drop, repeat or swap items
        i = rng.randrange(len(node))
        how = rng.randrange(3)
        if how == 0:
            del node[i]
        elif how == 1:
            node.insert(rng.randrange(len(node) + 1), json.loads(json.dumps(node[i])))
        else:
            j = rng.randrange(len(node))
            node[i], node[j] = node[j], node[i]
    elif op == 5 and isinstance(node, dict):  # add a key
        node[rng.choice(("x", "calls", "lat", "names", "country", "legs", "ref", ""))] = rng.choice(ODD_VALUES)
    elif op == 6 and isinstance(node, dict):  # rename a key
        if node:
            k = rng.choice(list(node))
            node[k + rng.choice(("", "_", "X"))[: rng.randrange(2)] or k.upper()] = node.pop(k)
    else:  # a station turned into a waypoint or back, or a point moved
        pts = doc.get("points") if isinstance(doc, dict) else None
        if isinstance(pts, list) and pts and isinstance(pts[0], dict):
            p = rng.choice(pts)
            if isinstance(p, dict):
                if rng.random() < 0.5:
                    p["kind"] = "waypoint" if p.get("kind") == "station" else "station"
                else:
                    other = rng.choice(pts)
                    if isinstance(other, dict):
                        p["lat"], p["lon"] = other.get("lat"), other.get("lon")


def mutate_route(data, max_size, rng, raw):
    """Edits of the JSON tree (values, keys, list items, points), or raw byte edits of the text."""
    doc = None
    if rng.random() < 0.75:
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):
            doc = None
    if doc is None:
        return raw(data, max_size)[:max_size]
    for _ in range(rng.randint(1, 3)):
        with contextlib.suppress(OverflowError, RecursionError):  # arithmetic on a huge int; deep nesting
            _json_edit(doc, rng)
    try:
        out = json.dumps(doc, ensure_ascii=rng.random() < 0.3, indent=rng.choice((None, None, 1)))
    except ValueError:  # a lone surrogate
        return raw(data, max_size)[:max_size]
    out = out.encode("utf-8", "surrogatepass")
    return out if len(out) <= max_size else raw(data, max_size)[:max_size]


CSV_TIMES = ["2026-11-23T09:17:07.811Z", "2026-11-23T09:17:07.8111Z", "2026-11-23T09:17:07Z",
             "2026-13-23T09:17:07.811Z", "2026-02-29T09:17:07.811Z", "2019-12-31T23:59:59.999Z",
             "2054-01-01T00:00:00.000Z", "2026-11-23T24:00:00.000Z", "2026-11-23T23:59:60.000Z",
             "2026-11-23 09:17:07.811Z", "２026-11-23T09:17:07.811Z", "2026-11-23T09:17:07.８11Z",
             "2026-11-23T09:17:07.²11Z",
             "-026-11-23T09:17:07.811Z", "+026-11-23T09:17:07.811Z", "2026-11-23T09:17:07.811z", ""]
CSV_NAMES = ["door_A_left", "door_A_right", "door_B_left", "door_B_right", "gangway_A", "gangway_B", "beam_A_outer",
             "beam_A_inner", "beam_B_outer", "beam_B_inner", "wc_1", "wc_2", "wc_3", "", " wc_1", "DOOR_A_LEFT"]
CSV_VALUES = ["0", "1", "2", "", " 1", "1 ", "01", "-1", "١"]


def mutate_inputs(data, max_size, rng, raw):
    """Edits of CSV lines (times, input names, levels, order, header), or raw byte edits."""
    if rng.random() < 0.2:
        return raw(data, max_size)[:max_size]
    try:
        lines = data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return raw(data, max_size)[:max_size]
    if not lines:
        lines = ["utc,input,value\r\n"]
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(lines))
        f = lines[k].rstrip("\r\n").split(",")
        op = rng.randrange(8)
        if op <= 2 and len(f) == 3:
            i = rng.randrange(3)
            f[i] = rng.choice((CSV_TIMES, CSV_NAMES, CSV_VALUES)[i])
            if i == 0 and rng.random() < 0.5:  # a nearby valid time
                ms = T0_S * 1000 + rng.randrange(-10**8, 10**8)
                from trainctl import clock

                f[0] = clock.iso_utc(ms // 1000, ms % 1000)
            lines[k] = ",".join(f) + rng.choice(("\n", "\r\n", "\r", ""))
        elif op == 3:
            del lines[k]
        elif op == 4:
            lines.insert(k, lines[rng.randrange(len(lines))])
        elif op == 5:
            j = rng.randrange(len(lines))
            lines[k], lines[j] = lines[j], lines[k]
        elif op == 6:
            lines.insert(k, rng.choice((",", ",,", ",,,", "\n", "utc,input,value\n", " utc , input , value\r\n",
                                        "\ufeffutc,input,value\n", "a,b\n")))
        else:
            lines.insert(k, "%s,%s,%s\n" % (rng.choice(CSV_TIMES), rng.choice(CSV_NAMES), rng.choice(CSV_VALUES)))
        if not lines:
            lines = [""]
    out = "".join(lines).encode()
    return out[:max_size]


MUTATORS = {"parser": mutate_nmea, "route": mutate_route, "inputs": mutate_inputs}


def raw_mutate(rng):
    """Byte-level edits without libFuzzer: flips, inserts, deletes, repeats (the fallback engine)."""

    def raw(data, max_size):
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            op = rng.randrange(5)
            k = rng.randrange(len(b) + 1)
            if op == 0 and k < len(b):
                b[k] ^= 1 << rng.randrange(8)
            elif op == 1:
                b[k:k] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
            elif op == 2:
                del b[k : k + rng.randint(1, 8)]
            elif op == 3 and k < len(b):
                b[k] = rng.choice(b"$*,.\r\n0123456789-{}[]\":")
            else:
                a = rng.randrange(len(b) + 1)
                b[k:k] = b[a : a + rng.randint(1, 64)]
        return bytes(b[:max_size])

    return raw


# ---- corpus -----------------------------------------------------------------------------------------------


def read_dir(d):
    """(name, bytes) of the regular files in d, sorted; [] when d does not exist."""
    if not os.path.isdir(d):
        return []
    out = []
    for n in sorted(os.listdir(d)):
        p = os.path.join(d, n)
        if os.path.isfile(p) and not n.startswith("."):
            with open(p, "rb") as f:
                out.append((n, f.read()))
    return out


def make_corpus():
    """Seed inputs from tests/data and the route source: tens of files of a few KB per target."""
    data_dir = os.path.join(paths.ROOT, "tests", "data")
    files = {}
    rng = random.Random(7)
    for name in ("short_clean", "border_to_pyongyang", "border_to_beijing"):
        with open(os.path.join(data_dir, name + ".nmea"), "rb") as f:
            lines = f.read().splitlines(keepends=True)
        for k in range(6):  # windows spread over the track, cut at line ends
            a = (len(lines) - 40) * k // 5
            files["parser/%s-%d.nmea" % (name, k)] = b"".join(lines[a : a + rng.randint(12, 30)])
    for k in range(6):
        files["parser/track-%d.nmea" % k] = gen_track(rng, 3000)
    files["parser/gga-only-midnight.nmea"] = b"".join(sentence(s.encode()) for s in (
        "GNZDA,235957.00,23,11,2026,00,00", "GNGGA,235958.00,4000.00000,N,12000.00000,E,1,08,0.9,40.0,M,-8.0,M,,",
        "GNGGA,235959.00,4000.00000,N,12000.00000,E,1,08,0.9,40.0,M,-8.0,M,,",
        "GNGGA,000000.00,4000.00000,N,12000.00000,E,1,08,0.9,40.0,M,-8.0,M,,",
        "GNGGA,000001.00,4000.00000,N,12000.00000,E,1,08,0.9,40.0,M,-8.0,M,,"))
    files["parser/odd-lines.nmea"] = (
        b"$GPGSV,1,1," + b"0" * 104 + b"7*00\r\n" + sentence(b"GPGSV,1,1," + b"0" * 103 + b"7")
        + b"$GNRMC,0926\x00\r\n$$$\r\n\n\r" + bytes(range(256)) + sentence(b"GPTXT,01,01,02,u-blox")
        + sentence(b"PUBX,00,092600.00") + b"$GNRMC,092600.00,A,3954.12012,N,11625.26438,E,0.000,,231126,,,A,V*5a"
        + b"\r\n" + sentence(b"GNVTG,054.7,T,034.4,M,005.5,N,010.2,K,A") + sentence(b"BDGSV,1,1,05,21,45,179,36,1"))
    with open(ROUTE_SRC, "rb") as f:
        route_text = f.read()
    doc = json.loads(route_text)
    files["route/beijing-pyongyang.json"] = route_text
    files["route/compact.json"] = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    small = json.loads(route_text)
    keep = [p for p in small["points"] if p.get("kind") == "station" or p.get("id") == small["border"]["ref"]]
    small["points"] = keep
    for p in small["points"]:
        p.pop("note", None)
        p.pop("source", None)
    small_text = json.dumps(small, ensure_ascii=False, separators=(",", ":"))
    files["route/stations-only.json"] = small_text.encode()
    for k in range(8):  # a few edits of the real file that load() refuses or takes
        d = json.loads(small_text)
        for _ in range(k % 3 + 1):
            _json_edit(d, rng)
        files["route/edit-%d.json" % k] = json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()
    files["route/not-json.json"] = route_text[:700]
    files["route/empty-object.json"] = b"{}"
    with open(os.path.join(data_dir, "inputs_short_clean.csv"), "rb") as f:
        rows = f.read().splitlines(keepends=True)
    for k in range(6):
        a = 1 + (len(rows) - 60) * k // 5
        files["inputs/short_clean-%d.csv" % k] = rows[0] + b"".join(rows[a : a + rng.randint(10, 40)])
    files["inputs/crlf-spaces.csv"] = b" utc , input , value\r\n2026-11-23T09:17:07.811Z , wc_1 , 1\r\n\r\n"
    files["inputs/bad-order.csv"] = (b"utc,input,value\n2026-11-23T09:17:08.000Z,wc_1,1\n"
                                     b"2026-11-23T09:17:07.000Z,wc_1,0\n")
    files["inputs/header-only.csv"] = b"utc,input,value\n"
    files["inputs/bad-time.csv"] = b"utc,input,value\n2026-02-30T09:17:07.811Z,wc_2,1\n"
    for t in TARGETS:
        d = os.path.join(FUZZ_DIR, t)
        os.makedirs(d, exist_ok=True)
        for n, _ in read_dir(d):
            os.remove(os.path.join(d, n))
    for name, data in sorted(files.items()):
        with open(os.path.join(FUZZ_DIR, name), "wb") as f:
            f.write(data[: MAX_LEN[name.split("/")[0]]])
    os.makedirs(CRASH_DIR, exist_ok=True)
    print("wrote %d files under %s" % (len(files), os.path.relpath(FUZZ_DIR, paths.ROOT)))


# ---- one fuzzing worker (a child process) -----------------------------------------------------------------


class Worker:
    """Runs inputs through a target, records the first input of every new crash signature."""

    def __init__(self, target, runs, summary_path):
        self.target = target
        self.check = CHECKS[target]
        self.runs = runs
        self.summary_path = summary_path
        self.n = 0
        self.crashes = 0
        self.sigs = {}  # signature -> [count, file]
        self.t0 = time.monotonic()

    def known(self):
        """Signatures of the crashes already stored for this target: counted again, not written again."""
        for name, data in read_dir(CRASH_DIR):
            if target_of(name) == self.target:
                try:
                    self.check(data)
                except Exception as e:  # noqa: BLE001 (any exception is what is being looked for)
                    self.sigs.setdefault(signature(e), [0, name])

    def one(self, data):
        self.n += 1
        try:
            self.check(data)
        except Exception as e:  # noqa: BLE001
            self.crashes += 1
            sig = signature(e)
            s = self.sigs.get(sig)
            if s is None:
                name = "%s-%s.%s" % (self.target, hashlib.sha1(data).hexdigest()[:16], EXT[self.target])
                os.makedirs(CRASH_DIR, exist_ok=True)
                with open(os.path.join(CRASH_DIR, name), "wb") as f:
                    f.write(data)
                s = self.sigs[sig] = [0, name]
                print("fuzz: new crash %s: %s -> %s" % (sig, str(e)[:200], name), file=sys.stderr, flush=True)
            s[0] += 1
        if self.n >= self.runs:
            self.finish()

    def finish(self):
        with open(self.summary_path, "w") as f:
            json.dump(dict(inputs=self.n, crashes=self.crashes, wall_s=time.monotonic() - self.t0,
                           sigs={k: v for k, v in self.sigs.items() if v[0]}), f)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def child(a):
    target = a.target
    max_len = MAX_LEN[target]
    mutate = MUTATORS[target]
    seeds = [d for _, d in read_dir(a.corpus)] or [b""]
    if a.engine == "atheris":
        import atheris

        # The per-byte loop Parser.feed is left uninstrumented (a counter per branch per byte made the parser
        # target ~8x slower); its sentence and field methods are instrumented one by one below.
        parts = ["trainctl.nmea", "trainctl.nmeafield", "trainctl.nmeasent", "trainctl.nmeaepoch"]
        with atheris.instrument_imports(include=["trainctl", "host_tools"], exclude=["host_tools.fuzz", *parts]):
            _m("nmea")
        nmea = _m("nmea")
        mods = [sys.modules[m] for m in parts]

        for k, v in list(vars(nmea.Parser).items()):
            if callable(v) and k != "feed":
                setattr(nmea.Parser, k, atheris.instrument_func(v))
        done = {}  # the parser's module-level functions, instrumented, by name
        for mod in mods[1:]:
            for k, v in list(vars(mod).items()):
                if callable(v) and not isinstance(v, type) and getattr(v, "__module__", "") == mod.__name__:
                    done[k] = (v, atheris.instrument_func(v))
        for mod in mods:
            for k, v in list(vars(mod).items()):
                if k in done and v is done[k][0]:
                    setattr(mod, k, done[k][1])  # where defined and where imported by name
        by_id = {id(v[0]): v[1] for v in done.values()}
        decode = tuple(by_id.get(id(f), f) for f in mods[2]._DECODE)  # nmeasent's table of decoders
        mods[0]._DECODE = mods[2]._DECODE = decode
        w = Worker(target, a.runs, a.summary)
        w.known()

        def custom_mutator(data, max_size, seed):
            rng = random.Random(seed)
            if rng.random() < 0.02:  # a fresh generated track now and then
                return gen_track(rng, max_size) if target == "parser" else rng.choice(seeds)[:max_size]
            return mutate(data, max_size, rng, atheris.Mutate)

        os.makedirs(a.workdir, exist_ok=True)
        argv = [sys.argv[0], a.workdir, a.corpus, "-seed=%d" % a.seed, "-max_len=%d" % max_len,
                "-timeout=20", "-rss_limit_mb=4096", "-artifact_prefix=%s/%s-" % (CRASH_DIR, target),
                "-print_pcs=0", "-reduce_inputs=1"]
        atheris.Setup(argv, w.one, custom_mutator=custom_mutator)
        atheris.Fuzz()
        w.finish()
    rng = random.Random(a.seed)
    raw = raw_mutate(rng)
    w = Worker(target, a.runs, a.summary)
    w.known()
    pool = list(seeds)
    for d in seeds:
        w.one(d)
    while True:
        base = rng.choice(pool)
        data = gen_track(rng, max_len) if target == "parser" and rng.random() < 0.02 else mutate(
            base, max_len, rng, raw)
        w.one(data)
        if rng.random() < 0.01 and len(pool) < 2000:  # a random walk away from the seeds
            pool.append(data)


# ---- the command line: workers in parallel, figures summed ------------------------------------------------

_STATUS = re.compile(r"#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", choices=TARGETS + ("corpus",))
    ap.add_argument("--runs", type=int, default=100000, help="inputs to try in all (default 100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", help="seed corpus directory (default tests/data/fuzz/<target>)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes; the runs are split between them")
    ap.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto",
                    help="atheris (coverage-guided) when installed, else random mutation")
    ap.add_argument("-v", "--verbose", action="store_true", help="show libFuzzer's own output")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--summary", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.target == "corpus":
        make_corpus()
        return 0
    a.corpus = os.path.abspath(a.corpus or os.path.join(FUZZ_DIR, a.target))
    if a.engine == "auto":
        try:
            import atheris  # noqa: F401
            a.engine = "atheris"
        except ImportError:
            a.engine = "random"
    if a.child:
        child(a)
        return 0
    if a.engine == "random":
        print("fuzz: random structure-aware mutation, no coverage feedback (atheris not used)", flush=True)
    t0 = time.monotonic()
    procs = []
    tmp = tempfile.mkdtemp(prefix="fuzz-")
    for j in range(a.jobs):
        runs = a.runs // a.jobs + (1 if j < a.runs % a.jobs else 0)
        summary = os.path.join(tmp, "w%d.json" % j)
        workdir = os.path.join(WORK_DIR, "%s-s%d-w%d" % (a.target, a.seed, j))
        if os.path.isdir(workdir):  # new units of an earlier run: start from the seed corpus again
            for n, _ in read_dir(workdir):
                os.remove(os.path.join(workdir, n))
        cmd = [sys.executable, "-m", "host_tools.fuzz", a.target, "--child", "--runs", str(runs),
               "--seed", str(a.seed * 1000 + j), "--corpus", a.corpus, "--engine", a.engine,
               "--summary", summary, "--workdir", workdir]
        procs.append((subprocess.Popen(cmd, cwd=paths.ROOT, stderr=subprocess.PIPE, text=True, errors="replace"),
                      summary, workdir))
    new_units = 0
    cov = 0
    ft = 0
    import selectors

    sel = selectors.DefaultSelector()
    for p, _, _ in procs:
        sel.register(p.stderr, selectors.EVENT_READ)
    open_streams = len(procs)
    while open_streams:
        for key, _ in sel.select():
            ln = key.fileobj.readline()
            if not ln:
                sel.unregister(key.fileobj)
                open_streams -= 1
                continue
            m = _STATUS.search(ln)
            if m:
                if m.group(2) == "NEW":
                    new_units += 1
                cov = max(cov, int(m.group(3)))
                ft = max(ft, int(m.group(4)))
            if a.verbose or ln.startswith("fuzz:") or "ERROR" in ln or "Traceback" in ln or "Error" in ln:
                sys.stderr.write(ln)
    inputs = crashes = 0
    sigs = {}
    failed = []
    for p, summary, _ in procs:
        rc = p.wait()
        if not os.path.exists(summary):
            failed.append(rc)
            continue
        with open(summary) as f:
            s = json.load(f)
        inputs += s["inputs"]
        crashes += s["crashes"]
        for k, (count, name) in s["sigs"].items():
            if k in sigs:
                sigs[k][0] += count
                if name != sigs[k][1] and os.path.exists(os.path.join(CRASH_DIR, name)):
                    os.remove(os.path.join(CRASH_DIR, name))  # the same crash found by two workers
            else:
                sigs[k] = [count, name]
    wall = time.monotonic() - t0
    print("fuzz %s (%s, %d job%s, seed %d): %d inputs in %.1f s (%.0f inputs/s)" % (
        a.target, a.engine, a.jobs, "" if a.jobs == 1 else "s", a.seed, inputs, wall, inputs / wall if wall else 0))
    if a.engine == "atheris":
        print("  new coverage units: %d (libFuzzer NEW), coverage: %d edges, %d features" % (new_units, cov, ft))
    print("  uncaught exceptions: %d, distinct: %d" % (crashes, len(sigs)))
    for k, (count, name) in sorted(sigs.items()):
        print("    %dx %s -> tests/data/fuzz/crashes/%s" % (count, k, name))
    if failed:
        print("  %d worker(s) died without a summary (exit codes %s): see tests/data/fuzz/crashes/ for libFuzzer"
              " timeout/oom artifacts" % (len(failed), failed))
    return 1 if crashes or failed else 0


if __name__ == "__main__":
    sys.exit(main())
