"""Pages through the real drivers: what goes over the bus decodes back to the frame the host renders."""

import errno

import pytest
from test_pages import DANDONG, SINUIJU, T0, state
from trainctl import font_data
from trainctl import route_data as R
from trainctl.hw import Panel
from trainctl.max7219 import Max7219Chain
from trainctl.pages import Pages
from trainctl.text import Font

from host_tools.common.fakes import FakeI2C, FakePin, FakeSPI
from host_tools.replay.screen import Screen
from host_tools.vboard.buses import Max7219Decoder, Ssd1306Decoder

STATES = [
    state(),
    state(nxt=DANDONG, at=-1),
    state(nxt=SINUIJU, at=DANDONG),
    state("95", 480, 0, SINUIJU, at=DANDONG),
    state("95", 540, 1, SINUIJU, at=-1),
    state("52", 540, 1, SINUIJU + 1, at=SINUIJU),
]


def _ssd1306(pages=False):
    try:
        import ssd1306
    except ImportError:
        pytest.fail("ssd1306.py missing: run `make venv` (python -m host_tools.build.fetch_mplib)")
    i2c = FakeI2C()
    if pages:
        from trainctl.oled import Oled

        disp = Oled(128, 64, i2c)
    else:
        disp = ssd1306.SSD1306_I2C(128, 64, i2c)
    return disp, i2c, Ssd1306Decoder(128, 64).feed_all(i2c.transactions)  # the decoder sees the init


def _max7219():
    spi = FakeSPI()
    disp = Max7219Chain(spi, FakePin(1, spi), cols=8, rows=2)
    return disp, spi, Max7219Decoder(8, 2).feed_all(spi.transactions)


@pytest.mark.parametrize("kind,budget", [("oled", 8), ("oled_pages", 8), ("oled_pages", 3), ("ticker", 8)])
def test_bus_bytes_decode_to_the_rendered_pages(kind, budget):
    """oled_pages: trainctl.oled.Oled, only the pages that changed, at most `budget` pages a send."""
    disp, bus, dec = _max7219() if kind == "ticker" else _ssd1306(kind == "oled_pages")
    ref = Screen(kind[:4] if kind != "ticker" else kind)
    panel = Panel(Pages(R, Font(font_data), disp.width, disp.height), disp, budget)
    compared = 0
    for i, st in enumerate(STATES):
        panel.pages.update(st)
        ref.pages.update(st)
        for k in range(60):  # 12 s of display time per state, 200 ms steps: rotation, alerts, scrolling
            t = T0 + i * 12 + k // 5
            bus.clear()
            sent = panel.step(200, t)
            while not sent and panel._resend and not panel.errors:  # the rest of the frame, as the loop does
                sent = panel.send()
            ref.pages.tick(200, t)
            if not sent:
                continue
            dec.feed_all(bus.transactions)
            assert dec.visible() == ref.render().pixels(), "frame %d of state %d differs" % (k, i)
            compared += 1
    assert compared > 40 and panel.errors == 0


@pytest.mark.parametrize("pages", [False, True], ids=["driver", "oled_pages"])
def test_a_refused_frame_is_counted_and_sent_again(pages):
    disp, i2c, dec = _ssd1306(pages)
    panel = Panel(Pages(R, Font(font_data), 128, 64), disp)
    panel.pages.update(state())
    assert panel.step(0, T0)
    dec.feed_all(i2c.transactions)  # the first frame (the page-sending driver then sends only changes)
    i2c.clear()
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


def test_only_changed_pages_go_out_and_a_fault_mid_frame_resends_the_rest():
    """Oled: a scroll step sends the pages of the scrolling rows only; a bus fault on the second run of a
    frame leaves that run pending, and the next send completes the same picture."""
    disp, i2c, dec = _ssd1306(True)
    panel = Panel(Pages(R, Font(font_data), 128, 64), disp)
    panel.pages.update(state())
    assert panel.step(0, T0)
    dec.feed_all(i2c.transactions)
    i2c.clear()
    scrolled = 0
    while panel.pages.lang < 2 or panel.pages.phase_ms < 3000:  # into the English screen's scrolling
        i2c.clear()
        panel.step(40, T0)
        if panel.pages.lang == 2 and panel.pages.scroll_px > 0 and i2c.transactions:
            data = [d for _, d in i2c.transactions if d[0] == 0x40]
            assert data and all(len(d) in (129, 257) for d in data), [len(d) for d in data]  # never a frame
            scrolled += 1
        dec.feed_all(i2c.transactions)
    assert scrolled > 10
    i2c.clear()
    panel.pages.update(state(nxt=SINUIJU, at=DANDONG))  # arrival alert: every page changes
    i2c.fail_next(count=1)  # the first run's address commands are refused
    assert not panel.step(40, T0)
    assert panel.errors == 1 and disp.pending == 0xFF
    assert panel.send()  # the whole frame on the next pass
    dec.feed_all(i2c.transactions)
    ref = Screen("oled")
    ref.pages.update(state())
    ref.pages.update(state(nxt=SINUIJU, at=DANDONG))
    ref.pages.tick(0, T0)
    assert dec.visible() == ref.render().pixels()


def test_scrolling_bus_traffic_is_at_most_a_third_of_before():
    """Issue 19: while a line scrolls, the SSD1306's I2C bytes a second at most 1/3 of the pre-issue figure."""
    from host_tools.bench import display as bench

    plain, pages = bench.scroll_bus_rate("ssd1306"), bench.scroll_bus_rate("oled")
    assert plain["frames"] == pages["frames"] > 1000 and pages["scroll_s"] > 60  # the same frames
    assert pages["scroll_Bps"] * 3 <= bench.SCROLL_BUS_BEFORE_BPS
    assert pages["total_Bps"] * 2 < plain["total_Bps"]
