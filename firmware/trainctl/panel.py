"""A display driver showing Pages: draws and sends a frame only when it changed; bus errors are counted,
not raised, and the frame is sent again on the next step."""


class Panel:
    """disp: a framebuf.FrameBuffer subclass with show() (ssd1306.SSD1306_I2C, max7219.Max7219Chain...)."""

    def __init__(self, pages, disp):
        self.pages = pages
        self.disp = disp
        self.frames = 0  # frames sent
        self.errors = 0  # frames the bus refused (OSError from show())
        self.last_errno = 0
        self._resend = True

    def step(self, dt_ms, utc_s):
        """Advance the pages by dt_ms; draw and send when the frame changed or the last send failed."""
        if self.pages.tick(dt_ms, utc_s) or self._resend:
            self.pages.render(self.disp)
            try:
                self.disp.show()
            except OSError as e:
                self.errors += 1
                self.last_errno = e.args[0] if e.args else 0
                self._resend = True
                return False
            self._resend = False
            self.frames += 1
            return True
        return False
