"""python -m host_tools.synth: a synthetic GPS journey (NMEA) with its ground truth (host_tools.synth.journey)."""

import sys

from host_tools.synth.journey import main

sys.exit(main())
