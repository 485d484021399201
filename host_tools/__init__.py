"""Host-side tools of trainctl (CPython), one package per kind:

build/   generators and build steps: route and font modules, the pivot date, package.json, the ROMFS image
board/   the operator's USB tools for a real board: deploy, crew service menu, journey-log download
synth/   synthetic, seeded data with ground truth: GPS journeys, door/beam/WC inputs
replay/  replay and analysis on the host: the replay engine and CLI, the judge, display frames
vboard/  the virtual board: the fake machine (MicroPython side), the pty board, decoded buses, the simulator
verify/  bug-hunting harnesses: the fault-injection soak, coverage-guided fuzzing
bench/   speed and memory benchmarks (-> BENCH.md), with the MicroPython scripts they run
common/  what the kinds share: repository paths, tool finder, NMEA writer, time helpers, fakes
hostlib/ CPython stand-ins for MicroPython's `framebuf` and `micropython` (top-level modules)
"""
