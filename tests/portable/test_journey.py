# Journey state machine on hand-built tracks: portable (CPython and MicroPython).
from portable.nmeagen import Track, rmc
from trainctl import route_data as R
from trainctl.controller import Controller

T0 = 217589160  # 2026-11-23T09:26:00Z
BEIJING, TIANJIN, SHENYANG, DANDONG, SINUIJU, YOMJU, PYONGYANG = 0, 1, 6, 9, 10, 11, 16


def _run(data, ctl=None):
    seen = []

    def on_display(c):
        seen.append((c.utc_s, c.train, c.utc_offset_min, c.next_stop, c.destination, c.at_stop))

    if ctl is None:
        ctl = Controller(R, None, on_display)
    else:
        ctl.on_display = on_display
    ctl.feed(data)
    return ctl, seen


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


def _near(tr, st, north_m):
    lat, lon = tr.at_station(st)
    return lat + north_m * 9, lon  # ~0.111 m per micro-degree of latitude


def test_standing_at_beijing_shows_k27():
    tr = Track(R, T0)
    tr.place(*tr.at_station(BEIJING))
    tr.stand(60)
    ctl, seen = _run(tr.data())
    assert ctl.train == "K27"
    assert ctl.next_stop == TIANJIN and ctl.destination == PYONGYANG and ctl.at_stop == BEIJING
    assert ctl.utc_offset_min == 480


def _dandong_scene(shunt=True):
    """K27 runs into Dandong, stops, shunts for an hour, runs as 95 over the bridge to Sinuiju."""
    tr = Track(R, T0)
    lat, lon = tr.at_station(DANDONG)
    tr.place(lat + 60000, lon - 60000)  # ~8 km before Dandong, on the way from Fenghuangcheng
    tr.move_to(*tr.at_station(8), 2000)  # first go back to the line (Fenghuangcheng direction)
    tr.out = []
    tr.place(*_line_point(tr, 8, DANDONG, 900))
    tr.move_to(*_line_point(tr, 8, DANDONG, 990), 1500)
    tr.move_to(*tr.at_station(DANDONG), 500)
    stop_t = tr.t
    tr.stand(120)
    if shunt:
        for k in range(4):
            tr.move_to(*_line_point(tr, 8, DANDONG, 985 + k % 2), 300)  # 600-1200 m back
            tr.stand(300)
            tr.move_to(*tr.at_station(DANDONG), 300)
            tr.stand(300)
    tr.move_to(*tr.at_station(SINUIJU), 555)  # 20 km/h over the bridge
    arr_t = tr.t
    tr.stand(120)
    return tr, stop_t, arr_t


def _line_point(tr, a, b, permille):
    la, lo = tr.at_station(a)
    lb, lob = tr.at_station(b)
    return la + (lb - la) * permille // 1000, lo + (lob - lo) * permille // 1000


def test_dandong_bridge_sinuiju_numbers_and_clock():
    tr, stop_t, arr_t = _dandong_scene()
    ctl, seen = _run(tr.data())
    assert _trains(seen) == [None, "K27", "95", "52"], _trains(seen)
    t95 = _first(seen, lambda s: s[1] == "95")
    assert 0 <= t95 - stop_t <= 120, t95 - stop_t
    t52 = _first(seen, lambda s: s[1] == "52")
    assert 0 <= t52 - arr_t <= 120, t52 - arr_t
    # the clock goes to UTC+9 once, between Dandong and Sinuiju, never back
    offs = [s[2] for s in seen if s[2] is not None]
    assert offs[0] == 480 and offs[-1] == 540
    assert offs.index(540) == len(offs) - offs[::-1].index(480)
    assert ctl.next_stop == YOMJU


def test_a_few_seconds_of_jump_changes_nothing():
    tr = Track(R, T0)
    tr.place(*_line_point(tr, TIANJIN, 2, 300))
    tr.move_to(*_line_point(tr, TIANJIN, 2, 400), 3000)
    before = _run(tr.data())[1][-1][1:]
    t = tr.t
    for k in range(6):  # 6 s at Pyongyang
        tr.out.append(rmc(t + k, R.ST_LAT_UDEG[PYONGYANG] + 300 * k, R.ST_LON_UDEG[PYONGYANG], 3000))
    tr.t = t + 6
    tr.move_to(*_line_point(tr, TIANJIN, 2, 430), 3000)
    ctl, seen = _run(tr.data())
    assert seen[-1][1:] == before
    assert ctl.journey.stats.jumps >= 6


def test_gap_over_the_whole_border_crossing():
    tr = Track(R, T0)
    tr.place(*_line_point(tr, 8, DANDONG, 850))
    tr.move_to(*_line_point(tr, 8, DANDONG, 980), 2000)
    ctl, seen = _run(tr.data())
    assert ctl.train == "K27"
    tr.out = []
    tr.t += 4 * 3600  # no fix for four hours: Dandong, the bridge and Sinuiju unseen
    tr.place(*_line_point(tr, SINUIJU, YOMJU, 200))
    tr.move_to(*_line_point(tr, SINUIJU, YOMJU, 300), 1600)
    ctl, seen = _run(tr.data(), ctl)
    assert _trains(seen) == ["52"], _trains(seen)
    assert ctl.utc_offset_min == 540 and ctl.next_stop == YOMJU


def test_override_wins_until_cleared():
    tr = Track(R, T0)
    tr.place(*tr.at_station(BEIJING))
    tr.stand(60)
    ctl, seen = _run(tr.data())
    ctl.set_override("95")
    assert ctl.train == "95"
    tr.out = []
    tr.stand(30)
    ctl, seen = _run(tr.data(), ctl)
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
    tr = Track(R, T0)
    tr.place(*tr.at_station(PYONGYANG))
    tr.stand(60)
    ctl, seen = _run(tr.data())
    assert ctl.train == "51" and ctl.destination == BEIJING and ctl.utc_offset_min == 540
    assert ctl.next_stop == 14  # Sinanju


def test_unknown_direction_mid_route_until_it_moves():
    tr = Track(R, T0)
    tr.place(*_line_point(tr, TIANJIN, 2, 500))
    tr.stand(60)
    ctl, seen = _run(tr.data())
    assert ctl.train is None and ctl.utc_offset_min == 480
    tr.out = []
    tr.move_to(*_line_point(tr, TIANJIN, 2, 400), 2500)  # towards Beijing, ~10 km
    ctl, seen = _run(tr.data(), ctl)
    assert ctl.train == "K28" and ctl.next_stop == TIANJIN
