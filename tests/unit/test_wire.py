"""trainctl.hw.wire: the app's hardware beyond the UART (display Panel, announcer, console poll) and its faults."""

from types import SimpleNamespace

import pytest
from trainctl import route_data as R
from trainctl.coach import Coach
from trainctl.hw import Panel, wire

from host_tools.common.fakes import FakeI2C


def _ssd1306():
    try:
        import ssd1306
    except ImportError:
        pytest.fail("ssd1306.py missing: run `make venv` (python -m host_tools.build.fetch_mplib)")
    return ssd1306


def _coach(hw, lines):
    return Coach(R, hw, None, lines.append)


def test_nothing_to_wire_gives_three_nones_and_no_fault():
    hw = SimpleNamespace()
    lines = []
    c = _coach(hw, lines)
    assert wire(R, hw, c, lines.append) == (None, None, None)
    assert c.faults == [0, 0, 0, 0] and lines == []


def test_a_display_that_refuses_its_contrast_is_a_display_fault_and_still_shows_the_first_frame(tmp_path):
    ssd1306 = _ssd1306()

    class Refusing(ssd1306.SSD1306_I2C):
        def contrast(self, contrast):
            raise OSError(5)

    cfg = tmp_path / "config.json"
    cfg.write_bytes(b'{"brightness": 3}')
    i2c = FakeI2C()
    disp = Refusing(128, 64, i2c)
    i2c.clear()
    hw = SimpleNamespace(display=disp, config_path=str(cfg))
    lines = []
    c = _coach(hw, lines)
    p, ann, con = wire(R, hw, c, lines.append)
    assert isinstance(p, Panel) and ann is None and con is None
    assert c.faults[0] == 1 and c.rest_ms[0] > 0
    assert any(ln.startswith("fault: display: OSError") for ln in lines), lines
    assert p.frames == 1 and i2c.transactions  # the first frame went out all the same


def test_the_contrast_comes_from_the_configuration(tmp_path):
    ssd1306 = _ssd1306()
    cfg = tmp_path / "config.json"
    cfg.write_bytes(b'{"brightness": 3}')
    i2c = FakeI2C()
    disp = ssd1306.SSD1306_I2C(128, 64, i2c)
    hw = SimpleNamespace(display=disp, config_path=str(cfg))
    c = _coach(hw, [])
    wire(R, hw, c, print)
    assert (0x3C, b"\x80\x81") in i2c.transactions and (0x3C, b"\x80\x33") in i2c.transactions  # 3 * 17 = 51
    assert c.faults == [0, 0, 0, 0]


def test_a_console_that_cannot_be_polled_means_no_requests_said_on_the_log():
    hw = SimpleNamespace(console=object())  # no fileno(): select.poll refuses it
    lines = []
    c = _coach(hw, lines)
    assert wire(R, hw, c, lines.append) == (None, None, None)
    assert len(lines) == 1 and lines[0].startswith("console: no requests: "), lines
    assert c.faults == [0, 0, 0, 0]


def test_no_announcer_for_firmware_loaded_from_the_filesystem(tmp_path):
    clips = tmp_path / "voice.bin"
    clips.write_bytes(b"\0" * 64)
    hw = SimpleNamespace(audio=(lambda: None, str(clips)))  # on the host trainctl runs from files: a stock build
    c = _coach(hw, [])
    assert wire(R, hw, c, print) == (None, None, None)
    assert c.faults == [0, 0, 0, 0]
