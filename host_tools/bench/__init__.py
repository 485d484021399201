"""Benchmarks: speed and memory of the parser, controller and displays on CPython and MicroPython (BENCH.md)."""
