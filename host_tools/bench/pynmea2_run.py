"""pynmea2.parse over every line of a file (a process of its own, for its peak RSS): python pynmea2_run.py FILE."""

import sys

import pynmea2

ok = bad = 0
with open(sys.argv[1], encoding="ascii", errors="replace") as f:
    for line in f:
        try:
            pynmea2.parse(line)
            ok += 1
        except ValueError:
            bad += 1
