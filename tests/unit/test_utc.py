"""host_tools/common/utc.py against the standard library's datetime (an independent oracle)."""

import datetime

import pytest
from trainctl import clock

from host_tools.common import utc

UTC = datetime.timezone.utc


def test_epoch_is_the_firmwares():
    assert utc.EPOCH_UNIX == clock.EPOCH_DAYS * 86400 == datetime.datetime(2020, 1, 1, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("t", [0, 1732353387, 1732353387.25, 1732353387.9996, 1577836800.5, 2000000000.001])
def test_iso_utc_round_trips(t):
    text = utc.iso_utc(t)
    want = datetime.datetime.fromtimestamp(round(t, 3), UTC)
    assert utc.utc_s(text) == pytest.approx(want.timestamp(), abs=1e-6)
    assert text.endswith("Z") and ("." in text) == (want.microsecond != 0)
    assert utc.iso_utc(t, ms=False) == datetime.datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(utc.iso_utc(t, ms=True)) == 24


@pytest.mark.parametrize("text", ["2026-11-23T09:16:27Z", "2026-11-23T18:16:27+09:00", "2026-11-23T05:16:27.5-04:00",
                                  "2024-02-29T23:59:59Z"])
def test_utc_s_equals_datetime(text):
    want = datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    assert utc.utc_s(text, zone=True) == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize("text", ["2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z", "", "x",
                                  "2026-11-23 09:16:27Z", None])
def test_utc_s_refuses(text):
    with pytest.raises(ValueError):
        utc.utc_s(text)


def test_zone_required_when_asked():
    assert utc.utc_s("2026-11-23T09:16:27") == utc.utc_s("2026-11-23T09:16:27Z")
    with pytest.raises(ValueError):
        utc.utc_s("2026-11-23T09:16:27", zone=True)


def test_day_s():
    assert utc.day_s("2026-01-01") == datetime.datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    for bad in ("2026-02-29", "2026-1-01", "20260101", ""):
        with pytest.raises(ValueError):
            utc.day_s(bad)
