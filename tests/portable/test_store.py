# The two-slot state file: portable (CPython, MicroPython unix and WebAssembly ports).
import os

from trainctl import route_data as R
from trainctl import store
from trainctl.counter import Tally
from trainctl.journey import Journey
from trainctl.store import SIZE, StateFile


def _path(name):
    p = "/tmp/store_portable_" + name + ".bin"
    try:  # noqa: SIM105 (no contextlib on MicroPython)
        os.remove(p)
    except OSError:
        pass
    return p


def _journey(direction=0, leg=0, at_stop=-1, next_idx=3, country=0, last_s=217589160):
    j = Journey(R)
    j.direction = direction
    j.leg = leg
    j.at_stop = at_stop
    j.next_idx = next_idx
    j.country = country
    j.f.anchor_s = last_s
    j.f.last_s = last_s
    j.f.anchor_lat = 40123456
    j.f.anchor_lon = 124398765
    j.along_m = 1000
    j.far_m = 1000
    return j


def _state(j):
    f = j.f
    return (j.direction, j.leg, j.next_idx, j.at_stop, j.country, j.arrived_s, j.override, f.anchor_s,
            f.anchor_lat, f.anchor_lon, j.along_m, j.far_m, f.last_s)


def _load(path, tally=None):
    j = Journey(R)
    ok = StateFile(path, tally).load(j)
    return ok, j


def _corrupt(path, slot, fill=None):
    with open(path, "r+b") as f:
        f.seek(slot * SIZE + 5)
        f.write(bytes([0xA5 if fill is None else fill]) * 7)


def test_round_trip_and_file_size():
    p = _path("rt")
    st = StateFile(p)
    j = _journey(leg=1, at_stop=4)
    st.save(j)
    st.close()
    assert os.stat(p)[6] == 2 * SIZE <= 128  # inline in littlefs's metadata (cache 4 x 32 bytes on MicroPython)
    ok, k = _load(p)
    assert ok and _state(k) == _state(j) and not k.changed


def test_no_file_empty_file_and_other_version_give_a_fresh_state():
    p = _path("none")
    ok, k = _load(p)
    assert not ok and k.direction == -1 and k.changed
    with open(p, "wb") as f:
        f.write(bytes(2 * SIZE))
    assert not _load(p)[0]
    st = StateFile(p)
    st.save(_journey())
    st.close()
    with open(p, "r+b") as f:  # version field of both slots set to 1 (the layout before counts)
        for s in range(2):
            f.seek(s * SIZE + 2)
            f.write(b"\x01\x00")
    assert not _load(p)[0]


def test_a_damaged_newest_slot_brings_back_the_one_before():
    p = _path("older")
    st = StateFile(p)
    st.save(_journey(leg=1, at_stop=-1, next_idx=5))
    st.save(_journey(leg=1, at_stop=5, next_idx=6))
    newest = 1 - st.slot
    st.close()
    _corrupt(p, newest)
    ok, k = _load(p)
    assert ok and k.at_stop == -1 and k.next_idx == 5


def test_a_number_change_is_written_to_both_slots():
    p = _path("both")
    st = StateFile(p)
    st.save(_journey(leg=0, next_idx=5))
    n = st.writes
    st.save(_journey(leg=1, at_stop=5, next_idx=6))  # arrived at Dandong: K27 -> 95
    assert st.writes == n + 2
    st.save(_journey(leg=1, at_stop=-1, next_idx=6))  # left the stop: one slot
    assert st.writes == n + 3
    st.close()
    for slot in range(2):  # either slot damaged: the number is still 95's leg
        with open(p, "rb") as f:
            keep = f.read()
        _corrupt(p, slot, 0xFF)
        ok, k = _load(p)
        assert ok and k.leg == 1, slot
        with open(p, "wb") as f:
            f.write(keep)


def test_override_change_is_written_to_both_slots():
    p = _path("ovr")
    st = StateFile(p)
    j = _journey(leg=0)
    st.save(j)
    n = st.writes
    j.override = 1
    st.save(j)
    assert st.writes == n + 2


def test_truncated_file_keeps_the_first_slot_and_is_repaired_on_the_next_save():
    p = _path("trunc")
    st = StateFile(p)
    j = _journey(leg=2, at_stop=7)
    st.save(j)
    st.close()
    with open(p, "rb") as f:
        data = f.read()
    with open(p, "wb") as f:
        f.write(data[:SIZE + 9])
    ok, k = _load(p)
    assert ok and k.leg == 2 and k.at_stop == 7
    st2 = StateFile(p)
    st2.load(Journey(R))
    st2.save(_journey(leg=2, at_stop=-1))
    st2.close()
    assert os.stat(p)[6] == 2 * SIZE
    assert _load(p)[1].at_stop == -1


def test_sequence_wraps():
    p = _path("wrap")
    st = StateFile(p)
    st.seq = 0xFFFFFFFE
    st.save(_journey(next_idx=5))
    st.save(_journey(next_idx=6))  # the first save writes both slots: 0xFFFFFFFF, 0; then 1
    st.close()
    assert st.seq == 1
    assert _load(p)[1].next_idx == 6


def test_counts_saved_and_restored_with_the_journey():
    p = _path("counts")
    t = Tally(R.STATION_N)
    t.begin_stop(5)
    for _ in range(7):
        t.count(True, 0)
    t.count(False, 1)
    assert t.dirty
    st = StateFile(p, t)
    st.save(_journey(leg=1, at_stop=5))
    assert not t.dirty
    st.close()
    t2 = Tally(R.STATION_N)
    ok, k = _load(p, t2)
    assert ok and k.at_stop == 5
    assert (t2.onboard, t2.boardings[5], t2.alightings[5]) == (6, 7, 1)
    assert sum(t2.boardings) == 7 and t2.station == -1  # the stop itself begins again from the journey


def test_counts_of_a_record_without_a_stop_restore_the_live_count_only():
    p = _path("counts2")
    t = Tally(R.STATION_N)
    t.set_onboard(12)
    st = StateFile(p, t)
    st.save(_journey())
    st.close()
    t2 = Tally(R.STATION_N)
    assert _load(p, t2)[0] and t2.onboard == 12 and sum(t2.boardings) == 0


def test_crc_is_crc16_ccitt_false():
    data = bytearray(b"123456789")
    assert store.crc16(data, 9) == 0x29B1  # the catalogue's check value


def test_counts_beyond_int16_are_clamped_not_an_error():
    p = _path("clamp")
    t = Tally(R.STATION_N)
    t.begin_stop(2)
    t.boardings[2] = 40000
    t.set_onboard(70000)
    st = StateFile(p, t)
    st.save(_journey(at_stop=2))
    st.close()
    t2 = Tally(R.STATION_N)
    assert _load(p, t2)[0] and t2.onboard == 32767 and t2.boardings[2] == 32767
