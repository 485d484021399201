# The journey log as an audit trail (trainctl.coach.Coach): portable (CPython, MicroPython).
import os

from trainctl import clock, codes
from trainctl import route_data as R
from trainctl.coach import Coach
from trainctl.jlog import JourneyLog

from portable import nmeagen

DANDONG = 9
T0 = clock.epoch_seconds(2026, 11, 23, 9, 0, 0)
LAT = R.ST_LAT_UDEG[DANDONG]
LON = R.ST_LON_UDEG[DANDONG]


class _Hw:
    def __init__(self, name, config):
        base = "/tmp/audit_portable_" + name
        for p in (base + ".jlog", base + ".json"):
            try:  # noqa: SIM105 (no contextlib on MicroPython)
                os.remove(p)
            except OSError:
                pass
        self.jlog_path = base + ".jlog"
        self.config_path = base + ".json"
        self.reset_cause = 3
        if config is not None:
            with open(self.config_path, "w") as f:
                f.write(config)


def _recs(hw):
    """(utc_s, kind, index, station, a, b) of the log, oldest first."""
    return [r[1:] for r in JourneyLog(hw.jlog_path).records()]


def _coach_id(rec):
    _, _, i, st, a, b = rec
    return "".join(chr(c) for c in (i, st, a & 0xFF, a >> 8, b & 0xFF, b >> 8) if c)


def test_boot_records_the_coach_id_after_the_reset_cause():
    hw = _Hw("boot", '{"coach": "C01-x"}')
    Coach(R, hw)
    r = _recs(hw)
    assert [x[1] for x in r] == [codes.K_BOOT, codes.K_COACH], r
    assert r[0][4] == 3 and _coach_id(r[1]) == "C01-x"
    hw2 = _Hw("boot_none", None)  # no configuration file: an empty ID
    Coach(R, hw2)
    assert _coach_id(_recs(hw2)[1]) == ""


def test_bad_coach_id_is_a_config_problem_and_logs_none():
    hw = _Hw("boot_bad", '{"coach": "C 01"}')
    c = Coach(R, hw)
    assert c.config.coach == "" and len(c.config.problems) == 1
    r = _recs(hw)
    assert [x[1] for x in r] == [codes.K_BOOT, codes.K_COACH, codes.K_FAULT] and _coach_id(r[1]) == ""


def _feed(c, t, valid=True):
    if valid:
        c.feed(nmeagen.rmc(t, LAT, LON))
    else:
        c.feed(nmeagen.rmc(t))


def test_clock_known_gps_lost_and_regained_clock_step_and_number_changes():
    hw = _Hw("trail", '{"coach": "C02"}')
    c = Coach(R, hw)
    for _ in range(4):
        c.step(500)  # 2 s without a receiver
    for k in range(5):
        _feed(c, T0 + k)
        c.step(1000)
    n_boot = len(_recs(hw))
    for _ in range(15):  # 15 s: no valid fix (the receiver still gives its time: status V)
        c.step(1000)
    _feed(c, T0 + 20)
    c.step(1000)
    _feed(c, T0 + 21 + 100)  # the GPS clock moves 101 s in 1 s of the board's
    c.step(1000)
    c.ctl.set_override("95")
    c.ctl.clear_override()
    r = _recs(hw)
    kinds = [x[1] for x in r]
    clock_known = r[kinds.index(codes.K_CLOCK)]
    assert clock_known[0] == T0 and clock_known[2] == 0 and clock_known[4] == 3  # 3 s of uptime: boot at T0 - 3
    gps = [x for x in r if x[1] == codes.K_GPS]
    assert gps == [(T0 + 4, codes.K_GPS, 0, -1, 0, 0), (T0 + 20, codes.K_GPS, 1, -1, 16, 0)], (gps, r)
    assert len(_recs(hw)) > n_boot
    steps = [x for x in r if x[1] == codes.K_CLOCK and x[2] == 1]
    assert steps == [(T0 + 121, codes.K_CLOCK, 1, -1, 100, 0)], r
    numbers = [x for x in r if x[1] == codes.K_NUMBER]
    k95 = 0 * R.LEGS + 1
    # the crew's 95 (b = 1); cleared, the display goes on showing 95 (the override set the journey's leg): no
    # change shown, no record (the crew tool's clear is logged by trainctl.service as K_OVERRIDE)
    assert numbers == [(T0 + 121, codes.K_NUMBER, 0, -1, k95, 1)], numbers


def test_negative_clock_step_is_signed_32_bit():
    hw = _Hw("back", None)
    c = Coach(R, hw)
    _feed(c, T0 + 1000)
    c.step(1000)
    _feed(c, T0)
    c.step(1000)
    steps = [x for x in _recs(hw) if x[1] == codes.K_CLOCK and x[2] == 1]
    assert len(steps) == 1
    v = steps[0][4] | steps[0][5] << 16
    assert v - (1 << 32) == -1001, steps


class _Ctl:
    """What audit.shown reads of a coach.Controller."""

    def __init__(self, train, off, utc_s=T0, at_stop=DANDONG):
        self.train = train
        self.utc_offset_min = off
        self.utc_s = utc_s
        self.at_stop = at_stop

        class _J:
            override = -1

        self.journey = _J()


def test_utc_offset_change_at_the_border_is_logged_once():
    hw = _Hw("offset", None)
    c = Coach(R, hw)  # what the coach's Controller hands to it when the display changes (Coach._changed)
    c._changed(_Ctl("K27", 480))
    c._changed(_Ctl("K27", 480))
    c._changed(_Ctl("K27", None))  # unknown: nothing logged, the last known kept
    c._changed(_Ctl("95", 540, T0 + 60, 10))
    r = _recs(hw)[2:]
    assert r == [(T0, codes.K_NUMBER, 0, DANDONG, 0, 0), (T0 + 60, codes.K_NUMBER, 0, 10, 1, 0),
                 (T0 + 60, codes.K_CLOCK, 2, 10, 540, 480)], r
