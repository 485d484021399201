"""trainctl.voice on MicroPython: decode clips of the clip file (firmware/voice.bin) into what a fake I2S output
receives, with the pure-Python decoder or the viper one, and the bytes allocated per refill under heap_lock().

    micropython voice_script.py pcm pure|viper CLIPS FIRST LAST OUT [MUL]  clips FIRST..LAST as the driver got them
    micropython voice_script.py alloc pure|viper CLIPS                prints the refills done under heap_lock() (400)
    micropython voice_script.py cost pure|viper CLIPS                 prints us of reading and decoding per second
                                                                      of audio, and per refill (32 ms)
"""

import array
import gc
import sys
import time

import micropython
from trainctl import voice


class Out:
    """A non-blocking machine.I2S: takes the buffer at once, calls back."""

    def __init__(self, f=None):
        self.f = f
        self.n = 0
        self.writes = 0
        self.h = None

    def irq(self, h):
        self.h = h

    def write(self, b):
        if self.f is not None:
            self.f.write(b)
        self.n += len(b)  # samples (an array 'h')
        self.writes += 1
        self.h(self)
        return len(b)

    def deinit(self):
        pass


def _pure():
    """The Python decoder, whatever trainctl.voice picked."""
    import trainctl.voice as V

    src = open(V.__file__).read()  # noqa: SIM115
    i = src.index("def decode(")
    j = src.index("\ntry:", i)
    g = {}
    exec(src[i:j], g)
    return g["decode"]


def _viper():
    """boards/native/trainctl/adpcm_viper.py's decoder, compiled here by the unix port's own native emitter (the
    board's is an .mpy of it, where trainctl.voice imports it)."""
    import trainctl.voice as V

    src = open(V.__file__.rsplit("/firmware/", 1)[0] + "/boards/native/trainctl/adpcm_viper.py").read()  # noqa: SIM115
    g = {}
    exec(src, g)
    return g["decode"]


_BASE = array.array("i", [0])  # gc.mem_alloc() before a step
_PEAK = array.array("i", [0])  # the most above it seen during a refill
_REAL = [None, None]  # the decoder and the output's write, wrapped below


def _seen():
    d = gc.mem_alloc() - _BASE[0]
    if d > _PEAK[0]:
        _PEAK[0] = d


def _decode(buf, pcm, st, tab):  # module functions, not closures: a closure's call may put its arguments on the heap
    _seen()
    return _REAL[0](buf, pcm, st, tab)


def _write(b):
    _seen()
    return _REAL[1](b)


def _frames(V, v, out):
    """Bytes on the heap while a refill decodes and while it writes, above what was there before the step: the call
    frames MicroPython puts on the heap (more than 11 words; heap_lock() makes it use the C stack instead, so the
    loop above cannot see them)."""
    _REAL[0] = V.decode
    _REAL[1] = out.write
    V.decode = _decode
    out.write = _write
    gc.collect()
    gc.disable()
    for _ in range(100):
        _BASE[0] = gc.mem_alloc()
        v.step(10)
    gc.enable()
    V.decode = _REAL[0]
    return _PEAK[0]


def main():
    mode = sys.argv[1]
    kind = sys.argv[2]
    import trainctl.voice as V

    if kind == "pure":
        V.decode = _pure()
    else:
        V.decode = _viper()
    clips = sys.argv[3]
    if mode == "pcm":
        f = open(sys.argv[6], "wb")  # noqa: SIM115
        out = Out(f)
        v = voice.Voice(lambda: out, clips)
        v.mul = int(sys.argv[7]) if len(sys.argv) > 7 else 256
        for c in range(int(sys.argv[4]), int(sys.argv[5]) + 1):
            v.say(c)
        while v.qn or v.out is not None:
            v.step(10)
        f.close()
        print("refills", out.writes)
    elif mode == "alloc":
        out = Out()
        v = voice.Voice(lambda: out, clips)
        for c in range(30, 60):  # clips that start and end in every kind of place in a refill, and pauses
            v.say(c)
            if c % 4 == 0:
                v.say(255)  # a pause
        v.step(10)  # opens: the buffers are allocated here, once
        r0 = out.writes
        micropython.heap_lock()
        try:
            for _ in range(400):  # up to 4 refills a step (the output here takes each buffer at once)
                if out.writes - r0 >= 400:
                    break
                v.step(10)
        except MemoryError:
            micropython.heap_unlock()
            print("MemoryError after", out.writes - r0)
            return
        micropython.heap_unlock()
        print("refills", out.writes - r0, "frames", _frames(V, v, out))
    elif mode == "cost":
        out = Out()
        v = voice.Voice(lambda: out, clips)
        for c in range(30, 78):
            v.say(c)
        v.step(10)
        r0 = out.writes
        t = time.ticks_us()
        while v.qn or v._state[1][8] != -1:  # queued, or a clip playing (voice._POS)
            v.step(10)
        dt = time.ticks_diff(time.ticks_us(), t)
        print("us_per_s", dt * 16000 // out.n, "us_per_refill", dt // (out.writes - r0), "audio_s", out.n // 16000)


main()
