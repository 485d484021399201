# Journey state machine on hand-built tracks: portable (CPython and MicroPython).
from trainctl import route_data as R
from trainctl.coach import Controller

from portable.nmeagen import Track, rmc

T0 = 217589160  # 2026-11-23T09:26:00Z
BEIJING, TIANJIN, SHENYANG, DANDONG, SINUIJU, YOMJU, PYONGYANG = 0, 1, 6, 9, 10, 11, 16


class Scene:
    """A controller fed sentence by sentence from a Track; display changes collected in seen."""

    def __init__(self):
        self.seen = []
        self.ctl = Controller(R, None, self._on_display)
        self.tr = Track(R, T0, self.ctl.feed)

    def _on_display(self, c):
        self.seen.append((c.utc_s, c.train, c.utc_offset_min, c.next_stop, c.destination, c.at_stop))


def _trains(seen):
    out = []
    for s in seen:
        if not out or out[-1] != s[1]:
            out.append(s[1])
    return out


def _first(seen, cond):
    for s in seen:
        if cond(s):
            return s[0]
    return None


def _line_point(tr, a, b, permille):
    """The point of the route's line permille of the way from station a to station b."""
    return tr.line_at(tr.between(a, b, permille))


def test_standing_at_beijing_shows_k27():
    sc = Scene()
    sc.tr.place(*sc.tr.at_station(BEIJING))
    sc.tr.stand(60)
    ctl = sc.ctl
    assert ctl.train == "K27"
    assert ctl.next_stop == TIANJIN and ctl.destination == PYONGYANG and ctl.at_stop == BEIJING
    assert ctl.utc_offset_min == 480


def test_dandong_bridge_sinuiju_numbers_and_clock():
    """K27 runs into Dandong, stops, shunts for an hour, runs as 95 over the bridge to Sinuiju."""
    sc = Scene()
    tr = sc.tr
    tr.place_along(tr.between(8, DANDONG, 850))
    tr.ride_to(tr.between(8, DANDONG, 990), 1500)
    tr.move_to(*tr.at_station(DANDONG), 500)
    stop_t = tr.t
    tr.stand(120)
    for k in range(4):
        tr.move_to(*_line_point(tr, 8, DANDONG, 985 + k % 2), 300)  # 600-700 m back and forth
        tr.stand(300)
        tr.move_to(*tr.at_station(DANDONG), 300)
        tr.stand(300)
    tr.move_to(*tr.at_station(SINUIJU), 555)  # 20 km/h over the bridge
    arr_t = tr.t
    tr.stand(120)
    seen = sc.seen
    assert _trains(seen) == [None, "K27", "95", "52"], _trains(seen)
    t95 = _first(seen, lambda s: s[1] == "95")
    assert 0 <= t95 - stop_t <= 120, t95 - stop_t
    t52 = _first(seen, lambda s: s[1] == "52")
    assert 0 <= t52 - arr_t <= 120, t52 - arr_t
    # the clock goes to UTC+9 once, between Dandong and Sinuiju, never back
    offs = [s[2] for s in seen if s[2] is not None]
    assert offs[0] == 480 and offs[-1] == 540
    assert offs.index(540) == len(offs) - offs[::-1].index(480)
    assert sc.ctl.next_stop == YOMJU


def test_a_few_seconds_of_jump_changes_nothing():
    sc = Scene()
    tr = sc.tr
    tr.place(*_line_point(tr, TIANJIN, 2, 300))
    tr.move_to(*_line_point(tr, TIANJIN, 2, 400), 3000)
    before = sc.seen[-1][1:]
    n = len(sc.seen)
    t = tr.t
    for k in range(6):  # 6 s near Pyongyang, moving
        sc.ctl.feed(rmc(t + k, R.ST_LAT_UDEG[PYONGYANG] + 300 * k, R.ST_LON_UDEG[PYONGYANG], 3000))
    tr.t = t + 6
    tr.move_to(*_line_point(tr, TIANJIN, 2, 430), 3000)
    assert len(sc.seen) == n and sc.seen[-1][1:] == before
    assert sc.ctl.journey.stats.jumps == 6


def test_gap_over_the_whole_border_crossing():
    sc = Scene()
    tr = sc.tr
    tr.place_along(tr.between(8, DANDONG, 850))
    tr.ride_to(tr.between(8, DANDONG, 990), 2000)  # 7.9 km (the first 25 fixes search the whole route)
    assert sc.ctl.train == "K27"
    n = len(sc.seen)
    tr.t += 4 * 3600  # no fix for four hours: Dandong, the bridge and Sinuiju unseen
    tr.place(*_line_point(tr, SINUIJU, YOMJU, 200))
    tr.move_to(*_line_point(tr, SINUIJU, YOMJU, 300), 1600)
    assert _trains(sc.seen[n:]) == ["52"], _trains(sc.seen[n:])
    assert sc.ctl.utc_offset_min == 540 and sc.ctl.next_stop == YOMJU


def test_override_wins_until_cleared():
    sc = Scene()
    sc.tr.place(*sc.tr.at_station(BEIJING))
    sc.tr.stand(60)
    ctl = sc.ctl
    ctl.set_override("95")
    assert ctl.train == "95"
    sc.tr.stand(30)
    assert ctl.train == "95"
    ctl.clear_override()
    assert ctl.train == "K27"
    try:
        ctl.set_override("X1")
    except ValueError:
        pass
    else:
        raise AssertionError("unknown train accepted")


def test_other_direction_from_pyongyang():
    sc = Scene()
    sc.tr.place(*sc.tr.at_station(PYONGYANG))
    sc.tr.stand(60)
    ctl = sc.ctl
    assert ctl.train == "51" and ctl.destination == BEIJING and ctl.utc_offset_min == 540
    assert ctl.next_stop == 14  # Sinanju


def test_unknown_direction_mid_route_until_it_moves():
    sc = Scene()
    tr = sc.tr
    tr.place_along(tr.between(TIANJIN, 2, 500))
    tr.stand(60)
    assert sc.ctl.train is None and sc.ctl.utc_offset_min == 480
    tr.ride_to(tr.between(TIANJIN, 2, 470), 2500)  # towards Beijing, 3.7 km: within the line's error (x2)
    assert sc.ctl.train is None
    tr.ride_to(tr.between(TIANJIN, 2, 400), 2500)  # 12 km
    assert sc.ctl.train == "K28" and sc.ctl.next_stop == TIANJIN


def test_cold_start_on_the_straight_dprk_line_needs_more_travel():
    """Where the line is straight lines only (12 km tolerance), 12 km of travel along it is not enough."""
    sc = Scene()
    tr = sc.tr
    tr.place_along(tr.between(14, 15, 200))  # Sinanju - West Pyongyang: 62 km, no station between
    tr.stand(30)
    tr.ride_to(tr.between(14, 15, 400), 1500)  # 12 km towards Pyongyang
    assert sc.ctl.train is None and sc.ctl.utc_offset_min == 540
    tr.ride_to(tr.between(14, 15, 900), 1500)  # 31 km
    assert sc.ctl.train == "52" and sc.ctl.next_stop == PYONGYANG


def test_cold_start_leaving_a_station_takes_the_direction_away_from_it():
    """No state, the first fix a kilometre short of Tianjin, running to Beijing: the direction comes from
    passing Tianjin, well before 20 km of travel."""
    sc = Scene()
    tr = sc.tr
    tr.place_along(R.ST_ALONG_M[TIANJIN] + 1000)
    tr.ride_to(R.ST_ALONG_M[TIANJIN] - 4000, 2500)
    assert sc.ctl.train == "K28" and sc.ctl.next_stop == BEIJING


def test_shunting_at_a_station_after_a_cold_start_decides_nothing():
    """Moving slowly 1.5 km away from Dandong and back (shunting), the direction stays unknown."""
    sc = Scene()
    tr = sc.tr
    tr.place_along(R.ST_ALONG_M[DANDONG])
    for _ in range(3):
        tr.ride_to(R.ST_ALONG_M[DANDONG] - 1500, 300)
        tr.ride_to(R.ST_ALONG_M[DANDONG], 300)
    assert sc.ctl.train is None


def test_fixes_lost_before_dandong_back_standing_at_sinuiju():
    """K27 runs towards Dandong, the sky is lost 5 km before it, fixes return with the coach standing at
    Sinuiju: 52, "at Sinuiju", UTC+9 - never K27 in the DPRK."""
    sc = Scene()
    tr = sc.tr
    tr.place_along(R.ST_ALONG_M[DANDONG] - 30000)
    tr.ride_to(R.ST_ALONG_M[DANDONG] - 5000, 2000)
    assert sc.ctl.train == "K27"
    tr.t += 3 * 3600
    tr.place_along(R.ST_ALONG_M[SINUIJU])
    n = len(sc.seen)
    tr.stand(90)
    shown = _trains(sc.seen[n:])  # 95 (beyond Dandong) until it has stood at Sinuiju for 20 s: then 52
    assert shown in (["52"], ["95", "52"]), shown
    assert _first(sc.seen[n:], lambda s: s[1] == "52") - sc.seen[n][0] <= 60
    assert sc.ctl.at_stop == SINUIJU and sc.ctl.utc_offset_min == 540 and sc.ctl.next_stop == YOMJU


def test_fixes_lost_before_sinuiju_back_standing_at_dandong():
    """The mirror: 51 towards Sinuiju, lost 5 km before it, back standing at Dandong: K28 at Dandong, UTC+8."""
    sc = Scene()
    tr = sc.tr
    tr.place_along(R.ST_ALONG_M[SINUIJU] + 30000)
    tr.ride_to(R.ST_ALONG_M[SINUIJU] + 5000, 1500)
    assert sc.ctl.train == "51"
    tr.t += 4 * 3600
    tr.place_along(R.ST_ALONG_M[DANDONG])
    n = len(sc.seen)
    tr.stand(90)
    shown = _trains(sc.seen[n:])
    assert shown in (["K28"], ["85", "K28"]), shown
    assert _first(sc.seen[n:], lambda s: s[1] == "K28") - sc.seen[n][0] <= 60
    assert sc.ctl.at_stop == DANDONG and sc.ctl.utc_offset_min == 480


def test_a_corrected_position_is_not_travel():
    """A cold start on a wrong position 20 km along the line, then the true one (a jump the filter accepts
    after its confirmations): the coach never moved, so no direction, no number."""
    sc = Scene()
    tr = sc.tr
    tr.place_along(tr.between(TIANJIN, 2, 500) + 20000)
    tr.stand(40)
    tr.place_along(tr.between(TIANJIN, 2, 500))
    tr.stand(200)
    assert sc.ctl.journey.f.stats.reanchors >= 1
    assert sc.ctl.train is None
