"""Where the repository's parts are, for host tools (CPython only).

`trainctl`, `host_tools` and the CPython stand-ins `framebuf`/`micropython` are importable through the
editable install that `make venv` makes (pyproject.toml); nothing here edits sys.path.
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRMWARE = os.path.join(ROOT, "firmware")
# Native code (viper), laid out as on the board (trainctl/adpcm_viper.py): only mpy-cross -march compiles it, so it
# is no part of firmware/ (what every runtime loads); deploy compiles it for a board with a -march, a freeze with the
# port's.
NATIVE = os.path.join(ROOT, "boards", "native")
HOSTLIB = os.path.join(ROOT, "host_tools", "hostlib")  # CPython stand-ins for `micropython` and `framebuf`
MPLIB = os.path.join(ROOT, ".venv", "mplib")  # micropython-lib's pinned ssd1306.py (host_tools.build.fetch_mplib)
