"""Controller: NMEA bytes in; journey updated, state persisted, display notified on change."""

from . import nmea
from .journey import Journey


class Controller:
    """Feed receiver bytes with feed(); on_display(self) runs whenever what passengers see changes."""

    def __init__(self, route, store=None, on_display=None, parser=None):
        """parser: a class taking on_fix, like nmea.Parser (the default); the host may pass an equivalent."""
        self.route = route
        self.journey = Journey(route)
        self.parser = (parser or nmea.Parser)(self._on_fix)
        self.store = store
        self.on_display = on_display
        self.utc_s = -1  # GPS time of the last epoch
        self.utc_ms = 0
        self.speed_cms = -1  # speed over ground of the last epoch, -1 none (no fix or not reported)
        # What the display shows now; compared after every epoch, without allocating.
        self.train = None
        self.utc_offset_min = None
        self.country = -1  # whose clock is shown: index into route.COUNTRIES, -1 unknown
        self.next_stop = -1
        self.destination = -1
        self.at_stop = -1
        self._shown = False
        self.restored = store is not None and store.load(self.journey)
        if self.restored:  # show the restored state at once, before any fix (clock from the last fix)
            self._after(self.journey.f.last_s)

    def feed(self, data, n=-1):
        self.parser.feed(data, n)

    def set_override(self, train):
        self.journey.set_override(train)
        self._after(self.utc_s)

    def clear_override(self):
        self.journey.clear_override()
        self._after(self.utc_s)

    def _on_fix(self, fix):
        self.utc_s = fix.utc_s
        self.utc_ms = fix.utc_ms
        self.speed_cms = fix.speed_cms if fix.valid else -1
        self.journey.update(fix)
        self._after(fix.utc_s)

    def _after(self, t):
        j = self.journey
        st = self.store
        if st is not None and st.due(j):
            st.save(j)
        train = j.train()
        off = j.utc_offset_min(t) if t >= 0 else None
        country = j.shown_country()
        nxt = j.next_stop()
        dest = j.destination()
        at = j.at_stop
        if (
            self._shown
            and train == self.train
            and off == self.utc_offset_min
            and country == self.country
            and nxt == self.next_stop
            and dest == self.destination
            and at == self.at_stop
        ):
            return
        self._shown = True
        self.train = train
        self.utc_offset_min = off
        self.country = country
        self.next_stop = nxt
        self.destination = dest
        self.at_stop = at
        cb = self.on_display
        if cb is not None:
            cb(self)
