"""Replay engine shared by the CPython CLI and the MicroPython runner (common subset only).

Drives the firmware's coach (trainctl.coach.Coach: the board's own wiring of journey, sensors and state file)
and turns its events into JSON lines with a fixed key order, so both runtimes print byte-identical JSON. With
recorded inputs (parse_inputs) the coach is stepped on GPS time: every 10 ms as the board's loop while its
sensors are busy, coarsely otherwise.
"""

from trainctl import clock, doors, nmea
from trainctl import codes as K
from trainctl.coach import Coach
from trainctl.hw import Hardware
from trainctl.sensors import INPUT_NAMES
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
    """The coach (trainctl.coach.Coach, as the board runs it) fed NMEA bytes; what passengers see arrives as
    (utc_s, utc_ms, state dict-like pairs) via on_event."""

    def __init__(self, route, state_path=None, on_event=None, inputs=None):
        """inputs: None, or changes [(t_ms, input index, level)] from parse_inputs: sensor events then
        arrive through on_event too."""
        self.route = route
        self.on_event = on_event
        self.events = 0
        self.sens = None
        parser = None  # the coach's default: the firmware's nmea.Parser
        if inputs is not None:
            self.sens = SensorReplay(route, inputs, self._emit)
            parser = self.sens.wrap_parser()  # the sensors see each epoch around the coach's own handling
        hw = Hardware("replay", None, state_path=state_path, inputs=self.sens.inputs if self.sens else None)
        self.coach = Coach(route, hw, None, None, parser)
        self.ctl = self.coach.ctl
        self.store = self.coach.store
        if self.sens is not None:
            self.sens.attach(self.coach)
        self.coach.on_event = self._coach_event
        if self.ctl.restored:  # a restored state is shown at once: an event (the coach's EV_SHOWN at boot)
            self._coach_event(K.EV_SHOWN, 0)

    def _emit(self, pairs):
        if self.on_event is not None:
            self.on_event(pairs)

    def _coach_event(self, kind, index):
        if kind == K.EV_SHOWN:
            self._display()
        elif self.sens is not None:
            self.sens.event(kind, index)

    def finish(self):
        """After the last byte: the inputs left after the last epoch are played out."""
        if self.sens is not None:
            self.sens.finish()

    def feed(self, data, n=-1):
        self.coach.feed(data, n)

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

    def _display(self, ctl=None):
        self.events += 1
        if self.on_event is not None:
            self.on_event(self.display_pairs(ctl))

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

def run_file(route, path, state_path=None, emit=print, chunk=512):
    """Replay a whole NMEA file, emitting JSON lines through emit; returns the Replay."""
    r = Replay(route, state_path, lambda pairs: emit(line(pairs)))
    buf = bytearray(chunk)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            r.feed(buf, n)
    if r.events == 0:
        r._display()
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
    """Recorded input changes played into the coach's sensors on GPS time: Coach.step() falls on a 10 ms grid
    of GPS time while the sensors are busy (Sensors.busy() 2: the debouncer has a pending change or a beam is
    broken with its door open); otherwise only at each epoch and at input changes (at most COARSE_MS apart
    while a door is open)."""

    def __init__(self, route, changes, emit):

        self.route = route
        self.changes = changes
        self.emit = emit
        self.coach = None
        self.s = None  # the coach's Sensors
        self.raw = bytearray(len(INPUT_NAMES))
        raw = self.raw
        self.inputs = {}
        for i in range(len(INPUT_NAMES)):
            self.inputs[INPUT_NAMES[i]] = (lambda i=i: raw[i])
        self.door_names = doors.DOOR_NAMES
        self.i = 0  # next change to apply
        self.now = -1  # GPS ms of the last poll, -1 before the first epoch
        self.onboard = 0  # the live count after each event (the tally's is after the whole poll)
        self.polls = 0
        self.fine_polls = 0
        self.t_fix = -1

    def attach(self, coach):
        self.coach = coach
        self.s = coach.sensors

    def wrap_parser(self):
        """A parser factory (the firmware's nmea.Parser) whose fixes reach the sensors' polls first, then the
        coach's own handler."""
        sr = self

        def make(on_fix):
            sr._ctl_fix = on_fix
            return nmea.Parser(sr._on_fix)

        return make

    def _on_fix(self, fix):
        t = fix.utc_s * 1000 + fix.utc_ms if fix.utc_s >= 0 else -1
        self.t_fix = t
        if self.now < 0 and t >= 0:
            self.now = t
            self._apply(t)
            self.s.deb.prime()  # as a board booting reads its inputs (a replay started after a power cut)
        elif t > self.now:
            self.run(t)  # every poll before this epoch, with what was known before it
        self._ctl_fix(fix)  # what passengers see changes -> the sensors' stop
        if t >= 0 and t >= self.now:
            self._poll(t)  # the fix's speed takes effect now (a second fix in the same epoch too)

    def station(self, old):
        tl = self.s.tally
        self.emit([("event", "station"), ("utc", self._utc(self.t_fix)), ("station", station_en(self.route, old)),
                   ("boardings", tl.boardings[old]), ("alightings", tl.alightings[old]), ("onboard", tl.onboard)])

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
        self.coach.step(dt)  # the fix's speed, the poll, the counts saved: as on the board
        self.onboard = self.s.tally.onboard

    def run(self, t_end):
        """Poll every instant the board would need up to, not including, t_end (GPS ms)."""
        ch = self.changes
        n = len(ch)
        while True:
            b = self.s.busy()
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
        while self.now < end and (self.i < len(self.changes) or self.s.busy() == 2):
            self.run(end)
            if self.now >= end or (self.i >= len(self.changes) and self.s.busy() != 2):
                break

    def _utc(self, t=-1):
        if t < self.now:
            t = self.now if self.now >= 0 else 0
        return clock.iso_utc(t // 1000, t % 1000)

    def event(self, kind, index):
        """One of the coach's events (not EV_SHOWN) as a JSON event line."""
        if kind >= 64:
            if kind == K.K_STATION:
                self.station(index)
            return
        utc = self._utc()
        door = self.door_names[index] if index < len(self.door_names) else None
        if kind == K.EV_ALARM_ON or kind == K.EV_ALARM_OFF:
            p = [("event", "door_alarm"), ("utc", utc), ("door", door), ("active", kind == K.EV_ALARM_ON)]
        elif kind == K.EV_IN or kind == K.EV_OUT:
            if kind == K.EV_IN:
                self.onboard += 1
            elif self.onboard > 0:  # at 0 the tally clamped it (count_clamp came first)
                self.onboard -= 1
            p = [("event", "count"), ("utc", utc), ("door", _VEST[index]),
                 ("direction", "in" if kind == K.EV_IN else "out"), ("onboard", self.onboard)]
        elif kind == K.EV_WC_OCCUPIED or kind == K.EV_WC_FREE:
            p = [("event", "wc"), ("utc", utc), ("wc", index + 1), ("occupied", kind == K.EV_WC_OCCUPIED)]
        elif kind == K.EV_DOOR_OPEN or kind == K.EV_DOOR_CLOSED:
            p = [("event", "door"), ("utc", utc), ("door", door), ("open", kind == K.EV_DOOR_OPEN)]
        elif kind == K.EV_FAULT or kind == K.EV_FAULT_CLEAR:
            p = [("event", "door_fault"), ("utc", utc), ("door", door), ("active", kind == K.EV_FAULT)]
        elif kind == K.EV_CLAMP:
            p = [("event", "count_clamp"), ("utc", utc), ("door", _VEST[index]),
                 ("discrepancies", self.s.tally.discrepancies)]
        elif kind == K.EV_STUCK or kind == K.EV_UNSTUCK:
            p = [("event", "beam_stuck"), ("utc", utc), ("door", _VEST[index]), ("active", kind == K.EV_STUCK)]
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
