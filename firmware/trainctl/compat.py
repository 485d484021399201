"""The few names MicroPython has built in and CPython lacks."""

try:
    from micropython import const  # noqa: F401
except ImportError:  # CPython without a micropython shim
    const = lambda x: x  # noqa: E731  (a def would not match micropython.const's stub signature)
