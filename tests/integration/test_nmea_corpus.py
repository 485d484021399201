"""The NMEA parser on gpsd's real-receiver logs (../shared/nmea-corpus/gpsd, BSD-2-Clause, COPYING.gpsd there),
every fix compared with gpsd's TPV records and with pynmea2's decoding of the receiver's sentences.

- gpsd: for each second gpsd reports a fix (TPV, mode >= 2, with time and position) right after a standard-valid
  sentence (RMC status A, GGA quality > 0, GLL status A, GNS with a positioning mode; with a time, as pynmea2
  decodes it), ours must report that second (gpsd's date GPS week-rollover corrected with the firmware's pivot)
  with the same position within 1e-6 degree; at least 98 % of them; any disagreement must fall in a class below.
- pynmea2: every fix we report must be what pynmea2 decodes from a standard-valid sentence of the stream with the
  same time of day (and, for RMC, the same rollover-corrected date): no wrong value.

The logs are read in place (not copied): the corpus is shared by the project's checkouts, one directory up.
"""

import datetime
import functools
import json
import math
from collections import Counter
from pathlib import Path

import pynmea2
import pytest
from trainctl import clock, nmea
from trainctl.build_data import PIVOT_DAY

from host_tools.common.paths import ROOT

CORPUS = Path(ROOT).parent / "shared" / "nmea-corpus" / "gpsd"
LOGS = sorted(CORPUS.glob("*.log"))
TOL_DEG = 1e-6
ROLLOVER_DAYS = 1024 * 7

# Classes of disagreement with gpsd, each explained (the test lists them with an example):
# - "second disagrees": the receiver sent sentences of one second with different positions (a chart plotter's
#   RMC from another source than its GGA and GLL); gpsd reports the one it read last, we the RMC (or the first
#   position sentence): ours is pynmea2's decoding of one of that second's sentences.
EXPLAINED_WRONG = {"second disagrees"}
# - "not standard": no standard-valid position sentence of the stream has that second's time (gpsd accepts
#   sentences without or with a bad checksum, over 120 characters, or dates its fix from another sentence);
#   these are not counted in the target.


def rolled_day(y, m, d):
    z = clock.days_from_civil(y, m, d) - clock.EPOCH_DAYS
    while z < PIVOT_DAY:  # GPS week rollover, the rule the issue states (gpsd's)
        z += ROLLOVER_DAYS
    return z


def gpsd_time(t):
    """gpsd's ISO time -> (seconds since 2020 after rollover correction, milliseconds)."""
    d = datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")
    ms = round(float("0" + t[19:-1]) * 1000) if len(t) > 20 else 0
    return rolled_day(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 + d.second, ms


def standard(line):
    """pynmea2's decoding of a standard-valid position sentence: (tod_ms, lat, lon, date or None), else None."""
    try:
        text = line.decode("ascii")
        m = pynmea2.parse(text, check=True)
    except (UnicodeDecodeError, pynmea2.ParseError, ValueError, AttributeError, TypeError):
        return None
    if "*" not in text or len(text) > 121:
        return None  # a sentence without checksum, or longer than our MAX_LINE (120 from '$' to the checksum)
    kind = getattr(m, "sentence_type", None)  # proprietary sentences have none
    try:
        if kind == "RMC":
            ok = m.status == "A" and (len(m.data) < 12 or not m.data[11] or m.data[11][0] in "ADFRP")
        elif kind == "GGA":
            ok = m.gps_qual is not None and m.gps_qual > 0 and m.gps_qual != 6
        elif kind == "GLL":
            ok = m.status == "A" and (len(m.data) < 7 or not m.data[6] or m.data[6][0] in "ADFRP")
        elif kind == "GNS":
            ok = any(c in "ADFRP" for c in (m.mode_indicator or ""))
        else:
            return None
        if not ok or m.timestamp is None or not m.lat or not m.lon:
            return None
        ts = m.timestamp
        tod = ((ts.hour * 60 + ts.minute) * 60 + ts.second) * 1000 + ts.microsecond // 1000
        date = None
        if kind == "RMC" and m.datestamp is not None:
            date = rolled_day(m.datestamp.year, m.datestamp.month, m.datestamp.day)
        return tod, m.latitude, m.longitude, date
    except (ValueError, TypeError, AttributeError, IndexError):
        return None


def near(a_udeg, b_deg):
    return abs(a_udeg / 1e6 - b_deg) <= TOL_DEG + 1e-9


def ours(data):
    """Every valid fix the firmware's parser reports: {(utc_s, utc_ms): (lat_udeg, lon_udeg)}, and its stats."""
    fixes = {}
    p = nmea.Parser(lambda f: f.valid and fixes.setdefault((f.utc_s, f.utc_ms), (f.lat_udeg, f.lon_udeg)))
    for i in range(0, len(data), 64):
        p.feed(data[i : i + 64])
    p.flush()
    return fixes, p


def gpsd_fixes(chk):
    """{time: [(lat, lon), ...]} of gpsd's TPV records with a fix (gpsd prints one after each sentence that
    changes it: several per second, each with the position of the sentence it read last)."""
    out = {}
    for line in chk.read_bytes().splitlines():
        if line.startswith(b"{"):
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("class") == "TPV" and j.get("mode", 0) >= 2 and "time" in j and "lat" in j:
                out.setdefault(j["time"], []).append((j["lat"], j["lon"]))
    return out


def compare(log):
    data = log.read_bytes()
    fixes, parser = ours(data)
    decoded = {}  # tod_ms -> [(lat, lon, date)] of the stream's standard-valid sentences
    for line in data.splitlines():
        j = line.rfind(b"$")
        d = standard(line[j:].strip()) if j >= 0 else None
        if d is not None:
            decoded.setdefault(d[0], []).append(d[1:])
    r = {"gpsd": 0, "std": 0, "hit": 0, "classes": Counter(), "examples": {}, "fixes": len(fixes),
         "stats": parser.stats}

    def note(cls, example):
        r["classes"][cls] += 1
        r["examples"].setdefault(cls, "%s: %s" % (log.name, example))

    for t, tpvs in gpsd_fixes(Path(str(log) + ".chk")).items():
        r["gpsd"] += 1
        key = gpsd_time(t)
        same = decoded.get(key[0] % 86400 * 1000 + key[1], ())  # the stream's standard sentences of that second
        if not same:
            note("not standard", "%s %s" % (t, tpvs[0]))
            continue
        r["std"] += 1
        if key not in fixes:
            note("missing", "%s %s" % (t, tpvs[0]))
            continue
        a, b = fixes[key]
        if any(near(a, lat) and near(b, lon) for lat, lon in tpvs):
            r["hit"] += 1
        elif any(near(a, la) and near(b, lo) for la, lo, _ in same):
            note("second disagrees", "%s gpsd %.9f,%.9f ours %d,%d" % (t, tpvs[0][0], tpvs[0][1], a, b))
        else:
            note("wrong", "%s gpsd %.9f,%.9f ours %d,%d" % (t, tpvs[0][0], tpvs[0][1], a, b))
    for (s, ms), (a, b) in fixes.items():
        cands = decoded.get(s % 86400 * 1000 + ms, ())
        if not any(near(a, la) and near(b, lo) and (dt is None or dt == s // 86400) for la, lo, dt in cands):
            note("not pynmea2's", "%s %d,%d" % (clock.iso_utc(s, ms), a, b))
    return r


@pytest.fixture(scope="module")
def results():
    assert LOGS, "no gpsd corpus at %s (the project's shared data, one directory above the checkout)" % CORPUS
    return {log.name: compare(log) for log in LOGS}


def test_the_corpus_is_there():
    assert len(LOGS) == 122 and (CORPUS / "COPYING.gpsd").is_file()
    assert all(Path(str(log) + ".chk").is_file() for log in LOGS)


def test_every_fix_gpsd_reports_is_ours_or_explained(results):
    total = Counter()
    examples = {}
    for r in results.values():
        total.update(r["classes"])
        for k, v in r["examples"].items():
            examples.setdefault(k, v)
    std = sum(r["std"] for r in results.values())
    hit = sum(r["hit"] for r in results.values())
    report = "\n".join("%s: %d, e.g. %s" % (k, n, examples[k]) for k, n in sorted(total.items()))
    print("gpsd fixes %d, from standard-valid sentences %d, ours the same %d (%.2f %%)\n%s" % (
        sum(r["gpsd"] for r in results.values()), std, hit, 100 * hit / std, report))
    unexplained = {k: n for k, n in total.items() if k not in EXPLAINED_WRONG and k != "not standard"}
    assert unexplained == {}, report
    # Yielded with a position of that second: the target, 98 %. Yielded with exactly one of gpsd's positions of
    # that second: 97.4 % when measured (all of the rest are one chart plotter's seconds whose RMC carries
    # another source's position than its GGA and GLL, bundg_zeus_9.log): at least 97 %.
    assert hit + total["second disagrees"] >= math.ceil(0.98 * std), report
    assert hit >= math.ceil(0.97 * std), report


def _keep(out, f):
    out.append((f.utc_s, f.utc_ms, f.valid, f.lat_udeg, f.lon_udeg, f.speed_cms, f.course_cdeg, f.talker))


def test_no_crash_and_the_chunking_changes_nothing(results):
    """The parser gives the same fixes and counters on every log fed in 4 KiB pieces (as the replay CLI feeds
    it), whole, and in the 64-byte pieces of the results."""
    for log in LOGS:
        data = log.read_bytes()
        got = []
        fp = nmea.Parser(functools.partial(_keep, got))
        for i in range(0, len(data), 4096):
            fp.feed(data[i : i + 4096])
        fp.flush()
        want = []
        p = nmea.Parser(functools.partial(_keep, want))
        p.feed(data)
        p.flush()
        assert got == want and fp.stats.as_dict() == p.stats.as_dict(), log.name
        assert fp.stats.as_dict() == results[log.name]["stats"].as_dict(), log.name


def test_counters_on_real_receivers(results):
    """The week-rollover receivers are corrected, comment headers are not garbage, no-fix sentences no bad field."""
    st = {name: r["stats"] for name, r in results.items()}
    assert st["neo-m8n.log"].rollover > 0 and results["neo-m8n.log"]["hit"] == results["neo-m8n.log"]["std"]
    assert all(s.comments > 0 for s in st.values())
    # every log is dated before the pivot (2001-2026): each with a fix went through the correction
    assert all(st[name].rollover > 0 for name, r in results.items() if r["fixes"]), [
        name for name, r in results.items() if r["fixes"] and not st[name].rollover]
    assert sum(s.bad_field for s in st.values()) < sum(s.no_fix for s in st.values()) / 10
    ericsson = results["ericsson-gru04-02-70sec.log"]
    assert ericsson["std"] > 60 and ericsson["hit"] == ericsson["std"]  # GNS + GLL + ZDA, no RMC


def _cpython_summary():
    import subprocess
    import sys

    from mp import mp

    env = {"PYTHONPATH": "%s:%s" % (mp.REPO / "firmware", mp.REPO / "host_tools" / "hostlib")}
    return subprocess.run([sys.executable, mp.REPO / "tests" / "mp" / "corpus_mp.py", *LOGS], capture_output=True,
                          text=True, check=True, env=env).stdout


@pytest.mark.parametrize("port", ["unix", "wasm-1.27"])
def test_the_same_on_micropython(port):
    """Every log through the firmware's parser on MicroPython (the unix port, and the oldest port the tests run:
    the WebAssembly port 1.27): no exception, the same fixes and counters as on CPython."""
    from mp import mp

    want = _cpython_summary()
    assert len(want.splitlines()) == len(LOGS)
    if port == "unix":
        proc = mp.run_unix(mp.REPO / "tests" / "mp" / "corpus_mp.py", *LOGS)
    else:
        run = functools.partial(mp.run_wasm, pkg="micropython-webassembly-1.27",
                                paths=(mp.REPO / "firmware", CORPUS))
        proc = run(mp.REPO / "tests" / "mp" / "corpus_mp.py", *LOGS)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout == want


RECEIVERS_DOC = Path(ROOT) / "docs" / "receivers.md"  # the README links it
TABLE_START = "<!-- receivers table: tests/integration/test_nmea_corpus.py writes it (UPDATE_DOCS=1) -->"
TABLE_END = "<!-- end of receivers table -->"


def receivers_table(results):
    """docs/receivers.md's table of the receivers covered: one row per log with a fix, from the corpus's own table."""
    names = {}
    for row in (CORPUS / "README.md").read_text().splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].endswith(".log"):
            names[cells[0]] = (cells[1].replace("|", "/") or "(not named)", cells[2])
    rows = ["| log | receiver (log header) | talkers | gpsd's fixes | ours: same second and position | ours: "
            "another sentence of that second |", "|---|---|---|---:|---:|---:|"]
    quiet = []
    for name, r in sorted(results.items(), key=lambda kv: kv[0].lower()):
        if r["gpsd"] == 0 and r["fixes"] == 0:
            quiet.append(name)
            continue
        recv, talkers = names.get(name, ("?", "?"))
        rows.append("| %s | %s | %s | %d | %d | %d |" % (
            name, recv, talkers, r["gpsd"], r["hit"], r["classes"]["second disagrees"]))
    rows += ["", "Logs with no fix from gpsd or us (AIS, marine instruments, receivers that never got a fix): %d: %s."
             % (len(quiet), ", ".join(quiet))]
    return "\n".join(rows)


def test_docs_list_the_receivers(results):
    """docs/receivers.md (linked from the README) holds the table the corpus run makes; UPDATE_DOCS=1 rewrites it."""
    import os

    text = RECEIVERS_DOC.read_text()
    a = text.index(TABLE_START) + len(TABLE_START)
    b = text.index(TABLE_END)
    want = "\n" + receivers_table(results) + "\n"
    if os.environ.get("UPDATE_DOCS"):
        RECEIVERS_DOC.write_text(text[:a] + want + text[b:])
        text = RECEIVERS_DOC.read_text()
        a = text.index(TABLE_START) + len(TABLE_START)
        b = text.index(TABLE_END)
    assert text[a:b] == want, ("docs/receivers.md's receivers table is stale: "
                               "UPDATE_DOCS=1 pytest tests/integration/test_nmea_corpus.py")
