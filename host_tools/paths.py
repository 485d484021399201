"""Where the repository's parts are, for host tools (CPython only)."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "firmware")
HOSTLIB = os.path.join(ROOT, "host_tools", "hostlib")  # CPython stand-ins for `micropython` and `framebuf`


def use_firmware():
    """Make the firmware package `trainctl` importable, as it is on the board (with `micropython.const`)."""
    if FIRMWARE not in sys.path:
        sys.path.insert(0, FIRMWARE)
    if HOSTLIB not in sys.path:
        sys.path.append(HOSTLIB)
