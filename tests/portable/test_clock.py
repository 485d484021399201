# Calendar arithmetic: portable (CPython, MicroPython unix and WebAssembly ports).
from trainctl import clock


def test_epoch_constant_is_2020_01_01():
    assert clock.days_from_civil(2020, 1, 1) == clock.EPOCH_DAYS
    assert clock.days_from_civil(1970, 1, 1) == 0


def test_known_instants():
    # K27 leaves Beijing 17:26 UTC+8 on 2026-11-23 = 09:26Z
    assert clock.epoch_seconds(2026, 11, 23, 9, 26, 0) == 217589160
    assert clock.epoch_seconds(2020, 1, 1, 0, 0, 0) == 0
    assert clock.epoch_seconds(2024, 2, 29, 23, 59, 59) == 4 * 365 * 86400 + 59 * 86400 + 86399 + 86400


def test_round_trip_every_20_days():
    z = 0
    while z < 12400:
        y, m, d = clock.civil_from_epoch_days(z)
        assert clock.days_from_civil(y, m, d) - clock.EPOCH_DAYS == z
        z += 20


def test_stays_a_small_int_until_2053():
    assert clock.epoch_seconds(2053, 12, 31, 23, 59, 60) < 2**30


def test_refuses_bad_dates():
    for args in ((2019, 12, 31), (2054, 1, 1), (2026, 2, 29), (2026, 13, 1), (2026, 4, 31), (2026, 1, 0)):
        try:
            clock.epoch_seconds(args[0], args[1], args[2], 0, 0, 0)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % (args,))


def test_iso_both_ways():
    t = clock.epoch_seconds(2026, 11, 24, 2, 3, 14)
    assert clock.iso_utc(t) == "2026-11-24T02:03:14Z"
    assert clock.iso_utc(t, 132) == "2026-11-24T02:03:14.132Z"
