"""UTC calendar arithmetic in integers: seconds since the project epoch 2020-01-01T00:00:00Z.

Seconds stay below 2**30 (small ints on 32-bit ports) until 2054; dates outside 2020..2053 are refused.
No time.mktime/localtime: ESP32 and RP2040 count from different epochs.
"""

from micropython import const

_MIN_YEAR = const(2020)
_MAX_YEAR = const(2053)


def days_from_civil(y, m, d):
    """Days from 1970-01-01 to the proleptic Gregorian date y-m-d (H. Hinnant's algorithm)."""
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


EPOCH_DAYS = 18262  # days_from_civil(2020, 1, 1); a test checks it


def epoch_days(y, m, d):
    """Days since 2020-01-01; ValueError outside the supported years or for a date that does not exist."""
    if y < _MIN_YEAR or y > _MAX_YEAR or m < 1 or m > 12 or d < 1 or d > days_in_month(y, m):
        raise ValueError("date")
    return days_from_civil(y, m, d) - EPOCH_DAYS


def epoch_seconds(y, m, d, hh, mm, ss):
    """Seconds since 2020-01-01T00:00:00Z; ValueError outside the supported years or fields."""
    days = epoch_days(y, m, d)
    if hh > 23 or mm > 59 or ss > 60:  # 60: a leap second, as NMEA may report it
        raise ValueError("time")
    return days * 86400 + hh * 3600 + mm * 60 + ss


def days_in_month(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def civil_from_epoch_days(z):
    """(year, month, day) of day z counted from 2020-01-01 (inverse of days_from_civil)."""
    z += EPOCH_DAYS + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if m <= 2 else 0), m, d


def iso_utc(t_s, ms=-1):
    """ISO-8601 text with Z for epoch seconds t_s (allocates: for logs and the host, not hot paths)."""
    y, mo, d = civil_from_epoch_days(t_s // 86400)
    s = t_s % 86400
    out = "%04d-%02d-%02dT%02d:%02d:%02d" % (y, mo, d, s // 3600, s // 60 % 60, s % 60)
    if ms >= 0:
        out += ".%03d" % ms
    return out + "Z"
