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
    advance_us(int(ms) * 1000)


def sleep_us(us):
    advance_us(int(us))


def sleep(s):
    advance_us(int(s * 1000000))


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
