# MicroPython side of the replay comparison: prints the same JSON lines as
#   python -m host_tools.replay TRACK --json [--state FILE]
# Usage: micropython tests/mp/replay_mp.py TRACK [STATE]   (repo root, firmware/ on MICROPYPATH)
import sys

from trainctl import route_data

from host_tools.replay import core as replay_core

replay_core.run_file(route_data, sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
