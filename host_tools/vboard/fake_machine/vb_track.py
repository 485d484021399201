"""The GPS track the virtual UART plays (VBOARD_TRACK): an NMEA file read one epoch at a time, never whole."""

from vb_board import _days


def _nmea_ok(line):
    """The line's checksum is right."""
    star = line.find(b"*")
    if star < 1 or line[0] != 36:
        return False
    x = 0
    for i in range(1, star):
        x ^= line[i]
    try:
        return int(line[star + 1:star + 3], 16) == x
    except ValueError:
        return False


class _Track:
    """An NMEA file read one epoch at a time."""

    def __init__(self, path, pace_track):
        self.f = open(path, "rb")  # noqa: SIM115 (open for the whole run)
        self.pace_track = pace_track
        self.pending = None  # first line of the next epoch
        self.key = None  # its time field
        self.eof = False
        self.t0_s = -1  # track time (s of day) of the first epoch, pace=track
        self.prev_s = -1
        self.base_ms = 0
        self.epochs = 0
        self.day_s = -1  # GPS date (seconds since 1970 at 00:00) from the last RMC with a good checksum
        self.sod = -1  # second of the day of the epoch being released
        self._lead = []
        line = self.f.readline()
        while line:
            k = self._key(line)
            if k is not None:
                self.pending, self.key = line, k
                break
            self._lead.append(line)  # lines before the first epoch go out with it
            line = self.f.readline()
        if self.pending is None:
            self.eof = True

    @staticmethod
    def _key(line):
        """The time field of an RMC/GGA/ZDA line (6 digits at least), or None."""
        if len(line) < 14 or line[0] != 36 or line[6] != 44:
            return None
        a, b, c = line[3], line[4], line[5]
        if not ((a == 82 and b == 77 and c == 67) or (a == 71 and b == 71 and c == 65)
                or (a == 90 and b == 68 and c == 65)):
            return None
        end = line.find(b",", 7)
        if end < 13:
            return None
        k = line[7:end]
        for i in range(6):
            if not 48 <= k[i] <= 57:
                return None
        return k

    def due_ms(self):
        """Virtual ms at which the pending epoch is released."""
        if not self.pace_track:
            return self.epochs * 1000
        k = self.key
        s = int(k[0:2]) * 3600 + int(k[2:4]) * 60 + int(k[4:6])
        if self.t0_s < 0:
            self.t0_s = s
            self.prev_s = s
        d = s - self.prev_s
        if d < -43200:
            d += 86400  # midnight
        if d < 0 or d > 600:
            d = 1
        return self.base_ms + 1000 * d

    def release(self, sink):
        """Hand the pending epoch's lines to sink(line); read up to the next epoch."""
        k = self.key
        s = int(k[0:2]) * 3600 + int(k[2:4]) * 60 + int(k[4:6])
        if self.pace_track:
            self.base_ms = self.due_ms()
            self.prev_s = s
        if self.sod >= 0 and s < self.sod - 43200 and self.day_s >= 0:
            self.day_s += 86400
        self.sod = s
        for ln in self._lead:
            sink(ln)
        self._lead = []
        line = self.pending
        while True:
            if self.day_s < 0 or (self.epochs % 60 == 0):
                self._date(line)
            sink(line)
            line = self.f.readline()
            if not line:
                self.eof = True
                self.pending = None
                break
            k2 = self._key(line)
            if k2 is not None and k2 != k:
                self.pending, self.key = line, k2
                break
        self.epochs += 1

    def _date(self, line):
        """GPS date from an RMC line (field 9, ddmmyy) with a good checksum."""
        if len(line) < 20 or line[3] != 82 or line[4] != 77 or not _nmea_ok(line):
            return
        f = line.split(b",")
        if len(f) > 9 and len(f[9]) == 6:
            try:
                d = f[9]
                self.day_s = _days(2000 + int(d[4:6]), int(d[2:4]), int(d[0:2])) * 86400
            except ValueError:
                pass
