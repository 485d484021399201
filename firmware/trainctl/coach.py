"""The coach without its hardware: receiver bytes (feed), time passing (step) and the inputs' levels (the
callables in hw.inputs) in; what passengers see (ctl, a controller.Controller: train, utc_offset_min, country,
next_stop, destination, at_stop) and one event stream (on_event(kind, index), kinds in trainctl/codes.py) out.

The one place that wires the journey (Controller), the sensors, the state file, the journey log and the
configuration file. The board's loop (app.App) and every host tool (replay, fault soak, frames, benchmarks)
drive it; a subsystem that raises is counted, logged and rests _REST_MS while the journey goes on.
"""

from micropython import const

from . import clock
from .controller import Controller
from .store import StateFile
from .text import station_en

_REST_MS = const(5000)  # a subsystem that raised rests this long, then is tried again
_DISPLAY = const(0)  # index into faults and rest_ms
_SENSORS = const(1)
_CONFIG = const(2)  # journey log K_FAULT index: the configuration file had problems (a = how many)
# Event kinds (trainctl/codes.py names them for the tools; a test checks these copies).
_EV_SHOWN = const(48)
_EV_STATUS = const(49)
_K_STATION = const(64)
_K_BOOT = const(65)
_K_FAULT = const(66)
_DOOR_ALARM_CMS = const(139)  # config.py's default door_alarm_kmh (5 km/h)
_CONFIG_NOTICE = const(b"CONFIG ERROR")  # on the display's fourth line (ASCII: every font has it)
_CONFIG_NOTICE_MS = const(60000)


class Coach:
    """hw: any object with the optional attributes state_path, jlog_path, config_path, inputs ({name:
    callable returning 0/1}), alarm (callable taking 0/1), reset_cause (see hw.Hardware); on_event(kind,
    index): every event (the sensors', EV_SHOWN, EV_STATUS, K_STATION, K_FAULT), from the restored state's
    EV_SHOWN on; log: callable taking a console line, or None; parser: as Controller's; hold: state saves
    and log records wait for flush() (the board's loop writes flash in the quiet part of the GPS second)."""

    def __init__(self, route, hw=None, on_event=None, log=None, parser=None, hold=False):
        self.route = route
        self.log = log
        self.on_event = on_event
        path = getattr(hw, "state_path", None)
        self.store = StateFile(path) if path else None
        self.jlog = None
        jpath = getattr(hw, "jlog_path", None)
        if jpath:
            from .jlog import JourneyLog

            self.jlog = JourneyLog(jpath)
            self.jlog.load()
            self.jlog.hold = hold  # the boot's record waits too
            self.jlog.add(-1, _K_BOOT, 0, -1, getattr(hw, "reset_cause", 0))
        cfg = self.config = _config(getattr(hw, "config_path", None))
        self._notice_ms = _CONFIG_NOTICE_MS if cfg is not None and cfg.problems else 0
        self.sensors = None
        self.faults = [0, 0]  # exceptions caught per subsystem: display, sensors
        self.rest_ms = [0, 0]  # while > 0 that subsystem is skipped
        self._fix_s = -1
        boot_fault = None
        inputs = getattr(hw, "inputs", None)
        if inputs:
            from .sensors import Sensors

            try:
                self.sensors = Sensors(route, inputs, getattr(hw, "alarm", None), self._event,
                                       cfg.wc_lockout if cfg is not None else False,
                                       cfg.door_alarm_cms() if cfg is not None else _DOOR_ALARM_CMS)
            except Exception as e:  # an input that raises at boot: run without sensors, never a boot loop
                boot_fault = e
            if self.sensors is not None and self.store is not None:
                self.store.tally = self.sensors.tally  # counts saved with the journey, restored below
        self.ctl = Controller(route, self.store, self._changed, parser)  # a restored state: EV_SHOWN now
        if boot_fault is not None:
            self.fault(_SENSORS, boot_fault)
        if cfg is not None:
            for p in cfg.problems:  # a bad configuration file: defaults in force, said on the console,
                self._say("config: " + p)  # in the log and (_CONFIG_NOTICE_MS) on the display
            if cfg.problems and self.jlog is not None:
                self.jlog.add(-1, _K_FAULT, _CONFIG, -1, len(cfg.problems))
        if hold and self.store is not None:
            self.store.open()  # at boot: the first save in the loop allocates nothing
            self.store.hold = True

    def feed(self, data, n=-1):
        """Receiver bytes: data[:n] (all of it if n < 0). A journey exception propagates (the board resets)."""
        self.ctl.feed(data, n)

    def step(self, dt_ms):
        """dt_ms after the last step: the sensors see the latest fix's speed and are polled, the counts saved
        at once; the configuration notice counts down (EV_STATUS when it ends)."""
        sens = self.sensors
        rest = self.rest_ms
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
                except Exception as e:  # the supervisor: one subsystem's bug must not stop the journey
                    self.fault(_SENSORS, e)
        if self._notice_ms > 0:
            self._notice_ms -= dt_ms
            if self._notice_ms <= 0:
                self._event(_EV_STATUS, 0)

    def fault(self, kind, e):
        """A subsystem (kind: 0 display, 1 sensors) raised: count it, log it, rest it; the journey goes on."""
        self.faults[kind] += 1
        self.rest_ms[kind] = _REST_MS
        code = e.args[0] if isinstance(e, OSError) and e.args and isinstance(e.args[0], int) else 0
        self._say("fault: %s: %s %s" % (("display", "sensors")[kind], type(e).__name__, e))
        if self.jlog is not None:
            self.jlog.add(self.ctl.utc_s, _K_FAULT, kind, -1, code & 0xFFFF)
        self._event(_K_FAULT, kind)

    def status(self, ln, lang):
        """The pages' fourth line: a configuration notice for a while after boot, then doors/WC."""
        if self._notice_ms > 0:
            ln.add(_CONFIG_NOTICE)
        elif self.sensors is not None:
            self.sensors.status(ln, lang)

    def _say(self, text):
        if self.log is not None:
            self.log(text)

    def _event(self, kind, index):
        jl = self.jlog
        sens = self.sensors
        if jl is not None and sens is not None and (kind < 16 or 18 <= kind < 32):  # doors, alarms, faults,
            jl.add(self.ctl.utc_s, kind, index, sens.at_stop)  # clamps, stuck beams: not single passengers
        cb = self.on_event
        if cb is not None:
            cb(kind, index)

    def _changed(self, ctl):
        sens = self.sensors
        prev = -1
        if sens is not None:
            try:
                prev = sens.at_stop
                if prev >= 0 and ctl.at_stop != prev and self.jlog is not None:  # a stop ended: its counts
                    t = sens.tally
                    self.jlog.add(ctl.utc_s, _K_STATION, prev, prev, t.boardings[prev], t.alightings[prev])
                sens.stop(ctl.at_stop)
            except Exception as e:
                prev = -1
                self.fault(_SENSORS, e)
        self._event(_EV_SHOWN, 0)
        if prev >= 0 and ctl.at_stop != prev:
            self._event(_K_STATION, prev)
        if self.log is not None:
            off = ctl.utc_offset_min
            if off is None:
                zone = "?"
            elif off % 60:
                zone = "%+d:%02d" % (off // 60, off % 60)  # UTC+8:30 (the DPRK, 2015-2018)
            else:
                zone = "%+d" % (off // 60)
            r = self.route
            self.log("%s %s UTC%s at=%s next=%s" % (
                clock.iso_utc(ctl.utc_s) if ctl.utc_s >= 0 else "-", ctl.train or "--", zone,
                station_en(r, ctl.at_stop), station_en(r, ctl.next_stop)))


def _config(path):
    """The configuration file's settings and problems (config.load never raises for the content), or None
    without a file: then the config module is not imported (~4 KB of code)."""
    if not path:
        return None
    import os

    try:
        os.stat(path)
    except OSError:
        return None
    from . import config

    return config.load(path)
