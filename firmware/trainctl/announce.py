"""When to announce what, from journey events: leaving a station (the next stop), about a minute before a calling
station (arriving at), the number changing, the clocks changing at the bridge; each in zh, ko and en in turn,
as clips of the clip file (host_tools/build/voice.py) queued on a trainctl.voice.Voice.

Quiet hours (local time, from /config.json): arrivals only, at half the volume. Fed the controller's display
state (changed(), on every change) and every fix (fix()); no clock is read here.
"""

from micropython import const

# Fixed phrases: their first clip in the clip file (host_tools/build/voice_text.py ORDER, 3 languages each; a test
# checks). Then (host_tools/build/voice.py phrases()) from _V_ZONE the zones, 3 a country; the train numbers, 3 a
# leg, direction by direction; 3 a station where a train calls (route ST_CALLS), in route order.
_V_NEXT_PRE = const(0)
_V_NEXT_POST = const(3)
_V_ARR_PRE = const(6)
_V_ARR_POST = const(9)
_V_TRAIN_PRE = const(12)
_V_TRAIN_POST = const(15)
_V_CLOCK_FWD = const(18)
_V_CLOCK_BACK = const(21)
_V_ZONE = const(24)
# What was announced (on_say's first argument; host_tools/vboard/voice_check.py KINDS): next stop, arriving at,
# the train's number, the clocks.
_NEXT = const(0)
_ARRIVING = const(1)
_TRAIN = const(2)
_CLOCK = const(3)
_PAUSE = const(255)  # trainctl.voice's clip id of a pause
_NEAR_S = const(60)  # "arriving at": this long before the station at the current speed
_NEAR_M = const(1200)  # ... or this near it, whatever the speed
_MIN_CMS = const(300)  # below this (11 km/h) the speed says nothing of the time to the station
_LEFT_M = const(300)  # "next stop": this far on from the station at speed, or once the journey has left it
# (the journey clears its stop later: 400 m on at 30 km/h, which the bridge's 20 km/h never reaches)


def make(route, audio, c):
    """The announcements of a board: audio, the board file's (callable opening the I2S output, clip file path);
    c: trainctl.config's Config (volume, quiet hours), or None for the defaults."""
    from .voice import Voice

    if c is None:
        return Announcer(route, Voice(audio[0], audio[1]))
    return Announcer(route, Voice(audio[0], audio[1]), c.volume, c.quiet_from_h, c.quiet_to_h)


class Announcer:
    """route: route_data; voice: trainctl.voice.Voice; volume 0..10; quiet hours from_h..to_h (local)."""

    def __init__(self, route, voice, volume=8, quiet_from_h=22, quiet_to_h=6):
        self.route = route
        self.voice = voice
        self.volume = volume
        self.quiet = quiet_from_h * 60 << 11 | quiet_to_h * 60  # minutes of the day, from and to (one name)
        self.on_say = None  # (kind, station or train leg or clock step) of every announcement, for host tools
        self._seen = False
        self.train = None
        self.offset_min = None
        self.at_stop = -1
        self._near = -1  # the stop whose arrival is announced
        self._left = -1  # the stop whose departure is announced
        self._fix_s = -1

    def step(self, c, dt_ms):
        """A pass of the loop: a new fix of controller c, if any, then the voice's refill."""
        if c.utc_s != self._fix_s:
            self._fix_s = c.utc_s
            self.fix(c)
        self.voice.step(dt_ms)

    def fault(self):
        """The loop caught an exception of the announcements (it counts it and rests them): the voice closes,
        silent and its RAM freed until it is tried again."""
        try:
            self.voice.close()
        except Exception:  # noqa: BLE001 (the output's own fault: the loop counts the first)
            self.voice.out = None

    def say(self, c, kind, a, lead, k, n):
        """lead + k + n in each language in turn (clips: their zh clip; n < 0 none) at the volume of the hour
        (local time of controller c: in the quiet hours arrivals only, at half volume); a: on_say's argument."""
        off = c.utc_offset_min
        quiet = False
        if c.utc_s >= 0 and off is not None:
            m = (c.utc_s // 60 + off) % 1440  # local minute of the day
            a0 = self.quiet >> 11
            b0 = self.quiet & 2047
            quiet = (a0 <= m or m < b0) if a0 > b0 else a0 <= m < b0
        if quiet and kind != _ARRIVING:
            return
        v = self.voice
        v.mul = (self.volume * 256 // 10) >> (1 if quiet else 0)
        for lang in range(3):
            v.say(lead + lang)
            v.say(k + lang)
            if n >= 0:
                v.say(n + lang)
            v.say(_PAUSE)
        cb = self.on_say
        if cb is not None:
            cb(kind, a)

    def changed(self, c):
        """The controller's display state changed (controller.Controller.on_display)."""
        if self._seen:
            if c.train is not None and self.train is not None and c.train != self.train:
                tr = self.route.TRAIN
                for k in range(2 * self.route.LEGS):
                    if tr[k // self.route.LEGS][k % self.route.LEGS] == c.train:
                        self.say(c, _TRAIN, k, _V_TRAIN_PRE, _V_ZONE + 3 * (len(self.route.COUNTRIES) + k),
                                  _V_TRAIN_POST)
            off = c.utc_offset_min
            if off is not None and self.offset_min is not None and off != self.offset_min and c.country >= 0:
                step = off - self.offset_min
                if step == 60 or step == -60:  # the clips say "one hour"
                    self.say(c, _CLOCK, step, _V_CLOCK_FWD if step > 0 else _V_CLOCK_BACK, _V_ZONE + 3 * c.country,
                              -1)
            nxt = c.next_stop
            if self.at_stop >= 0 and c.at_stop < 0 and nxt >= 0 and self._left != self.at_stop:  # left a station
                self._left = self.at_stop
                self._station(c, _NEXT, nxt, _V_NEXT_PRE, _V_NEXT_POST)
        self._seen = True
        self.train = c.train
        self.offset_min = c.utc_offset_min
        self.at_stop = c.at_stop

    def _station(self, c, kind, st, lead, n):
        r = self.route
        calls = r.ST_CALLS
        if calls[st]:
            k = _V_ZONE + 3 * len(r.COUNTRIES) + 6 * r.LEGS
            for i in range(st):
                if calls[i]:
                    k += 3
            self.say(c, kind, st, lead, k, n)

    def fix(self, c):
        """A new fix (the controller's journey updated): "arriving at" about a minute before the next stop."""
        nxt = c.next_stop
        j = c.journey
        if nxt < 0 or j.along_m < 0:
            return
        v = c.speed_cms
        at = c.at_stop
        if at >= 0:  # leaving it: at speed, _LEFT_M on
            gone = j.along_m - self.route.ST_ALONG_M[at]
            if j.direction == 1:
                gone = -gone
            if at != self._left and v >= _MIN_CMS and gone >= _LEFT_M:
                self._left = at
                self._station(c, _NEXT, nxt, _V_NEXT_PRE, _V_NEXT_POST)
            return
        if nxt == self._near:
            return
        rem = self.route.ST_ALONG_M[nxt] - j.along_m
        if j.direction == 1:
            rem = -rem
        if rem <= _NEAR_M or (v >= _MIN_CMS and rem * 100 <= v * _NEAR_S):
            self._near = nxt
            self._station(c, _ARRIVING, nxt, _V_ARR_PRE, _V_ARR_POST)
