"""python -m host_tools.replay: replay an NMEA log through the firmware's logic (host_tools.replay.cli)."""

import sys

from host_tools.common import cli
from host_tools.replay.cli import main

sys.exit(cli.guard(main, "replay"))
