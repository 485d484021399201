"""Which GPS fixes to believe: time order, validity, HDOP, frozen receivers, speed plausibility.

A fix reachable from the last accepted one (the anchor) at VMAX_CMS + NOISE_M is used at once. After
a gap, a cold start or an implausible jump, the fixes that follow must agree with each other: CONFIRM_N
of them when the first was plausible from the anchor, REANCHOR_N when it was not (a jump that lasts).
"""

from micropython import const

from . import geo

USE = const(0)  # the fix is accepted as the new anchor
NO_FIX = const(1)  # no usable position in this epoch (invalid, poor, frozen)
HOLD = const(2)  # not used now: stale, waiting for confirmation, or rejected as a jump

_NONE = const(-1)
_BIG_DT_S = const(20000)  # beyond this, any distance is plausible (keeps products small)


# Tuning in the units named: private constants, folded by the compiler (no name, no lookup in RAM).
_VMAX_CMS = const(5000)  # 180 km/h: faster than any train on this line (25T stock: 160 km/h)
_NOISE_M = const(300)  # position error allowed on top of VMAX between two fixes
_GAP_S = const(10)  # a fix further than this from the anchor starts a confirmation chain
CONFIRM_N = const(5)  # agreeing fixes needed after a gap (also used by the journey to confirm passing)
_REANCHOR_N = const(60)  # agreeing fixes needed to replace an implausible anchor, or a clock gone back
_HDOP_MAX_C = const(1500)  # HDOP x 100 above which a fix is not used
_FROZEN_N = const(3)  # identical positions in a row, while the receiver reports motion, = frozen


class FixFilter:
    def __init__(self, kx, stats):
        self.kx = kx  # metres per micro-degree of longitude x 2**14 for distances
        self.stats = stats  # counters: stale, poor, frozen, held, jumps, reanchors
        self.reset()

    def reset(self):
        self.anchor_s = _NONE  # last accepted fix (persistent, see store.py)
        self.anchor_lat = 0
        self.anchor_lon = 0
        self.last_s = _NONE  # time of the last epoch, accepted or not (persistent)
        self.last_ms = 0
        self.need = CONFIRM_N  # confirmations the journey needs for this fix: 1 after a chain
        self.reanchored = False  # the last USE replaced an implausible anchor
        self._chain_n = 0
        self._chain_ok = False  # the chain's first fix was plausible from the anchor
        self._chain_s = _NONE
        self._chain_lat = 0
        self._chain_lon = 0
        self._back_n = 0  # epochs in a row with time going backwards
        self._frozen_n = 0
        self._prev_lat = 0
        self._prev_lon = 0

    def check(self, fix):
        """USE, NO_FIX or HOLD for one receiver epoch (a nmea.Fix with utc_s >= 0)."""
        t = fix.utc_s
        st = self.stats
        if self.last_s >= 0 and (t < self.last_s or (t == self.last_s and fix.utc_ms <= self.last_ms)):
            st.stale += 1
            self._back_n += 1
            if self._back_n < _REANCHOR_N:
                return HOLD
            self.anchor_s = _NONE  # the clock really went back (the old time was wrong)
            self._chain_n = 0
        self._back_n = 0
        self.last_s = t
        self.last_ms = fix.utc_ms
        if not fix.valid:
            return NO_FIX
        if fix.hdop_c > _HDOP_MAX_C:
            st.poor += 1
            return NO_FIX
        lat = fix.lat_udeg
        lon = fix.lon_udeg
        if lat == self._prev_lat and lon == self._prev_lon and fix.speed_cms >= 300:
            self._frozen_n += 1
            if self._frozen_n >= _FROZEN_N:
                st.frozen += 1
                return NO_FIX
        else:
            self._frozen_n = 0
        self._prev_lat = lat
        self._prev_lon = lon
        self.reanchored = False
        if self.anchor_s >= 0 and t - self.anchor_s <= _GAP_S:
            if self._plausible(self.anchor_s, self.anchor_lat, self.anchor_lon, t, lat, lon):
                self._anchor(t, lat, lon, CONFIRM_N)
                return USE
        if self._chain_n > 0 and t - self._chain_s <= _GAP_S and self._plausible(
            self._chain_s, self._chain_lat, self._chain_lon, t, lat, lon
        ):
            self._chain_n += 1
        else:
            self._chain_n = 1
            a = self.anchor_s
            self._chain_ok = a < 0 or self._plausible(a, self.anchor_lat, self.anchor_lon, t, lat, lon)
        self._chain_s = t
        self._chain_lat = lat
        self._chain_lon = lon
        if self._chain_ok:
            if self._chain_n >= CONFIRM_N:
                self._anchor(t, lat, lon, 1)  # the chain has already confirmed this position
                return USE
            st.held += 1
            return HOLD
        if self._chain_n >= _REANCHOR_N:
            st.reanchors += 1
            self.reanchored = True
            self._anchor(t, lat, lon, 1)
            return USE
        st.jumps += 1
        return HOLD

    def _anchor(self, t, lat, lon, need):
        self.anchor_s = t
        self.anchor_lat = lat
        self.anchor_lon = lon
        self.need = need
        self._chain_n = 0

    def _plausible(self, t0, lat0, lon0, t1, lat1, lon1):
        dt = t1 - t0
        if dt > _BIG_DT_S:
            return True
        if dt < 1:
            dt = 1
        return geo.dist_m(lat0, lon0, lat1, lon1, self.kx) <= _VMAX_CMS * dt // 100 + _NOISE_M
