"""Journey log: a bounded ring of fixed 16-byte records in one preallocated flash file (/jlog.bin).

Record, little-endian ("<HBBiBbHHH"):
  0 u16 seq low, 2 u8 seq high (24-bit sequence, compared modulo 2**24), 3 u8 kind,
  4 i32 utc_s (GPS UTC seconds since 2020-01-01, clock.py), 8 u8 index (door/vestibule/WC/station),
  9 i8 station (-1 none), 10 u16 a, 12 u16 b, 14 u16 CRC-16/CCITT-FALSE of bytes 0..13.
Records never straddle a 256-byte flash page. A torn or corrupt record fails its CRC and is skipped.

Kinds: trainctl/codes.py (sensor events 1-33, the log's own records 64-66). Log events that matter, never
single passengers: door open/close, alarms, faults, clamps, stuck beams, one K_STATION per stop.
A 24 h run with 12 stops and 4 door openings per stop: 96 door + 12 station + ~10 alarm/fault/boot
records = ~120 writes; 1024 records (16 KiB) hold about 8 days, a Beijing-Pyongyang round trip and
more. Each add() is one 16-byte write and a sync: littlefs copies the record's 4 KiB block and the
blocks after it (at most 4), ~300 block erases a day spread over the whole filesystem.
"""

import struct

from micropython import const

from .store import crc16

_FMT = const("<HBBiBbHHH")
SIZE = const(16)
_MASK = const(0xFFFFFF)  # sequence modulus 2**24 - 1: stays a small int on 32-bit ports
_HALF = const(0x800000)
_QUEUE = const(32)  # records held in RAM while hold is set (a station stop's doors and alarms: 512 B)


def _valid(rec):
    return crc16(rec, 14) == rec[14] | rec[15] << 8


def _newer(a, b):
    """Sequence a is newer than b, modulo 2**24."""
    return a != b and ((a - b) & _MASK) < _HALF


class JourneyLog:
    """Ring of `records` records in the file at path; load() once at boot, then add()."""

    def __init__(self, path, records=1024):
        if records < 2 or records > 65535:
            raise ValueError("records")
        self.path = path
        self.n = records
        self.seq = 0  # sequence of the newest record (the first one written is 1)
        self.slot = 0  # slot the next add() writes
        self.valid = 0  # valid records found by load()
        self.bad = 0  # records load() skipped: torn or corrupt (blank ones not counted)
        self.writes = 0
        self.errors = 0  # OSError on write: the record is lost, the caller goes on
        self._rec = bytearray(SIZE)
        self._f = None
        # hold: records wait in RAM for flush() (the loop calls it in the quiet part of the GPS second: a
        # flash erase stops the CPU while the UART FIFO overflows); a full queue is written at once.
        self.hold = False
        self._q = bytearray(_QUEUE * SIZE)
        self.queued = 0
        self.room = _QUEUE

    def load(self):
        """Open (creating or padding it to full size) and find the newest valid record; returns valid."""
        try:
            f = open(self.path, "r+b")  # noqa: SIM115 (held open: add() must not allocate)
        except OSError:
            f = open(self.path, "w+b")  # noqa: SIM115
        size = f.seek(0, 2)
        full = self.n * SIZE
        while size < full:  # preallocate: later writes never grow the file
            k = min(full - size, 1024)
            f.write(bytes(k))
            size += k
        f.flush()
        f.seek(0)
        rec = self._rec
        self.valid = self.bad = self.seq = 0
        best = -1
        for s in range(self.n):
            if f.readinto(rec) != SIZE:
                break
            if not _valid(rec):
                if any(rec):
                    self.bad += 1
                continue
            self.valid += 1
            q = rec[0] | rec[1] << 8 | rec[2] << 16
            if best < 0 or _newer(q, self.seq):
                best = s
                self.seq = q
        self.slot = 0 if best < 0 else (best + 1) % self.n
        self._f = f
        return self.valid

    def add(self, utc_s, kind, index, station=-1, a=0, b=0):
        """Write one record in the next slot (allocates nothing once loaded); False if the write failed.
        a, b: 0..65535 (masked)."""
        f = self._f
        if f is None:  # first use: open (allocates)
            try:
                self.load()
            except OSError:
                self.errors += 1
                return False
            return self.add(utc_s, kind, index, station, a, b)
        if self.hold and self.queued >= _QUEUE:
            self.flush(1)  # the oldest goes now: one flash write, not the queue
        seq = (self.seq + 1) & _MASK
        rec = self._rec
        struct.pack_into(_FMT, rec, 0, seq & 0xFFFF, seq >> 16, kind, utc_s, index, station,
                         a & 0xFFFF, b & 0xFFFF, 0)
        c = crc16(rec, 14)
        rec[14] = c & 0xFF
        rec[15] = c >> 8
        if self.hold:
            q = self._q
            o = self.queued * SIZE
            for i in range(SIZE):
                q[o + i] = rec[i]
            self.queued += 1
            self.seq = seq
            return True
        return self._put(rec, seq)

    def flush(self, most=_QUEUE):
        """Write up to `most` of the records held in RAM, oldest first; False if one failed (counted)."""
        ok = True
        q = self._q
        rec = self._rec
        n = self.queued if self.queued < most else most
        for k in range(n):
            for i in range(SIZE):
                rec[i] = q[k * SIZE + i]
            if not self._put(rec, -1):
                ok = False
        for i in range((self.queued - n) * SIZE):  # the rest move to the front
            q[i] = q[n * SIZE + i]
        self.queued -= n
        return ok

    def _put(self, rec, seq):
        f = self._f
        if f is None:  # closed since: the record is lost, counted
            self.errors += 1
            return False
        try:
            f.seek(self.slot * SIZE)
            f.write(rec)
            f.flush()  # littlefs: lfs_file_sync commits the record
        except OSError:
            self.errors += 1
            return False
        if seq >= 0:
            self.seq = seq
        self.slot = (self.slot + 1) % self.n
        self.writes += 1
        return True

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

    def records(self):
        """Valid records oldest first, as (seq, utc_s, kind, index, station, a, b) (host/debug: allocates)."""
        out = []
        try:
            with open(self.path, "rb") as f:
                data = f.read(self.n * SIZE)
        except OSError:
            return out
        newest = -1
        for s in range(len(data) // SIZE):
            rec = data[s * SIZE:(s + 1) * SIZE]
            if _valid(rec):
                v = struct.unpack(_FMT, rec)
                q = v[0] | v[1] << 16
                out.append((q, v[3], v[2], v[4], v[5], v[6], v[7]))
                if newest < 0 or _newer(q, newest):
                    newest = q
        out.sort(key=lambda r: (r[0] - newest - 1) & _MASK)
        return out
