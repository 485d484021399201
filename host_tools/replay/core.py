"""Replay engine shared by the CPython CLI and the MicroPython runner (common subset only).

Turns controller display changes into event lines with a fixed key order, so both runtimes print
byte-identical JSON. With recorded inputs (parse_inputs) the coach's Sensors run on GPS time beside
the controller: polled as the board's 10 ms loop would while anything is unsettled, coarsely otherwise.
"""

from trainctl import clock, doors, nmea
from trainctl import codes as K
from trainctl.controller import Controller
from trainctl.sensors import INPUT_NAMES, Sensors
from trainctl.store import StateFile
from trainctl.text import station_en


def parse_iso_utc(text):
    """Epoch seconds (trainctl.clock's epoch) from 'YYYY-MM-DDThh:mm:ss[.fff]Z' (ValueError otherwise);
    fraction dropped. The inverse of clock.iso_utc, for the host's tools and tests."""
    if len(text) < 20 or text[-1] != "Z" or text[4] != "-" or text[7] != "-" or text[10] != "T":
        raise ValueError("iso")
    return clock.epoch_seconds(int(text[0:4]), int(text[5:7]), int(text[8:10]),
                               int(text[11:13]), int(text[14:16]), int(text[17:19]))


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
    if isinstance(v, list):  # (key, value) pairs: a JSON object in this order
        return "{" + ", ".join(['"' + k + '": ' + js(x) for k, x in v]) + "}"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def line(pairs):
    return "{" + ", ".join(['"' + k + '": ' + js(v) for k, v in pairs]) + "}"


def by_kind(stats):
    """{'GNRMC': count, ...} of a parser's Stats.by_kind, named from trainctl.nmea's _KIND and _TALKER tables
    ('---' any other type, '--' any other talker)."""

    n_t = len(nmea._TALKER) + 1
    kname = ["---"] * (len(nmea._KIND) + 1)
    for key, k in nmea._KIND.items():
        kname[k] = chr(key >> 16) + chr(key >> 8 & 0xFF) + chr(key & 0xFF)
    tname = ["--"] * n_t
    for key, t in nmea._TALKER.items():
        tname[t] = chr(key >> 8) + chr(key & 0xFF)
    out = {}
    for i, n in enumerate(stats.by_kind):
        if n:
            out[tname[i % n_t] + kname[i // n_t]] = n
    return out


class Replay:
    """Feed NMEA bytes; display changes arrive as (utc_s, utc_ms, state dict-like pairs) via on_event."""

    def __init__(self, route, state_path=None, on_event=None, parser=None, inputs=None):
        """inputs: None, or changes [(t_ms, input index, level)] from parse_inputs: sensor events then
        arrive through on_event too."""
        self.route = route
        self.on_event = on_event
        self.store = StateFile(state_path) if state_path else None
        self.events = 0
        self.sens = None
        if inputs is not None:
            self.sens = SensorReplay(route, inputs, self._emit)
            if self.store is not None:
                self.store.tally = self.sens.s.tally  # counts saved with the journey, as on the board
            p = parser
            sr = self.sens

            def parser(on_fix):  # the sensors see each epoch around the controller's own handling
                return sr.wrap_parser(p, on_fix)
        self.ctl = Controller(route, self.store, self._display, parser)  # a restored state is an event
        if self.sens is not None:
            self.sens.ctl = self.ctl

    def _emit(self, pairs):
        if self.on_event is not None:
            self.on_event(pairs)

    def finish(self):
        """After the last byte: the inputs left after the last epoch are played out."""
        if self.sens is not None:
            self.sens.finish()

    def feed(self, data, n=-1):
        self.ctl.feed(data, n)

    def name(self, idx):
        return None if idx < 0 else station_en(self.route, idx)

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
        if self.sens is not None:
            self.sens.stop(ctl.at_stop)

    def summary_pairs(self):
        c = self.ctl
        pairs = [("event", "summary")]
        st = c.parser.stats.as_dict()
        for k in ("sentences", "bad_checksum", "too_long", "unknown_type", "bad_field", "truncated",
                  "garbage_bytes", "fixes", "no_fix", "comments", "undated", "rollover"):
            pairs.append((k, st[k]))
        kinds = by_kind(c.parser.stats)
        pairs.append(("by_kind", [(k, kinds[k]) for k in sorted(kinds)]))  # e.g. GNRMC, GP--- (other types)
        js_ = c.journey.stats.as_dict()
        for k in ("jumps", "held", "reanchors", "stale", "frozen", "poor", "off_route", "searching", "reversals"):
            pairs.append((k, js_[k]))
        pairs.append(("display_changes", self.events))
        pairs.append(("state_writes", self.store.writes if self.store else 0))
        pairs.append(("restored", c.restored))
        if self.sens is not None:
            pairs += self.sens.summary_pairs()
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


def parse_time_ms(text):
    """Milliseconds since the project epoch from 'YYYY-MM-DDThh:mm:ss.fffZ' (ValueError otherwise)."""
    if len(text) != 24 or text[19] != "." or not text[20:23].isdigit():
        raise ValueError("bad time %r" % text)
    for k in (0, 5, 8, 11, 14, 17):
        if not text[k:k + 2].isdigit():
            raise ValueError("bad time %r" % text)
    try:
        return parse_iso_utc(text) * 1000 + int(text[20:23])
    except ValueError:
        raise ValueError("bad time %r" % text) from None


def parse_inputs(lines):
    """Input changes [(t_ms, input index, level)] from the lines of an inputs CSV (header
    'utc,input,value'); ValueError 'line N: ...' on a bad header, input, time, value or order."""

    out = []
    last = -1
    n = 0
    for raw in lines:
        n += 1
        ln = raw.strip()
        if n == 1:
            if ln.replace(" ", "") != "utc,input,value":
                raise ValueError("line 1: header must be utc,input,value")
            continue
        if not ln:
            continue
        f = ln.split(",")
        if len(f) != 3:
            raise ValueError("line %d: expected utc,input,value" % n)
        try:
            t = parse_time_ms(f[0].strip())
        except ValueError as e:
            raise ValueError("line %d: %s" % (n, e)) from None
        name = f[1].strip()
        if name not in INPUT_NAMES:
            raise ValueError("line %d: unknown input %r" % (n, name))
        v = f[2].strip()
        if v != "0" and v != "1":
            raise ValueError("line %d: value must be 0 or 1, not %r" % (n, v))
        if t < last:
            raise ValueError("line %d: time goes backwards" % n)
        last = t
        out.append((t, INPUT_NAMES.index(name), 1 if v == "1" else 0))
    if n == 0:
        raise ValueError("line 1: empty file, header utc,input,value expected")
    return out


FINE_MS = 10  # the board's loop period (app.POLL_MS)
COARSE_MS = 1000  # longest step while a door is open (GPS-loss hold, fault timer: timing within 1 s)
_VEST = ("A", "B")


class SensorReplay:
    """The coach's Sensors driven by recorded input changes on GPS time. Polls fall on a 10 ms grid of
    GPS time while the debouncer has a pending change or a beam is broken with its door open; otherwise
    only at each epoch and at input changes (at most COARSE_MS apart while a door is open)."""

    def __init__(self, route, changes, emit):

        self.route = route
        self.changes = changes
        self.emit = emit
        self.ctl = None
        self.raw = bytearray(len(INPUT_NAMES))
        raw = self.raw
        inputs = {}
        for i in range(len(INPUT_NAMES)):
            inputs[INPUT_NAMES[i]] = (lambda i=i: raw[i])
        self.s = Sensors(route, inputs, None, self._event)
        self.door_names = doors.DOOR_NAMES
        self.k = (K.EV_DOOR_OPEN, K.EV_DOOR_CLOSED, K.EV_ALARM_ON, K.EV_ALARM_OFF, K.EV_FAULT, K.EV_FAULT_CLEAR,
                  K.EV_IN, K.EV_OUT, K.EV_CLAMP, K.EV_STUCK, K.EV_UNSTUCK, K.EV_WC_OCCUPIED, K.EV_WC_FREE)
        self.i = 0  # next change to apply
        self.now = -1  # GPS ms of the last poll, -1 before the first epoch
        self.fix_s = -1
        self.onboard = 0  # the live count after each event (the tally's is after the whole poll)
        self.polls = 0
        self.fine_polls = 0
        self.t_fix = -1

    def wrap_parser(self, parser_cls, on_fix):

        self._ctl_fix = on_fix
        return (parser_cls or nmea.Parser)(self._on_fix)

    def _on_fix(self, fix):
        t = fix.utc_s * 1000 + fix.utc_ms if fix.utc_s >= 0 else -1
        self.t_fix = t
        if self.now < 0 and t >= 0:
            self.now = t
            self._apply(t)
            self.s.deb.prime()  # as a board booting reads its inputs (a replay started after a power cut)
        elif t > self.now:
            self.run(t)  # every poll before this epoch, with what was known before it
        self._ctl_fix(fix)  # display change -> stop()
        c = self.ctl
        if c.utc_s != self.fix_s:
            self.fix_s = c.utc_s
            self.s.fix(c.speed_cms)
        if t > self.now:
            self._poll(t)
        elif t >= 0 and t == self.now:
            self._poll(t)  # a second fix in the same epoch: the speed takes effect now

    def stop(self, at_stop):
        s = self.s
        old = s.at_stop
        s.stop(at_stop)
        if old >= 0 and at_stop != old:
            tl = s.tally
            self.emit([("event", "station"), ("utc", self._utc(self.t_fix)), ("station", station_en(self.route, old)),
                       ("boardings", tl.boardings[old]), ("alightings", tl.alightings[old]),
                       ("onboard", tl.onboard)])

    def _apply(self, t):
        ch = self.changes
        i = self.i
        raw = self.raw
        n = len(ch)
        while i < n and ch[i][0] <= t:
            raw[ch[i][1]] = ch[i][2]
            i += 1
        self.i = i

    def _poll(self, t):
        self._apply(t)
        dt = t - self.now
        self.now = t
        self.polls += 1
        self.s.poll(dt)
        c = self.ctl
        if self.s.tally.dirty and c is not None and c.store is not None:  # as App.step: saved at once
            c.store.save(c.journey)
        self.onboard = self.s.tally.onboard

    def _busy(self):
        s = self.s
        if not s.deb.settled():
            return 2
        out = s.deb.out
        for c in s.counters:
            if not c.stuck and (out[c._outer] or out[c._inner]) and (out[c._doors[0]] or out[c._doors[1]]):
                return 2
        for i in range(4):  # exterior doors
            if out[i]:
                return 1
        return 0

    def run(self, t_end):
        """Poll every instant the board would need up to, not including, t_end (GPS ms)."""
        ch = self.changes
        n = len(ch)
        while True:
            b = self._busy()
            now = self.now
            if b == 2:
                t = (now // FINE_MS + 1) * FINE_MS
                self.fine_polls += 1
            else:
                t = t_end
                if self.i < n:
                    tc = ch[self.i][0]
                    tc = now + 1 if tc <= now else tc
                    tc = (tc + FINE_MS - 1) // FINE_MS * FINE_MS  # the first grid poll that sees it
                    if tc < t:
                        t = tc
                if b == 1 and t > now + COARSE_MS:
                    t = now + COARSE_MS
            if t >= t_end:
                return
            self._poll(t)

    def finish(self):
        """Play out the changes after the last epoch, until all is settled (or 1 h after the last)."""
        if self.now < 0:
            if not self.changes:
                return
            self.now = self.changes[0][0]
        last = self.changes[-1][0] if self.changes else self.now
        end = last + 3600000
        while self.now < end and (self.i < len(self.changes) or self._busy() == 2):
            self.run(end)
            if self.now >= end or (self.i >= len(self.changes) and self._busy() != 2):
                break

    def _utc(self, t=-1):
        if t < self.now:
            t = self.now if self.now >= 0 else 0
        return clock.iso_utc(t // 1000, t % 1000)

    def _event(self, kind, index):
        k = self.k
        utc = self._utc()
        if kind == k[2] or kind == k[3]:
            p = [("event", "door_alarm"), ("utc", utc), ("door", self.door_names[index]), ("active", kind == k[2])]
        elif kind == k[6] or kind == k[7]:
            if kind == k[6]:
                self.onboard += 1
            elif self.onboard > 0:  # at 0 the tally clamped it (count_clamp came first)
                self.onboard -= 1
            p = [("event", "count"), ("utc", utc), ("door", _VEST[index]),
                 ("direction", "in" if kind == k[6] else "out"), ("onboard", self.onboard)]
        elif kind == k[11] or kind == k[12]:
            p = [("event", "wc"), ("utc", utc), ("wc", index + 1), ("occupied", kind == k[11])]
        elif kind == k[0] or kind == k[1]:
            p = [("event", "door"), ("utc", utc), ("door", self.door_names[index]), ("open", kind == k[0])]
        elif kind == k[4] or kind == k[5]:
            p = [("event", "door_fault"), ("utc", utc), ("door", self.door_names[index]), ("active", kind == k[4])]
        elif kind == k[8]:
            p = [("event", "count_clamp"), ("utc", utc), ("door", _VEST[index]),
                 ("discrepancies", self.s.tally.discrepancies)]
        elif kind == k[9] or kind == k[10]:
            p = [("event", "beam_stuck"), ("utc", utc), ("door", _VEST[index]), ("active", kind == k[9])]
        else:
            p = [("event", "sensor"), ("utc", utc), ("kind", kind), ("index", index)]
        self.emit(p)

    def summary_pairs(self):
        s = self.s
        tl = s.tally
        b = []
        a = []
        for i in range(len(tl.boardings)):
            if tl.boardings[i] or tl.alightings[i]:
                b.append((station_en(self.route, i), tl.boardings[i]))
                a.append((station_en(self.route, i), tl.alightings[i]))
        return [("boardings", b), ("alightings", a), ("onboard", tl.onboard),
                ("discrepancies", tl.discrepancies), ("off_stop_in", tl.off_stop_in),
                ("off_stop_out", tl.off_stop_out), ("door_alarms", s.doors.alarms), ("door_faults", s.doors.faults),
                ("beam_stuck", s.counters[0].stuck_events + s.counters[1].stuck_events),
                ("wc_uses", s.wc.uses[0] + s.wc.uses[1]), ("input_changes", len(self.changes)),
                ("sensor_polls", self.polls), ("events_dropped", s.ring.dropped)]
