"""The fleet log store: journey logs pulled from any number of coaches, any number of times, in one SQLite file.

    python -m host_tools.board.fleet import DB FILE... [--coach ID]     # pulled jlog files (jlog pull -o ...)
    python -m host_tools.board.fleet journeys DB [filters] [--csv]     # one line per journey
    python -m host_tools.board.fleet stations DB [filters] [--csv]     # boardings, alightings, door alarms per station
    python -m host_tools.board.fleet events DB [filters] [--kind K] [--csv]   # alarms, faults, boots, ... (all records)
    python -m host_tools.board.fleet plot DB -o out.png [filters]      # boardings and alightings per station, PNG
    python -m host_tools.board.fleet synth DIR [--days 365]            # a synthetic year of pulls of two coaches
filters: --coach ID, --from YYYY-MM-DD, --to YYYY-MM-DD (UTC, inclusive), --journey N.

Storage: stdlib sqlite3 (docs/fleet-store.md: schema, and the same schema on PostgreSQL past one depot PC).
A pulled file is a whole ring (trainctl/jlog.py: 16-byte CRC-checked records, 24-bit sequence): each pull
repeats most of the previous one. Records are keyed by (coach, seq): INSERT OR IGNORE keeps one copy; a
record that comes back with the same key and other content (a board whose log was wiped, or two coaches
given one ID) is counted as a conflict and the first copy kept. A file already imported (same SHA-256) is
skipped whole. The coach is --coach, else the log's own (its newest coach-ID record, written after each boot),
else the file name's jlog-<coach>-<time or number>.bin part (jlog pull's names).
Audit records (coach ID, train number, clock, crew override, GPS lost/regained): `events` words them in its
detail column (host_tools/board/jlog.py detail) and `journeys` counts resets, GPS outages (and their seconds)
and crew overrides. Records written before the time was known (a boot's) are dated from the boot's clock
record (table `dated`) and so belong to the journey around that time.
Journeys: a coach's station records (K_STATION) in time order, split where the gap between two stops passes
JOURNEY_GAP_S or the direction of travel along the route turns; every record from an hour before a journey's
first stop to an hour after its last belongs to it (others: none, the depot).
Exit status 0, or 2 with one line on stderr (host_tools/common/cli.py).
"""

import argparse
import csv
import hashlib
import os
import re
import sqlite3
import sys

from trainctl import clock, codes, route_data

from host_tools.board import jlog
from host_tools.common import cli, route_names, utc
from host_tools.common.cli import UsageError
from host_tools.synth import jlogs

SIZE = jlog.SIZE
JOURNEY_GAP_S = 6 * 3600
MARGIN_S = 3600
SCHEMA = """
CREATE TABLE IF NOT EXISTS pulls (id INTEGER PRIMARY KEY, coach TEXT NOT NULL, file TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE, records INTEGER NOT NULL, new INTEGER NOT NULL, conflicts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (coach TEXT NOT NULL, seq INTEGER NOT NULL, utc_s INTEGER NOT NULL,
    kind INTEGER NOT NULL, idx INTEGER NOT NULL, station INTEGER NOT NULL, a INTEGER NOT NULL,
    b INTEGER NOT NULL, journey INTEGER, PRIMARY KEY (coach, seq));
CREATE INDEX IF NOT EXISTS records_kind_time ON records (kind, utc_s);
CREATE INDEX IF NOT EXISTS records_coach_time ON records (coach, utc_s);
CREATE INDEX IF NOT EXISTS records_journey ON records (journey);
CREATE TABLE IF NOT EXISTS journeys (id INTEGER PRIMARY KEY, coach TEXT NOT NULL, first_utc INTEGER NOT NULL,
    last_utc INTEGER NOT NULL, direction TEXT NOT NULL, stops INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dated (coach TEXT NOT NULL, seq INTEGER NOT NULL, utc_s INTEGER NOT NULL,
    PRIMARY KEY (coach, seq));
"""
NAME_RE = re.compile(r"jlog-([A-Za-z0-9_-]+)-[0-9TZ]+(?:\.|$)")  # jlog pull: jlog-C-01-20261207T101500Z.bin
OLD_NAME_RE = re.compile(r"jlog-([A-Za-z0-9_.]+?)-")


KINDS = jlog.KIND_NAMES
KIND_BY_NAME = {v: k for k, v in KINDS.items()}


def connect(path):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    return db


def coach_in_log(data):
    """The coach ID of the newest K_COACH record (CRC good, non-empty) in a pulled file's bytes, else None."""
    best = None
    for o in range(3, len(data), SIZE):
        if data[o] != codes.K_COACH:
            continue
        r = jlog.unpack(data[o - 3:o - 3 + SIZE])
        if r is None:
            continue
        seq, _, _, index, station, a, b = r
        cid = jlog.coach_id(index, station, a, b)
        if cid and (best is None or ((seq - best[0]) & 0xFFFFFF) < 0x800000):
            best = (seq, cid)
    return best[1] if best else None


def coach_of(path, coach=None, data=None, log=None):
    """--coach, else the log's own ID (data: the file's bytes), else the file name's."""
    if coach:
        return coach
    m = NAME_RE.search(os.path.basename(path)) or OLD_NAME_RE.search(os.path.basename(path))
    own = coach_in_log(data) if data is not None else None
    if own:
        if m and m.group(1) != own and log is not None:
            log("%s: coach %s from its log (the file name says %s)" % (path, own, m.group(1)))
        return own
    if not m:
        raise UsageError("%s: no coach in the log or the file name (jlog-<coach>-...): give --coach" % path)
    return m.group(1)


def _known(db, coach, cache):
    """{seq: raw 16 bytes} of the coach's records in the database (loaded once per import)."""
    if coach not in cache:
        cache[coach] = {r[0]: jlog.pack_body(r[0], r[1], r[2], r[3], r[4], r[5], r[6])
                        for r in db.execute("SELECT seq, utc_s, kind, idx, station, a, b FROM records "
                                            "WHERE coach = ?", (coach,))}
    return cache[coach]


def import_files(db, files, coach=None, log=print):
    """Import pulled files; (files imported, records new, conflicts). Journeys of the coaches touched are
    rebuilt once at the end. A record already stored byte for byte is skipped before any decoding."""
    touched = set()
    cache = {}
    n_files = n_new = n_conf = 0
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        if len(data) % SIZE or not data:
            raise UsageError("%s: %d bytes is not a journey log (16-byte records)" % (path, len(data)))
        c = coach_of(path, coach, data, log)
        sha = hashlib.sha256(data).hexdigest()
        if db.execute("SELECT 1 FROM pulls WHERE sha256 = ?", (sha,)).fetchone():
            continue
        known = _known(db, c, cache)
        new, valid, conflicts = [], 0, 0
        for o in range(0, len(data), SIZE):
            body = data[o:o + 14]
            seq = body[0] | body[1] << 8 | body[2] << 16
            have = known.get(seq)
            if have == body:
                valid += 1
                continue
            r = jlog.unpack(data[o:o + SIZE])
            if r is None:
                continue  # blank, torn or corrupt
            valid += 1
            if have is not None:
                conflicts += 1
                continue
            new.append((c,) + r)
            known[seq] = body
        db.executemany("INSERT INTO records (coach, seq, utc_s, kind, idx, station, a, b) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", new)
        db.execute("INSERT INTO pulls (coach, file, sha256, records, new, conflicts) VALUES (?, ?, ?, ?, ?, ?)",
                   (c, os.path.basename(path), sha, valid, len(new), conflicts))
        touched.add(c)
        n_files += 1
        n_new += len(new)
        n_conf += conflicts
    for c in sorted(touched):
        split_journeys(db, c)
    db.commit()
    log("imported %d file(s): %d new records, %d conflicting (kept the first), coaches %s"
        % (n_files, n_new, n_conf, ", ".join(sorted(touched)) or "-"))
    return n_files, n_new, n_conf


def split_journeys(db, coach):
    """Rebuild the coach's journeys from its station records; date its records written before the time was
    known (table dated) and put them in the journey around that time."""
    stops = db.execute("SELECT utc_s, idx FROM records WHERE coach = ? AND kind = ? ORDER BY utc_s, seq",
                       (coach, codes.K_STATION)).fetchall()
    db.execute("UPDATE records SET journey = NULL WHERE coach = ? AND journey IS NOT NULL", (coach,))
    db.execute("DELETE FROM journeys WHERE coach = ?", (coach,))
    groups = []
    for t, st in stops:
        g = groups[-1] if groups else None
        if g is not None and t - g[-1][0] <= JOURNEY_GAP_S and st != g[-1][1]:
            d = 1 if st > g[-1][1] else -1
            d0 = (1 if g[1][1] > g[0][1] else -1) if len(g) > 1 else d
            if d == d0:
                g.append((t, st))
                continue
        groups.append([(t, st)])
    for g in groups:
        ends = route_names.names(route_data).ST_EN
        direction = "to_" + (ends[-1] if len(g) < 2 or g[-1][1] > g[0][1] else ends[0]).lower().replace(" ", "_")
        cur = db.execute("INSERT INTO journeys (coach, first_utc, last_utc, direction, stops) VALUES (?, ?, ?, ?, ?)",
                         (coach, g[0][0], g[-1][0], direction, len(g)))
        db.execute("UPDATE records SET journey = ? WHERE coach = ? AND utc_s BETWEEN ? AND ?",
                   (cur.lastrowid, coach, g[0][0] - MARGIN_S, g[-1][0] + MARGIN_S))
    db.execute("DELETE FROM dated WHERE coach = ?", (coach,))
    recs = db.execute("SELECT seq, utc_s, kind, idx, station, a, b FROM records WHERE coach = ? AND "
                      "(utc_s < 0 OR kind = ? OR (kind = ? AND idx = 0)) ORDER BY seq",
                      (coach, codes.K_BOOT, codes.K_CLOCK)).fetchall()
    dated = jlog.boot_dates(recs)
    db.executemany("INSERT INTO dated (coach, seq, utc_s) VALUES (?, ?, ?)",
                   [(coach, q, t) for q, t in dated.items()])
    db.execute("UPDATE records SET journey = (SELECT j.id FROM journeys j, dated d WHERE j.coach = records.coach "
               "AND d.coach = records.coach AND d.seq = records.seq AND d.utc_s BETWEEN j.first_utc - ? AND "
               "j.last_utc + ? ORDER BY j.first_utc LIMIT 1) WHERE coach = ? AND utc_s < 0",
               (MARGIN_S, MARGIN_S, coach))


def day_s(text, end=False):
    """utc_s (firmware epoch) of the start of a YYYY-MM-DD day (end: of its last second)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text or "")
    if not m:
        raise UsageError("%r is not a date YYYY-MM-DD" % text)
    try:
        t = utc.day_s(text)
    except ValueError:
        raise UsageError("%r is not a date YYYY-MM-DD" % text) from None
    return t - utc.EPOCH_UNIX + (86399 if end else 0)


def where(a, alias="r"):
    """SQL condition and parameters for the filters --coach, --from, --to, --journey."""
    cond, par = [], []
    if getattr(a, "coach", None):
        cond.append("%s.coach = ?" % alias)
        par.append(a.coach)
    if getattr(a, "start", None):
        cond.append("%s.utc_s >= ?" % alias)
        par.append(day_s(a.start))
    if getattr(a, "end", None):
        cond.append("%s.utc_s <= ?" % alias)
        par.append(day_s(a.end, True))
    if getattr(a, "journey", None) is not None:
        cond.append("%s.journey = ?" % alias)
        par.append(a.journey)
    return (" AND ".join(cond) or "1"), par


def station_report(db, a):
    """[(station name, boardings, alightings, stops, door alarms)] in route order."""
    cond, par = where(a)
    on = [0] * route_data.STATION_N
    off = [0] * route_data.STATION_N
    stops = [0] * route_data.STATION_N
    alarms = [0] * route_data.STATION_N
    for idx, s_on, s_off, n in db.execute(
            "SELECT idx, SUM(a), SUM(b), COUNT(*) FROM records r WHERE kind = ? AND %s GROUP BY idx" % cond,
            [codes.K_STATION] + par):
        if 0 <= idx < route_data.STATION_N:
            on[idx], off[idx], stops[idx] = s_on, s_off, n
    for st, n in db.execute("SELECT station, COUNT(*) FROM records r WHERE kind = ? AND %s GROUP BY station" % cond,
                            [codes.EV_ALARM_ON] + par):
        if 0 <= st < route_data.STATION_N:
            alarms[st] = n
    names = route_names.names(route_data).ST_EN
    return [(names[i], on[i], off[i], stops[i], alarms[i]) for i in range(route_data.STATION_N)]


def journey_report(db, a):
    cond, par = where(a, "r")
    jcond = cond.replace("r.utc_s", "j.first_utc").replace("r.coach", "j.coach").replace("r.journey", "j.id")
    rows = db.execute(
        "SELECT j.id, j.coach, j.first_utc, j.last_utc, j.direction, j.stops, "
        "(SELECT COALESCE(SUM(a), 0) FROM records WHERE journey = j.id AND kind = ?), "
        "(SELECT COALESCE(SUM(b), 0) FROM records WHERE journey = j.id AND kind = ?), "
        "(SELECT COUNT(*) FROM records WHERE journey = j.id AND kind = ?), "
        "(SELECT COUNT(*) FROM records WHERE journey = j.id AND kind = ?), "
        "(SELECT COUNT(*) FROM records WHERE journey = j.id AND kind = ?), "
        "(SELECT COUNT(*) FROM records WHERE journey = j.id AND kind = ? AND idx = 0), "
        "(SELECT COALESCE(SUM(a + 65536 * b), 0) FROM records WHERE journey = j.id AND kind = ? AND idx = 1), "
        "(SELECT COUNT(*) FROM records WHERE journey = j.id AND kind = ? AND idx = 1) "
        "FROM journeys j WHERE %s ORDER BY j.first_utc, j.coach" % jcond,
        [codes.K_STATION, codes.K_STATION, codes.EV_ALARM_ON, codes.K_FAULT, codes.K_BOOT, codes.K_GPS, codes.K_GPS,
         codes.K_OVERRIDE] + par).fetchall()
    return [(i, c, clock.iso_utc(t0), clock.iso_utc(t1), d, n, on, off, al, fa, rs, go, gs, ov)
            for i, c, t0, t1, d, n, on, off, al, fa, rs, go, gs, ov in rows]


def event_rows(db, a):
    cond, par = where(a)
    if a.kind:
        if a.kind not in KIND_BY_NAME:
            raise UsageError("unknown --kind %r; kinds: %s" % (a.kind, ", ".join(sorted(KIND_BY_NAME))))
        cond += " AND kind = ?"
        par.append(KIND_BY_NAME[a.kind])
    names = route_names.names(route_data).ST_EN
    for c, seq, t, k, i, st, x, y, j, d in db.execute(
            "SELECT r.coach, r.seq, r.utc_s, r.kind, r.idx, r.station, r.a, r.b, r.journey, d.utc_s FROM records r "
            "LEFT JOIN dated d ON d.coach = r.coach AND d.seq = r.seq WHERE %s "
            "ORDER BY COALESCE(d.utc_s, r.utc_s), r.coach, r.seq" % cond, par):
        when = clock.iso_utc(t) if t >= 0 else clock.iso_utc(d) if d is not None else ""
        text = jlog.detail((seq, t, k, i, st, x, y))
        if t < 0 and d is not None:
            text += "; dated by the boot's clock record"
        yield (c, seq, when, KINDS.get(k, "kind_%d" % k), i, names[st] if 0 <= st < len(names) else "", x, y,
               j if j is not None else "", text)


def _out(a):
    return open(a.output, "w", newline="", encoding="utf-8") if a.output else sys.stdout  # noqa: SIM115


def _table(a, header, rows):
    out = _out(a)
    try:
        if a.csv:
            w = csv.writer(out, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        else:
            rows = [[str(x) for x in r] for r in rows]
            width = [max([len(h)] + [len(r[k]) for r in rows]) for k, h in enumerate(header)]
            out.write("  ".join(h.ljust(width[k]) for k, h in enumerate(header)).rstrip() + "\n")
            for r in rows:
                out.write("  ".join(x.rjust(width[k]) if x.lstrip("-").isdigit() else x.ljust(width[k])
                                    for k, x in enumerate(r)).rstrip() + "\n")
    finally:
        if out is not sys.stdout:
            out.close()


def plot(db, a):
    """Boardings and alightings per station for the filters, as jlog's plot draws one log."""

    cond, par = where(a)
    span = db.execute("SELECT MIN(utc_s), MAX(utc_s) FROM records r WHERE kind = ? AND %s" % cond,
                      [codes.K_STATION] + par).fetchone()
    if span[0] is None:
        raise UsageError("no station records for these filters")
    recs = [(0, span[0], codes.K_STATION, i, -1, on, off) for i, (_, on, off, _, _) in
            enumerate(station_report(db, a)) if on or off]
    recs[-1] = recs[-1][:1] + (span[1],) + recs[-1][2:]
    jlog.plot(recs, a.output)


def _arg_parser():
    ap = argparse.ArgumentParser(prog="python -m host_tools.board.fleet", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def filters(p, out=True):
        p.add_argument("db", help="the fleet database file (SQLite)")
        p.add_argument("--coach", help="only this coach")
        p.add_argument("--from", dest="start", help="from this UTC day, YYYY-MM-DD")
        p.add_argument("--to", dest="end", help="to this UTC day, YYYY-MM-DD (inclusive)")
        p.add_argument("--journey", type=int, help="only this journey (its number in `journeys`)")
        if out:
            p.add_argument("--csv", action="store_true", help="CSV instead of a table")
            p.add_argument("-o", "--output", help="write to this file (default: stdout)")

    p = sub.add_parser("import", help="add pulled journey logs to the database")
    p.add_argument("db", help="the fleet database file (SQLite; created if missing)")
    p.add_argument("files", nargs="+", help="pulled logs (jlog-<coach>-....bin)")
    p.add_argument("--coach", help="the coach of every file (default: from each file's name)")
    filters(sub.add_parser("journeys", help="one line per journey: stops, boardings, alightings, alarms, faults"))
    filters(sub.add_parser("stations", help="boardings, alightings, stops and door alarms per station"))
    p = sub.add_parser("events", help="the records themselves (alarms, faults, boots, ...)")
    filters(p)
    p.add_argument("--kind", help="only this kind (alarm_on, fault, boot, station, door_open, ...)")
    p = sub.add_parser("plot", help="boardings and alightings per station, PNG")
    filters(p, out=False)
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    p = sub.add_parser("synth", help="write a synthetic year of pulled logs of two coaches (for tests, benchmarks)")
    p.add_argument("dir", help="folder to write jlog-<coach>-<n>.bin into")
    p.add_argument("--days", type=int, default=365, help="days of daily journeys (default 365)")
    p.add_argument("--pulls", type=int, default=500, help="pulls per coach (default 500)")
    return ap


def main(argv=None):
    a = _arg_parser().parse_args(argv)
    if a.cmd == "synth":
        if not 1 <= a.days <= 3660 or not 1 <= a.pulls <= 100000:
            raise UsageError("--days 1..3660, --pulls 1..100000")
        jlogs.synth(a.dir, a.days, pulls_per_coach=a.pulls)
        return 0
    if a.cmd != "import" and not os.path.isfile(a.db):
        raise UsageError("%s: no such database (make one with `import`)" % a.db)
    try:
        db = connect(a.db)
    except sqlite3.DatabaseError as e:
        raise UsageError("%s: not a fleet database (%s)" % (a.db, e)) from None
    try:
        _run(db, a)
    except sqlite3.DatabaseError as e:
        raise UsageError("%s: %s" % (a.db, e)) from None
    finally:
        db.close()
    return 0


def _run(db, a):
    """The command a.cmd on the open database."""
    if a.cmd == "import":
        import_files(db, a.files, a.coach)
    elif a.cmd == "stations":
        _table(a, ("station", "boardings", "alightings", "stops", "door_alarms"), station_report(db, a))
    elif a.cmd == "journeys":
        _table(a, ("journey", "coach", "first_stop_utc", "last_stop_utc", "direction", "stops", "boardings",
                   "alightings", "door_alarms", "faults", "resets", "gps_outages", "gps_outage_s", "overrides"),
               journey_report(db, a))
    elif a.cmd == "events":
        _table(a, ("coach", "seq", "utc", "kind", "index", "station", "a", "b", "journey", "detail"),
               event_rows(db, a))
    elif a.cmd == "plot":
        plot(db, a)


if __name__ == "__main__":
    sys.exit(cli.guard(main, "fleet"))
