"""Epoch assembly for nmea.Parser: the sentences of one receiver epoch (one second) make one report of
p.fix (a Fix) through p.on_fix, at its RMC, or at its first GGA/GLL/GNS when the receiver sends no RMC; a second
without RMC, when RMC comes only in some seconds, is reported when the next begins."""

from micropython import const

_RMC_LESS = const(2)  # epochs without RMC after which GGA/GLL/GNS are reported at once
_HALF_DAY_MS = const(43200000)

# Slots of Parser._ep, the epoch being assembled (list slots, fewer names for a board's name pools): its
# time (ms of the day), reported, had an RMC, epochs in a row without RMC, a GGA/GLL/GNS position pending
# (valid, lat, lon, talker, day); then the last RMC date (nmeasent._rmc).
_E_SEC = const(0)
_E_DONE = const(1)
_E_RMC_HERE = const(2)
_E_NO_RMC = const(3)
_E_PEND = const(4)
_E_P_VALID = const(5)
_E_P_LAT = const(6)
_E_P_LON = const(7)
_E_P_TALKER = const(8)
_E_P_DAY = const(9)


class Fix:
    """One epoch as the receiver reported it. Units in the names; -1 means not reported."""

    def __init__(self):
        self.utc_s = -1  # seconds since 2020-01-01T00:00:00Z
        self.utc_ms = 0
        self.valid = False  # position valid (RMC/GLL status A and mode not N/E/M/S; GGA quality > 0; GNS mode)
        self.lat_udeg = 0  # signed micro-degrees, WGS-84
        self.lon_udeg = 0
        self.speed_cms = -1  # speed over ground, cm/s
        self.course_cdeg = -1  # course over ground, centidegrees true
        self.quality = -1  # GGA fix quality
        self.sats_used = -1
        self.sats_in_view = -1  # sum over constellations of the last GSV of each
        self.hdop_c = -1  # HDOP x 100
        self.alt_dm = 0  # altitude above mean sea level, decimetres
        self.fix_type = -1  # GSA: 1 none, 2 2D, 3 3D
        self.talker = 0  # two talker letters as a 16-bit key, e.g. 0x474E for 'GN'


def _epoch(p, tod):
    """The sentence's time tod (ms of the day) begins a new epoch unless it is the current one's: then
    a pending position of the last one is reported, and midnight passed if the clock went back 12 h."""
    ep = p._ep
    if tod == ep[_E_SEC]:
        return
    if ep[_E_PEND]:
        _report_pending(p)
    if not ep[_E_RMC_HERE] and ep[_E_NO_RMC] < _RMC_LESS:
        ep[_E_NO_RMC] += 1
    if p._day >= 0 and tod < ep[_E_SEC] - _HALF_DAY_MS:
        p._day += 1  # midnight passed
    ep[_E_SEC] = tod
    ep[_E_DONE] = False
    ep[_E_RMC_HERE] = False


def _report_pending(p):
    ep = p._ep
    ep[_E_PEND] = False
    fix = p.fix
    fix.valid = ep[_E_P_VALID] == 1
    if ep[_E_P_VALID]:
        fix.lat_udeg = ep[_E_P_LAT]
        fix.lon_udeg = ep[_E_P_LON]
        fix.speed_cms = p._vtg_cms
        fix.course_cdeg = p._vtg_cdeg
    fix.talker = ep[_E_P_TALKER]
    _report(p, ep[_E_P_DAY], ep[_E_SEC])


def _position(p, tod, valid, lat, lon):
    """A GGA/GLL/GNS position: reported now from a receiver that sends no RMC, else at the end of its
    epoch unless an RMC of the same epoch comes. Called with the epoch of tod begun and not reported."""
    ep = p._ep
    if p._day < 0:
        p.stats.undated += 1
        return
    buf = p.buf
    if ep[_E_NO_RMC] >= _RMC_LESS:
        fix = p.fix
        fix.valid = valid
        if valid:
            fix.lat_udeg = lat
            fix.lon_udeg = lon
            fix.speed_cms = p._vtg_cms
            fix.course_cdeg = p._vtg_cdeg
        fix.talker = buf[0] << 8 | buf[1]
        _report(p, p._day, tod)
    elif not ep[_E_PEND] or valid and not ep[_E_P_VALID]:
        ep[_E_PEND] = True
        ep[_E_P_VALID] = 1 if valid else 0
        ep[_E_P_LAT] = lat
        ep[_E_P_LON] = lon
        ep[_E_P_TALKER] = buf[0] << 8 | buf[1]
        ep[_E_P_DAY] = p._day


def _report(p, day, tod):
    """on_fix for the epoch at day, tod (ms of the day), with what p.fix holds."""
    p._ep[_E_DONE] = True
    if day < 0:
        p.stats.undated += 1
        return  # no date yet: the time cannot be placed
    fix = p.fix
    fix.utc_s = day * 86400 + tod // 1000
    fix.utc_ms = tod % 1000
    if fix.valid:
        p.stats.fixes += 1
    else:
        p.stats.no_fix += 1
    cb = p.on_fix
    if cb is not None:
        cb(fix)
