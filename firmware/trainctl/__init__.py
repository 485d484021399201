"""trainctl: pure logic of the Beijing–Pyongyang coach controller (no hardware imports)."""

VERSION = "0.1.0"
# The oldest MicroPython the firmware supports: the oldest the tests run it on (tests/test_micropython.py: the
# WebAssembly port 1.27.0 from npm, package.json; tests/test_version.py checks the two agree).
MIN_MICROPYTHON = (1, 27, 0)


def check_runtime(version=None):
    """Raise RuntimeError saying which MicroPython is needed when this one is older (main.py, at boot)."""
    import sys

    v = version if version is not None else sys.implementation.version
    if tuple(v[:3]) < MIN_MICROPYTHON or (tuple(v[:3]) == MIN_MICROPYTHON and len(v) > 3 and v[3]):
        raise RuntimeError("MicroPython %d.%d.%d or newer needed, this is %d.%d.%d%s" % (
            MIN_MICROPYTHON + tuple(v[:3]) + ("-" + v[3] if len(v) > 3 and v[3] else "",)))
