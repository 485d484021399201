# Journey state machine on hand-built tracks: portable (CPython and MicroPython).
from trainctl import route_data as R
from trainctl.controller import Controller

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
    la, lo = tr.at_station(a)
    lb, lob = tr.at_station(b)
    return la + (lb - la) * permille // 1000, lo + (lob - lo) * permille // 1000


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
    tr.place(*_line_point(tr, 8, DANDONG, 850))
    tr.move_to(*_line_point(tr, 8, DANDONG, 990), 1500)
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
    tr.place(*_line_point(tr, 8, DANDONG, 850))
    tr.move_to(*_line_point(tr, 8, DANDONG, 980), 2000)
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
    tr.place(*_line_point(tr, TIANJIN, 2, 500))
    tr.stand(60)
    assert sc.ctl.train is None and sc.ctl.utc_offset_min == 480
    tr.move_to(*_line_point(tr, TIANJIN, 2, 400), 2500)  # towards Beijing, ~10 km
    assert sc.ctl.train == "K28" and sc.ctl.next_stop == TIANJIN
