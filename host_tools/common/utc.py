"""UTC times on the host, one way: ISO-8601 text <-> seconds since 1970, calendar days, and the firmware's epoch
(trainctl.clock counts seconds from 2020-01-01T00:00:00Z; its own iso_utc formats those). Imports nothing from
firmware/: the synthetic journeys use it too, and stay an independent oracle."""

import calendar
import math
import re
import time

EPOCH_UNIX = calendar.timegm((2020, 1, 1, 0, 0, 0))  # seconds since 1970 at the firmware's utc_s 0 (trainctl.clock)

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def iso_utc(t_s, ms=None):
    """Seconds since 1970 -> '2026-11-23T09:16:27Z', with milliseconds ('...27.250Z') when t_s is not whole
    (ms=None), always (ms=True) or never (ms=False: truncated to the second)."""
    whole_s = math.floor(t_s)
    frac_ms = 0 if ms is False else round((t_s - whole_s) * 1000)
    if frac_ms == 1000:
        whole_s, frac_ms = whole_s + 1, 0
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole_s))
    return "%s.%03dZ" % (text, frac_ms) if frac_ms or ms else text + "Z"


def utc_s(text, zone=False):
    """'2026-11-23T09:16:27[.250][Z|+hh:mm]' -> seconds since 1970 (float). No zone means UTC unless zone=True
    (then ValueError); ValueError for other text or a date or time that does not exist."""
    m = _ISO.fullmatch(text.strip()) if isinstance(text, str) else None
    if not m or (zone and not m[8]):
        raise ValueError("not an ISO-8601 UTC time: %r" % (text,))
    y, mo, d, hh, mm, ss = (int(m[i]) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1] and hh < 24 and mm < 60 and ss < 60):
        raise ValueError("no such time: %r" % text)
    t = calendar.timegm((y, mo, d, hh, mm, ss)) + (float("0." + m[7]) if m[7] else 0.0)
    if m[8] and m[8] != "Z":
        sign = -1 if m[8][0] == "-" else 1
        t -= sign * (int(m[8][1:3]) * 3600 + int(m[8][4:6]) * 60)
    return t


def day_s(text):
    """'YYYY-MM-DD' -> seconds since 1970 of that day's 00:00 UTC; ValueError unless it is a real date."""
    m = _DAY.fullmatch(text) if isinstance(text, str) else None
    if not m:
        raise ValueError("not a date YYYY-MM-DD: %r" % (text,))
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]):
        raise ValueError("no such date: %r" % text)
    return calendar.timegm((y, mo, d, 0, 0, 0))
