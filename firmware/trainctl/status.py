"""The live status for the depot (issue 17): the running loop (app.App) answers the console request line
`status` with one line, read-only, without stopping the display or resetting; host_tools/board/crew.py
`status` asks for it. Loaded for a request and dropped after (app.App._ask): the boot and the loop keep none
of its RAM. The line is printed in parts (no big string: the heap after boot is small and fragmented):

    status fw=0.1.0 route=c1d0/17 coach=C01 config=coach:C01,wc_lockout:0,brightness:8,door_alarm_kmh:5 ...

key=value pairs, values without spaces ('-': not known); the parts: see PARTS.
"""

import gc

from . import VERSION


def _versions(app):
    from .store import crc16

    r = app.route
    cfg = app.coach.config
    return "fw=%s route=%04x/%d coach=%s" % (VERSION, crc16(r.SEG, len(r.SEG)), r.STATION_N,
                                             cfg.coach if cfg is not None and cfg.coach else "-")


def _config(app):
    cfg = app.coach.config
    if cfg is None:
        return "config=defaults config_problems=0"
    s = "config="
    for k, v in cfg.as_pairs():
        s += "%s:%s," % (k, (1 if v else 0) if v is True or v is False else v if v != "" else "-")
    return s[:-1] + " config_problems=%d" % len(cfg.problems)


def _fix(app):
    au = app.coach._au  # the audit trail: the last valid fix, the ms since (coach.py _A_FIX, _A_GAP)
    s = "fix_age_s=%s" % (au[3] // 1000 if au is not None and au[2] >= 0 else "-")
    fx = getattr(app.ctl.parser, "fix", None)
    if fx is None:
        return s
    h = fx.hdop_c
    return s + " fix=%d quality=%d sats=%d hdop=%s type=%d lat_udeg=%d lon_udeg=%d" % (
        1 if fx.valid else 0, fx.quality, fx.sats_used, "%d.%02d" % (h // 100, h % 100) if h >= 0 else "-",
        fx.fix_type, fx.lat_udeg, fx.lon_udeg)


def _journey(app):
    ctl = app.ctl
    j = ctl.journey
    off = ctl.utc_offset_min
    return "utc_s=%d train=%s override=%d direction=%d leg=%d along_m=%d at=%d next=%d to=%d country=%d " \
           "utc_offset_min=%s" % (ctl.utc_s, ctl.train or "-", j.override, j.direction, j.leg, j.along_m,
                                  ctl.at_stop, ctl.next_stop, ctl.destination, ctl.country, "-" if off is None else off)


def _bits(out, first, n):
    s = ""
    for i in range(first, first + n):
        s += "1" if out[i] else "0"
    return s


def _inputs(app):
    sens = app.coach.sensors
    if sens is None:
        return "sensors=none"
    o = sens.deb.out  # debounced: 0-3 doors, 4-5 gangways, 6-9 beams, 10-11 toilets
    return "doors=%s gangways=%s beams=%s wc=%s onboard=%d" % (
        _bits(o, 0, 4), _bits(o, 4, 2), _bits(o, 6, 4), _bits(o, 10, 2), sens.tally.onboard)


def _faults(app):
    c = app.coach
    p = app.panel
    jl = c.jlog
    st = c.store
    ps = getattr(c.ctl.parser, "stats", None)
    return "faults_display=%d faults_sensors=%d bus_errors=%d frames=%d log_errors=%d state_errors=%d " \
           "nmea_bad=%d" % (c.faults[0], c.faults[1], p.errors if p else 0, p.frames if p else 0,
                            jl.errors if jl else 0, st.errors if st else 0, ps.bad_checksum if ps else 0)


def _system(app):
    gc.collect()
    free = getattr(gc, "mem_free", None)
    flash = -1
    try:
        import os

        v = os.statvfs("/")
        flash = v[0] * v[4]
    except Exception:  # no statvfs on this port
        pass
    au = app.coach._au
    return "free=%d flash_free=%d uptime_s=%s loops=%d reset=%d" % (
        free() if free else -1, flash, au[7] if au is not None else "-", app.loops,
        getattr(app.hw, "reset_cause", 0))


PARTS = (_versions, _config, _fix, _journey, _inputs, _faults, _system)


def line(app):
    """The whole line (for hosts and tests: one string)."""
    return "status " + " ".join(f(app) for f in PARTS)


def answer(app):
    """Prints the answer on the console, part by part."""
    print("status", end="")
    for f in PARTS:
        print(" " + f(app), end="")
    print()
