"""python -m host_tools.synth: a synthetic GPS journey (NMEA) with its ground truth (host_tools.synth.journey)."""

import sys

from host_tools.common import cli
from host_tools.synth.journey import main

sys.exit(cli.guard(main, "synth"))
