"""Replay and analysis on the host: the replay engine, its CLI, the judge, the display frames."""
