"""Virtual time for the virtual board (MicroPython unix port; shadows the built-in `time` on MICROPYPATH).

The clock starts at 0 at boot and moves only when the firmware sleeps: sleep_ms(n) advances it by n ms
at once (fast-forward), so a 24-hour journey runs as fast as the firmware computes. ticks_ms/ticks_us
wrap at 2**30 like the ports' (ticks_diff handles it). The fake `machine` learns virtual time through
now_us()/now_ms() and set_hook(fn): fn(now_ms) runs after every advance (it may raise SystemExit to end
the run). time()/gmtime()/localtime()/mktime() count from VBOARD_EPOCH_S (env, seconds since 1970, default
0) plus virtual seconds, through the built-in module.
"""

import os

import utime as _rt  # the built-in module (the u-prefix still names it when this file shadows `time`)

_PERIOD = 1 << 30  # MICROPY_PY_TIME_TICKS_PERIOD
_MASK = _PERIOD - 1
_HALF = _PERIOD >> 1

_now_us = 0
_hook = None
_wake_us = -1  # when the firmware's last sleep ended (-1: it has not slept yet: boot)
_busy_max_us = 0
busy_max_at_ms = -1  # when the longest pass started
sleeping = False  # the clock advances in one of the firmware's sleeps (not inside a device's wait)
flash_in_pass_us = 0  # flash writes in the pass so far (machine.flash_busy adds)
busy_noflash_max_us = 0  # the longest pass without its flash writes
_EPOCH_S = int(os.getenv("VBOARD_EPOCH_S") or 0)


def now_us():
    """Virtual microseconds since boot (no wrap)."""
    return _now_us


def now_ms():
    return _now_us // 1000


def set_hook(fn):
    """fn(now_ms) after every advance of the clock, or None."""
    global _hook
    _hook = fn


def advance_us(us):
    global _now_us
    if us > 0:
        _now_us += us
    if _hook is not None:
        _hook(_now_us // 1000)


def max_busy_us():
    """The longest stretch of virtual time between two of the firmware's own sleeps (a main-loop pass: what
    the fake devices' waits and transfers cost), boot excluded."""
    return _busy_max_us


def booted():
    """The firmware has slept once: boot is over, the main loop runs."""
    return _wake_us >= 0


def _sleep(us):
    global _wake_us, _busy_max_us, busy_max_at_ms, flash_in_pass_us, busy_noflash_max_us
    if _wake_us >= 0 and _now_us - _wake_us > _busy_max_us:
        _busy_max_us = _now_us - _wake_us
        busy_max_at_ms = _wake_us // 1000
    if _wake_us >= 0 and _now_us - _wake_us - flash_in_pass_us > busy_noflash_max_us:
        busy_noflash_max_us = _now_us - _wake_us - flash_in_pass_us
    flash_in_pass_us = 0
    global sleeping
    sleeping = True
    advance_us(us)
    sleeping = False
    _wake_us = _now_us


def ticks_ms():
    return (_now_us // 1000) & _MASK


def ticks_us():
    return _now_us & _MASK


def ticks_cpu():
    return _now_us & _MASK


def ticks_add(ticks, delta):
    return (ticks + delta) & _MASK


def ticks_diff(a, b):
    return ((a - b + _HALF) & _MASK) - _HALF


def sleep_ms(ms):
    _sleep(int(ms) * 1000)


def sleep_us(us):
    _sleep(int(us))


def sleep(s):
    _sleep(int(s * 1000000))


def time():
    return _EPOCH_S + _now_us // 1000000


def time_ns():
    return (_EPOCH_S * 1000000 + _now_us) * 1000


def gmtime(secs=None):
    return _rt.gmtime(time() if secs is None else secs)


def localtime(secs=None):
    return _rt.gmtime(time() if secs is None else secs)


def mktime(t):
    return _rt.mktime(t)
