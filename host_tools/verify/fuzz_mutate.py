"""Structure-aware mutators of host_tools/verify/fuzz.py: NMEA tracks generated along the route and mutated
sentence by sentence, route sources edited node by node, inputs CSVs edited cell by cell."""

import contextlib
import json
import re

from trainctl import clock

from host_tools.common import nmea, segs
from host_tools.verify.fuzz_targets import _m

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

        y, mo, d = clock.civil_from_epoch_days(t_s // 86400)
        out.append("GNZDA,%s,%02d,%02d,%04d,00,00" % (tod, d, mo, y))
    return b"".join(nmea.line(s.encode()) for s in out)


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
    return line[: m.start()] + nmea.line(m.group(1))[:-2] + line[m.end():]


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
            lines[k] = lines[k][: m.start()] + nmea.line(body)[:-2] + lines[k][m.end():]
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
CSV_BAD_NAMES = ["wc_3", "", " wc_1", "DOOR_A_LEFT"]  # with trainctl.sensors.INPUT_NAMES (_csv_names)


def _csv_names():
    return list(_m("INPUT_NAMES")) + CSV_BAD_NAMES


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
            f[i] = rng.choice((CSV_TIMES, _csv_names(), CSV_VALUES)[i])
            if i == 0 and rng.random() < 0.5:  # a nearby valid time
                ms = T0_S * 1000 + rng.randrange(-10**8, 10**8)

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
            lines.insert(k, "%s,%s,%s\n" % (rng.choice(CSV_TIMES), rng.choice(_csv_names()), rng.choice(CSV_VALUES)))
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
