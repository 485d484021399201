"""NMEA 0183 stream parser: bytes in arbitrary chunks -> one preallocated Fix per epoch.

Sentences: RMC, GGA, GLL, GNS, VTG, GSA, GSV (incl. NMEA 4.10/4.11 signal ID), ZDA, from any talker
(GP GN GL GA GB BD GQ GI ...); the byte level is nmeaframe.py, the field decoders nmeafield.py.
Allocates nothing per sentence once built. Bad input never reaches the caller: sub-parsers raise ValueError,
caught once per sentence and counted.
"""

from micropython import const

from .nmeafield import angle, day, ddmmyy, digits, num, rollover, snum, tod_ms
from .nmeaframe import KINDS, MAX_LINE, N_KINDS, N_TALKERS, TALKERS, Fix, Framer, Stats  # noqa: F401  (API)

_RMC_LESS = const(2)  # epochs without RMC after which GGA/GLL/GNS are reported at once
_HALF_DAY_MS = const(43200000)

# Constellation slots for satellites in view (GSV is per constellation), by the talker's second
# letter: GL GLONASS, GA Galileo, GB/BD BeiDou, GQ QZSS, GI NavIC; anything else (GP, GN) slot 0.
# Compared byte by byte: bytes.find(int) raises TypeError before MicroPython 1.29.
_SYS_SLOT = b"LABDQI"
_N_SYS = const(7)


class Parser(Framer):
    """Feed bytes with feed(); on_fix(fix) is called once per epoch (second) with a position sentence:
    at its RMC, or at its first GGA/GLL/GNS when the receiver sends no RMC. When RMC comes only in some
    seconds, a second without one is reported when the next begins."""

    def __init__(self, on_fix=None):
        super().__init__(on_fix)
        self._day = -1  # days since epoch from the last RMC/ZDA date
        self._sec = -1  # the current epoch: milliseconds of the day of its sentences
        self._done = False  # the current epoch was reported
        self._rmc_here = False  # the current epoch had an RMC
        self._no_rmc = _RMC_LESS  # epochs in a row without RMC (up to _RMC_LESS)
        self._pend = False  # a GGA/GLL/GNS position waits for the end of its epoch
        self._p_valid = False
        self._p_lat = 0
        self._p_lon = 0
        self._p_talker = 0
        self._p_day = -1
        self._date_text = -1  # the last RMC date (ddmmyy as an int) and its day, rollover corrected
        self._date_day = -1
        self._date_rolled = False
        self._sats = [0] * _N_SYS
        self._vtg_cms = -1
        self._vtg_cdeg = -1

    def flush(self):
        """The stream ended (a replay's end of file): report a position still waiting for its epoch's end."""
        if self._pend:
            self._report_pending()

    def _sentence(self, kind):
        if kind == 6:
            self._gsv()
        elif kind == 0:
            self._rmc()
        elif kind == 1:
            self._gga()
        elif kind == 4:
            self._vtg()
        elif kind == 5:
            self._gsa()
        elif kind == 2:
            self._gll()
        elif kind == 3:
            self._gns()
        else:
            self._zda()

    # ---- fields -------------------------------------------------------------------------

    def _span(self, i):
        """Start and end (exclusive) of field i (1-based after the address) packed as start<<8|end."""
        if i > self._nf:
            raise ValueError
        return self.fields[i - 1] << 8 | (self.fields[i] - 1)

    def _empty(self, i):
        if i > self._nf:
            return True
        return self.fields[i] - 1 == self.fields[i - 1]

    def _char(self, i):
        """The single character of field i as an int, 0 when empty or absent."""
        if i > self._nf:
            return 0
        s = self._span(i)
        a = s >> 8
        return self.buf[a] if (s & 0xFF) > a else 0

    def _field(self, i, dec):
        """Unsigned number in field i, scaled by 10**dec."""
        s = self._span(i)
        return num(self.buf, s >> 8, s & 0xFF, dec)

    def _digits(self, i, width):
        """Field i of exactly width digits as an int (ZDA's day, month, year)."""
        s = self._span(i)
        a = s >> 8
        if (s & 0xFF) - a != width:
            raise ValueError
        return digits(self.buf, a, a + width)

    def _sfield(self, i, dec):
        """Signed number in field i (altitude), scaled by 10**dec."""
        s = self._span(i)
        return snum(self.buf, s >> 8, s & 0xFF, dec)

    def _tod(self, i):
        """hhmmss[.sss] -> milliseconds of the day."""
        s = self._span(i)
        return tod_ms(self.buf, s >> 8, s & 0xFF)

    def _angle(self, i, deg_digits):
        """(d)ddmm.mmmmm and hemisphere in field i+1 -> signed micro-degrees."""
        s = self._span(i)
        return angle(self.buf, s >> 8, s & 0xFF, deg_digits, self._char(i + 1))

    def _rolled(self, z):
        """Day z, GPS week-rollover corrected (counted)."""
        r = rollover(z)
        if r != z:
            self.stats.rollover += 1
        return r

    def _knots(self, i):
        """Knots with 3 decimals -> cm/s (1 kn = 463/900 m/s exactly)."""
        mkn = self._field(i, 3)
        if mkn > 999999:
            raise ValueError
        return mkn * 463 // 9000

    def _course(self, i):
        v = self._field(i, 2)
        if v > 36000:
            raise ValueError
        return v

    def _talker(self):
        buf = self.buf
        return buf[0] << 8 | buf[1]

    def _timeless(self, valid):
        """A position sentence with an empty time: 'no fix yet' unless it claims a valid position."""
        if valid:
            raise ValueError
        self.stats.no_fix += 1

    # ---- sentences ----------------------------------------------------------------------

    def _rmc(self):
        # 1 time, 2 status, 3-4 lat, 5-6 lon, 7 SOG kn, 8 COG, 9 date, 10-11 magvar, 12 mode, 13 nav status
        valid = self._char(2) == 0x41  # 'A'
        if valid and not self._empty(12):
            valid = _good_mode(self._char(12))
        if self._empty(1):
            self._timeless(valid)
            return
        tod = self._tod(1)
        dz = -1
        if not self._empty(9):
            s = self._span(9)
            a = s >> 8
            if (s & 0xFF) - a == 6 and digits(self.buf, a, a + 6) == self._date_text:
                dz = self._date_day  # the date of the last RMC: most are
                if self._date_rolled:
                    self.stats.rollover += 1
            else:
                d = ddmmyy(self.buf, a, s & 0xFF)
                dz = self._rolled(d)
                self._date_text = digits(self.buf, a, a + 6)
                self._date_day = dz
                self._date_rolled = dz != d
        lat = lon = 0
        spd = crs = -1
        if valid:
            lat = self._angle(3, 2)
            lon = self._angle(5, 3)
            spd = -1 if self._empty(7) else self._knots(7)
            crs = -1 if self._empty(8) else self._course(8)
        self._epoch(tod)
        if dz >= 0:
            self._day = dz
        self._rmc_here = True
        self._no_rmc = 0
        self._pend = False
        if self._done:
            return
        fix = self.fix
        if valid:
            fix.lat_udeg = lat
            fix.lon_udeg = lon
            fix.speed_cms = spd
            fix.course_cdeg = crs
        fix.valid = valid
        fix.talker = self._talker()
        self._report(self._day, tod)

    def _gga(self):
        # 1 time, 2-3 lat, 4-5 lon, 6 quality, 7 sats used, 8 HDOP, 9 altitude, 10 'M', 11 geoid sep
        q = 0 if self._empty(6) else self._field(6, 0)
        if q > 9:
            raise ValueError
        valid = q > 0 and q != 6  # 6: dead reckoning
        if self._empty(1):
            self._timeless(valid)
            return
        tod = self._tod(1)
        sats = -1 if self._empty(7) else self._field(7, 0)
        hdop = -1 if self._empty(8) else self._field(8, 2)
        alt = 0 if self._empty(9) else self._sfield(9, 1)
        lat = lon = 0
        if valid:
            lat = self._angle(2, 2)
            lon = self._angle(4, 3)
        fix = self.fix
        fix.quality = q
        fix.sats_used = sats
        fix.hdop_c = hdop
        fix.alt_dm = alt
        self._position(tod, valid, lat, lon)

    def _gll(self):
        # 1-2 lat, 3-4 lon, 5 time, 6 status, 7 mode (NMEA 2.3+); NMEA 2.0 receivers send 1-4 only
        valid = self._char(6) == 0x41 and (self._empty(7) or _good_mode(self._char(7)))
        if self._empty(5):
            self._timeless(valid)
            return
        tod = self._tod(5)
        lat = lon = 0
        if valid:
            lat = self._angle(1, 2)
            lon = self._angle(3, 3)
        self._position(tod, valid, lat, lon)

    def _gns(self):
        # 1 time, 2-3 lat, 4-5 lon, 6 mode, one letter per constellation (GPS, GLONASS, Galileo, BeiDou,
        # QZSS, NavIC), 7 sats used, 8 HDOP, 9 altitude, 10 geoid sep, 11 age, 12 station, 13 nav status
        valid = False
        s = self._span(6)
        for j in range(s >> 8, s & 0xFF):
            if _good_mode(self.buf[j]):
                valid = True
        if self._empty(1):
            self._timeless(valid)
            return
        tod = self._tod(1)
        sats = -1 if self._empty(7) else self._field(7, 0)
        hdop = -1 if self._empty(8) else self._field(8, 2)
        alt = 0 if self._empty(9) else self._sfield(9, 1)
        lat = lon = 0
        if valid:
            lat = self._angle(2, 2)
            lon = self._angle(4, 3)
        fix = self.fix
        fix.sats_used = sats
        fix.hdop_c = hdop
        fix.alt_dm = alt
        self._position(tod, valid, lat, lon)

    def _vtg(self):
        # 1 COG true, 2 'T', 3 COG magnetic, 4 'M', 5 SOG kn, 6 'N', 7 SOG km/h, 8 'K', 9 mode
        cdeg = -1 if self._empty(1) else self._course(1)
        if not self._empty(7):
            cms = self._field(7, 3) // 36  # metres per hour -> cm/s
        else:
            cms = -1 if self._empty(5) else self._knots(5)
        self._vtg_cdeg = cdeg
        self._vtg_cms = cms

    def _gsa(self):
        # 1 mode M/A, 2 fix type, 3-14 satellite IDs, 15 PDOP, 16 HDOP, 17 VDOP, 18 system ID (4.10)
        t = self._field(2, 0)
        if t < 1 or t > 3:
            raise ValueError
        self.fix.fix_type = t

    def _gsv(self):
        # 1 messages, 2 message number, 3 satellites in view, then (id, elev, az, SNR) x 0..4,
        # then the signal ID in NMEA 4.10+: the field count tells which.
        nf = self._nf
        if nf < 3 or (nf - 3) % 4 > 1 or nf > 3 + 16 + 1:
            raise ValueError
        total = self._field(1, 0)
        num = self._field(2, 0)
        n = self._field(3, 0)
        if num < 1 or num > total or total > 9 or n > 99:
            raise ValueError
        c = self.buf[1]
        slot = 0
        for j in range(_N_SYS - 1):
            if _SYS_SLOT[j] == c:
                slot = j + 1
        sats = self._sats
        sats[slot] = n
        s = 0
        for j in range(_N_SYS):
            s += sats[j]
        self.fix.sats_in_view = s

    def _zda(self):
        # 1 time, 2 day, 3 month, 4 year, 5-6 local zone
        if self._empty(1) or self._empty(4):
            return  # no time yet
        tod = self._tod(1)
        z = self._rolled(day(self._digits(4, 4), self._digits(3, 2), self._digits(2, 2)))
        self._epoch(tod)
        self._day = z

    # ---- epochs ---------------------------------------------------------------------------

    def _epoch(self, tod):
        """The sentence's time tod (ms of the day) begins a new epoch unless it is the current one's: then
        a pending position of the last one is reported, and midnight passed if the clock went back 12 h."""
        if tod == self._sec:
            return
        if self._pend:
            self._report_pending()
        if not self._rmc_here and self._no_rmc < _RMC_LESS:
            self._no_rmc += 1
        if self._day >= 0 and tod < self._sec - _HALF_DAY_MS:
            self._day += 1  # midnight passed
        self._sec = tod
        self._done = False
        self._rmc_here = False

    def _report_pending(self):
        self._pend = False
        fix = self.fix
        fix.valid = self._p_valid
        if self._p_valid:
            fix.lat_udeg = self._p_lat
            fix.lon_udeg = self._p_lon
            fix.speed_cms = self._vtg_cms
            fix.course_cdeg = self._vtg_cdeg
        fix.talker = self._p_talker
        self._report(self._p_day, self._sec)

    def _position(self, tod, valid, lat, lon):
        """A GGA/GLL/GNS position: reported now from a receiver that sends no RMC, else at the end of its
        epoch unless an RMC of the same epoch comes."""
        self._epoch(tod)
        if self._done:
            return
        if self._day < 0:
            self.stats.undated += 1
            return
        if self._no_rmc >= _RMC_LESS:
            fix = self.fix
            fix.valid = valid
            if valid:
                fix.lat_udeg = lat
                fix.lon_udeg = lon
                fix.speed_cms = self._vtg_cms
                fix.course_cdeg = self._vtg_cdeg
            fix.talker = self._talker()
            self._report(self._day, tod)
        elif not self._pend or valid and not self._p_valid:
            self._pend = True
            self._p_valid = valid
            self._p_lat = lat
            self._p_lon = lon
            self._p_talker = self._talker()
            self._p_day = self._day

    def _report(self, day, tod):
        """on_fix for the epoch at day, tod (ms of the day), with what self.fix holds."""
        self._done = True
        if day < 0:
            self.stats.undated += 1
            return  # no date yet: the time cannot be placed
        fix = self.fix
        fix.utc_s = day * 86400 + tod // 1000
        fix.utc_ms = tod % 1000
        if fix.valid:
            self.stats.fixes += 1
        else:
            self.stats.no_fix += 1
        cb = self.on_fix
        if cb is not None:
            cb(fix)


def _good_mode(c):
    """An NMEA 2.3+ mode letter that means a position: A autonomous, D differential, F/R RTK,
    P precise (not N none, E dead reckoning, M manual, S simulator)."""
    return c == 0x41 or c == 0x44 or c == 0x46 or c == 0x52 or c == 0x50
