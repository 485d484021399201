"""NMEA sentence decoders and epoch assembly for nmea.Parser: each takes the parser p, whose buf holds the
line's body and whose fields hold the start of each field (field i is buf[f[i - 1]:f[i] - 1]). A bad field
raises ValueError (Parser._line counts it). One epoch (second) is reported once, through p.on_fix."""

from micropython import const

from .nmeaepoch import _epoch, _position, _report
from .nmeafield import _alt, _good_mode, angle, day, digits, num, rollover, tod_ms

_N_SYS = const(7)  # constellation slots of Parser._sats; the sum is in the slot after them
# Constellation slot by the talker's second letter, 'A' to 'Z' (_line lets only capitals through): GL GLONASS 1,
# GA Galileo 2, GB BeiDou 3, BD BeiDou 4, GQ QZSS 5, GI NavIC 6; any other (GP, GN) 0.
_SLOT = const(
    b"\x02\x03\x00\x04\x00\x00\x00\x00\x06\x00\x00\x01\x00"  # A to M
    b"\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00"  # N to Z
)

# Slots of Parser._ep (see nmeaepoch.py).
_E_SEC = const(0)
_E_DONE = const(1)
_E_RMC_HERE = const(2)
_E_NO_RMC = const(3)
_E_PEND = const(4)
_E_DATE_TEXT = const(10)
_E_DATE_DAY = const(11)
_E_DATE_ROLLED = const(12)


def _rmc(p):
    # 1 time, 2 status, 3-4 lat, 5-6 lon, 7 SOG kn, 8 COG, 9 date, 10-11 magvar, 12 mode, 13 nav status
    buf = p.buf
    f = p.fields
    ep = p._ep
    a = f[1]
    valid = f[2] - a > 1 and buf[a] == 0x41  # 'A'
    a = f[11]
    if valid and f[12] - a > 1:
        valid = _good_mode(buf[a])
    a = f[0]
    if f[1] - a == 1:
        if valid:
            raise ValueError  # a position without a time
        p.stats.no_fix += 1  # 'no fix yet' with empty fields
        return
    tod = tod_ms(buf, a, f[1] - 1)
    a = f[8]
    dz = -1 if f[9] - 1 == a else _date(p, a, f[9] - 1)
    lat = lon = 0
    spd = crs = -1
    if valid:
        a = f[3]
        lat = angle(buf, f[2], a - 1, 2, buf[a] if f[4] - a > 1 else 0)
        a = f[5]
        lon = angle(buf, f[4], a - 1, 3, buf[a] if f[6] - a > 1 else 0)
        a = f[6]
        if f[7] - a > 1:
            spd = num(buf, a, f[7] - 1, 3)  # knots x 1000
            if spd > 999999:
                raise ValueError
            spd = spd * 463 // 9000  # cm/s: 1 kn = 463/900 m/s exactly
        a = f[7]
        if f[8] - a > 1:
            crs = num(buf, a, f[8] - 1, 2)
            if crs > 36000:
                raise ValueError
    if tod != ep[_E_SEC]:
        _epoch(p, tod)
    if dz >= 0:
        p._day = dz
    ep[_E_RMC_HERE] = True
    ep[_E_NO_RMC] = 0
    ep[_E_PEND] = False
    if ep[_E_DONE]:
        return
    fix = p.fix
    if valid:
        fix.lat_udeg = lat
        fix.lon_udeg = lon
        fix.speed_cms = spd
        fix.course_cdeg = crs
    fix.valid = valid
    fix.talker = buf[0] << 8 | buf[1]
    _report(p, p._day, tod)


def _date(p, a, e):
    """RMC's date ddmmyy in buf[a:e] -> days since 2020-01-01, rollover corrected (years 80..99 are
    1980..1999: GPS began in 1980)."""
    if e - a != 6:
        raise ValueError
    ep = p._ep
    v = digits(p.buf, a, e)
    if v == ep[_E_DATE_TEXT]:  # the date of the last RMC: most are
        if ep[_E_DATE_ROLLED]:
            p.stats.rollover += 1
        return ep[_E_DATE_DAY]
    a = v % 100
    e = day(a + 1900 if a >= 80 else a + 2000, v // 100 % 100, v // 10000)
    a = rollover(e)
    if a != e:
        p.stats.rollover += 1
    ep[_E_DATE_TEXT] = v
    ep[_E_DATE_DAY] = a
    ep[_E_DATE_ROLLED] = a != e
    return a


def _gga(p):
    # GGA and GNS: 1 time, 2-3 lat, 4-5 lon, 6 GGA quality or GNS mode (one letter per constellation: GPS,
    # GLONASS, Galileo, BeiDou, QZSS, NavIC), 7 sats used, 8 HDOP, 9 altitude, 10 geoid sep (GGA 10 'M', 11 geoid
    # sep; GNS 11 age, 12 station, 13 nav status)
    buf = p.buf
    f = p.fields
    a = f[5]
    if buf[4] == 0x53:  # 'GNS'
        if p._nf < 6:
            raise ValueError
        q = -1
        valid = False
        for j in range(a, f[6] - 1):
            if _good_mode(buf[j]):
                valid = True
    else:
        q = f[6] - a
        if q == 2:
            q = buf[a] - 0x30  # one digit, the usual
            if q < 0:
                raise ValueError
        elif q > 1:
            q = num(buf, a, f[6] - 1, 0)
        else:
            q = 0
        if q > 9:
            raise ValueError
        valid = q > 0 and q != 6  # 6: dead reckoning
    a = f[0]
    if f[1] - a == 1:
        if valid:
            raise ValueError  # a position without a time
        p.stats.no_fix += 1  # 'no fix yet' with empty fields
        return
    tod = tod_ms(buf, a, f[1] - 1)
    a = f[6]
    sats = -1 if f[7] - a == 1 else num(buf, a, f[7] - 1, 0)
    a = f[7]
    hdop = -1 if f[8] - a == 1 else num(buf, a, f[8] - 1, 2)
    alt = _alt(buf, f[8], f[9] - 1)
    lat = lon = 0
    if valid:
        a = f[2]
        lat = angle(buf, f[1], a - 1, 2, buf[a] if f[3] - a > 1 else 0)
        a = f[4]
        lon = angle(buf, f[3], a - 1, 3, buf[a] if f[5] - a > 1 else 0)
    fix = p.fix
    if q >= 0:
        fix.quality = q
    fix.sats_used = sats
    fix.hdop_c = hdop
    fix.alt_dm = alt
    ep = p._ep
    if tod != ep[_E_SEC]:
        _epoch(p, tod)
    if not ep[_E_DONE]:
        _position(p, tod, valid, lat, lon)


def _gll(p):
    # 1-2 lat, 3-4 lon, 5 time, 6 status, 7 mode (NMEA 2.3+); NMEA 2.0 receivers send 1-4 only
    buf = p.buf
    f = p.fields
    a = f[5]
    valid = f[6] - a > 1 and buf[a] == 0x41  # 'A'
    a = f[6]
    if valid and f[7] - a > 1:
        valid = _good_mode(buf[a])
    a = f[4]
    if f[5] - a == 1:
        if valid:
            raise ValueError  # a position without a time
        p.stats.no_fix += 1  # 'no fix yet' with empty fields
        return
    tod = tod_ms(buf, a, f[5] - 1)
    lat = lon = 0
    if valid:
        a = f[1]
        lat = angle(buf, f[0], a - 1, 2, buf[a] if f[2] - a > 1 else 0)
        a = f[3]
        lon = angle(buf, f[2], a - 1, 3, buf[a] if f[4] - a > 1 else 0)
    ep = p._ep
    if tod != ep[_E_SEC]:
        _epoch(p, tod)
    if not ep[_E_DONE]:
        _position(p, tod, valid, lat, lon)


def _vtg(p):
    # 1 COG true, 2 'T', 3 COG magnetic, 4 'M', 5 SOG kn, 6 'N', 7 SOG km/h, 8 'K', 9 mode
    buf = p.buf
    f = p.fields
    a = f[0]
    c = -1 if f[1] - a == 1 else num(buf, a, f[1] - 1, 2)
    if c > 36000:
        raise ValueError
    a = f[6]
    if f[7] - a > 1:
        v = num(buf, a, f[7] - 1, 3) // 36  # metres per hour -> cm/s
    else:
        a = f[4]
        v = -1 if f[5] - a == 1 else num(buf, a, f[5] - 1, 3)  # knots x 1000
        if v > 999999:
            raise ValueError
        if v > 0:
            v = v * 463 // 9000  # cm/s: 1 kn = 463/900 m/s exactly
    p._vtg_cdeg = c
    p._vtg_cms = v


def _gsa(p):
    # 1 mode M/A, 2 fix type, 3-14 satellite IDs, 15 PDOP, 16 HDOP, 17 VDOP, 18 system ID (4.10)
    f = p.fields
    t = num(p.buf, f[1], f[2] - 1, 0)
    if t < 1 or t > 3:
        raise ValueError
    p.fix.fix_type = t


def _gsv(p):
    # 1 messages, 2 message number, 3 satellites in view, then (id, elev, az, SNR) x 0..4,
    # then the signal ID in NMEA 4.10+: the field count tells which.
    nf = p._nf
    if nf < 3 or (nf - 3) % 4 > 1 or nf > 3 + 16 + 1:
        raise ValueError
    buf = p.buf
    f = p.fields
    total = num(buf, 6, f[1] - 1, 0)
    a = f[2]
    nf = num(buf, f[1], a - 1, 0)  # this message's number
    if nf < 1 or nf > total or total > 9:
        raise ValueError
    nf = num(buf, a, f[3] - 1, 0)  # satellites in view
    if nf > 99:
        raise ValueError
    f = p._sats  # (names reused: a frame of at most 11 slots stays off the heap)
    a = _SLOT[buf[1] - 0x41]
    total = f[_N_SYS] + nf - f[a]
    f[a] = nf
    f[_N_SYS] = total
    p.fix.sats_in_view = total


def _zda(p):
    # 1 time, 2 day, 3 month, 4 year, 5-6 local zone
    f = p.fields
    a = f[0]
    if f[1] - a == 1 or f[4] - f[3] == 1:
        return  # no time yet
    buf = p.buf
    tod = tod_ms(buf, a, f[1] - 1)
    a = f[1]
    if f[2] - 1 != a + 2 or f[3] != a + 6 or f[4] - 1 != a + 10:  # dd,mm,yyyy: 2, 2, 4 characters
        raise ValueError
    d = day(digits(buf, a + 6, a + 10), digits(buf, a + 3, a + 5), digits(buf, a, a + 2))
    z = rollover(d)
    if z != d:
        p.stats.rollover += 1
    _epoch(p, tod)
    p._day = z


# The decoder of each sentence type, by nmea._KIND index.
_DECODE = (_rmc, _gga, _gll, _gga, _vtg, _gsa, _gsv, _zda)
