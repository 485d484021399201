"""A passenger display on the host: the firmware's pages drawn into a framebuffer, as pixels and images.

CPython only (Pillow); `framebuf` is the host stand-in from host_tools/hostlib (installed by `make venv`).
"""

import sys

import framebuf
from PIL import Image, ImageDraw
from trainctl import font_data
from trainctl import route_data as default_route
from trainctl.pages import Pages
from trainctl.text import Font

from host_tools.common import cli

# name: (width, height, look). Sizes of the two display types the firmware drives (see docs/passengers.md).
DISPLAYS = {
    "oled": (128, 64, "oled"),  # SSD1306/SH1106 128x64, I2C
    "ticker": (64, 16, "led"),  # 2 x 8 MAX7219 8x8 LED modules, SPI
}
LOOKS = {
    "oled": dict(on=(120, 200, 255), off=(4, 8, 16), gap=0),
    "led": dict(on=(255, 70, 30), off=(48, 10, 8), gap=1),
}


class Screen:
    """Pages on a width x height MONO_HLSB framebuffer."""

    def __init__(self, display="oled", route=default_route, status=None):
        self.width, self.height, self.look = DISPLAYS[display]
        self.name = display
        self.buf = bytearray(self.width * self.height // 8)
        self.fb = framebuf.FrameBuffer(self.buf, self.width, self.height, framebuf.MONO_HLSB)
        self.font = Font(font_data)
        self.pages = Pages(route, self.font, self.width, self.height, status)

    def render(self):
        self.pages.render(self.fb)
        return self

    def pixels(self):
        """Rows of 0/1."""
        w = self.width // 8
        return [[(self.buf[y * w + x // 8] >> (7 - x % 8)) & 1 for x in range(self.width)] for y in range(self.height)]

    def bitmap(self):
        """The frame as a 1-bit Pillow image, one pixel per display pixel (golden files)."""

        return Image.frombytes("1", (self.width, self.height), bytes(self.buf))

    def image(self, scale=4):
        """The frame as a passenger would see it: lit pixels as squares (OLED) or dots (LED)."""
        return picture(self.pixels(), self.look, scale)


def picture(rows, look="oled", scale=4):

    lk = LOOKS[look]
    h, w = len(rows), len(rows[0])
    img = Image.new("RGB", (w * scale, h * scale), lk["off"] if look == "oled" else (12, 12, 12))
    d = ImageDraw.Draw(img)
    g = lk["gap"] if scale >= 4 else 0
    for y, row in enumerate(rows):
        for x, v in enumerate(row):
            if look == "led" and scale >= 4:
                d.ellipse((x * scale + g, y * scale + g, (x + 1) * scale - 1 - g, (y + 1) * scale - 1 - g),
                          fill=lk["on"] if v else lk["off"])
            elif v or look == "led":
                d.rectangle((x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1),
                            fill=lk["on"] if v else lk["off"])
    return img


def main(argv=None):
    """host_tools.replay.screen is a library (the firmware's pages drawn into a framebuffer on the host); pictures of a
    journey come from `python -m host_tools.replay.frames` (make frames)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m host_tools.replay.screen", description=main.__doc__)
    ap.parse_args(argv)
    print(main.__doc__.split(";")[0] + ": see python -m host_tools.replay.frames --help")
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "screen"))
