# RAM after boot step by step with every module in a ROMFS image mounted with vfs.VfsRom (bytecode and
# constant data used in place, as from a board's ROMFS partition): micropython ram_steps_romfs.py STATE IMAGE.
# (Comments, not a docstring: a docstring would be allocated before the measurement.)

import sys

import vfs

with open(sys.argv[2], "rb") as _f:
    _img = _f.read()  # on a board the image is a flash partition; here it is one bytes object (in the base)
vfs.mount(vfs.VfsRom(_img), "/rom")
sys.path.insert(0, "/rom/lib")  # as a board's firmware puts its ROMFS partition on the path
sys.path.insert(0, "/rom")

import ram_steps  # noqa: E402  (after the mount: its imports come from the image)

print('{"romfs_file": "%s"}' % ram_steps.app.__file__)
