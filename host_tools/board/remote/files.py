"""On the board, from deploy's raw REPL: the file operations of a deploy, each printing what deploy reads back
(deploy sends this file with one call after it, e.g. `print(commit([...], '.new'))`)."""

import os
import sys


def probe():
    """The MicroPython version and the .mpy version and architecture the board loads."""
    return tuple(sys.implementation.version[:3]), getattr(sys.implementation, "_mpy", 0)


def dirs():
    """The folders at the top of the filesystem."""
    return [e[0] for e in os.ilistdir() if e[1] & 0x4000]


def mkdir(p):
    os.mkdir(p)
    return 1


def remove(p):
    """1 if p was removed, 0 if there was none."""
    try:
        os.remove(p)
    except OSError:
        return 0
    return 1


def rmdir(p):
    """1 if the folder p was removed, 0 if it was not there or not empty."""
    try:
        os.rmdir(p)
    except OSError:
        return 0
    return 1


def commit(paths, suffix):
    """Each p + suffix (written whole) becomes p, all at once at the end of a deploy."""
    for p in paths:
        os.rename(p + suffix, p)
    return 1
