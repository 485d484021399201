"""Passenger pages: golden images, rotation and alerts, scrolling, every station name, (the same frames from
MicroPython's own framebuf, unix and WebAssembly ports: tests/integration/test_pages_mp.py).

Golden images: tests/data/golden/*.png, 1 bit, one pixel per display pixel. After a deliberate change
to the pages or the font, regenerate them with `make golden` (UPDATE_GOLDEN=1) and look at them.
"""

import os
import sys

import pytest
from mp.mp import REPO
from mp.pages_script import STEPS, State, drive
from trainctl import pages as P
from trainctl import route_data as R

from host_tools.common import route_names
from host_tools.replay.screen import Screen

GOLDEN = REPO / "tests" / "data" / "golden"
T0 = 217589160  # 2026-11-23T09:26:00Z
PATHS = (REPO / "firmware", REPO / "tests")
ST_ID = route_names.names(R).ST_ID
DANDONG, SINUIJU, PYONGYANG = ST_ID.index("dandong"), ST_ID.index("sinuiju"), R.STATION_N - 1


def state(train="K27", off=480, country=0, nxt=1, dest=PYONGYANG, at=0):
    s = State()
    s.set(train, off, country, nxt, dest, at)
    return s


def screen(display, st, t=T0):
    sc = Screen(display)
    sc.pages.update(st)
    sc.pages.tick(0, t)
    return sc


def to_lang(sc, lang, t=T0):
    """Advance the rotation to the first screen of a language."""
    p = sc.pages
    for _ in range(400):
        if p.lang == lang and p.screen == 0:
            return sc
        p.tick(p.dwell_ms - p.phase_ms, t)
    raise AssertionError("language %d never shown" % lang)


def text_of(sc):
    """The screen's lines as text, read back from the glyph references through the font tables."""
    from trainctl import font_data as d

    out = []
    for ln in sc.pages.lines:
        s = ""
        for i in range(ln.n):
            ref = ln.refs[i]
            if ref >= d.NARROW_N:
                k = ref - d.NARROW_N
                s += chr(d.WIDE_CP[2 * k] << 8 | d.WIDE_CP[2 * k + 1])
            else:
                s += chr(d.NARROW_CP[2 * ref] << 8 | d.NARROW_CP[2 * ref + 1]) if ref else "\ufffd"
        out.append(s)
    return out


# name: (display, state, language, alert to raise from the state before it or None)
CASES = {
    "beijing": (state(), None),
    "under_way": (state(at=-1), None),
    "arrival_dandong": (state(nxt=SINUIJU, at=DANDONG), state(nxt=DANDONG, at=-1)),
    "border": (state("95", 540, 1, SINUIJU, at=-1), state("95", 480, 0, SINUIJU, at=-1)),
    "train_52": (state("52", 540, 1, SINUIJU + 1, at=SINUIJU), state("95", 540, 1, SINUIJU + 1, at=SINUIJU)),
    "pyongyang": (state("52", 540, 1, -1, at=PYONGYANG), None),
    "to_beijing": (state("51", 540, 1, PYONGYANG - 1, 0, PYONGYANG), None),
    # Issue 18, item 2: start-up, the clock going back, the border page at Dandong and Sinuiju, the arrival time.
    "waiting_gps": (state(None, None, -1, -1, -1, -1), None),
    "border_back": (state("85", 480, 0, DANDONG, 0, at=-1), state("85", 540, 1, DANDONG, 0, at=-1)),
    "stand_dandong": (state("95", 480, 0, SINUIJU, at=DANDONG), None),
    "stand_sinuiju_back": (state("85", 540, 1, DANDONG, 0, at=SINUIJU), None),
}
# The screen of the rotation to show (default 0): the border page and the arrival time follow the rotation's lines.
SCREEN = {"stand_dandong": 1, "stand_sinuiju_back": 1}


def case_screen(display, name, lang):
    st, before = CASES[name]
    if before is None:
        t = -1 if name == "waiting_gps" else T0  # no GPS time yet
        sc = to_lang(screen(display, st, t), lang, t)
        p = sc.pages
        n = SCREEN.get(name, 0) * (4 if display == "oled" else 1)  # lines before the screen wanted
        while p.screen * p.rows < n:
            p.tick(p.dwell_ms - p.phase_ms, T0)
        return sc
    sc = screen(display, before)
    sc.pages.update(st)
    assert sc.pages.kind != P._PAGE_ROTATE
    p = sc.pages
    while p.lang != lang:
        p.tick(p.dwell_ms - p.phase_ms, T0)
        assert p.kind != P._PAGE_ROTATE
    return sc


@pytest.mark.parametrize("display", ["oled", "ticker"])
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("lang", [0, 1, 2], ids=["zh", "ko", "en"])
def test_golden_images(display, name, lang):
    from PIL import Image, ImageChops

    sc = case_screen(display, name, lang).render()
    img = sc.bitmap()
    path = GOLDEN / ("%s_%s_%s.png" % (display, name, R.LANGS[lang]))
    if os.environ.get("UPDATE_GOLDEN"):
        img.save(path)
    assert path.exists(), "no golden image %s: run `make golden`" % path.name
    want = Image.open(path)
    assert want.size == img.size and want.mode == "1"
    diff = ImageChops.difference(want.convert("L"), img.convert("L")).getbbox()
    assert diff is None, "%s differs from the golden image in box %s (text now: %s)" % (path.name, diff, text_of(sc))


def test_page_texts_in_three_languages():
    sc = screen("oled", state())
    assert text_of(sc)[:3] == ["K27 北京 → 平壤", "本站  北京", "17:26 北京时间"]
    to_lang(sc, 1)
    assert text_of(sc)[:3] == ["K27 베이징 → 평양", "이번역  베이징", "17:26 베이징시간"]
    to_lang(sc, 2)
    assert text_of(sc)[:3] == ["K27 Beijing → Pyongyang", "Now at  Beijing", "17:26 Beijing time"]
    sc = screen("oled", state("52", 540, 1, -1, at=PYONGYANG), T0 + 86400)
    assert text_of(sc)[1:3] == ["终点站  平壤", "18:26 平壤时间"]


def test_korean_uses_dprk_forms():
    sc = case_screen("oled", "train_52", 1)
    assert text_of(sc)[:2] == ["이제 52 렬차", "52 신의주 → 평양"]
    assert text_of(case_screen("oled", "train_52", 0))[0] == "现为 52 次列车"
    assert text_of(case_screen("oled", "train_52", 2))[0] == "Now train 52"
    assert "열차" not in "".join(text_of(sc))
    sc = case_screen("oled", "border", 1)
    assert text_of(sc)[0] == "95 시계 1시간 앞당김"


def test_alerts_interrupt_at_once_and_rotation_resumes():
    sc = screen("oled", state(nxt=DANDONG, at=-1))
    p = sc.pages
    p.tick(2500, T0)
    sc.pages.update(state(nxt=SINUIJU, at=DANDONG))
    assert p.kind == P._PAGE_ARRIVAL and p.lang == 0 and p.phase_ms == 0
    assert text_of(sc)[:2] == ["K27 到达  丹东", "下一站  新义州"]
    seen = []
    for _ in range(20):
        p.tick(p.dwell_ms - p.phase_ms, T0)
        seen.append((p.kind, p.lang))
        if p.kind == P._PAGE_ROTATE:
            break
    assert seen == [(P._PAGE_ARRIVAL, 1), (P._PAGE_ARRIVAL, 2), (P._PAGE_ROTATE, 0)]


def test_train_change_preempts_an_arrival_and_clock_change_follows():
    sc = screen("oled", state("95", 480, 0, SINUIJU, at=-1))
    p = sc.pages
    p.update(state("95", 480, 0, SINUIJU + 1, at=SINUIJU))
    assert p.kind == P._PAGE_ARRIVAL
    p.update(state("52", 540, 1, SINUIJU + 1, at=SINUIJU))  # number and clock change together
    assert p.kind == P._PAGE_TRAIN
    kinds = []
    for _ in range(12):
        p.tick(p.dwell_ms - p.phase_ms, T0)
        if not kinds or kinds[-1] != p.kind:
            kinds.append(p.kind)
    assert kinds[:3] == [P._PAGE_TRAIN, P._PAGE_BORDER, P._PAGE_ROTATE]


def test_no_alert_at_boot_or_restore_and_none_for_first_knowledge():
    p = screen("oled", state("95", 540, 1, SINUIJU, at=DANDONG)).pages  # restored from the state file
    assert p.kind == P._PAGE_ROTATE and p.pending == 0
    p = screen("oled", state(None, None, -1, -1, -1, -1)).pages
    p.update(state("K27", 480, 0, 1, PYONGYANG, -1))  # first fix: a number appears, no change alert
    assert p.kind == P._PAGE_ROTATE and p.pending == 0


def test_no_arrival_alert_when_the_journey_is_first_found_at_a_station():
    p = screen("oled", state(None, None, -1, -1, -1, -1)).pages
    p.update(state("K27", 480, 0, 1, PYONGYANG, 0))  # the coach is found standing at Beijing
    assert p.kind == P._PAGE_ROTATE and p.pending == 0


def test_an_alert_starts_at_the_beginning_of_its_lines():
    sc = screen("oled", state("95", 540, 1, SINUIJU, at=-1))
    p = sc.pages
    to_lang(sc, 2)
    while p.scroll_px == 0:  # the English route line is scrolling
        p.tick(100, T0)
    p.update(state("95", 540, 1, SINUIJU + 1, at=SINUIJU))
    assert p.kind == P._PAGE_ARRIVAL and p.scroll_px == 0  # a frame drawn before the next tick shows the start


def test_arrival_alert_dropped_once_departed():
    p = screen("oled", state("95", 480, 0, SINUIJU, at=-1)).pages
    p.update(state("95", 480, 0, SINUIJU + 1, at=SINUIJU))
    p.update(state("52", 540, 1, SINUIJU + 1, at=SINUIJU))  # pre-empts the arrival
    assert p.kind == P._PAGE_TRAIN
    p.update(state("52", 540, 1, SINUIJU + 1, at=-1))  # departed while the alert was on
    for _ in range(12):
        p.tick(p.dwell_ms - p.phase_ms, T0)
    assert p.kind == P._PAGE_ROTATE


def test_unknown_number_is_never_guessed():
    sc = screen("oled", state(None, None, -1, -1, -1, -1))
    assert text_of(sc)[:3] == ["--", "下一站  --", "--:--"]


def test_clock_follows_gps_time_and_runs_on_without_fixes():
    sc = screen("oled", state(at=-1), T0 + 59)  # 17:26:59 local
    p = sc.pages
    assert text_of(sc)[2].startswith("17:26")
    assert p.tick(1000, T0 + 60)  # 17:27:00: recomposed, frame changed
    assert text_of(sc)[2].startswith("17:27")
    for _ in range(600):  # ten minutes without a new fix
        p.tick(1000, T0 + 60)
    assert text_of(sc)[2].startswith("17:37")


@pytest.mark.parametrize("display", ["oled", "ticker"])
def test_long_lines_scroll_smoothly_to_their_end(display):
    sc = screen(display, state("K27", 480, 0, ST_ID.index("fenghuangcheng"), PYONGYANG, -1))
    p = sc.pages
    to_lang(sc, 2)
    while not any(ln.width_px > sc.width for ln in p.lines):
        p.tick(p.dwell_ms - p.phase_ms, T0)
    over = max(ln.width_px for ln in p.lines) - sc.width
    offsets = []
    start = (p.lang, p.screen)
    while True:
        p.tick(40, T0)
        if (p.lang, p.screen) != start:
            break
        offsets.append(p.scroll_px)
    steps = [b - a for a, b in zip(offsets, offsets[1:])]
    assert max(offsets) == over  # the end of the text is shown
    assert set(steps) <= {0, 1, 2} and offsets[0] == 0  # 1-2 px per 40 ms frame, from the start


def test_every_station_train_and_zone_composes_without_missing_or_dropped_glyphs():
    sc = Screen("ticker")
    p = sc.pages
    lines = []
    for d in (0, PYONGYANG):
        for tr in R.TRAIN[0] + R.TRAIN[1]:
            for st in range(R.STATION_N):
                for country in (0, 1):
                    for kind in (P._PAGE_ROTATE, P._PAGE_ARRIVAL, P._PAGE_BORDER, P._PAGE_TRAIN):
                        p.update(state(tr, 480 + 60 * country, country, st, d, st))
                        for lang in range(3):
                            p.kind, p.lang = kind, lang
                            for k in range(p._n_lines()):
                                ln = p.lines[0]
                                ln.clear()
                                p._line(ln, k)
                                assert ln.missing == 0 and ln.dropped == 0, text_of(sc)
                                lines.append(ln.width_px)
    assert len(lines) > 5000 and max(lines) <= 48 * 16


def test_script_covers_every_alert():
    kinds = set()
    drive(128, 64, lambda buf, t_ms, p: kinds.add(p.kind))
    assert len(STEPS) == 10 and kinds == {P._PAGE_ROTATE, P._PAGE_ARRIVAL, P._PAGE_BORDER, P._PAGE_TRAIN}


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))


def _sensors(levels, speed_cms):
    from trainctl.sensors import Sensors

    s = Sensors(R, {n: (lambda n=n: levels.get(n, 0)) for n in ("door_A_left", "wc_1", "wc_2")})
    s.fix(speed_cms)
    for _ in range(40):
        s.poll(10)
    return s


STATUS = {
    "wc": ({"wc_1": 1}, 0),  # toilet 1 locked, toilet 2 free
    "door_alarm": ({"door_A_left": 1}, 2500),  # a door open at 90 km/h
}


@pytest.mark.parametrize("display", ["oled", "ticker"])
@pytest.mark.parametrize("name", sorted(STATUS))
@pytest.mark.parametrize("lang", [0, 1, 2], ids=["zh", "ko", "en"])
def test_golden_status_line(display, name, lang):
    """The doors/WC line: the fourth row on the OLED, the fourth screen of each language on the ticker."""
    from PIL import Image, ImageChops

    sens = _sensors(*STATUS[name])
    assert sens.doors.alarm_any == (name == "door_alarm")
    sc = Screen(display, status=sens.status)
    sc.pages.update(state(at=-1))
    sc.pages.tick(0, T0)
    p = sc.pages
    want_screen = 0 if display == "oled" else 3
    while (p.lang, p.screen) != (lang, want_screen):
        p.tick(p.dwell_ms - p.phase_ms, T0)
    line = text_of(sc)[3 if display == "oled" else 0]
    expect = {"wc": ("厕所 1有人 2无人", "위생실 1사용중 2비였음", "WC 1 occupied 2 free"),
              "door_alarm": ("车门未关!", "문이 열렸음!", "Door open!")}[name][lang]
    assert line == (expect if display == "oled" else "K27 " + expect)  # the ticker's screen: number fixed
    img = sc.render().bitmap()
    path = GOLDEN / ("%s_status_%s_%s.png" % (display, name, R.LANGS[lang]))
    if os.environ.get("UPDATE_GOLDEN"):
        img.save(path)
    assert path.exists(), "no golden image %s: run `make golden`" % path.name
    diff = ImageChops.difference(Image.open(path).convert("L"), img.convert("L")).getbbox()
    assert diff is None, "%s differs from the golden image in box %s" % (path.name, diff)
