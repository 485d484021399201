"""Journey log (firmware/trainctl/jlog.py) on CPython against a list model, add() under heap_lock on the
MicroPython unix port, and the host CLI (host_tools/board/jlog.py): csv, plot, pull, errors."""

import binascii
import csv
import io
import json
import os
import random
import re

from hyp import examples
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from mp.mp import REPO, run_unix
from PIL import Image
from trainctl import codes, jlog, route_data, store
from trainctl.jlog import SIZE, JourneyLog

from host_tools.board import jlog as tool
from host_tools.common import route_names

T0 = 217589160  # 2026-11-23T09:26:00Z


def test_crc_matches_binascii_and_the_state_file():
    rnd = random.Random(1)
    for _ in range(200):
        b = bytes(rnd.randrange(256) for _ in range(14))
        assert jlog.crc16(b, 14) == binascii.crc_hqx(b, 0xFFFF) == store.crc16(b, 14)


def test_blank_records_never_pass_the_crc(tmp_path):
    for fill in (b"\x00", b"\xff"):
        p = tmp_path / ("blank%d.bin" % fill[0])
        p.write_bytes(fill * (64 * SIZE))
        j = JourneyLog(str(p), 64)
        assert j.load() == 0 and j.slot == 0
        j.close()
        assert j.bad == (0 if fill == b"\x00" else 64)


@hsettings(max_examples=examples(60))
@given(n=st.integers(2, 40), adds=st.lists(st.integers(0, 30), min_size=1, max_size=6),
       seed=st.integers(0, 2**32 - 1), damage=st.integers(0, 6))
def test_ring_against_a_slot_model(tmp_path_factory, n, adds, seed, damage):
    """Boots in a row (load, some adds, close), with random bytes of random records damaged or the file
    cut short between boots; records() is always the model's surviving records, oldest first."""
    rnd = random.Random(seed)
    p = str(tmp_path_factory.mktemp("ring") / "jlog.bin")
    model = []  # (slot, (seq, utc, kind, index, station, a, b)), oldest first
    for boot, k in enumerate(adds):
        j = JourneyLog(p, n)
        assert j.load() == len(model)
        assert (j.seq, j.slot) == ((model[-1][1][0], (model[-1][0] + 1) % n) if model else (0, 0))
        for _ in range(k):
            seq = (model[-1][1][0] if model else 0) + 1
            r = (seq, T0 + seq * 7, rnd.choice((1, 2, 3, 16, 18, 64)), rnd.randrange(6), rnd.randrange(-1, 17),
                 rnd.randrange(65536), rnd.randrange(65536))
            slot = j.slot
            assert j.add(r[1], *r[2:])
            model = [m for m in model if m[0] != slot] + [(slot, r)]
        j.close()
        assert j.records() == [r for _, r in model]
        with open(p, "rb") as f:
            data = bytearray(f.read())
        for _ in range(damage if boot % 2 else 0):  # a torn/corrupt record: one byte garbled
            if not model:
                break
            slot, _ = model.pop(rnd.randrange(len(model)))
            data[slot * SIZE + rnd.randrange(SIZE)] ^= rnd.randrange(1, 256)
        if boot % 3 == 2:  # power cut while the file was being extended: cut anywhere
            cut = rnd.randrange(n * SIZE)
            data = data[:cut]
            model = [m for m in model if m[0] * SIZE + SIZE <= cut]
        with open(p, "wb") as f:
            f.write(data)
        assert JourneyLog(p, n).records() == [r for _, r in model]




def test_add_allocates_nothing_under_heap_lock(tmp_path):
    script = REPO / "tests" / "mp" / "jlog_alloc.py"
    p = run_unix(str(script), str(tmp_path / "jlog.bin"), heap="64k", paths=(REPO / "firmware",))
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(p.stdout.splitlines()[-1])
    assert r == {"locked": 300, "memory_error": False, "bytes_unlocked": 0, "seq": 700, "writes": 700,
                 "last_utc": 3299}, r


def journey_log(path, seed=5):
    """A Beijing -> Pyongyang run as the firmware would log it: boot, 4 door openings and one
    K_STATION record per stop, a clamp. Returns {station: (boardings, alightings)}."""
    rnd = random.Random(seed)
    j = JourneyLog(str(path))
    j.add(T0 - 60, codes.K_BOOT, 0, -1, 1)
    t, onboard, truth = T0, 0, {}
    calls = [s for s in range(route_data.STATION_N) if route_data.ST_CALLS[s] & 1]
    for s in calls:
        t += 4000
        off = onboard if s == calls[-1] else rnd.randint(0, onboard)
        on = 0 if s == calls[-1] else rnd.randint(1, 40)
        for d in range(4):
            j.add(t + d, codes.EV_DOOR_OPEN, d, s)
            j.add(t + 90 + d, codes.EV_DOOR_CLOSED, d, s)
        j.add(t + 120, codes.K_STATION, s, s, on, off)
        onboard += on - off
        truth[s] = (on, off)
    j.add(t + 300, codes.EV_CLAMP, 1, calls[-1])
    j.close()
    return truth


def test_csv_cli_decodes_names_and_times(tmp_path):
    truth = journey_log(tmp_path / "jlog.bin")
    out = tmp_path / "out.csv"
    assert tool.main(["csv", str(tmp_path / "jlog.bin"), "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["seq", "utc", "kind", "index", "station", "a", "b", "detail"]
    assert len(rows) == 2 + 9 * len(truth)
    assert rows[0]["kind"] == "boot" and rows[0]["utc"] == "2026-11-23T09:25:00Z" and rows[0]["station"] == ""
    assert [int(r["seq"]) for r in rows] == list(range(1, len(rows) + 1))
    assert rows[1]["kind"] == "door_open" and rows[1]["index"] == "door_A_left" and rows[1]["station"] == "Beijing"
    st_rows = [r for r in rows if r["kind"] == "station"]
    assert {r["index"]: (int(r["a"]), int(r["b"])) for r in st_rows} == \
        {route_names.names(route_data).ST_EN[s]: v for s, v in truth.items()}
    assert rows[-1]["kind"] == "clamp" and rows[-1]["index"] == "B" and rows[-1]["station"] == "Pyongyang"


def test_plot_cli_draws_a_chart(tmp_path):
    journey_log(tmp_path / "jlog.bin")
    png = tmp_path / "boardings.png"
    assert tool.main(["plot", str(tmp_path / "jlog.bin"), "-o", str(png)]) == 0
    img = Image.open(png)
    assert img.size == (1280, 640)
    colours = img.convert("RGB").getcolors(1 << 20)
    assert len(colours) > 3
    rgb = {c for _, c in colours}
    assert tool.BOARD_RGB in rgb and tool.ALIGHT_RGB in rgb


def test_per_station_sums_in_route_order(tmp_path):
    truth = journey_log(tmp_path / "jlog.bin")
    data = tool.per_station(tool.read_log(str(tmp_path / "jlog.bin")))
    assert [d[0] for d in data] == list(route_names.names(route_data).ST_EN)
    assert {i: d[1:] for i, d in enumerate(data) if i in truth} == truth
    assert all(d[1:] == (0, 0) for i, d in enumerate(data) if i not in truth)


def test_errors_are_one_line_and_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty.bin"
    JourneyLog(str(empty), 16).load()
    cases = (["csv", str(tmp_path / "missing.bin")], ["plot", str(empty), "-o", str(tmp_path / "x.png")],
             ["pull", "--port", "/dev/nonexistent-jlog-port", "-o", str(tmp_path / "p.bin")])
    for argv in cases:
        assert tool.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("jlog: ") and err.count("\n") == 1, err


def test_pull_copies_the_log_off_a_board_with_mpremote(tmp_path):
    """Against the virtual board on a pseudo-terminal (host_tools.vboard.ptyboard), as from a real board."""
    import subprocess
    import sys

    from mp.mp import REPO

    from host_tools.vboard.ptyboard import PtyBoard

    flash = tmp_path / "flash"
    flash.mkdir()
    from trainctl.jlog import JourneyLog

    log = JourneyLog(str(flash / "jlog.bin"), records=64)
    log.load()
    for k in range(70):  # wraps: the newest 64 stay
        log.add(217589160 + k, 1, k % 4, 0, k, 0)
    log.close()
    out = tmp_path / "pulled.bin"
    with PtyBoard(flash, heap="180k") as board:
        p = subprocess.run([sys.executable, "-m", "host_tools.board.jlog", "pull", "--port", board.port,
                            "-o", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == (flash / "jlog.bin").read_bytes()


def test_pull_without_a_name_names_the_copy_after_the_coach(tmp_path, monkeypatch):
    """`jlog pull` with no -o: build/jlog-<coach>-<UTC time>.bin, the coach from the log's own record."""
    from host_tools.vboard.ptyboard import PtyBoard

    flash = tmp_path / "flash"
    flash.mkdir()
    log = JourneyLog(str(flash / "jlog.bin"), records=64)
    log.load()
    log.add(-1, codes.K_BOOT, 0, -1, 1)
    log.add(-1, codes.K_COACH, ord("C"), ord("0"), ord("9"), 0)  # "C09"
    log.add(T0, codes.K_CLOCK, 0, -1, 30, 0)
    log.close()
    monkeypatch.setattr(tool, "PULL_DIR", str(tmp_path / "build"))
    with PtyBoard(flash, heap="180k") as board:
        out, n = tool.pull(board.port, None, 20, log=lambda *a: None)
    assert n == 3 and os.path.dirname(out) == str(tmp_path / "build")
    assert re.fullmatch(r"jlog-C09-\d{8}T\d{6}Z\.bin", os.path.basename(out)), out
    with open(out, "rb") as f:
        assert f.read() == (flash / "jlog.bin").read_bytes()
