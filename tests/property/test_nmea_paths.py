"""The firmware's NMEA parser (trainctl.nmea.Parser) gives the same results whatever the chunking.

The same bytes are fed twice, each time cut into its own random chunks of assorted buffer types; the fixes
reported (every Fix field), the Stats counters and the parser state left behind must be identical. Streams mix
good sentences of every type with garbage (all 256 byte values), cut and over-long lines, control bytes inside
lines, lone CR and LF, runs of '$', and sentences whose checksum is right but whose fields are malformed.
"""

from pathlib import Path

import pytest
from hyp import examples
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from portable.nmeagen import gga, rmc, sentence
from trainctl import nmea, route_data
from trainctl.coach import Controller

from host_tools.common.paths import ROOT
from host_tools.replay import cli as replay
from host_tools.verify import fuzz

DATA = Path(ROOT) / "tests" / "data"
T0 = 217589160  # 2026-11-23T09:26:00Z
FIX_FIELDS = sorted(vars(nmea.Fix()))
STATE = fuzz._STATE  # the state carried from one feed() call to the next


def snapshot(fix):
    return tuple(getattr(fix, k) for k in FIX_FIELDS)


def pieces(data, cuts):
    """data cut at the given lengths (the rest in one piece), in assorted buffer types."""
    out = []
    i = 0
    for j, c in enumerate(cuts):
        if i >= len(data):
            break
        out.append((data[i : i + c], j))
        i += c
    out.append((data[i:], len(cuts)))
    return out


def feed_all(parser, data, cuts):
    for piece, j in pieces(data, cuts):
        kind = j % 4
        if kind == 0:
            parser.feed(piece)
        elif kind == 1:
            parser.feed(bytearray(piece))
        elif kind == 2:
            parser.feed(memoryview(piece))
        else:  # as host_tools/replay/cli.py does: a bigger buffer, n bytes of it valid
            parser.feed(bytearray(piece) + b"$GPRMC,junk\x00", len(piece))


def run(cls, data, cuts):
    fixes = []
    p = cls(lambda f: fixes.append(snapshot(f)))
    feed_all(p, data, cuts)
    return p, fixes


def outcome(p, fixes):
    state = {k: getattr(p, k) for k in STATE}
    return fixes, p.stats.as_dict(), snapshot(p.fix), state


def assert_same(data, cuts_a, cuts_b):
    """The parser's outcome on data fed in chunks cuts_a and in chunks cuts_b is the same; returns it."""
    a = outcome(*run(nmea.Parser, data, cuts_a))
    b = outcome(*run(nmea.Parser, data, cuts_b))
    assert b == a
    return a


# ---- stream pieces ------------------------------------------------------------------------------------

TALKER = st.sampled_from(["GN", "GP", "GL", "GA", "GB", "BD", "GQ", "GI", "G1", "gp"])
T = st.integers(T0 - 3 * 86400, T0 + 3 * 86400)
LAT = st.integers(-90000000, 90000000)
LON = st.integers(-180000000, 180000000)
MS = st.integers(0, 999)


def resign(fields):
    return sentence(",".join(fields))


def fields_of(s):
    return s[1 : s.index(b"*")].decode().split(",")


COURSE = st.sampled_from(["", "123.45", "0", "0.5", "360.00", "360.01", "-1", "12.", "x"])


@st.composite
def good_rmc(draw):
    lat = draw(st.none() | LAT)
    s = rmc(draw(T), lat, draw(LON), draw(st.integers(0, 10000)), talker=draw(TALKER), ms=draw(MS),
            mode=draw(st.sampled_from("ADFRPNEMS")))
    if draw(st.booleans()):
        f = fields_of(s)
        f[8] = draw(COURSE)
        s = resign(f)
    return s


@st.composite
def good_gga(draw):
    return gga(draw(T), draw(LAT), draw(LON), quality=draw(st.integers(0, 9)), sats=draw(st.integers(0, 40)),
               hdop=draw(st.sampled_from(["0.9", "12.5", "", "1", "0.123"])), talker=draw(TALKER))


GSV_SAT = st.tuples(st.integers(1, 99), st.integers(0, 90), st.integers(0, 359), st.integers(0, 60) | st.none())


@st.composite
def good_gsv(draw):
    total = draw(st.integers(1, 4))
    num = draw(st.integers(1, total))
    sats = draw(st.lists(GSV_SAT, max_size=4))
    fields = ["%d" % total, "%d" % num, "%02d" % draw(st.integers(0, 99))]
    for sv, el, az, snr in sats:
        fields += ["%02d" % sv, "%02d" % el, "%03d" % az, "" if snr is None else "%02d" % snr]
    if draw(st.booleans()):
        fields.append(draw(st.sampled_from(["1", "7", "B"])))  # NMEA 4.10 signal ID
    return sentence("%sGSV,%s" % (draw(TALKER), ",".join(fields)))


@st.composite
def good_other(draw):
    talker = draw(TALKER)
    body = draw(st.sampled_from([
        "VTG,054.7,T,034.4,M,005.5,N,010.2,K,A",
        "VTG,,T,,M,5.500,N,,K,A",
        "VTG,359.99,T,,M,,N,,K,N",
        "VTG,,T,,M,,N,,K,N",
        "GSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1,1",
        "GSA,A,1,,,,,,,,,,,,,,,",
        "ZDA,235959.99,23,11,2026,00,00",
        "ZDA,000000,01,01,2027,,",
        "ZDA,120000.5,29,02,2028,,",
        "GLL,3954.12012,N,11625.26438,E,092600.00,A,A",
        "GLL,3954.12012,S,11625.26438,W,092601.00,A",
        "GLL,,,,,,V,N",
        "GLL,3954.12,N,11625.26,E",
        "GNS,092600.00,3954.12012,N,11625.26438,E,ANNN,12,0.9,45.0,-8.0,,,V",
        "GNS,092601.50,3954.12012,N,11625.26438,E,NNNN,00,,,,,,V",
        "GNS,,,,,,NN,00,,,,,,V",
        "RMC,,V,,,,,,,,,,N",
        "GGA,,,,,,0,00,99.99,,,,,,",
        "RMC,092600.00,A,3954.12012,N,11625.26438,E,0.000,,090407,,,A",
        "TXT,01,01,02,u-blox AG - www.u-blox.com",
    ]))
    if draw(st.booleans()):
        return sentence(talker + body)
    return sentence(draw(st.sampled_from(["PUBX,00,092600.00", "PGRME,15.0,M,45.0,M,25.0,M", "GP,RMC", "GPRMC",
                                          "PXRMC,092600.00,A,3954.12012,N,11625.26438,E,0.000,,231126,,,A,V"])))


GOOD = good_rmc() | good_gga() | good_gsv() | good_other()
FIELD_CHARS = "0123456789..--+ ANSEWVDMabc"
SPECIAL_TEXTS = [
    "", "A", "V", "N", "S", "E", "W", "M", "T", "K", "D", "P", "AV",
    "235960", "240000", "236000", "-10000", "092600.123", "092600.1", "092600.", "092600.12345", "092600.x", "0926",
    "12.456", "1.2.34", "3954.12012", "9000.00000", "9000.00001", "8959.99999", "18000.00000", "17959.99999",
    "3960.00000", "-954.12012", "39-4.12012", "3.954", "3954.120123", "3954.1201234", "11625.2643812", "11625.264381",
    "3954", "395412012", "39.5412", "3954.", "-1", "999999999", "99999999", "000000000001", "1.", ".",
    "-.", "-", "0.000", "359.99", "360.01", "-0.5", "1999.999", "1999.9995", "291126", "310226", "290224", "290228",
    "010100", "0101-1", "1.0126", "7", "10", "0", "1", "2", "3", "4",
]
SPECIAL = st.sampled_from(SPECIAL_TEXTS)
NUMERIC = st.from_regex(r"\A-?[0-9]{0,4}(\.[0-9]{0,7})?\Z")
FIELD = SPECIAL | NUMERIC | st.text(FIELD_CHARS, max_size=12)
ADDRESSES = ["PXRMC", "PGGGA", "GPRMC", "GNGGA", "GNGSV", "GPVTG", "GPGSA", "GPZDA", "GNgga", "G1RMC", "GNRMCX",
             "GNRM", "gnRMC", "BDGSV", "GQGSV", "GLGSV"]
ADDRESS = st.sampled_from(ADDRESSES)


@st.composite
def bad_fields(draw):
    """A good sentence with fields replaced, added or dropped, or the address changed; checksum recomputed."""
    fields = fields_of(draw(GOOD))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.integers(0, 4))
        i = draw(st.integers(1, max(1, len(fields) - 1)))
        if op == 0 and i < len(fields):
            fields[i] = draw(FIELD)
        elif op == 1:
            fields = fields[:i]
        elif op == 2:
            fields.insert(i, draw(FIELD))
        elif op == 3 and i < len(fields):
            del fields[i]
        elif op == 4:
            fields[0] = draw(ADDRESS)
    return resign(fields)


@st.composite
def bad_checksum(draw):
    s = bytearray(draw(GOOD))
    star = s.index(b"*")
    how = draw(st.integers(0, 5))
    if how == 0:
        s[star + 1 : star + 3] = s[star + 1 : star + 3].lower()  # lower-case hex: accepted
    elif how == 1:
        s[star + 2] = draw(st.sampled_from(b"0123456789ABCDEFGZ g"))
    elif how == 2:
        del s[star:-2]  # no checksum
    elif how == 3:
        s[star + 3 : star + 3] = b"0"  # three digits
    elif how == 4:
        i = draw(st.integers(1, star - 1))
        s[i] = draw(st.integers(0x20, 0x7E).filter(lambda c: c != 0x24))
    else:
        del s[star + 2]
    return bytes(s)


@st.composite
def cut_line(draw):
    s = draw(GOOD)
    return s[: draw(st.integers(1, len(s) - 1))]


@st.composite
def control_inside(draw):
    s = bytearray(draw(GOOD))
    i = draw(st.integers(1, len(s) - 2))
    s.insert(i, draw(st.integers(0, 0x1F) | st.integers(0x7F, 0xFF)))
    return bytes(s)


@st.composite
def long_line(draw):
    """Lines of 117..125 bytes after the '$' (119 is the limit), most with a right checksum, ended by CR, LF,
    CR LF, a '$', a control byte, or nothing (whatever follows goes on)."""
    n = draw(st.integers(117, 125))
    kind = draw(st.integers(0, 2))
    if kind == 0:  # a GSV whose satellites-in-view field is padded with zeros: valid up to 119
        head = "GPGSV,1,1,"
        s = sentence(head + "0" * (n - 3 - len(head) - 1) + "7")
    elif kind == 1:
        head = "GPTXT,01,01,02,"
        s = sentence(head + "x" * (n - 3 - len(head)))
    else:
        s = b"$" + bytes(draw(st.lists(st.integers(0x25, 0x7E), min_size=n, max_size=n))) + b"\r\n"
    assert len(s) == n + 3, (n, s)
    return s[:-2] + draw(st.sampled_from([b"\r\n", b"\r\n", b"\r", b"\n", b"$", b"\x00", b"\x80", b""]))


JUNK = st.sampled_from([b"\r", b"\n", b"\r\n", b"\n\r", b"$", b"$$$", b"*", b",", b"\x00", b"\xff", b"$\r\n",
                        b"$GPRMC", b"GPRMC,1*00\r\n", b"\r\r\n\n", b" \t", b"#", b"# a header $GPZDA,1*00\r\n",
                        b"x#y\r\n", b"\n#$", b"#\x00\xff$"])
PIECE = (GOOD | bad_fields() | bad_checksum() | cut_line() | control_inside() | long_line() | JUNK
         | st.binary(max_size=12))
STREAM = st.lists(PIECE, min_size=1, max_size=30).map(b"".join)
CUTS = st.lists(st.integers(1, 150), max_size=40)


@settings(max_examples=examples(500), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(STREAM, CUTS, CUTS)
def test_any_two_chunkings_agree(data, cuts_a, cuts_b):
    fixes, stats, _, _ = assert_same(data, cuts_a, cuts_b)
    for k, v in stats.items():  # what the examples exercised: pytest --hypothesis-show-statistics
        if v:
            event(k)


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(good_gga() | good_rmc() | long_line() | st.just(sentence("GNZDA,235959.50,22,11,2026,00,00")),
                min_size=1, max_size=12).map(b"".join),
       st.lists(st.integers(1, 7), max_size=200))
def test_good_sentences_in_small_pieces(data, cuts):
    """Good sentences (GGA-only runs, midnight rollover) and lines at the length limit: whole, and fed a few
    bytes at a time."""
    assert_same(data, [], cuts)


@pytest.mark.parametrize("n", [118, 119, 120])
def test_lines_at_the_limit_cut_anywhere(n):
    """A line of n bytes after the '$', with each ending, cut into two feed() calls at every position."""
    body = "GPGSV,1,1," + "0" * (n - 3 - 11) + "7"
    line = sentence(body)[:-2]
    for end in (b"\r\n", b"\n", b"$", b"\x00", b""):
        data = line + end + sentence("GPGSV,1,1,05") + b"\r"
        for cut in range(len(data) + 1):
            assert_same(data, [], [cut])


def test_long_unterminated_stretches():
    """A '$' then 200 bytes with no line end, a thousand times, then binary noise: whole and in 4 KiB pieces."""
    data = (b"$" + b"a" * 200) * 1000 + bytes(range(256)) * 200
    fixes, stats, _, _ = assert_same(data, [], [4096] * (len(data) // 4096))
    assert stats["too_long"] == 1000


def test_the_fuzzer_compares_the_carried_state():
    p = nmea.Parser()
    assert all(hasattr(p, k) for k in STATE)


def test_the_board_and_the_host_replay_run_the_firmware_parser():
    assert type(Controller(route_data).parser) is nmea.Parser
    assert type(replay.make_replay(route_data).ctl.parser) is nmea.Parser
    assert type(replay.make_replay(route_data, inputs=[]).ctl.parser) is nmea.Parser


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.nmea")))
def test_stored_tracks_4096_byte_chunks(name):
    data = (DATA / name).read_bytes()
    fixes, stats, _, _ = assert_same(data, [], [4096] * (len(data) // 4096))
    assert fixes and stats["sentences"] > 1000


def test_smallest_stored_track_1_byte_chunks():
    path = min(DATA.glob("*.nmea"), key=lambda p: p.stat().st_size)
    data = path.read_bytes()
    ref = outcome(*run(nmea.Parser, data, [4096] * (len(data) // 4096)))
    fixes = []
    p = nmea.Parser(lambda f: fixes.append(snapshot(f)))
    for i in range(len(data)):
        p.feed(data[i : i + 1])
    assert outcome(p, fixes) == ref
