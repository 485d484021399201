"""The board's loop over its hardware: UART bytes -> coach.Coach (journey, sensors, state file, journey log)
-> pages -> display at their own rate (Panel: draws and sends a frame only when it changed; bus errors are
counted, not raised, and the frame is sent again on the next step); flash writes in the quiet part of the
GPS second; watchdog fed while the loop runs. Time comes from the `time` module's ticks (the virtual board
replaces that module, so the same loop runs on virtual time).

Measured on an RP2040 (rp2 port, 125 MHz): a UART read that asks for more than is there waits timeout_char
(>= 2 ms) per missing character, so the loop reads only what uart.any() reports; a flash erase stops the
CPU (interrupts off) while the 32-byte UART FIFO overflows, so state and log writes wait for the quiet part
of the GPS second (no byte for _QUIET_MS after a burst); a whole SSD1306 frame costs ~24 ms at 400 kHz, so
a display that can (trainctl.oled.Oled) sends the pages that changed, at most _FRAME_PAGES per pass.
"""

import gc
import time

from micropython import const

from . import VERSION
from .coach import Coach

# Private constants (folded by the compiler: no global, no interned name in the board's RAM).
_POLL_MS = const(10)  # loop period: UART, inputs
_DISPLAY = const(0)  # index into Coach.faults and Coach.rest_ms
_FRAME_MS = const(40)  # display step: 25 frames a second at most
_RX_CHUNK = const(256)  # bytes read from the UART at a time
_FRAME_PAGES = const(4)  # SSD1306 pages (128 B, ~3 ms each at 400 kHz) sent per pass at most
_QUIET_MS = const(30)  # no UART byte for this long: the GPS burst is over, flash writes may go
_WINDOW_MS = const(900)  # ... until this long after the burst began (1 Hz GPS: the next one is due at 1000)
_GONE_MS = const(1100)  # no byte for this long: no burst to wait for
_HOLD_MS = const(5000)  # a held state save waits at most this long (a GPS that never pauses)
_LOG_HOLD_MS = const(120000)  # log records wait for the doors to close at most this long
_EV_SHOWN = const(48)  # Coach's event: what passengers see changed (trainctl/codes.py)


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


class App:
    """hw: the board's hardware (see boards/*/board.py): uart, display (or None), wdt (or None), and what
    coach.Coach takes (state_path, inputs...); optional poll_ms and frame_ms to override the loop's periods."""

    def __init__(self, route, hw, log=print):
        self.buf = bytearray(_RX_CHUNK)  # before the rest: big buffers first
        self.route = route
        self.hw = hw
        self.log = log
        self.uart = hw.uart
        self.wdt = getattr(hw, "wdt", None)
        self.poll_ms = getattr(hw, "poll_ms", _POLL_MS)
        self.frame_ms = getattr(hw, "frame_ms", _FRAME_MS)
        self.on_event = None  # (kind, index) of every coach event, for a host tool
        self.panel = None
        c = self.coach = Coach(route, hw, self._event, log, None, True)
        self.ctl = c.ctl  # what passengers see
        self.sensors = c.sensors
        self.store = c.store
        self.config = cfg = c.config
        self.faults = c.faults  # exceptions caught per subsystem: display, sensors
        disp = getattr(hw, "display", None)
        if disp is not None:
            from . import font_data
            from .pages import Pages
            from .text import Font

            status = c.status if c.sensors is not None or c._notice_ms else None
            self.panel = Panel(Pages(route, Font(font_data), disp.width, disp.height, status), disp,
                               getattr(hw, "frame_pages", _FRAME_PAGES))
            if cfg is not None:
                try:
                    if hasattr(disp, "brightness"):  # MAX7219 chain
                        disp.brightness(cfg.brightness)
                    elif hasattr(disp, "contrast"):  # SSD1306
                        disp.contrast(cfg.brightness * 17)
                except Exception as e:
                    c.fault(_DISPLAY, e)
        self.rx_bytes = 0
        self.loops = 0
        self.max_pass_us = 0  # longest pass of run() (rx, sensors, display, flash writes)
        self._quiet_ms = 0  # since the last UART byte
        self._burst_ms = 0  # since the first byte of the last burst
        self._held_ms = 0  # since a state save was first held back
        self._log_ms = 0  # since a log record was first held back
        self._loud_ms = 0  # since the last quiet moment
        self._due_ms = 0  # display time owed since the last display step
        if self.panel is not None:
            try:
                self.panel.pages.update(self.ctl)  # a restored state is shown at once
                self.panel.step(0, self.ctl.utc_s)
            except Exception as e:
                c.fault(_DISPLAY, e)

    def report(self):
        """The boot line: version, route, board, memory (deploy reads it back from the console)."""
        gc.collect()
        free = getattr(gc, "mem_free", None)  # MicroPython only; -1 on the host
        alloc = getattr(gc, "mem_alloc", None)
        src = source(__file__)
        return "trainctl %s route=%s board=%s free=%d alloc=%d restored=%d reset=%d rom=%d frozen=%d" % (
            VERSION, self.route.NAME, getattr(self.hw, "name", "?"), free() if free else -1,
            alloc() if alloc else -1, 1 if self.ctl.restored else 0, getattr(self.hw, "reset_cause", 0),
            1 if src == 1 else 0, 1 if src == 2 else 0)

    def _event(self, kind, index):
        """The coach's events: what passengers see changed (EV_SHOWN), or the doors/WC line (the others)."""
        p = self.panel
        if p is not None and kind < 64:
            if kind == _EV_SHOWN:
                try:
                    p.pages.update(self.ctl)
                except Exception as e:
                    self.coach.fault(_DISPLAY, e)
            else:
                p.pages.refresh()
        cb = self.on_event
        if cb is not None:
            cb(kind, index)

    def step(self, dt_ms):
        """One pass of the loop, dt_ms after the last one."""
        uart = self.uart
        buf = self.buf
        got = 0
        for _ in range(8):  # bounded: at most 8 chunks a pass, the display still gets its turn
            n = uart.any()
            if n <= 0:
                break
            if n > _RX_CHUNK:
                n = _RX_CHUNK
            n = uart.readinto(buf, n)  # no more than is there: a read that waits costs timeout_char a byte
            if not n:
                break
            got += n
            self.rx_bytes += n
            self.coach.feed(buf, n)
        # Journey above: an exception there leaves the loop and the watchdog unfed (reset, state restored).
        # Sensors (in the coach) and display below: an exception is caught, logged, and the subsystem rests.
        c = self.coach
        c.step(dt_ms)
        rest = c.rest_ms
        self._due_ms += dt_ms
        if self.panel is None:
            self._due_ms = 0
        elif rest[_DISPLAY] > 0:
            rest[_DISPLAY] -= dt_ms
        elif self._due_ms >= self.frame_ms:
            try:
                self.panel.step(self._due_ms, self.ctl.utc_s)
            except Exception as e:
                c.fault(_DISPLAY, e)
            self._due_ms = 0
        elif self.panel._resend:
            try:
                self.panel.send()  # the rest of a frame, _FRAME_PAGES a pass
            except Exception as e:
                c.fault(_DISPLAY, e)
        self._flash(dt_ms, got)
        wdt = self.wdt
        if wdt is not None:
            wdt.feed()
        self.loops += 1

    def _flash(self, dt_ms, got):
        """One flash write a pass at most, in the quiet part of the GPS second (a flash write stops the CPU
        with interrupts off, the UART FIFO holds 32 bytes): a held state save once no beam is broken (between
        passengers); held log records once the doors are shut and the beams clear (after the stop's
        crossings, or between passengers when the queue is half full; after _LOG_HOLD_MS whatever the inputs). A
        GPS that never pauses holds them _HOLD_MS at most."""
        if got:
            if self._quiet_ms >= _QUIET_MS:
                self._burst_ms = 0  # a new burst
            self._quiet_ms = 0
        elif self._quiet_ms < _GONE_MS:  # bounded: stays a small int (no allocation) however long
            self._quiet_ms += dt_ms
        if self._burst_ms < _GONE_MS:
            self._burst_ms += dt_ms
        st = self.store
        jl = self.coach.jlog
        held = st is not None and st.held is not None
        logs = jl is not None and jl.queued > 0
        self._held_ms = self._held_ms + dt_ms if held else 0
        self._log_ms = self._log_ms + dt_ms if logs else 0
        if not (held or logs):
            return
        quiet = self._quiet_ms >= _QUIET_MS and (self._burst_ms <= _WINDOW_MS or self._quiet_ms >= _GONE_MS)
        if quiet:
            self._loud_ms = 0
        else:
            self._loud_ms += dt_ms
            if self._loud_ms < _HOLD_MS:  # a GPS that never pauses: after _HOLD_MS, write all the same
                return
        beams = doors = 0
        sens = self.sensors
        if sens is not None:
            out = sens.deb.out  # debounced inputs: 0-5 doors and gangways, 6-9 beams
            for i in range(6):
                doors |= out[i]
            for i in range(6, 10):
                beams |= out[i]
        save = held and (not beams or self._held_ms >= _HOLD_MS)
        log = logs and jl is not None and ((not beams and (not doors or jl.queued >= jl.room // 2))
                                           or self._log_ms >= _LOG_HOLD_MS)
        if st is not None and save and not (log and self._log_ms > self._held_ms):  # the longer wait first
            st.flush()
        elif jl is not None and log:
            jl.flush(1)

    def run(self, loops=-1):
        """Run forever (or `loops` passes), a pass every poll_ms (the pass's own time included). Ctrl-C on the
        USB console (service, e.g. `make deploy`) stops the loop; the board's keep_alive then feeds the
        watchdog from a timer until the next reset, because a started watchdog cannot be stopped on the ESP32
        or the RP2040."""
        last = time.ticks_ms()
        poll_us = 1000 * self.poll_ms
        try:
            while loops != 0:
                t0 = time.ticks_us()
                now = time.ticks_ms()
                self.step(time.ticks_diff(now, last))
                last = now
                took = time.ticks_diff(time.ticks_us(), t0)
                if took > self.max_pass_us:
                    self.max_pass_us = took
                time.sleep_us(poll_us - took if took < poll_us else 0)  # 0: a pass boundary all the same
                if loops > 0:
                    loops -= 1
        except KeyboardInterrupt:
            keep = getattr(self.hw, "keep_alive", None)
            if keep is not None:
                keep()
            self.log("service: stopped from the console; watchdog kept fed until reset")
            raise
