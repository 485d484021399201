"""The human-edited route source (JSON) read and validated for host_tools/build/route.py: every problem is a
RouteError naming the field, e.g. "points[3].lat: ..."."""

import json
import math
import os

from host_tools.common import utc

NEVER = -(2**30)  # "since always" in the time-zone table
UI_LANGS = ("zh", "ko", "en")  # the languages host_tools/build/ui_text.py has every fixed text in, in its order
GEOMETRIES = ("osm", "straight")  # a line stretch: a GeoJSON LineString from a file, or straight between points
TOL_UNIT_M = 100  # SEG_TOL: a segment's lateral tolerance in units of 100 m (one byte: up to 25.5 km)


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
        t = int(utc.utc_s(text))
        if not 1970 <= int(text[0:4]) <= 2100:
            raise ValueError
    except ValueError:
        raise RouteError("%s: expected 'YYYY-MM-DDThh:mm:ssZ', got %r" % (where, text)) from None
    return t - utc.EPOCH_UNIX


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


def _read_json(path):
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
    return doc


def read(path):
    """Read and validate the route source; returns a normalised dict (without the line's vertices)."""
    doc = _read_json(path)
    name = _get(doc, "name", "route", str)
    max_seg = _get(doc, "max_segment_m", "route", int, lambda v: 500 <= v <= 8000)
    langs = _load_langs(doc)
    dirs = _get(doc, "directions", "route", dict)
    if len(dirs) != 2:
        raise RouteError("route.directions: expected two (one each way along route.points), got %d" % len(dirs))
    tz, cnames = _load_countries(doc, langs)
    ids, pts = _load_points(doc, langs, tz, dirs)
    stations = [p for p in pts if p["kind"] == "station"]
    if len(stations) < 2:
        raise RouteError("route.points: need at least two stations")
    border = _get(doc, "border", "route", dict)
    ref = _get(border, "ref", "border", str)
    if ref not in ids:
        raise RouteError("border.ref: %r is not a point id" % ref)
    offset = _get(border, "offset_m", "border", int, lambda v: -5000 <= v <= 5000)
    border_names = _names(border, "names", "border", langs)
    names, legs = _load_legs(dirs, stations, ids, pts)
    stretches = _load_line(doc, os.path.dirname(os.path.abspath(path)), pts, ids)
    border_st = []
    for key in ("after", "before"):
        sid = _get(border, key, "border", str)
        if sid not in ids or pts[ids[sid]]["kind"] != "station":
            raise RouteError("border.%s: %r is not a station id" % (key, sid))
        border_st.append(sid)
    sched = _load_times(doc, names, stations, tz)
    return dict(name=name, max_seg=max_seg, tz=tz, points=pts, stations=stations, ids=ids,
                border_ref=ref, border_offset=offset, legs=legs, countries=list(tz), cnames=cnames,
                border_names=border_names, langs=langs, directions=tuple(names), stretches=stretches,
                border_st=border_st, sched=sched)


def _load_langs(doc):
    langs = _get(doc, "languages", "route", list)
    for i, lang in enumerate(langs):
        if lang not in UI_LANGS:
            raise RouteError("route.languages[%d]: %r: the fixed texts (host_tools/build/ui_text.py) are in %s only"
                             % (i, lang, ", ".join(UI_LANGS)))
    if tuple(langs) != UI_LANGS:  # the firmware's pages know where English is (pages._EN)
        raise RouteError("route.languages: expected %s, in this order (the fixed texts' languages)"
                         % ", ".join(UI_LANGS))
    return tuple(langs)


def _load_countries(doc, langs):
    """route.countries: ({code: [(since epoch s, UTC offset min)]}, {code: (names, zone names)})."""
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
    return tz, cnames


def _load_points(doc, langs, tz, dirs):
    """route.points: ({id: index}, [point dicts])."""
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
    return ids, pts


def _load_legs(dirs, stations, ids, pts):
    """route.directions: (their names, direction 0 first; per direction [(train, station id where the leg
    ends)])."""
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
    return names, legs


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

