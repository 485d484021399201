"""What a board file hands to the app (hardware objects, the loop's periods), helpers to build them, and how the
app wires them: the display's Panel (draws and sends a frame only when it changed; bus errors are counted, not
raised, and the frame is sent again on the next step), the announcements, the console's requests.

Measured on an RP2040: a whole SSD1306 frame costs ~24 ms at 400 kHz, so a display that can (trainctl.oled.Oled)
sends the pages that changed, at most _FRAME_PAGES per pass.
"""

from micropython import const

_FRAME_PAGES = const(4)  # SSD1306 pages (128 B, ~3 ms each at 400 kHz) sent per pass at most
_DISPLAY = const(0)  # index into Coach.faults and Coach.rest_ms: the display
_AUDIO = const(3)  # ... the announcements


class Hardware:
    """name: board name for the boot line; uart: GPS UART (any(), readinto()); display: a
    framebuf.FrameBuffer subclass with show(), width, height, or None; wdt: feed(), or None;
    state_path: the state file on flash; inputs: {name: callable returning 0/1} (doors, beams, WC);
    alarm: callable taking 0/1 (buzzer/lamp), or None; keep_alive: callable that keeps the watchdog fed
    (from a timer) once the loop is stopped from the console for service, or None; jlog_path: the
    journey log on flash (door events, alarms, boardings per station), or None; reset_cause:
    machine.reset_cause() (power-on, watchdog, brown-out...); config_path: the optional configuration
    file (trainctl.config), or None; audio: the announcements' (callable opening the I2S output, a machine.I2S
    non-blocking once its irq is set; the clip file's path on flash, host_tools/build/voice.py), or None: no
    announcements, as without the clip file (trainctl.announce is then not even imported); console: the USB
    console's input stream (sys.stdin) for one-line requests answered by the running loop (trainctl/status.py:
    `crew status`), or None."""

    def __init__(self, name, uart, display=None, wdt=None, state_path=None, inputs=None, alarm=None,
                 poll_ms=10, frame_ms=40, keep_alive=None, jlog_path=None, reset_cause=0, config_path=None,
                 audio=None, console=None):
        self.name = name
        self.uart = uart
        self.display = display
        self.wdt = wdt
        self.state_path = state_path
        self.inputs = inputs or {}
        self.alarm = alarm
        self.poll_ms = poll_ms
        self.frame_ms = frame_ms
        self.keep_alive = keep_alive
        self.jlog_path = jlog_path
        self.reset_cause = reset_cause  # machine.reset_cause() at boot, for the boot line and the log
        self.config_path = config_path
        self.console = console
        self.audio = audio


def inverted(pin):
    """An input read upside down: a WC lock switch closes to GND when locked (raw 0 = logical 1)."""
    return lambda: 1 - pin()


def optional_display(make):
    """make() the display, or None if it does not answer (unplugged, NAK): the board then runs without it
    (journey, sensors, log go on) instead of failing to boot."""
    try:
        return make()
    except OSError as e:
        print("display: %r: running without it" % (e,))
        return None


def source(path):
    """Where a module's __file__ says it came from: 1 a ROMFS (runs in place from flash), 2 frozen into the
    firmware (its name is not on the filesystem: the filesystem comes first on sys.path), 0 the filesystem."""
    if path.startswith("/rom/"):
        return 1
    import os

    try:
        os.stat(path)
    except OSError:
        return 2
    return 0


class Panel:
    """disp: a framebuf.FrameBuffer subclass with show() (ssd1306.SSD1306_I2C, max7219.Max7219Chain...)."""

    def __init__(self, pages, disp, budget=8):
        """budget: pages a send for a display with mark()/send() (trainctl.oled.Oled)."""
        self.pages = pages
        self.disp = disp
        self.budget = budget
        self.frames = 0  # frames sent
        self.errors = 0  # frames the bus refused (OSError from show())
        self.last_errno = 0
        self._resend = True  # a frame drawn and not (wholly) sent yet
        self._partial = hasattr(disp, "send")
        self._first = True

    def step(self, dt_ms, utc_s):
        """Advance the pages by dt_ms; draw what changed; send. True when a whole frame went out."""
        if self.pages.tick(dt_ms, utc_s) or self._first:
            bands = self.pages.render(self.disp, self._first)
            if self._partial:
                self.disp.mark(bands)
            self._first = False
            self._resend = True
        if self._resend:
            return self.send()
        return False

    def send(self):
        """Send the frame drawn (or its next pages); True when all of it is out. Bus errors are counted."""
        d = self.disp
        try:
            if self._partial:
                if d.send(self.budget):
                    return False  # more pages on the next pass
            else:
                d.show()
        except OSError as e:
            self.errors += 1
            self.last_errno = e.args[0] if e.args else 0
            return False
        self._resend = False
        self.frames += 1
        return True




def wire(route, hw, coach, log):
    """The app's hardware beyond the UART, as (panel, announcer, console poll), each None if absent: the display's
    Panel over trainctl.pages.Pages showing the coach (a restored state at once), its brightness from the
    configuration; trainctl.announce's Announcer with an I2S output, the clip file on the filesystem and the
    firmware run in place (ROMFS or frozen: a stock build's modules, loaded into RAM, leave no room for it on
    180 KiB); a poll of the console for its requests (trainctl/status.py). Faults are the coach's to count."""
    c = coach
    p = ann = con = None
    disp = getattr(hw, "display", None)
    if disp is not None:
        from . import font_data
        from .pages import Pages
        from .text import Font

        status = c.status if c.sensors is not None or c._notice_ms else None
        p = Panel(Pages(route, Font(font_data), disp.width, disp.height, status), disp,
                  getattr(hw, "frame_pages", _FRAME_PAGES))
        cfg = c.config
        if cfg is not None:
            try:
                if hasattr(disp, "brightness"):  # MAX7219 chain
                    disp.brightness(cfg.brightness)
                elif hasattr(disp, "contrast"):  # SSD1306
                    disp.contrast(cfg.brightness * 17)
            except Exception as e:
                c.fault(_DISPLAY, e)
    audio = getattr(hw, "audio", None)
    if audio is not None and source(audio[1]) == 0 and source(__file__) != 0:
        try:
            from . import announce

            ann = announce.make(route, audio, c.config)
        except MemoryError as e:  # a stock build on a small heap: the journey and the display first, silent
            c.fault(_AUDIO, e)
    if getattr(hw, "console", None) is not None:
        try:
            import select

            con = select.poll()
            con.register(hw.console, 1)  # select.POLLIN
        except Exception as e:  # a port without select or a console that cannot be polled: no requests
            con = None
            log("console: no requests: %r" % (e,))
    if p is not None:
        try:
            p.pages.update(c.ctl)  # a restored state is shown at once
            p.step(0, c.ctl.utc_s)
        except Exception as e:
            c.fault(_DISPLAY, e)
    return p, ann, con
