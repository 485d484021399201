"""python -m host_tools.replay: replay an NMEA log through the firmware's logic (host_tools.replay.cli)."""

import sys

from host_tools.replay.cli import main

try:
    sys.exit(main())
except BrokenPipeError:
    sys.exit(0)
