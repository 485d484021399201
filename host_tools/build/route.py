"""Generate the firmware's route module from the human-edited route source (JSON).

    python -m host_tools.build.route routes/beijing-pyongyang.json firmware/trainctl/route_data.py

The output is plain Python (ints, strings, tuples, and the segment table as one `bytes` constant, which stays
in flash when the module is frozen or used in place from ROMFS) that mpy-cross compiles.
Every problem in the source is reported as RouteError naming the field, e.g. "points[3].lat: ...".
"""

import argparse
import calendar
import json
import math
import os
import struct
import sys
import textwrap
from host_tools.build import ui_text
from host_tools.common import cli

KY = 1822  # must equal firmware/trainctl/geo.py KY
M_PER_UDEG_LAT = 6371008.8 * math.pi / 180 / 1e6
NEVER = -(2**30)  # "since always" in the time-zone table
UI_LANGS = ("zh", "ko", "en")  # the languages host_tools/build/ui_text.py has every fixed text in, in its order
GEOMETRIES = ("osm", "straight")  # a line stretch: a GeoJSON LineString from a file, or straight between points
TOL_UNIT_M = 100  # SEG_TOL: a segment's lateral tolerance in units of 100 m (one byte: up to 25.5 km)
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


class RouteError(ValueError):
    """A problem in the route source; the message names the field."""


def _get(obj, key, where, kind, check=None):
    if not isinstance(obj, dict) or key not in obj:
        raise RouteError("%s.%s: missing" % (where, key))
    v = obj[key]
    if kind is float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and -1e300 < v < 1e300 and math.isfinite(v)
    else:
        ok = isinstance(v, kind) and not (kind is int and isinstance(v, bool))
    if not ok:
        raise RouteError("%s.%s: expected %s, got %r" % (where, key, kind.__name__, v))
    if check is not None and not check(v):
        raise RouteError("%s.%s: value %r out of range" % (where, key, v))
    return v


def _iso_to_epoch(text, where):
    try:
        if not isinstance(text, str) or len(text) != 20 or text[10] != "T" or not text.endswith("Z"):
            raise ValueError
        y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
        hh, mm, ss = int(text[11:13]), int(text[14:16]), int(text[17:19])
        if not (1970 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]
                and hh < 24 and mm < 60 and ss < 60) or min(hh, mm, ss) < 0:
            raise ValueError
    except (ValueError, IndexError):
        raise RouteError("%s: expected 'YYYY-MM-DDThh:mm:ssZ', got %r" % (where, text)) from None
    return calendar.timegm((y, mo, d, hh, mm, ss)) - calendar.timegm((2020, 1, 1, 0, 0, 0))


def _names(obj, key, where, langs):
    """A {lang: display string} object -> tuple in the route's language order."""
    d = _get(obj, key, where, dict)
    return tuple(_get(d, k, "%s.%s" % (where, key), str, lambda v: 0 < len(v) <= 40) for k in langs)


def _read_linestring(path, where):
    """[(lat, lon)] of the first LineString feature of a GeoJSON file ([lon, lat] pairs, WGS-84)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise RouteError("%s: cannot read %s (%s)" % (where, path, e.strerror)) from None
    except ValueError as e:
        raise RouteError("%s: %s is not GeoJSON (%s)" % (where, path, e)) from None
    feats = doc.get("features") if isinstance(doc, dict) else None
    for f in feats if isinstance(feats, list) else ():
        g = f.get("geometry") if isinstance(f, dict) else None
        if isinstance(g, dict) and g.get("type") == "LineString":
            out = []
            for k, c in enumerate(g.get("coordinates") or ()):
                if not (isinstance(c, list) and len(c) >= 2 and all(isinstance(v, (int, float)) for v in c[:2])
                        and -180 <= c[0] <= 180 and -90 <= c[1] <= 90):
                    raise RouteError("%s: %s: coordinates[%d] is not [lon, lat]" % (where, path, k))
                out.append((float(c[1]), float(c[0])))
            if len(out) < 2:
                raise RouteError("%s: %s: the LineString has fewer than two points" % (where, path))
            return out
    raise RouteError("%s: %s has no LineString feature" % (where, path))


def _local_m(lat0, lat, lon):
    """Equirectangular metres (x east, y north) about latitude lat0; enough for a projection within km."""
    return (lon * math.cos(math.radians(lat0)) * M_PER_UDEG_LAT * 1e6, lat * M_PER_UDEG_LAT * 1e6)


def _project(poly, lat, lon, k0, t0):
    """Nearest point of poly at or after (segment k0, fraction t0): (k, t, distance m)."""
    px, py = _local_m(lat, lat, lon)
    best = None
    for k in range(k0, len(poly) - 1):
        ax, ay = _local_m(lat, *poly[k])
        bx, by = _local_m(lat, *poly[k + 1])
        dx, dy = bx - ax, by - ay
        ll = dx * dx + dy * dy
        t = 0.0 if ll == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / ll))
        if k == k0 and t < t0:
            t = t0
        d = math.hypot(ax + t * dx - px, ay + t * dy - py)
        if best is None or d < best[2]:
            best = (k, t, d)
    return best


SPIKE_DEG = 90  # a line that turns back by more than this at a vertex is a stitching artefact: dropped
SHORT_M = 20  # a vertex this near the one before it is dropped (the source's own simplification is ~200 m)


def despike(poly):
    """poly without the vertices where it doubles back (turns by more than SPIKE_DEG) or that lie within
    SHORT_M of the one before: ways joined end to end in the source leave such spikes and zigzags, which no
    train runs. On the Beijing-Dandong line this drops 10 vertices, 7 of them more than 100 m from the line
    kept: out-and-backs near Goubangzi (up to 754 m) and Shenyang (up to 621 m). tests/tooling/test_route_gen.py pins
    these figures, so a new source line is looked at again."""
    out = [poly[0]]
    for p in poly[1:-1]:
        x, y = _local_m(p[0], p[0] - out[-1][0], p[1] - out[-1][1])
        if math.hypot(x, y) >= SHORT_M:
            out.append(p)
    out.append(poly[-1])
    k = 1
    while k < len(out) - 1:
        (a0, o0), (a1, o1), (a2, o2) = out[k - 1], out[k], out[k + 1]
        c = math.cos(math.radians(a1))
        v1, v2 = ((o1 - o0) * c, a1 - a0), ((o2 - o1) * c, a2 - a1)
        turn = abs(math.degrees(math.atan2(v1[0] * v2[1] - v1[1] * v2[0], v1[0] * v2[0] + v1[1] * v2[1])))
        if turn > SPIKE_DEG:
            del out[k]
            k = max(1, k - 1)
        else:
            k += 1
    return out


def simplify(poly, tol_m):
    """Douglas-Peucker: the fewest vertices of poly such that no dropped vertex is further than tol_m from the
    line kept (local metres)."""
    if tol_m <= 0 or len(poly) < 3:
        return list(poly)
    lat0 = poly[0][0]
    xy = [_local_m(lat0, la, lo) for la, lo in poly]
    keep = [False] * len(poly)
    keep[0] = keep[-1] = True
    todo = [(0, len(poly) - 1)]
    while todo:
        a, b = todo.pop()
        (ax, ay), (bx, by) = xy[a], xy[b]
        dx, dy = bx - ax, by - ay
        ll = dx * dx + dy * dy
        far, at = -1.0, -1
        for i in range(a + 1, b):
            px, py = xy[i]
            t = 0.0 if ll == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / ll))
            d = math.hypot(ax + t * dx - px, ay + t * dy - py)
            if d > far:
                far, at = d, i
        if far > tol_m:
            keep[at] = True
            todo += [(a, at), (at, b)]
    return [p for p, k in zip(poly, keep) if k]


def _stretch_vertices(route, s, raw=False):
    """[(lat, lon, point index or -1)] of one line stretch, from its first point to its last."""
    pts = route["points"]
    a, b = s["from"], s["to"]
    if s["coords"] is None:
        return [(pts[i]["lat"], pts[i]["lon"], i) for i in range(a, b + 1)]
    poly = despike(s["coords"]) if raw else simplify(despike(s["coords"]), s["simplify_m"])
    out = []
    k, t = 0, 0.0
    for i in range(a, b + 1):
        p = pts[i]
        k2, t2, d = _project(poly, p["lat"], p["lon"], k, t)
        if d > s["tol"]:
            raise RouteError("points[%d] (%s): %d m from the line of %s, more than its tolerance_m (%d)"
                             % (i, p["id"], d, s["where"], s["tol"]))
        if i > a:  # the line's own vertices between the last point and this one
            out += [(poly[v][0], poly[v][1], -1) for v in range(k + 1, k2 + 1)]
        la = poly[k2][0] + t2 * (poly[k2 + 1][0] - poly[k2][0])
        lo = poly[k2][1] + t2 * (poly[k2 + 1][1] - poly[k2][1])
        out.append((la, lo, i))
        k, t = k2, t2
    # drop line vertices that fall on (within a metre of) a point's projection
    keep = []
    for v in out:
        if keep and _udeg_pair(keep[-1]) == _udeg_pair(v):
            if v[2] >= 0:
                keep[-1] = v
            continue
        keep.append(v)
    return keep


def _udeg_pair(v):
    return (_udeg(v[0]), _udeg(v[1]))


def line_vertices(route, raw=False):
    """The route's line: [(lat, lon, tolerance m of the stretch from here on, point index or -1)], every
    point of route.points at its place on the line (on an "osm" stretch: its projection onto the line).
    raw: the source's line as it is (spikes dropped), not simplified: the track a synthetic train runs."""
    out = []
    for s in route["stretches"]:
        vs = _stretch_vertices(route, s, raw)
        if out:  # the joint: the stretch before ends where this one begins
            vs = vs[1:]
            out[-1] = (out[-1][0], out[-1][1], s["tol"], out[-1][3])
        out += [(la, lo, s["tol"], i) for la, lo, i in vs]
    return out


def load(path):
    """Read and validate the route source; returns a normalised dict for build()."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise RouteError("%s: cannot read (%s)" % (path, e.strerror)) from None
    except UnicodeDecodeError as e:
        raise RouteError("%s: not UTF-8 text (byte %d)" % (path, e.start)) from None
    except (RecursionError, ValueError) as e:
        if isinstance(e, json.JSONDecodeError):
            raise RouteError("%s: not JSON: line %d column %d: %s" % (path, e.lineno, e.colno, e.msg)) from None
        raise RouteError("%s: not usable JSON (%s)" % (path, type(e).__name__)) from None
    except json.JSONDecodeError as e:
        raise RouteError("%s: not JSON: line %d column %d: %s" % (path, e.lineno, e.colno, e.msg)) from None
    if not isinstance(doc, dict):
        raise RouteError("route: expected a JSON object")
    name = _get(doc, "name", "route", str)
    max_seg = _get(doc, "max_segment_m", "route", int, lambda v: 500 <= v <= 8000)
    langs = _get(doc, "languages", "route", list)
    for i, lang in enumerate(langs):
        if lang not in UI_LANGS:
            raise RouteError("route.languages[%d]: %r: the fixed texts (host_tools/build/ui_text.py) are in %s only"
                             % (i, lang, ", ".join(UI_LANGS)))
    if tuple(langs) != UI_LANGS:  # the firmware's pages know where English is (pages._EN)
        raise RouteError("route.languages: expected %s, in this order (the fixed texts' languages)"
                         % ", ".join(UI_LANGS))
    langs = tuple(langs)
    dirs = _get(doc, "directions", "route", dict)
    if len(dirs) != 2:
        raise RouteError("route.directions: expected two (one each way along route.points), got %d" % len(dirs))
    countries = _get(doc, "countries", "route", dict)
    if not countries:
        raise RouteError("route.countries: empty")
    tz = {}
    cnames = {}
    for code, c in countries.items():
        w = "countries.%s" % code
        cnames[code] = (_names(c, "names", w, langs), _names(c, "zone", w, langs))
        hist = _get(c, "utc_offset_min", w, list)
        if not hist:
            raise RouteError("%s.utc_offset_min: empty" % w)
        rows = []
        for i, row in enumerate(hist):
            wi = "%s.utc_offset_min[%d]" % (w, i)
            if not (isinstance(row, list) and len(row) == 2):
                raise RouteError("%s: expected [from_utc or null, minutes]" % wi)
            since = NEVER if row[0] is None else _iso_to_epoch(row[0], wi)
            if i == 0 and row[0] is not None:
                raise RouteError("%s: the first entry must start with null (since always)" % wi)
            off = row[1]
            if not isinstance(off, int) or isinstance(off, bool) or not -720 <= off <= 840:
                raise RouteError("%s: minutes %r out of range" % (wi, off))
            if rows and since <= rows[-1][0]:
                raise RouteError("%s: not after the entry before it" % wi)
            rows.append((since, off))
        tz[code] = rows
    points = _get(doc, "points", "route", list)
    if len(points) < 2:
        raise RouteError("route.points: need at least two")
    ids = {}
    pts = []
    for i, p in enumerate(points):
        w = "points[%d]" % i
        pid = _get(p, "id", w, str, lambda v: v != "")
        if pid in ids:
            raise RouteError("%s.id: %r repeats points[%d]" % (w, pid, ids[pid]))
        ids[pid] = i
        kind = _get(p, "kind", w, str, lambda v: v in ("station", "waypoint"))
        lat = _get(p, "lat", w, float, lambda v: -90 <= v <= 90)
        lon = _get(p, "lon", w, float, lambda v: -180 <= v <= 180)
        q = dict(id=pid, kind=kind, lat=lat, lon=lon)
        if kind == "station":
            for k in langs:
                q[k] = _get(p, k, w, str, lambda v: 0 < len(v) <= 40)
            country = _get(p, "country", w, str)
            if country not in tz:
                raise RouteError("%s.country: %r is not in route.countries" % (w, country))
            q["country"] = country
            calls = _get(p, "calls", w, list)
            for c in calls:
                if c not in dirs:
                    raise RouteError("%s.calls: %r is not one of %s" % (w, c, ", ".join(dirs)))
            q["calls"] = calls
        pts.append(q)
    stations = [p for p in pts if p["kind"] == "station"]
    if len(stations) < 2:
        raise RouteError("route.points: need at least two stations")
    border = _get(doc, "border", "route", dict)
    ref = _get(border, "ref", "border", str)
    if ref not in ids:
        raise RouteError("border.ref: %r is not a point id" % ref)
    offset = _get(border, "offset_m", "border", int, lambda v: -5000 <= v <= 5000)
    border_names = _names(border, "names", "border", langs)
    legs = []
    ends = (stations[0]["id"], stations[-1]["id"])
    # direction 0 runs from the first point to the last, whatever the source calls it
    names = sorted(dirs, key=lambda k: 0 if isinstance(dirs[k], dict) and dirs[k].get("from") == ends[0] else 1)
    for d, dname in enumerate(names):
        w = "directions.%s" % dname
        dd = _get(dirs, dname, "directions", dict)
        if _get(dd, "from", w, str) != ends[d] or _get(dd, "to", w, str) != ends[1 - d]:
            raise RouteError("%s: must run from %s to %s (the order of route.points)" % (w, ends[d], ends[1 - d]))
        dl = _get(dd, "legs", w, list)
        if len(dl) != 3:
            raise RouteError("%s.legs: expected 3 legs, got %d" % (w, len(dl)))
        prev = ends[d]
        row = []
        for i, leg in enumerate(dl):
            wl = "%s.legs[%d]" % (w, i)
            train = _get(leg, "train", wl, str, lambda v: 0 < len(v) <= 6)
            if _get(leg, "from", wl, str) != prev:
                raise RouteError("%s.from: expected %r (where the leg before ends)" % (wl, prev))
            to = _get(leg, "to", wl, str)
            if to not in ids or pts[ids[to]]["kind"] != "station":
                raise RouteError("%s.to: %r is not a station id" % (wl, to))
            prev = to
            row.append((train, to))
        if prev != ends[1 - d]:
            raise RouteError("%s.legs: the last leg must end at %s" % (w, ends[1 - d]))
        legs.append(row)
    stretches = _load_line(doc, os.path.dirname(os.path.abspath(path)), pts, ids)
    border_st = []
    for key in ("after", "before"):
        sid = _get(border, key, "border", str)
        if sid not in ids or pts[ids[sid]]["kind"] != "station":
            raise RouteError("border.%s: %r is not a station id" % (key, sid))
        border_st.append(sid)
    sched = _load_times(doc, names, stations, tz)
    route = dict(name=name, max_seg=max_seg, tz=tz, points=pts, stations=stations, ids=ids,
                 border_ref=ref, border_offset=offset, legs=legs, countries=list(tz), cnames=cnames,
                 border_names=border_names, langs=langs, directions=tuple(names), stretches=stretches,
                 border_st=border_st, sched=sched)
    route["vertices"] = line_vertices(route)
    return route


def _load_times(doc, dirs, stations, tz):
    """The passengers' timetable: {(direction, station id, "arr"|"dep"): local minute of the day} from
    route.timetable, only the rows whose quality is "sourced" (the others are guesses for synthetic journeys);
    each row's utc_offset_min must be its station's country's offset now."""
    tt = doc.get("timetable")
    out = {}
    if tt is None:
        return out
    if not isinstance(tt, dict):
        raise RouteError("timetable: expected an object")
    st = {p["id"]: p for p in stations}
    for d, dname in enumerate(dirs):
        rows = tt.get(dname, [])
        if not isinstance(rows, list):
            raise RouteError("timetable.%s: expected a list" % dname)
        for i, row in enumerate(rows):
            w = "timetable.%s[%d]" % (dname, i)
            sid = _get(row, "station", w, str)
            if sid not in st:
                raise RouteError("%s.station: %r is not a station id" % (w, sid))
            off = _get(row, "utc_offset_min", w, int)
            if off != tz[st[sid]["country"]][-1][1]:
                raise RouteError("%s.utc_offset_min: %d is not the offset of %s's country now" % (w, off, sid))
            if row.get("quality") != "sourced":
                continue
            for key in ("arr", "dep"):
                if key in row:
                    v = _get(row, key, w, str, lambda v: len(v) == 5 and v[2] == ":" and v[:2].isdigit()
                             and v[3:].isdigit() and int(v[:2]) < 24 and int(v[3:]) < 60)
                    out[(d, sid, key)] = int(v[:2]) * 60 + int(v[3:])
    return out


def _load_line(doc, base_dir, pts, ids):
    """route.line: stretches from point to point covering route.points, each "osm" (a GeoJSON LineString
    file, relative to the source) or "straight" (straight lines through the points), with tolerance_m."""
    line = _get(doc, "line", "route", list)
    if not line:
        raise RouteError("route.line: empty")
    out = []
    prev = pts[0]["id"]
    for i, s in enumerate(line):
        w = "line[%d]" % i
        fr = _get(s, "from", w, str)
        if fr != prev:
            raise RouteError("%s.from: expected %r (where the stretch before ends)" % (w, prev))
        to = _get(s, "to", w, str)
        if to not in ids or ids[to] <= ids[fr]:
            raise RouteError("%s.to: %r is not a point after %r in route.points" % (w, to, fr))
        geom = _get(s, "geometry", w, str, lambda v: v in GEOMETRIES)
        tol = _get(s, "tolerance_m", w, int, lambda v: TOL_UNIT_M <= v <= 255 * TOL_UNIT_M and v % TOL_UNIT_M == 0)
        coords = None
        simp = _get(s, "simplify_m", w, int, lambda v, t=tol: 0 <= v <= t // 2) if "simplify_m" in s else 0
        if geom == "osm":
            f = _get(s, "file", w, str, lambda v: v != "")
            coords = _read_linestring(os.path.join(base_dir, f), w + ".file")
        lic = s.get("licence")
        if geom == "osm" and not (isinstance(lic, str) and "OpenStreetMap" in lic and "ODbL" in lic):
            raise RouteError("%s.licence: an osm stretch must carry its licence and attribution (ODbL, (c) "
                             "OpenStreetMap contributors)" % w)
        out.append(dict(where=w, **{"from": ids[fr], "to": ids[to]}, geometry=geom, tol=tol, coords=coords,
                        licence=lic, file=s.get("file"), simplify_m=simp))
        prev = to
    if prev != pts[-1]["id"]:
        raise RouteError("line[%d].to: the line must end at the last point, %r" % (len(line) - 1, pts[-1]["id"]))
    return out


def _udeg(v):
    return int(round(v * 1e6))


def _kx(lat_udeg):
    return int(round(math.cos(math.radians(lat_udeg / 1e6)) * M_PER_UDEG_LAT * 16384))


def build(route):
    """Segments and tables in integers, computed the way the firmware computes them."""
    pts = route["points"]
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
    names[:0] = ["# " + ln for ln in textwrap.wrap("Fixed texts (host_tools/build/ui_text.py): %s." % ", ".join(fixed), 108)]
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
    st = route["stations"]
    _check_seg(b["seg"], b["seg_point"])
    if len({len(r) for r in b["trains"]}) != 1:
        raise RouteError("directions: every direction needs the same number of legs")
    text_lit, at_lit, text_names = _text_table(route, b)
    out = [
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
    ]
    return "\n".join(out)


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
