"""python -m host_tools.bench: speed and memory figures -> BENCH.md (host_tools.bench.main)."""

import sys

from host_tools.bench.main import main
from host_tools.common import cli

sys.exit(cli.guard(main, "bench"))
