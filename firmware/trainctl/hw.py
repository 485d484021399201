"""What a board file hands to the app (hardware objects, the loop's periods), and helpers to build them."""


class Hardware:
    """name: board name for the boot line; uart: GPS UART (any(), readinto()); display: a
    framebuf.FrameBuffer subclass with show(), width, height, or None; wdt: feed(), or None;
    state_path: the state file on flash; inputs: {name: callable returning 0/1} (doors, beams, WC);
    alarm: callable taking 0/1 (buzzer/lamp), or None; keep_alive: callable that keeps the watchdog fed
    (from a timer) once the loop is stopped from the console for service, or None; jlog_path: the
    journey log on flash (door events, alarms, boardings per station), or None; reset_cause:
    machine.reset_cause() (power-on, watchdog, brown-out...); config_path: the optional configuration
    file (trainctl.config), or None; audio: the announcements' (callable opening the I2S output, a machine.I2S
    non-blocking once its irq is set; the clip file's path on flash, host_tools/build/voice.py), or None: no
    announcements, as without the clip file (trainctl.announce is then not even imported); console: the USB
    console's input stream (sys.stdin) for one-line requests answered by the running loop (trainctl/status.py:
    `crew status`), or None."""

    def __init__(self, name, uart, display=None, wdt=None, state_path=None, inputs=None, alarm=None,
                 poll_ms=10, frame_ms=40, keep_alive=None, jlog_path=None, reset_cause=0, config_path=None,
                 audio=None, console=None):
        self.name = name
        self.uart = uart
        self.display = display
        self.wdt = wdt
        self.state_path = state_path
        self.inputs = inputs or {}
        self.alarm = alarm
        self.poll_ms = poll_ms
        self.frame_ms = frame_ms
        self.keep_alive = keep_alive
        self.jlog_path = jlog_path
        self.reset_cause = reset_cause  # machine.reset_cause() at boot, for the boot line and the log
        self.config_path = config_path
        self.console = console
        self.audio = audio


def inverted(pin):
    """An input read upside down: a WC lock switch closes to GND when locked (raw 0 = logical 1)."""
    return lambda: 1 - pin()


def optional_display(make):
    """make() the display, or None if it does not answer (unplugged, NAK): the board then runs without it
    (journey, sensors, log go on) instead of failing to boot."""
    try:
        return make()
    except OSError as e:
        print("display: %r: running without it" % (e,))
        return None
