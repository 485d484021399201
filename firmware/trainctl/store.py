"""Persistent journey state: one file, two fixed-size slots written in turn, newest valid slot wins.

A record carries a sequence number and a CRC-16, so a write cut by a power failure leaves the other
slot intact. Writes happen on change (and the last fix every SAVE_FIX_S), never in a loop.
"""

import struct

from .compat import const

_MAGIC = const(0x5443)  # "TC"
_VERSION = const(1)
# magic, version, seq, then 14 signed ints, then CRC-16 of everything before it
_FMT = "<HHI14iH"
SIZE = struct.calcsize(_FMT)
SAVE_FIX_S = 600  # the last good fix is written at most this often on its own


def crc16(data, n):
    """CRC-16/CCITT-FALSE of data[:n]."""
    crc = 0xFFFF
    for i in range(n):
        crc ^= data[i] << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


class StateFile:
    """Two-slot state file at path (the board's flash, or a host file for replays)."""

    def __init__(self, path):
        self.path = path
        self.seq = 0
        self.slot = 0  # slot the next save writes
        self.saved_s = -1  # GPS time of the last save
        self.writes = 0
        self._rec = bytearray(SIZE)

    def load(self, j):
        """Restore journey j from the newest valid slot; False if none (fresh state kept)."""
        try:
            with open(self.path, "rb") as f:
                data = f.read(2 * SIZE)
        except OSError:
            return False
        best = None
        for s in range(2):
            rec = data[s * SIZE:(s + 1) * SIZE]
            if len(rec) < SIZE:
                continue
            v = struct.unpack(_FMT, rec)
            if v[0] != _MAGIC or v[1] != _VERSION or v[-1] != crc16(rec, SIZE - 2):
                continue
            if best is None or _newer(v[2], best[2]):
                best = v
                self.slot = 1 - s
        if best is None:
            return False
        self.seq = best[2]
        f = j.f
        (j.direction, j.leg, j.next_idx, j.at_stop, j.country, j.arrived_s, j.override, f.anchor_s,
         f.anchor_lat, f.anchor_lon, j.along_m, j.far_m, f.last_s, seg) = best[3:17]
        j.m.idx = seg if 0 <= seg < j.m.n else -1
        j.changed = False
        self.saved_s = f.last_s
        return True

    def due(self, j):
        return j.changed or (j.f.anchor_s >= 0 and j.f.anchor_s - self.saved_s >= SAVE_FIX_S)

    def save(self, j):
        """Write journey j into the older slot."""
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        rec = self._rec
        fl = j.f
        struct.pack_into(_FMT, rec, 0, _MAGIC, _VERSION, self.seq, j.direction, j.leg, j.next_idx,
                         j.at_stop, j.country, j.arrived_s, j.override, fl.anchor_s, fl.anchor_lat,
                         fl.anchor_lon, j.along_m, j.far_m, fl.last_s, j.m.idx, 0)
        c = crc16(rec, SIZE - 2)
        rec[SIZE - 2] = c & 0xFF
        rec[SIZE - 1] = c >> 8
        try:
            with open(self.path, "r+b") as f:  # in place: the other slot stays as it is
                f.seek(self.slot * SIZE)
                f.write(rec)
        except OSError:  # no file yet
            with open(self.path, "wb") as f:
                f.write(bytes(2 * SIZE))
                f.seek(self.slot * SIZE)
                f.write(rec)
        self.slot = 1 - self.slot
        self.saved_s = fl.last_s
        self.writes += 1
        j.changed = False


def _newer(a, b):
    """Sequence a is newer than b, modulo 2**32."""
    return ((a - b) & 0xFFFFFFFF) < 0x80000000 and a != b
