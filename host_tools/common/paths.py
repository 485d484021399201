"""Where the repository's parts are, for host tools (CPython only).

`trainctl`, `host_tools` and the CPython stand-ins `framebuf`/`micropython` are importable through the
editable install that `make venv` makes (pyproject.toml); nothing here edits sys.path.
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRMWARE = os.path.join(ROOT, "firmware")
HOSTLIB = os.path.join(ROOT, "host_tools", "hostlib")  # CPython stand-ins for `micropython` and `framebuf`
MPLIB = os.path.join(ROOT, ".venv", "mplib")  # micropython-lib's pinned ssd1306.py (host_tools.build.fetch_mplib)
