"""On the board, from deploy's raw REPL: {path: (size, sha256 hex)} of the top-level files, trainctl/ and lib/,
and the free bytes of the filesystem."""

import binascii
import hashlib
import os

_BUF = bytearray(512)


def _sha256(p):
    b = _BUF
    h = hashlib.sha256()
    m = memoryview(b)
    with open(p, "rb") as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(m[:n])
    return binascii.hexlify(h.digest()).decode()


def listing():
    r = {}
    for d in ("", "trainctl", "lib"):
        try:
            es = list(os.ilistdir(d)) if d else list(os.ilistdir())
        except OSError:
            continue
        for e in es:
            if e[1] & 0x4000:
                continue
            p = d + "/" + e[0] if d else e[0]
            r[p] = (os.stat(p)[6], _sha256(p))
    s = os.statvfs("/")
    return (r, s[0] * s[4])
