"""Hypothesis stateful test of the journey state machine against a model train.

The model drives a train along the route in one direction (runs, stops at stations, shunting at the
border stations, outages, jumps, noise) and knows the true leg. Invariants after every step: the shown
number is never of the other direction, never ahead of the truth, never goes back, and is right once
the train has stood at a border station for a minute with good fixes.
"""

import random

from hyp import examples
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from trainctl import route_data as R
from trainctl.journey import Journey
from trainctl.nmea import Fix

from host_tools.common.segs import seg_along_m, seg_len_m, seg_start

TURNAROUND_S = 3 * 3600  # trainctl/journey.py _TURNAROUND_S (a private constant: folded, not importable)

T0 = 217589160


def point_at(along_m):
    """(lat, lon) micro-degrees of the route point at along_m (linear within a segment)."""
    along_m = max(0, min(R.LENGTH_M - 1, along_m))
    lo, hi = 0, R.SEG_N - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if seg_along_m(R.SEG, mid) <= along_m:
            lo = mid
        else:
            hi = mid - 1
    t = along_m - seg_along_m(R.SEG, lo)
    ln = seg_len_m(R.SEG, lo)
    la0, lo0 = seg_start(R.SEG, lo)
    if lo + 1 < R.SEG_N:
        la1, lo1 = seg_start(R.SEG, lo + 1)
    else:
        la1, lo1 = R.ST_LAT_UDEG[-1], R.ST_LON_UDEG[-1]
    return la0 + (la1 - la0) * t // ln, lo0 + (lo1 - lo0) * t // ln


class TrainModel(RuleBasedStateMachine):
    @initialize(direction=st.integers(0, 1), start=st.sampled_from(["terminus", "mid", "near_border"]),
                noise_m=st.sampled_from([0, 10, 25]), seed=st.integers(0, 2**16), dt_s=st.sampled_from([1, 2, 5]))
    def setup(self, direction, start, noise_m, seed, dt_s):
        self.dt = dt_s  # seconds between fixes (receivers run at 1 Hz, some at 0.2 Hz)
        self.d = direction
        self.j = Journey(R)
        self.fix = Fix()
        self.t = T0
        self.rng = random.Random(seed)
        self.noise_m = noise_m
        ends = R.LEG_END[direction]
        self.ends_along = [R.ST_ALONG_M[e] for e in ends]
        if start == "terminus":
            self.along = 0 if direction == 0 else R.LENGTH_M - 1
        elif start == "near_border":  # 40 km before the first border station
            self.along = self.ends_along[0] + (-40000 if direction == 0 else 40000)
        else:
            self.along = self.rng.randrange(50000, R.LENGTH_M - 50000)
        self.true_leg = sum(1 for a in self.ends_along[:-1] if self._ahead(a) < -2000)
        self.shown = []  # distinct numbers shown so far
        self.term_t = None  # when the model train came to rest at its terminus
        self.known_from_start = start == "terminus"
        self.stand(30)

    def _ahead(self, st_along):
        d = st_along - self.along
        return -d if self.d == 1 else d

    def emit(self, valid=True, speed_cms=0, far=False):
        f = self.fix
        f.utc_s = self.t
        f.utc_ms = 0
        f.valid = valid
        f.hdop_c = 90
        if valid:
            lat, lon = point_at(self.along)
            if far:
                lat, lon = lat - 3000000, lon + 2000000
            n = self.noise_m * 9
            f.lat_udeg = lat + (self.rng.randint(-n, n) if n else 0)
            f.lon_udeg = lon + (self.rng.randint(-n, n) if n else 0)
            f.speed_cms = speed_cms
        self.j.update(f)
        self.t += self.dt
        tr = self.j.train()
        if tr is not None and (not self.shown or self.shown[-1] != tr):
            self.shown.append(tr)

    def stand(self, seconds):
        for _ in range(max(1, seconds // self.dt)):
            self.emit()

    def move(self, dist_m, speed_cms, sign=1):
        """Travel dist_m at speed_cms; sign 1 = forward in the direction of travel."""
        step = speed_cms * self.dt // 100
        done = 0
        start = self.along
        while done < dist_m:
            s = min(step, dist_m - done)
            self.along += s * sign * (1 if self.d == 0 else -1)
            self.along = max(0, min(R.LENGTH_M - 1, self.along))
            done += s
            self.emit(speed_cms=speed_cms)
        return abs(self.along - start)  # less than dist_m at the end of the line

    def _next_end(self):
        return self.ends_along[self.true_leg]

    @rule(km=st.integers(1, 25), kmh=st.sampled_from([30, 60, 90, 120]))
    def run(self, km, kmh):
        """Run forward, but never past the next border station without stopping there."""
        a = self._ahead(self._next_end())
        dist = min(km * 1000, max(0, a - 3000))
        if dist > 0:
            self.move(dist, kmh * 1000 // 36)

    @rule(dwell_s=st.integers(30, 900))
    def arrive_at_next_border_station(self, dwell_s):
        a = self._ahead(self._next_end())
        if a > 300000:
            return
        if a > 2000:
            self.move(a - 2000, 2000)  # 72 km/h, then slowly into the station
        self.move(max(0, self._ahead(self._next_end())), 800)
        if self.true_leg == 2 and self.term_t is None:
            self.term_t = self.t
        self.true_leg = min(self.true_leg + 1, 2) if self.true_leg < 2 else 2
        self.stand(dwell_s)
        if dwell_s >= 60 and self.noise_m <= 25 and self.j.direction == self.d:
            assert self.j.train() == R.TRAIN[self.d][self.true_leg], (self.j.train(), self.true_leg)

    @rule(moves=st.integers(1, 4), dist_m=st.integers(100, 1200))
    def shunt(self, moves, dist_m):
        """Back and forth near where the train stands, at walking pace."""
        for k in range(moves):
            sign = -1 if k % 2 == 0 else 1
            moved = self.move(dist_m, 300, sign)
            self.stand(20)
            self.move(moved, 300, -sign)
            self.stand(20)

    @rule(seconds=st.integers(10, 1800))
    def outage(self, seconds):
        for _ in range(seconds // self.dt):
            self.emit(valid=False)

    @rule(epochs=st.integers(1, 8))
    def jump(self, epochs):
        for _ in range(epochs):
            self.emit(speed_cms=2000, far=True)

    @invariant()
    def never_other_direction_never_ahead_never_back(self):
        if not hasattr(self, "j"):
            return
        legal = list(R.TRAIN[self.d])
        shown = self.shown
        back = R.TRAIN[1 - self.d][0]  # the first number of the way back: 51, or K27
        if shown and shown[-1] == back:
            # allowed only as the turnaround: after standing TURNAROUND_S at the terminus
            assert self.term_t is not None and self.t - self.term_t >= TURNAROUND_S - 120, shown
            shown = shown[:-1]
        for tr in shown:
            assert tr in legal, (tr, self.d, self.shown)
        idx = [legal.index(tr) for tr in shown]
        assert idx == sorted(idx), self.shown  # never goes back
        if idx:
            assert idx[-1] <= self.true_leg, (self.shown, self.true_leg)  # never ahead of the truth


TrainModel.TestCase.settings = settings(max_examples=examples(40), stateful_step_count=20, deadline=None)
test_train_model = TrainModel.TestCase
