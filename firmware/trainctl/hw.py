"""What a board file hands to the app: built hardware objects and the loop's periods, nothing else."""


class Hardware:
    """name: board name for the boot line; uart: GPS UART (any(), readinto()); display: a
    framebuf.FrameBuffer subclass with show(), width, height, or None; wdt: feed(), or None;
    state_path: the state file on flash; inputs: {name: callable returning 0/1} (doors, beams, WC);
    alarm: callable taking 0/1 (buzzer/lamp), or None; keep_alive: callable that keeps the watchdog fed
    (from a timer) once the loop is stopped from the console for service, or None; jlog_path: the
    journey log on flash (door events, alarms, boardings per station), or None; reset_cause:
    machine.reset_cause() (power-on, watchdog, brown-out...); config_path: the optional configuration
    file (trainctl.config), or None."""

    def __init__(self, name, uart, display=None, wdt=None, state_path=None, inputs=None, alarm=None,
                 poll_ms=10, frame_ms=40, keep_alive=None, jlog_path=None, reset_cause=0, config_path=None):
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
