"""NMEA 0183 stream parser: bytes in arbitrary chunks -> one preallocated Fix per epoch.

Sentences: RMC, GGA, VTG, GSA, GSV (incl. NMEA 4.10/4.11 signal ID), ZDA, from any talker
(GP GN GL GA GB BD GQ GI ...). Lines up to MAX_LINE characters ('$' to checksum, no CR/LF).
Allocates nothing per sentence once built: one line buffer, one field-offset table, small ints only.
Bad input never reaches the caller: sub-parsers raise ValueError, caught once per sentence and counted.
"""

from micropython import const

from .clock import epoch_days

MAX_LINE = const(120)  # characters from '$' to the checksum; NMEA 4.10 lines reach 82
_BUF = const(119)  # MAX_LINE without the '$'
_MAX_FIELDS = const(40)

# Sentence types as 24-bit keys of their three letters.
_RMC = const(0x524D43)
_GGA = const(0x474741)
_VTG = const(0x565447)
_GSA = const(0x475341)
_GSV = const(0x475356)
_ZDA = const(0x5A4441)

# Receiver states.
_IDLE = const(0)  # between sentences
_BODY = const(1)  # inside a sentence
_SKIP = const(2)  # dropping the rest of a bad line

# Constellation slots for satellites in view (GSV is per constellation), by the talker's second
# letter: GL GLONASS, GA Galileo, GB/BD BeiDou, GQ QZSS, GI NavIC; anything else (GP, GN) slot 0.
_SYS_SLOT = const(b"LABDQI")
_N_SYS = const(7)


class Stats:
    """Counters of what the parser saw; all small ints."""

    def __init__(self):
        self.sentences = 0  # checksum good and handled
        self.bad_checksum = 0  # wrong or missing checksum
        self.too_long = 0  # longer than MAX_LINE
        self.unknown_type = 0  # valid but not a type we use (GLL, TXT, proprietary)
        self.bad_field = 0  # checksum good, content malformed
        self.truncated = 0  # a new '$' or a control byte before the line ended
        self.garbage_bytes = 0  # bytes outside any sentence
        self.fixes = 0  # epochs reported with a valid position
        self.no_fix = 0  # epochs reported without a valid position

    def as_dict(self):
        return {
            "sentences": self.sentences,
            "bad_checksum": self.bad_checksum,
            "too_long": self.too_long,
            "unknown_type": self.unknown_type,
            "bad_field": self.bad_field,
            "truncated": self.truncated,
            "garbage_bytes": self.garbage_bytes,
            "fixes": self.fixes,
            "no_fix": self.no_fix,
        }


class Fix:
    """One epoch as the receiver reported it. Units in the names; -1 means not reported."""

    def __init__(self):
        self.utc_s = -1  # seconds since 2020-01-01T00:00:00Z
        self.utc_ms = 0
        self.valid = False  # position valid (RMC status A, mode not N/E/M/S; or GGA quality > 0)
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


class Parser:
    """Feed bytes with feed(); on_fix(fix) is called once per RMC (or per GGA when no RMC comes)."""

    def __init__(self, on_fix=None):
        self.buf = bytearray(_BUF)
        self.fields = [0] * (_MAX_FIELDS + 1)  # start offset of each field in buf
        self.stats = Stats()
        self.fix = Fix()
        self.on_fix = on_fix
        self._state = _IDLE
        self._n = 0  # bytes in buf
        self._nf = 0  # fields found
        self._star = -1  # position of '*' in buf
        self._sum = 0  # running XOR of the body
        self._day = -1  # days since epoch from the last RMC/ZDA date
        self._tod_prev = -1  # last time of day seen, for the GGA-only day rollover
        self._gga_run = 0  # GGA sentences since the last RMC
        self._sats = [0] * _N_SYS
        self._vtg_cms = -1
        self._vtg_cdeg = -1

    # ---- byte level -------------------------------------------------------------------

    def feed(self, data, n=-1):
        """Consume the first n bytes of data (all if n < 0). Never raises on content."""
        if n < 0:
            n = len(data)
        buf = self.buf
        fields = self.fields
        st = self.stats
        state = self._state
        k = self._n
        nf = self._nf
        star = self._star
        xsum = self._sum
        for i in range(n):
            b = data[i]
            if state == _BODY:
                if b == 0x0A or b == 0x0D:  # LF / CR: end of line
                    self._n = k
                    self._nf = nf
                    self._star = star
                    self._sum = xsum
                    self._line()
                    state = _IDLE
                elif b == 0x24:  # '$' before the end: the previous line was cut
                    st.truncated += 1
                    k = nf = xsum = 0
                    star = -1
                elif b < 0x20 or b > 0x7E:
                    st.truncated += 1
                    state = _SKIP
                elif k >= _BUF:
                    st.too_long += 1
                    state = _SKIP
                else:
                    buf[k] = b
                    if star < 0:
                        if b == 0x2A:  # '*'
                            star = k
                        else:
                            xsum ^= b
                            if b == 0x2C and nf < _MAX_FIELDS:  # ','
                                fields[nf] = k + 1
                                nf += 1
                    k += 1
            elif b == 0x24:  # '$' starts a sentence, from any state
                state = _BODY
                k = nf = xsum = 0
                star = -1
            elif state == _SKIP:
                if b == 0x0A or b == 0x0D:
                    state = _IDLE
            elif b != 0x0A and b != 0x0D:
                st.garbage_bytes += 1
        self._state = state
        self._n = k
        self._nf = nf
        self._star = star
        self._sum = xsum

    def _line(self):
        buf = self.buf
        star = self._star
        n = self._n
        st = self.stats
        if star < 0 or n != star + 3:
            st.bad_checksum += 1  # missing or malformed checksum
            return
        hi = _hexval(buf[star + 1])
        lo = _hexval(buf[star + 2])
        if hi < 0 or lo < 0 or (hi << 4 | lo) != self._sum:
            st.bad_checksum += 1
            return
        nf = self._nf
        if nf == 0 or self.fields[0] != 6 or buf[0] == 0x50:
            st.unknown_type += 1  # proprietary ($Pxxx) or not a 5-letter address
            return
        if nf >= _MAX_FIELDS or not _upper5(buf):
            st.bad_field += 1
            return
        self.fields[nf] = star + 1  # sentinel: the field after the last ends before '*'
        key = buf[2] << 16 | buf[3] << 8 | buf[4]
        try:
            if key == _RMC:
                self._rmc()
            elif key == _GGA:
                self._gga()
            elif key == _GSV:
                self._gsv()
            elif key == _VTG:
                self._vtg()
            elif key == _GSA:
                self._gsa()
            elif key == _ZDA:
                self._zda()
            else:
                st.unknown_type += 1
                return
        except ValueError:
            st.bad_field += 1
            return
        st.sentences += 1

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
        """The single character of field i as an int, 0 when empty."""
        s = self._span(i)
        a = s >> 8
        return self.buf[a] if (s & 0xFF) > a else 0

    def _num(self, a, e, dec):
        """Decimal text buf[a:e] as an int scaled by 10**dec (extra digits truncated)."""
        buf = self.buf
        if a >= e:
            raise ValueError
        neg = buf[a] == 0x2D  # '-'
        if neg:
            a += 1
            if a >= e:
                raise ValueError
        v = 0
        frac = -1  # digits seen after the point, -1 before it
        for j in range(a, e):
            c = buf[j]
            if c == 0x2E:  # '.'
                if frac >= 0:
                    raise ValueError
                frac = 0
            elif 0x30 <= c <= 0x39:
                if frac < 0:
                    v = v * 10 + c - 0x30
                    if v > 99999999:
                        raise ValueError
                elif frac < dec:
                    v = v * 10 + c - 0x30
                    frac += 1
            else:
                raise ValueError
        if frac < 0:
            frac = 0
        while frac < dec:
            v *= 10
            frac += 1
        return -v if neg else v

    def _field(self, i, dec):
        s = self._span(i)
        return self._num(s >> 8, s & 0xFF, dec)

    def _tod(self, i):
        """hhmmss[.sss] -> seconds of day; milliseconds into fix.utc_ms."""
        s = self._span(i)
        a = s >> 8
        e = s & 0xFF
        if e - a < 6:
            raise ValueError
        hh = self._num(a, a + 2, 0)
        mm = self._num(a + 2, a + 4, 0)
        ss = self._num(a + 4, a + 6, 0)
        ms = 0
        scale = 100
        for j in range(a + 7, e):  # fraction of a second, digits after the point
            c = self.buf[j]
            if c < 0x30 or c > 0x39:
                raise ValueError
            ms += (c - 0x30) * scale
            scale //= 10
        if hh > 23 or mm > 59 or ss > 60 or e > a + 6 and self.buf[a + 6] != 0x2E:
            raise ValueError
        self.fix.utc_ms = ms
        return hh * 3600 + mm * 60 + ss

    def _angle(self, i, deg_digits):
        """(d)ddmm.mmmmm and hemisphere in field i+1 -> signed micro-degrees."""
        s = self._span(i)
        a = s >> 8
        e = s & 0xFF
        if e - a < deg_digits + 2:
            raise ValueError
        deg = self._num(a, a + deg_digits, 0)
        min_e6 = self._num(a + deg_digits, e, 6)
        if min_e6 >= 60000000 or min_e6 < 0:
            raise ValueError
        v = deg * 1000000 + (min_e6 + 30) // 60
        return _hemisphere(v, deg_digits, self._char(i + 1))

    def _date(self, i):
        """ddmmyy -> days since epoch."""
        s = self._span(i)
        a = s >> 8
        if (s & 0xFF) - a != 6:
            raise ValueError
        d = self._num(a, a + 2, 0)
        m = self._num(a + 2, a + 4, 0)
        y = 2000 + self._num(a + 4, a + 6, 0)
        return epoch_days(y, m, d)

    def _knots(self, i):
        """Knots with 3 decimals -> cm/s (1 kn = 463/900 m/s exactly)."""
        mkn = self._field(i, 3)
        if mkn < 0 or mkn > 999999:
            raise ValueError
        return mkn * 463 // 9000

    def _course(self, i):
        v = self._field(i, 2)
        if v < 0 or v > 36000:
            raise ValueError
        return v

    def _talker(self):
        buf = self.buf
        return buf[0] << 8 | buf[1]

    # ---- sentences ----------------------------------------------------------------------

    def _rmc(self):
        # 1 time, 2 status, 3-4 lat, 5-6 lon, 7 SOG kn, 8 COG, 9 date, 10-11 magvar, 12 mode, 13 nav status
        fix = self.fix
        tod = self._tod(1)
        if not self._empty(9):
            self._day = self._date(9)
        self._tod_prev = tod
        self._gga_run = 0
        valid = self._char(2) == 0x41  # 'A'
        if valid and not self._empty(12):
            mode = self._char(12)
            # A autonomous, D differential, F/R RTK, P precise; N none, E dead reckoning, M manual, S sim
            valid = mode == 0x41 or mode == 0x44 or mode == 0x46 or mode == 0x52 or mode == 0x50
        if valid:
            lat = self._angle(3, 2)
            lon = self._angle(5, 3)
            fix.lat_udeg = lat
            fix.lon_udeg = lon
            fix.speed_cms = -1 if self._empty(7) else self._knots(7)
            fix.course_cdeg = -1 if self._empty(8) else self._course(8)
        fix.valid = valid
        fix.talker = self._talker()
        self._emit(tod)

    def _gga(self):
        # 1 time, 2-3 lat, 4-5 lon, 6 quality, 7 sats used, 8 HDOP, 9 altitude, 10 'M', 11 geoid sep
        tod = self._tod(1)
        q = 0 if self._empty(6) else self._field(6, 0)
        if q < 0 or q > 9:
            raise ValueError
        sats = -1 if self._empty(7) else self._field(7, 0)
        hdop = -1 if self._empty(8) else self._field(8, 2)
        alt = 0 if self._empty(9) else self._field(9, 1)
        lat = lon = 0
        if q > 0 and q != 6:  # 6: dead reckoning
            lat = self._angle(2, 2)
            lon = self._angle(4, 3)
        self._gga_epoch(tod, q, sats, hdop, alt, lat, lon)

    def _gga_epoch(self, tod, q, sats, hdop, alt, lat, lon):
        """Keep a parsed GGA; a receiver that sends no RMC gets its fixes reported from GGA."""
        fix = self.fix
        fix.quality = q
        fix.sats_used = sats
        fix.hdop_c = hdop
        fix.alt_dm = alt
        self._gga_run += 1
        if self._gga_run < 3:
            return
        # No RMC for three GGA in a row: this receiver talks GGA only; report fixes from it.
        if self._tod_prev >= 0 and tod < self._tod_prev and self._day >= 0:
            self._day += 1  # midnight passed
        self._tod_prev = tod
        fix.valid = q > 0 and q != 6
        if fix.valid:
            fix.lat_udeg = lat
            fix.lon_udeg = lon
            fix.speed_cms = self._vtg_cms
            fix.course_cdeg = self._vtg_cdeg
        fix.talker = self._talker()
        self._emit(tod)

    def _emit(self, tod):
        fix = self.fix
        if self._day < 0:
            return  # no date yet: the time cannot be placed
        fix.utc_s = self._day * 86400 + tod
        if fix.valid:
            self.stats.fixes += 1
        else:
            self.stats.no_fix += 1
        cb = self.on_fix
        if cb is not None:
            cb(fix)

    def _vtg(self):
        # 1 COG true, 2 'T', 3 COG magnetic, 4 'M', 5 SOG kn, 6 'N', 7 SOG km/h, 8 'K', 9 mode
        self._vtg_cdeg = -1 if self._empty(1) else self._course(1)
        if not self._empty(7):
            v = self._field(7, 3)  # metres per hour
            if v < 0:
                raise ValueError
            self._vtg_cms = v // 36
        else:
            self._vtg_cms = -1 if self._empty(5) else self._knots(5)

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
        if num < 1 or num > total or total > 9 or n < 0 or n > 99:
            raise ValueError
        self._sats[_SYS_SLOT.find(self.buf[1]) + 1] = n
        s = 0
        for j in range(_N_SYS):
            s += self._sats[j]
        self.fix.sats_in_view = s

    def _zda(self):
        # 1 time, 2 day, 3 month, 4 year, 5-6 local zone
        tod = self._tod(1)
        self._day = epoch_days(self._field(4, 0), self._field(3, 0), self._field(2, 0))
        self._tod_prev = tod


def _hemisphere(v, deg_digits, h):
    """Micro-degrees v signed by hemisphere letter h (N/S for latitude, E/W for longitude), range checked."""
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


def _upper5(buf):
    for j in range(5):
        c = buf[j]
        if c < 0x41 or c > 0x5A:
            return False
    return True


def _hexval(c):
    if 0x30 <= c <= 0x39:
        return c - 0x30
    if 0x41 <= c <= 0x46:
        return c - 0x37
    if 0x61 <= c <= 0x66:  # lower case, which some receivers send
        return c - 0x57
    return -1
