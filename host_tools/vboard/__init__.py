"""The virtual board: fake machine (MicroPython side), pty serial board, decoded buses, the simulator."""

import os

FAKE_MACHINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_machine")  # the MicroPython side


def fake_hardware():
    """Module names of the fake hardware, built into a board's firmware and compiled with mpy-cross here: machine,
    time and the vb_* modules machine.py is made of."""
    names = [n[:-3] for n in os.listdir(FAKE_MACHINE) if n.endswith(".py") and n.startswith("vb_")]
    return ["machine", "time"] + sorted(names)
