"""The few names MicroPython has built in and CPython lacks."""

try:
    from micropython import const  # noqa: F401
except ImportError:  # CPython

    def const(x):
        return x
