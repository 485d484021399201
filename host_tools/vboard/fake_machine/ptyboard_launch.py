# ptyboard launcher (MicroPython unix port): makes the port look like a board, then runs boot.py/main.py.
# host_tools/vboard/ptyboard.py copies it beside ptyboard_conf.py (PATHS, REPORT_VERSION, CAPACITY, RUN, ROMFS,
# ROMFS_FILE) and runs it with `micropython -i`: what it defines is deleted before the REPL starts.
import gc
import sys

import ptyboard_conf as _conf

sys.path[:] = _conf.PATHS
del sys.modules["ptyboard_conf"]


def _ptyboard_setup(report_version, capacity):
    if report_version:
        _sys = sys

        class _Impl:
            name = _sys.implementation.name
            version = report_version
            _mpy = (6 if report_version[:2] >= (1, 20) else 5) | (
                (3 if report_version[:2] >= (1, 23) else 1) << 8) | (getattr(_sys.implementation, "_mpy", 0) & ~0x3FF)

        class _SysProxy:
            implementation = _Impl

            def __getattr__(self, name):
                return getattr(_sys, name)

        sys.modules["sys"] = _SysProxy()
    if capacity:
        import os as _os

        bs = 4096

        def _used(d):
            n = 0
            for e in _os.ilistdir(d):
                p = d + "/" + e[0] if d else e[0]
                if e[1] & 0x4000:
                    n += bs + _used(p)
                else:
                    n += (_os.stat(p)[6] + bs - 1) // bs * bs
            return n

        class _OsProxy:
            def statvfs(self, path):
                free = max(0, capacity - _used("")) // bs
                return (bs, bs, capacity // bs, free, free, 0, 0, 0, 0, 255)

            def __getattr__(self, name):
                return getattr(_os, name)

        sys.modules["os"] = _OsProxy()
        import builtins

        _open = open

        def _open_checked(path, mode="r", *a):
            if ("w" in mode or "a" in mode) and _used("") >= capacity:
                raise OSError(28)  # ENOSPC
            return _open(path, mode, *a)

        builtins.open = _open_checked


def _ptyboard_rom(path, size):
    # A ROMFS partition, as a board built with one has: the launcher holds the partition's bytes (a board maps
    # its flash), vfs.rom_ioctl serves mpremote's `romfs query/deploy`, and a valid image is mounted at /rom
    # with /rom and /rom/lib on sys.path after '' (files on the filesystem shadow the ROMFS, as on a board).
    import vfs as _vfs

    part = bytearray(size)  # the only copy: the heap was given `size` more for it
    mv = memoryview(part)
    erase = _ptyboard_eraser(mv)  # noqa: F821 (deleted at the end, after this has run)
    try:
        with open(path, "rb") as f:
            n = f.readinto(part)
    except OSError:
        n = 0
    erase(n, size - n)

    class _VfsProxy:
        def __getattr__(self, name):
            return getattr(_vfs, name)

    proxy = _VfsProxy()
    proxy.rom_ioctl = _ptyboard_ioctl(path, part, mv, erase)  # noqa: F821 (as above)
    sys.modules["vfs"] = proxy
    if part[:3] == b"\xd2\xcd\x31":
        try:
            _vfs.mount(_vfs.VfsRom(mv), "/rom")
            sys.path[1:1] = ["/rom", "/rom/lib"]
        except OSError as e:
            print("ROMFS0: cannot mount:", e)


def _ptyboard_eraser(mv):
    # erase(offset, n): flash erased reads 0xff
    ff = b"\xff" * 256

    def erase(off, n):
        for i in range(off, off + n, 256):
            k = min(256, off + n - i)
            mv[i:i + k] = ff[:k]

    return erase


def _ptyboard_ioctl(path, part, mv, erase):
    # vfs.rom_ioctl(op, ...) of the one partition ROMFS0 (extmod/vfs_rom_ioctl's ops); op 5 saves it to path
    size = len(part)

    def rom_ioctl(op, *a):
        if op == 1:
            return 1
        if not a or a[0] != 0:
            return -19  # ENODEV: one partition, ROMFS0
        if op == 2:
            return mv
        if op == 3:  # prepare: erase (offset, length) or (length)
            off, n = (a[1], a[2]) if len(a) > 2 else (0, a[1])
            if off < 0 or off + n > size:
                return -22
            erase(off, n)
            return 16  # smallest write
        if op == 4:
            off, buf = a[1], a[2]
            if off < 0 or off + len(buf) > size:
                return -22
            mv[off:off + len(buf)] = buf
            return 0
        if op == 5:  # writing done: the partition persists across resets
            with open(path, "wb") as f:
                f.write(part)
            return 0
        if op == 6:
            return 4096  # erase block
        return -22

    return rom_ioctl


def _ptyboard_run(names):
    import os

    for name in names:
        try:
            os.stat(name)
        except OSError:
            continue
        with open(name) as f:
            code = compile(f.read(), name, "exec")
        try:
            exec(code, globals())
        except SystemExit:
            raise
        except BaseException as e:
            sys.print_exception(e)
        del code


_ptyboard_setup(_conf.REPORT_VERSION, _conf.CAPACITY)
if _conf.ROMFS:
    _ptyboard_rom(_conf.ROMFS_FILE, _conf.ROMFS)
_run = _conf.RUN
del _ptyboard_setup, _ptyboard_rom, _ptyboard_eraser, _ptyboard_ioctl, _conf
_ptyboard_run(_run)
del _ptyboard_run, _run
gc.collect()
del gc
