"""A real board file's announcements on the virtual board's fake machine: boards/<board>/board.py's build() (its
own I2S call: pins, mode, bits, format, rate, ibuf), then trainctl.voice playing clips through that output at the
loop's 10 ms passes in virtual time, the watchdog fed each pass.

    VBOARD_END=-1 micropython board_audio.py CLIPS FIRST LAST   (MICROPYPATH: fake_machine, boards/<board>,
                                                                 firmware, micropython-lib's ssd1306)
Prints one line "k=v ...": the I2S output's rate and ibuf, the heap it holds open (its ring when the port keeps it in
MicroPython's heap) and after deinit(), the heap held while playing, samples written, underrun, refills under
heap_lock() that raised.
"""

import gc
import sys
import time

import board
import machine
import micropython
from trainctl import voice

hw = board.build()
make, path = hw.audio
clips = sys.argv[1]
gc.collect()
a0 = gc.mem_alloc()
out = make()
gc.collect()
open_b = gc.mem_alloc() - a0
rate, ibuf = out.rate, out.ibuf
out.deinit()
out = None
gc.collect()
closed_b = gc.mem_alloc() - a0

v = voice.Voice(make, clips)
gc.collect()
idle = gc.mem_alloc()
for c in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    v.say(c)
top = 0
locked_errors = 0
passes = 0
while v.qn or v.out is not None:
    opened = v.out is not None
    if opened:
        micropython.heap_lock()  # a refill while open allocates nothing, whatever the output does meanwhile
    try:
        v.step(10)
    except MemoryError:
        locked_errors += 1
    if opened:
        micropython.heap_unlock()
    if locked_errors:  # a refill cut short by the lock: the voice's state is not to be trusted after it
        break
    hw.wdt.feed()
    time.sleep_ms(10)
    passes += 1
    if v.out is not None and passes % 20 == 0:
        gc.collect()
        top = max(top, gc.mem_alloc() - idle)
gc.collect()
s = machine.board_summary()
print("path=%s rate=%d ibuf=%d open_b=%d closed_b=%d playing_b=%d after_b=%d samples=%d underrun_ms=%d max_ring=%d "
      "locked_errors=%d wdt_max_gap_ms=%d passes=%d" % (
          path, rate, ibuf, open_b, closed_b, top, gc.mem_alloc() - idle, s.i2s_samples, s.i2s_underrun_ms,
          s.i2s_max_ring, locked_errors, s.wdt.max_gap_ms, passes))
