"""Property tests of the NMEA parser (CPython, hypothesis), with pynmea2 as an independent oracle."""

import pynmea2
from hyp import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portable.nmeagen import sentence
from trainctl import nmea

TALKERS = st.sampled_from(["GP", "GN", "GL", "GA", "GB", "BD", "GQ", "GI"])
LAT = st.floats(-89.99999, 89.99999, allow_nan=False)
LON = st.floats(-179.99999, 179.99999, allow_nan=False)


def fmt(v, deg_digits):
    a = abs(v)
    d = int(a)
    m = round((a - d) * 60, 5)
    if m >= 60:
        d, m = d + 1, 0.0
    return ("%0*d%08.5f" % (deg_digits, d, m)), v


def rmc_body(talker, lat, lon, kn, hh, mm, ss, day):
    la, _ = fmt(lat, 2)
    lo, _ = fmt(lon, 3)
    return "%sRMC,%02d%02d%02d.00,A,%s,%s,%s,%s,%.3f,,%02d1126,,,A,V" % (
        talker, hh, mm, ss, la, "N" if lat >= 0 else "S", lo, "E" if lon >= 0 else "W", kn, day)


def parse_all(data, chunks=None):
    out = []
    p = nmea.Parser(lambda f: out.append((f.utc_s, f.valid, f.lat_udeg, f.lon_udeg, f.speed_cms)))
    if chunks is None:
        p.feed(data)
    else:
        i = 0
        for c in chunks:
            p.feed(memoryview(data)[i:i + c])
            i += c
        p.feed(data[i:])
    return p, out


@settings(max_examples=examples(300))
@given(TALKERS, LAT, LON, st.floats(0, 999, allow_nan=False), st.integers(0, 23), st.integers(0, 59),
       st.integers(0, 59), st.integers(1, 30))
def test_rmc_matches_pynmea2(talker, lat, lon, kn, hh, mm, ss, day):
    body = rmc_body(talker, lat, lon, kn, hh, mm, ss, day)
    p, out = parse_all(sentence(body))
    ref = pynmea2.parse(sentence(body).decode().strip())
    assert len(out) == 1 and out[0][1]
    # pynmea2 gives float degrees; ours are micro-degrees, rounded
    assert abs(out[0][2] - ref.latitude * 1e6) <= 0.6
    assert abs(out[0][3] - ref.longitude * 1e6) <= 0.6
    assert abs(out[0][4] - float(ref.spd_over_grnd) * 1852 / 36) <= 1  # cm/s, truncated
    assert out[0][0] % 86400 == hh * 3600 + mm * 60 + ss


GOOD = [sentence(rmc_body("GN", 39.9 + i * 0.001, 116.4 + i * 0.002, 30.0, 9, 26, i, 23)) for i in range(40)]
JUNK = st.sampled_from([b"\x00\xff\xfe", b"$GPRMC,09", b"$$$", b"*\r\n", b"\r\n\r\n", b"$GPGGA,1,2*ZZ\r\n",
                        b"$" + b"7" * 200 + b"\r\n", bytes(range(32)), b"\n$GNRMC,092600.00,A*00\r\n"])


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(range(40)), st.lists(JUNK, max_size=2)), min_size=1, max_size=25),
       st.lists(st.integers(1, 97), max_size=60))
def test_random_chunks_and_garbage_lose_no_good_sentence(parts, chunks):
    """Good sentences separated by garbage, fed in random pieces: every good one comes out, once (one report per
    epoch: a sentence repeating the second just reported gives none)."""
    data = b""
    want = []
    for i, junk in parts:
        # garbage ends with a line break or a '$', so the next good sentence starts clean
        data += b"".join(junk) + b"\r\n" + GOOD[i]
        if not want or want[-1] != i:
            want.append(i)
    whole = parse_all(data)[1]
    split = parse_all(data, chunks)[1]
    assert split == whole
    assert [r[0] % 60 for r in whole] == want


@settings(max_examples=examples(500))
@given(st.binary(max_size=400), st.lists(st.integers(1, 50), max_size=20))
def test_fuzzed_bytes_never_raise(data, chunks):
    p, out = parse_all(data, chunks)
    s = p.stats
    assert s.sentences + s.bad_checksum + s.too_long + s.unknown_type + s.bad_field <= data.count(b"$")


@settings(max_examples=examples(400))
@given(st.sampled_from(range(40)), st.data())
def test_single_byte_corruption_never_gives_a_different_fix(i, data):
    good = GOOD[i]
    pos = data.draw(st.integers(0, len(good) - 3))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != good[pos]))
    bad = bytearray(good)
    bad[pos] = new
    _, out = parse_all(bytes(bad))
    _, ref = parse_all(good)
    # a case change of a checksum hex letter is the same checksum; anything else is dropped
    assert out == [] or out == ref


@given(TALKERS, st.sampled_from(["RMC", "GGA", "VTG", "GSA", "GSV", "ZDA"]))
def test_every_talker_every_type_is_handled(talker, kind):
    bodies = {
        "RMC": "RMC,092600.00,A,4000.00000,N,12000.00000,E,0.0,,231126,,,A,V",
        "GGA": "GGA,092600.00,4000.00000,N,12000.00000,E,1,10,0.9,45.0,M,-8.0,M,,",
        "VTG": "VTG,054.7,T,,M,005.5,N,010.2,K,A",
        "GSA": "GSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1,1",
        "GSV": "GSV,2,1,05,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00,1",
        "ZDA": "ZDA,092600.00,23,11,2026,00,00",
    }
    p, _ = parse_all(sentence(talker + bodies[kind]))
    assert p.stats.sentences == 1 and p.stats.bad_field == 0 and p.stats.unknown_type == 0
