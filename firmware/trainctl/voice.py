"""Announcements out of I2S: queued clips of trainctl/voice_data.py (IMA ADPCM, 16 kHz mono) decoded into one
buffer that a non-blocking machine.I2S write sends (a MAX98357A amplifier on the board).

The board gives a callable that opens the I2S output (boards/*/board.py: pins, rate, its DMA ring `ibuf`);
Voice opens it when a clip is queued, and closes it, freeing the ring and the buffers, once the queue is
played and the ring drained: audio holds RAM only while it plays. Between opening and closing, a refill
(step()) decodes into the same buffer and allocates nothing. machine.I2S in non-blocking mode (irq set)
takes one buffer at a time: write() returns at once, the callback runs once the ring has taken all of it.
"""

import array

from micropython import const

_QUEUE = const(48)  # clip ids queued at most (an announcement: 3 languages x (pre, name, post, pause))
_PCM_N = const(512)  # samples a refill: 32 ms at 16 kHz (1 KB)
_TAIL_MS = const(400)  # after the last write: the ring (ibuf) drains before the output closes
PAUSE = const(255)  # a clip id: _PAUSE_N samples of silence (between languages)
_PAUSE_N = const(6400)  # 0.4 s
_NXT = const(712)  # tables(): 89 step indexes x 8 codes
# IMA ADPCM (the IMA Digital Audio Doc. Rev 3.00, 1992): the 89 quantiser steps.
_STEPS = (7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88,
          97, 107, 118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658,
          724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660,
          4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818,
          18500, 20350, 22385, 24623, 27086, 29794, 32767)


def tables():
    """Per step index * 8 + the code's 3 magnitude bits: at [k] the difference to add, at [_NXT + k] the next
    step index * 8 (so the decoder indexes without multiplying)."""
    t = array.array("H", bytes(4 * _NXT))
    for i in range(89):
        s = _STEPS[i]
        for c in range(8):
            d = s >> 3
            if c & 4:
                d += s
            if c & 2:
                d += s >> 1
            if c & 1:
                d += s >> 2
            j = i + (c * 2 - 6 if c >= 4 else -1)  # index table: -1 -1 -1 -1 2 4 6 8
            j = 0 if j < 0 else (88 if j > 88 else j)
            t[i * 8 + c] = d
            t[_NXT + i * 8 + c] = j * 8
    return t


def decode(src, dst, st, tab):
    """Decode IMA ADPCM bytes src[st[2]:st[3]] (the first sample in the high nibble) into dst (array 'h'), st[4]
    samples at most (even), scaled by st[5] / 256; st (array 'i'): predictor, step index * 8, pos, end, n,
    scale; the first three updated. Returns the samples written. Allocates nothing (small ints); the board
    uses trainctl/adpcm_viper.py's copy, native code."""
    v = st[0]
    k8 = st[1]
    pos = st[2]
    end = st[3]
    n = st[4]
    mul = st[5]
    j = 0
    while j < n and pos < end:
        b = src[pos]
        pos += 1
        c = b >> 4
        k = k8 + (c & 7)
        if c & 8:
            v -= tab[k]
            if v < -32768:
                v = -32768
        else:
            v += tab[k]
            if v > 32767:
                v = 32767
        k8 = tab[_NXT + k]
        dst[j] = v * mul >> 8
        c = b & 15
        k = k8 + (c & 7)
        if c & 8:
            v -= tab[k]
            if v < -32768:
                v = -32768
        else:
            v += tab[k]
            if v > 32767:
                v = 32767
        k8 = tab[_NXT + k]
        dst[j + 1] = v * mul >> 8
        j += 2
    st[0] = v
    st[1] = k8
    st[2] = pos
    return j


try:  # noqa: SIM105 (no contextlib on MicroPython). Native code where the port has it (mpy-cross -march)
    from .adpcm_viper import decode  # noqa: F811
except (AttributeError, ImportError, NameError, SyntaxError, ValueError):  # CPython, bytecode builds: the above
    pass


class Voice:
    """open_out(): an I2S output (write(buf), irq(handler), deinit()); data: the clips module (voice_data),
    or None to import it at the first clip."""

    def __init__(self, open_out, data=None):
        self.open_out = open_out
        self.data = data
        self.q = bytearray(_QUEUE)
        self.qn = 0  # clips queued (q[0] plays next)
        self.mul = 256  # volume: samples x mul / 256
        self.out = None
        self.played = 0  # clips played to their end
        self.refills = 0
        self._busy = False  # the output still holds the buffer written last
        self._pos = 0  # byte of the clip playing, -1 none; a pause: samples left, as -2 - n
        self._end = 0
        self._tail_ms = 0
        self._pcm = None
        self._st = None
        self._tab = None

    def say(self, clip):
        """Queue a clip id (voice_data), or PAUSE; a full queue drops it. False if dropped."""
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
        if self.data is None:
            from . import voice_data

            self.data = voice_data
        self._tab = tables()
        self._pcm = array.array("h", bytes(2 * _PCM_N))
        self._st = array.array("i", bytes(24))
        self._pos = -1
        self._busy = False
        self._tail_ms = 0
        out = self.open_out()
        out.irq(self._done)  # non-blocking writes from here on
        self.out = out

    def close(self):
        out = self.out
        self.out = None
        self._pcm = None
        self._tab = None
        self._st = None
        self.qn = 0
        if out is not None:
            out.deinit()

    def _next_clip(self):
        """Start the clip at the head of the queue; False if none."""
        q = self.q
        while self.qn > 0:
            c = q[0]
            for i in range(1, self.qn):
                q[i - 1] = q[i]
            self.qn -= 1
            if c == PAUSE:
                self._pos = -2 - _PAUSE_N
                return True
            data = self.data
            st = self._st
            if data is None or st is None or c >= data.CLIP_N:
                continue
            at = data.CLIP_AT
            a = at[4 * c] | at[4 * c + 1] << 8 | at[4 * c + 2] << 16 | at[4 * c + 3] << 24
            e = at[4 * c + 4] | at[4 * c + 5] << 8 | at[4 * c + 6] << 16 | at[4 * c + 7] << 24
            if e > a:
                self._pos = a
                self._end = e
                st[0] = 0  # predictor and step index 0 at the start of each clip (host_tools/build/voice.py)
                st[1] = 0
                return True
        self._pos = -1
        return False

    def step(self, dt_ms):
        """Refill the output if it has taken the last buffer; open it for queued clips, close it when all is
        played and drained. No allocation while the output is open."""
        if self.out is None:
            if self.qn == 0:
                return
            self._open()
        pcm = self._pcm
        st = self._st
        tab = self._tab
        out = self.out
        data = self.data
        if self._busy or pcm is None or st is None or tab is None or out is None or data is None:
            return
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
            want = _PCM_N - n
            if n:  # decode into the buffer's tail: a slice of an array would allocate, so a clip starts a refill
                break
            st[2] = p
            st[3] = self._end
            st[4] = want
            st[5] = self.mul
            n = decode(data.DATA, pcm, st, tab)
            p2 = st[2]
            if p2 >= self._end:
                self._pos = -1
                self.played += 1
            else:
                self._pos = p2
        if n == 0:
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
