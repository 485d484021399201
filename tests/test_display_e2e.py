"""Pages through the real drivers: what goes over the bus decodes back to the frame the host renders."""

import errno

import pytest
from test_pages import DANDONG, SINUIJU, T0, state
from trainctl import font_data
from trainctl import route_data as R
from trainctl.app import Panel
from trainctl.max7219 import Max7219Chain
from trainctl.pages import Pages
from trainctl.text import Font

from host_tools.buses import FakeI2C, FakePin, FakeSPI, Max7219Decoder, Ssd1306Decoder
from host_tools.screen import Screen

STATES = [
    state(),
    state(nxt=DANDONG, at=-1),
    state(nxt=SINUIJU, at=DANDONG),
    state("95", 480, 0, SINUIJU, at=DANDONG),
    state("95", 540, 1, SINUIJU, at=-1),
    state("52", 540, 1, SINUIJU + 1, at=SINUIJU),
]


def _ssd1306():
    try:
        import ssd1306
    except ImportError:
        pytest.fail("ssd1306.py missing: run `make venv` (python -m host_tools.fetch_mplib)")
    i2c = FakeI2C()
    disp = ssd1306.SSD1306_I2C(128, 64, i2c)
    return disp, i2c, Ssd1306Decoder(128, 64).feed_all(i2c.transactions)  # the decoder sees the init


def _max7219():
    spi = FakeSPI()
    disp = Max7219Chain(spi, FakePin(1, spi), cols=8, rows=2)
    return disp, spi, Max7219Decoder(8, 2).feed_all(spi.transactions)


@pytest.mark.parametrize("kind", ["oled", "ticker"])
def test_bus_bytes_decode_to_the_rendered_pages(kind):
    disp, bus, dec = _ssd1306() if kind == "oled" else _max7219()
    ref = Screen(kind)
    panel = Panel(Pages(R, Font(font_data), disp.width, disp.height), disp)
    compared = 0
    for i, st in enumerate(STATES):
        panel.pages.update(st)
        ref.pages.update(st)
        for k in range(60):  # 12 s of display time per state, 200 ms steps: rotation, alerts, scrolling
            t = T0 + i * 12 + k // 5
            bus.clear()
            sent = panel.step(200, t)
            ref.pages.tick(200, t)
            if not sent:
                continue
            dec.feed_all(bus.transactions)
            assert dec.visible() == ref.render().pixels(), "frame %d of state %d differs" % (k, i)
            compared += 1
    assert compared > 40 and panel.errors == 0


def test_a_refused_frame_is_counted_and_sent_again():
    disp, i2c, dec = _ssd1306()
    panel = Panel(Pages(R, Font(font_data), 128, 64), disp)
    panel.pages.update(state())
    assert panel.step(0, T0)
    i2c.fail_next(errno.ETIMEDOUT)
    assert not panel.step(100, T0 + 60)  # minute changed: new frame, refused
    assert panel.errors == 1 and panel.last_errno == errno.ETIMEDOUT
    i2c.clear()
    assert panel.step(100, T0 + 60)  # nothing changed, but the refused frame goes again
    dec.feed_all(i2c.transactions)
    ref = Screen("oled")
    ref.pages.update(state())
    ref.pages.tick(0, T0 + 60)
    assert dec.visible() == ref.render().pixels()
    assert not panel.step(100, T0 + 60)  # and then nothing until something changes
