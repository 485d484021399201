"""Board files: the only pin numbers, matching the wiring table of docs/boards.md (moved there from the README);
nothing else imports machine."""

import ast
import re

import pytest
from mp.mp import REPO

BOARDS = {"esp32": 1, "rp2040": 2}  # board -> column of the wiring table
# the table's signal -> (board-file constant, index into it or None)
SIGNALS = {
    "GPS TX → board RX": ("GPS_RX", None), "board TX → GPS RX": ("GPS_TX", None),
    "OLED SDA": ("I2C_SDA", None), "OLED SCL": ("I2C_SCL", None),
    "MAX7219 CLK": ("SPI_SCK", None), "MAX7219 DIN": ("SPI_MOSI", None), "MAX7219 CS (LOAD)": ("SPI_CS", None),
    "alarm (buzzer/lamp driver)": ("ALARM", None),
}
PAIRS = {
    "door A left / A right": ("door_A_left", "door_A_right"), "door B left / B right": ("door_B_left", "door_B_right"),
    "gangway A / B": ("gangway_A", "gangway_B"), "beam A outer / inner": ("beam_A_outer", "beam_A_inner"),
    "beam B outer / inner": ("beam_B_outer", "beam_B_inner"), "WC 1 / WC 2 lock switch": ("wc_1", "wc_2"),
}


def _constants(board):
    tree = ast.parse((REPO / "boards" / board / "board.py").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            v = node.value
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "const":
                v = v.args[0]  # _NAME = const(value): a private constant, folded by the compiler
            value = ast.literal_eval(v) if not isinstance(v, ast.Call) else None
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id.lstrip("_")] = value
                elif isinstance(t, ast.Tuple):
                    out.update({e.id.lstrip("_"): v for e, v in zip(t.elts, value)})
    return out


def _wiring_rows():
    rows = {}
    for line in (REPO / "docs" / "boards.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and (cells[0] in SIGNALS or cells[0] in PAIRS):
            rows[cells[0]] = cells
    return rows


def _gpios(cell, board):
    if board == "esp32":  # "16 (UART2 RX)", "32 / 33"
        return [int(x) for x in re.findall(r"\d+", re.sub(r"\([^)]*\)", "", cell))]
    return [int(x) for x in re.findall(r"GP(\d+)", cell)]  # "GP1 (2), UART0 RX": GPIO, not the pin


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_wiring_table_matches_the_board_file(board):
    c = _constants(board)
    rows = _wiring_rows()
    assert set(rows) == set(SIGNALS) | set(PAIRS)
    for sig, (name, _) in SIGNALS.items():
        assert _gpios(rows[sig][BOARDS[board]], board)[0] == c[name], (board, sig)
    for sig, (a, b) in PAIRS.items():
        assert _gpios(rows[sig][BOARDS[board]], board)[:2] == [c["INPUTS"][a], c["INPUTS"][b]], (board, sig)
    assert len(c["INPUTS"]) == 12 and len(set(c["INPUTS"].values())) == 12
    pins = [c[name] for name, _ in SIGNALS.values()] + list(c["INPUTS"].values())
    assert len(set(pins)) == len(pins), "a pin is used twice"


def test_only_board_files_import_machine():
    for p in (REPO / "firmware").rglob("*.py"):
        tree = ast.parse(p.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "machine" not in names and "machine" not in mods, p
        assert "network" not in names and "socket" not in names, p  # no network service in the firmware


def test_no_eval_exec_or_network_service_anywhere_on_the_board():
    """Configuration and state from the flash are parsed (json, struct), never run: no eval/exec/compile
    in the firmware or the board files; the board files import network and bluetooth only to switch the
    radios off, and nothing imports socket, webrepl or a network server."""
    files = [*(REPO / "firmware").rglob("*.py"), *(REPO / "boards").rglob("*.py")]
    assert len(files) > 20
    for p in files:
        tree = ast.parse(p.read_text())
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"eval", "exec", "compile", "__import__"}, p
        names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not (names | mods) & {"socket", "usocket", "webrepl", "webrepl_setup", "ssl", "asyncio.start_server"}, p
        if "network" in names or "bluetooth" in names:
            assert p.parent.parent.name == "boards", p
            active = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                      and n.func.attr == "active"]
            assert active and all(len(c.args) == 1 and getattr(c.args[0], "value", None) is False for c in active), p
    esp = (REPO / "boards" / "esp32" / "board.py").read_text()
    assert "network.WLAN(i).active(False)" in esp and "bluetooth.BLE().active(False)" in esp


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_deploy_feeds_the_watchdog_with_the_board_files_timeout_and_timer(board):
    from host_tools.board import deploy

    assert _constants(board)["WDT_MS"] == deploy.WDT_MS
    src = (REPO / "boards" / board / "board.py").read_text()
    want = {"esp32": 0, "rp2040": -1}[board]  # hardware timer 0; a soft timer
    assert deploy.keep_fed_timer(board) == want and "Timer(%d, mode=Timer.PERIODIC" % want in src
