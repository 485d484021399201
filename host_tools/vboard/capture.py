"""The virtual board's display capture (host_tools/vboard/fake_machine/vb_capture.py writes it) decoded into frames,
and the frames into PNG stills after each timeline event and a captioned journey GIF."""

import os
import shutil
import struct

from PIL import Image, ImageDraw, ImageFont

from host_tools.common.utc import iso_utc
from host_tools.replay import judge as judge_mod
from host_tools.replay import pictures as picture_mod
from host_tools.replay import screen
from host_tools.vboard.buses import Max7219Decoder, Ssd1306Decoder

ALERT_S = 30  # seconds of frames kept as PNG after each timeline line
GIF_SAMPLE_S = 300  # one GIF frame per 5 virtual minutes between events

HDR = struct.Struct("<BBIH")



def read_capture(path):
    """Records (kind char, chan, ms, bytes) of a capture file, repeats resolved to their original's data."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"VBCAP1\n"):
        raise ValueError("%s: not a vboard capture" % path)
    pos = 7
    originals = {}
    n = len(data)
    while pos + 8 <= n:
        kind, chan, ms, ln = HDR.unpack_from(data, pos)
        body = data[pos + 8:pos + 8 + ln]
        if len(body) < ln:
            break  # cut short (the run was killed)
        k = chr(kind)
        if k == "R":
            (off,) = struct.unpack("<I", body)
            k, body = originals[off]
        elif ln >= 32:
            originals[pos] = (k, body)
        yield k, chan, ms, body
        pos += 8 + ln


class FastSsd1306Decoder(Ssd1306Decoder):
    """Ssd1306Decoder with a bulk path for a whole-RAM data write in horizontal mode (what show() sends)."""

    def feed(self, addr, data):
        if (addr == self.addr and len(data) == 1 + self.COLUMNS * self.PAGES and data[0] == 0x40
                and self.mode == 0 and self._pending is None and self.col == self.col_start == 0
                and self.col_end == self.COLUMNS - 1 and self.page == self.page_start == 0
                and self.page_end == self.PAGES - 1):
            self.ram[:] = data[1:]
            self.data_bytes += len(data) - 1
            return
        super().feed(addr, data)


def oled_hlsb(ram, width=128, height=64):
    """SSD1306 RAM (pages of VLSB columns) -> MONO_HLSB bytes of the panel (through Pillow, no Python loop)."""

    strip = Image.frombytes("1", (8, len(ram)), bytes(ram), "raw", "1;R").transpose(Image.Transpose.TRANSPOSE)
    img = Image.new("1", (width, height))
    for p in range(height // 8):
        img.paste(strip.crop((p * 128, 0, p * 128 + width, 8)), (0, 8 * p))
    return img.tobytes()


def hlsb_of_rows(rows):
    w = len(rows[0])
    out = bytearray(w * len(rows) // 8)
    for y, row in enumerate(rows):
        for x, v in enumerate(row):
            if v:
                out[(y * w + x) >> 3] |= 0x80 >> (x & 7)
    return bytes(out)


def display_frames(records, display):
    """[(ms, MONO_HLSB bytes)] of every frame sent, identical neighbours merged; [(ms, utc_s)] sync points."""
    frames, syncs = [], []
    dec = FastSsd1306Decoder(128, 64) if display == "oled" else Max7219Decoder(8, 2)
    for k, chan, ms, body in records:
        if k == "T":
            syncs.append((ms, struct.unpack("<I", body)[0]))
            continue
        if display == "oled" and k == "I":
            dec.feed(chan, body)
            if len(body) < 32:
                continue
            img = oled_hlsb(dec.ram)
        elif display == "ticker" and k == "S":
            dec.feed(body)
            if body[0] & 0x0F != 0x08:  # digit 7 ends a show()
                continue
            img = hlsb_of_rows(dec.pixels())
        else:
            continue
        if frames and frames[-1][1] == img:
            continue
        if frames and frames[-1][0] == ms:
            frames[-1] = (ms, img)
        else:
            frames.append((ms, img))
    return frames, syncs


def utc_at(syncs, ms):
    """GPS UTC seconds at virtual ms (the latest sync point before it), -1 before the first fix."""
    best = None
    for s_ms, s_utc in syncs:
        if s_ms <= ms:
            best = (s_ms, s_utc)
        else:
            break
    if best is None:
        return -1 if not syncs else syncs[0][1] - (syncs[0][0] - ms) // 1000
    return best[1] + (ms - best[0]) // 1000


def ms_at(syncs, utc_s):
    """Virtual ms when the GPS clock read utc_s."""
    best = syncs[0]
    for s_ms, s_utc in syncs:
        if s_utc <= utc_s:
            best = (s_ms, s_utc)
        else:
            break
    return best[0] + (utc_s - best[1]) * 1000


# ---------------------------------------------------------------------------------------------------- pictures


class Pictures:
    def __init__(self, display, scale):

        self.frames_mod = picture_mod  # CAPTION_PAD and the picture helpers
        self.scr = screen.Screen(display)
        self.pics = picture_mod.Pictures(self.scr, scale)

    def png(self, hlsb, path):
        self.pics.of(hlsb).save(path, optimize=True)

    def gif(self, items, path):
        """items: [(hlsb, caption, duration ms)]."""

        fm = self.frames_mod
        try:
            font = ImageFont.load_default(size=12)
        except (ImportError, OSError, TypeError):
            font = ImageFont.load_default()
        line_h = font.getbbox("Ag")[3] + 2
        pw, ph = self.pics.size
        d0 = ImageDraw.Draw(Image.new("P", (1, 1)))
        text_w = max(int(d0.textlength(c, font=font)) for _, cap, _ in items for c in cap.split("\n"))
        width = max(pw, text_w + 2 * fm.CAPTION_PAD)
        height = ph + 2 * line_h + 2 * fm.CAPTION_PAD
        x0 = (width - pw) // 2

        def image(hlsb, cap):
            img = Image.new("P", (width, height), 0)
            img.putpalette(self.pics.palette)
            img.paste(self.pics.of(hlsb), (x0, 0))
            d = ImageDraw.Draw(img)
            for i, ln in enumerate(cap.split("\n")):
                d.text((fm.CAPTION_PAD, ph + fm.CAPTION_PAD + i * line_h), ln, fill=1, font=font)
            return img

        first = image(items[0][0], items[0][1])
        rest = (image(h, c) for h, c, _ in items[1:])
        first.save(path, save_all=True, append_images=rest, duration=[max(20, d) for _, _, d in items], loop=0,
                   disposal=1, optimize=False)


def caption(ev, utc_s):
    if utc_s < 0:
        return "--:--:-- local   (no fix yet)\ntrain --"
    off = ev.get("utc_offset_min") if ev else None
    utc = iso_utc(utc_s).replace("T", " ")
    if off is None:
        local = "--:--:-- local"
    else:
        ls = utc_s + off * 60
        local = "%02d:%02d:%02d UTC%+d" % (ls // 3600 % 24, ls // 60 % 60, ls % 60, off // 60)
    where = ""
    if ev and ev.get("at_stop"):
        where = "at " + ev["at_stop"]
    elif ev and ev.get("next_stop"):
        where = "next " + ev["next_stop"]
    return "%s   %s\ntrain %s   %s" % (local, utc, (ev or {}).get("train") or "--", where)


def pictures(frames, syncs, events, display, out, scale=3):
    """PNG stills after each timeline event and at boot, and the journey GIF; returns (pngs, gif frames)."""
    pics = Pictures(display, scale)
    fdir = os.path.join(out, "frames")
    shutil.rmtree(fdir, ignore_errors=True)
    os.makedirs(fdir)
    ev_ms = []
    for ev in events:
        if ev["utc"] is not None and syncs:
            ev_ms.append((ms_at(syncs, int(judge_mod.epoch(ev["utc"]))), ev))
    starts = [(0, None)] + ev_ms  # boot, then each timeline line
    wanted = set()
    for i, (t0, ev) in enumerate(starts):
        end = t0 + ALERT_S * 1000
        prev = None
        k = 0
        for j, (ms, img) in enumerate(frames):
            if ms < t0 - 1000 and not (j + 1 < len(frames) and frames[j + 1][0] > t0):
                continue
            if ms > end:
                break
            if img == prev:
                continue
            prev = img
            wanted.add(j)
            label = (ev["train"] or "--") if ev else "boot"
            name = "%03d_%s_%s_%02d.png" % (i, iso_utc(max(0, utc_at(syncs, max(ms, t0)))).replace(":", "-")
                                            if syncs else "boot", label, k)
            pics.png(img, os.path.join(fdir, name))
            k += 1
    pngs = len(os.listdir(fdir))
    # GIF: frames around events at their own durations; elsewhere one frame per GIF_SAMPLE_S.
    items = []
    next_sample = 0
    ev_i = 0
    cur_ev = None
    for j, (ms, img) in enumerate(frames):
        while ev_i < len(ev_ms) and ev_ms[ev_i][0] <= ms:
            cur_ev = ev_ms[ev_i][1]
            ev_i += 1
        if j in wanted or ms >= next_sample:
            nxt = frames[j + 1][0] if j + 1 < len(frames) else ms + 1000
            dur = min(nxt - ms, 2000) if j in wanted else 250
            items.append((img, caption(cur_ev, utc_at(syncs, ms) if syncs else -1), dur))
            if ms >= next_sample:
                next_sample = ms + GIF_SAMPLE_S * 1000
    if items:
        pics.gif(items, os.path.join(out, "journey.gif"))
    return pngs, len(items)


# ---------------------------------------------------------------------------------------------------- main
