# The optional board configuration file: portable (CPython, MicroPython unix and WebAssembly ports).
import os

from trainctl import config

DEFAULTS = (("coach", ""), ("wc_lockout", False), ("brightness", 8), ("door_alarm_kmh", 5), ("volume", 8),
            ("quiet_from_h", 22),
            ("quiet_to_h", 6))


def _pairs(**kw):
    """DEFAULTS with some values replaced."""
    return tuple((k, kw.get(k, v)) for k, v in DEFAULTS)


def _path(name):
    p = "/tmp/config_portable_" + name + ".json"
    try:  # noqa: SIM105 (no contextlib on MicroPython)
        os.remove(p)
    except OSError:
        pass
    return p


def _load(name, data):
    """Write data (bytes or str) as a config file and load it; every problem line checked."""
    p = _path(name)
    with open(p, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    cfg = config.load(p)
    for line in cfg.problems:
        if not isinstance(line, str) or not 0 < len(line) < 60:
            raise AssertionError("problem line: %r" % (line,))
        for c in line:
            if not " " <= c <= "~":
                raise AssertionError("not printable ASCII: %r" % (line,))
    return cfg


def _one_problem(cfg, words):
    """Exactly one problem, containing every word in words."""
    assert len(cfg.problems) == 1, cfg.problems
    for w in words:
        assert w in cfg.problems[0], (w, cfg.problems)


def test_missing_file_gives_defaults_and_no_problem():
    cfg = config.load(_path("missing"))
    assert cfg.as_pairs() == DEFAULTS
    assert cfg.problems == []
    assert cfg.wc_lockout is False and cfg.brightness == 8 and cfg.door_alarm_kmh == 5


def test_full_file_is_used():
    cfg = _load("full", '{"wc_lockout": true, "brightness": 15, "door_alarm_kmh": 30}')
    assert cfg.problems == []
    assert cfg.as_pairs() == _pairs(wc_lockout=True, brightness=15, door_alarm_kmh=30)
    assert cfg.wc_lockout is True


def test_missing_keys_keep_their_defaults():
    cfg = _load("partial", '{\n  "brightness": 0\n}\n')
    assert cfg.problems == []
    assert cfg.as_pairs() == _pairs(brightness=0)
    cfg = _load("empty_object", "{}")
    assert cfg.problems == [] and cfg.as_pairs() == DEFAULTS


def test_range_limits_are_inclusive():
    cfg = _load("low", '{"wc_lockout": false, "brightness": 0, "door_alarm_kmh": 3}')
    assert cfg.problems == [] and cfg.as_pairs() == _pairs(brightness=0, door_alarm_kmh=3)
    cfg = _load("high", '{"brightness": 15, "door_alarm_kmh": 30}')
    assert cfg.problems == [] and cfg.brightness == 15 and cfg.door_alarm_kmh == 30


def test_empty_file_gives_defaults_and_one_problem():
    cfg = _load("empty", b"")
    assert cfg.as_pairs() == DEFAULTS
    _one_problem(cfg, ("config.json", "JSON", "default"))


def test_truncated_file_gives_all_defaults_even_for_keys_before_the_cut():
    cfg = _load("truncated", '{"brightness": 3, "door_alarm_kmh": 10, "wc_lo')
    assert cfg.as_pairs() == DEFAULTS
    _one_problem(cfg, ("config.json", "JSON"))
    cfg = _load("truncated2", '{"brightness": 3')
    assert cfg.as_pairs() == DEFAULTS
    _one_problem(cfg, ("JSON",))


def test_binary_garbage_gives_defaults_and_one_problem():
    cfg = _load("binary", b"\x89PNG\r\n\x1a\n\x00\xff\xfe" + bytes(range(256)))
    assert cfg.as_pairs() == DEFAULTS
    _one_problem(cfg, ("config.json",))
    cfg = _load("binary_string", b'{"brightness": "\xff\xfe"}')  # not UTF-8 inside a string
    assert cfg.as_pairs() == DEFAULTS
    assert len(cfg.problems) == 1, cfg.problems


def test_deep_nesting_gives_defaults_and_one_problem():
    cfg = _load("deep", b"[" * 2000)  # CPython's json raises RecursionError here, not ValueError
    assert cfg.as_pairs() == DEFAULTS
    _one_problem(cfg, ("config.json",))


def test_file_over_2048_bytes_is_not_used():
    body = '{"brightness": 3, "pad": "'
    big = body + "x" * (3 * 1024 - len(body) - 2) + '"}'
    assert len(big) == 3 * 1024
    cfg = _load("3k", big)
    assert cfg.as_pairs() == DEFAULTS
    _one_problem(cfg, ("config.json", "2048"))
    ok = '{"brightness": 3}' + " " * (2048 - 17)  # exactly the limit: used
    assert len(ok) == 2048
    cfg = _load("2k", ok)
    assert cfg.problems == [] and cfg.brightness == 3
    cfg = _load("2k1", ok + " ")
    assert cfg.brightness == 8
    _one_problem(cfg, ("2048",))


def test_not_an_object_gives_defaults_and_one_problem():
    for i, text in enumerate(('[{"brightness": 3}]', "8", '"brightness"', "null", "true")):
        cfg = _load("notobj%d" % i, text)
        assert cfg.as_pairs() == DEFAULTS, text
        _one_problem(cfg, ("config.json", "object"))


def test_bool_is_not_a_brightness():
    for i, v in enumerate(("true", "false")):
        cfg = _load("bool%d" % i, '{"brightness": %s, "door_alarm_kmh": %s}' % (v, v))
        assert cfg.brightness == 8 and cfg.door_alarm_kmh == 5
        assert len(cfg.problems) == 2, cfg.problems
        assert "brightness" in cfg.problems[0] and "integer" in cfg.problems[0], cfg.problems
        assert "door_alarm_kmh" in cfg.problems[1], cfg.problems


def test_wrong_types_fall_back_per_key():
    cfg = _load("types", '{"wc_lockout": 1, "brightness": "8", "door_alarm_kmh": 5.0}')
    assert cfg.as_pairs() == DEFAULTS
    assert len(cfg.problems) == 3, cfg.problems
    for line, key in zip(cfg.problems, ("wc_lockout", "brightness", "door_alarm_kmh")):
        assert line.startswith(key + ":"), cfg.problems
    assert "true/false" in cfg.problems[0]
    for i, v in enumerate(('"yes"', "null", "[true]", "{}")):
        cfg = _load("wc%d" % i, '{"wc_lockout": %s, "brightness": 4}' % v)
        assert cfg.wc_lockout is False and cfg.brightness == 4, v
        _one_problem(cfg, ("wc_lockout", "false"))


def test_out_of_range_falls_back_per_key_and_keeps_the_others():
    cfg = _load("range", '{"wc_lockout": true, "brightness": 16, "door_alarm_kmh": 2}')
    assert cfg.as_pairs() == _pairs(wc_lockout=True)
    assert cfg.problems == ["brightness: not in 0..15, using 8", "door_alarm_kmh: not in 3..30, using 5"]
    cfg = _load("range2", '{"brightness": -1, "door_alarm_kmh": 31}')
    assert cfg.as_pairs() == DEFAULTS and len(cfg.problems) == 2
    cfg = _load("huge", '{"brightness": 123456789012345678901234567890}')
    assert cfg.brightness == 8
    _one_problem(cfg, ("brightness", "0..15"))


def test_volume_and_quiet_hours():
    """The announcements' settings (trainctl.announce): volume 0..10, quiet hours 0..23 (local), each checked alone."""
    cfg = _load("voice", '{"volume": 0, "quiet_from_h": 23, "quiet_to_h": 0}')
    assert cfg.problems == [] and cfg.as_pairs() == _pairs(volume=0, quiet_from_h=23, quiet_to_h=0)
    cfg = _load("voice_hi", '{"volume": 10, "quiet_from_h": 0, "quiet_to_h": 23}')
    assert cfg.problems == [] and cfg.as_pairs() == _pairs(volume=10, quiet_from_h=0, quiet_to_h=23)
    cfg = _load("voice_bad", '{"volume": 11, "quiet_from_h": 24, "quiet_to_h": -1, "brightness": 3}')
    assert cfg.as_pairs() == _pairs(brightness=3)
    assert cfg.problems == ["volume: not in 0..10, using 8", "quiet_from_h: not in 0..23, using 22",
                            "quiet_to_h: not in 0..23, using 6"]
    cfg = _load("voice_types", '{"volume": true, "quiet_from_h": "22"}')
    assert cfg.as_pairs() == DEFAULTS and len(cfg.problems) == 2, cfg.problems


def test_unknown_keys_are_ignored_and_named():
    cfg = _load("unknown", '{"brightnes": 3, "brightness": 4, "Wc_Lockout": true}')
    assert cfg.as_pairs() == _pairs(brightness=4)
    assert cfg.problems == ["unknown key ignored: Wc_Lockout", "unknown key ignored: brightnes"]


def test_odd_keys_are_named_in_short_ascii():
    cfg = _load("oddkey", '{"\\u4eae\\u5ea6\\n": 3, "%s": 1}' % ("k" * 200))
    assert cfg.as_pairs() == DEFAULTS
    assert cfg.problems == ["unknown key ignored: " + "k" * 24, "unknown key ignored: ???"]


def test_many_problems_are_capped():
    keys = ", ".join('"x%02d": %d' % (i, i) for i in range(40))
    cfg = _load("many", "{" + keys + ', "brightness": 99}')
    assert len(cfg.problems) == config.MAX_PROBLEMS + 1
    assert cfg.problems[0].startswith("brightness:")
    assert cfg.problems[1] == "unknown key ignored: x00"
    assert "more" in cfg.problems[-1]


def test_utf8_bom_is_accepted():
    cfg = _load("bom", b'\xef\xbb\xbf{"brightness": 2}')
    assert cfg.problems == [] and cfg.brightness == 2


def test_door_alarm_in_cm_per_second():
    cfg = config.Config()
    assert cfg.door_alarm_cms() == 139  # 5 km/h: doors.DoorMonitor's default threshold_cms
    for kmh, cms in ((3, 83), (10, 278), (30, 833)):
        cfg.door_alarm_kmh = kmh
        assert cfg.door_alarm_cms() == cms


def test_a_directory_is_one_problem_not_an_exception():
    d = "/tmp/config_portable_dir"
    try:  # noqa: SIM105
        os.mkdir(d)
    except OSError:
        pass
    cfg = config.load(d)
    assert cfg.as_pairs() == DEFAULTS
    assert len(cfg.problems) == 1 and cfg.problems[0].startswith("config.json:"), cfg.problems


def test_bad_argument_raises_value_error():
    for bad in (None, "", b"/config.json", 3):
        try:
            config.load(bad)
        except ValueError:
            continue
        raise AssertionError("no ValueError for %r" % (bad,))


def test_mutated_files_never_raise():
    """Every byte of a valid file replaced by a few others, and every prefix: never an exception,
    values always in range."""
    good = b'{"wc_lockout": true, "brightness": 12, "door_alarm_kmh": 7}'
    p = _path("mutated")
    for i in range(len(good) + 1):
        for data in (good[:i], good[:i] + b"\x00" + good[i + 1:], good[:i] + b"9" + good[i + 1:],
                     good[:i] + b'"' + good[i + 1:], good[:i] + b"\xc3" + good[i + 1:]):
            with open(p, "wb") as f:
                f.write(data)
            cfg = config.load(p)
            assert cfg.wc_lockout is True or cfg.wc_lockout is False
            assert 0 <= cfg.brightness <= 15 and 3 <= cfg.door_alarm_kmh <= 30, data
            assert len(cfg.problems) <= config.MAX_PROBLEMS + 1


def test_coach_id_accepted():
    for good in ("C01", "a", "K27-6", "ab_CD9"):
        cfg = _load("coach_ok", '{"coach": "%s"}' % good)
        assert cfg.problems == [] and cfg.coach == good, (good, cfg.problems)
        assert cfg.as_pairs()[0] == ("coach", good)


def test_bad_coach_id_gives_the_default_and_one_problem():
    for bad in ('""', '"C0123456"', '"C 01"', '"C/01"', '"C01\\n"', '"\\u00e9t\\u00e9"', "12", "true", "null",
                '["C01"]'):
        cfg = _load("coach_bad", '{"coach": %s, "brightness": 3}' % bad)
        _one_problem(cfg, ("coach", "1..6", "using none"))
        assert cfg.coach == "" and cfg.brightness == 3, bad
