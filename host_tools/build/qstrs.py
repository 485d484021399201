"""The firmware's interned names (qstrs) as a board holds them, and what their index costs in RAM.

MicroPython interns every name a loaded module uses that its build does not have built in: the strings in a
.mpy file's qstr table (mpy-cross stores the core's static names as indexes, every other name as text), the
module's import name and its __file__ path. Names made at run time live in pools on the heap: a pool is one
block of a 24-byte header and, per entry, a 4-byte pointer, a 2-byte hash and a 1-byte length (32-bit ports
with MICROPY_QSTR_BYTES_IN_HASH 2, as the ESP32 and RP2040 builds), in 16-byte GC blocks; a full pool is
followed by one twice its size, the first holding 20 (py/qstr.c: twice the frozen pool's alloc of 10). So 620
names take 5 pools (4.4 KB) and the 621st adds a pool of 640 entries (4.5 KB more).

On the virtual board the fake machine, vboot.py and the WebAssembly wrapper intern names before main.py,
some of them the firmware's too, and fill the small pools; those pools then count as the board's share. A board
holds the firmware's names from the first pool on, with its own built-in names: board_names() counts them
from the .mpy files themselves and the board's MicroPython stubs (build/typings/<board>: the names of its
built-in and frozen modules, classes, functions, constants and keyword arguments). Names the stubs do not
list count as the firmware's, so the count errs high.
"""

import ast
import os
import subprocess

from host_tools.common import cli
from host_tools.common.paths import ROOT

FIRST_POOL = 20
POOL_HEADER_B = 24
ENTRY_B = 7  # pointer 4, hash 2, length 1
STUBS = os.path.join(ROOT, "build", "typings")
BOARD_STUBS = {"esp32": "esp32", "rp2040": "rp2"}


PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp", "qstr_probe.py")  # run by the wasm port

def pool_bytes(entries):
    """Heap bytes of one qstr pool of that many entries on a 32-bit port."""
    return -(-(POOL_HEADER_B + ENTRY_B * entries) // 16) * 16


def pools_bytes(n_pool):
    """Heap bytes of the first n_pool pools (20, 40, 80... entries)."""
    return sum(pool_bytes(FIRST_POOL << k) for k in range(n_pool))


def pools_for(n_names):
    """How many pools hold n_names names made at run time."""
    k = 0
    while FIRST_POOL * ((1 << k) - 1) < n_names:
        k += 1
    return k


def _uint(b, i):
    v = 0
    while True:
        c = b[i]
        i += 1
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            return v, i


def mpy_names(data):
    """The names a .mpy file carries as text (interned when it is loaded); the core's static names, which
    mpy-cross stores as indexes, are left out. ValueError for a file that is not a .mpy."""
    if data[:1] != b"M":
        raise ValueError("not a .mpy file")
    n_qstr, i = _uint(data, 4)
    _, i = _uint(data, i)  # constant objects
    out = []
    for _ in range(n_qstr):
        ln, i = _uint(data, i)
        if ln & 1:  # static: an index into the core's names
            continue
        ln >>= 1
        out.append(data[i:i + ln].decode("utf-8"))
        i += ln + 1
    return out


def stub_names(board, stdlib=False):
    """Names the board's stubs define: module names and the names of the classes, functions, methods and
    constants in them, and for the board's own modules the names of keyword arguments (those with a default
    or keyword-only: a C function names them as qstrs; positional ones are not counted); or (stdlib) those of
    micropython-stdlib-stubs (typeshed's, so also names MicroPython lacks)."""
    root = os.path.join(STUBS, BOARD_STUBS[board])
    if not os.path.isdir(root):
        raise FileNotFoundError("%s missing (make venv installs the stubs)" % root)
    if stdlib:
        root = os.path.join(root, "stdlib")
    names = set()
    for dirpath, dirnames, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if d not in ("stdlib", "_mpy_shed") and not d.endswith(".dist-info")]
        if rel != ".":
            names.add(os.path.basename(dirpath))
        for f in files:
            if not f.endswith(".pyi"):
                continue
            names.add(f[:-4])
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                tree = ast.parse(fh.read())
            for node in ast.walk(tree):
                if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(node.name)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not stdlib:
                    a = node.args  # keyword arguments (a default, or keyword-only): named in C as qstrs;
                    pos = a.posonlyargs + a.args  # positional-only ones (before "/") are not
                    names.update(p.arg for p in pos[len(pos) - len(a.defaults):] if p not in a.posonlyargs)
                    names.update(p.arg for p in a.kwonlyargs)
                elif isinstance(node, ast.Assign):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
    return names


def loaded_files(modules, mpy_dir):
    """{module name: .mpy path under mpy_dir} for the loaded modules that came from the firmware's .mpy files
    (trainctl.*, the board file, micropython-lib's drivers)."""
    out = {}
    for m in modules:
        rel = m.replace(".", "/")
        for cand in (rel + "/__init__.mpy", rel + ".mpy", "lib/" + rel + ".mpy"):
            p = os.path.join(mpy_dir, cand)
            if os.path.isfile(p):
                out[m] = p
                break
    return out


def firmware_names(files, main_mpy):
    """Every name the firmware interns at boot: its loaded .mpy files' names, main.py's (compiled, as the
    board compiles it), each module's import name and __file__ path (as from a ROMFS; from the filesystem it
    is one name too)."""
    names = set()
    for m, p in files.items():
        with open(p, "rb") as f:
            names.update(mpy_names(f.read()))
        names.add(m)
        names.add("/rom/" + _file_path(m, p))
    with open(main_mpy, "rb") as f:
        names.update(mpy_names(f.read()))
    return names


def _file_path(module, path):
    """__file__ of a module loaded from path (relative to the import root: trainctl/app.mpy, lib/ssd1306.mpy)."""
    parts = os.path.normpath(path).split(os.sep)
    if module.startswith("trainctl"):
        i = len(parts) - 1 - parts[::-1].index("trainctl")
        return "/".join(parts[i:])
    if len(parts) >= 2 and parts[-2] == "lib":
        return "lib/" + parts[-1]
    return module + ".mpy"


def builtin_names(board, core):
    """Names the board's build has built in: its stubs' names, and those of the core's (core: names the
    WebAssembly port has built in, wasm_static) that micropython-stdlib-stubs defines too (set.add,
    json.load...; a name only one of them knows counts as not built in)."""
    return stub_names(board) | (core & stub_names(board, stdlib=True))


def wasm_static(names, tmp):
    """The names the WebAssembly port has built in: a fresh interpreter interns each (getattr) and its pool
    count does not grow. Names the wrapper interned itself count as not built in. tmp: a scratch folder."""

    names = sorted(names)
    with open(os.path.join(tmp, "names.txt"), "w", encoding="utf-8") as f:
        f.write("".join(n + "\n" for n in names))
    script = os.path.join(tmp, "probe.py")
    with open(script, "w", encoding="utf-8") as f:
        f.write("NAMES = %r\n" % os.path.join(tmp, "names.txt"))  # then the probe itself (host_tools/build/mp/)
        with open(PROBE, encoding="utf-8") as g:
            f.write(g.read())
    p = subprocess.run(["node", os.path.join(ROOT, "tests", "mp", "run_wasm.mjs"), "--copy", tmp, script],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    lines = p.stdout.splitlines()
    if p.returncode or "=====" not in lines:
        raise RuntimeError("qstr probe failed: %s" % (p.stderr.strip().splitlines() or ["?"])[-1])
    k = lines.index("=====")
    pre = {ln[2:-1] for ln in lines[:k] if ln.startswith("Q(")}
    counts = [int(ln.split("n_qstr=")[1].split(",")[0]) for ln in lines[k + 1:] if ln.startswith("qstr pool:")]
    if len(counts) != len(names) + 1:
        raise RuntimeError("qstr probe: %d counts for %d names" % (len(counts), len(names)))
    return {n for i, n in enumerate(names) if counts[i + 1] == counts[i] and n not in pre}


def board_names(names, board, core):
    """The names the board makes at run time: the firmware's, less the board's built-in ones."""
    return sorted(names - builtin_names(board, core))


def main(argv=None):
    """python -m host_tools.build.qstrs [DIR]: the names the .mpy files under DIR carry as text, and their
    pools' RAM."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m host_tools.build.qstrs", description=main.__doc__)
    ap.add_argument("dir", nargs="?", default=os.path.join(ROOT, "build", "deploy", "virtual"),
                    help="folder of compiled .mpy files (default: build/deploy/virtual, after make deploy or sim)")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.dir):
        raise FileNotFoundError(2, "No such folder (compile first: make deploy BOARD=... or make sim)", a.dir)
    names = set()
    files = 0
    for dp, _, ns in os.walk(a.dir):
        for n in ns:
            if n.endswith(".mpy"):
                with open(os.path.join(dp, n), "rb") as f:
                    names.update(mpy_names(f.read()))
                files += 1
    if not files:
        raise ValueError("%s: no .mpy files" % a.dir)
    k = pools_for(len(names))
    print("%d names in %d .mpy files: %d pools, %d bytes of heap on a 32-bit board (core names not counted)"
          % (len(names), files, k, pools_bytes(k)))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(cli.guard(main, "qstrs"))
