"""Commissioning self-test, run from the crew tool (`python -m host_tools.board.crew --port P selftest`) with the main
loop stopped: a test pattern on the display, the alarm output pulsed, then an input walk-test (each input's
level on the console and the display while the fitter operates the doors, beams and WC locks). Not loaded
at boot. hw: the board file's Hardware (board.build())."""

import time


def _show(disp, pattern):
    """Draw one test pattern: 0 all lit, 1 checkerboard (8 px squares), 2 a frame and the diagonals."""
    w = disp.width
    h = disp.height
    disp.fill(1 if pattern == 0 else 0)
    if pattern == 1:
        for y in range(0, h, 8):
            for x in range(0, w, 8):
                if (x // 8 + y // 8) % 2:
                    disp.fill_rect(x, y, 8, 8, 1)
    elif pattern == 2:
        disp.rect(0, 0, w, h, 1)
        disp.line(0, 0, w - 1, h - 1, 1)
        disp.line(0, h - 1, w - 1, 0, 1)
    disp.show()


def run(hw, seconds=20, step_ms=50, out=print):
    """The three tests; returns the number of input changes seen in the walk-test."""
    wdt = hw.wdt
    disp = hw.display
    if disp is None:
        out("selftest: display: none found")
    else:
        for p in range(3):
            try:
                _show(disp, p)
            except OSError as e:
                out("selftest: display: bus error %s" % e)
                break
            if wdt is not None:
                wdt.feed()
            time.sleep_ms(700)
        out("selftest: display %s %dx%d: all lit, checkerboard, frame shown" % (
            type(disp).__name__, disp.width, disp.height))
    if hw.alarm is None:
        out("selftest: alarm: none on this board")
    else:
        hw.alarm(1)
        time.sleep_ms(500)
        hw.alarm(0)
        out("selftest: alarm output pulsed 500 ms")
    names = sorted(hw.inputs)
    lv = [hw.inputs[n]() for n in names]
    out("selftest: inputs " + " ".join("%s=%d" % (names[i], lv[i]) for i in range(len(names))))
    out("selftest: walk-test for %d s: operate each door, beam and WC lock" % seconds)
    changes = 0
    t = 0
    while t < seconds * 1000:
        for i in range(len(names)):
            v = hw.inputs[names[i]]()
            if v != lv[i]:
                lv[i] = v
                changes += 1
                out("selftest: %6.1f s %s=%d" % (t / 1000, names[i], v))
                if disp is not None:
                    try:
                        disp.fill(0)
                        disp.text(names[i][:16], 0, 0, 1)
                        disp.text("= %d" % v, 0, 12, 1)
                        disp.text("".join(str(x) for x in lv)[:16], 0, 24, 1)
                        disp.show()
                    except OSError:
                        pass
        if wdt is not None:
            wdt.feed()
        time.sleep_ms(step_ms)
        t += step_ms
        if t % 5000 < step_ms and t < seconds * 1000:
            out("selftest: %d s left" % (seconds - t // 1000))
    out("selftest: walk-test done: %d input changes" % changes)
    return changes
