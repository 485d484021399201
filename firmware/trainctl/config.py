"""Optional board configuration: /config.json on the flash, edited by the crew or the depot.

Every key is optional and has a safe default; nothing in the file can stop the board from booting.
A value of the wrong type or out of range falls back to that key's default, an unreadable file to all
defaults, and each fallback is recorded in Config.problems (short ASCII lines for the console, the
display and the journey log). The file is parsed with json only: it is data, never code.

    {"coach": "C01", "wc_lockout": true, "brightness": 8, "door_alarm_kmh": 5, "volume": 8, "quiet_from_h": 22,
     "quiet_to_h": 6}

coach: the coach's ID, 1-6 characters A-Z a-z 0-9 - _ (boot line, journey log, pulled file names); default "".
volume: announcements 0..10; quiet hours (local, quiet_from_h to quiet_to_h): arrivals only, at half volume.
"""

import json
import os

from micropython import const

MAX_BYTES = const(2048)  # a real file is ~80 bytes; more is a wrong file (and would cost heap to parse)
MAX_PROBLEMS = const(8)  # the rest are summed up in one line
WC_LOCKOUT = False  # show the toilets closed while standing at a station
BRIGHTNESS = const(8)  # display: MAX7219 intensity 0..15, SSD1306 contrast = brightness * 17
DOOR_ALARM_KMH = const(5)  # a door open above this speed raises the alarm
# key, least, greatest (-1, -1: true/false; -2, n: an ID of 1..n letters, digits, - or _)
_KEYS = (("coach", -2, 6), ("wc_lockout", -1, -1), ("brightness", 0, 15), ("door_alarm_kmh", 3, 30),
         ("volume", 0, 10), ("quiet_from_h", 0, 23), ("quiet_to_h", 0, 23))


class Config:
    """The settings in force (attributes named as the keys) and what was wrong with the file."""

    def __init__(self):
        self.coach = ""
        self.wc_lockout = WC_LOCKOUT
        self.brightness = BRIGHTNESS
        self.door_alarm_kmh = DOOR_ALARM_KMH
        self.volume = 8
        self.quiet_from_h = 22
        self.quiet_to_h = 6
        self.problems = []

    def door_alarm_cms(self):
        """door_alarm_kmh in cm/s, rounded (doors.DoorMonitor threshold_cms): 5 km/h -> 139."""
        return (self.door_alarm_kmh * 250 + 4) // 9

    def as_pairs(self):
        """((key, value), ...) in a fixed order, for the boot log."""
        return tuple((k[0], getattr(self, k[0])) for k in _KEYS)

    def _problem(self, text):
        p = self.problems
        if len(p) < MAX_PROBLEMS:
            p.append(text)
        elif len(p) == MAX_PROBLEMS:
            p.append("config.json: more problems not listed")


def _ascii(s, n):
    """s cut to n characters, anything but printable ASCII as '?' (a key is the file's, any text)."""
    out = ""
    for c in s[:n]:
        out += c if " " <= c <= "~" else "?"
    return out


def _ident(s):
    return all("0" <= c <= "9" or "A" <= c <= "Z" or "a" <= c <= "z" or c == "-" or c == "_" for c in s)


def _read(path, cfg):
    """The file's JSON object, or None: no file, or one that cannot be read or is not a JSON object of at most
    MAX_BYTES (said in cfg.problems)."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below; no contextlib on MicroPython)
    except OSError:
        try:  # errno values differ between ports (the WebAssembly one says 44 for ENOENT): ask os.stat
            os.stat(path)
        except OSError:
            return None  # no file: the defaults, nothing to report
        cfg._problem("config.json: cannot open, defaults used")
        return None
    try:
        data = f.read(MAX_BYTES + 1)
    except OSError:
        data = None
    f.close()
    if data is None:
        cfg._problem("config.json: cannot read, defaults used")
        return None
    if len(data) > MAX_BYTES:
        cfg._problem("config.json: over %d bytes, defaults used" % MAX_BYTES)
        return None
    if data[:3] == b"\xef\xbb\xbf":  # UTF-8 BOM (some editors): CPython's json skips it, MicroPython's not
        data = data[3:]
    try:
        d = json.loads(data)
    except (ValueError, RuntimeError, MemoryError):  # RuntimeError: CPython's RecursionError ([[[[...)
        cfg._problem("config.json: not valid JSON, defaults used")
        return None
    if not isinstance(d, dict):
        cfg._problem("config.json: not a JSON object, defaults used")
        return None
    return d


def load(path="/config.json"):
    """Config from the JSON file at path; defaults (and problems) for whatever is missing or wrong.
    Raises ValueError only for a bad path argument, never for the file's content."""
    if not isinstance(path, str) or not path:
        raise ValueError("path")
    cfg = Config()
    d = _read(path, cfg)
    if d is None:
        return cfg
    for name, lo, hi in _KEYS:
        if name not in d:
            continue
        default = getattr(cfg, name)
        v = d[name]
        boolean = v is True or v is False  # True is an int on CPython: never a number here
        if lo == -2:
            if isinstance(v, str) and 0 < len(v) <= hi and _ident(v):
                setattr(cfg, name, v)
            else:
                cfg._problem("%s: not 1..%d letters, digits, - or _, using none" % (name, hi))
        elif lo < 0:
            if boolean:
                setattr(cfg, name, v)
            else:
                cfg._problem("%s: not true/false, using %s" % (name, "true" if default else "false"))
        elif boolean or not isinstance(v, int):
            cfg._problem("%s: not an integer, using %d" % (name, default))
        elif v < lo or v > hi:
            cfg._problem("%s: not in %d..%d, using %d" % (name, lo, hi, default))
        else:
            setattr(cfg, name, v)
    known = [k[0] for k in _KEYS]
    # str(): MicroPython's json also takes {1: ..}, {true: ..}; sorted: the same order on every port
    for name in sorted(str(k) for k in d if k not in known):
        cfg._problem("unknown key ignored: " + _ascii(name, 24))
    return cfg

