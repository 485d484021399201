"""The display drivers under the MicroPython unix port (real framebuf): show() allocates nothing under
heap_lock and sends the same bytes as on CPython (tests/unit/test_drivers.py: the drivers on CPython)."""

import json
import random

import pytest
from displays import CHAINS, MPLIB, OLED_SIZES, ssd1306
from mp import mp
from trainctl.max7219 import Max7219Chain

from host_tools.common.fakes import FakeI2C, FakePin, FakeSPI


def _ops(w, h, seed):
    """Pixels and rectangles only: their results do not depend on a line algorithm."""
    rnd = random.Random(seed)
    ops = [("pixel", rnd.randrange(w), rnd.randrange(h), 1) for _ in range(w * h // 3)]
    ops += [("fill_rect", rnd.randrange(-4, w), rnd.randrange(-4, h), rnd.randrange(1, w), rnd.randrange(1, h),
             rnd.randrange(2)) for _ in range(3)]
    ops += [("hline", 0, h - 1, w, 1), ("vline", w - 1, 0, h, 1), ("pixel", 0, 0, 0)]
    return ops


def _cpython_traffic(kind, args, ops):
    if kind == "ssd1306":
        bus = FakeI2C()
        disp = ssd1306().SSD1306_I2C(args[0], args[1], bus)
    else:
        bus = FakeSPI()
        disp = Max7219Chain(bus, FakePin(1, bus), cols=args[0], rows=args[1], mirror=args[2], flip=args[3])
    for op in ops:
        getattr(disp, op[0])(*op[1:])
    disp.show()
    disp.show()  # as the script: one show under heap_lock, one measured
    if kind == "ssd1306":
        return [[a, d.hex()] for a, d in bus.transactions]
    return [[0, d.hex()] for d in bus.transactions]


def test_micropython_show_allocates_nothing_and_matches_cpython(tmp_path):
    ssd1306()  # fail early with the fetch command if the driver is missing
    cases = [("ssd1306", [w, h], _ops(w, h, i)) for i, (w, h) in enumerate(OLED_SIZES)]
    cases += [("max7219", list(c), _ops(8 * c[0], 8 * c[1], 10 + i)) for i, c in enumerate(CHAINS)]
    cases_json = tmp_path / "cases.json"
    cases_json.write_text(json.dumps(cases))
    try:
        proc = mp.run_unix("tests/mp/drivers_mp.py", str(cases_json), paths=tuple(mp.DEFAULT_PATHS) + (MPLIB,),
                           timeout=120)
    except mp.ToolMissing as e:
        pytest.fail(str(e), pytrace=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == len(cases)
    for (kind, args, ops), res in zip(cases, results):
        assert res["locked_ok"] and res["alloc"] == 0, (kind, args, res["alloc"])
        assert res["traffic"] == _cpython_traffic(kind, args, ops), (kind, args)


