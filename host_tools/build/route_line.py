"""The route's line for host_tools/build/route.py: the source's stretches (GeoJSON lines or straight between
points) cleaned of stitching spikes, simplified, with every route point at its place on the line."""

import math

from host_tools.build.route_source import RouteError

M_PER_UDEG_LAT = 6371008.8 * math.pi / 180 / 1e6


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



def _udeg(v):
    return int(round(v * 1e6))
