# MicroPython only: the announcements' player (trainctl.voice) for host_tools/bench/main.py section 7 (not a test).
#   micropython -X heapsize=64k host_tools/bench/mp/bench_voice_mp.py CLIPS REPEATS [NATIVE_DIR]
# CLIPS: the clip file (firmware/voice.bin). NATIVE_DIR: a folder holding adpcm_viper.mpy, mpy-cross -march=host of
# boards/native/trainctl/adpcm_viper.py (as deploy builds it for a board); without it, the Python decoder only.
# One JSON line per measurement: "ram" (heap held by a Voice idle, while playing, after each of three
# announcements: gc.mem_alloc() after gc.collect(), minus before it was made), then per decoder "cost"
# (time.ticks_us around playing the same clips, best and median of REPEATS) and "alloc" (gc.mem_alloc() delta over
# refills with the collector off, then the same refills under micropython.heap_lock()). The output takes each
# buffer at once (a non-blocking machine.I2S whose ring always has room): every step() refills, so the times are
# the player's alone.
import gc
import json
import sys
import time

import micropython
from trainctl import voice

FIRST, LAST = 30, 77  # clips played (fixed phrases, zones, trains, stations: about 37 s of audio)
RATE = 16000  # samples a second (host_tools/build/voice.py RATE)
REFILLS = 400  # refills counted for "alloc"


class Out:
    """A non-blocking machine.I2S that takes each buffer at once: the handler runs before write() returns."""

    def __init__(self):
        self.n = 0
        self.writes = 0
        self.h = None

    def irq(self, h):
        self.h = h

    def write(self, b):
        self.n += len(b)  # samples (an array 'h')
        self.writes += 1
        self.h(self)
        return len(b)

    def deinit(self):
        pass


def emit(d):
    print(json.dumps(d))


def queue(v):
    for c in range(FIRST, LAST + 1):
        v.say(c)


def play(v):
    """Queue the clips and play them to the end: (us, samples, refills)."""
    out = v.audio()
    n0, w0 = out.n, out.writes
    queue(v)
    t = time.ticks_us()
    while v.qn or v.out is not None:
        v.step(32)
    return time.ticks_diff(time.ticks_us(), t), out.n - n0, out.writes - w0


def drain(v):
    while v.qn or v.out is not None:
        v.step(32)


def held(a0):
    """Heap bytes in use, less a0, after a collection."""
    gc.collect()
    return gc.mem_alloc() - a0


def ram(clips):
    out = Out()
    gc.collect()
    a0 = gc.mem_alloc()
    v = voice.Voice(lambda: out, clips)
    idle = held(a0)
    queue(v)
    v.step(32)  # opens: the file, the buffers, the table; the first refill
    playing = held(a0)
    drain(v)
    after = [held(a0)]
    for _ in range(2):  # again: what stays after the first announcement does not grow
        queue(v)
        drain(v)
        after.append(held(a0))
    emit({"what": "ram", "idle": idle, "playing": playing, "after": after})


def cost(clips, kind, repeats):
    out = Out()
    v = voice.Voice(lambda: out, clips)
    ts = []
    for _ in range(repeats):
        gc.collect()
        us, n, refills = play(v)
        ts.append(us)
    ts.sort()
    emit({"what": "cost", "decoder": kind, "best_us": ts[0], "median_us": ts[len(ts) // 2], "samples": n,
          "refills": refills, "audio_ms": n * 1000 // RATE, "repeats": repeats})


def alloc(clips, kind):
    out = Out()
    v = voice.Voice(lambda: out, clips)
    queue(v)
    v.step(32)  # opens: what is allocated once
    r0 = out.writes
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    while out.writes - r0 < REFILLS and (v.qn or v.out is not None):
        v.step(32)
    delta = gc.mem_alloc() - a0
    refills = out.writes - r0
    gc.enable()
    v.close()
    queue(v)
    v.step(32)
    r0 = out.writes
    locked = 0
    micropython.heap_lock()
    try:
        while out.writes - r0 < REFILLS and (v.qn or v.out is not None):
            v.step(32)
        locked = out.writes - r0
    except MemoryError:
        locked = -(out.writes - r0)  # refills done before the first allocation
    micropython.heap_unlock()
    v.close()
    emit({"what": "alloc", "decoder": kind, "bytes": delta, "refills": refills, "locked_refills": locked})


def main():
    clips = sys.argv[1]
    repeats = int(sys.argv[2])
    decoders = [("python", voice.decode)]
    if len(sys.argv) > 3:
        sys.path.append(sys.argv[3])
        try:
            import adpcm_viper

            decoders.append(("viper", adpcm_viper.decode))
        except (ImportError, ValueError) as e:  # a port without native code, or another architecture
            emit({"what": "viper_error", "error": repr(e)})
    ram(clips)
    for kind, fn in decoders:
        voice.decode = fn  # trainctl.voice.Voice.fill calls the module's decode
        cost(clips, kind, repeats)
        alloc(clips, kind)


main()
