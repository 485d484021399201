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
_TAIL_MS = const(400)  # after the last write: the ring (ibuf) drains before the output closes
PAUSE = const(255)  # a clip id: _PAUSE_N samples of silence (between languages)
_PAUSE_N = const(6400)  # 0.4 s


def steps():
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


def decode(src, dst, st, step):
    """Decode IMA ADPCM bytes src[st[2]:st[3]] (the first sample in the high nibble) into dst (array 'h'), st[4]
    samples at most (even), scaled by st[5] / 256; st (array 'i'): predictor, step index, pos, end, n, scale;
    the first three updated; step: steps(). Returns the samples written. Allocates nothing (small ints); the
    board uses trainctl/adpcm_viper.py's copy, native code."""
    v = st[0]
    k = st[1]
    pos = st[2]
    end = st[3]
    n = st[4]
    mul = st[5]
    j = 0
    while j < n and pos < end:
        c = src[pos] & 15 if j & 1 else src[pos] >> 4
        s = step[k]
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
        dst[j] = v * mul >> 8
        j += 1
        if not j & 1:
            pos += 1
    st[0] = v
    st[1] = k
    st[2] = pos
    return j


try:  # noqa: SIM105 (no contextlib on MicroPython). Native code where the port has it (mpy-cross -march)
    from .adpcm_viper import decode  # noqa: F811
except (AttributeError, ImportError, NameError, SyntaxError, ValueError):  # CPython, bytecode builds: the above
    pass


class Voice:
    """open_out(): an I2S output (write(buf), irq(handler), deinit()); path: the clip file
    (host_tools/build/voice.py's layout: b"TCV1", ..., clip count at 6, the offset table's offset at 16)."""

    def __init__(self, open_out, path):
        self.open_out = open_out
        self.path = path
        self.q = bytearray(_QUEUE)
        self.qn = 0  # clips queued (q[0] plays next)
        self.mul = 256  # volume: samples x mul / 256
        self.out = None
        self.played = 0  # clips played to their end
        self.refills = 0
        self._busy = False  # the output still holds the buffer written last
        self._pos = 0  # file offset of the clip's next byte, -1 none; a pause: samples left, as -2 - n
        self._end = 0  # file offset where the clip ends
        self._tail_ms = 0
        self._f = None  # the clip file, open while playing
        self._src = None  # bytes read from it
        self._pcm = None
        self._st = None  # decode()'s state, then [6] the clip count, [7] the offset table's offset
        self._tab = None

    def say(self, clip):
        """Queue a clip id (host_tools/build/voice.py's order), or PAUSE; a full queue drops it. False if
        dropped."""
        if self.qn >= _QUEUE:
            return False
        self.q[self.qn] = clip
        self.qn += 1
        return True

    def busy(self):
        return self.out is not None

    def _done(self, _i2s):
        self._busy = False

    def _open(self):
        """The output first (its ring is the biggest block), then the file and the buffers; any failure closes
        what was opened (the caller counts the fault)."""
        self._pos = -1
        self._busy = False
        self._tail_ms = 0
        self.out = self.open_out()
        try:
            self._f = f = open(self.path, "rb")  # noqa: SIM115 (closed by close())
            self._tab = steps()
            self._pcm = array.array("h", range(_PCM_N))  # every sample is written before a write
            self._src = src = bytearray(_SRC_N)
            self._st = st = array.array("i", range(8))
            if f.readinto(src) < 20 or src[:4] != b"TCV1":
                raise ValueError("not a clip file")
            st[6] = src[6] | src[7] << 8
            st[7] = src[16] | src[17] << 8 | src[18] << 16 | src[19] << 24
            self.out.irq(self._done)  # non-blocking writes from here on
        except BaseException:
            self.close()
            raise

    def close(self):
        out = self.out
        f = self._f
        self.out = None
        self._f = None
        self._pcm = None
        self._tab = None
        self._st = None
        self._src = None
        self.qn = 0
        try:
            if f is not None:
                f.close()
        finally:
            if out is not None:
                out.deinit()

    def _next_clip(self):
        """Start the clip at the head of the queue (the file positioned at its first byte); False if none."""
        q = self.q
        f = self._f
        src = self._src
        st = self._st
        while self.qn > 0:
            c = q[0]
            for i in range(1, self.qn):
                q[i - 1] = q[i]
            self.qn -= 1
            if c == PAUSE:
                self._pos = -2 - _PAUSE_N
                return True
            if f is None or src is None or st is None or c >= st[6]:
                continue
            f.seek(st[7] + 4 * c)  # the offset table: where clip c starts and the next one does
            if f.readinto(src) < 8:
                continue
            a = src[0] | src[1] << 8 | src[2] << 16 | src[3] << 24
            e = src[4] | src[5] << 8 | src[6] << 16 | src[7] << 24
            if e > a:
                f.seek(a)
                self._pos = a
                self._end = e
                st[0] = 0  # predictor and step index 0 at the start of each clip (host_tools/build/voice.py)
                st[1] = 0
                return True
        self._pos = -1
        return False

    def step(self, dt_ms):
        """Refill the output while it takes buffers (_REFILLS at most: a pass of a slow loop, the virtual board's
        100 ms, plays more than one buffer); open it for queued clips, close it when all is played and drained.
        No allocation while the output is open."""
        if self.out is None:
            if self.qn == 0:
                return
            self._open()
        pcm = self._pcm
        st = self._st
        tab = self._tab
        out = self.out
        f = self._f
        src = self._src
        if pcm is None or st is None or tab is None or out is None or f is None or src is None:
            return
        done = 0
        while not self._busy and done < _REFILLS:
            done += 1
            n = 0
            while n < _PCM_N:
                if self._pos == -1 and not self._next_clip():
                    break
                p = self._pos
                if p < -1:  # a pause
                    k = -2 - p
                    m = _PCM_N - n if k > _PCM_N - n else k
                    for i in range(n, n + m):
                        pcm[i] = 0
                    n += m
                    self._pos = -2 - (k - m) if k > m else -1
                    continue
                if n:  # decoding into the buffer's tail would need a slice (an allocation): a clip starts a refill
                    break
                got = f.readinto(src)  # the file is at p: a clip reads on from where the last refill stopped
                e = self._end - p
                st[2] = 0
                st[3] = got if e > got else e
                st[4] = _PCM_N
                st[5] = self.mul
                n = decode(src, pcm, st, tab)
                p += st[2]
                if p >= self._end or not got:  # its end (or the file's, cut short)
                    self._pos = -1
                    self.played += 1
                else:
                    self._pos = p
            if n == 0:  # all played: the output closes once its ring has drained
                self._tail_ms += dt_ms
                if self._tail_ms >= _TAIL_MS:
                    self.close()
                return
            for i in range(n, _PCM_N):
                pcm[i] = 0
            self._tail_ms = 0
            self._busy = True
            self.refills += 1
            out.write(pcm)
