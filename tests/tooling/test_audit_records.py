"""Issue 17 item 3: the audit trail written by the firmware's own Coach and trainctl.service, read back through
the host tools: `jlog csv` (the detail column, boots dated by their clock record), the pulled file's name, and
the fleet store (the coach from the log itself, events' detail, journeys' resets, GPS outages, overrides)."""

import csv
import io
import os

from portable import nmeagen
from trainctl import clock, codes, service
from trainctl import route_data as R
from trainctl.coach import Coach
from trainctl.jlog import JourneyLog

from host_tools.board import fleet
from host_tools.board import jlog as tool

DANDONG = 9
T0 = clock.epoch_seconds(2026, 11, 23, 9, 0, 0)
LAT, LON = R.ST_LAT_UDEG[DANDONG], R.ST_LON_UDEG[DANDONG]


class _Hw:
    def __init__(self, d, coach):
        self.jlog_path = str(d / "jlog.bin")
        self.config_path = str(d / "config.json")
        self.reset_cause = 3  # a watchdog reset
        self.state_path = str(d / "state.bin")
        (d / "config.json").write_text('{"coach": "%s"}' % coach)


def _day(d, coach="C-07"):
    """A boot, 5 s to the first fix, a 25 s GPS outage, a clock step, the crew's 95 set and cleared by the
    service (after a reset), then stops at Dandong and Sinuiju: the records, oldest first."""
    hw = _Hw(d, coach)
    c = Coach(R, hw)
    for _ in range(5):
        c.step(1000)
    for k in range(3):
        c.feed(nmeagen.rmc(T0 + k, LAT, LON))
        c.step(1000)
    for _ in range(25):
        c.step(1000)
    c.feed(nmeagen.rmc(T0 + 28, LAT, LON))
    c.step(1000)
    c.feed(nmeagen.rmc(T0 + 29 + 3600, LAT, LON))  # the receiver's clock jumps an hour
    c.step(1000)
    c.jlog.close()
    c.store.close()
    state = hw.state_path
    service.override("95", state, None, hw.jlog_path)
    service.clear(state, None, hw.jlog_path)
    jl = JourneyLog(hw.jlog_path)
    jl.load()
    jl.add(T0 + 3000, codes.K_STATION, DANDONG, -1, 5, 2)
    jl.add(T0 + 8000, codes.K_STATION, DANDONG + 1, -1, 1, 3)
    jl.close()
    return JourneyLog(hw.jlog_path).records()


def test_csv_words_every_audit_record_and_dates_the_boot(tmp_path):
    recs = _day(tmp_path)
    out = tmp_path / "out.csv"
    assert tool.main(["csv", str(tmp_path / "jlog.bin"), "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    by = [(r["kind"], r["detail"]) for r in rows]
    assert by[:3] == [("boot", "reset cause 3"), ("coach", "coach C-07"), ("clock", "time known 6 s after boot")]
    boot_at = clock.iso_utc(T0 - 6)
    assert rows[0]["utc"] == rows[1]["utc"] == boot_at  # written before the time was known: dated by the clock
    assert ("gps", "GPS lost (last fix)") in by and ("gps", "GPS regained after 26 s") in by
    assert ("clock", "GPS clock stepped +3600 s") in by
    assert ("override", "crew override 95 set (was -)") in by and ("override", "crew override 95 cleared") in by
    assert [r["kind"] for r in rows].count("station") == 2
    assert len(rows) == len(recs)


def test_a_boot_never_dated_has_no_time(tmp_path):
    jl = JourneyLog(str(tmp_path / "j.bin"), 16)
    jl.load()
    jl.add(-1, codes.K_BOOT, 0, -1, 1)
    jl.add(T0, codes.K_STATION, 3, -1, 1, 1)  # a stop without a clock record: the next boot comes first
    jl.add(-1, codes.K_BOOT, 0, -1, 1)
    jl.close()
    rows = list(tool.rows(JourneyLog(str(tmp_path / "j.bin"), 16).records()))
    assert [r[1] for r in rows] == ["", clock.iso_utc(T0), ""]


def test_pulled_file_is_named_after_the_coach_in_the_log(tmp_path, monkeypatch):
    recs = _day(tmp_path, "C_02")
    monkeypatch.setattr(tool, "PULL_DIR", str(tmp_path / "build"))
    name = tool.pull_name(recs, now=1796000000)  # 2026-11-30T00:53:20Z
    assert os.path.basename(name) == "jlog-C_02-20261130T005320Z.bin", name
    assert os.path.basename(tool.pull_name([], now=1796000000)) == "jlog-unknown-20261130T005320Z.bin"
    assert fleet.NAME_RE.search("jlog-C-01-20261130T005320Z.bin").group(1) == "C-01"


def test_fleet_takes_the_coach_from_the_log_and_reports_the_audit_trail(tmp_path):
    d1 = tmp_path / "a"
    d1.mkdir()
    _day(d1, "C-07")
    f = tmp_path / "pulled-by-hand.bin"  # no coach in the name: the log says it
    f.write_bytes((d1 / "jlog.bin").read_bytes())
    db = fleet.connect(str(tmp_path / "f.db"))
    said = []
    assert fleet.import_files(db, [str(f)], log=said.append)[0] == 1
    assert "coaches C-07" in said[-1]
    g = tmp_path / "jlog-C01-20261123T120000Z.bin"  # a name that disagrees: the log wins, and it is said
    data = bytearray(f.read_bytes())
    g.write_bytes(bytes(data))
    assert fleet.coach_of(str(g), None, bytes(data), said.append) == "C-07" and "file name says C01" in said[-1]

    class A:
        coach = "C-07"
        start = end = journey = None
        kind = None

    ev = list(fleet.event_rows(db, A))
    texts = [e[-1] for e in ev]
    assert "coach C-07; dated by the boot's clock record" in texts and "GPS regained after 26 s" in texts
    boot = [e for e in ev if e[3] == "boot"][0]
    assert boot[2] == clock.iso_utc(T0 - 6) and boot[8] != ""  # dated, and in the journey around it
    (j,) = fleet.journey_report(db, A)
    # journey, coach, first, last, direction, stops, on, off, alarms, faults, resets, outages, outage s, overrides
    assert j[5:] == (2, 6, 5, 0, 0, 1, 1, 26, 1), j
