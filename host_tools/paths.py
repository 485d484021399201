"""Where the repository's parts are, for host tools (CPython only)."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "firmware")


def use_firmware():
    """Make the firmware package `trainctl` importable, as it is on the board."""
    if FIRMWARE not in sys.path:
        sys.path.insert(0, FIRMWARE)
