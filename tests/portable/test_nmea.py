# NMEA parser: portable (CPython, MicroPython unix and WebAssembly ports).
from trainctl import clock, nmea

from portable.nmeagen import gga, rmc, sentence

T0 = 217589160  # 2026-11-23T09:26:00Z


def _parse(data, chunk=0):
    fixes = []

    def on_fix(f):
        fixes.append((f.utc_s, f.utc_ms, f.valid, f.lat_udeg, f.lon_udeg, f.speed_cms, f.course_cdeg))

    p = nmea.Parser(on_fix)
    if chunk <= 0:
        p.feed(data)
    else:
        for i in range(0, len(data), chunk):
            p.feed(data[i:i + chunk])
    return p, fixes


def test_rmc_fields():
    p, fixes = _parse(sentence("GNRMC,092600.50,A,3954.12012,N,11625.26438,E,10.000,123.45,231126,,,A,V"))
    assert fixes == [(T0, 500, True, 39902002, 116421073, 514, 12345)]
    assert p.stats.sentences == 1 and p.stats.fixes == 1


def test_every_talker():
    for talker in ("GP", "GN", "GL", "GA", "GB", "BD", "GQ", "GI"):
        p, fixes = _parse(rmc(T0, 40121861, 124382236, 0, talker=talker))
        assert len(fixes) == 1 and fixes[0][2], talker
        assert p.fix.talker == ord(talker[0]) << 8 | ord(talker[1])


def test_southern_and_western_hemispheres():
    p, fixes = _parse(rmc(T0, -33856784, -151215297))
    assert fixes[0][3:5] == (-33856784, -151215297)


def test_no_fix_reports_time_only():
    p, fixes = _parse(rmc(T0))
    assert fixes == [(T0, 0, False, 0, 0, -1, -1)]
    assert p.stats.no_fix == 1 and p.stats.fixes == 0


def test_dead_reckoning_mode_is_not_a_fix():
    p, fixes = _parse(rmc(T0, 40000000, 120000000, mode="E"))
    assert not fixes[0][2]


def test_checksum_errors_counted_not_raised():
    good = rmc(T0, 40000000, 120000000)
    bad = bytearray(good)
    bad[10] = ord("9") if bad[10] != ord("9") else ord("8")
    nostar = good[:good.index(b"*")] + b"\r\n"
    p, fixes = _parse(bytes(bad) + nostar + good)
    assert len(fixes) == 1
    assert p.stats.bad_checksum == 2 and p.stats.sentences == 1


def test_lower_case_checksum_accepted():
    s = rmc(T0, 40000000, 120000000)
    i = s.index(b"*")
    p, fixes = _parse(s[:i] + s[i:].lower())
    assert len(fixes) == 1


def test_too_long_line_dropped_and_counted():
    long_body = "GPTXT," + "A" * 130
    p, fixes = _parse(sentence(long_body) + rmc(T0, 40000000, 120000000))
    assert p.stats.too_long == 1 and len(fixes) == 1


def test_line_of_exactly_120_characters_is_accepted():
    head = "GPTXT,01,01,02,"
    s = sentence(head + "x" * (120 - 4 - len(head)))  # '$' + body + '*HH' = 120 characters
    assert len(s) == 122  # and CR LF
    p, _ = _parse(s)
    assert p.stats.too_long == 0 and p.stats.unknown_type == 1  # read whole, then ignored (TXT)
    p, _ = _parse(sentence(head + "x" * (121 - 4 - len(head))))
    assert p.stats.too_long == 1 and p.stats.unknown_type == 0


def test_truncated_line_then_good_line():
    p, fixes = _parse(b"$GNRMC,0926" + rmc(T0, 40000000, 120000000))
    assert p.stats.truncated == 1 and len(fixes) == 1


def test_binary_garbage_counted():
    junk = bytes(range(256))
    p, fixes = _parse(junk + rmc(T0, 40000000, 120000000) + junk)
    assert len(fixes) == 1
    assert p.stats.garbage_bytes > 0


def test_chunking_does_not_change_the_result():
    data = b"".join(rmc(T0 + i, 40000000 + i * 100, 120000000 - i * 70, 1500) for i in range(20))
    whole = _parse(data)[1]
    for chunk in (1, 2, 3, 7, 64):
        assert _parse(data, chunk)[1] == whole


def test_gsv_with_and_without_signal_id():
    a = sentence("GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00")
    b = sentence("GBGSV,1,1,02,03,03,111,00,04,15,270,00,1")
    c = sentence("GAGSV,1,1,00,7")
    p, _ = _parse(a + b + c)
    assert p.stats.sentences == 3 and p.stats.bad_field == 0
    assert p.fix.sats_in_view == 13
    p, _ = _parse(sentence("GPGSV,1,1,04,03,03,111"))  # a satellite cut in half
    assert p.stats.bad_field == 1


def test_gga_only_receiver_reports_fixes_after_a_date_is_known():
    zda = sentence("GNZDA,092559.00,23,11,2026,00,00")
    data = zda + b"".join(gga(T0 + i, 40000000, 120000000 + i * 100) for i in range(5))
    p, fixes = _parse(data)
    assert [f[0] for f in fixes] == [T0 + i for i in range(5)]
    assert fixes[2][4] == 120000200 and p.stats.fixes == 5
    p, fixes = _parse(data[len(zda):] + zda)  # GGA before any date: waits
    assert fixes == [] and p.stats.undated == 5 and p.stats.bad_field == 0


def test_gga_quality_hdop_altitude():
    p, _ = _parse(gga(T0, 40000000, 120000000, quality=2, sats=14, hdop="1.25"))
    assert (p.fix.quality, p.fix.sats_used, p.fix.hdop_c, p.fix.alt_dm) == (2, 14, 125, 450)


def test_vtg_and_gsa():
    p, _ = _parse(sentence("GNVTG,054.7,T,034.4,M,005.5,N,010.2,K,A") + sentence(
        "GNGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1,1"))
    assert p.stats.sentences == 2
    assert p._vtg_cms == 283 and p._vtg_cdeg == 5470  # 10.2 km/h
    assert p.fix.fix_type == 3


def test_gps_week_rollover_is_corrected_against_the_pivot():
    # A receiver with the week-rollover bug reports 2007-04-09 for 2026-11-23: 1,024 weeks back.
    p, fixes = _parse(sentence("GPRMC,092600.00,A,4000.00000,N,12000.00000,E,0.0,,090407,,,A"))
    assert [f[0] for f in fixes] == [T0] and p.stats.rollover == 1
    assert clock.days_from_civil(2026, 11, 23) - clock.days_from_civil(2007, 4, 9) == 1024 * 7
    p, fixes = _parse(sentence("GNZDA,092559.00,09,04,2007,00,00") + gga(T0, 40000000, 120000000))
    assert [f[0] for f in fixes] == [T0] and p.stats.rollover == 1
    # 1999-08-24 (two days after the first rollover) moves two steps; a date at or after the pivot stays.
    p, fixes = _parse(sentence("GPRMC,000000.00,A,4000.00000,N,12000.00000,E,0.0,,240899,,,A"))
    assert fixes[0][0] == (clock.days_from_civil(1999, 8, 24) + 2 * 7168 - clock.EPOCH_DAYS) * 86400
    assert fixes[0][0] == clock.epoch_seconds(2038, 11, 23, 0, 0, 0)
    p, fixes = _parse(rmc(clock.epoch_seconds(2053, 12, 31, 23, 59, 59), 40000000, 120000000))
    assert len(fixes) == 1 and p.stats.rollover == 0


def test_dates_that_cannot_be_right_are_refused():
    for date in ("310226", "290227", "000126", "011326", "010154"):  # 31 Feb, 29 Feb 2027, day 0, month 13, 2054
        p, fixes = _parse(sentence("GPRMC,092600.00,A,4000.00000,N,12000.00000,E,0.0,,%s,,,A" % date))
        assert fixes == [] and p.stats.bad_field == 1, date


def test_bad_fields_counted():
    cases = (
        "GNRMC,092600.00,A,4000.0000,X,12000.00000,E,0.0,,231126,,,A,V",  # hemisphere
        "GNRMC,092600.00,A,4060.00000,N,12000.00000,E,0.0,,231126,,,A,V",  # 60 minutes
        "GNRMC,256000.00,A,4000.00000,N,12000.00000,E,0.0,,231126,,,A,V",  # hour 25
        "GNRMC,092600.00,A,40a0.00000,N,12000.00000,E,0.0,,231126,,,A,V",  # letter in a number
        "GNRMC,092600.00,A,4000.00000,N,12000.00000,E,0.0,,311126,,,A,V",  # 31 November
        "GNRMC,092600.00,A,9100.00000,N,12000.00000,E,0.0,,231126,,,A,V",  # 91 degrees
        "GNGGA,092600.00,4000.00000,N,12000.00000,E,1,10,0..9,45.0,M,,M,,",  # two points
    )
    for body in cases:
        p, fixes = _parse(sentence(body))
        assert p.stats.bad_field == 1 and fixes == [], body


def test_unknown_and_proprietary_types():
    p, _ = _parse(sentence("GPTXT,01,01,02,ANTSTATUS=OK") + sentence("PUBX,00,1") + sentence("GPXYZ,1,2"))
    assert p.stats.unknown_type == 3 and p.stats.bad_field == 0


def test_time_of_fix_converts_with_the_date():
    p, fixes = _parse(rmc(clock.epoch_seconds(2027, 1, 1, 0, 0, 0), 40000000, 120000000))
    assert fixes[0][0] == clock.epoch_seconds(2027, 1, 1, 0, 0, 0)


ZDA = sentence("GNZDA,092559.00,23,11,2026,00,00")


def test_gll_and_gns_give_fixes():
    gll = sentence("GPGLL,4000.00000,N,12000.00000,E,092600.00,A,A")
    gns = sentence("GNGNS,092601.00,4000.00000,S,12000.00000,W,NA,10,0.9,45.0,-8.0,,,V")
    p, fixes = _parse(ZDA + gll + gns)
    assert fixes == [(T0, 0, True, 40000000, 120000000, -1, -1), (T0 + 1, 0, True, -40000000, -120000000, -1, -1)]
    assert p.fix.sats_used == 10 and p.fix.alt_dm == 450 and p.stats.sentences == 3
    for body in ("GPGLL,4000.00000,N,12000.00000,E,092600.00,V,N", "GPGLL,4000.00000,N,12000.00000,E,092600.00,A,E",
                 "GNGNS,092600.00,4000.00000,N,12000.00000,E,NN,00,,,,,,V", "GNGNS,092600.00,,,,,N,00,,,,,,V"):
        p, fixes = _parse(ZDA + sentence(body))
        assert len(fixes) == 1 and not fixes[0][2] and p.stats.no_fix == 1, body


def test_one_fix_per_second_whatever_the_receiver_sends():
    gll = sentence("GPGLL,4000.00000,N,12000.00000,E,092600.00,A,A")
    p, fixes = _parse(rmc(T0 - 1, 40000000, 120000000) + gga(T0, 40000000, 120000000)
                      + rmc(T0, 40000000, 120000000, 500) + gll + gga(T0, 40000000, 120000000))
    assert fixes[1:] == [(T0, 0, True, 40000000, 120000000, 499, -1)] and p.stats.sentences == 5


def test_seconds_with_gga_and_no_rmc_are_reported():
    # A receiver alternating RMC and GGA: the GGA second is reported when the next begins.
    data = b""
    for i in range(6):
        data += rmc(T0 + i, 40000000, 120000000 + i) if i % 2 == 0 else gga(T0 + i, 40000000, 120000000 + i)
    p, fixes = _parse(data)
    assert [(f[0], f[4]) for f in fixes] == [(T0 + i, 120000000 + i) for i in range(5)]
    # GGA before RMC in every second (SiRF order): one fix a second, each from its RMC.
    data = b"".join(gga(T0 + i, 40000000, 120000000) + rmc(T0 + i, 40000000, 120000000, 300) for i in range(4))
    p, fixes = _parse(data)
    assert [f[0] for f in fixes] == [T0 + i for i in range(4)] and [f[5] for f in fixes][1:] == [299] * 3


def test_gga_only_day_rolls_over_at_midnight():
    zda = sentence("GNZDA,235958.00,23,11,2026,00,00")
    t = clock.epoch_seconds(2026, 11, 23, 23, 59, 58)
    p, fixes = _parse(zda + b"".join(gga(t + i, 40000000, 120000000) for i in range(4)))
    assert [f[0] for f in fixes] == [t, t + 1, t + 2, t + 3]


def test_signed_numbers_are_refused():
    cases = (
        "GNRMC,-10203,A,4000.00000,N,12000.00000,E,0.0,,231126,,,A,V",  # signed time
        "GNRMC,092600.00,A,-429.0005,N,12000.00000,E,0.0,,231126,,,A,V",  # signed latitude
        "GNRMC,092600.00,A,4000.00000,N,-2000.0000,E,0.0,,231126,,,A,V",  # signed longitude
        "GNRMC,092600.00,A,4000.00000,N,12000.00000,E,0.0,,2208-1,,,A,V",  # signed year
        "GNRMC,092600.00,A,4000.00000,N,12000.00000,E,-1.0,,231126,,,A,V",  # signed speed
        "GNRMC,092600.00,A,4000.00000,N,12000.00000,E,+1.0,,231126,,,A,V",  # '+'
        "GNRMC,09260.000,A,4000.00000,N,12000.00000,E,1.0,,231126,,,A,V",  # the point in the seconds
        "GNRMC,092600.00,A,400.000000,N,12000.00000,E,1.0,,231126,,,A,V",  # one integer digit of minutes
        "GNRMC,092600.,A,4000.00000,N,12000.00000,E,1.0,,231126,,,A,V",  # a point without a fraction
        "GNGGA,092600.00,4000.00000,N,12000.00000,E,-1,10,0.9,45.0,M,,M,,",  # signed quality
        "GNGGA,092600.00,4000.00000,N,12000.00000,E,1,10,.,45.0,M,,M,,",  # a point alone
        "GNZDA,092600.00,23,-1,2026,00,00",  # signed month
    )
    for body in cases:
        p, fixes = _parse(ZDA + sentence(body))
        assert p.stats.bad_field == 1 and [f for f in fixes if f[0] == T0] == [], body
    p, _ = _parse(sentence("GNGGA,092600.00,4000.00000,N,12000.00000,E,1,10,0.9,-12.5,M,,M,,"))
    assert p.fix.alt_dm == -125 and p.stats.bad_field == 0  # altitude may be negative


def test_no_fix_sentences_with_empty_fields_count_as_no_fix():
    p, fixes = _parse(sentence("GPRMC,,V,,,,,,,,,,N") + sentence("GPGGA,,,,,,0,00,99.99,,,,,,")
                      + sentence("GPGLL,,,,,,V,N") + sentence("GNGNS,,,,,,NN,00,,,,,,V") + sentence("GPZDA,,,,,,"))
    assert fixes == [] and p.stats.no_fix == 4 and p.stats.bad_field == 0 and p.stats.sentences == 5
    p, _ = _parse(sentence("GPRMC,,A,4000.00000,N,12000.00000,E,0.0,,231126,,,A"))  # a fix without a time
    assert p.stats.bad_field == 1


def test_dollar_inside_a_line_comment_lines_and_doubled_dollar():
    good = rmc(T0, 40000000, 120000000)
    p, fixes = _parse(b"$" + good + b"# header $GPRMC,not,a,sentence\r\n" + b"junk" + good[:20] + good)
    assert len(fixes) == 1 and p.stats.sentences == 2  # the second good line repeats the first second
    assert p.stats.truncated == 1 and p.stats.comments == 1 and p.stats.garbage_bytes == 4
    assert p.stats.bad_checksum == 0


def test_statistics_by_type_and_talker():
    p, _ = _parse(rmc(T0, 40000000, 120000000) + rmc(T0 + 1, 40000000, 120000000, talker="GP")
                  + sentence("GLGSV,1,1,00") + sentence("BDGSV,1,1,00") + sentence("GPTXT,01,01,02,X")
                  + sentence("QZGSV,1,1,00"))
    # by_kind[type * 9 + talker], in the order of nmea._KIND (RMC GGA GLL GNS VTG GSA GSV ZDA, 8: other) and
    # nmea._TALKER (GP GN GL GA GB BD GQ GI, 8: other)
    want = {0 * 9 + 1: 1, 0 * 9 + 0: 1, 6 * 9 + 2: 1, 6 * 9 + 5: 1, 8 * 9 + 0: 1, 6 * 9 + 8: 1}
    assert {i: n for i, n in enumerate(p.stats.by_kind) if n} == want


def test_gsv_of_every_constellation_counts_its_satellites():
    # _SYS_SLOT by the talker's second letter, compared as ints (bytes.find(int) fails before 1.29)
    data = b"".join(sentence("%sGSV,1,1,%02d" % (t, n)) for n, t in enumerate(("GP", "GL", "GA", "GB", "BD", "GQ",
                                                                                 "GI"), 1))
    p, _ = _parse(data)
    assert p.stats.bad_field == 0 and p.fix.sats_in_view == sum(range(1, 8))



def test_flush_reports_the_last_second_without_rmc():
    p, fixes = _parse(rmc(T0, 40000000, 120000000) + gga(T0 + 1, 40000000, 120000001))
    assert len(fixes) == 1
    p.flush()
    p.flush()
    assert len(fixes) == 2 and fixes[1][0] == T0 + 1 and p.fix.lon_udeg == 120000001
