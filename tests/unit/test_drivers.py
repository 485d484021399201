"""Display drivers on fake buses: what goes over the wire decodes back to the framebuffer's pixels.

SSD1306: micropython-lib's driver (.venv/mplib/ssd1306.py, fetched by `python -m host_tools.build.fetch_mplib`).
MAX7219: firmware/trainctl/max7219.py. The decoders in host_tools/vboard/buses.py model the chips from their
datasheets; on CPython `framebuf` is host_tools/hostlib's stand-in. The same drivers under the MicroPython unix
port: tests/integration/test_drivers_mp.py.
"""

import errno
import os

import pytest
from displays import CHAINS, MPLIB, OLED_SIZES, ssd1306
from hyp import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from trainctl.max7219 import Max7219Chain

from host_tools.common.fakes import FakeI2C, FakePin, FakeSPI
from host_tools.vboard import buses
from host_tools.vboard.buses import (
    Max7219Decoder,
    Ssd1306Decoder,
    fb_pixels,
    frame_bus_bytes,
)


def chain(cols, rows, mirror=False, flip=False, brightness=4):
    spi = FakeSPI()
    cs = FakePin(1, spi)
    return Max7219Chain(spi, cs, cols=cols, rows=rows, brightness=brightness, mirror=mirror, flip=flip), spi, cs


def bitmaps(w, h):
    """A random w x h bitmap (row-major bits) plus a few possibly clipped filled or cleared rectangles."""
    rect = st.tuples(st.integers(-8, w), st.integers(-8, h), st.integers(0, w + 8), st.integers(0, h + 8),
                     st.integers(0, 1))
    return st.tuples(st.binary(min_size=w * h // 8, max_size=w * h // 8), st.lists(rect, max_size=3))


def draw(fb, w, h, bitmap):
    bits, rects = bitmap
    for y in range(h):
        for x in range(w):
            i = y * w + x
            fb.pixel(x, y, (bits[i >> 3] >> (i & 7)) & 1)
    for x, y, rw, rh, c in rects:
        fb.fill_rect(x, y, rw, rh, c)


# ------------------------------------------------------------------------------------------------ SSD1306


@pytest.mark.parametrize("w,h", OLED_SIZES)
@settings(max_examples=examples(15))
@given(data=st.data())
def test_ssd1306_round_trip(w, h, data):
    i2c = FakeI2C()
    oled = ssd1306().SSD1306_I2C(w, h, i2c)
    draw(oled, w, h, data.draw(bitmaps(w, h)))
    oled.show()
    dec = Ssd1306Decoder(w, h).feed_all(i2c.transactions)
    assert not i2c.errors
    assert dec.pixels() == fb_pixels(oled, w, h)
    assert dec.visible() == dec.pixels()


@pytest.mark.parametrize("w,h", OLED_SIZES)
def test_ssd1306_init_state(w, h):
    i2c = FakeI2C()
    ssd1306().SSD1306_I2C(w, h, i2c)
    dec = Ssd1306Decoder(w, h).feed_all(i2c.transactions)
    # micropython-lib's init: horizontal mode, SEG remap + COM reversed, mux = height - 1, charge pump on.
    assert (dec.mode, dec.seg_remap, dec.com_reversed, dec.mux) == (0, True, True, h - 1)
    assert dec.display_on and dec.charge_pump and dec.contrast == 0xFF and not dec.inverted
    assert dec.pixels() == [[0] * w for _ in range(h)]
    assert (dec.col_start, dec.col_end) == ((32, 95) if w == 64 else (0, w - 1))
    assert (dec.page_start, dec.page_end) == (0, h // 8 - 1)


def test_ssd1306_commands_decoded():
    i2c = FakeI2C()
    oled = ssd1306().SSD1306_I2C(128, 64, i2c)
    oled.pixel(3, 5, 1)
    oled.show()
    dec = Ssd1306Decoder(128, 64).feed_all(i2c.transactions)
    n = len(i2c.transactions)
    oled.contrast(0x30)
    oled.invert(1)
    dec.feed_all(i2c.transactions[n:])
    assert dec.contrast == 0x30 and dec.inverted
    assert dec.visible()[5][3] == 0 and dec.visible()[0][0] == 1
    oled.poweroff()
    dec.feed(*i2c.transactions[-1])
    assert not dec.display_on and dec.visible() == [[0] * 128 for _ in range(64)]


def test_ssd1306_decoder_by_hand():
    # Datasheet 10.1.3: horizontal mode, the column wraps inside its window and moves to the next page.
    dec = Ssd1306Decoder(128, 64)
    dec.feed(0x3C, bytes([0x00, 0x20, 0x00, 0x21, 10, 11, 0x22, 2, 3]))  # Co=0 command stream
    dec.feed(0x3C, bytes([0x40, 0x01, 0x80, 0xFF]))  # Co=0 data stream: 3 bytes
    dec.feed(0x3D, bytes([0x40, 0xFF]))  # another device: ignored
    dec.feed(0x3C, bytes([0xC0, 0x02, 0x80, 0xAF]))  # Co=1: one data byte, then Co=1: one command (on)
    px = dec.pixels()
    assert px[16][10] == 1 and px[23][11] == 1 and px[24][11] == 0
    assert all(px[y][10] for y in range(24, 32)) and px[25][11] == 1
    assert sum(map(sum, px)) == 1 + 1 + 8 + 1 and dec.display_on and dec.data_bytes == 4
    with pytest.raises(ValueError):
        dec.feed(0x3C, bytes([0x00, 0xFE]))  # not an SSD1306 command
    with pytest.raises(ValueError):
        dec.feed(0x3C, bytes([0x80]))  # Co=1 control byte without its byte
    with pytest.raises(ValueError):
        dec.feed(0x3C, bytes([0x81, 0xAF]))  # control byte bits 5..0 must be 0


# ------------------------------------------------------------------------------------------------ MAX7219


@pytest.mark.parametrize("cols,rows,mirror,flip", CHAINS)
@settings(max_examples=examples(15))
@given(data=st.data())
def test_max7219_round_trip(cols, rows, mirror, flip, data):
    disp, spi, cs = chain(cols, rows, mirror, flip)
    w, h = 8 * cols, 8 * rows
    assert (disp.width, disp.height) == (w, h)
    draw(disp, w, h, data.draw(bitmaps(w, h)))
    disp.show()
    dec = Max7219Decoder(cols, rows, mirror, flip).feed_all(spi.transactions)
    assert not spi.stray and cs() == 1
    assert dec.pixels() == fb_pixels(disp, w, h)
    assert dec.visible() == dec.pixels()
    assert all(len(t) == 2 * cols * rows for t in spi.transactions)


def test_max7219_chain_order_by_hand():
    # Module docstring: DIN -> top-right module, right to left, rows top to bottom; the first 2 bytes
    # shifted out reach the last module (bottom-left); digit 1 + y = row y, bit 7 = leftmost column.
    disp, spi, _ = chain(8, 2)
    spi.clear()
    disp.pixel(0, 0, 1)  # top-left: module 7, bytes 16..17 of 32
    disp.pixel(63, 1, 1)  # top-right: module 0 (nearest DIN), the last 2 bytes
    disp.pixel(9, 15, 1)  # bottom row, second module from the left: bytes 2..3
    disp.show()
    t = spi.transactions
    assert len(t) == 8
    assert t[0][16:18] == b"\x01\x80" and t[1][30:32] == b"\x02\x01" and t[7][2:4] == b"\x08\x40"
    assert sum(t[0][1::2]) == 0x80 and sum(t[1][1::2]) == 0x01 and sum(t[7][1::2]) == 0x40
    assert all(t[d][0::2] == bytes([d + 1]) * 16 for d in range(8))


def test_max7219_init_sequence():
    _, spi, cs = chain(8, 2, brightness=9)
    n = 16
    # Every transaction writes one register with one value in all modules (address byte first).
    words = []
    for t in spi.transactions:
        assert len(t) == 2 * n and t == t[:2] * n
        words.append((t[0], t[1]))
    # Datasheet Table 2 addresses: 0x0C shutdown, 0x0F display test, 0x09 decode, 0x0B scan limit,
    # 0x0A intensity, 0x01..0x08 digits. Blank (shutdown 0) while configuring, leave shutdown last.
    assert words == ([(0x0C, 0), (0x0F, 0), (0x09, 0), (0x0B, 7), (0x0A, 9)] + [(d, 0) for d in range(1, 9)]
                     + [(0x0C, 1)])
    assert cs.history[0] == 1 and cs.edges() == 2 * len(words)
    dec = Max7219Decoder(8, 2).feed_all(spi.transactions)
    assert dec.shutdown == [False] * n and dec.test == [False] * n and dec.decode == [0] * n
    assert dec.scan_limit == [7] * n and dec.intensity == [9] * n and dec.written == [0xFF] * n
    assert dec.visible() == [[0] * 64 for _ in range(16)]


def test_max7219_brightness_and_power():
    disp, spi, _ = chain(4, 1)
    for bad in (-1, 16, 100):
        with pytest.raises(ValueError):
            disp.brightness(bad)
    for v in (0, 15):
        disp.brightness(v)
        assert Max7219Decoder(4, 1).feed_all(spi.transactions).intensity == [v] * 4
    disp.fill(1)
    disp.show()
    disp.power(False)
    dec = Max7219Decoder(4, 1).feed_all(spi.transactions)
    assert dec.shutdown == [True] * 4 and dec.visible() == [[0] * 32 for _ in range(8)]
    assert dec.pixels() == [[1] * 32 for _ in range(8)]  # registers kept in shutdown
    disp.power(True)
    assert Max7219Decoder(4, 1).feed_all(spi.transactions).visible() == [[1] * 32 for _ in range(8)]
    with pytest.raises(ValueError):
        Max7219Chain(FakeSPI(), FakePin(), cols=0)


def test_max7219_decoder_shift_register():
    # 4 modules: a short transaction shifts the old contents on (datasheet: cascading, no-op register).
    dec = Max7219Decoder(4, 1)
    dec.feed(bytes([0x01, 0xAA]) + bytes(6))  # digit 0 = 0xAA in module 3 (farthest), no-ops elsewhere
    assert [d[0] for d in dec.digits] == [0, 0, 0, 0xAA]
    dec.feed(bytes([0x02, 0x55]))  # 2 bytes: module 0 gets them, module 1 gets module 0's old no-op ...
    assert [d[1] for d in dec.digits] == [0x55, 0, 0, 0] and dec.latches == 2
    dec.feed(bytes([0xF3, 0x0F]))  # D15-D12 are don't-care: address 3
    assert dec.digits[0][2] == 0x0F
    with pytest.raises(ValueError):
        dec.feed(bytes([0x0D, 0x00]))  # 0xXD is not a register


# ------------------------------------------------------------------------------------------------ fakes


def test_fake_i2c_faults():
    i2c = FakeI2C(devices=(0x3C,))
    assert i2c.writeto(0x3C, b"\x80\xaf") == 3
    with pytest.raises(OSError) as e:
        i2c.writeto(0x3D, b"\x00")
    assert e.value.errno == errno.ENODEV
    i2c.fail_next(errno.ETIMEDOUT, 2)
    for _ in range(2):
        with pytest.raises(OSError) as e:
            i2c.writevto(0x3C, [b"\x40", b"\x01\x02"])
        assert e.value.args[0] == errno.ETIMEDOUT
    i2c.fault = lambda addr, data: errno.EIO if data[:1] == b"\x40" else None
    with pytest.raises(OSError):
        i2c.writevto(0x3C, [b"\x40", bytearray(4)])
    i2c.writevto(0x3C, [b"\x00", b"\xae"])
    assert i2c.transactions == [(0x3C, b"\x80\xaf"), (0x3C, b"\x00\xae")] and len(i2c.errors) == 4


def test_fake_spi_delimits_by_cs():
    spi = FakeSPI()
    cs = FakePin(1, spi)
    spi.write(b"\x01")  # not selected
    cs(0)
    spi.write(b"\x02")
    spi.write(bytearray(b"\x03"))
    cs(0)  # no edge
    cs(1)
    cs.init(cs.OUT, value=1)
    assert spi.transactions == [b"\x02\x03"] and spi.stray == b"\x01" and cs.edges() == 2 and cs() == 1


# ------------------------------------------------------------------------------------------------ bus cost


def test_frame_bus_bytes():
    got = {}
    for w, h in OLED_SIZES:
        i2c = FakeI2C()
        cost = frame_bus_bytes(ssd1306().SSD1306_I2C(w, h, i2c), i2c)
        # 6 single-command transactions (0x80, cmd): column and page windows; 1 data transaction.
        assert cost.transactions == 7 and cost.payload_bytes == w * h // 8 + 1 + 6 * 2
        assert cost.wire_bytes == cost.payload_bytes + 7 and cost.wire_bits == 9 * cost.wire_bytes + 2 * 7
        got["ssd1306 %dx%d" % (w, h)] = cost
    for cols, rows, _, _ in CHAINS[:3]:
        disp, spi, _ = chain(cols, rows)
        cost = frame_bus_bytes(disp, spi)
        assert cost == buses.BusCost(8, 8 * 2 * cols * rows, 8 * 2 * cols * rows, 8 * 8 * 2 * cols * rows)
        got["max7219 %dx%d" % (rows, cols)] = cost
    assert got["ssd1306 128x64"].payload_bytes == 1037 and got["max7219 2x8"].payload_bytes == 256


def test_fetch_mplib_offline_and_idempotent(tmp_path, capsys):
    from host_tools.build import fetch_mplib

    ssd1306()
    unreachable = "http://127.0.0.1:9/simple/"  # discard port: connection refused
    assert fetch_mplib.main(["--dest", str(MPLIB), "--index-url", unreachable]) == 0  # present: no network
    assert fetch_mplib.main(["--dest", str(tmp_path), "--index-url", unreachable]) == 1
    assert "cannot reach" in capsys.readouterr().err and not os.listdir(tmp_path)


def test_ssd1306_decoder_knows_the_current_micropython_lib_init():
    """micropython-lib's current ssd1306.py (what `mip install ssd1306` gives) sends SET_IREF_SELECT (0xAD, 0x30)
    in init_display, which the 2021 copy the tests pin does not: the decoder must not refuse a board's traffic."""
    cmds = (0xAE, 0x20, 0x00, 0x40, 0xA1, 0xA8, 63, 0xC8, 0xD3, 0x00, 0xDA, 0x12, 0xD5, 0x80, 0xD9, 0xF1,
            0xDB, 0x30, 0x81, 0xFF, 0xA4, 0xA6, 0xAD, 0x30, 0x8D, 0x14, 0xAF)
    dec = Ssd1306Decoder(128, 64)
    for c in cmds:  # as the driver's write_cmd(): Co=1, one command byte a transaction
        dec.feed(0x3C, bytes((0x80, c)))
    assert (0xAD, 0x30) in dec.commands and dec.display_on and dec.charge_pump
    with pytest.raises(ValueError, match="unknown SSD1306 command 0xAC"):
        dec.feed(0x3C, bytes((0x80, 0xAC)))  # still strict about commands no datasheet has
