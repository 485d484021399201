"""Issue 18, item 1: on whole journeys, both ways, on both displays, the train number (once known) is never out of
view for more than one scroll cycle.

The journey's NMEA goes through the firmware's coach (trainctl.coach.Coach, as on the board); what it shows
drives the firmware's pages, ticked every 250 ms as the loop does. The test works out on its own what each frame
shows: from each drawn line's glyphs, their widths and the scroll offset, which glyphs lie wholly inside the
display (a fixed field from the left edge, the rest inside its scrolling window), and whether the train number's
glyphs appear among them in order.
"""

import functools

import pytest
from trainctl import font_data
from trainctl import pages as P
from trainctl import route_data as R
from trainctl.coach import Coach
from trainctl.codes import EV_SHOWN
from trainctl.text import Font, text

from host_tools.replay.screen import DISPLAYS

TICK_MS = 250
# One scroll cycle: the pause, a line scrolled through a whole display width, the pause again.
CYCLE_MS = 2 * P._PAUSE_MS + 128 * 1000 // P._SCROLL_PX_S


@functools.cache
def _states(track):
    """(utc_s, display state) at every change of what the coach shows (its EV_SHOWN events), and the last fix's
    time; one replay per track (both displays read the same states)."""
    out = []

    def on_event(kind, index):
        if kind == EV_SHOWN:
            c = coach.ctl
            out.append((c.utc_s, dict(train=c.train, utc_offset_min=c.utc_offset_min, country=c.country,
                                      next_stop=c.next_stop, destination=c.destination, at_stop=c.at_stop)))

    coach = Coach(R, None, on_event)
    data = track.read_bytes()
    for i in range(0, len(data), 4096):
        coach.feed(data[i:i + 4096])
    return out, coach.ctl.utc_s


class _State:
    def __init__(self, d):
        self.__dict__.update(d)


def _visible(pages, font, width):
    """The glyph refs wholly in view, per drawn line, in order."""
    rows = []
    for ln in pages.lines:
        refs = [ln.refs[i] for i in range(ln.n)]
        widths = [font.width(r) for r in refs]
        over = ln.width_px - width
        scroll = min(pages.scroll_px, over) if over > 0 else 0
        seen, x = [], 0
        for i, (r, w) in enumerate(zip(refs, widths, strict=True)):
            if i < getattr(ln, "fixed_n", 0):
                left, lo = x, 0
            else:
                left, lo = x - scroll, getattr(ln, "fixed_px", 0)
            if left >= lo and left + w <= width:
                seen.append(r)
            x += w
        rows.append(seen)
    return rows


def _contains(seq, sub):
    return any(seq[i:i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


@functools.cache
def _number_refs(font, train):
    legs = [t for d in R.TRAIN for t in d]
    k = legs.index(train)
    return [font.ref(ord(ch)) for ch in text(R, R.TRAIN_TEXT + k)]


def _longest_gap_ms(track, display):
    width, height, _ = DISPLAYS[display]
    font = Font(font_data)
    pages = P.Pages(R, font, width, height, status=lambda ln, lang: ln.add(b"doors shut"))
    states, end_s = _states(track)
    assert len(states) > 10
    gap = worst = 0
    seen_known = 0
    i = 0
    first, shown = True, False
    t_ms = states[0][0] * 1000
    while t_ms <= end_s * 1000:
        while i < len(states) and states[i][0] * 1000 <= t_ms:
            pages.update(_State(states[i][1]))
            i += 1
        # A tick that changes nothing leaves the last frame on the glass (hw.Panel draws only when tick() says so,
        # or for its first frame): what is in view is what was.
        if pages.tick(TICK_MS, t_ms // 1000) or first:
            first = False
            shown = pages.train is not None and any(
                _contains(row, _number_refs(font, pages.train)) for row in _visible(pages, font, width))
        if pages.train is None:
            gap = 0
        else:
            seen_known += 1
            if shown:
                gap = 0
            else:
                gap += TICK_MS
                worst = max(worst, gap)
        t_ms += TICK_MS
    assert seen_known > 3600 * 1000 // TICK_MS  # hours of the journey with the number known
    return worst


@pytest.mark.slow
@pytest.mark.parametrize("display", ["oled", "ticker"])
@pytest.mark.parametrize("direction", ["to_pyongyang", "to_beijing"])
def test_the_number_is_never_out_of_view_for_more_than_one_scroll_cycle(display, direction, full_journey,
                                                                        full_journey_back):
    track, _ = full_journey if direction == "to_pyongyang" else full_journey_back
    worst = _longest_gap_ms(track, display)
    assert worst <= CYCLE_MS, "%s %s: the number out of view for %d ms" % (display, direction, worst)


def test_the_check_sees_a_screen_without_the_number():
    """The oracle is not blind: the ticker's time screen (a fixed time, no number) is found without it."""
    font = Font(font_data)
    pages = P.Pages(R, font, 64, 16)
    pages.update(_State(dict(train="K27", utc_offset_min=480, country=0, next_stop=1, destination=16,
                             at_stop=-1)))
    pages.tick(0, 1795426565)
    num = _number_refs(font, "K27")
    assert any(_contains(r, num) for r in _visible(pages, font, 64))  # screen 0: the route line, number fixed
    while pages.screen != 2:
        pages.tick(pages.dwell_ms - pages.phase_ms, 1795426565)
    assert not any(_contains(r, num) for r in _visible(pages, font, 64))  # the time screen
