"""Numbers the firmware shares with the tools that read its output: the journey log's record kinds (the
/jlog.bin format: trainctl/jlog.py), the coach's events, the toilets' states and
the kinds of passenger screen.

The one source: host_tools/build/consts.py writes private copies (`_EV_DOOR_OPEN = const(1)` in doors.py...) into
the modules that use them: folded by the compiler, they cost the board no RAM and no interned name. This module
is for hosts, tests and the crew tools; nothing imports it at boot.
"""

# Sensor events (trainctl/debounce.EventRing kinds; logged except single passengers).
EV_DOOR_OPEN = 1  # index: door (doors.DOOR_NAMES)
EV_DOOR_CLOSED = 2
EV_ALARM_ON = 3  # a door open while moving
EV_ALARM_OFF = 4
EV_FAULT = 5  # an exterior door open for fault_ms of moving time: contact fault suspected
EV_FAULT_CLEAR = 6
EV_IN = 16  # index: vestibule (0 A, 1 B); not logged
EV_OUT = 17  # not logged
EV_CLAMP = 18  # an "out" with nobody on board: clamped at 0, counted as a discrepancy
EV_STUCK = 19
EV_UNSTUCK = 20
EV_WC_OCCUPIED = 32  # index: toilet
EV_WC_FREE = 33
# The coach's own events (trainctl/coach.py; not logged).
EV_SHOWN = 48  # what passengers see changed (Coach.ctl)
EV_STATUS = 49  # the pages' status line changed (the configuration notice ended)
# The journey log's own records.
K_STATION = 64  # a stop ended: index = station, a = boardings, b = alightings
K_BOOT = 65  # a = reset cause (machine.reset_cause())
K_FAULT = 66  # index 0 display, 1 sensors raised (a = errno, 0 not OSError); 2 config file (a = problems)
# The audit trail (trainctl/coach.py Coach; K_OVERRIDE: trainctl/service.py); a, b: 16 bits (signed: two's
# complement); "a + 65536 b": one 32-bit number. Train key: direction * LEGS + leg, 65535 none.
K_COACH = 67  # after each boot's K_BOOT: the coach ID (config "coach"), 6 ASCII bytes: index, station, a, b
K_NUMBER = 68  # the train number shown changed: a = its train key, b = 1 the crew's override
K_CLOCK = 69  # 0: time known, a + 65536 b = uptime s (boot: utc_s minus it); 1: GPS clock step (s, signed)
# a + 65536 b; 2: the UTC offset shown changed, a = new, b = old (minutes)
K_OVERRIDE = 70  # the crew's override: index 1 set, 0 cleared; a = train key set, b = the one before
K_GPS = 71  # 0: fixes lost (utc_s: the last, none since for 10 s); 1: regained, a + 65536 b = outage s
# A toilet's state (sensors.WcMonitor.status).
WC_FREE = 0
WC_OCCUPIED = 1
WC_CLOSED = 2  # locked out at a station (lockout rule on), nobody inside
# What a passenger screen is (pages.Pages.kind): the rotation, or an alert, highest priority last.
PAGE_ROTATE = 0  # pages.Pages.kind: the rotation
PAGE_ARRIVAL = 1  # the arrival alert
PAGE_BORDER = 2  # the border (clock change) alert
PAGE_TRAIN = 3  # the train-number change alert

# The coach's subsystems, as slots of Coach.faults (exceptions caught) and Coach.rest_ms (time it rests after one).
F_DISPLAY = 0  # Coach.faults slot: the display (trainctl.hw.Panel)
F_SENSORS = 1  # the door, passenger and toilet inputs
F_CONFIG = 2  # the configuration file
F_AUDIO = 3  # the announcements (trainctl.announce)
