"""The virtual board's capture file writer (format: machine.py's docstring): records of the display buses, pins,
time syncs and audio, long repeated transactions written once."""

import struct
import time as _t

try:
    import hashlib
except ImportError:  # a build without hashlib: no repeat detection
    hashlib = None

_HDR = "<BBIH"
_HDR_LEN = 8
_REPEAT_MIN = 32
_CACHE = 32


class _Capture:
    """The capture file writer (see the module docstring)."""

    def __init__(self, path):
        self.f = open(path, "wb")  # noqa: SIM115 (open for the whole run)
        self.f.write(b"VBCAP1\n")
        self.pos = 7
        self.hdr = bytearray(_HDR_LEN)
        # SHA-256 prefixes of the last _CACHE long transactions; allocated now, so the heap stays flat
        self.digests = [bytes(8) for _ in range(_CACHE)]
        self.offsets = [-1] * _CACHE
        self.next = 0
        self.last = {}  # chan key -> digest of the previous long transaction there
        self.records = 0
        self.repeats = 0
        self.skipped = 0

    def record(self, kind, chan, data, extra=None):
        """Write one record: data (bytes-like), or the buffers of a list when extra is that list."""
        n = len(data) if extra is None else sum(len(b) for b in extra)
        struct.pack_into(_HDR, self.hdr, 0, kind, chan, _t.now_ms() & 0xFFFFFFFF, n)
        self.f.write(self.hdr)
        if extra is None:
            self.f.write(data)
        else:
            for b in extra:
                self.f.write(b)
        self.pos += _HDR_LEN + n
        self.records += 1

    def transaction(self, kind, chan, key, bufs):
        """A bus transaction made of the buffers in bufs (a list)."""
        n = 0
        for b in bufs:
            n += len(b)
        if n < _REPEAT_MIN or hashlib is None:
            self.record(kind, chan, None, bufs)
            if key in self.last:  # a command (e.g. a page address) between two equal frames: not a repeat
                del self.last[key]
            return
        h = hashlib.sha256()
        for b in bufs:
            h.update(b)
        d = h.digest()[:8]
        if self.last.get(key) == d:
            self.skipped += 1
            return
        self.last[key] = d
        digests = self.digests
        for i in range(_CACHE):
            if digests[i] == d and self.offsets[i] >= 0:
                self.last[key] = digests[i]  # the ring's own object: no 33rd digest kept alive
                self.record(ord("R"), chan, struct.pack("<I", self.offsets[i]))
                self.repeats += 1
                return
        i = self.next
        self.next = (i + 1) % _CACHE
        digests[i] = d
        self.offsets[i] = self.pos
        self.record(kind, chan, None, bufs)

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None
