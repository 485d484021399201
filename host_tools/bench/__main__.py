"""python -m host_tools.bench: speed and memory figures -> BENCH.md (host_tools.bench.main)."""

import sys

from host_tools.bench.main import main

sys.exit(main())
