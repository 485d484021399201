"""The virtual board's watchdog (a starved one ends the run) and timers (a periodic callback on a real thread)."""

import os
import sys
import time as _t

from vb_board import _board


class WDT:
    """WDT(id=0, timeout=5000): feed() records the longest gap between feeds (virtual ms); a gap past the
    timeout ends the run (see the module docstring)."""

    def __init__(self, id=0, timeout=5000):
        self.timeout_ms = timeout
        self.last_ms = _t.now_ms()
        self.max_gap_ms = 0
        self.feeds = 0
        _board.wdt = self

    def feed(self):
        if self.feeds == 0 and os.getenv("VBOARD_QSTR"):  # the interned names right after boot (vboot.py)
            import micropython

            micropython.qstr_info()
            print("vboard: modules " + " ".join(sorted(sys.modules)))
        now = _t.now_ms()
        gap = now - self.last_ms
        if gap > self.max_gap_ms:
            self.max_gap_ms = gap
        self.last_ms = now
        self.feeds += 1


class Timer:
    """Timer(id, mode=, period=, callback=): a PERIODIC timer with a callback runs it every `period` real ms on
    a thread of its own (the unix port has no timer interrupt; `make deploy`'s lease feeder needs one to run
    while the REPL waits for the host). machine.reset() raised in the callback resets the virtual board (the
    interpreter ends itself with SIGKILL; ptyboard restarts it, main.py runs), as a reset from a board's timer
    interrupt does. Its watchdog does not outlive a soft reset (a board's does)."""

    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, mode=1, period=-1, callback=None, freq=-1):
        self.init(mode, period, callback, freq)

    def init(self, mode=1, period=-1, callback=None, freq=-1):
        self.mode = mode
        self.period = period
        self.callback = callback
        if callback is not None and mode == 1 and period > 0:
            try:
                import _thread
            except ImportError:  # a build without threads: kept, not run
                return
            _thread.start_new_thread(self._run, ())

    def _run(self):
        import utime  # the real clock: this timer counts real time, not the firmware's virtual time

        while self.callback is not None:
            utime.sleep_ms(self.period)
            cb = self.callback
            if cb is None:
                break
            try:
                cb(self)
            except SystemExit:  # machine.reset() from the callback: the whole interpreter goes
                os.system("kill -9 $PPID")

    def deinit(self):
        self.callback = None
