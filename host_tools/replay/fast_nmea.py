"""The firmware's NMEA parser with its byte loop done by C-level bytes operations, for CPython (host tools).

FastParser is trainctl.nmea.Parser with another feed(): regular expressions and bytes methods find the
sentences, their '*', checksum and commas, and hand each line to the firmware's own Parser._line, so every
sentence is decoded by the firmware's code. It gives exactly what Parser gives for any bytes in any
chunking: the same on_fix calls, the same Stats, the same state carried across feed() calls
(tests/test_nmea_paths.py runs both on random streams). It lives on the host because the board never
runs it: its bytecode would cost flash and RAM there.
"""

import re

from trainctl.nmea import (
    _BODY,
    _BUF,
    _IDLE,
    _JUNK,
    _NOTE,
    _SKIP,
    Parser,
)

# Whole clean lines: line ends, '$', at most _BUF body bytes (printable, not '$'), CR or LF.
_LINES = re.compile(rb"[\r\n]*\$([\x20-\x23\x25-\x7e]{0,%d})[\r\n]" % _BUF).finditer
# The first byte that ends a run of body bytes: CR, LF, '$', a control byte or one above 0x7E.
_STOP = re.compile(rb"[^\x20-\x23\x25-\x7e]").search
# What ends a bad line or a run of garbage: CR or LF, or a '$' that starts the next sentence.
_RESUME = re.compile(rb"[\r\n$]").search
_EOL = re.compile(rb"[\r\n]").search
# Parser state carried from one feed() call to the next, which FastParser leaves as Parser does (tests compare).
CARRIED = ("_state", "_day", "_ep", "_sats", "_vtg_cms", "_vtg_cdeg")


class FastParser(Parser):
    """Parser for CPython: the same results, the byte loop replaced by C-level searches."""

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
        buf = self.buf
        state = self._state
        k = self._n
        i = 0
        clean = 0  # no whole clean line starts in data[i:clean]: the last _LINES scan found none
        while i < n:
            if state == _BODY:  # k bytes of the sentence in buf
                m = _STOP(data, i)
                j = n if m is None else m.start()
                if k + j - i > _BUF:
                    st.too_long += 1
                    state = _SKIP
                    i += _BUF - k + 1
                    continue
                if j == n:  # the chunk ends inside the sentence
                    buf[k : k + j - i] = data[i:j]
                    k += j - i
                    break
                b = data[j]
                if b == 0x0A or b == 0x0D:
                    if k:
                        buf[k : k + j - i] = data[i:j]
                        self._text_line(bytes(buf[: k + j - i]))
                    else:
                        self._text_line(data[i:j])
                    state = _IDLE
                    k = 0
                elif b == 0x24:  # '$' starts a new sentence; '$$' loses nothing
                    if k or j > i:
                        st.truncated += 1
                    k = 0
                else:  # a control byte or one above 0x7E
                    st.truncated += 1
                    state = _SKIP
                i = j + 1
            elif state == _NOTE:
                m = _EOL(data, i)
                if m is None:
                    break
                i = m.start() + 1
                state = _IDLE
            elif state == _SKIP:
                m = _RESUME(data, i)
                if m is None:
                    break
                i = m.start()
                state = _BODY if data[i] == 0x24 else _IDLE
                k = 0
                i += 1
            else:  # _IDLE or _JUNK
                if i >= clean:
                    for m in _LINES(data, i):  # whole clean lines one after another
                        if m.start() != i:
                            clean = m.start()
                            break
                        self._text_line(m.group(1))
                        state = _IDLE
                        i = m.end()
                    else:
                        clean = n
                    if i >= n:
                        break
                b = data[i]
                if b == 0x24:
                    state = _BODY
                    k = 0
                    i += 1
                elif b == 0x0A or b == 0x0D:
                    state = _IDLE
                    i += 1
                elif b == 0x23 and state == _IDLE:  # '#' at a line's start: a comment line
                    st.comments += 1
                    state = _NOTE
                    i += 1
                else:
                    m = _RESUME(data, i)
                    j = n if m is None else m.start()
                    st.garbage_bytes += j - i
                    state = _JUNK
                    i = j
        self._state = state
        self._n = k
        self._sum = 0

    def _text_line(self, t):
        """A line's body t (after '$', before CR/LF; at most _BUF bytes): the firmware's _line on it."""
        star = t.find(b"*")
        if star < 0:
            self.stats.bad_checksum += 1  # missing checksum
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
        self.buf[: len(t)] = t
        self._n = len(t)
        self._sum = (x ^ 0x2A ^ t[star + 1] ^ t[star + 2]) & 0xFF if len(t) == star + 3 else 0  # as feed() sums
        self._line()
