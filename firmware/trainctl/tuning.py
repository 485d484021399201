"""The journey's tuning, in the units named: the one source of the private constants that
host_tools/build/consts.py writes into the journey's modules (journey.py, legs.py, direction.py). Nothing
imports this module on the board; hosts and tests may.
"""

NONE = -1  # no station, direction, time...
FAR = 0x3FFFFFFF  # further than any distance on the route (a small int on 32-bit ports)
STOP_CMS = 80  # below this (2.9 km/h) the train counts as stopped
DWELL_S = 20  # stopped this long inside a station zone = arrived
ZONE_M = 800  # station zone: this near its point (and along the route either side)
RISE_M = 1000  # a station's distance risen this far from the least seen = moving away from it
PASS_M = 2000  # and at least this far from it: beyond it (confirmed by the distance)
NEAR_ST_M = 3000  # a cold start: the train passed this near a station and leaves it at speed
TOL_UNIT_M = 100  # route_data.SEG_TOL unit
N_END = 0  # Journey._near's slots: least distance to the leg's end station
N_NEXT = 1  # to the next stop
N_WMIN = 2  # to the station watched while the direction is unknown
N_W = 3  # that station
LOST_ARRIVAL_S = 90  # fixes lost this long after entering the end station's zone slowly = arrived
SLOW_CMS = 834  # 30 km/h: "slowly"
DIR_M = 4000  # travel away from a terminus after arrival that starts the way back
DIR_FAR_M = 4000  # + twice the line's tolerance (7 km on OSM's line): net travel deciding an unknown direction
REVERSE_M = 25000  # travel back from the furthest point that reverses a known direction
BORDER_HYST_M = 50  # hysteresis either side of the border
BACK_M = 100  # moving back this far (3 fixes, slowly) inside the leg's end station zone = arrived
LEAVE_M = 400  # running this far on from where it stood (3 fixes above SLOW_CMS) = left the stop
TURNAROUND_S = 10800  # 3 h: standing at a terminus after arrival this long = ready for the way back
