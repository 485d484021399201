"""On the board, from deploy's raw REPL: 1 if there is a main.py where the board boots from (the current folder, /
on a board; the flash folder on the virtual one), else 0. A board without one prints no boot line when restarted."""

import os


def has_main():
    return 1 if "main.py" in os.listdir() else 0
