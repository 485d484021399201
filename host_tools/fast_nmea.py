"""The firmware's NMEA parser on C-level bytes operations, for CPython (host tools, tests).

FastParser gives exactly what trainctl.nmea.Parser gives for any bytes in any chunking: the same on_fix
calls with the same Fix values, the same Stats, the same state carried across feed() calls
(tests/test_nmea_paths.py runs both on random streams; tests/test_mp_core.py compares whole journeys
replayed with it on CPython against the firmware's own parser on MicroPython, byte for byte).
It lives on the host because the board never runs it: its bytecode would cost flash and RAM there.
"""

import re

from host_tools import paths

paths.use_firmware()

from trainctl.clock import epoch_days as _days  # noqa: E402
from trainctl.nmea import (  # noqa: E402  (private names: this module mirrors that one)
    _BODY,
    _BUF,
    _IDLE,
    _MAX_FIELDS,
    _SKIP,
    _SYS_SLOT,
    Parser,
    _hemisphere,
    _hexval,
)

# ---- CPython: the same parser on C-level bytes operations ---------------------------------
# FastParser gives exactly what Parser gives for any bytes in any chunking: the same on_fix
# calls with the same Fix values, the same Stats, the same state carried across feed() calls.
# Its field methods return or raise ValueError exactly as Parser's, with the same side effects
# in the same order. tests/test_nmea_paths.py runs both on random streams. Allocates freely.
# A sentence start: line ends, then '$' and the run of body bytes (printable, not '$') after it.
_SENTENCE = re.compile(rb"[\r\n]*\$([\x20-\x23\x25-\x7e]*)").match
# Whole lines: line ends, '$', at most _BUF body bytes, CR or LF.
_LINES = re.compile(rb"[\r\n]*\$([\x20-\x23\x25-\x7e]{0,%d})[\r\n]" % _BUF).finditer
# The first byte that ends a run of body bytes: CR, LF, '$', a control byte or one above 0x7E.
_STOP = re.compile(rb"[^\x20-\x23\x25-\x7e]").search
# Dropping a bad line: it ends at CR or LF, or a '$' starts the next sentence.
_RESUME = re.compile(rb"[\r\n$]").search
# The two characters after '*' -> their value, for every pair _hexval takes (either case).
_HEXDIGITS = b"0123456789ABCDEFabcdef"
_CHECKSUM = {bytes((a, b)): _hexval(a) << 4 | _hexval(b) for a in _HEXDIGITS for b in _HEXDIGITS}
_P10 = (1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000)

def _num_c(t, dec):
    """Parser._num of the field text t."""
    if t.isdigit():  # ASCII digits only, not empty
        v = int(t)
        if v > 99999999:
            raise ValueError
        return v * _P10[dec]
    d = t.find(b".")
    if 0 <= d < 9:  # digits '.' digits, at most 8 before the point: no overflow to test
        u = t.replace(b".", b"", 1)
        if u.isdigit():
            f = len(u) - d  # digits after the point
            if f <= dec:
                return int(u) * _P10[dec - f]
            return int(u) // 10 ** (f - dec)  # digits beyond dec dropped, as Parser does
    neg = t.startswith(b"-")
    if neg:
        t = t[1:]
    if not t:
        raise ValueError
    ip, _, fp = t.partition(b".")
    v = 0
    if ip:
        if not ip.isdigit():
            raise ValueError
        v = int(ip)
        if v > 99999999:
            raise ValueError
    v *= _P10[dec]
    if fp:
        if not fp.isdigit():  # also a second '.'
            raise ValueError
        if dec:
            f = fp[:dec]
            v += int(f) * _P10[dec - len(f)]
    return -v if neg else v

def _field_c(parts, nf, i, dec):
    """Parser._field."""
    if i > nf:
        raise ValueError
    t = parts[i]
    if not t:
        raise ValueError
    return _num_c(t, dec)

def _tod_c(t, fix):
    """Parser._tod of the field text t."""
    e = len(t)
    if e < 6:
        raise ValueError
    s = t[:6]
    if s.isdigit():
        v = int(s)
        hh = v // 10000
        mm = v // 100 % 100
        ss = v % 100
    else:
        hh = _num_c(t[0:2], 0)
        mm = _num_c(t[2:4], 0)
        ss = _num_c(t[4:6], 0)
    ms = 0
    if e > 6:
        if t[6] != 0x2E:  # '.'
            raise ValueError
        if e > 7:
            s = t[7:]
            if not s.isdigit():
                raise ValueError
            s = s[:3]
            ms = int(s) * _P10[3 - len(s)]
    if hh > 23 or mm > 59 or ss > 60:
        raise ValueError
    fix.utc_ms = ms
    return hh * 3600 + mm * 60 + ss

def _angle_c(parts, nf, i, deg_digits):
    """Parser._angle."""
    if i > nf:
        raise ValueError
    t = parts[i]
    if len(t) < deg_digits + 2:
        raise ValueError
    d = t.find(b".")
    u = t.replace(b".", b"", 1)
    f = len(u) - d  # digits after the point
    if deg_digits <= d <= deg_digits + 8 and f <= 6 and u.isdigit():  # (d)ddmm.mmmmm as receivers send
        deg, min_e6 = divmod(int(u), 10 ** (len(u) - deg_digits))
        min_e6 *= _P10[6 - f]
    else:
        s = t[:deg_digits]
        deg = int(s) if s.isdigit() else _num_c(s, 0)
        min_e6 = _num_c(t[deg_digits:], 6)
    if min_e6 >= 60000000 or min_e6 < 0:
        raise ValueError
    v = deg * 1000000 + (min_e6 + 30) // 60
    if i + 1 > nf:
        raise ValueError
    h = parts[i + 1]
    return _hemisphere(v, deg_digits, h[0] if h else 0)

def _date_c(t):
    """Parser._date of the field text t."""
    if len(t) != 6:
        raise ValueError
    if t.isdigit():
        v = int(t)
        return _days(2000 + v % 100, v // 100 % 100, v // 10000)
    d = _num_c(t[0:2], 0)
    m = _num_c(t[2:4], 0)
    y = 2000 + _num_c(t[4:6], 0)
    return _days(y, m, d)

class FastParser(Parser):
    """Parser for CPython: the same results from C-level bytes operations, several times faster.

    A sentence is handled as bytes: self._text is its body (after '$', up to the end of the line)
    and self._parts that split at its commas (field i is self._parts[i]; 0 is the address).
    self.buf only carries a sentence cut by the end of a chunk; self.fields is not used.
    """

    def __init__(self, on_fix=None):
        super().__init__(on_fix)
        self._text = b""
        self._parts = [b""]
        # The last results of the pure field functions, by field text: an RMC and a GGA of one epoch
        # carry the same time and position, and the date changes once a day. b",": no field's text.
        self._last_tod = (b",", 0, 0)  # time text, _tod_c() result, the utc_ms it set
        self._last_pos = (b",", b",", 0, b",", b",", 0)  # lat, N/S, micro-degrees; lon, E/W, micro-degrees
        self._last_date = (b",", 0)

    def feed(self, data, n=-1):
        """Consume the first n bytes of data (all if n < 0). Never raises on content."""
        if n < 0:
            n = len(data)
        if type(data) is not bytes:
            data = bytes(data[:n])
        elif n < len(data):
            data = data[:n]
        n = len(data)
        st = self.stats
        state = self._state
        k = self._n
        i = 0
        clean = 0  # no whole clean line starts in data[i:clean]: the last _LINES scan found none
        while i < n:
            if state == _IDLE:
                if i >= clean:
                    for m in _LINES(data, i):  # whole clean lines one after another
                        if m.start() != i:
                            clean = m.start()
                            break
                        self._text = m.group(1)
                        self._line()
                        i = m.end()
                    else:
                        clean = n
                    if i >= n:
                        break
                m = _SENTENCE(data, i)
                if m is None:  # bytes outside a sentence besides CR and LF
                    j = data.find(b"$", i)
                    if j < 0:
                        j = n
                    st.garbage_bytes += j - i - data.count(b"\r", i, j) - data.count(b"\n", i, j)
                    if j == n:
                        break
                    m = _SENTENCE(data, j)
                    if m is None:  # cannot happen: data[j] is '$'
                        break
                a, e = m.span(1)  # the body run ends where the match does
                if e - a > _BUF:
                    st.too_long += 1
                    state = _SKIP
                    i = a + _BUF + 1
                elif e == n:  # the chunk ends inside the sentence
                    k = e - a
                    self.buf[:k] = data[a:e]
                    state = _BODY
                    break
                else:
                    b = data[e]
                    if b == 0x0A or b == 0x0D:  # a whole line
                        self._text = data[a:e]
                        self._line()
                        i = e + 1
                    elif b == 0x24:  # '$' before the end: restart there
                        st.truncated += 1
                        i = e
                    else:  # a control byte or one above 0x7E
                        st.truncated += 1
                        state = _SKIP
                        i = e + 1
            elif state == _BODY:  # a sentence begun in an earlier chunk; k bytes of it in buf
                m = _STOP(data, i)
                j = n if m is None else m.start()
                if k + j - i > _BUF:
                    st.too_long += 1
                    state = _SKIP
                    i += _BUF - k + 1
                    continue
                if j > i:
                    self.buf[k : k + j - i] = data[i:j]
                    k += j - i
                if j == n:
                    break
                b = data[j]
                if b == 0x0A or b == 0x0D:
                    self._text = bytes(self.buf[:k])
                    self._line()
                    state = _IDLE
                    i = j + 1
                elif b == 0x24:
                    st.truncated += 1
                    state = _IDLE  # which starts a sentence at this '$'
                    i = j
                else:
                    st.truncated += 1
                    state = _SKIP
                    i = j + 1
            else:  # _SKIP
                m = _RESUME(data, i)
                if m is None:
                    break
                i = m.start()
                if data[i] != 0x24:
                    i += 1
                state = _IDLE  # at a '$': which starts a sentence there
        self._state = state
        self._n = k

    def _line(self):
        t = self._text
        st = self.stats
        star = t.find(b"*")
        if star < 0:
            st.bad_checksum += 1  # missing checksum
            return
        body = t[:star]
        # XOR of the body's bytes (at most 116): fold them as one little-endian int.
        x = int.from_bytes(body, "little")
        x ^= x >> 512
        x ^= x >> 256
        x ^= x >> 128
        x ^= x >> 64
        x ^= x >> 32
        x ^= x >> 16
        x ^= x >> 8
        if _CHECKSUM.get(t[star + 1 :], -1) != x & 0xFF:  # not two hex digits, or wrong
            st.bad_checksum += 1
            return
        kind = t[2:5]
        if kind == b"GSV":  # a third of a receiver's lines: split only the four fields _gsv reads
            parts = body.split(b",", 4)
            nf = body.count(b",")
        else:
            parts = body.split(b",")
            nf = len(parts) - 1
        a = parts[0]
        if nf == 0 or len(a) != 5 or t[0] == 0x50:
            st.unknown_type += 1  # proprietary ($Pxxx) or not a 5-letter address
            return
        if nf >= _MAX_FIELDS or not (a.isalpha() and a.isupper()):  # _upper5: ASCII A-Z only
            st.bad_field += 1
            return
        self._nf = nf
        self._parts = parts
        try:
            if kind == b"GSV":
                self._gsv()
            elif kind == b"RMC":
                self._rmc()
            elif kind == b"GGA":
                self._gga()
            elif kind == b"VTG":
                self._vtg()
            elif kind == b"GSA":
                self._gsa()
            elif kind == b"ZDA":
                self._zda()
            else:
                st.unknown_type += 1
                return
        except ValueError:
            st.bad_field += 1
            return
        st.sentences += 1

    # ---- fields: Parser's methods on self._parts ------------------------------------

    def _span(self, i):
        if i > self._nf:
            raise ValueError
        parts = self._parts
        a = 0
        for j in range(i):
            a += len(parts[j]) + 1
        return a << 8 | (a + len(parts[i]))

    def _empty(self, i):
        return i > self._nf or not self._parts[i]

    def _char(self, i):
        if i > self._nf:
            raise ValueError
        t = self._parts[i]
        return t[0] if t else 0

    def _num(self, a, e, dec):
        if a >= e:
            raise ValueError
        return _num_c(self._text[a:e], dec)

    def _field(self, i, dec):
        return _field_c(self._parts, self._nf, i, dec)

    def _tod(self, i):
        if i > self._nf:
            raise ValueError
        return _tod_c(self._parts[i], self.fix)

    def _angle(self, i, deg_digits):
        return _angle_c(self._parts, self._nf, i, deg_digits)

    def _date(self, i):
        if i > self._nf:
            raise ValueError
        return _date_c(self._parts[i])

    def _talker(self):
        t = self._text
        return t[0] << 8 | t[1]

    # ---- sentences: Parser's, the field methods inlined -----------------------------

    def _rmc(self):
        fix = self.fix
        p = self._parts
        nf = self._nf
        tod = self._tod_p(p[1])  # nf >= 1: _line checked
        if nf >= 9 and p[9]:
            t = p[9]
            c = self._last_date
            if t == c[0]:
                self._day = c[1]
            else:
                self._day = _date_c(t)
                self._last_date = (t, self._day)
        self._tod_prev = tod
        self._gga_run = 0
        if nf < 2:
            raise ValueError
        valid = p[2].startswith(b"A")
        if valid and nf >= 12 and p[12]:
            valid = p[12][0] in b"ADFRP"
        if valid:
            c = self._last_pos
            if nf >= 6 and p[3] == c[0] and p[4] == c[1] and p[5] == c[3] and p[6] == c[4]:
                lat = c[2]
                lon = c[5]
            else:
                lat = _angle_c(p, nf, 3, 2)
                lon = _angle_c(p, nf, 5, 3)
                self._last_pos = (p[3], p[4], lat, p[5], p[6], lon)
            fix.lat_udeg = lat
            fix.lon_udeg = lon
            fix.speed_cms = -1 if nf < 7 or not p[7] else self._knots(7)
            fix.course_cdeg = -1 if nf < 8 or not p[8] else self._course(8)
        fix.valid = valid
        t = self._text
        fix.talker = t[0] << 8 | t[1]
        self._emit(tod)

    def _tod_p(self, t):
        """_tod_c(t, self.fix), from the last result when the text is the same."""
        c = self._last_tod
        if t == c[0]:
            self.fix.utc_ms = c[2]
            return c[1]
        tod = _tod_c(t, self.fix)
        self._last_tod = (t, tod, self.fix.utc_ms)
        return tod

    def _knots(self, i):
        mkn = _field_c(self._parts, self._nf, i, 3)
        if mkn < 0 or mkn > 999999:
            raise ValueError
        return mkn * 463 // 9000

    def _course(self, i):
        v = _field_c(self._parts, self._nf, i, 2)
        if v < 0 or v > 36000:
            raise ValueError
        return v

    def _gga(self):
        p = self._parts
        nf = self._nf
        tod = self._tod_p(p[1])  # nf >= 1: _line checked
        t = p[6] if nf >= 6 else b""
        q = 0 if not t else int(t) if t.isdigit() else _num_c(t, 0)  # > 9: ValueError below anyway
        if q < 0 or q > 9:
            raise ValueError
        t = p[7] if nf >= 7 else b""
        sats = -1 if not t else int(t) if t.isdigit() and len(t) < 9 else _num_c(t, 0)
        hdop = -1 if nf < 8 or not p[8] else _num_c(p[8], 2)
        alt = 0 if nf < 9 or not p[9] else _num_c(p[9], 1)
        lat = lon = 0
        if q > 0 and q != 6:  # 6: dead reckoning; nf >= 6 here
            c = self._last_pos
            if p[2] == c[0] and p[3] == c[1] and p[4] == c[3] and p[5] == c[4]:
                lat = c[2]
                lon = c[5]
            else:
                lat = _angle_c(p, nf, 2, 2)
                lon = _angle_c(p, nf, 4, 3)
                self._last_pos = (p[2], p[3], lat, p[4], p[5], lon)
        self._gga_epoch(tod, q, sats, hdop, alt, lat, lon)

    def _gsv(self):
        p = self._parts
        nf = self._nf
        if nf < 3 or (nf - 3) % 4 > 1 or nf > 3 + 16 + 1:
            raise ValueError
        a = p[1]
        b = p[2]
        c = p[3]
        if a.isdigit() and b.isdigit() and c.isdigit():  # no need to test > 99999999: range below
            total = int(a)
            num = int(b)
            n = int(c)
        else:
            total = _field_c(p, nf, 1, 0)
            num = _field_c(p, nf, 2, 0)
            n = _field_c(p, nf, 3, 0)
        if num < 1 or num > total or total > 9 or n < 0 or n > 99:
            raise ValueError
        sats = self._sats
        sats[_SYS_SLOT.find(self._text[1]) + 1] = n
        self.fix.sats_in_view = sum(sats)

