# Crew service on the state file: portable (CPython, MicroPython unix and WebAssembly ports).
import os

from trainctl import route_data as R
from trainctl import service
from trainctl.counter import Tally
from trainctl.journey import Journey
from trainctl.store import SIZE, StateFile

DANDONG = 9
SINUIJU = 10


def _path(name):
    p = "/tmp/service_portable_" + name + ".bin"
    try:  # noqa: SIM105 (no contextlib on MicroPython)
        os.remove(p)
    except OSError:
        pass
    return p


def _read(p):
    with open(p, "rb") as f:
        return f.read()


def _exists(p):
    try:
        os.stat(p)
    except OSError:
        return False
    return True


def _saved(p, onboard=37, boarded=5, alighted=3):
    """A state file as the firmware leaves it: K27 standing at Dandong, a stop in progress there."""
    j = Journey(R)
    j.direction = 0
    j.leg = 0
    j.at_stop = DANDONG
    j.next_idx = SINUIJU
    j.country = 0
    j.f.anchor_s = j.f.last_s = 217589160
    j.f.anchor_lat = 40123456
    j.f.anchor_lon = 124398765
    j.along_m = j.far_m = R.ST_ALONG_M[DANDONG]
    tl = Tally(R.STATION_N)
    tl.begin_stop(DANDONG)
    for _ in range(boarded):
        tl.count(True, 0)
    for _ in range(alighted):
        tl.count(False, 1)
    tl.onboard = onboard
    st = StateFile(p, tl)
    st.save(j)
    st.close()
    return j


def _load(p):
    """(loaded, Journey, Tally) as the firmware restores them at boot."""
    j = Journey(R)
    tl = Tally(R.STATION_N)
    ok = StateFile(p, tl).load(j)
    return ok, j, tl


def _journey_fields(j):
    return (j.direction, j.leg, j.next_idx, j.at_stop, j.country, j.arrived_s, j.f.anchor_s, j.f.anchor_lat,
            j.f.anchor_lon, j.along_m, j.far_m, j.f.last_s)


def _counts(tl):
    return tl.onboard, tl.boardings[DANDONG], tl.alightings[DANDONG], sum(tl.boardings), sum(tl.alightings)


def _raises(fn, *args):
    try:
        fn(*args)
    except ValueError as e:
        return str(e)
    raise AssertionError("no ValueError from %r" % (args,))


def test_show_saved_state():
    p = _path("show")
    _saved(p)
    line = service.show(p)
    assert line == "train=K27 to=Pyongyang leg=0 at=Dandong next=Sinuiju override=- onboard=37 state=saved", line
    assert service.show(p, R) == line


def test_show_missing_and_damaged_state_file():
    p = _path("missing")
    line = service.show(p)
    assert line == "train=- to=- leg=- at=- next=- override=- onboard=0 state=none", line
    assert not _exists(p)  # showing writes nothing
    with open(p, "wb") as f:
        f.write(b"\xa5" * (2 * SIZE))
    assert service.show(p).endswith(" state=none")
    assert _read(p) == b"\xa5" * (2 * SIZE)


def test_override_round_trip_keeps_the_journey_and_the_counts():
    p = _path("override")
    _saved(p)
    ok, before, tl0 = _load(p)
    assert ok and before.train() == "K27" and _counts(tl0) == (37, 5, 3, 5, 3)
    service.override("95", p)
    ok, after, tl = _load(p)
    assert ok
    assert after.override == 1 and after.train() == "95"  # direction 0 (to Pyongyang), leg 1
    assert _journey_fields(after) == _journey_fields(before)
    assert _counts(tl) == (37, 5, 3, 5, 3)
    assert service.show(p) == ("train=95 to=Pyongyang leg=1 at=Dandong next=Sinuiju override=95 onboard=37 "
                               "state=saved")
    # A change of the number is written to both slots: either one alone brings the override back.
    data = _read(p)
    for slot in range(2):
        with open(p, "wb") as f:
            f.write(data)
        with open(p, "r+b") as f:
            f.seek(slot * SIZE + 5)
            f.write(b"\x00\xff")
        ok, j, tl = _load(p)
        assert ok and j.train() == "95" and _counts(tl) == (37, 5, 3, 5, 3), slot


def test_override_of_the_other_direction_is_shown():
    p = _path("other_dir")
    _saved(p)
    service.override(85, p)  # an int, as typed at the REPL
    ok, j, _ = _load(p)
    assert j.train() == "85" and j.override == 1 * R.LEGS + 1 and j.direction == 0  # the journey itself is unchanged
    assert service.show(p).startswith("train=85 to=Beijing leg=1 at=Dandong next=- override=85 ")


def test_unknown_train_raises_and_leaves_the_file_unchanged():
    p = _path("unknown")
    _saved(p)
    data = _read(p)
    for bad in ("96", "k27", "", "K27 ", None, 52.0):
        msg = _raises(service.override, bad, p)
        assert "no train" in msg and "K27 95 52 51 85 K28" in msg, msg
    assert _read(p) == data
    q = _path("unknown_missing")
    _raises(service.override, "96", q)
    assert not _exists(q)


def test_override_without_a_saved_state_starts_a_fresh_one():
    p = _path("fresh")
    service.override("51", p)
    ok, j, tl = _load(p)
    assert ok and j.train() == "51" and j.override == 1 * R.LEGS + 0 and j.direction == 1 and j.leg == 0
    assert tl.onboard == 0
    assert service.show(p) == "train=51 to=Beijing leg=0 at=- next=- override=51 onboard=0 state=saved"


def test_clear_removes_the_override_and_keeps_the_counts():
    p = _path("clear")
    before = _saved(p)
    service.override("52", p)
    assert _load(p)[1].train() == "52"
    service.clear(p)
    ok, j, tl = _load(p)
    assert ok and j.override == -1 and j.train() == "K27"
    assert _journey_fields(j) == _journey_fields(before)
    assert _counts(tl) == (37, 5, 3, 5, 3)
    assert service.show(p).endswith(" override=- onboard=37 state=saved")
    service.clear(p)  # nothing to clear: still saved, same state
    assert _load(p)[1].train() == "K27"


def test_set_onboard_changes_only_the_live_count():
    p = _path("onboard")
    before = _saved(p)
    service.set_onboard(12, p)
    ok, j, tl = _load(p)
    assert ok and _journey_fields(j) == _journey_fields(before) and j.override == -1
    assert _counts(tl) == (12, 5, 3, 5, 3)
    service.set_onboard(0, p)
    assert _counts(_load(p)[2]) == (0, 5, 3, 5, 3)
    assert service.show(p).endswith(" onboard=0 state=saved")


def test_set_onboard_rejects_bad_numbers_and_leaves_the_file_unchanged():
    p = _path("onboard_bad")
    _saved(p)
    data = _read(p)
    for bad in (-1, service.MAX_ONBOARD + 1, True, "12", 12.0, None):
        assert "onboard" in _raises(service.set_onboard, bad, p)
    assert _read(p) == data
    service.set_onboard(service.MAX_ONBOARD, p)
    assert _load(p)[2].onboard == service.MAX_ONBOARD


def test_changes_survive_each_other():
    p = _path("sequence")
    _saved(p, onboard=3, boarded=0, alighted=0)  # no counts at the stop in progress
    service.set_onboard(20, p)
    service.override("95", p)
    service.set_onboard(21, p)
    service.clear(p)
    service.override("K28", p)
    ok, j, tl = _load(p)
    assert ok and j.train() == "K28" and tl.onboard == 21 and sum(tl.boardings) == 0
    assert service.show(p) == ("train=K28 to=Beijing leg=2 at=Dandong next=- override=K28 onboard=21 "
                               "state=saved")


def test_override_and_clear_are_logged_in_the_journey_log():
    from trainctl import codes
    from trainctl.jlog import JourneyLog

    p = _path("logged")
    jp = _path("logged_jlog")
    _saved(p)
    service.override("95", p, None, jp)
    service.override("K28", p, None, jp)
    service.clear(p, None, jp)
    service.clear(p, None, jp)  # nothing to clear: no record
    service.set_onboard(3, p)  # not an override: no record
    recs = [r[2:] for r in JourneyLog(jp).records()]
    k95, kk28 = 0 * R.LEGS + 1, 1 * R.LEGS + 2
    # (kind, index 1 set / 0 cleared, station: where it stands, a: the key set (65535 none), b: the one before)
    assert recs == [(codes.K_OVERRIDE, 1, DANDONG, k95, 0xFFFF), (codes.K_OVERRIDE, 1, DANDONG, kk28, k95),
                    (codes.K_OVERRIDE, 0, DANDONG, 0xFFFF, kk28)], recs
    assert [r[1] for r in JourneyLog(jp).records()] == [_load(p)[1].f.last_s] * 3  # dated by the last fix
    q = _path("not_logged")
    service.override("95", q, None, "")
