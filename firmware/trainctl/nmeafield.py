"""NMEA 0183 field decoders: text in a bytearray slice buf[a:e] -> small ints, or ValueError.

Strict: a number is digits with at most one decimal point (a '-' only where NMEA allows a sign:
altitude, geoid separation); time, date and latitude/longitude take no sign. No allocation.
"""

from micropython import const

from .build_data import PIVOT_DAY
from .clock import EPOCH_DAYS, days_from_civil, days_in_month

_ROLLOVER_DAYS = const(7168)  # 1,024 GPS weeks
_MAX_DAY = const(12419)  # 2054-01-01 (a test checks it): seconds since 2020 stay below 2**30 before it
_BIG = const(99999999)  # more digits before the point than any field has: refused (keeps ints small)


def num(buf, a, e, dec):
    """Unsigned decimal text buf[a:e] as an int scaled by 10**dec (extra digits truncated)."""
    if a >= e:
        raise ValueError
    v = 0
    for j in range(a, e):  # the integer part
        c = buf[j] - 0x30
        if c < 0 or c > 9:
            if c != -2:  # '.'
                raise ValueError
            if e - a == 1:
                raise ValueError  # '.' alone
            f = j + 1 + dec  # the fraction: dec digits kept, the rest checked
            if f > e:
                f = e
            for j in range(j + 1, f):
                c = buf[j] - 0x30
                if c < 0 or c > 9:
                    raise ValueError
                v = v * 10 + c
                dec -= 1
            for j in range(f, e):
                c = buf[j]
                if c < 0x30 or c > 0x39:
                    raise ValueError
            break
        v = v * 10 + c
        if v > _BIG:
            raise ValueError
    while dec > 0:
        v *= 10
        dec -= 1
    return v


def digits(buf, a, e):
    """Fixed-width digits buf[a:e] (hh, mm, ss, dd, yy, degrees) as an int: no point, no sign."""
    v = 0
    for j in range(a, e):
        c = buf[j] - 0x30
        if c < 0 or c > 9:
            raise ValueError
        v = v * 10 + c
    return v


def tod_ms(buf, a, e):
    """hhmmss[.sss] -> milliseconds of the day (digits beyond the third decimal ignored)."""
    if e - a < 6 or e - a == 7 or e > a + 6 and buf[a + 6] != 0x2E:
        raise ValueError  # 'hhmmss.' without a fraction is refused too
    v = digits(buf, a, a + 6)
    hh = v // 10000
    mm = v // 100 % 100
    ss = v % 100
    if hh > 23 or mm > 59 or ss > 60:
        raise ValueError
    ms = 0
    if e > a + 7:  # '.s', '.ss', '.sss': digits beyond the third checked and dropped
        if e > a + 10:
            digits(buf, a + 10, e)
            e = a + 10
        ms = digits(buf, a + 7, e)
        if e == a + 8:
            ms *= 100
        elif e == a + 9:
            ms *= 10
    return ((hh * 60 + mm) * 60 + ss) * 1000 + ms


def angle(buf, a, e, deg_digits, h):
    """(d)ddmm.mmmmm with hemisphere letter h (N/S or E/W, as an int) -> signed micro-degrees."""
    if e - a < deg_digits + 2:
        raise ValueError
    deg = digits(buf, a, a + deg_digits)
    m = a + deg_digits  # the minutes: two integer digits, then the end or a point
    if buf[m] == 0x2E or buf[m + 1] == 0x2E or e > m + 2 and buf[m + 2] != 0x2E:
        raise ValueError
    min_e6 = num(buf, m, e, 6)
    if min_e6 >= 60000000:
        raise ValueError
    v = deg * 1000000 + (min_e6 + 30) // 60
    if deg_digits == 2:
        if v > 90000000:
            raise ValueError
        if h == 0x53:  # 'S'
            return -v
        if h != 0x4E:  # 'N'
            raise ValueError
    else:
        if v > 180000000:
            raise ValueError
        if h == 0x57:  # 'W'
            return -v
        if h != 0x45:  # 'E'
            raise ValueError
    return v


def day(y, m, d):
    """Days since 2020-01-01 of the date y-m-d (negative before 2020); ValueError if it does not exist."""
    if y < 1980 or y > 2099 or m < 1 or m > 12 or d < 1 or d > days_in_month(y, m):
        raise ValueError
    return days_from_civil(y, m, d) - EPOCH_DAYS


def rollover(z):
    """Day z GPS week-rollover corrected: a date before the firmware's build day (PIVOT_DAY) moves forward
    in 1,024-week steps until it is not before it, as gpsd does. ValueError if it lands after 2053."""
    while z < PIVOT_DAY:
        z += _ROLLOVER_DAYS
    if z >= _MAX_DAY:
        raise ValueError
    return z


def hexval(c):
    if 0x30 <= c <= 0x39:
        return c - 0x30
    if 0x41 <= c <= 0x46:
        return c - 0x37
    if 0x61 <= c <= 0x66:  # lower case, which some receivers send
        return c - 0x57
    return -1
