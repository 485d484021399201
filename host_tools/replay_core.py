"""Replay engine shared by the CPython CLI and the MicroPython runner (common subset only).

Turns controller display changes into event lines with a fixed key order, so both runtimes print
byte-identical JSON.
"""

from trainctl import clock
from trainctl.controller import Controller
from trainctl.store import StateFile


def js(v):
    """JSON text of None, bool, int or str (names here are plain text)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def line(pairs):
    return "{" + ", ".join(['"' + k + '": ' + js(v) for k, v in pairs]) + "}"


class Replay:
    """Feed NMEA bytes; display changes arrive as (utc_s, utc_ms, state dict-like pairs) via on_event."""

    def __init__(self, route, state_path=None, on_event=None, parser=None):
        self.route = route
        self.on_event = on_event
        self.store = StateFile(state_path) if state_path else None
        self.events = 0
        self.ctl = Controller(route, self.store, self._display, parser)  # a restored state is an event

    def feed(self, data, n=-1):
        self.ctl.feed(data, n)

    def name(self, idx):
        return None if idx < 0 else self.route.ST_EN[idx]

    def display_pairs(self, c=None):
        c = c or self.ctl
        return [
            ("event", "display"),
            ("utc", clock.iso_utc(c.utc_s) if c.utc_s >= 0 else None),
            ("train", c.train),
            ("utc_offset_min", c.utc_offset_min),
            ("next_stop", self.name(c.next_stop)),
            ("destination", self.name(c.destination)),
            ("at_stop", self.name(c.at_stop)),
        ]

    def _display(self, ctl):
        self.events += 1
        if self.on_event is not None:
            self.on_event(self.display_pairs(ctl))

    def summary_pairs(self):
        c = self.ctl
        pairs = [("event", "summary")]
        st = c.parser.stats.as_dict()
        for k in ("sentences", "bad_checksum", "too_long", "unknown_type", "bad_field", "truncated",
                  "garbage_bytes", "fixes", "no_fix"):
            pairs.append((k, st[k]))
        js_ = c.journey.stats.as_dict()
        for k in ("jumps", "held", "reanchors", "stale", "frozen", "poor", "off_route", "searching", "reversals"):
            pairs.append((k, js_[k]))
        pairs.append(("display_changes", self.events))
        pairs.append(("state_writes", self.store.writes if self.store else 0))
        pairs.append(("restored", c.restored))
        return pairs


def run_file(route, path, state_path=None, emit=print, chunk=512, parser=None):
    """Replay a whole NMEA file, emitting JSON lines through emit; returns the Replay."""
    r = Replay(route, state_path, lambda pairs: emit(line(pairs)), parser)
    buf = bytearray(chunk)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            r.feed(buf, n)
    if r.events == 0:
        r._display(r.ctl)
    emit(line(r.summary_pairs()))
    return r
