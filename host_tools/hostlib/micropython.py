"""Host-only stand-in for MicroPython's `micropython` module: enough for `from micropython import const`."""


def const(x):
    """Compile-time constant on MicroPython; the value itself on CPython."""
    return x
