"""Passenger pages under MicroPython: the same frames from the host framebuf stand-in as from MicroPython's own
framebuf (unix and WebAssembly ports), and tick/render/show allocating nothing under heap_lock."""

import pytest
from mp.mp import REPO, ToolMissing, run_unix, run_wasm
from mp.pages_script import drive

PATHS = (REPO / "firmware", REPO / "tests")


def _frames_cpython(w, h):
    out = []
    drive(w, h, lambda buf, t_ms, p: out.append("%d %s" % (t_ms, bytes(buf).hex())))
    return out


@pytest.mark.parametrize("port", ["unix", "wasm"])
@pytest.mark.parametrize("size", [(128, 64), (64, 16)], ids=["oled", "ticker"])
def test_host_framebuf_matches_micropython_byte_for_byte(port, size):
    w, h = size
    run = run_unix if port == "unix" else run_wasm
    try:
        p = run("tests/mp/pages_script.py", "frames", str(w), str(h), paths=PATHS)
    except ToolMissing as e:
        pytest.fail(str(e))
    assert p.returncode == 0, p.stderr
    got = p.stdout.splitlines()
    want = _frames_cpython(w, h)
    assert len(want) > 300  # rotation, scrolling and all alerts were drawn
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a == b, "first different frame at t=%s ms" % b.split()[0]


@pytest.mark.parametrize("size", [(128, 64), (64, 16)], ids=["oled", "ticker"])
def test_tick_and_render_allocate_nothing_under_heap_lock(size):
    p = run_unix("tests/mp/pages_script.py", "alloc", str(size[0]), str(size[1]), paths=PATHS, heap="256k")
    assert p.returncode == 0, p.stderr
    frames, alloc = [int(x) for x in p.stdout.split()[1::2]]
    assert frames > 300 and alloc == 0


@pytest.mark.parametrize("kind", ["oled", "ticker"])
def test_panel_with_real_driver_allocates_nothing_under_heap_lock(kind):
    p = run_unix("tests/mp/pages_script.py", "alloc_panel", kind, paths=PATHS + (REPO / ".venv" / "mplib",),
                 heap="256k")
    assert p.returncode == 0, p.stderr
    frames, alloc = [int(x) for x in p.stdout.split()[1::2]]
    assert frames > 300 and alloc == 0


def test_the_strict_bus_catches_the_drivers_own_show():
    """The plain driver's show() (writevto: the port joins the buffers on the heap) fails under heap_lock() on
    the strict fake bus, as on the rp2 port: the test above would catch a display path that allocates."""
    p = run_unix("tests/mp/pages_script.py", "alloc_panel", "oled_plain", paths=PATHS + (REPO / ".venv" / "mplib",),
                 heap="256k")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[-1] == "-1", p.stdout
