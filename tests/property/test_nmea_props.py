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


# ---- strict numbers (issue 15): digits and at most one point; a sign only where NMEA has one -------------------

import re  # noqa: E402
from decimal import Decimal  # noqa: E402

from trainctl import nmeafield  # noqa: E402

NUM_TEXT = st.text("0123456789.-+ eE,x", max_size=14) | st.from_regex(r"\A[0-9]{0,10}(\.[0-9]{0,8})?\Z")
UNSIGNED = re.compile(r"\A([0-9]*)(\.([0-9]*))?\Z")


def oracle_num(text, dec):
    """Decimal's reading of the text scaled by 10**dec and truncated, or ValueError where NMEA's rule refuses."""
    m = UNSIGNED.match(text)
    if m is None or not re.search("[0-9]", text) or int(m.group(1) or "0") > 99999999:
        return ValueError
    return int(Decimal(text if text[0] != "." else "0" + text).scaleb(dec).to_integral_value(rounding="ROUND_DOWN"))


def call(f, *args):
    try:
        return f(*args)
    except ValueError:
        return ValueError


@settings(max_examples=examples(1000))
@given(NUM_TEXT, st.integers(0, 6))
def test_unsigned_numbers_follow_the_rule(text, dec):
    buf = bytearray(text.encode())
    assert call(nmeafield.num, buf, 0, len(buf), dec) == oracle_num(text, dec)


@settings(max_examples=examples(500))
@given(NUM_TEXT.filter(lambda t: "," not in t and t))
def test_a_minus_only_where_nmea_has_a_sign(text):
    """GGA's altitude (decimetres) takes one leading '-'; its value, or the sentence refused as a bad field."""
    want = oracle_num(text[1:], 1) if text.startswith("-") else oracle_num(text, 1)
    if want is not ValueError and text.startswith("-"):
        want = -want
    p, _ = parse_all(sentence("GNGGA,092600.00,4000.00000,N,12000.00000,E,1,10,0.9,%s,M,,M,," % text))
    assert (ValueError if p.stats.bad_field else p.fix.alt_dm) == want


@settings(max_examples=examples(500))
@given(st.text("0123456789.-+ ", min_size=0, max_size=12)
       | st.from_regex(r"\A[0-2][0-9][0-5][0-9][0-6][0-9](\.[0-9]{1,4})?\Z"))
def test_time_of_day_is_hhmmss_with_an_optional_fraction(text):
    m = re.fullmatch(r"([0-9]{2})([0-9]{2})([0-9]{2})(\.([0-9]+))?", text)
    want = ValueError
    if m and int(m.group(1)) <= 23 and int(m.group(2)) <= 59 and int(m.group(3)) <= 60:
        ms = int((m.group(5) or "0")[:3].ljust(3, "0"))
        want = ((int(m.group(1)) * 60 + int(m.group(2))) * 60 + int(m.group(3))) * 1000 + ms
    buf = bytearray(text.encode())
    assert call(nmeafield.tod_ms, buf, 0, len(buf)) == want


@settings(max_examples=examples(500))
@given(st.sampled_from([2, 3]), st.from_regex(r"\A[0-9]{2,3}[0-5][0-9](\.[0-9]{1,7})?\Z") | st.text("0123456789.-+",
                                                                                                  max_size=12))
def test_latitude_and_longitude_take_no_sign(deg_digits, text):
    m = re.fullmatch(r"([0-9]{%d})([0-9]{2}(\.[0-9]*)?)" % deg_digits, text)
    want = ValueError
    if m:
        deg = int(m.group(1))
        minutes = Decimal(m.group(2))
        if minutes < 60:
            v = deg * 1000000 + int((int(minutes.scaleb(6).to_integral_value(rounding="ROUND_DOWN")) + 30) // 60)
            if v <= (90000000 if deg_digits == 2 else 180000000):
                want = v
    buf = bytearray(text.encode())
    h = ord("N") if deg_digits == 2 else ord("E")
    assert call(nmeafield.angle, buf, 0, len(buf), deg_digits, h) == want


@settings(max_examples=examples(300))
@given(st.sampled_from([1, 3, 5, 9]), st.integers(0, 12), st.sampled_from("-+ ."))
def test_a_sign_or_stray_character_in_time_position_or_date_is_a_bad_field(field, pos, ch):
    """An RMC with '-', '+', ' ' or a second '.' put into its time, latitude, longitude or date: refused and
    counted, never a fix with another value."""
    body = "GNRMC,092600.00,A,3954.12012,N,11625.26438,E,0.000,,231126,,,A"
    f = body.split(",")
    t = f[field]
    pos = min(pos, len(t))
    f[field] = t[:pos] + ch + t[pos:]
    p, out = parse_all(sentence(",".join(f)))
    if ch == "." and "." not in t and re.fullmatch(r"[0-9]+\.[0-9]+", f[field]) and field != 9:
        return  # one point where there was none can be a valid number: covered by the field properties above
    assert out == [] and p.stats.bad_field == 1, f[field]
