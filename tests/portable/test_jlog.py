# Journey log ring on a file: portable (CPython, MicroPython unix and WebAssembly ports; the WASM port's
# in-memory FS has /tmp).
import os

from trainctl import codes
from trainctl.jlog import SIZE, JourneyLog

T0 = 217589160  # 2026-11-23T09:26:00Z


def _path(name):
    p = "/tmp/jlog_portable_" + name + ".bin"
    try:  # noqa: SIM105 (no contextlib on MicroPython)
        os.remove(p)
    except OSError:
        pass
    return p


def _fill(path, n, adds, start=0):
    j = JourneyLog(path, n)
    j.load()
    for i in range(start, start + adds):
        if not j.add(T0 + i, codes.K_STATION, i % 17, i % 17, i, 2 * i):
            raise AssertionError("add failed")
    j.close()
    return j


def _flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x5A]))


def test_fresh_file_is_preallocated_and_empty():
    p = _path("fresh")
    j = JourneyLog(p, 32)
    assert j.load() == 0 and j.slot == 0 and j.seq == 0
    j.close()
    assert os.stat(p)[6] == 32 * SIZE
    assert j.records() == []


def test_wraps_and_keeps_the_newest_records():
    p = _path("wrap")
    _fill(p, 16, 40)
    r = JourneyLog(p, 16).records()
    assert [x[0] for x in r] == list(range(25, 41))
    assert [x[1] for x in r] == [T0 + i for i in range(24, 40)]
    assert r[-1] == (40, T0 + 39, codes.K_STATION, 39 % 17, 39 % 17, 39, 78)
    assert os.stat(p)[6] == 16 * SIZE  # never grows


def test_resume_after_reload_continues_the_sequence():
    p = _path("resume")
    _fill(p, 16, 21)
    j = JourneyLog(p, 16)
    assert j.load() == 16 and j.seq == 21 and j.slot == 21 % 16
    j.add(T0 + 100, codes.K_BOOT, 0, -1, 3)
    j.close()
    r = j.records()
    assert r[-1][:3] == (22, T0 + 100, codes.K_BOOT) and r[-1][5] == 3
    assert [x[0] for x in r] == list(range(7, 23))


def test_a_torn_record_is_skipped_and_overwritten():
    p = _path("torn")
    _fill(p, 16, 10)
    _flip(p, 9 * SIZE + 5)  # the newest record (seq 10) torn mid-write
    _flip(p, 3 * SIZE + 15)  # an older one: CRC byte
    j = JourneyLog(p, 16)
    assert j.load() == 8 and j.bad == 2 and j.seq == 9 and j.slot == 9
    j.add(T0 + 50, codes.K_STATION, 4, 4, 1, 1)  # goes where the torn one was
    j.close()
    r = j.records()
    assert [x[0] for x in r] == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    assert r[-1][1] == T0 + 50


def test_truncated_file_is_padded_and_reused():
    p = _path("trunc")
    _fill(p, 16, 5)
    with open(p, "rb") as f:
        data = f.read(4 * SIZE + 7)
    with open(p, "wb") as f:
        f.write(data)
    j = JourneyLog(p, 16)
    assert j.load() == 4 and j.seq == 4 and j.slot == 4
    assert os.stat(p)[6] == 16 * SIZE
    j.add(T0, codes.K_BOOT, 0)
    j.close()
    assert [x[0] for x in j.records()] == [1, 2, 3, 4, 5]


def test_sequence_wraps_modulo_2_24():
    p = _path("seqwrap")
    j = JourneyLog(p, 8)
    j.load()
    j.seq = 0xFFFFFF - 2
    for i in range(6):
        j.add(T0 + i, codes.K_STATION, 0)
    j.close()
    k = JourneyLog(p, 8)
    assert k.load() == 6 and k.seq == 3 and k.slot == 6
    assert [x[0] for x in k.records()] == [0xFFFFFE, 0xFFFFFF, 0, 1, 2, 3]


def test_values_are_masked_and_signed_fields_round_trip():
    p = _path("fields")
    j = JourneyLog(p, 4)
    j.add(-5, 255, 255, -1, 70000, -1)  # add() loads on first use
    j.close()
    assert j.records() == [(1, -5, 255, 255, -1, 70000 & 0xFFFF, 0xFFFF)]


def test_refuses_silly_sizes():
    for n in (0, 1, 65536):
        try:
            JourneyLog("/tmp/x", n)
        except ValueError:
            continue
        raise AssertionError(n)
