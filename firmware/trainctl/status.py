"""The live status for the depot (issue 17): the running loop (app.App) answers the console request line
`status` with one line, read-only, without stopping the display or resetting; host_tools/board/crew.py
`status` asks for it. Imported at the first request, so the boot does not pay for it.

    status fw=0.1.0 route=1a2b/17 coach=C01 config=coach:C01,wc_lockout:0,brightness:8,door_alarm_kmh:5 ...

key=value pairs, values without spaces ('-': not known): see line().
"""

import gc

from . import VERSION
from .store import crc16

_crc = -1  # of the route's segments: its version (computed once: ~8 KB)


def answer(app, q):
    """q: the request line (bytearray: length in byte 0). Prints the answer through app.log."""
    n = q[0]
    if bytes(q[1:n + 1]).strip() == b"status":
        app.log(line(app))
    else:
        app.log("status: unknown request (ask: status)")


def _bits(out, first, n):
    s = ""
    for i in range(first, first + n):
        s += "1" if out[i] else "0"
    return s


def line(app):
    """One line of key=value: versions, coach ID, configuration, fix age and quality, position and journey
    state, inputs' levels, fault counters, free RAM and flash, uptime, last reset cause."""
    global _crc
    route = app.route
    if _crc < 0:
        _crc = crc16(route.SEG, len(route.SEG))
    c = app.coach
    ctl = c.ctl
    j = ctl.journey
    cfg = c.config
    au = c._au
    out = ["status fw=%s route=%04x/%d" % (VERSION, _crc, route.STATION_N)]
    out.append("coach=%s" % (cfg.coach if cfg is not None and cfg.coach else "-"))
    if cfg is None:
        out.append("config=defaults")
    else:
        out.append("config=" + ",".join("%s:%s" % (k, (int(v) if v is True or v is False else v) if v != "" else "-")
                                        for k, v in cfg.as_pairs()))
        out.append("config_problems=%d" % len(cfg.problems))
    fx = getattr(ctl.parser, "fix", None)
    if au is not None and au[2] >= 0:  # the audit trail: the last valid fix, the ms since (coach.py _A_FIX, _A_GAP)
        out.append("fix_age_s=%d" % (au[3] // 1000))
    else:
        out.append("fix_age_s=-")
    if fx is not None:
        out.append("fix=%d quality=%d sats=%d hdop=%d.%02d type=%d lat_udeg=%d lon_udeg=%d" % (
            1 if fx.valid else 0, fx.quality, fx.sats_used, fx.hdop_c // 100 if fx.hdop_c >= 0 else -1,
            fx.hdop_c % 100 if fx.hdop_c >= 0 else 0, fx.fix_type, fx.lat_udeg, fx.lon_udeg))
    out.append("utc_s=%d train=%s override=%d direction=%d leg=%d along_m=%d at=%d next=%d to=%d country=%d "
               "utc_offset_min=%s" % (
                   ctl.utc_s, ctl.train or "-", j.override, j.direction, j.leg, j.along_m, ctl.at_stop,
                   ctl.next_stop, ctl.destination, ctl.country,
                   "-" if ctl.utc_offset_min is None else ctl.utc_offset_min))
    sens = c.sensors
    if sens is not None:
        o = sens.deb.out  # debounced: 0-3 doors, 4-5 gangways, 6-9 beams, 10-11 toilets
        out.append("doors=%s gangways=%s beams=%s wc=%s onboard=%d" % (
            _bits(o, 0, 4), _bits(o, 4, 2), _bits(o, 6, 4), _bits(o, 10, 2), sens.tally.onboard))
    else:
        out.append("sensors=none")
    p = app.panel
    jl = c.jlog
    st = c.store
    out.append("faults_display=%d faults_sensors=%d bus_errors=%d frames=%d log_errors=%d state_errors=%d "
               "nmea_bad=%d" % (c.faults[0], c.faults[1], p.errors if p else 0, p.frames if p else 0,
                                jl.errors if jl else 0, st.errors if st else 0,
                                ctl.parser.stats.bad_checksum if hasattr(ctl.parser, "stats") else 0))
    gc.collect()
    free = getattr(gc, "mem_free", None)
    flash = -1
    try:
        import os

        v = os.statvfs("/")
        flash = v[0] * v[4]
    except Exception:  # no statvfs on this port
        pass
    out.append("free=%d flash_free=%d" % (free() if free else -1, flash))
    out.append("uptime_s=%s loops=%d reset=%d" % (au[7] if au is not None else "-", app.loops,
                                                   getattr(app.hw, "reset_cause", 0)))
    return " ".join(out)
