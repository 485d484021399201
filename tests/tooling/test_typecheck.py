"""firmware/ type-checks against the MicroPython stubs of each board.

pyright runs once per board config (pyrightconfig.json = rp2,
typecheck/pyrightconfig.esp32.json = esp32) over firmware/,
tests/typecheck/bad_cpython_only.py and a small file of MicroPython APIs.
The bad file proves the setup rejects CPython-only APIs (so it cannot
silently check nothing); the API file proves it accepts MicroPython ones.
ruff with typecheck/ruff-micropython.toml covers what pyright cannot see:
module-level imports of stub-only modules such as typing.
Missing tools are failures with install instructions, never skips.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest
from mp.mp import ToolMissing, venv_tool

from host_tools.common.paths import ROOT

REPO = Path(ROOT)
BAD = REPO / "tests" / "typecheck" / "bad_cpython_only.py"
CONFIGS = {
    "rp2": REPO / "pyrightconfig.json",
    "esp32": REPO / "typecheck" / "pyrightconfig.esp32.json",
}
RUFF_CONFIG = REPO / "typecheck" / "ruff-micropython.toml"
MARK = re.compile(r"#\s*error:\s*(pyright|ruff)\s*$")

# MicroPython-only APIs (and allowed idioms) that must type-check cleanly.
GOOD_SOURCE = """\
import framebuf
import machine
import micropython
import time
from micropython import const

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List

N = const(5)
t0 = time.ticks_ms()
elapsed = time.ticks_diff(time.ticks_ms(), t0)
time.sleep_ms(1)
pin = machine.Pin(2, machine.Pin.OUT)
pin.value(1)
buf = bytearray(16 * 8 // 8)
fb = framebuf.FrameBuffer(buf, 16, 8, framebuf.MONO_VLSB)
fb.text("x", 0, 0, 1)
micropython.heap_lock()
micropython.heap_unlock()
text = "{:03d}".format(7)
raw = (258).to_bytes(2, "big")
values: "List[int]" = [int.from_bytes(raw, "big")]
"""


def _tool(name):
    try:
        return venv_tool(name)
    except ToolMissing as e:
        pytest.fail(str(e), pytrace=False)


def _marked_lines(kind):
    lines = BAD.read_text().splitlines()
    return {i for i, line in enumerate(lines, 1) if (m := MARK.search(line)) and m.group(1) == kind}


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def pyright_run(request, tmp_path_factory):
    """(board, {file path: [(line, rule, message)]}, summary) of one pyright run."""
    board = request.param
    typings = REPO / "build" / "typings" / board / "PINS.txt"
    if not typings.is_file():
        pytest.fail(
            "build/typings/%s missing; run `.venv/bin/python typecheck/install_stubs.py` (part of `make venv`)" % board,
            pytrace=False,
        )
    good = tmp_path_factory.mktemp("typecheck") / "good_micropython.py"
    good.write_text(GOOD_SOURCE)
    boards = REPO / "boards" / ("rp2040" if board == "rp2" else board)
    cmd = [_tool("pyright"), "--outputjson", "-p", str(CONFIGS[board]), str(REPO / "firmware"), str(boards), str(BAD),
           str(good)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        pytest.fail("pyright gave no JSON report:\n" + proc.stdout + proc.stderr, pytrace=False)
    errors = {}
    for diag in report["generalDiagnostics"]:
        if diag["severity"] == "error":
            errors.setdefault(str(Path(diag["file"]).resolve()), []).append(
                (diag["range"]["start"]["line"] + 1, diag.get("rule"), diag["message"])
            )
    return board, errors, report["summary"], good


def test_pyright_flags_exactly_the_cpython_only_lines(pyright_run):
    board, errors, summary, _ = pyright_run
    expected = _marked_lines("pyright")
    assert expected, "no '# error: pyright' marks in " + str(BAD)
    got = {line for line, _, _ in errors.get(str(BAD), [])}
    assert got == expected, "%s: pyright errors on lines %s, expected %s:\n%s" % (
        board,
        sorted(got),
        sorted(expected),
        errors.get(str(BAD)),
    )


def test_pyright_accepts_micropython_apis(pyright_run):
    board, errors, summary, good = pyright_run
    assert summary["filesAnalyzed"] >= 3, summary
    assert str(good.resolve()) not in errors, errors[str(good.resolve())]


def test_firmware_has_no_pyright_errors(pyright_run):
    board, errors, summary, _ = pyright_run
    mine = (str(REPO / "firmware") + "/", str(REPO / "boards") + "/")
    found = {f: e for f, e in errors.items() if f.startswith(mine)}
    assert not found, "%s: %s" % (board, json.dumps(found, indent=1))


def _ruff(*paths):
    cmd = [
        _tool("ruff"),
        "check",
        "--no-cache",
        "--config",
        str(RUFF_CONFIG),
        "--output-format",
        "json",
        *map(str, paths),
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        pytest.fail("ruff gave no JSON report:\n" + proc.stdout + proc.stderr, pytrace=False)


def test_ruff_flags_exactly_the_stub_only_imports():
    expected = _marked_lines("ruff")
    assert expected, "no '# error: ruff' marks in " + str(BAD)
    got = {d["location"]["row"] for d in _ruff(BAD)}
    assert got == expected


def test_firmware_imports_no_stub_only_modules():
    found = _ruff(REPO / "firmware")
    assert not found, "\n".join("%s:%d: %s" % (d["filename"], d["location"]["row"], d["message"]) for d in found)
