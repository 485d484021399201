"""NMEA 0183 stream parser: bytes in arbitrary chunks -> one preallocated Fix per epoch.

Sentences: RMC, GGA, GLL, GNS, VTG, GSA, GSV (incl. NMEA 4.10/4.11 signal ID), ZDA, from any talker
(GP GN GL GA GB BD GQ GI ...). Here the bytes become checked lines; the sentence decoders are in
nmeasent.py, the field decoders in nmeafield.py, the epoch assembly in nmeaepoch.py. Lines up to MAX_LINE
characters ('$' to checksum, no CR/LF); '#' lines (a log's header) are skipped whole. Allocates nothing per
sentence once built: one line buffer, one field-offset table, small ints only. Bad input never reaches the
caller: sub-parsers raise ValueError, caught once per sentence and counted. Few names: every name costs a
board RAM in its name pools (tests/vboard/test_vboard.py).
"""

from micropython import const

from .nmeaepoch import Fix, _report_pending
from .nmeasent import _DECODE

MAX_LINE = const(120)  # characters from '$' to the checksum; NMEA 4.10 lines reach 82
_BUF = const(119)  # MAX_LINE without the '$'
_MAX_FIELDS = const(40)  # sentences with more are refused
_FIELDS = const(13)  # field starts found per sentence: what RMC reads (_NEED)
_HEX = const(b"0123456789abcdef")
# 1 for the bytes that end a run of body bytes in feed() (control bytes, '$' and those above '~') and for ','
# (noted there, and the run goes on).
_STOP = const(  # bytes(1 if b < 0x20 or b == 0x24 or b == 0x2C or b > 0x7E else 0 for b in range(256))
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    b"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"
)

_N_KINDS = const(9)  # sentence types counted in Stats.by_kind (8 and any other)
_N_TALKERS = const(9)
# Field starts read per kind (by _KIND index), plus one: RMC 12, GGA 9, GLL 7, GNS 9, VTG 7, GSA 2, GSV 3, ZDA 4,
# other 0.
_NEED = const(b"\x0d\x0a\x08\x0a\x08\x03\x04\x05\x00")

# Receiver states.
_IDLE = const(0)  # at the start of a line
_BODY = const(1)  # inside a sentence
_SKIP = const(2)  # dropping the rest of a bad line
_JUNK = const(3)  # inside a line of bytes that are no sentence ('$' starts one)
_NOTE = const(4)  # inside a comment line ('#' at its start): '$' in it starts nothing

_RMC_LESS = const(2)  # nmeaepoch._RMC_LESS
_N_SYS = const(7)  # constellation slots of _sats (nmeasent._gsv)


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
        # _TALKER below, 8 for any other (host_tools/replay/core.py by_kind() names them).
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

class Parser:
    """Feed bytes with feed(); on_fix(fix) is called once per epoch (second) with a position sentence:
    at its RMC, or at its first GGA/GLL/GNS when the receiver sends no RMC. When RMC comes only in some
    seconds, a second without one is reported when the next begins."""

    def __init__(self, on_fix=None):
        self.buf = bytearray(_BUF)
        self.fields = [0] * (_FIELDS + 1)  # start offset of each field the decoders read (see _line)
        self.stats = Stats()
        self.fix = Fix()
        self.on_fix = on_fix
        self._state = _IDLE
        self._n = 0  # bytes in buf
        self._nf = 0  # commas so far in the line (its fields after the address, once _line has it)
        self._sum = 0  # running XOR of the line's bytes
        self._day = -1  # days since epoch from the last RMC/ZDA date
        self._sats = [0] * (_N_SYS + 1)  # satellites in view by constellation, and their sum
        self._vtg_cms = -1
        self._vtg_cdeg = -1
        # The epoch being assembled (nmeaepoch._E_*), then the last RMC date (ddmmyy as an int, its day
        # rollover corrected, rolled).
        self._ep = [-1, 0, 0, _RMC_LESS, 0, 0, 0, 0, 0, -1, -1, -1, 0]

    # ---- byte level -------------------------------------------------------------------

    def feed(self, data, n=-1):
        """Consume the first n bytes of data (all if n < 0). Never raises on content."""
        if n < 0:
            n = len(data)
        buf = self.buf
        f = self.fields
        k = self._n
        xsum = self._sum
        nc = self._nf
        i = 0
        while i < n:
            if self._state != _BODY:
                i = self._outside(data, i, n)
                k = xsum = nc = 0
                continue
            # A run of printable bytes but '$' while buf has room: copied and summed ('*' and checksum: _line);
            # each comma's next offset noted in fields (the first _FIELDS; the slot after them takes the rest).
            e = i + _BUF - k
            if e > n:
                e = n
            d = k - i  # buf[j + d] = data[j] along the run
            j = i
            for j in range(i, e - 1, 2):  # two bytes a turn: half the loop steps
                b = data[j]
                if _STOP[b]:
                    if b != 0x2C:
                        break
                    f[nc if nc < _FIELDS else _FIELDS] = j + d + 1
                    nc += 1
                buf[j + d] = b
                xsum ^= b
                b = data[j + 1]
                if _STOP[b]:
                    if b != 0x2C:
                        j += 1
                        break
                    f[nc if nc < _FIELDS else _FIELDS] = j + d + 2
                    nc += 1
                buf[j + d + 1] = b
                xsum ^= b
            else:
                j = e - (e - i) % 2  # the byte left when the run is odd
                if j < e and (data[j] == 0x2C or not _STOP[data[j]]):  # unless it ends the run
                    b = data[j]
                    if b == 0x2C:
                        f[nc if nc < _FIELDS else _FIELDS] = j + d + 1
                        nc += 1
                    buf[j + d] = b
                    xsum ^= b
                    j += 1
                if j == n:  # the chunk ends in the run (at j == e < n, buf is full: the next byte decides)
                    k = j + d
                    break
            self._end(data[j], j + d, xsum, nc)  # any end leaves nothing to carry
            k = xsum = nc = 0
            i = j + 1
        self._n = k
        self._sum = xsum
        self._nf = nc

    def _end(self, b, k, x, n):
        """A run of body bytes ended at byte b, with k bytes in buf, x their XOR and n commas (argument names that
        the firmware has elsewhere: no new entries in a board's name pools)."""
        if b == 0x0A or b == 0x0D:  # LF / CR: end of line
            self._n = k
            self._sum = x
            self._nf = n
            self._line()
            self._state = _IDLE
        elif b == 0x24:  # '$' before the end starts a new sentence; '$$' loses nothing
            if k:
                self.stats.truncated += 1
        elif b < 0x20 or b > 0x7E:  # a control byte, or one above '~'
            self.stats.truncated += 1
            self._state = _SKIP
        else:  # one byte more than buf holds
            self.stats.too_long += 1
            self._state = _SKIP

    def _outside(self, data, i, n):
        """Bytes outside a sentence from data[i] on: to just after a '$' (_state is then _BODY), or to n."""
        state = self._state
        while i < n:
            b = data[i]
            i += 1
            if state == _NOTE:
                if b == 0x0A or b == 0x0D:
                    state = _IDLE
            elif b == 0x24:  # '$' starts a sentence, from any other state
                state = _BODY
                break
            elif b == 0x0A or b == 0x0D:
                state = _IDLE
            elif state == _IDLE and b == 0x23:  # '#' at a line's start: a comment line
                self.stats.comments += 1
                state = _NOTE
            elif state != _SKIP:
                self.stats.garbage_bytes += 1
                state = _JUNK
        self._state = state
        return i

    def _line(self):
        """buf[:_n] holds a line's body ('$' and CR/LF off), _sum the XOR of all its bytes (see feed())."""
        buf = self.buf
        st = self.stats
        star = buf.find(b"*", 0, self._n)
        if star < 0 or self._n != star + 3:
            st.bad_checksum += 1  # missing or malformed checksum
            return
        c1 = buf[star + 1]
        c2 = buf[star + 2]
        x = self._sum ^ 0x2A ^ c1 ^ c2  # the XOR of the bytes before the '*'
        # Upper- or lower-case hex digits: c | 0x20 maps 'A'-'F' to 'a'-'f' and leaves digits (no control
        # byte reaches here).
        if c1 | 0x20 != _HEX[x >> 4] or c2 | 0x20 != _HEX[x & 15]:
            st.bad_checksum += 1
            return
        nf = self._nf  # the commas before '*' (none follows it here): fields after the address
        f = self.fields
        if not nf or f[0] != 6 or buf[0] == 0x50:
            st.unknown_type += 1  # proprietary ($Pxxx) or not a 5-letter address
            return
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
        # fields[i - 1] is the start of field i (it ends at fields[i] - 1), noted by feed(); the fields the
        # decoders read that the line lacks, as empty ones after '*'.
        for j in range(nf, _NEED[kind]):
            star += 1
            f[j] = star
        if kind == _N_KINDS - 1:
            st.unknown_type += 1
            return
        try:
            _DECODE[kind](self)
        except ValueError:
            st.bad_field += 1
            return
        st.sentences += 1

    def flush(self):
        """The stream ended (a replay's end of file): report a position still waiting for its epoch's end."""
        if self._ep[4]:  # a position pending (nmeaepoch._E_PEND)
            _report_pending(self)


# Sentence type (its three letters as a 24-bit key: RMC GGA GLL GNS VTG GSA GSV ZDA) -> index in KINDS;
# talker key (two letters) -> index in TALKERS.
_KIND = {0x524D43: 0, 0x474741: 1, 0x474C4C: 2, 0x474E53: 3, 0x565447: 4, 0x475341: 5, 0x475356: 6, 0x5A4441: 7}
_TALKER = {0x4750: 0, 0x474E: 1, 0x474C: 2, 0x4741: 3, 0x4742: 4, 0x4244: 5, 0x4751: 6, 0x4749: 7}
