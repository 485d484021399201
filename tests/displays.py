"""What the display-driver tests share across tiers: micropython-lib's driver folder, the display sizes and
MAX7219 chains under test, and the ssd1306 module (a clear failure when it has not been fetched)."""

from pathlib import Path

import pytest

from host_tools.common import paths

MPLIB = Path(paths.MPLIB)

OLED_SIZES = [(128, 64), (128, 32), (64, 48)]
CHAINS = [(8, 2, False, False), (4, 1, False, False), (2, 3, False, False), (2, 3, True, True),
          (4, 1, True, False), (4, 1, False, True)]  # cols, rows, mirror, flip


def ssd1306():
    """micropython-lib's ssd1306 module; a failure that says how to fetch it when it is missing."""
    if not (MPLIB / "ssd1306.py").is_file():
        pytest.fail("%s/ssd1306.py is missing: run `.venv/bin/python -m host_tools.build.fetch_mplib`" % MPLIB,
                    pytrace=False)
    import ssd1306 as mod  # copied into the venv by fetch_mplib

    return mod
