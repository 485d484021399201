# Runs under CPython (host framebuf stand-in) and MicroPython (real framebuf), common subset only.
#   micropython tests/mp/pages_script.py frames W H     -> one hex line per rendered frame
#   micropython tests/mp/pages_script.py alloc W H      -> bytes allocated by tick+render, under heap_lock
#   micropython tests/mp/pages_script.py alloc_panel oled|ticker -> the same through Panel and a real driver
# A scripted journey of display states (boot, K27 at Beijing, under way, Dandong, the bridge, train 52,
# Pyongyang) drives Pages through rotation, scrolling and every kind of alert.
import sys

import framebuf
from trainctl import font_data
from trainctl import route_data as R
from trainctl.pages import Pages
from trainctl.text import Font

T0 = 217589160  # 2026-11-23T09:26:00Z


class State:
    """What the controller exposes to the display."""

    def __init__(self):
        self.train = None
        self.utc_offset_min = None
        self.country = -1
        self.next_stop = -1
        self.destination = -1
        self.at_stop = -1

    def set(self, train, off, country, nxt, dest, at):
        self.train = train
        self.utc_offset_min = off
        self.country = country
        self.next_stop = nxt
        self.destination = dest
        self.at_stop = at


# (seconds after T0, train, offset, country, next, destination, at): a state change at that time.
STEPS = (
    (0, None, None, -1, -1, -1, -1),
    (5, "K27", 480, 0, 1, 16, 0),
    (40, "K27", 480, 0, 1, 16, -1),
    (90, "K27", 480, 0, 10, 16, 9),  # arrival at Dandong
    (120, "95", 480, 0, 10, 16, 9),  # number change, arrival alert pre-empted
    (170, "95", 540, 1, 10, 16, -1),  # the bridge: clock change
    (200, "95", 540, 1, 11, 16, 10),  # arrival at Sinuiju
    (215, "52", 540, 1, 11, 16, 10),
    (300, "52", 540, 1, 16, 16, -1),
    (330, "52", 540, 1, -1, 16, 16),  # terminus
)
END_S = 400
DT_MS = 100


def pages(w, h):
    buf = bytearray(w * h // 8)
    fb = framebuf.FrameBuffer(buf, w, h, framebuf.MONO_HLSB)
    return buf, fb, Pages(R, Font(font_data), w, h)


def drive(w, h, on_frame):
    """Run the script in DT_MS steps; on_frame(buf, t_ms, pages) after each render of a changed frame."""
    buf, fb, p = pages(w, h)
    st = State()
    i = 0
    t_ms = 0
    while t_ms <= END_S * 1000:
        while i < len(STEPS) and STEPS[i][0] * 1000 <= t_ms:
            s = STEPS[i]
            st.set(s[1], s[2], s[3], s[4], s[5], s[6])
            p.update(st)
            i += 1
        if p.tick(DT_MS, T0 + t_ms // 1000 if t_ms >= 5000 else -1):
            p.render(fb)
            on_frame(buf, t_ms, p)
        t_ms += DT_MS
    return p


class NullBus:
    """Accepts I2C and SPI writes (the drivers' bus calls), keeps nothing. As strict as the rp2 port:
    writevto() of more than one buffer goes through the port's transfer adaptor, which joins them in a heap
    copy (extmod/machine_i2c.c, mp_machine_i2c_transfer_adaptor), so it allocates (MemoryError under
    heap_lock()); writeto() sends from the caller's buffer."""

    def writeto(self, addr, buf, stop=True):
        return len(buf) + 1

    def writevto(self, addr, vector, stop=True):
        n = 0
        for b in vector:
            n += len(b)
        joined = bytearray(n) if len(vector) > 1 else None  # the adaptor's copy
        return 1 + (len(joined) if joined is not None else n)

    def write(self, buf):
        pass


def null_pin(v=None):
    return 1


def alloc_panel(kind):
    import gc

    import micropython
    from trainctl.hw import Panel

    if kind == "oled":
        from trainctl.oled import Oled

        disp = Oled(128, 64, NullBus())
    elif kind == "oled_plain":  # the driver's own show(): writevto, a heap copy per frame on the rp2 port
        import ssd1306

        disp = ssd1306.SSD1306_I2C(128, 64, NullBus())
    else:
        from trainctl.max7219 import Max7219Chain

        disp = Max7219Chain(NullBus(), null_pin, 8, 2)
    panel = Panel(Pages(R, Font(font_data), disp.width, disp.height), disp)
    st = State()
    st.set("K27", 480, 0, 1, 16, 0)
    panel.pages.update(st)
    for k in range(50):
        panel.step(DT_MS, T0 + k // 10)
    gc.collect()
    before = gc.mem_alloc()
    micropython.heap_lock()
    try:
        for k in range(3000):
            if k == 700:
                st.set("95", 540, 1, 10, 16, 9)
                panel.pages.update(st)
            panel.step(DT_MS, T0 + 60 + k // 10)
    except MemoryError:
        micropython.heap_unlock()
        print("frames %d alloc -1" % panel.frames)
        return
    finally:
        micropython.heap_unlock()
    print("frames %d alloc %d" % (panel.frames, gc.mem_alloc() - before))


def main(argv):
    mode = argv[1]
    if mode != "alloc_panel":
        w, h = int(argv[2]), int(argv[3])
    if mode == "frames":
        import binascii

        def emit(buf, t_ms, p):
            print("%d %s" % (t_ms, binascii.hexlify(buf).decode()))

        drive(w, h, emit)
    elif mode == "alloc_panel":
        alloc_panel(argv[2])
    elif mode == "alloc":
        import gc

        import micropython

        buf, fb, p = pages(w, h)
        st = State()
        st.set("K27", 480, 0, 1, 16, 0)
        p.update(st)
        for k in range(50):  # warm up: every code path once
            p.tick(DT_MS, T0 + k // 10)
            p.render(fb)
        gc.collect()
        before = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
        micropython.heap_lock()
        frames = 0
        try:
            for k in range(3000):  # 5 minutes of display time: rotation, scrolling, minute changes
                if k == 400:
                    st.set("K27", 480, 0, 10, 16, 9)
                    p.update(st)  # an arrival alert
                if k == 900:
                    st.set("95", 540, 1, 10, 16, 9)
                    p.update(st)  # number change and clock change
                if p.tick(DT_MS, T0 + 120 + k // 10):
                    p.render(fb)
                    frames += 1
        finally:
            micropython.heap_unlock()
        print("frames %d alloc %d" % (frames, gc.mem_alloc() - before))


if __name__ == "__main__":
    main(sys.argv)
