"""A synthetic fleet's journey logs (`python -m host_tools.board.fleet synth DIR`): each coach runs a journey a day
into the firmware's own JourneyLog, pulled now and then, for the fleet store's tests and benchmarks."""

import os
import random

from trainctl import codes, route_data
from trainctl.jlog import JourneyLog

from host_tools.common import utc


def synth(out_dir, days=365, coaches=("C01", "C02"), pulls_per_coach=500, seed=1, log=print):
    """A synthetic fleet: each coach runs a journey a day (alternate directions, every station, door openings,
    an occasional door alarm, fault and reboot) into the firmware's own JourneyLog (1024-record ring), with the
    audit trail as the firmware writes it (a boot and its coach ID before the time is known, the time known, the
    train number at departure and at the leg changes, the UTC offset at the border, now and then a GPS outage
    and a crew override set and cleared), and is pulled pulls_per_coach times over the days:
    jlog-<coach>-<n>.bin in out_dir. The files written."""
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for coach in coaches:
        written += _coach(out_dir, coach, days, pulls_per_coach, rng)
    log("%d pulled logs of %d coaches over %d days in %s" % (len(written), len(coaches), days, out_dir))
    return written


def _coach(out_dir, coach, days, pulls, rng):
    """One coach's days into its ring, copied out at pulls moments spread over them; the files written."""
    ring = os.path.join(out_dir, ".ring-%s" % coach)
    if os.path.exists(ring):
        os.remove(ring)
    jl = JourneyLog(ring, 1024)
    jl.load()
    t0 = utc.day_s("2026-01-01") - utc.EPOCH_UNIX
    pull_at = [int(days * 86400 * (k + 1) / pulls) for k in range(pulls)]
    written = []
    for day in range(days):
        _day(jl, rng, coach, t0 + day * 86400, day)
        while len(written) < pulls and pull_at[len(written)] <= (day + 1) * 86400:
            path = os.path.join(out_dir, "jlog-%s-%04d.bin" % (coach, len(written)))
            with open(ring, "rb") as f, open(path, "wb") as g:
                g.write(f.read())
            written.append(path)
    jl.close()
    os.remove(ring)
    return written


def _day(jl, rng, coach, midnight, day):
    """A boot (coach ID, time known), then the day's journey: every station, alternate directions."""
    t = midnight + rng.randint(6 * 3600, 9 * 3600)
    jl.add(-1, codes.K_BOOT, 0, -1, rng.choice((1, 1, 1, 3)), 0)
    cid = [ord(ch) for ch in coach[:6]] + [0] * (6 - len(coach[:6]))
    jl.add(-1, codes.K_COACH, cid[0], cid[1], cid[2] | cid[3] << 8, cid[4] | cid[5] << 8)
    up = rng.randint(25, 90)  # seconds to the first GPS time after boot
    jl.add(t + up, codes.K_CLOCK, 0, -1, up, 0)
    n_st = route_data.STATION_N
    order = range(n_st) if day % 2 == 0 else range(n_st - 1, -1, -1)
    d = day % 2
    onboard = 0
    override = rng.random() < 0.05
    for n, st in enumerate(order):
        _audit(jl, rng, t, n, st, d, override)
        t += rng.randint(20 * 60, 90 * 60)
        onboard = _stop(jl, rng, t, st, st == order[-1], onboard)


def _audit(jl, rng, t, n, st, d, override):
    """Before reaching station st (the n-th of the journey, direction d): the train number at departure and at the
    leg changes, a crew override set and cleared, the UTC offset at the border, now and then a GPS outage."""
    border = route_data.BORDER_ST
    if n == 0 or st == border[0] or st == border[1]:
        leg = 0 if n == 0 else 1 if st == border[d] else 2
        jl.add(t + 100, codes.K_NUMBER, 0, st, d * route_data.LEGS + leg, 0)
    if override and n == 3:
        jl.add(t + 70, codes.K_OVERRIDE, 1, st, d * route_data.LEGS, 0xFFFF)
    if override and n == 5:
        jl.add(t + 70, codes.K_OVERRIDE, 0, st, 0xFFFF, d * route_data.LEGS)
    if n and (st == border[1] if d == 0 else st == border[0]):
        new, old = (540, 480) if d == 0 else (480, 540)  # crossed the border before this stop
        jl.add(t + 600, codes.K_CLOCK, 2, -1, new, old)
    if n and rng.random() < 0.03:  # a tunnel or a cutting: no fix for a while
        lost = rng.randint(15, 400)
        jl.add(t + 300, codes.K_GPS, 0, -1)
        jl.add(t + 300 + lost, codes.K_GPS, 1, -1, lost, 0)


def _stop(jl, rng, t, st, last, onboard):
    """A stop at station st: a door opens (now and then its alarm), passengers board and alight (all at the last
    stop), now and then a fault. The passengers on board after it."""
    door = rng.randrange(4)
    jl.add(t, codes.EV_DOOR_OPEN, door, st)
    if rng.random() < 0.03:
        jl.add(t + 30, codes.EV_ALARM_ON, door, st)
        jl.add(t + 45, codes.EV_ALARM_OFF, door, st)
    jl.add(t + 120, codes.EV_DOOR_CLOSED, door, st)
    off = rng.randint(0, onboard)
    on = rng.randint(0, 30) if not last else 0
    off = onboard if last else off
    jl.add(t + 125, codes.K_STATION, st, -1, on, off)
    if rng.random() < 0.005:
        jl.add(t + 200, codes.K_FAULT, 0, st, 5, 0)
    return onboard + on - off
