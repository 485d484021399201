"""Issue 17 item 4: the fleet log store (host_tools/board/fleet.py, stdlib sqlite3) on synthetic pulls, with the
firmware's own journey-log reader (trainctl.jlog) as the oracle."""

import csv
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
from mp.mp import REPO
from trainctl import codes
from trainctl.jlog import JourneyLog

from host_tools.board import fleet, jlog
from host_tools.synth import jlogs


def _records(path):
    return JourneyLog(str(path), max(2, os.path.getsize(path) // 16)).records()


@pytest.fixture(scope="module")
def pulls(tmp_path_factory):
    d = tmp_path_factory.mktemp("pulls")
    files = jlogs.synth(str(d), days=40, pulls_per_coach=30, log=lambda m: None)
    return d, sorted(files)


@pytest.fixture(scope="module")
def db(pulls, tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "fleet.db"
    c = fleet.connect(str(path))
    fleet.import_files(c, pulls[1], log=lambda m: None)
    return c


def _unique(files):
    """{(coach, seq): record} over all files, by the firmware's reader."""
    out = {}
    for f in files:
        coach = os.path.basename(f).split("-")[1]
        for r in _records(f):
            out.setdefault((coach, r[0]), r)
    return out


def test_decode_matches_the_firmware_reader(tmp_path):
    p = tmp_path / "ring.bin"
    jl = JourneyLog(str(p), 64)
    jl.load()
    for k in range(150):  # wraps twice
        jl.add(200000000 + k * 60, codes.K_STATION if k % 5 == 0 else codes.EV_DOOR_OPEN, k % 17, -1, k, 2 * k)
    jl.close()
    data = bytearray(p.read_bytes())
    data[16 * 7 + 3] ^= 0xFF  # a corrupt record: skipped by both
    p.write_bytes(bytes(data))
    assert sorted(jlog.decode(bytes(data))) == sorted(_records(p))
    assert len(jlog.decode(bytes(data))) == 63


def test_every_unique_record_once_and_journeys_split(db, pulls):
    truth = _unique(pulls[1])
    rows = db.execute("SELECT coach, seq, utc_s, kind, idx, station, a, b FROM records").fetchall()
    assert len(rows) == len(truth)
    assert {(c, s): (s, u, k, i, st, a, b) for c, s, u, k, i, st, a, b in rows} == truth
    for coach in ("C01", "C02"):
        js = db.execute("SELECT direction, stops FROM journeys WHERE coach = ? ORDER BY first_utc",
                        (coach,)).fetchall()
        # a ring of 1024 records holds ~18 days: the first pull already lost nothing (pulled every 1.3 days)
        assert len(js) == 40, js
        assert [d for d, _ in js] == ["to_pyongyang", "to_beijing"] * 20
        assert all(n == 17 for _, n in js)
    assert db.execute("SELECT COUNT(*) FROM records WHERE journey IS NULL AND kind = ?",
                      (codes.K_STATION,)).fetchone()[0] == 0


def test_reimport_and_overlap_add_nothing(db, pulls):
    n = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    assert fleet.import_files(db, pulls[1], log=lambda m: None) == (0, 0, 0)  # same files: skipped by sha256
    assert db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == n


def test_conflicting_records_are_counted_and_the_first_kept(pulls, tmp_path):
    d, files = pulls
    c = fleet.connect(str(tmp_path / "f.db"))
    a = [f for f in files if "-C01-" in f][5]
    b = tmp_path / "jlog-C01-other.bin"  # the other coach's log under this coach's name
    shutil.copy([f for f in files if "-C02-" in f][5], b)
    fleet.import_files(c, [a], log=lambda m: None)
    before = c.execute("SELECT * FROM records ORDER BY seq").fetchall()
    _, new, conflicts = fleet.import_files(c, [str(b)], coach="C01", log=lambda m: None)  # told: it is C01
    same = set(_records(a)) & set(_records(b))  # byte for byte the same record (a boot before the time was known)
    assert conflicts > 0 and new + conflicts + len(same) == len(_records(b))
    after = {r[1]: r for r in c.execute("SELECT * FROM records").fetchall()}
    assert all(after[r[1]][:8] == r[:8] for r in before)


def test_station_report_equals_the_sum_over_unique_station_records(db, pulls):
    truth = _unique(pulls[1])

    class A:
        coach = "C02"
        start = "2026-01-10"
        end = "2026-01-20"
        journey = None

    lo, hi = fleet.day_s(A.start), fleet.day_s(A.end, True)
    on = [0] * 17
    off = [0] * 17
    for (coach, _), r in truth.items():
        if coach == "C02" and r[2] == codes.K_STATION and lo <= r[1] <= hi:
            on[r[3]] += r[5]
            off[r[3]] += r[6]
    rep = fleet.station_report(db, A)
    assert [x[1] for x in rep] == on and [x[2] for x in rep] == off
    assert sum(on) > 0


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "host_tools.board.fleet", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_cli_reports_csv_and_plot(db, pulls, tmp_path):
    path = tmp_path / "c.db"
    r = _cli("import", str(path), *pulls[1])
    assert r.returncode == 0 and "0 conflicting" in r.stdout, r.stderr
    r = _cli("journeys", str(path), "--coach", "C01", "--csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 40 and rows[0]["direction"] == "to_pyongyang" and int(rows[0]["stops"]) == 17
    r = _cli("stations", str(path), "--journey", rows[0]["journey"], "--csv", "-o", str(tmp_path / "s.csv"))
    assert r.returncode == 0, r.stderr
    st = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text())))
    assert [s["station"] for s in st][:2] == ["Beijing", "Tianjin"] and all(s["stops"] == "1" for s in st)
    assert sum(int(s["boardings"]) for s in st) == int(rows[0]["boardings"])
    r = _cli("events", str(path), "--kind", "alarm_on", "--csv")
    ev = list(csv.DictReader(io.StringIO(r.stdout)))
    assert ev and all(e["kind"] == "alarm_on" and e["station"] for e in ev)
    r = _cli("plot", str(path), "--coach", "C02", "--from", "2026-01-05", "--to", "2026-01-25", "-o",
             str(tmp_path / "p.png"))
    assert r.returncode == 0, r.stderr
    from PIL import Image

    assert Image.open(tmp_path / "p.png").size == (1280, 640)
    for bad in (("stations", str(tmp_path / "none.db")), ("stations", str(path), "--from", "2026-02-30"),
                ("events", str(path), "--kind", "nope"), ("import", str(path), str(tmp_path / "p.png"))):
        r = _cli(*bad)
        assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1, (bad, r.stderr)


def test_a_year_of_two_coaches_1000_pulls_imports_in_under_30_s(tmp_path):
    """The issue's target, measured here (wall time of the import and of a per-station report)."""
    files = jlogs.synth(str(tmp_path / "year"), days=365, pulls_per_coach=500, log=lambda m: None)
    assert len(files) == 1000
    c = fleet.connect(str(tmp_path / "y.db"))
    t0 = time.monotonic()
    fleet.import_files(c, files, log=lambda m: None)
    t_import = time.monotonic() - t0

    class A:
        coach = "C01"
        start = "2026-03-01"
        end = "2026-08-31"
        journey = None

    t0 = time.monotonic()
    rep = fleet.station_report(c, A)
    t_report = time.monotonic() - t0
    print("fleet: 1000 pulls imported in %.2f s, a per-station report in %.3f s" % (t_import, t_report))
    assert c.execute("SELECT COUNT(*) FROM journeys").fetchone()[0] == 730
    assert sum(x[3] for x in rep) > 0
    assert t_import < 30 and t_report < 1
    assert isinstance(c, sqlite3.Connection)
