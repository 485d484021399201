"""Pictures of the passenger display for host_tools/replay/frames.py and the virtual board: framebuffer bytes to
palette images with Screen.image()'s look, the caption colours, and the words of picture file names."""

from PIL import Image, ImageDraw, ImageFont
from trainctl import clock

from host_tools.replay import screen

CAPTION_BG = (0, 0, 0)
CAPTION_INK = (210, 210, 210)
CAPTION_PAD = 3  # px around the caption text


def slug(text):
    """A file-name-safe lower-case word: 'Sinuiju Chongnyon' -> 'sinuiju-chongnyon'."""
    out = []
    for ch in text.lower():
        out.append(ch if ch.isalnum() and ch.isascii() or ch in "+" else "-")
    return "".join(out).strip("-")


def zone(offset_min):
    """'utc+9', 'utc+8h30'; 'utc' when unknown."""
    if offset_min is None:
        return "utc"
    sign = "+" if offset_min >= 0 else "-"
    a = abs(offset_min)
    return "utc%s%d%s" % (sign, a // 60, "h%02d" % (a % 60) if a % 60 else "")


def iso_name(t_ms):
    """'2026-11-24T02-07-38Z': UTC time in a file name."""
    return clock.iso_utc(t_ms // 1000).replace(":", "-")


class Pictures:
    """Framebuffer bytes -> palette image with Screen.image()'s pixels (the LED look below scale 4:
    see _small_led), 0.15 ms instead of 1.1 ms for an OLED frame at scale 4."""

    def __init__(self, scr, scale):

        self.Image = Image
        self.size = (scr.width * scale, scr.height * scale)
        self.fb_size = (scr.width, scr.height)
        # The all-lit and all-dark pictures, drawn by screen.picture itself: every cell of a frame is
        # one of the two, so a frame is the one pasted over the other through its scaled bitmap.
        if scr.look == "led" and scale < 4:
            on, off = self._small_led(scr, scale)
        else:
            on = screen.picture([[1] * scr.width] * scr.height, scr.look, scale)
            off = screen.picture([[0] * scr.width] * scr.height, scr.look, scale)
        colours = [CAPTION_BG, CAPTION_INK]
        for img in (on, off):
            for _, c in img.getcolors(1 << 16):
                if c not in colours:
                    colours.append(c)
        self.colours = colours
        self.palette = [v for c in colours for v in c]
        self.on = self._indexed(on)
        self.off = self._indexed(off)

    def _small_led(self, scr, scale):
        """LED dots below scale 4, where screen.picture's dot is empty (3) or its box inverted (1, 2):
        a (scale-1)-px square dot and a 1-px dark gap; scale 1 is plain pixels."""

        lk = screen.LOOKS["led"]
        out = []
        for colour in (lk["on"], lk["off"]):
            img = self.Image.new("RGB", self.size, (12, 12, 12) if scale > 1 else colour)
            if scale > 1:
                d = ImageDraw.Draw(img)
                for y in range(scr.height):
                    for x in range(scr.width):
                        d.rectangle((x * scale, y * scale, (x + 1) * scale - 2, (y + 1) * scale - 2), fill=colour)
            out.append(img)
        return out

    def _indexed(self, rgb):
        idx = {bytes(c): i for i, c in enumerate(self.colours)}
        data = rgb.tobytes()
        img = self.Image.frombytes("P", rgb.size, bytes(idx[data[i:i + 3]] for i in range(0, len(data), 3)))
        img.putpalette(self.palette)
        return img

    def of(self, fb_bytes):
        Image = self.Image
        mask = Image.frombytes("1", self.fb_size, fb_bytes).resize(self.size, Image.Resampling.NEAREST)
        img = self.off.copy()
        img.paste(self.on, (0, 0), mask)
        return img


def save_gif(path, frames, pics, fbs, scale, worst):
    """An animated GIF of frames [(picture id, caption, duration ms)]: each picture (pics.of(fbs[id])) above its
    two-line caption, the caption area as wide as the widest of the texts `worst`; returns the frame count."""
    Image = pics.Image
    try:
        font = ImageFont.load_default(size=max(10, 3 * scale))
    except (ImportError, OSError, TypeError):  # Pillow without FreeType: the fixed bitmap font
        font = ImageFont.load_default()
    d0 = ImageDraw.Draw(Image.new("P", (1, 1)))
    text_w = max(int(d0.textlength(s, font=font)) for s in worst)
    line_h = font.getbbox("Ag")[3] + 2
    pw, ph = pics.size
    width = max(pw, text_w + 2 * CAPTION_PAD)
    height = ph + 2 * line_h + 2 * CAPTION_PAD
    x0 = (width - pw) // 2
    cache = {}

    def image(pid, cap):
        pic = cache.get(pid)
        if pic is None:
            cache.clear()  # frames come in order: one picture at a time is enough
            pic = cache[pid] = pics.of(fbs[pid])
        img = Image.new("P", (width, height), 0)
        img.putpalette(pics.palette)
        img.paste(pic, (x0, 0))
        d = ImageDraw.Draw(img)
        for i, ln in enumerate(cap.split("\n")):
            d.text((CAPTION_PAD, ph + CAPTION_PAD + i * line_h), ln, fill=1, font=font)
        return img

    first = image(frames[0][0], frames[0][1])
    rest = (image(pid, cap) for pid, cap, _ in frames[1:])
    first.save(path, save_all=True, append_images=rest, duration=[f[2] for f in frames], loop=0,
               disposal=1, optimize=False)
    return len(frames)
