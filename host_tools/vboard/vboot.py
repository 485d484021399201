"""What a board's MicroPython does before main.py: with a ROMFS partition, mount it at /rom and put /rom and
/rom/lib on sys.path after '' (the filesystem first, as on a board); then run main.py from the filesystem.

    micropython -X heapsize=N -c "import vboot"   (cwd = the flash folder; VBOARD_ROMFS = the image file,
                                                   none: a board without a ROMFS partition)

Everything in the heap before main.py starts is the virtual board's share (machine.note_bytes), not the
firmware's: the interpreter's own start-up, the fake machine and time modules (built in on a board) and the
partition (flash mapped into the address space on a board; one bytearray in the heap here). With VBOARD_QSTR
set, the interned-name pools are printed (micropython.qstr_info()) here and at the watchdog's first feed.
"""

import gc
import os
import sys

import machine  # the fake hardware

_path = os.getenv("VBOARD_ROMFS")
if _path:
    _part = bytearray(os.stat(_path)[6])
    with open(_path, "rb") as _f:
        _f.readinto(_part)
    if _part[:3] == b"\xd2\xcd\x31":
        import vfs

        vfs.mount(vfs.VfsRom(memoryview(_part)), "/rom")
        sys.path[1:1] = ["/rom", "/rom/lib"]
    del _f
del _path
gc.collect()
machine.note_bytes(gc.mem_alloc() - machine.board_bytes())
if os.getenv("VBOARD_QSTR"):  # the interned names before main.py (sim.qstr_board_figures)
    import micropython

    micropython.qstr_info()
with open("main.py") as _f:  # as the firmware runs it: compiled from the file, as the __main__ module
    _code = compile(_f.read(), "main.py", "exec")
del _f
exec(_code, {"__name__": "__main__"})
