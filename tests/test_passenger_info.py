"""Issue 18, item 2: what international passengers ask for, in zh / ko (DPRK forms) / en, from the route source:
the clock change said in words, 'waiting for GPS' at start-up, the border page while standing at Dandong and
Sinuiju with the departure only where a source gives it, the scheduled arrival at the destination."""

import json

import pytest
from mp.mp import REPO
from test_pages import DANDONG, PYONGYANG, SINUIJU, case_screen, text_of
from trainctl import route_data as R

from host_tools import gen_route

SRC = REPO / "routes" / "beijing-pyongyang.json"


def texts(name, lang, display="oled"):
    return [t for t in text_of(case_screen(display, name, lang)) if t]


def test_clock_change_says_what_changed_both_ways():
    assert texts("border", 0) == ["95 时钟拨快1小时", "18:26 平壤时间"]
    assert texts("border", 1) == ["95 시계 1시간 앞당김", "18:26 평양시간"]
    assert texts("border", 2) == ["95 Clocks forward 1 h", "18:26 Pyongyang time"]
    assert texts("border_back", 2) == ["85 Clocks back 1 h", "17:26 Beijing time"]
    assert texts("border_back", 1) == ["85 시계 1시간 늦춤", "17:26 베이징시간"]


def test_clock_change_of_half_an_hour_in_minutes():
    """The DPRK was UTC+8:30 from 2015 to 2018: crossing then stepped the clocks 30 minutes."""
    from test_pages import screen, state

    sc = screen("oled", state("95", 480, 0, SINUIJU, at=-1))
    sc.pages.update(state("95", 510, 1, SINUIJU, at=-1))
    assert text_of(sc)[0] == "95 时钟拨快30分钟"


def test_waiting_for_gps_at_start_up_instead_of_dashes():
    for lang, want in enumerate(("等待GPS信号", "GPS신호 기다리는중", "Waiting for GPS")):
        assert texts("waiting_gps", lang) == [want]
        assert texts("waiting_gps", lang, "ticker") == [want]


def test_border_page_at_dandong_gives_the_sourced_departure_of_95():
    """FACTS.md: 95 leaves Dandong 10:00 (UTC+8), China Railway notice of 2026-03-10."""
    assert texts("stand_dandong", 0) == ["95 边防检查", "请留在车厢内", "开车 10:00 北京时间"]
    assert texts("stand_dandong", 1) == ["95 국경검사", "객차안에 계십시오", "출발 10:00 베이징시간"]
    assert texts("stand_dandong", 2) == ["95 Border control", "Please stay in the coach", "Departs 10:00 Beijing time"]


def test_border_page_at_sinuiju_gives_no_departure_no_source_has():
    """No source gives the departure of 85 (or 52) from Sinuiju: the page says nothing of it."""
    assert texts("stand_sinuiju_back", 2) == ["85 Border control", "Please stay in the coach"]
    assert R.DEP_MIN[1][SINUIJU] == -1 and R.DEP_MIN[0][SINUIJU] == -1
    assert R.DEP_MIN[1][DANDONG] == -1  # K28 from Dandong: 'assumed' in the route source, not shown
    assert R.DEP_MIN[0][DANDONG] == 600


def test_scheduled_arrival_in_the_destinations_local_time():
    """FACTS.md: arrival Pyongyang 18:07 (UTC+9); K28 arrives Beijing 08:40 (UTC+8)."""
    assert texts("beijing", 2)[3] == "Arrives  Pyongyang 18:07 Pyongyang time"
    assert texts("beijing", 0)[3] == "正点到达  平壤 18:07 平壤时间"
    assert texts("to_beijing", 1)[3] == "도착예정  베이징 08:40 베이징시간"
    assert R.ARR_MIN[0][PYONGYANG] == 18 * 60 + 7 and R.ARR_MIN[1][0] == 8 * 60 + 40
    assert all(t == "" or "Arrives" not in t for t in texts("pyongyang", 2))  # not once arrived


def test_only_sourced_times_reach_the_firmware():
    doc = json.loads(SRC.read_text())
    for row in doc["timetable"]["to_pyongyang"]:
        row["quality"] = "assumed"
    p = SRC.parent / "test-voice-tmp.json"  # beside the source: its line file is relative to it
    p.write_text(json.dumps(doc))
    try:
        route = gen_route.load(str(p))
        b = gen_route.build(route)
        assert all(v == -1 for v in b["dep_min"][0] + b["arr_min"][0])
        doc["timetable"]["to_pyongyang"][2]["utc_offset_min"] = 480  # Pyongyang is UTC+9
        p.write_text(json.dumps(doc))
        with pytest.raises(gen_route.RouteError, match="utc_offset_min"):
            gen_route.load(str(p))
    finally:
        p.unlink()


@pytest.mark.parametrize("display", ["oled", "ticker"])
@pytest.mark.parametrize("name", ["border", "border_back", "waiting_gps", "stand_dandong", "stand_sinuiju_back",
                                  "beijing", "to_beijing"])
def test_every_new_line_without_missing_or_dropped_glyphs(display, name):
    for lang in range(3):
        sc = case_screen(display, name, lang)
        p = sc.pages
        for _ in range(12):
            for ln in p.lines:
                assert ln.missing == 0 and ln.dropped == 0, text_of(sc)
            p.tick(p.dwell_ms - p.phase_ms, 217589160)
