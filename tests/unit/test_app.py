"""The main loop on CPython with fakes: UART bytes in chunks, display frames, watchdog, state file."""

import pytest
from mp.mp import REPO
from trainctl import route_data as R
from trainctl import store
from trainctl.app import App
from trainctl.hw import Hardware

from host_tools.common import route_names
from host_tools.common.fakes import FakeI2C, FakeUART, FakeWDT
from host_tools.replay.screen import Screen
from host_tools.vboard.buses import Ssd1306Decoder

TRACK = REPO / "tests" / "data" / "short_clean.nmea"


def _app(tmp_path, data):
    try:
        import ssd1306
    except ImportError:
        pytest.fail("ssd1306.py missing: run `make venv` (python -m host_tools.build.fetch_mplib)")
    i2c = FakeI2C()
    disp = ssd1306.SSD1306_I2C(128, 64, i2c)
    dec = Ssd1306Decoder(128, 64).feed_all(i2c.transactions)
    uart = FakeUART(data)
    hw = Hardware("test", uart, disp, FakeWDT(), str(tmp_path / "state.bin"))
    lines = []
    return App(R, hw, log=lines.append), uart, i2c, dec, lines


def run(app, uart, ms, step_ms=10):
    for _ in range(ms // step_ms):
        uart.advance(step_ms)
        app.step(step_ms)


def _sent_frame(app, i2c, dec):
    """The next frame the app sends, forced out and decoded from the bus (dec: the driver's init seen)."""
    i2c.clear()
    app.panel._resend = True
    app.step(40)
    dec.feed_all(i2c.transactions)
    return dec.visible()


def _host_frame(app):
    """What the host renders for the app's state, on the same screen, language and scroll position."""
    ref = Screen("oled")
    ref.pages.update(app.ctl)
    ref.pages.phase_ms, ref.pages.lang, ref.pages.screen = app.panel.pages.phase_ms, app.panel.pages.lang, 0
    ref.pages.tick(0, app.ctl.utc_s)
    ref.pages._compose()
    ref.pages.scroll_px = app.panel.pages.scroll_px
    return ref.render().pixels()


def test_loop_feeds_journey_display_watchdog_and_state(tmp_path):
    data = TRACK.read_bytes()
    app, uart, i2c, dec, lines = _app(tmp_path, data)
    assert app.report().startswith("trainctl %s route=%s board=test coach=- free=" % (
        __import__("trainctl").VERSION, R.NAME))
    run(app, uart, len(data) // 2 + 1000)
    assert uart.pos == len(data)  # everything read, in chunks of at most RX_CHUNK
    tianjin = route_names.names(R).ST_ID.index("tianjin")
    assert app.ctl.train == "K27" and app.ctl.at_stop == -1 and app.ctl.next_stop == tianjin
    assert any(" K27 UTC+8 at=Beijing next=Tianjin" in x for x in lines), lines
    assert app.hw.wdt.feeds == app.loops > 0
    assert (tmp_path / "state.bin").stat().st_size == 2 * store.SIZE == 112
    # the display shows what the host renders for the same state
    assert _sent_frame(app, i2c, dec) == _host_frame(app)


def test_a_restored_state_is_shown_at_boot(tmp_path):
    data = TRACK.read_bytes()
    app, uart, *_ = _app(tmp_path, data)
    run(app, uart, len(data) // 2 + 1000)
    app2, uart2, i2c2, dec2, lines2 = _app(tmp_path, b"")
    assert app2.ctl.restored and "restored=1" in app2.report()
    assert app2.panel.pages.train == "K27" and app2.panel.frames == 1  # drawn before any fix


def test_ctrl_c_on_the_console_stops_the_loop_and_keeps_the_watchdog_fed(tmp_path, monkeypatch):
    import time as host_time

    app, uart, *_ = _app(tmp_path, b"")
    kept = []
    app.hw.keep_alive = lambda: kept.append(True)
    calls = {"n": 0}

    def sleep_ms(ms):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(host_time, "ticks_ms", lambda: 0, raising=False)
    monkeypatch.setattr(host_time, "ticks_diff", lambda a, b: a - b, raising=False)
    monkeypatch.setattr(host_time, "ticks_us", lambda: 0, raising=False)
    monkeypatch.setattr(host_time, "sleep_us", lambda us: sleep_ms(us // 1000), raising=False)
    with pytest.raises(KeyboardInterrupt):
        app.run()
    assert kept == [True] and app.loops == 5 and app.hw.wdt.feeds == 5


def test_sensors_in_the_loop_door_alarm_drives_the_output_and_the_display(tmp_path):
    """short_clean: 10 min standing at Beijing, then leaving. A door left open raises the alarm once
    the coach moves; WC 1 locked shows as occupied on the doors/WC line."""
    from test_pages import text_of

    data = TRACK.read_bytes()
    try:
        import ssd1306
    except ImportError:
        pytest.fail("ssd1306.py missing: run `make venv` (python -m host_tools.build.fetch_mplib)")
    levels = {"door_A_left": 0, "wc_1": 1}
    alarm = []
    inputs = {name: (lambda n=name: levels[n]) for name in levels}
    hw = Hardware("test", FakeUART(data), ssd1306.SSD1306_I2C(128, 64, FakeI2C()), FakeWDT(), None, inputs,
                  alarm.append)
    events = []
    app = App(R, hw, log=lambda s: None)
    app.on_event = lambda k, i: events.append((k, i))
    run(app, hw.uart, 30 * 1000)  # 60 KB at 2 bytes per ms: about the first 140 s of the track, standing
    assert app.sensors.wc.occupied[0] == 1 and (32, 0) in events  # WC 1 occupied
    levels["door_A_left"] = 1  # a door opened at the platform: no alarm while standing
    run(app, hw.uart, 10 * 1000)
    assert app.ctl.at_stop == 0 and alarm == [0] and (1, 0) in events
    pages = app.panel.pages
    pages.kind, pages.lang, pages.screen = 0, 0, 0
    pages.refresh()
    assert text_of(type("S", (), {"pages": pages})())[3] == "厕所 1有人 2无人"
    run(app, hw.uart, len(data) // 2)  # the rest of the track: the coach leaves with the door open
    assert app.ctl.journey.speed_cms > 500
    assert alarm[-1] == 1 and (3, 0) in events  # EV_ALARM_ON for door_A_left
    pages.kind, pages.lang, pages.screen = 0, 0, 0
    pages.refresh()
    assert text_of(type("S", (), {"pages": pages})())[3] == "车门未关!"


def test_journey_log_records_boot_doors_and_the_stop_with_its_counts(tmp_path):
    """short_clean with a door opened and closed at Beijing and 3 people boarding through vestibule A."""
    from trainctl.codes import K_BOOT, K_STATION
    from trainctl.jlog import JourneyLog

    data = TRACK.read_bytes()
    levels = {}
    inputs = {n: (lambda n=n: levels.get(n, 0)) for n in ("door_A_left", "beam_A_outer", "beam_A_inner")}
    hw = Hardware("test", FakeUART(data), None, FakeWDT(), None, inputs, None, jlog_path=str(tmp_path / "j.bin"))
    app = App(R, hw, log=lambda s: None)
    run(app, hw.uart, 30 * 1000)  # standing at Beijing
    assert app.ctl.at_stop == 0
    levels["door_A_left"] = 1
    run(app, hw.uart, 1000)
    for _ in range(3):  # outer beam, both, inner beam, clear: one person in
        for o, i in ((1, 0), (1, 1), (0, 1), (0, 0)):
            levels["beam_A_outer"], levels["beam_A_inner"] = o, i
            run(app, hw.uart, 100)
    levels["door_A_left"] = 0
    run(app, hw.uart, len(data) // 2)  # departure
    assert app.sensors.tally.boardings[0] == 3 and app.sensors.tally.onboard == 3
    log = JourneyLog(str(tmp_path / "j.bin"))
    log.load()
    recs = log.records()
    kinds = [r[2] for r in recs]
    assert kinds[0] == K_BOOT and kinds.count(1) == 1 and kinds.count(2) == 1  # door open, closed
    station = [r for r in recs if r[2] == K_STATION]
    assert len(station) == 1 and station[0][3] == 0 and station[0][5:] == (3, 0)  # Beijing: 3 on, 0 off


class BrokenDisplay:
    """A display whose driver has a bug (not a bus error): every show() raises ValueError."""

    width, height = 128, 64

    def __init__(self):
        import framebuf

        self.shows = 0
        self.fb = framebuf.FrameBuffer(bytearray(1024), 128, 64, framebuf.MONO_VLSB)

    def fill(self, c):
        self.fb.fill(c)

    def blit(self, *a):
        self.fb.blit(*a)

    def show(self):
        self.shows += 1
        raise ValueError("driver bug")


def test_a_failing_display_or_sensor_is_logged_and_rested_while_the_journey_goes_on(tmp_path):
    data = TRACK.read_bytes()
    disp = BrokenDisplay()

    calls = [0]

    def bad_input():  # works at boot, then the sensor's wire breaks
        calls[0] += 1
        if calls[0] > 50:
            raise OSError(5, "EIO")
        return 0

    lines = []
    hw = Hardware("test", FakeUART(data), disp, FakeWDT(), None, {"wc_1": bad_input}, None,
                  jlog_path=str(tmp_path / "j.bin"))
    app = App(R, hw, log=lines.append)
    run(app, hw.uart, len(data) // 2 + 1000)
    assert app.ctl.train == "K27"  # the journey went on
    assert app.hw.wdt.feeds == app.loops  # the loop stayed healthy
    secs = app.loops * 10 // 1000
    assert app.faults[0] >= 2 and app.faults[0] <= secs // 5 + 2  # retried every 5 s, not every frame
    assert app.faults[1] >= 2 and app.faults[1] <= secs // 5 + 2
    assert any(x.startswith("fault: display: ValueError driver bug") for x in lines)
    assert any(x.startswith("fault: sensors: OSError") for x in lines)
    from trainctl.codes import K_FAULT
    from trainctl.jlog import JourneyLog

    log = JourneyLog(str(tmp_path / "j.bin"))
    log.load()
    faults = [r for r in log.records() if r[2] == K_FAULT]
    assert {r[3] for r in faults} == {0, 1} and any(r[3] == 1 and r[5] == 5 for r in faults)  # EIO for sensors


def test_an_exception_in_the_journey_leaves_the_watchdog_unfed():
    class BadUART(FakeUART):
        def readinto(self, buf, nbytes=-1):
            raise RuntimeError("parser state corrupted")

    hw = Hardware("test", BadUART(b"$GPRMC"), None, FakeWDT(), None)
    app = App(R, hw, log=lambda s: None)
    hw.uart.advance(10)
    with pytest.raises(RuntimeError):
        app.step(10)
    assert hw.wdt.feeds == 0  # the hardware watchdog resets the board; the state file brings it back


def test_an_input_failing_at_boot_means_no_sensors_not_a_boot_loop():
    def bad_input():
        raise OSError(5, "EIO")

    lines = []
    hw = Hardware("test", FakeUART(TRACK.read_bytes()), None, FakeWDT(), None, {"wc_1": bad_input})
    app = App(R, hw, log=lines.append)
    assert app.sensors is None and app.faults[1] == 1 and lines[0].startswith("fault: sensors: OSError")
    run(app, hw.uart, 2000)
    assert hw.wdt.feeds == app.loops > 0


def test_boot_line_and_log_carry_the_reset_cause(tmp_path):
    from trainctl.codes import K_BOOT
    from trainctl.jlog import JourneyLog

    hw = Hardware("test", FakeUART(b""), None, None, None, jlog_path=str(tmp_path / "j.bin"), reset_cause=3)
    app = App(R, hw, log=lambda s: None)
    assert app.report().endswith(" reset=3 rom=0 frozen=0")  # trainctl from the host's files: not a ROMFS, not frozen
    app.step(50)  # the boot record waits in RAM for the loop's first quiet moment (no GPS burst)
    log = JourneyLog(str(tmp_path / "j.bin"))
    log.load()
    assert log.records()[0][2] == K_BOOT and log.records()[0][5] == 3


def test_random_i2c_errors_and_power_cuts_on_the_main_loop(tmp_path):
    """The real loop with the real ssd1306 driver over a bus that fails 1 transaction in 20 at random,
    and the power cut at 12 random instants (a new App on the same state and log files, the receiver
    talking on): nothing escapes, the watchdog is fed on every pass, the journey ends where the same run
    without faults ends, and once the bus is healthy the display shows exactly the host's frame."""
    import errno
    import random

    import ssd1306

    data = TRACK.read_bytes()
    (tmp_path / "ref").mkdir()
    ref, ref_uart, *_ = _app(tmp_path / "ref", data)
    run(ref, ref_uart, len(data) // 2 + 1000)
    rng = random.Random("i2c-cuts")
    flaky = {"on": True, "errors": 0}

    def fault(addr, payload):
        if flaky["on"] and rng.random() < 0.05:
            flaky["errors"] += 1
            return rng.choice((errno.EIO, errno.ETIMEDOUT, errno.ENODEV))
        return None

    i2c = FakeI2C(fault=fault)
    uart = FakeUART(data)
    total_ms = len(data) // 2 + 1000
    cuts = sorted(rng.sample(range(100, total_ms // 10), 12))
    loops, feeds, apps, lines, done = 0, 0, 0, [], 0
    for cut in [*cuts, total_ms // 10]:
        flaky["on"] = False  # the driver's init at boot (an init failure is test_vboard's unplugged case)
        i2c.clear()
        disp = ssd1306.SSD1306_I2C(128, 64, i2c)
        init = list(i2c.transactions)
        flaky["on"] = True
        hw = Hardware("test", uart, disp, FakeWDT(), str(tmp_path / "state.bin"), jlog_path=str(tmp_path / "j.bin"))
        app = App(R, hw, log=lines.append)
        apps += 1
        run(app, uart, (cut - done) * 10)
        done = cut
        loops += app.loops
        feeds += app.hw.wdt.feeds
    assert apps == 13 and loops == feeds == total_ms // 10
    assert flaky["errors"] > 50 and app.panel.errors > 0
    c, r = app.ctl, ref.ctl
    assert (c.train, c.next_stop, c.at_stop, c.utc_offset_min) == (r.train, r.next_stop, r.at_stop, r.utc_offset_min)
    flaky["on"] = False
    assert _sent_frame(app, i2c, Ssd1306Decoder(128, 64).feed_all(init)) == _host_frame(app)


def _config_app(tmp_path, text, display=None):
    cfg = tmp_path / "config.json"
    if text is not None:
        cfg.write_bytes(text)
    lines = []
    hw = Hardware("test", FakeUART(TRACK.read_bytes()), display, FakeWDT(), str(tmp_path / "state.bin"),
                  {"door_A_left": lambda: 0}, None, jlog_path=str(tmp_path / "j.bin"), config_path=str(cfg))
    return App(R, hw, log=lines.append), lines


def test_configuration_file_sets_the_door_threshold_wc_lockout_and_brightness(tmp_path):
    import ssd1306

    i2c = FakeI2C()
    disp = ssd1306.SSD1306_I2C(128, 64, i2c)
    i2c.clear()
    app, lines = _config_app(tmp_path, b'{"wc_lockout": true, "brightness": 3, "door_alarm_kmh": 10}', disp)
    assert app.config.problems == [] and not any(x.startswith("config:") for x in lines)
    assert app.sensors.doors.threshold_cms == 278 and app.sensors.wc.lockout_at_stations
    assert (0x3C, b"\x80\x81") in i2c.transactions and (0x3C, b"\x80\x33") in i2c.transactions  # contrast 51
    assert app.coach._notice_ms == 0


def test_a_bad_configuration_file_means_defaults_and_a_notice_not_a_crash(tmp_path):
    import ssd1306
    from trainctl.codes import K_FAULT
    from trainctl.jlog import JourneyLog

    bad = (b'{"brightness": 99, "wc_lockout": "yes"', b"\xff\xfe\x00garbage", b'{"door_alarm_kmh": true, "x": 1}')
    for text in bad:
        disp = ssd1306.SSD1306_I2C(128, 64, FakeI2C())
        app, lines = _config_app(tmp_path, text, disp)
        assert app.config.problems and any(x.startswith("config: ") for x in lines), text
        assert app.sensors.doors.threshold_cms == 139 and not app.sensors.wc.lockout_at_stations  # the defaults
        assert app.coach._notice_ms > 0 and app.panel.pages.status is not None
        run(app, app.uart, 61000, step_ms=1000)
        assert app.coach._notice_ms <= 0 and app.hw.wdt.feeds == app.loops
    log = JourneyLog(str(tmp_path / "j.bin"))
    log.load()
    assert sum(1 for r in log.records() if r[2] == K_FAULT and r[3] == 2) == 3


def test_no_configuration_file_means_defaults_without_a_notice(tmp_path):
    app, lines = _config_app(tmp_path, None)
    assert app.config is None and app.coach._notice_ms == 0  # no file: the config module is not even imported
    assert app.sensors.doors.threshold_cms == 139 and not app.sensors.wc.lockout_at_stations
