"""The virtual board: fake machine (MicroPython side), pty serial board, decoded buses, the simulator."""
