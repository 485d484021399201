"""Announcements out of I2S: clips of the clip file (/voice.bin on the board's filesystem, written by
host_tools/build/voice.py: IMA ADPCM, 16 kHz mono) read in 256-byte chunks and decoded into one buffer that a
non-blocking machine.I2S write sends (a MAX98357A amplifier on the board).

The board gives a callable that opens the I2S output (boards/*/board.py: pins, rate, its DMA ring `ibuf`) and
the clip file's path. Voice opens both when a clip is queued, and closes them, freeing the ring, the file and
the buffers, once the queue is played and the ring drained: audio holds RAM only while it plays. Between
opening and closing, a refill (step()) reads into and decodes into the same buffers and allocates nothing.
machine.I2S in non-blocking mode (irq set) takes one buffer at a time: write() returns at once, the callback
runs once the ring has taken all of it.
"""

import array

from micropython import const

_QUEUE = const(48)  # clip ids queued at most (an announcement: 3 languages x (pre, name, post, pause))
_PCM_N = const(512)  # samples a refill: 32 ms at 16 kHz (1 KB)
_SRC_N = const(256)  # bytes of the file a refill reads: _PCM_N samples of 4 bits
_REFILLS = const(4)  # refills a step at most (while the output takes them)
# Voice's state while open, after decode()'s six: the clip count and where the offset table is (the file's header),
# the clip playing (file offset of its next byte, -1 none; a pause: -2 - samples left) and where it ends, ms since
# the last write, 1 while the output holds the buffer written last.
_N = const(6)
_TAB = const(7)
_POS = const(8)
_END = const(9)
_TAIL = const(10)
_BUSY = const(11)
_TAIL_MS = const(400)  # after the last write: the ring (ibuf) drains before the output closes
_PAUSE = const(255)  # a clip id: _PAUSE_N samples of silence (between languages; trainctl.announce says it too)
_PAUSE_N = const(6400)  # 0.4 s


def table():
    """IMA ADPCM's 89 quantiser steps (the IMA Digital Audio Doc. Rev 3.00, 1992: 7, 8, 9 ... 29794, 32767) as an
    array 'H' (178 bytes, made while playing): from a bytes constant, not a tuple of 89 objects held in RAM."""
    s8 = (b"\x07\x00\x08\x00\x09\x00\x0a\x00\x0b\x00\x0c\x00\x0d\x00\x0e\x00\x10\x00\x11\x00\x13\x00\x15\x00"
          b"\x17\x00\x19\x00\x1c\x00\x1f\x00\x22\x00\x25\x00\x29\x00\x2d\x00\x32\x00\x37\x00\x3c\x00\x42\x00"
          b"\x49\x00\x50\x00\x58\x00\x61\x00\x6b\x00\x76\x00\x82\x00\x8f\x00\x9d\x00\xad\x00\xbe\x00\xd1\x00"
          b"\xe6\x00\xfd\x00\x17\x01\x33\x01\x51\x01\x73\x01\x98\x01\xc1\x01\xee\x01\x20\x02\x56\x02\x92\x02"
          b"\xd4\x02\x1c\x03\x6c\x03\xc3\x03\x24\x04\x8e\x04\x02\x05\x83\x05\x10\x06\xab\x06\x56\x07\x12\x08"
          b"\xe0\x08\xc3\x09\xbd\x0a\xd0\x0b\xff\x0c\x4c\x0e\xba\x0f\x4c\x11\x07\x13\xee\x14\x06\x17\x54\x19"
          b"\xdc\x1b\xa5\x1e\xb6\x21\x15\x25\xca\x28\xdf\x2c\x5b\x31\x4b\x36\xb9\x3b\xb2\x41\x44\x48\x7e\x4f"
          b"\x71\x57\x2f\x60\xce\x69\x62\x74\xff\x7f")
    return array.array("H", s8)


def decode(buf, out, st, table):
    """Decode IMA ADPCM bytes buf[st[2]:st[3]] (the first sample in the high nibble) into out (array 'h'), st[4]
    samples at most (even), scaled by st[5] / 256; st (array 'i'): predictor, step index, pos, end, n, scale;
    the first three updated; table: table(). Returns the samples written. Allocates nothing (small ints); the
    board uses trainctl/adpcm_viper's copy, native code (boards/native/: compiled for boards with a -march)."""
    v = st[0]
    k = st[1]
    pos = st[2]
    end = st[3]
    n = st[4]
    mul = st[5]
    j = 0
    while j < n and pos < end:
        c = buf[pos] & 15 if j & 1 else buf[pos] >> 4
        s = table[k]
        d = s >> 3
        if c & 4:
            d += s
            k += (c & 3) * 2 + 2  # the index table: -1 -1 -1 -1 2 4 6 8
            if k > 88:
                k = 88
        elif k:
            k -= 1
        if c & 2:
            d += s >> 1
        if c & 1:
            d += s >> 2
        if c & 8:
            v -= d
            if v < -32768:
                v = -32768
        else:
            v += d
            if v > 32767:
                v = 32767
        out[j] = v * mul >> 8
        j += 1
        if not j & 1:
            pos += 1
    st[0] = v
    st[1] = k
    st[2] = pos
    return j


try:  # noqa: SIM105 (no contextlib on MicroPython). Native code: deploy's .mpy of boards/native/trainctl/ (-march)
    from .adpcm_viper import decode  # noqa: F811  # pyright: ignore[reportMissingImports] (built for a -march only)
except (AttributeError, ImportError, NameError, SyntaxError, ValueError):  # CPython, bytecode builds: the above
    pass


class Voice:
    """audio(): opens an I2S output (write(buf), irq(handler), deinit()); path: the clip file
    (host_tools/build/voice.py's layout: b"TCV1", ..., clip count at 6, the offset table's offset at 16)."""

    def __init__(self, audio, path):
        self.audio = audio
        self.path = path
        self.q = bytearray(_QUEUE)
        self.qn = 0  # clips queued (q[0] plays next)
        self.mul = 256  # volume: samples x mul / 256
        self.out = None
        self._f = None  # the clip file, open while playing
        self._buf = None  # bytes read from it
        self._state = None  # while playing: [PCM buffer (array 'h'), state (array 'i': decode()'s, _N.._BUSY), table()]

    def say(self, k):
        """Queue clip k (host_tools/build/voice.py's order), or _PAUSE (255); a full queue drops it. False if
        dropped."""
        if self.qn >= _QUEUE:
            return False
        self.q[self.qn] = k
        self.qn += 1
        return True

    def busy(self):
        return self.out is not None

    def _done(self, out):
        st = self._state
        if st is not None:
            st[1][_BUSY] = 0

    def _open(self):
        """The output first (on an RP2040 its ring is the biggest block), then the file and the buffers; any
        failure closes what was opened (the caller counts the fault)."""
        self.out = self.audio()
        try:
            self._f = f = open(self.path, "rb")  # noqa: SIM115 (closed by close())
            self._buf = buf = bytearray(_SRC_N)
            st = array.array("i", range(12))
            self._state = [array.array("h", range(_PCM_N)), st, table()]  # each sample is set before a write
            if f.readinto(buf) < 20 or buf[:4] != b"TCV1":
                raise ValueError("not a clip file")
            st[_N] = buf[6] | buf[7] << 8
            st[_TAB] = buf[16] | buf[17] << 8 | buf[18] << 16 | buf[19] << 24
            st[_POS] = -1
            st[_TAIL] = 0
            st[_BUSY] = 0
            self.out.irq(self._done)  # non-blocking writes from here on
        except BaseException:
            self.close()
            raise

    def close(self):
        out = self.out
        f = self._f
        self.out = None
        self._f = None
        self._buf = None
        self._state = None
        self.qn = 0
        try:
            if f is not None:
                f.close()
        finally:
            if out is not None:
                out.deinit()

    def step(self, dt_ms):
        """Refill the output while it takes buffers (_REFILLS at most: a pass of a slow loop, the virtual board's
        100 ms, plays more than one buffer); open it for queued clips, close it when all is played and drained.
        No allocation while the output is open: not even a call frame (MicroPython puts a frame of more than 11
        words on the heap), so step, fill and next keep few locals."""
        if self.out is None:
            if self.qn == 0:
                return
            self._open()
        if self.out is None or self._state is None:
            return
        st = self._state[1]
        done = 0
        while not st[_BUSY] and done < _REFILLS:
            done += 1
            if not self.fill():  # all played: the output closes once its ring has drained
                st[_TAIL] += dt_ms
                if st[_TAIL] >= _TAIL_MS:
                    self.close()
                return

    def fill(self):
        """Fill the PCM buffer from the playing clip, pauses and the next clips of the queue, and write it to the
        output; returns the samples (a clip starts a buffer: decoding into its tail would need a slice, an
        allocation), 0 when all is played."""
        s = self._state
        if s is None or self._f is None or self._buf is None:
            return 0
        st = s[1]
        n = 0
        while n < _PCM_N:
            if st[_POS] == -1 and not self._start():
                break
            if n and st[_POS] >= 0:  # a clip starts a buffer
                break
            n = self.next(n)
        out = self.out
        if n and out is not None:
            s = s[0]  # the PCM buffer (a name reused: a small frame)
            for i in range(n, _PCM_N):
                s[i] = 0
            st[_TAIL] = 0
            st[_BUSY] = 1
            out.write(s)
        return n

    def next(self, n):
        """The next samples of what plays, a pause or a clip (read on from where the last refill stopped), into the
        PCM buffer from sample n on; returns the samples now in it. (A builtin's name: no new entry in a board's
        name pools; few locals: a small frame.)"""
        if self._state is None or self._f is None:
            return n
        st = self._state[1]
        k = -2 - st[_POS]  # a pause: its samples left (a clip: negative)
        if k >= 0:
            if k > _PCM_N - n:
                k = _PCM_N - n
                st[_POS] += k
            else:
                st[_POS] = -1
            st = self._state[0]  # the PCM buffer (the name reused)
            for i in range(n, n + k):
                st[i] = 0
            return n + k
        n = self._f.readinto(self._buf)  # bytes got (a clip starts a buffer: n was 0)
        k = st[_END] - st[_POS]
        st[2] = 0
        st[3] = n if k > n else k
        st[4] = _PCM_N
        st[5] = self.mul
        k = decode(self._buf, self._state[0], st, self._state[2])
        n = st[_POS] + st[2] if n else st[_END]  # its end, or the file's (cut short)
        st[_POS] = -1 if n >= st[_END] else n
        return k

    def _start(self):
        """Start the next clip: take clips off the queue until one plays (a pause, or a clip: the file at its first
        byte); False when the queue is empty."""
        s = self._state
        f = self._f
        buf = self._buf
        if s is None or f is None or buf is None:
            return False
        st = s[1]
        q = self.q
        while self.qn > 0 and st[_POS] == -1:
            c = q[0]
            for i in range(1, self.qn):
                q[i - 1] = q[i]
            self.qn -= 1
            if c == _PAUSE:
                st[_POS] = -2 - _PAUSE_N
            elif c < st[_N]:
                f.seek(st[_TAB] + 4 * c)  # the offset table: where clip c starts and the next one does
                if f.readinto(buf) >= 8:
                    a = buf[0] | buf[1] << 8 | buf[2] << 16 | buf[3] << 24
                    e = buf[4] | buf[5] << 8 | buf[6] << 16 | buf[7] << 24
                    if e > a:
                        f.seek(a)
                        st[_POS] = a
                        st[_END] = e
                        st[0] = 0  # predictor, step index 0 at a clip's start (host_tools/build/voice.py)
                        st[1] = 0
        return st[_POS] != -1
