"""Persistent journey state: one file, two fixed-size slots written in turn, newest valid slot wins.

A record carries a sequence number and a CRC-16, so a write cut by a power failure leaves the other
slot intact. A change of what the number or the clock depends on (direction, leg, crew override,
country) is written to both slots, one after the other: a slot damaged later can then only bring back
the same number and clock, never the ones before. The passenger counts (live count, and the
boardings/alightings of the stop in progress) are in the record too, written on every counted
crossing, so a cut loses none of them and a restore doubles none.

Writes: on change (stop, leg, border, counts) and the last fix every SAVE_FIX_S, never in a loop. The
file stays open (a save allocates nothing) and each save is one write of SIZE bytes and a flush.
"""

import struct

from micropython import const

from .journey import SAVED_SIZE

_MAGIC = const(0x5443)  # "TC"
_VERSION = const(3)  # 2: counts added; 3: override = journey.train_key(); another version: ignored (fresh state)
# A record: magic, version, seq (_HEAD); the journey (Journey.pack_into(), SAVED_SIZE bytes); onboard, count
# station, boardings, alightings, then the CRC-16 of everything before it (_TAIL). 56 bytes: the file (two
# slots, 112 bytes) stays under littlefs's inline limit (MicroPython: cache 4 x 32 = 128 bytes), so a save is
# one small commit to the directory's metadata log instead of a copied 4 KiB block.
_HEAD = const("<HHI")
_TAIL = const("<hhhhH")
_AT = const(8)  # the journey's offset: struct.calcsize(_HEAD)
SIZE = _AT + SAVED_SIZE + 10  # + struct.calcsize(_TAIL)
_CMAX = const(32767)  # counts saved up to this (int16)
SAVE_FIX_S = 600  # the last good fix is written at most this often on its own


def crc16(buf, n):
    """CRC-16/CCITT-FALSE of buf[:n], byte-wise (~8x fewer steps than bit-wise); the journey log uses it too."""
    crc = 0xFFFF
    for i in range(n):
        x = ((crc >> 8) ^ buf[i]) & 0xFF
        x ^= x >> 4
        crc = ((crc << 8) ^ (x << 12) ^ (x << 5) ^ x) & 0xFFFF
    return crc


class StateFile:
    """Two-slot state file at path (the board's flash, or a host file for replays). tally: the sensors'
    counter.Tally whose counts are saved and restored with the journey (None: counts not kept)."""

    def __init__(self, path, tally=None):
        self.path = path
        self.tally = tally
        self.seq = 0
        self.slot = 0  # slot the next save writes
        self.saved_s = -1  # GPS time of the last save
        self.writes = 0
        self.errors = 0  # OSError on write: that save is lost, the journey goes on
        self._rec = bytearray(SIZE)
        self._f = None
        self._num = -1  # direction, leg, override and country of the last save (see _num)
        self.count_station = -1  # load(): the stop whose counts were restored into the tally, -1 none
        self.hold = False  # True: save() only notes the journey, flush() writes it (the loop's quiet time)
        self.held = None  # the journey a held save() noted
        self._left = 0  # slots flush() still has to write for it
        self._hnum = -1  # _num() of the journey when it was held

    def load(self, j):
        """Restore journey j (and the tally) from the newest valid slot; False if none (fresh state kept)."""
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
            magic, version, seq = struct.unpack_from(_HEAD, rec, 0)
            if magic != _MAGIC or version != _VERSION or rec[SIZE - 2] | rec[SIZE - 1] << 8 != crc16(rec, SIZE - 2):
                continue
            if best is None or _newer(seq, self.seq):
                best = rec
                self.seq = seq
                self.slot = 1 - s
        if best is None:
            return False
        j.unpack_from(best, _AT)
        self._num = _num(j)
        self.saved_s = j.f.last_s
        tl = self.tally
        if tl is not None:
            onboard, st, b, a, _ = struct.unpack_from(_TAIL, best, _AT + SAVED_SIZE)
            tl.onboard = onboard if onboard > 0 else 0
            if 0 <= st < len(tl.boardings):  # the stop in progress at the cut: its counts go on from here
                tl.boardings[st] = b if b > 0 else 0
                tl.alightings[st] = a if a > 0 else 0
                self.count_station = st  # (tally.station stays for the journey's restored stop to set)
        return True

    def due(self, j):
        return j.changed or (j.f.anchor_s >= 0 and j.f.anchor_s - self.saved_s >= SAVE_FIX_S)

    def save(self, j):
        """Write journey j (and the tally) into the older slot; into both when the number may change. While
        hold is set, only noted: flush() writes the journey's state as it is then."""
        if self.hold:
            num = _num(j)
            if self.held is None or num != self._hnum:  # a new save, or the number changed since
                self._left = 2 if num != self._num else 1
                self._hnum = num
            self.held = j
            return
        num = _num(j)
        self._write(j)
        if num != self._num:
            self._write(j)
            self._num = num
        self.saved_s = j.f.last_s
        j.changed = False
        tl = self.tally
        if tl is not None:
            tl.dirty = False

    def flush(self):
        """Write one slot of the journey a held save() noted (two calls when the number may change, as save());
        False if nothing was held."""
        j = self.held
        if j is None:
            return False
        self._write(j)
        self._left -= 1
        if self._left <= 0:
            self.held = None
            self._num = _num(j)
            self.saved_s = j.f.last_s
            j.changed = False
            tl = self.tally
            if tl is not None:
                tl.dirty = False
        return True

    def _write(self, j):
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        rec = self._rec
        tl = self.tally
        onboard = st = b = a = -1
        if tl is not None:
            onboard = _c(tl.onboard)
            st = tl.station
            if st >= 0:
                b = _c(tl.boardings[st])
                a = _c(tl.alightings[st])
        struct.pack_into(_HEAD, rec, 0, _MAGIC, _VERSION, self.seq)
        j.pack_into(rec, _AT)
        struct.pack_into(_TAIL, rec, _AT + SAVED_SIZE, onboard, st, b, a, 0)
        c = crc16(rec, SIZE - 2)
        rec[SIZE - 2] = c & 0xFF
        rec[SIZE - 1] = c >> 8
        try:
            f = self._f
            if f is None:
                f = self._f = self._open()
            f.seek(self.slot * SIZE)
            f.write(rec)
            f.flush()
        except OSError:  # flash full or failing: counted; the next save tries again on a fresh handle
            self.errors += 1
            self.close()
            return
        self.slot = 1 - self.slot
        self.writes += 1

    def open(self):
        """Open the file now (boot), so that no save in the loop allocates; a failure is counted and the first
        save tries again."""
        if self._f is None:
            try:
                self._f = self._open()
            except OSError:
                self.errors += 1

    def _open(self):
        try:
            f = open(self.path, "r+b")  # noqa: SIM115 (held open: a save must not allocate)
        except OSError:  # no file yet
            f = open(self.path, "w+b")  # noqa: SIM115
        if f.seek(0, 2) < 2 * SIZE:  # new or truncated: both slots exist before either is written
            f.write(bytes(2 * SIZE - f.seek(0, 2)))
            f.flush()
        return f

    def close(self):
        f = self._f
        self._f = None
        if f is not None:
            try:  # noqa: SIM105 (no contextlib on MicroPython)
                f.close()
            except OSError:
                pass


def _c(n):
    return n if n < _CMAX else _CMAX


def _num(j):
    """What the number and the clock depend on: direction, leg, override, country."""
    return (((j.direction + 1) * 16 + j.leg) * 16 + j.override + 1) * 4 + j.country + 1


def _newer(a, b):
    """Sequence a is newer than b, modulo 2**32."""
    return ((a - b) & 0xFFFFFFFF) < 0x80000000 and a != b
