"""Journey state machine: fixes -> direction, leg (train number), next stop, country (UTC offset).

Rules that keep the number right: the leg only moves forward, and only on arrival (stopped within ZONE_M
of the leg's end station for DWELL_S) or when the train is confirmed beyond that station; the direction
is set once and reverses only at a terminus, or after REVERSE_M of confirmed travel the other way; fixes
first pass fixfilter.FixFilter (plausibility, confirmation after gaps and jumps).
Stations are judged by their own position, not only by the projection on the line (which is approximate
where the route source says so): arriving = stopped near it; passed = beyond it along the line and its
distance, having fallen, risen again by RISE_M; the direction at a cold start: standing at a terminus,
leaving the nearest station at speed (a terminus included), standing at a calling station it ran in to
from one side, or net travel along the line beyond twice its tolerance.
"""

from micropython import const

from . import geo
from .fixfilter import CONFIRM_N, NO_FIX, USE, FixFilter

_NONE = const(-1)
_FAR = const(0x3FFFFFFF)  # further than any distance on the route (a small int on 32-bit ports)


# Tuning in the units named: private constants, folded by the compiler (no name, no lookup in RAM).
_STOP_CMS = const(80)  # below this (2.9 km/h) the train counts as stopped
_DWELL_S = const(20)  # stopped this long inside a station zone = arrived
_ZONE_M = const(800)  # station zone: this near its point (and along the route either side)
_RISE_M = const(1000)  # a station's distance risen this far from the least seen = moving away from it
_PASS_M = const(2000)  # and at least this far from it: beyond it (confirmed by the distance)
_NEAR_ST_M = const(3000)  # a cold start: the train passed this near a station and leaves it at speed
_TOL_UNIT_M = const(100)  # route_data.SEG_TOL unit
_N_END = const(0)  # Journey._near: least distance to the leg's end station
_N_NEXT = const(1)  # to the next stop
_N_WMIN = const(2)  # to the station watched while the direction is unknown
_N_W = const(3)  # that station
_LOST_ARRIVAL_S = const(90)  # fixes lost this long after entering the end station's zone slowly = arrived
_SLOW_CMS = const(834)  # 30 km/h: "slowly"
_DIR_M = const(4000)  # travel away from a terminus after arrival that starts the way back
_DIR_FAR_M = const(4000)  # net travel along the line, beyond twice its tolerance, that decides an unknown
# direction between stations (7 km on the OpenStreetMap line, 28 km on the straight one in the DPRK)
_REVERSE_M = const(25000)  # travel back from the furthest point that reverses a known direction
_BORDER_HYST_M = const(50)  # hysteresis either side of the border
_BACK_M = const(100)  # moving back this far (3 fixes, slowly) inside the leg's end station zone = arrived
_LEAVE_M = const(400)  # running this far on from where it stood (3 fixes above SLOW_CMS) = left the stop
_TURNAROUND_S = const(3 * 3600)  # standing at a terminus after arrival this long = ready for the way back


class JourneyStats:
    """Counters of the journey and of its fix filter."""

    def __init__(self):
        self.jumps = 0  # fixes rejected as implausible
        self.held = 0  # fixes held back while a new position is confirmed
        self.reanchors = 0  # times a new position replaced an implausible old one
        self.stale = 0  # fixes with a time not after the last one
        self.frozen = 0  # repeated positions while the receiver reports motion
        self.poor = 0  # fixes with HDOP too large
        self.off_route = 0  # fixes further from the line than its tolerance
        self.searching = 0  # fixes spent searching the whole route for the position
        self.reversals = 0  # mid-route direction reversals

    def as_dict(self):
        return {
            "jumps": self.jumps,
            "held": self.held,
            "reanchors": self.reanchors,
            "stale": self.stale,
            "frozen": self.frozen,
            "poor": self.poor,
            "off_route": self.off_route,
            "searching": self.searching,
            "reversals": self.reversals,
        }


class Journey:
    """Where the coach is on the route and which number it runs as (tuning: the private constants above)."""

    def __init__(self, route):
        self.route = route
        self.m = geo.Matcher(route.SEG, route.SEG_N, route.SEG_TOL)
        self.stats = JourneyStats()
        self.f = FixFilter(route.KX_MEAN, self.stats)
        self._n_st = route.STATION_N
        self._last_st = route.STATION_N - 1
        self.reset()

    def reset(self):
        # Persistent (see store.py).
        self.direction = _NONE  # 0 towards the last station of the route, 1 back; -1 unknown
        self.leg = 0
        self.next_idx = _NONE  # next calling station, -1 none or unknown
        self.at_stop = _NONE  # station the train stands at, -1 none
        self.country = _NONE  # index into route.COUNTRIES, -1 unknown
        self.arrived_s = _NONE  # when the train arrived at its terminus, -1 not arrived
        self.override = _NONE  # crew override: direction * 4 + leg, -1 none
        self.along_m = _NONE  # position along the route of the last matched fix
        self.far_m = _NONE  # furthest along the route reached in the current direction
        self.f.reset()  # the last accepted fix and the last time are persistent too
        # Volatile.
        self.speed_cms = 0
        self._stop_s = _NONE  # since when the train stands, -1 moving or unknown
        self._dir_ref_m = _NONE  # where net travel is measured from while the direction is unknown
        self._pass_n = 0  # confirmations of passing the leg's end station
        self._next_n = 0  # confirmations of passing the next stop
        self._at_m = _NONE  # along the route where the train stood when at_stop was set, -1 unknown
        self._leave_n = 0  # fixes running beyond LEAVE_M from there
        self._zone_a = _FAR  # least distance ahead to the leg's end seen inside its zone (furthest point)
        self._back_n = 0  # fixes backing away from that point (shunting: the train has arrived)
        self._border_n = 0
        self._rev_n = 0
        self._need = CONFIRM_N  # confirmations needed for this fix: 1 right after a chain
        # Least distances seen (m) to the leg's end station, the next stop and, while the direction is
        # unknown, the station watched (the nearest along the line); then that station's index. (One list:
        # every attribute name is an interned string in the board's RAM.)
        self._near = [_FAR, _FAR, _FAR, _NONE]
        self.changed = True  # something persistent changed since the last save

    # ---- input ---------------------------------------------------------------------------

    def update(self, fix):
        """Feed one receiver epoch (a nmea.Fix). Updates the state; sets self.changed when it moved."""
        t = fix.utc_s
        if t < 0:
            return
        f = self.f
        r = f.check(fix)
        if r == NO_FIX:
            self._lost(t)
            return
        if r != USE:
            return
        self._need = f.need
        if f.need == 1:  # the first fix after a gap or a new position: how the stations were approached is unseen
            self._near[_N_END] = _NONE
            self._near[_N_NEXT] = _NONE
        m = self.m
        if f.reanchored:  # a position jump replaced the old one: nothing measured from there holds
            m.reset()
            self._dir_ref_m = _NONE
        on_line = m.update(fix.lat_udeg, fix.lon_udeg)
        speed = fix.speed_cms
        if speed < 0 and on_line:  # not reported: from the last two positions (coarse)
            speed = 0 if self.along_m < 0 else _abs(m.along_m - self.along_m) * 100
        if speed >= 0:  # the stop timer runs on a reported speed of fixes off the line too
            self.speed_cms = speed
            if speed < _STOP_CMS:
                if self._stop_s < 0 or self._stop_s > t:
                    self._stop_s = t
            else:
                self._stop_s = _NONE
        if not on_line:
            if m.off_m < 0:
                self.stats.searching += 1
                self._dir_ref_m = _NONE  # a whole-route search: the next match may be elsewhere
            else:
                self.stats.off_route += 1
            return
        along = m.along_m
        self.along_m = along
        self._step(t, along)

    def _lost(self, t):
        """No usable fix at time t."""
        self._stop_s = _NONE
        anchor_s = self.f.anchor_s
        if self.direction < 0 or anchor_s < 0 or self.along_m < 0 or self.arrived_s >= 0:
            return
        # Entered the zone of the leg's end station slowly, then lost the sky (a station roof):
        # every train stops there, so after LOST_ARRIVAL_S it has arrived.
        end = self.route.LEG_END[self.direction][self.leg]
        a = self._ahead(end, self.along_m)
        if (
            -_ZONE_M <= a <= _ZONE_M
            and self.speed_cms < _SLOW_CMS
            and t - anchor_s >= _LOST_ARRIVAL_S
        ):
            self._arrive(t, end)

    # ---- journey logic -------------------------------------------------------------------

    def _dist(self, st):
        """Metres from the last fix to station st's own position."""
        r = self.route
        f = self.f  # the fix just used is the filter's anchor
        return geo.dist_m(f.anchor_lat, f.anchor_lon, r.ST_LAT_UDEG[st], r.ST_LON_UDEG[st], self.m.kx)

    def _nearest(self, along):
        """The station nearest to along, along the line."""
        r = self.route
        w = 0
        best = _FAR
        for i in range(self._n_st):
            g = _abs(r.ST_ALONG_M[i] - along)
            if g < best:
                best = g
                w = i
        return w

    def _ahead(self, st, along):
        """Metres from along to station st in the direction of travel (negative: behind)."""
        d = self.route.ST_ALONG_M[st] - along
        return -d if self.direction == 1 else d

    def _step(self, t, along):
        stopped_s = t - self._stop_s if self._stop_s >= 0 else -1
        self._journey(t, along, stopped_s)
        self._update_country(along)

    def _journey(self, t, along, stopped_s):
        if self.direction < 0:
            self._acquire(along, stopped_s)
            return
        if self.arrived_s >= 0:
            self._turnaround(t, along)
            return
        self._check_reverse(along)
        if self.direction < 0:
            return
        r = self.route
        d = self.direction
        # Leg: arrival at its end station, or confirmed beyond it.
        end = r.LEG_END[d][self.leg]
        a = self._ahead(end, along)
        de = self._dist(end)
        near = self._near
        least = near[_N_END]  # -1: the approach unseen (a gap): the distance alone tells it is beyond
        if de < least or least < 0:
            near[_N_END] = de
        zone = de <= _ZONE_M
        if zone:  # backing away from the furthest point reached in the end station's zone: shunting, so
            if a < self._zone_a:  # the train has arrived (also when the stop itself fell in a GPS outage)
                self._zone_a = a
            if a - self._zone_a >= _BACK_M and self.speed_cms < _SLOW_CMS:
                self._back_n += 1
            else:
                self._back_n = 0
        else:
            self._zone_a = _FAR
            self._back_n = 0
        if zone and (stopped_s >= _DWELL_S or self._back_n >= 3):
            self._arrive(t, end)
        elif a < -_ZONE_M and de >= _PASS_M and (least < 0 or de >= least + _RISE_M):  # beyond it (see the top)
            self._pass_n += 1
            if self._pass_n >= self._need:
                self._pass_n = 0
                self._set_leg(self._implied_leg(along))
        else:
            self._pass_n = 0
        if self.arrived_s >= 0:
            return
        # Standing at a calling station beyond the next stop (the fixes, or the power, lost on the way there):
        # arrived there; every station before it is passed, the legs that end before it too.
        n = self.next_idx
        if stopped_s >= _DWELL_S and n >= 0:
            w = self._nearest(along)
            if w != self.at_stop and (w - n) * (1 - 2 * d) > 0 and r.ST_CALLS[w] & (1 << d) and \
                    self._dist(w) <= _ZONE_M:
                self._set_leg(self._implied_leg(r.ST_ALONG_M[w]))
                if w == r.LEG_END[d][self.leg]:
                    self._arrive(t, w)
                else:
                    self._set(w, self._next_call(w))
                return
        # Next stop: arrival there, or confirmed beyond it.
        if n >= 0:
            a = self._ahead(n, along)
            dn = self._dist(n)
            least = near[_N_NEXT]
            if dn < least or least < 0:
                near[_N_NEXT] = dn
            if dn <= _ZONE_M and stopped_s >= _DWELL_S:
                self._set(n, self._next_call(n))
            elif a < -_ZONE_M and dn >= _PASS_M and (least < 0 or dn >= least + _RISE_M):
                self._next_n += 1
                if self._next_n >= self._need:  # one station at a time: the one after it is checked next
                    self._set(_NONE, self._next_call(n))
            else:
                self._next_n = 0
        # Standing at a stop ends once the train runs (faster than SLOW_CMS) LEAVE_M on from where it
        # stood (station points are approximate, the stopping place is not; shunting is slow), is beyond
        # the station by two zones, or has crossed the border (_update_country).
        s = self.at_stop
        if s >= 0:
            if self._at_m >= 0:
                gone = along - self._at_m
                if self.direction == 1:
                    gone = -gone
                self._leave_n = self._leave_n + 1 if gone > _LEAVE_M and self.speed_cms >= _SLOW_CMS else 0
            if self._leave_n >= 3 or self._ahead(s, along) < -2 * _ZONE_M:
                self._set(_NONE, self.next_idx)

    def _set(self, at_stop, next_idx):
        if at_stop != self.at_stop:
            self._at_m = self.along_m if at_stop >= 0 else _NONE
            self._leave_n = 0
        if next_idx != self.next_idx:
            self._near[_N_NEXT] = _FAR
        if at_stop != self.at_stop or next_idx != self.next_idx:
            self.at_stop = at_stop
            self.next_idx = next_idx
            self.changed = True
        self._next_n = 0

    def _arrive(self, t, st):
        r = self.route
        if self.leg < len(r.LEG_END[self.direction]) - 1:
            self._set_leg(self.leg + 1)
            self._set(st, self._next_call(st))
        else:
            self.arrived_s = t
            self._set(st, _NONE)
            self.changed = True

    def _set_leg(self, leg):
        if leg > self.leg:
            self.leg = leg
            self.changed = True
        self._pass_n = 0
        self._zone_a = _FAR
        self._back_n = 0
        self._near[_N_END] = _FAR

    def _implied_leg(self, along):
        """The leg a train in the current direction is on at along, from the ends it is beyond."""
        ends = self.route.LEG_END[self.direction]
        leg = 0
        while leg < len(ends) - 1 and self._ahead(ends[leg], along) < -_ZONE_M:
            leg += 1
        return leg

    def _next_call(self, st):
        """The calling station after st in the current direction, -1 if none."""
        r = self.route
        step = -1 if self.direction == 1 else 1
        bit = 1 << self.direction
        i = st + step
        while 0 <= i < self._n_st:
            if r.ST_CALLS[i] & bit:
                return i
            i += step
        return _NONE

    def _first_call(self, along):
        """The first calling station not yet left behind (within a zone behind counts as ahead)."""
        r = self.route
        step = -1 if self.direction == 1 else 1
        bit = 1 << self.direction
        i = 0 if step == 1 else self._last_st
        while 0 <= i < self._n_st:
            if r.ST_CALLS[i] & bit and self._ahead(i, along) >= -_ZONE_M:
                return i
            i += step
        return _NONE

    def _start(self, direction, along):
        """Take a direction (cold start, turnaround or reversal) and derive leg and next stop."""
        stood = self.at_stop  # where the coach stood (the direction unknown, or a terminus)
        self.direction = direction
        self.arrived_s = _NONE
        self.leg = self._implied_leg(along)
        self.far_m = along
        self._rev_n = 0
        self._pass_n = 0
        self._near[_N_END] = _FAR
        self._near[_N_NEXT] = _FAR
        self.at_stop = _NONE
        self.next_idx = self._first_call(along)
        if stood >= 0 and self._ahead(stood, along) <= _ZONE_M:  # it has called there, and left it this way
            if stood == self.route.LEG_END[direction][self.leg] and self.leg < len(self.route.LEG_END[direction]) - 1:
                self.leg += 1  # it stood at the end of its leg: arrived there
            self.next_idx = self._next_call(stood)
        self.changed = True

    def _acquire(self, along, stopped_s):
        r = self.route
        if self._dir_ref_m < 0:
            self._dir_ref_m = along
        # Standing at a terminus: the train will leave from there.
        if stopped_s >= _DWELL_S:
            if self._dist(0) <= _ZONE_M:
                self._start(0, along)
                self._set(0, self._next_call(0))
                return
            if self._dist(self._last_st) <= _ZONE_M:
                self._start(1, along)
                self._set(self._last_st, self._next_call(self._last_st))
                return
        # Leaving the nearest station (a terminus too) at speed, having passed near it: away from it.
        w = self._nearest(along)
        dw = self._dist(w)
        if stopped_s >= _DWELL_S and dw <= _ZONE_M and r.ST_CALLS[w] and self.at_stop != w:
            self._set(w, _NONE)  # standing at a calling station, the direction still unknown: say where
            g = self._dir_ref_m - r.ST_ALONG_M[w]  # where it ran in from, along the line
            if g >= _PASS_M or g <= -_PASS_M:  # from well along one side: it is heading on that way
                self._start(1 if g > 0 else 0, along)  # (arrived at w: its leg and next stop from there)
                self._set(w, self.next_idx)
                return
        near = self._near
        if w != near[_N_W]:
            near[_N_W] = w
            near[_N_WMIN] = dw
            self._rev_n = 0  # (counts confirmations of leaving it while the direction is unknown)
        elif dw < near[_N_WMIN]:
            near[_N_WMIN] = dw
        if near[_N_WMIN] <= _NEAR_ST_M and dw >= near[_N_WMIN] + _RISE_M and self.speed_cms >= _SLOW_CMS:
            self._rev_n += 1
            if self._rev_n >= self._need:
                self._start(0 if along > r.ST_ALONG_M[w] else 1, along)
                return
        else:
            self._rev_n = 0
        # Between stations: net travel along the line, well beyond the line's error there.
        net = along - self._dir_ref_m
        m = self.m
        far = _DIR_FAR_M + 2 * _TOL_UNIT_M * m.tol[m.idx]
        if self.speed_cms < _STOP_CMS:
            return  # standing: a moved position is a corrected one, not travel
        if net >= far:
            self._start(0, along)
        elif net <= -far:
            self._start(1, along)

    def _turnaround(self, t, along):
        """At the terminus after arrival: ready for the way back after a while, or on leaving."""
        away = self._ahead(self.route.LEG_END[self.direction][self.leg], along)
        if t - self.arrived_s >= _TURNAROUND_S or away >= _DIR_M:
            term = self.at_stop
            self._start(1 - self.direction, along)
            if term >= 0 and away < _ZONE_M:
                self._set(term, self._next_call(term))

    def _check_reverse(self, along):
        if self.direction == 0:
            if along > self.far_m:
                self.far_m = along
            back = self.far_m - along
        else:
            if along < self.far_m or self.far_m < 0:
                self.far_m = along
            back = along - self.far_m
        if back < _REVERSE_M:
            self._rev_n = 0
            return
        self._rev_n += 1
        if self._rev_n >= self._need:
            self.stats.reversals += 1
            self._start(1 - self.direction, along)

    def _update_country(self, along):
        b = along - self.route.BORDER_M
        c = self.country
        if c < 0:
            self.country = 0 if b < 0 else 1
            self.changed = True
            return
        if (c == 0 and b > _BORDER_HYST_M) or (c == 1 and b < -_BORDER_HYST_M):
            self._border_n += 1
            if self._border_n >= self._need - 2:
                self.country = 1 - c
                self._border_n = 0
                self.changed = True
                s = self.at_stop
                if s >= 0 and self.route.ST_COUNTRY[s] != self.country:  # on the bridge: left the stop
                    self._set(_NONE, self.next_idx)
        else:
            self._border_n = 0

    # ---- crew override -------------------------------------------------------------------

    def set_override(self, train):
        """Show this train number until cleared; ValueError if the route has no such train.

        If the direction is not known yet, the override also tells the journey where it is."""
        tr = self.route.TRAIN
        for d in range(len(tr)):
            for leg in range(len(tr[d])):
                if tr[d][leg] == train:
                    self.override = d * 4 + leg
                    if self.direction < 0:
                        self.direction = d
                        self.leg = leg
                        self.far_m = self.along_m
                        if self.along_m >= 0:
                            self.next_idx = self._first_call(self.along_m)
                    self.changed = True
                    return
        raise ValueError("no such train")

    def clear_override(self):
        if self.override >= 0:
            self.override = _NONE
            self.changed = True

    # ---- what the passengers see ---------------------------------------------------------

    def shown_direction(self):
        return self.override >> 2 if self.override >= 0 else self.direction

    def train(self):
        """Train number to show, or None."""
        if self.override >= 0:
            return self.route.TRAIN[self.override >> 2][self.override & 3]
        if self.direction < 0:
            return None
        return self.route.TRAIN[self.direction][self.leg]

    def next_stop(self):
        """Station index of the next stop, -1 if none, unknown, or the override disagrees."""
        if self.shown_direction() != self.direction:
            return _NONE
        return self.next_idx

    def destination(self):
        """Station index the coach runs to, -1 unknown."""
        d = self.shown_direction()
        if d < 0:
            return _NONE
        return self._last_st if d == 0 else 0

    def shown_country(self):
        """Country whose clock is shown (index into route.COUNTRIES), -1 unknown."""
        c = self.country
        return c if c >= 0 else self._country_from_leg()

    def utc_offset_min(self, t_s):
        """Local clock offset at epoch seconds t_s, or None when the country is not known."""
        c = self.shown_country()
        if c < 0:
            return None
        tz = self.route.TZ[c]
        off = tz[1]
        for i in range(2, len(tz), 2):
            if t_s >= tz[i]:
                off = tz[i + 1]
        return off

    def _country_from_leg(self):
        d = self.shown_direction()
        if d < 0:
            return _NONE
        leg = self.override & 3 if self.override >= 0 else self.leg
        end = self.route.LEG_END[d][leg]
        start = self.route.LEG_END[d][leg - 1] if leg > 0 else (0 if d == 0 else self._last_st)
        c = self.route.ST_COUNTRY
        return c[end] if c[end] == c[start] else _NONE


def _abs(x):
    return -x if x < 0 else x
