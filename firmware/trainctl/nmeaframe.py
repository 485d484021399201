"""NMEA 0183 framing: bytes in arbitrary chunks -> checksum-good sentences with their field offsets, counted.

Lines up to MAX_LINE characters ('$' to checksum, no CR/LF); '#' lines (a log's header) are skipped whole.
Allocates nothing per sentence once built: one line buffer, one field-offset table, small ints only.
"""

from micropython import const

from . import nmeafield as F

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
_GLL = const(0x474C4C)
_GNS = const(0x474E53)

# Statistics by sentence type and talker (Stats.by_kind): three letters per kind, two per talker;
# the last of each ('---', '--') is everything else.
KINDS = b"RMCGGAGLLGNSVTGGSAGSVZDA---"
N_KINDS = const(9)
TALKERS = b"GPGNGLGAGBBDGQGI--"
N_TALKERS = const(9)

# Receiver states.
_IDLE = const(0)  # at the start of a line
_BODY = const(1)  # inside a sentence
_SKIP = const(2)  # dropping the rest of a bad line
_JUNK = const(3)  # inside a line of bytes that are no sentence ('$' starts one)
_NOTE = const(4)  # inside a comment line ('#' at its start): '$' in it starts nothing


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
        # Checksum-good sentences by type (KINDS) and talker (TALKERS): kind * N_TALKERS + talker.
        self.by_kind = [0] * (N_KINDS * N_TALKERS)

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

    def kinds(self):
        """{'GNRMC': count, ...} of the nonzero by_kind counters (allocates: for summaries)."""
        out = {}
        for k in range(N_KINDS):
            for t in range(N_TALKERS):
                n = self.by_kind[k * N_TALKERS + t]
                if n:
                    out[TALKERS[2 * t : 2 * t + 2].decode() + KINDS[3 * k : 3 * k + 3].decode()] = n
        return out


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


class Framer:
    """The byte level of Parser (nmea.py): finds sentences, checks them, calls the subclass's sentence
    methods (_rmc, _gga, ...), catching their ValueError once per sentence."""

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
        self._sum = 0  # running XOR of the body (and of the checksum's digits)

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
                if b > 0x2C and b < 0x7F and k < _BUF:  # digits, letters, '.', '-': most of a sentence
                    buf[k] = b
                    xsum ^= b  # also the checksum's two digits: _line takes them out again
                    k += 1
                elif b == 0x0A or b == 0x0D:  # LF / CR: end of line
                    self._n = k
                    self._nf = nf
                    self._star = star
                    self._sum = xsum
                    self._line()
                    state = _IDLE
                elif b == 0x24:  # '$' before the end starts a new sentence; '$$' loses nothing
                    if k:
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
            elif state == _NOTE:
                if b == 0x0A or b == 0x0D:
                    state = _IDLE
            elif b == 0x24:  # '$' starts a sentence, from any other state
                state = _BODY
                k = nf = xsum = 0
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
        c1 = buf[star + 1]
        c2 = buf[star + 2]
        hi = F.hexval(c1)
        lo = F.hexval(c2)
        if hi < 0 or lo < 0 or (hi << 4 | lo) != self._sum ^ c1 ^ c2:  # hex digits are in _sum: see feed()
            st.bad_checksum += 1
            return
        nf = self._nf
        if nf == 0 or self.fields[0] != 6 or buf[0] == 0x50:
            st.unknown_type += 1  # proprietary ($Pxxx) or not a 5-letter address
            return
        if nf >= _MAX_FIELDS or not F.upper5(buf):
            st.bad_field += 1
            return
        self.fields[nf] = star + 1  # sentinel: the field after the last ends before '*'
        key = buf[2] << 16 | buf[3] << 8 | buf[4]
        kind = _KIND.get(key, N_KINDS - 1)
        st.by_kind[kind * N_TALKERS + _TALKER.get(buf[0] << 8 | buf[1], N_TALKERS - 1)] += 1
        if kind == N_KINDS - 1:
            st.unknown_type += 1
            return
        try:
            self._sentence(kind)
        except ValueError:
            st.bad_field += 1
            return
        st.sentences += 1

    def _sentence(self, kind):
        """Decode the sentence in buf of type KINDS[kind] (the subclass does); ValueError if malformed."""
        if kind >= 0:
            raise ValueError


# Sentence type key -> index in KINDS; talker key (two letters) -> index in TALKERS.
_KIND = {_RMC: 0, _GGA: 1, _GLL: 2, _GNS: 3, _VTG: 4, _GSA: 5, _GSV: 6, _ZDA: 7}
_TALKER = {0x4750: 0, 0x474E: 1, 0x474C: 2, 0x4741: 3, 0x4742: 4, 0x4244: 5, 0x4751: 6, 0x4749: 7}
