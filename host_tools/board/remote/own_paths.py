"""On the board, from crew's raw REPL: the paths of the board's own state file and journey log (the virtual
board's come from its environment, as boards/virtual/board.py takes them)."""

import os
import sys


def own_paths():
    if sys.platform == "linux":
        return os.getenv("VBOARD_STATE") or "state.bin", os.getenv("VBOARD_JLOG") or "jlog.bin"
    return "/state.bin", "/jlog.bin"
