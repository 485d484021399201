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
_open = open


class _FlashFile:
    """A file opened for writing: a flush() or close() after writes is a littlefs commit that stops the CPU
    (interrupts off) while the UART keeps only its FIFO (machine.flash_busy): a file up to littlefs's inline
    limit (128 B) lives in its directory's metadata log (a page program; an erase when the log compacts), a
    bigger one is copied block by block (an erase each commit)."""

    def __init__(self, f, size):
        self._f = f
        self._dirty = False
        self._size = size

    def write(self, b):
        self._dirty = True
        r = self._f.write(b)
        end = self._f.tell()
        if end > self._size:
            self._size = end
        return r

    def flush(self):
        r = self._f.flush()
        if self._dirty:
            self._dirty = False
            machine.flash_busy(self._size <= 128)
        return r

    def close(self):
        self._f.close()
        if self._dirty:
            self._dirty = False
            machine.flash_busy(self._size <= 128)

    def seek(self, *args):
        return self._f.seek(*args)

    def tell(self):
        return self._f.tell()

    def read(self, *args):
        return self._f.read(*args)

    def readinto(self, *args):
        return self._f.readinto(*args)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _flash_open(path, mode="r", *args, **kwargs):
    f = _open(path, mode, *args, **kwargs)
    if "w" in mode or "+" in mode or "a" in mode:
        size = os.stat(path)[6]
        gc.collect()
        a0 = gc.mem_alloc()
        w = _FlashFile(f, size)
        machine.note_bytes(gc.mem_alloc() - a0, True)  # the wrapper is the board's (a board's file is bare)
        return w
    return f


import builtins  # noqa: E402

if sys.platform != "webassembly":  # the WebAssembly boot measures RAM after boot only: no flash timing there
    builtins.open = _flash_open
gc.collect()
machine.note_bytes(gc.mem_alloc() - machine.board_bytes())
if os.getenv("VBOARD_QSTR"):  # the interned names before main.py (host_tools.vboard.run.qstr_board_figures)
    import micropython

    micropython.qstr_info()
with open("main.py") as _f:  # as the firmware runs it: compiled from the file, as the __main__ module
    _code = compile(_f.read(), "main.py", "exec")
del _f
main_globals = {"__name__": "__main__"}  # main.py's globals: its `app` (machine.py's summary reads the parser's counts)
exec(_code, main_globals)
