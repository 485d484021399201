# The interned-name probe of host_tools/build/qstrs.py, run by the MicroPython WebAssembly port: the name pools
# before, then the pool count after interning each name of the file NAMES (one name a line; qstrs.py puts the
# line `NAMES = "<path>"` before this program). A name that does not grow the count was interned already.
import micropython

micropython.qstr_info(1)
print("=====")
_zq_o = object()
with open(NAMES) as _zq_f:  # noqa: F821 (the line qstrs.py puts first)
    for _zq_n in _zq_f:
        micropython.qstr_info()
        getattr(_zq_o, _zq_n[:-1], None)
micropython.qstr_info()
