"""NMEA 0183 sentences written on the host (synthetic journeys, fuzzing seeds): the checksum and the framing, one
way. The firmware's parser (trainctl/nmea*.py) checks them; the fake machine's UART (MicroPython) has its own
check."""


def checksum(body):
    """XOR of the bytes between '$' and '*' (str or bytes), folded as one big integer (fast for whole lines)."""
    data = body.encode("ascii") if isinstance(body, str) else body
    n = len(data)
    x = int.from_bytes(data, "little")
    while n > 1:
        half = (n + 1) // 2
        x = (x & ((1 << (8 * half)) - 1)) ^ (x >> (8 * half))
        n = half
    return x


def sentence(body):
    """'$' + body + '*HH' (str, no line end)."""
    return "$%s*%02X" % (body, checksum(body))


def line(body):
    """b'$' + body + b'*HH\\r\\n' (body str or bytes), as a receiver sends it."""
    data = body.encode("ascii") if isinstance(body, str) else body
    return b"$%s*%02X\r\n" % (data, checksum(data))


def valid(raw):
    """True when raw (bytes: one line, CR/LF optional, anything before its last '$' ignored) holds a sentence with
    a right checksum."""
    raw = raw.rstrip(b"\r\n")
    start = raw.rfind(b"$")
    if start < 0:
        return False
    text = raw[start:]
    star = text.find(b"*")
    if star < 0 or len(text) != star + 3:
        return False
    try:
        return int(text[star + 1:], 16) == checksum(text[1:star])
    except ValueError:
        return False
