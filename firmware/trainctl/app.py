"""The main loop: UART bytes -> parser -> journey -> state file; door/beam/WC inputs -> sensors (alarm
output, counts); pages -> display at their own rate (Panel: draws and sends a frame only when it changed;
bus errors are counted, not raised, and the frame is sent again on the next step); watchdog fed while the
loop runs. Time comes from the `time` module's ticks (the virtual board replaces that module, so the same
loop runs on virtual time).

Measured on an RP2040 (rp2 port, 125 MHz): a UART read that asks for more than is there waits timeout_char
(>= 2 ms) per missing character, so the loop reads only what uart.any() reports; a flash erase stops the
CPU (interrupts off) while the 32-byte UART FIFO overflows, so state and log writes wait for the quiet part
of the GPS second (no byte for _QUIET_MS after a burst); a whole SSD1306 frame costs ~24 ms at 400 kHz, so
a display that can (trainctl.oled.Oled) sends the pages that changed, at most _FRAME_PAGES per pass.
"""

import gc
import time

from micropython import const

from . import VERSION, clock
from .controller import Controller
from .store import StateFile
from .text import station_en

# Private constants (folded by the compiler: no global, no interned name in the board's RAM).
_POLL_MS = const(10)  # loop period: UART, inputs
_REST_MS = const(5000)  # a subsystem that raised rests this long, then is tried again
_DISPLAY = const(0)
_SENSORS = const(1)
_FRAME_MS = const(40)  # display step: 25 frames a second at most
_RX_CHUNK = const(256)  # bytes read from the UART at a time
_FRAME_PAGES = const(4)  # SSD1306 pages (128 B, ~3 ms each at 400 kHz) sent per pass at most
_QUIET_MS = const(30)  # no UART byte for this long: the GPS burst is over, flash writes may go
_WINDOW_MS = const(900)  # ... until this long after the burst began (1 Hz GPS: the next one is due at 1000)
_GONE_MS = const(1100)  # no byte for this long: no burst to wait for
_HOLD_MS = const(5000)  # a held state save waits at most this long (a GPS that never pauses)
_LOG_HOLD_MS = const(120000)  # log records wait for the doors to close at most this long
_CONFIG = const(2)  # journey log K_FAULT index: the configuration file had problems (a = how many)
_AUDIO = const(3)  # the announcements (trainctl.announce, trainctl.voice)
# The journey log's own record kinds (trainctl/codes.py K_*; a test checks these copies).
_K_STATION = const(64)
_K_BOOT = const(65)
_K_FAULT = const(66)
_CONFIG_NOTICE = const(b"CONFIG ERROR")  # on the display's fourth line (ASCII: every font has it)
_CONFIG_NOTICE_MS = const(60000)


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
    """hw: the board's hardware (see boards/*/board.py): uart, display (or None), wdt (or None),
    state_path, name; optional poll_ms and frame_ms to override the loop's periods."""

    def __init__(self, route, hw, log=print):
        self.buf = bytearray(_RX_CHUNK)  # before the rest: big buffers first
        self.route = route
        self.hw = hw
        self.log = log
        self.uart = hw.uart
        self.wdt = getattr(hw, "wdt", None)
        self.poll_ms = getattr(hw, "poll_ms", _POLL_MS)
        self.frame_ms = getattr(hw, "frame_ms", _FRAME_MS)
        path = getattr(hw, "state_path", None)
        self.store = StateFile(path) if path else None
        self.jlog = None
        jpath = getattr(hw, "jlog_path", None)
        if jpath:
            from .jlog import JourneyLog

            self.jlog = JourneyLog(jpath)
            self.jlog.load()
            self.jlog.hold = True  # records wait in RAM for the loop's quiet time (_flash()), the boot's too
            self.jlog.add(-1, _K_BOOT, 0, -1, getattr(hw, "reset_cause", 0))
        cfg = None
        cpath = getattr(hw, "config_path", None)
        if cpath:
            import os

            try:
                os.stat(cpath)
            except OSError:
                cpath = None  # no file, no import: the defaults below cost no RAM (~4 KB of code)
        if cpath:
            from . import config

            cfg = config.load(cpath)  # never raises for the file's content: defaults and problems
        self.config = cfg
        self._notice_ms = _CONFIG_NOTICE_MS if cfg is not None and cfg.problems else 0
        self.sensors = None
        self.faults = [0, 0, 0, 0]  # exceptions caught per subsystem: display, sensors, -, audio
        self._rest_ms = [0, 0, 0, 0]  # while > 0 that subsystem is skipped
        boot_fault = None
        inputs = getattr(hw, "inputs", None)
        if inputs:
            from .sensors import Sensors

            try:
                self.sensors = Sensors(route, inputs, getattr(hw, "alarm", None), self._event,
                                       cfg.wc_lockout if cfg is not None else False,
                                       cfg.door_alarm_cms() if cfg is not None else 139)
            except Exception as e:  # an input that raises at boot: run without sensors, never a boot loop
                boot_fault = e
            if self.sensors is not None and self.store is not None:
                self.store.tally = self.sensors.tally  # counts saved with the journey, restored below
        self.on_event = None  # (kind, index) of every sensor event, for a journey log or a host tool
        self.panel = None
        disp_fault = None
        disp = getattr(hw, "display", None)
        if disp is not None:
            from . import font_data
            from .pages import Pages
            from .text import Font

            status = self._status if self.sensors is not None or self._notice_ms else None
            self.panel = Panel(Pages(route, Font(font_data), disp.width, disp.height, status), disp,
                               getattr(hw, "frame_pages", _FRAME_PAGES))
            if cfg is not None:
                try:
                    if hasattr(disp, "brightness"):  # MAX7219 chain
                        disp.brightness(cfg.brightness)
                    elif hasattr(disp, "contrast"):  # SSD1306
                        disp.contrast(cfg.brightness * 17)
                except Exception as e:  # reported below, once the journey is up
                    disp_fault = e
        self.ann = None
        if getattr(hw, "audio", None) is not None:
            from .announce import Announcer
            from .voice import Voice

            self.ann = Announcer(route, Voice(hw.audio), *((cfg.volume, cfg.quiet_from_h, cfg.quiet_to_h)
                                                           if cfg is not None else ()))
        self.ctl = Controller(route, self.store, self._changed)
        self.rx_bytes = 0
        self.loops = 0
        self.max_pass_us = 0  # longest pass of run() (rx, sensors, display, flash writes)
        self._quiet_ms = 0  # since the last UART byte
        self._burst_ms = 0  # since the first byte of the last burst
        self._held_ms = 0  # since a state save was first held back
        self._log_ms = 0  # since a log record was first held back
        self._loud_ms = 0  # since the last quiet moment
        self._fix_s = -1
        if boot_fault is not None:
            self._fault(_SENSORS, boot_fault)
        if disp_fault is not None:
            self._fault(_DISPLAY, disp_fault)
        if cfg is not None:
            for p in cfg.problems:  # a bad configuration file: defaults in force, said on the console,
                self.log("config: " + p)  # in the log and (_CONFIG_NOTICE_MS) on the display
            if cfg.problems and self.jlog is not None:
                self.jlog.add(-1, _K_FAULT, _CONFIG, -1, len(cfg.problems))
        self._due_ms = 0  # display time owed since the last display step
        if self.panel is not None:
            try:
                self.panel.pages.update(self.ctl)  # a restored state is shown at once
                self.panel.step(0, self.ctl.utc_s)
            except Exception as e:
                self._fault(_DISPLAY, e)
        # From here on, state saves and log records wait for the quiet part of the GPS second (_flash()).
        if self.store is not None:
            self.store.open()  # at boot: the first save in the loop allocates nothing
            self.store.hold = True

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

    def _fault(self, kind, e):
        """A subsystem (kind: _DISPLAY or _SENSORS) raised: count it, log it, rest it; the journey and the
        others go on."""
        self.faults[kind] += 1
        self._rest_ms[kind] = _REST_MS
        code = e.args[0] if isinstance(e, OSError) and e.args and isinstance(e.args[0], int) else 0
        self.log("fault: %s: %s %s" % (("display", "sensors", "config", "audio")[kind], type(e).__name__, e))
        if self.jlog is not None:
            self.jlog.add(self.ctl.utc_s, _K_FAULT, kind, -1, code & 0xFFFF)

    def _audio_fault(self, e):
        try:
            self.ann.voice.close()  # silent and its RAM freed until it is tried again
        except Exception:  # noqa: BLE001 (the output's own fault: already counted below)
            self.ann.voice.out = None
        self._fault(_AUDIO, e)

    def _status(self, ln, lang):
        """The pages' fourth line: a configuration notice for a while after boot, then doors/WC."""
        if self._notice_ms > 0:
            ln.add(_CONFIG_NOTICE)
        elif self.sensors is not None:
            self.sensors.status(ln, lang)

    def _event(self, kind, index):
        if self.panel is not None:
            self.panel.pages.refresh()  # the doors/WC line
        jl = self.jlog
        sens = self.sensors
        if jl is not None and sens is not None and (kind < 16 or 18 <= kind < 32):  # doors, alarms, faults,
            jl.add(self.ctl.utc_s, kind, index, sens.at_stop)  # clamps, stuck beams: not single passengers
        cb = self.on_event
        if cb is not None:
            cb(kind, index)

    def _changed(self, ctl):
        sens = self.sensors
        if sens is not None:
            try:
                prev = sens.at_stop
                if prev >= 0 and ctl.at_stop != prev and self.jlog is not None:  # a stop ended: its counts
                    t = sens.tally
                    self.jlog.add(ctl.utc_s, _K_STATION, prev, prev, t.boardings[prev], t.alightings[prev])
                sens.stop(ctl.at_stop)
            except Exception as e:  # the supervisor: one subsystem's bug must not stop the journey
                self._fault(_SENSORS, e)
        if self.panel is not None:
            try:
                self.panel.pages.update(ctl)
            except Exception as e:
                self._fault(_DISPLAY, e)
        if self.ann is not None and self._rest_ms[_AUDIO] <= 0:
            try:
                self.ann.changed(ctl)
            except Exception as e:
                self._audio_fault(e)
        r = self.route
        off = ctl.utc_offset_min
        if off is None:
            zone = "?"
        elif off % 60:
            zone = "%+d:%02d" % (off // 60, off % 60)  # UTC+8:30 (the DPRK, 2015-2018)
        else:
            zone = "%+d" % (off // 60)
        self.log("%s %s UTC%s at=%s next=%s" % (
            clock.iso_utc(ctl.utc_s) if ctl.utc_s >= 0 else "-", ctl.train or "--", zone,
            station_en(r, ctl.at_stop), station_en(r, ctl.next_stop)))

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
            self.ctl.feed(buf, n)
        # Journey above: an exception there leaves the loop and the watchdog unfed (reset, state restored).
        # Sensors and display below: an exception is caught, logged, and the subsystem rests _REST_MS.
        rest = self._rest_ms
        sens = self.sensors
        if sens is not None:
            if rest[_SENSORS] > 0:
                rest[_SENSORS] -= dt_ms
            else:
                try:
                    ctl = self.ctl
                    if ctl.utc_s != self._fix_s:
                        self._fix_s = ctl.utc_s
                        sens.fix(ctl.speed_cms)
                    sens.poll(dt_ms)
                    if sens.tally.dirty and self.store is not None:  # every crossing saved at once
                        self.store.save(ctl.journey)
                except Exception as e:
                    self._fault(_SENSORS, e)
        if self._notice_ms > 0:
            self._notice_ms -= dt_ms
            if self._notice_ms <= 0 and self.panel is not None:
                self.panel.pages.refresh()
        self._due_ms += dt_ms
        if self.panel is None:
            self._due_ms = 0
        elif rest[_DISPLAY] > 0:
            rest[_DISPLAY] -= dt_ms
        elif self._due_ms >= self.frame_ms:
            try:
                self.panel.step(self._due_ms, self.ctl.utc_s)
            except Exception as e:
                self._fault(_DISPLAY, e)
            self._due_ms = 0
        elif self.panel._resend:
            try:
                self.panel.send()  # the rest of a frame, _FRAME_PAGES a pass
            except Exception as e:
                self._fault(_DISPLAY, e)
        ann = self.ann
        if ann is not None:
            if rest[_AUDIO] > 0:
                rest[_AUDIO] -= dt_ms
            else:
                try:
                    ann.step(self.ctl, dt_ms)
                except Exception as e:
                    self._audio_fault(e)
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
        jl = self.jlog
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
