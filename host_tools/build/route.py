"""Generate the firmware's route module from the human-edited route source (JSON).

    python -m host_tools.build.route routes/beijing-pyongyang.json firmware/trainctl/route_data.py

The output is plain Python (ints, strings, tuples, and the segment table as one `bytes` constant, which stays
in flash when the module is frozen or used in place from ROMFS) that mpy-cross compiles.
Every problem in the source is reported as RouteError naming the field, e.g. "points[3].lat: ...".
"""

import argparse
import math
import struct
import sys
import textwrap

from host_tools.build import ui_text
from host_tools.build.route_line import M_PER_UDEG_LAT, SPIKE_DEG, _local_m, _udeg, despike, line_vertices, simplify
from host_tools.build.route_source import TOL_UNIT_M, RouteError, read
from host_tools.common import cli

# Read from here by the other tools and the tests (host_tools/build/route_source.py, route_line.py hold them).
__all__ = ["SPIKE_DEG", "RouteError", "_local_m", "despike", "line_vertices", "load", "main", "render", "simplify",
           "write_out"]

KY = 1822  # must equal firmware/trainctl/geo.py KY
SMALL = 2**30  # |value| below this: a small int on 32-bit ports, decoded without a long int
NEAR_UDEG = 500000  # must equal geo.py _NEAR: |fix - segment start| the matcher multiplies, micro-degrees
MAX_EXTENT_M = 8100  # |east|, |north|, length: the matcher's products stay below 2**30 (see _check_seg)
# One segment of SEG, little-endian, in this order; firmware/trainctl/geo.py reads it at fixed offsets.
SEG_LAYOUT = (  # name, struct code, lowest, highest (lat, lon, along: small ints on 32-bit ports)
    ("lat_udeg", "i", -SMALL + 1, SMALL - 1),
    ("lon_udeg", "i", -SMALL + 1, SMALL - 1),
    ("kx", "H", 0, 2**16 - 1),
    ("east_m", "h", -(2**15), 2**15 - 1),
    ("north_m", "h", -(2**15), 2**15 - 1),
    ("len_m", "H", 0, 2**16 - 1),
    ("along_m", "i", -SMALL + 1, SMALL - 1),
)
SEG_FORMAT = "<" + "".join(f[1] for f in SEG_LAYOUT)
SEG_BYTES = struct.calcsize(SEG_FORMAT)  # 20, must equal geo.SEG_BYTES


def load(path):
    """Read and validate the route source; returns a normalised dict for build()."""
    route = read(path)
    route["vertices"] = line_vertices(route)
    return route


def _kx(lat_udeg):
    return int(round(math.cos(math.radians(lat_udeg / 1e6)) * M_PER_UDEG_LAT * 16384))


def _segments(route):
    """The line cut into segments of at most max_seg m: (SEG rows, each one's label for error messages, each
    one's tolerance in TOL_UNIT_M, {point index: distance along m})."""
    verts = route["vertices"]  # (a test may displace the line: route["vertices"])
    seg = []
    seg_label = []  # where each segment comes from (for error messages)
    seg_tol = []
    point_along = {}
    along = 0
    for i in range(len(verts) - 1):
        a, b = verts[i], verts[i + 1]
        lat0, lon0, lat1, lon1 = _udeg(a[0]), _udeg(a[1]), _udeg(b[0]), _udeg(b[1])
        k = _kx((lat0 + lat1) // 2)
        dist = math.hypot((lon1 - lon0) * k / 16384, (lat1 - lat0) * KY / 16384)
        if a[3] >= 0:
            point_along[a[3]] = along
        if dist < 1:
            if a[3] >= 0 and b[3] >= 0:
                raise RouteError("points[%d]: same place as points[%d]" % (b[3], a[3]))
            continue
        n = max(1, math.ceil(dist / route["max_seg"]))
        label = "line vertex %d-%d" % (i, i + 1)
        if a[3] >= 0 and b[3] >= 0:
            label = "points[%d]-points[%d]" % (a[3], b[3])
        for j in range(n):
            la = lat0 + (lat1 - lat0) * j // n
            lo = lon0 + (lon1 - lon0) * j // n
            lb = lat0 + (lat1 - lat0) * (j + 1) // n
            lob = lon0 + (lon1 - lon0) * (j + 1) // n
            k = _kx((la + lb) // 2)
            sx = ((lob - lo) * k) >> 14
            sy = ((lb - la) * KY) >> 14
            ln = max(1, int(round(math.hypot(sx, sy))))
            seg.append((la, lo, k, sx, sy, ln, along))
            seg_label.append(label)
            seg_tol.append(a[2] // TOL_UNIT_M)
            along += ln
    if verts[-1][3] >= 0:
        point_along[verts[-1][3]] = along
    return seg, seg_label, seg_tol, point_along


def build(route):
    """Segments and tables in integers, computed the way the firmware computes them."""
    pts = route["points"]
    seg, seg_label, seg_tol, point_along = _segments(route)
    ids = route["ids"]
    st = route["stations"]
    st_index = {p["id"]: i for i, p in enumerate(st)}
    st_along = [point_along[ids[p["id"]]] for p in st]
    ref = ids[route["border_ref"]]
    border_m = point_along[ref] + route["border_offset"]
    lat_mid = (min(p["lat"] for p in pts) + max(p["lat"] for p in pts)) / 2
    dirs = route["directions"]
    return dict(
        seg=seg,
        seg_point=seg_label,
        seg_tol=seg_tol,
        st_along=st_along,
        st_calls=[sum(1 << d for d, name in enumerate(dirs) if name in p["calls"]) for p in st],
        st_country=[route["countries"].index(p["country"]) for p in st],
        border_m=border_m,
        kx_mean=_kx(_udeg(lat_mid)),
        trains=[[t for t, _ in row] for row in route["legs"]],
        leg_end=[[st_index[to] for _, to in row] for row in route["legs"]],
        border_st=[st_index[s] for s in route["border_st"]],
        dep_min=[[route["sched"].get((d, p["id"], "dep"), -1) for p in st] for d in range(len(dirs))],
        arr_min=[[route["sched"].get((d, p["id"], "arr"), -1) for p in st] for d in range(len(dirs))],
    )


def _tuple(values, per_line=10):
    vals = [repr(v) for v in values]
    lines = [", ".join(vals[i:i + per_line]) + "," for i in range(0, len(vals), per_line)]
    return "(\n    " + "\n    ".join(lines) + "\n)" if vals else "()"


def texts(route, b):
    """The display texts in the order of route_data.TEXT: [(name, [str...])]. First the fixed texts of
    host_tools/build/ui_text.py in its ORDER (a tuple: one per language), at indexes the firmware knows as
    constants (`_T_<NAME>`, written by host_tools/build/consts.py into the modules that use them), then the
    border, the
    zone names (per country), the trains (per direction and leg) and the stations (LANGS order, then the id),
    each group at the index route_data names <NAME>."""

    st = route["stations"]
    groups = []
    for name in ui_text.ORDER:
        v = getattr(ui_text, name)
        groups.append(("_T_" + name, list(v) if isinstance(v, tuple) else [v]))
    groups += [
        ("BORDER_TEXT", list(route["border_names"])),
        ("ZONE_TEXT", [t for c in route["countries"] for t in route["cnames"][c][1]]),
        ("TRAIN_TEXT", [t for row in b["trains"] for t in row]),
        ("ST_TEXT", [t for p in st for t in [p[k] for k in route["langs"]] + [p["id"]]]),
    ]
    return groups


def _text_table(route, b):
    """TEXT (UTF-8 texts one after the other), TEXT_AT (uint16 LE start of each, then the end) and the lines
    naming each group's first index."""
    lines, at, idx, names, fixed = [], [], 0, [], []
    pos = 0
    for name, group in texts(route, b):
        if name.startswith("_"):
            fixed.append("%s %d" % (name[3:], idx))
        else:
            names.append("%s = %d" % (name, idx))
        for t in group:
            u = t.encode("utf-8")
            if b"\r" in u or b"\n" in u:
                raise RouteError("text %r: no line breaks" % t)
            at.append(pos)
            pos += len(u)
            lit = "".join(chr(c) if 32 <= c < 127 and chr(c) not in "\\\"" else "\\x%02x" % c for c in u)
            lines.append('    b"%s"  # %d %s' % (lit, idx, t))
            idx += 1
    at.append(pos)
    if pos > 0xFFFF:
        raise RouteError("texts: %d bytes, more than TEXT_AT's 16 bits address" % pos)
    at_b = b"".join(struct.pack("<H", v) for v in at)
    at_lines = ['    b"' + "".join("\\x%02x" % c for c in at_b[i:i + 32]) + '"' for i in range(0, len(at_b), 32)]
    names[:0] = ["# " + ln for ln in textwrap.wrap("Fixed texts (host_tools/build/ui_text.py): %s." % ", ".join(fixed),
                                                   108)]
    return "TEXT = (\n" + "\n".join(lines) + "\n)", "TEXT_AT = (\n" + "\n".join(at_lines) + "\n)", names


def _check_seg(seg, seg_point):
    """RouteError unless every field fits its SEG_LAYOUT slot and the matcher's products stay small ints.

    geo.Matcher forms x, y = (d * kx) >> 14, (d * KY) >> 14 with |d| < NEAR_UDEG and kx <= KY, so |x|, |y| <
    55,604 m, then x * east + y * north and x * north - y * east: < 2**30 with |east|, |north| <= MAX_EXTENT_M."""
    for j, row in enumerate(seg):
        i = seg_point[j]
        where = "%s: segment %d" % ("points[%d]-points[%d]" % (i, i + 1) if isinstance(i, int) else i, j)
        for (name, code, lo, hi), v in zip(SEG_LAYOUT, row):
            if not lo <= v <= hi:
                raise RouteError("%s: %s = %d does not fit its field (%s, %d..%d)" % (where, name, v, code, lo, hi))
        _, _, kx, sx, sy, ln, along = row
        if kx > KY:  # cos(latitude) <= 1; then |x| has the same bound as |y|
            raise RouteError("%s: kx = %d over KY (%d)" % (where, kx, KY))
        if not (0 < ln <= MAX_EXTENT_M and abs(sx) <= MAX_EXTENT_M and abs(sy) <= MAX_EXTENT_M):
            raise RouteError("%s: %d m long (%d m east, %d m north), over %d m: lower max_segment_m"
                             % (where, ln, sx, sy, MAX_EXTENT_M))
        if along + ln >= SMALL:
            raise RouteError("%s: the route is %d m long, too long (under 2**30 m)" % (where, along + ln))


def _bytes_lit(values, per_line=32):
    """A bytes constant as lines of hex escapes."""
    b = bytes(values)
    return "(\n" + "\n".join('    b"' + "".join("\\x%02x" % c for c in b[i:i + per_line]) + '"'
                             for i in range(0, len(b), per_line)) + "\n)"


def _seg_bytes(seg):
    """SEG as lines of Python: one bytes literal per segment, fields as adjacent literals, index comment."""
    lines = []
    for j, row in enumerate(seg):
        parts = []
        for (_, code, _, _), v in zip(SEG_LAYOUT, row):
            parts.append('b"' + "".join("\\x%02x" % c for c in struct.pack("<" + code, v)) + '"')
        lines.append("    " + " ".join(parts) + "  # %d" % j)
    return "(\n" + "\n".join(lines) + "\n)"


def render(route, source_name, command):
    b = build(route)
    _check_seg(b["seg"], b["seg_point"])
    if len({len(r) for r in b["trains"]}) != 1:
        raise RouteError("directions: every direction needs the same number of legs")
    text_lit, at_lit, text_names = _text_table(route, b)
    return "\n".join(_render_head(route, b, source_name, command) + _render_stations(route, b) + [
        "LANGS = %r  # display order of the languages" % (route["langs"],),
        "",
        "# Per direction: the train number of each leg and the station where that leg ends.",
        "TRAIN = %r" % (tuple(tuple(r) for r in b["trains"]),),
        "LEG_END = %r" % (tuple(tuple(r) for r in b["leg_end"]),),
        "",
        "# Display texts (trainctl/text.py draws them from here without allocating; one bytes object each stays",
        "# in flash from a ROMFS or a frozen build). Text i is TEXT[TEXT_AT[i]:TEXT_AT[i + 1]] (uint16 LE), UTF-8.",
        "# Station s: ST_TEXT + 4 * s + lang (LANGS order), + 3 its id; zone of country c: ZONE_TEXT + 3 * c + lang;",
        "# the border: BORDER_TEXT + lang; train of direction d, leg k: TRAIN_TEXT + LEGS * d + k; the fixed texts",
        "# first, at the indexes below (+ lang for those in three languages).",
        "LEGS = %d" % len(b["trains"][0]),
        *text_names,
        text_lit,
        at_lit,
        "",
    ])


def _render_head(route, b, source_name, command):
    """The generated module's header, name and segment tables, as lines."""
    return [
        '"""Route tables for the firmware. Generated: do not edit; edit the source and regenerate."""',
        "# Generated by host_tools/build/route.py from %s" % source_name,
        "# Command: %s" % command,
        *["# Line %s-%s from %s: %s" % (route["points"][x["from"]]["id"], route["points"][x["to"]]["id"], x["file"],
                                        x["licence"]) for x in route["stretches"] if x["licence"]],
        "",
        "NAME = %r" % route["name"],
        "",
        "# Segments, %d bytes each, little-endian (read by trainctl/geo.py; bytes stay in flash when frozen):"
        % SEG_BYTES,
        "#   int32 start latitude, int32 start longitude (micro-degrees), uint16 metres per micro-degree of",
        "#   longitude x 2**14, int16 east and int16 north extent (m), uint16 length (m), int32 distance along",
        "#   the route (m). One line per segment; the trailing number is the segment's index.",
        "SEG_N = %d" % len(b["seg"]),
        "SEG = " + _seg_bytes(b["seg"]),
        "# Per segment: how far (x %d m) a fix may be from it and still be on the line (route.line tolerance_m)."
        % TOL_UNIT_M,
        "SEG_TOL = " + _bytes_lit(b["seg_tol"]),
        "LENGTH_M = %d" % (b["seg"][-1][6] + b["seg"][-1][5]),
        "KX_MEAN = %d  # metres per micro-degree of longitude x 2**14 at the route's middle latitude" % b["kx_mean"],
    ]


def _render_stations(route, b):
    """The stations, countries, border and timetable tables, as lines."""
    st = route["stations"]
    return [
        "",
        "# Stations in route order. Direction 0 runs towards the last one.",
        "STATION_N = %d" % len(st),
        "ST_ALONG_M = " + _tuple(b["st_along"]),
        "ST_LAT_UDEG = " + _tuple([_udeg(p["lat"]) for p in st]),
        "ST_LON_UDEG = " + _tuple([_udeg(p["lon"]) for p in st]),
        "ST_CALLS = " + _tuple(b["st_calls"], 20) + "  # bit d: the train calls there in direction d",
        "ST_COUNTRY = " + _tuple(b["st_country"], 20),
        "",
        "COUNTRIES = %r" % (tuple(route["countries"]),),
        "# Per country: (from epoch seconds, UTC offset minutes) pairs, oldest first.",
        "TZ = %r" % (tuple(tuple(v for row in route["tz"][c] for v in row) for c in route["countries"]),),
        "BORDER_M = %d  # along the route; country 0 before, country 1 after" % b["border_m"],
        "BORDER_ST = %r  # the stations either side of the border (exit and entry formalities)"
        % (tuple(b["border_st"]),),
        "# Per direction, per station: the timetable's local minute of the day of the departure and of the",
        "# arrival where a source gives it (route.timetable rows of quality \"sourced\"), -1 where none does.",
        "DEP_MIN = %s" % (tuple(tuple(r) for r in b["dep_min"]),),
        "ARR_MIN = %s" % (tuple(tuple(r) for r in b["arr_min"]),),
        "",
    ]


def write_out(text, path):
    """A generated module to path, or to stdout when path is empty (the generators' CLIs)."""
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.build.route", description=__doc__.splitlines()[0])
    ap.add_argument("source", help="route source JSON (routes/beijing-pyongyang.json)")
    ap.add_argument("output", nargs="?", help="write here (default: stdout)")
    ap.add_argument("--max-segment-m", type=int, help="override the source's max_segment_m")
    a = ap.parse_args(argv)
    try:
        route = load(a.source)
        if a.max_segment_m:
            route["max_seg"] = a.max_segment_m
    except RouteError as e:
        print("route error: %s" % e, file=sys.stderr)
        return 2
    cmd = "python -m host_tools.build.route " + a.source + (" " + a.output if a.output else "")
    if a.max_segment_m:
        cmd += " --max-segment-m %d" % a.max_segment_m
    try:
        text = render(route, a.source, cmd)
    except RouteError as e:
        print("route error: %s" % e, file=sys.stderr)
        return 2
    write_out(text, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "gen_route"))
