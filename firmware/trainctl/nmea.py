"""NMEA 0183 stream parser: bytes in arbitrary chunks -> one preallocated Fix per epoch.

Sentences: RMC, GGA, GLL, GNS, VTG, GSA, GSV (incl. NMEA 4.10/4.11 signal ID), ZDA, from any talker
(GP GN GL GA GB BD GQ GI ...); the field decoders are in nmeafield.py. Lines up to MAX_LINE characters
('$' to checksum, no CR/LF); '#' lines (a log's header) are skipped whole. Allocates nothing per sentence
once built: one line buffer, one field-offset table, small ints only. Bad input never reaches the caller:
sub-parsers raise ValueError, caught once per sentence and counted. One module, few names: every name costs
a board RAM in its name pools (tests/test_vboard.py).
"""

from micropython import const

from .nmeafield import angle, day, digits, hexval, num, rollover, tod_ms

MAX_LINE = const(120)  # characters from '$' to the checksum; NMEA 4.10 lines reach 82
_BUF = const(119)  # MAX_LINE without the '$'
_MAX_FIELDS = const(40)  # sentences with more are refused
_FIELDS = const(13)  # field starts found per sentence: what RMC reads (_NEED)
_HEX = const(b"0123456789abcdef")
# 1 for the bytes that end a run of plain body bytes in feed() (all but ',' to '~'), by byte value.
_STOP = const(b'\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01')

# Sentence types as 24-bit keys of their three letters.
_RMC = const(0x524D43)
_GGA = const(0x474741)
_VTG = const(0x565447)
_GSA = const(0x475341)
_GSV = const(0x475356)
_ZDA = const(0x5A4441)
_GLL = const(0x474C4C)
_GNS = const(0x474E53)

_N_KINDS = const(9)  # sentence types counted in Stats.by_kind (8 and any other)
_N_TALKERS = const(9)
# Field starts read per kind (by _KIND index), plus one: RMC 12, GGA 9, GLL 7, GNS 9, VTG 7, GSA 2, GSV 3, ZDA 4, other 0.
_NEED = const(b"\x0d\x0a\x08\x0a\x08\x03\x04\x05\x00")

# Receiver states.
_IDLE = const(0)  # at the start of a line
_BODY = const(1)  # inside a sentence
_SKIP = const(2)  # dropping the rest of a bad line
_JUNK = const(3)  # inside a line of bytes that are no sentence ('$' starts one)
_NOTE = const(4)  # inside a comment line ('#' at its start): '$' in it starts nothing


_RMC_LESS = const(2)  # epochs without RMC after which GGA/GLL/GNS are reported at once
_HALF_DAY_MS = const(43200000)

# Constellation slots for satellites in view (GSV is per constellation), by the talker's second
# letter: GL GLONASS, GA Galileo, GB/BD BeiDou, GQ QZSS, GI NavIC; anything else (GP, GN) slot 0.
# Compared byte by byte: bytes.find(int) raises TypeError before MicroPython 1.29.
_SYS_SLOT = const(b"LABDQI")
_N_SYS = const(7)


# Slots of Parser._ep.
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
_E_DATE_TEXT = const(10)
_E_DATE_DAY = const(11)
_E_DATE_ROLLED = const(12)


class Stats:
    """Counters of what the parser saw; all small ints."""

    def __init__(self):
        self.sentences = 0  # checksum good and handled (no-fix sentences included)
        self.bad_checksum = 0  # wrong or missing checksum
        self.too_long = 0  # longer than MAX_LINE
        self.unknown_type = 0  # valid but not a type we use (TXT, GBS, proprietary)
        self.bad_field = 0  # checksum good, content malformed (a signed or malformed number, a bad date)
        self.truncated = 0  # a sentence cut by a new '$' or a control byte before its line ended
        self.garbage_bytes = 0  # bytes outside any sentence (comment lines excluded)
        self.comments = 0  # lines starting with '#' (a log's header), ignored whole
        self.fixes = 0  # epochs reported with a valid position
        self.no_fix = 0  # epochs reported without a valid position, and no-fix sentences without a time
        self.undated = 0  # position epochs not reported because no date (RMC, ZDA) was seen yet
        self.rollover = 0  # dates moved forward by GPS week-rollover correction
        # Checksum-good sentences by type and talker: by_kind[kind * 9 + talker], the indexes of _KIND and
        # _TALKER below, 8 for any other (host_tools/replay_core.by_kind() names them).
        self.by_kind = [0] * (_N_KINDS * _N_TALKERS)

    def as_dict(self):
        return {
            "sentences": self.sentences,
            "bad_checksum": self.bad_checksum,
            "too_long": self.too_long,
            "unknown_type": self.unknown_type,
            "bad_field": self.bad_field,
            "truncated": self.truncated,
            "garbage_bytes": self.garbage_bytes,
            "comments": self.comments,
            "fixes": self.fixes,
            "no_fix": self.no_fix,
            "undated": self.undated,
            "rollover": self.rollover,
        }

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


class Parser:
    """Feed bytes with feed(); on_fix(fix) is called once per epoch (second) with a position sentence:
    at its RMC, or at its first GGA/GLL/GNS when the receiver sends no RMC. When RMC comes only in some
    seconds, a second without one is reported when the next begins."""

    def __init__(self, on_fix=None):
        self.buf = bytearray(_BUF)
        self.fields = [0] * _FIELDS  # start offset of each field the decoders read (see _line)
        self.stats = Stats()
        self.fix = Fix()
        self.on_fix = on_fix
        self._state = _IDLE
        self._n = 0  # bytes in buf
        self._nf = 0  # fields found
        self._star = -1  # position of '*' in buf
        self._sum = 0  # running XOR of the body (and of the checksum's digits)
        self._day = -1  # days since epoch from the last RMC/ZDA date
        self._sats = [0] * _N_SYS
        self._vtg_cms = -1
        self._vtg_cdeg = -1
        # The epoch being assembled (list slots, fewer names for a board's name pools): its time (ms of the
        # day), reported, had an RMC, epochs in a row without RMC, a GGA/GLL/GNS position pending (valid, lat,
        # lon, talker, day), the last RMC date (ddmmyy as an int, its day rollover corrected, rolled).
        self._ep = [-1, 0, 0, _RMC_LESS, 0, 0, 0, 0, 0, -1, -1, -1, 0]

    # ---- byte level -------------------------------------------------------------------

    def feed(self, data, n=-1):
        """Consume the first n bytes of data (all if n < 0). Never raises on content."""
        if n < 0:
            n = len(data)
        buf = self.buf
        st = self.stats
        state = self._state
        k = self._n
        star = self._star
        xsum = self._sum
        i = 0
        while i < n:
            if state == _BODY:
                # A run of ',' to '~' (digits, letters, '.', '-', ','; most of a sentence) while buf has room:
                # copied and summed, the checksum's digits too (_line takes them out again).
                e = i + _BUF - k
                if e > n:
                    e = n
                d = k - i  # buf[j + d] = data[j] along the run
                j = i
                for j in range(i, e):
                    b = data[j]
                    if _STOP[b]:
                        break
                    buf[j + d] = b
                    xsum ^= b
                else:
                    k = e + d
                    if e == n:
                        break
                    j = e  # buf is full: the byte after the run decides
                k = j + d
                b = data[j]
                i = j + 1
                if b == 0x0A or b == 0x0D:  # LF / CR: end of line
                    self._n = k
                    self._star = star
                    self._sum = xsum
                    self._line()
                    state = _IDLE
                elif b == 0x24:  # '$' before the end starts a new sentence; '$$' loses nothing
                    if k:
                        st.truncated += 1
                    k = xsum = 0
                    star = -1
                elif b < 0x20 or b > 0x7E:
                    st.truncated += 1
                    state = _SKIP
                elif k >= _BUF:
                    st.too_long += 1
                    state = _SKIP
                else:  # ' ' to '+' but '$'; the run's bytes when buf was full
                    buf[k] = b
                    if star < 0:
                        if b == 0x2A:  # '*'
                            star = k
                        else:
                            xsum ^= b
                    k += 1
                continue
            b = data[i]
            i += 1
            if state == _NOTE:
                if b == 0x0A or b == 0x0D:
                    state = _IDLE
            elif b == 0x24:  # '$' starts a sentence, from any other state
                state = _BODY
                k = xsum = 0
                star = -1
            elif b == 0x0A or b == 0x0D:
                state = _IDLE
            elif state == _IDLE and b == 0x23:  # '#' at a line's start: a comment line
                st.comments += 1
                state = _NOTE
            elif state != _SKIP:
                st.garbage_bytes += 1
                state = _JUNK
        self._state = state
        self._n = k
        self._star = star
        self._sum = xsum

    def _line(self):
        """buf[:_n] holds a line's body ('$' and CR/LF off), _star the position of its '*', _sum the XOR of
        its bytes but the '*' (see feed())."""
        buf = self.buf
        star = self._star
        st = self.stats
        if star < 0 or self._n != star + 3:
            st.bad_checksum += 1  # missing or malformed checksum
            return
        c1 = buf[star + 1]
        c2 = buf[star + 2]
        x = self._sum ^ c1 ^ c2  # the hex digits are in _sum: see feed()
        # Upper- or lower-case hex digits: c | 0x20 maps 'A'-'F' to 'a'-'f' and leaves digits (no control
        # byte reaches here).
        if c1 | 0x20 != _HEX[x >> 4] or c2 | 0x20 != _HEX[x & 15]:
            st.bad_checksum += 1
            return
        if buf.find(b",", 0, star) != 5 or buf[0] == 0x50:
            st.unknown_type += 1  # proprietary ($Pxxx) or not a 5-letter address
            return
        nf = buf.count(b",", 6, star) + 1
        if nf >= _MAX_FIELDS:
            st.bad_field += 1
            return
        kind = _KIND.get(buf[2] << 16 | buf[3] << 8 | buf[4], _N_KINDS - 1)
        talker = _TALKER.get(buf[0] << 8 | buf[1], _N_TALKERS - 1)
        if kind == _N_KINDS - 1 or talker == _N_TALKERS - 1:  # a known type and talker are capital letters
            for j in range(5):
                if buf[j] < 0x41 or buf[j] > 0x5A:  # the address: five capital letters
                    st.bad_field += 1
                    return
        st.by_kind[kind * _N_TALKERS + talker] += 1
        # The start of each field the decoders read (fields[i - 1] for field i; it ends at fields[i] - 1),
        # by C-level finds; absent fields as empty ones after '*'.
        f = self.fields
        f[0] = 6
        need = _NEED[kind]
        j = 5
        m = 1
        while m < need:
            j = buf.find(b",", j + 1, star)
            if j < 0:
                break
            f[m] = j + 1
            m += 1
        if m < need:
            j = star
            while m < need:
                f[m] = j + 1
                j += 1
                m += 1
        self._nf = nf
        try:
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
            elif kind == 7:
                self._zda()
            else:
                st.unknown_type += 1
                return
        except ValueError:
            st.bad_field += 1
            return
        st.sentences += 1

    def flush(self):
        """The stream ended (a replay's end of file): report a position still waiting for its epoch's end."""
        if self._ep[_E_PEND]:
            self._report_pending()

    # ---- fields: field i is buf[fields[i - 1]:fields[i] - 1] (see _line) -------------------------

    def _empty(self, i):
        f = self.fields
        return f[i] - f[i - 1] == 1

    def _char(self, i):
        """The first character of field i as an int, 0 when empty or absent."""
        f = self.fields
        a = f[i - 1]
        return self.buf[a] if f[i] - a > 1 else 0

    def _field(self, i, dec):
        """Unsigned number in field i, scaled by 10**dec."""
        f = self.fields
        return num(self.buf, f[i - 1], f[i] - 1, dec)

    def _angle(self, i, deg_digits):
        """(d)ddmm.mmmmm and hemisphere in field i+1 -> signed micro-degrees."""
        f = self.fields
        a = f[i]
        return angle(self.buf, f[i - 1], a - 1, deg_digits, self.buf[a] if f[i + 1] - a > 1 else 0)

    def _alt(self, i):
        """Altitude in field i (a sign allowed), decimetres; 0 when empty."""
        f = self.fields
        a = f[i - 1]
        e = f[i] - 1
        if e == a:
            return 0
        if self.buf[a] == 0x2D:  # '-'
            return -num(self.buf, a + 1, e, 1)
        return num(self.buf, a, e, 1)

    def _talker(self):
        buf = self.buf
        return buf[0] << 8 | buf[1]

    # ---- sentences ----------------------------------------------------------------------

    def _rmc(self):
        # 1 time, 2 status, 3-4 lat, 5-6 lon, 7 SOG kn, 8 COG, 9 date, 10-11 magvar, 12 mode, 13 nav status
        buf = self.buf
        f = self.fields
        ep = self._ep
        a = f[1]
        valid = f[2] - a > 1 and buf[a] == 0x41  # 'A'
        a = f[11]
        if valid and f[12] - a > 1:
            valid = _good_mode(buf[a])
        a = f[0]
        if f[1] - a == 1:
            if valid:
                raise ValueError  # a position without a time
            self.stats.no_fix += 1  # 'no fix yet' with empty fields
            return
        tod = tod_ms(buf, a, f[1] - 1)
        dz = -1
        a = f[8]
        e = f[9] - 1
        if e != a:
            if e - a != 6:
                raise ValueError
            v = digits(buf, a, e)  # ddmmyy; years 80..99 are 1980..1999 (GPS began in 1980)
            if v == ep[_E_DATE_TEXT]:
                dz = ep[_E_DATE_DAY]  # the date of the last RMC: most are
                if ep[_E_DATE_ROLLED]:
                    self.stats.rollover += 1
            else:
                y = v % 100
                d = day(y + 1900 if y >= 80 else y + 2000, v // 100 % 100, v // 10000)
                dz = rollover(d)
                if dz != d:
                    self.stats.rollover += 1
                ep[_E_DATE_TEXT] = v
                ep[_E_DATE_DAY] = dz
                ep[_E_DATE_ROLLED] = dz != d
        lat = lon = 0
        spd = crs = -1
        if valid:
            a = f[3]
            lat = angle(buf, f[2], a - 1, 2, buf[a] if f[4] - a > 1 else 0)
            a = f[5]
            lon = angle(buf, f[4], a - 1, 3, buf[a] if f[6] - a > 1 else 0)
            a = f[6]
            if f[7] - a > 1:
                spd = _cms(num(buf, a, f[7] - 1, 3))
            a = f[7]
            if f[8] - a > 1:
                crs = _cdeg(num(buf, a, f[8] - 1, 2))
        self._epoch(tod)
        if dz >= 0:
            self._day = dz
        ep[_E_RMC_HERE] = True
        ep[_E_NO_RMC] = 0
        ep[_E_PEND] = False
        if ep[_E_DONE]:
            return
        fix = self.fix
        if valid:
            fix.lat_udeg = lat
            fix.lon_udeg = lon
            fix.speed_cms = spd
            fix.course_cdeg = crs
        fix.valid = valid
        fix.talker = buf[0] << 8 | buf[1]
        self._report(self._day, tod)

    def _gga(self):
        # 1 time, 2-3 lat, 4-5 lon, 6 quality, 7 sats used, 8 HDOP, 9 altitude, 10 'M', 11 geoid sep
        buf = self.buf
        f = self.fields
        a = f[5]
        q = 0 if f[6] - a == 1 else num(buf, a, f[6] - 1, 0)
        if q > 9:
            raise ValueError
        valid = q > 0 and q != 6  # 6: dead reckoning
        a = f[0]
        if f[1] - a == 1:
            if valid:
                raise ValueError  # a position without a time
            self.stats.no_fix += 1  # 'no fix yet' with empty fields
            return
        tod = tod_ms(buf, a, f[1] - 1)
        a = f[6]
        sats = -1 if f[7] - a == 1 else num(buf, a, f[7] - 1, 0)
        a = f[7]
        hdop = -1 if f[8] - a == 1 else num(buf, a, f[8] - 1, 2)
        alt = self._alt(9)
        lat = lon = 0
        if valid:
            a = f[2]
            lat = angle(buf, f[1], a - 1, 2, buf[a] if f[3] - a > 1 else 0)
            a = f[4]
            lon = angle(buf, f[3], a - 1, 3, buf[a] if f[5] - a > 1 else 0)
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
            if valid:
                raise ValueError  # a position without a time
            self.stats.no_fix += 1  # 'no fix yet' with empty fields
            return
        f = self.fields
        tod = tod_ms(self.buf, f[4], f[5] - 1)
        lat = lon = 0
        if valid:
            lat = self._angle(1, 2)
            lon = self._angle(3, 3)
        self._position(tod, valid, lat, lon)

    def _gns(self):
        # 1 time, 2-3 lat, 4-5 lon, 6 mode, one letter per constellation (GPS, GLONASS, Galileo, BeiDou,
        # QZSS, NavIC), 7 sats used, 8 HDOP, 9 altitude, 10 geoid sep, 11 age, 12 station, 13 nav status
        if self._nf < 6:
            raise ValueError
        f = self.fields
        valid = False
        for j in range(f[5], f[6] - 1):
            if _good_mode(self.buf[j]):
                valid = True
        if self._empty(1):
            if valid:
                raise ValueError  # a position without a time
            self.stats.no_fix += 1  # 'no fix yet' with empty fields
            return
        tod = tod_ms(self.buf, f[0], f[1] - 1)
        sats = -1 if self._empty(7) else self._field(7, 0)
        hdop = -1 if self._empty(8) else self._field(8, 2)
        alt = self._alt(9)
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
        cdeg = -1 if self._empty(1) else _cdeg(self._field(1, 2))
        if not self._empty(7):
            cms = self._field(7, 3) // 36  # metres per hour -> cm/s
        else:
            cms = -1 if self._empty(5) else _cms(self._field(5, 3))
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
        buf = self.buf
        f = self.fields
        total = num(buf, 6, f[1] - 1, 0)
        a = f[2]
        num_ = num(buf, f[1], a - 1, 0)
        n = num(buf, a, f[3] - 1, 0)
        if num_ < 1 or num_ > total or total > 9 or n > 99:
            raise ValueError
        c = buf[1]
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
        f = self.fields
        buf = self.buf
        tod = tod_ms(buf, f[0], f[1] - 1)
        a = f[1]
        if f[2] - 1 != a + 2 or f[3] != a + 6 or f[4] - 1 != a + 10:  # dd,mm,yyyy: 2, 2, 4 characters
            raise ValueError
        d = day(digits(buf, a + 6, a + 10), digits(buf, a + 3, a + 5), digits(buf, a, a + 2))
        z = rollover(d)
        if z != d:
            self.stats.rollover += 1
        self._epoch(tod)
        self._day = z

    # ---- epochs ---------------------------------------------------------------------------

    def _epoch(self, tod):
        """The sentence's time tod (ms of the day) begins a new epoch unless it is the current one's: then
        a pending position of the last one is reported, and midnight passed if the clock went back 12 h."""
        if tod == self._ep[_E_SEC]:
            return
        if self._ep[_E_PEND]:
            self._report_pending()
        if not self._ep[_E_RMC_HERE] and self._ep[_E_NO_RMC] < _RMC_LESS:
            self._ep[_E_NO_RMC] += 1
        if self._day >= 0 and tod < self._ep[_E_SEC] - _HALF_DAY_MS:
            self._day += 1  # midnight passed
        self._ep[_E_SEC] = tod
        self._ep[_E_DONE] = False
        self._ep[_E_RMC_HERE] = False

    def _report_pending(self):
        self._ep[_E_PEND] = False
        fix = self.fix
        fix.valid = self._ep[_E_P_VALID] == 1
        if self._ep[_E_P_VALID]:
            fix.lat_udeg = self._ep[_E_P_LAT]
            fix.lon_udeg = self._ep[_E_P_LON]
            fix.speed_cms = self._vtg_cms
            fix.course_cdeg = self._vtg_cdeg
        fix.talker = self._ep[_E_P_TALKER]
        self._report(self._ep[_E_P_DAY], self._ep[_E_SEC])

    def _position(self, tod, valid, lat, lon):
        """A GGA/GLL/GNS position: reported now from a receiver that sends no RMC, else at the end of its
        epoch unless an RMC of the same epoch comes."""
        self._epoch(tod)
        if self._ep[_E_DONE]:
            return
        if self._day < 0:
            self.stats.undated += 1
            return
        if self._ep[_E_NO_RMC] >= _RMC_LESS:
            fix = self.fix
            fix.valid = valid
            if valid:
                fix.lat_udeg = lat
                fix.lon_udeg = lon
                fix.speed_cms = self._vtg_cms
                fix.course_cdeg = self._vtg_cdeg
            fix.talker = self._talker()
            self._report(self._day, tod)
        elif not self._ep[_E_PEND] or valid and not self._ep[_E_P_VALID]:
            self._ep[_E_PEND] = True
            self._ep[_E_P_VALID] = 1 if valid else 0
            self._ep[_E_P_LAT] = lat
            self._ep[_E_P_LON] = lon
            self._ep[_E_P_TALKER] = self._talker()
            self._ep[_E_P_DAY] = self._day

    def _report(self, day, tod):
        """on_fix for the epoch at day, tod (ms of the day), with what self.fix holds."""
        self._ep[_E_DONE] = True
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

def _cms(mkn):
    """Knots with 3 decimals -> cm/s (1 kn = 463/900 m/s exactly)."""
    if mkn > 999999:
        raise ValueError
    return mkn * 463 // 9000


def _cdeg(v):
    """Course over ground, centidegrees, at most 360."""
    if v > 36000:
        raise ValueError
    return v


def _good_mode(c):
    """An NMEA 2.3+ mode letter that means a position: A autonomous, D differential, F/R RTK,
    P precise (not N none, E dead reckoning, M manual, S simulator)."""
    return c == 0x41 or c == 0x44 or c == 0x46 or c == 0x52 or c == 0x50


# Sentence type key -> index in KINDS; talker key (two letters) -> index in TALKERS.
_KIND = {_RMC: 0, _GGA: 1, _GLL: 2, _GNS: 3, _VTG: 4, _GSA: 5, _GSV: 6, _ZDA: 7}
_TALKER = {0x4750: 0, 0x474E: 1, 0x474C: 2, 0x4741: 3, 0x4742: 4, 0x4244: 5, 0x4751: 6, 0x4749: 7}
