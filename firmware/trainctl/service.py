"""Crew service from the USB console: see and correct the saved journey state, then reset the board.

Physical access only: the firmware opens no network service. Ctrl-C on the console stops the main loop
(the watchdog is kept fed); then, at the REPL (or with `python -m host_tools.board.crew` from a laptop):

    from trainctl import service
    service.show()            # what the display will show after a reset
    service.override("95")    # show train 95 until cleared (ValueError for a train the route lacks)
    service.clear()           # back to the number the journey works out
    service.set_onboard(31)   # the live passenger count, as counted by the crew

and reset the board: the firmware restores the state file at boot. Each change is written the way the
firmware writes it (store.StateFile, both slots when the number changes) and keeps the saved passenger
counts. Nothing here resets the board.
"""

from .counter import Tally
from .journey import Journey
from .store import StateFile
from .text import station_en

STATE_PATH = "/state.bin"  # boards/esp32, boards/rp2040: Hardware state_path
MAX_ONBOARD = 999  # a coach seats far fewer; a larger number is a typing error


def _route(route):
    if route is None:
        from . import route_data

        return route_data
    return route


def _load(path, route):
    """(StateFile, Journey, Tally, loaded): the saved state, or a fresh one if there is no valid state."""
    j = Journey(route)
    tl = Tally(route.STATION_N)
    st = StateFile(path, tl)
    ok = st.load(j)
    # StateFile.load puts the counts of the stop in progress back in their station's slot but leaves
    # tally.station to the firmware's restored stop; here nothing runs in between, so the save below
    # must write them for the same stop.
    tl.station = st.count_station
    return st, j, tl, ok


def _line(route, j, tl, ok):
    train = j.train()
    ov = j.override
    leg = ov % route.LEGS if ov >= 0 else (j.leg if j.direction >= 0 else -1)
    return "train=%s to=%s leg=%s at=%s next=%s override=%s onboard=%d state=%s" % (
        train if train is not None else "-",
        station_en(route, j.destination()),
        leg if leg >= 0 else "-",
        station_en(route, j.at_stop),
        station_en(route, j.next_stop()),
        route.TRAIN[ov // route.LEGS][ov % route.LEGS] if ov >= 0 else "-",
        tl.onboard,
        "saved" if ok else "none",
    )


def _save(st, j, route, tl):
    try:
        st.save(j)
    finally:
        st.close()
    if st.errors:
        raise OSError("%s: write failed" % st.path)
    print(_line(route, j, tl, True))


def show(path=STATE_PATH, route=None):
    """Print and return one line: what the display shows after a reset (state=none: nothing valid
    saved, a fresh journey). The changes below print the same line for the state they saved."""
    route = _route(route)
    st, j, tl, ok = _load(path, route)
    line = _line(route, j, tl, ok)
    print(line)
    return line


def check_train(train, route=None):
    """The train number as the route spells it ("95" for 95 typed as a number); ValueError naming the
    route's trains if it has no such train. host_tools/board/crew.py checks with this before connecting."""
    route = _route(route)
    if isinstance(train, int) and not isinstance(train, bool):
        train = str(train)
    trains = [t for d in route.TRAIN for t in d]
    if train not in trains:
        raise ValueError("no train %r on this route; trains: %s" % (train, " ".join(trains)))
    return train


def check_onboard(n):
    """n if it can be the live count (0..MAX_ONBOARD), else ValueError."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > MAX_ONBOARD:
        raise ValueError("onboard: a whole number 0..%d, not %r" % (MAX_ONBOARD, n))
    return n


def override(train, path=STATE_PATH, route=None):
    """Show `train` (e.g. "95") from the next boot on, until clear(). ValueError if the route has no
    such train (the file is then left as it was)."""
    route = _route(route)
    train = check_train(train, route)
    st, j, tl, _ = _load(path, route)
    j.set_override(train)
    _save(st, j, route, tl)


def clear(path=STATE_PATH, route=None):
    """Remove the crew override: the journey's own number is shown from the next boot on."""
    route = _route(route)
    st, j, tl, _ = _load(path, route)
    j.clear_override()
    _save(st, j, route, tl)


def set_onboard(n, path=STATE_PATH, route=None):
    """Set the live passenger count to n (0..MAX_ONBOARD), as counted by the crew."""
    check_onboard(n)
    route = _route(route)
    st, j, tl, _ = _load(path, route)
    tl.set_onboard(n)
    _save(st, j, route, tl)
