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
_PT = const(0xFE)  # _DV of '.'
# The value of each byte as a digit: 0-9 for '0'-'9', _PT for '.', 255 for any other.
_DV = const(  # bytes(b - 0x30 if 0x30 <= b <= 0x39 else 0xFE if b == 0x2E else 0xFF for b in range(256))
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff"
    b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
)


def num(buf, a, e, dec):
    """Unsigned decimal text buf[a:e] as an int scaled by 10**dec (extra digits truncated)."""
    # Loops one after the other and a small frame: at most 11 slots stay off the heap on MicroPython.
    if a >= e:
        raise ValueError
    v = c = 0
    j = a
    for j in range(a, e):  # the integer part
        c = buf[j]
        c = _DV[c]
        if c > 9:
            break
        v = v * 10 + c
        if v > _BIG:
            raise ValueError
    if c > 9:  # at buf[j]: the point, then the fraction (dec digits kept, the rest checked)
        if c != _PT or e - a == 1:
            raise ValueError  # not a digit, or '.' alone
        a = j + 1 + dec
        if a > e:
            a = e
        dec -= a - j - 1
        for j in range(j + 1, a):  # noqa: B020 (no other local: a small frame)
            c = buf[j]
            c = _DV[c]
            if c > 9:
                raise ValueError
            v = v * 10 + c
        for j in range(a, e):
            c = buf[j]
            if _DV[c] > 9:
                raise ValueError
    while dec > 0:
        v *= 10
        dec -= 1
    return v


def digits(buf, a, e):
    """Fixed-width digits buf[a:e] of an even count (dd, mm, yy, ddmmyy, yyyy) as an int: no point, no sign."""
    v = 0
    for j in range(a, e, 2):  # two at a time: a non-digit (_DV 254 or 255) makes the pair over 99
        c = _DV[buf[j]] * 10 + _DV[buf[j + 1]]
        if c > 99:
            raise ValueError
        v = v * 100 + c
    return v


def tod_ms(buf, a, e):
    """hhmmss[.sss] -> milliseconds of the day (digits beyond the third decimal checked and ignored)."""
    if e - a < 6 or e - a == 7 or e > a + 6 and buf[a + 6] != 0x2E:
        raise ValueError  # 'hhmmss.' without a fraction is refused too
    # Two digits at a time: a non-digit (_DV 254 or 255) makes the pair over 99, so the range tests refuse it.
    hh = _DV[buf[a]] * 10 + _DV[buf[a + 1]]
    mm = _DV[buf[a + 2]] * 10 + _DV[buf[a + 3]]
    ss = _DV[buf[a + 4]] * 10 + _DV[buf[a + 5]]
    if hh > 23 or mm > 59 or ss > 60:
        raise ValueError
    hh = ((hh * 60 + mm) * 60 + ss) * 1000
    if e > a + 7:  # '.s', '.ss', '.sss', then digits checked and dropped
        mm = 100
        for a in range(a + 7, e):  # noqa: B020 (no other local: a small frame)
            ss = _DV[buf[a]]
            if ss > 9:
                raise ValueError
            hh += ss * mm
            mm //= 10
    return hh


def angle(buf, a, e, deg_digits, h):
    """(d)ddmm.mmmmm with hemisphere letter h (N/S or E/W, as an int) -> signed micro-degrees."""
    if e - a < deg_digits + 2:
        raise ValueError
    # A non-digit (_DV 254 or 255) in the degrees makes them over 180, in the minutes over 59: refused.
    v = _DV[buf[a]] * 10 + _DV[buf[a + 1]]
    if deg_digits == 3:
        v = v * 10 + _DV[buf[a + 2]]
    a += deg_digits  # the minutes: two integer digits, then the end, or a point and digits (6 kept)
    m = _DV[buf[a]] * 10 + _DV[buf[a + 1]]
    if v > 180 or m > 59:
        raise ValueError
    m *= 1000000
    if e > a + 2:
        if buf[a + 2] != 0x2E:
            raise ValueError
        # The fraction two digits at a time (a non-digit makes the pair over 99): 6 digits kept, the rest
        # checked; d the place of the pair (0 past the sixth digit).
        d = 10000
        a += 3
        while a + 1 < e:
            c = _DV[buf[a]] * 10 + _DV[buf[a + 1]]
            if c > 99:
                raise ValueError
            m += c * d
            d //= 100
            a += 2
        if a < e:  # an odd count: the last digit alone
            c = _DV[buf[a]]
            if c > 9:
                raise ValueError
            m += c * d * 10
    v = v * 1000000 + (m + 30) // 60
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


def _alt(buf, a, e):
    """Altitude buf[a:e] (a sign allowed), decimetres; 0 when empty."""
    if e == a:
        return 0
    if buf[a] == 0x2D:  # '-'
        return -num(buf, a + 1, e, 1)
    return num(buf, a, e, 1)


def _good_mode(c):
    """An NMEA 2.3+ mode letter that means a position: A autonomous, D differential, F/R RTK,
    P precise (not N none, E dead reckoning, M manual, S simulator)."""
    return c == 0x41 or c == 0x44 or c == 0x46 or c == 0x52 or c == 0x50


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
