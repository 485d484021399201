# The virtual board on the WebAssembly port: its os has no getenv, so the environment comes from the data
# module wboot_env.py (ENV = {...}) that host_tools/vboard/sim.py writes beside a copy of this file.
import os
import sys

from wboot_env import ENV as _ENV


class _Os:
    def getenv(self, key, default=None):
        return _ENV.get(key, default)

    def __getattr__(self, name):
        return getattr(os, name)


sys.modules["os"] = _Os()
import vboot  # noqa: E402, F401  (boots the board: runs main.py)
