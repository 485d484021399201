"""The generated build day (firmware/trainctl/build_data.py), the pivot of the GPS week-rollover correction."""

import datetime
import subprocess
import sys
from pathlib import Path

from trainctl import build_data, clock, nmeafield

from host_tools.build import pivot as gen_pivot
from host_tools.common.paths import ROOT

REPO = Path(ROOT)
OUT = REPO / "firmware" / "trainctl" / "build_data.py"
DATA = REPO / "tests" / "data"


def test_build_data_is_what_the_generator_makes(tmp_path):
    text = OUT.read_text()
    day = gen_pivot.recorded_date(text)
    out = tmp_path / "build_data.py"
    subprocess.run([sys.executable, "-m", "host_tools.build.pivot", "--date", day.isoformat(), str(out)], cwd=REPO,
                   check=True)
    assert out.read_text().replace(str(out), "firmware/trainctl/build_data.py") == text, "run `make pivot`"
    assert (day - datetime.date(2020, 1, 1)).days == build_data.PIVOT_DAY
    assert clock.days_from_civil(day.year, day.month, day.day) - clock.EPOCH_DAYS == build_data.PIVOT_DAY


def test_the_pivot_is_not_after_the_recorded_journeys():
    """A correct date before the pivot would move 19.6 years ahead: the test tracks must not be before it."""
    for path in DATA.glob("*.nmea"):
        for line in path.read_bytes().splitlines():
            if line[3:6] == b"RMC":
                date = line.split(b",")[9]
                d = clock.days_from_civil(2000 + int(date[4:6]), int(date[2:4]), int(date[0:2])) - clock.EPOCH_DAYS
                assert d >= build_data.PIVOT_DAY, (path.name, line)
                break


def test_constants():
    assert clock.days_from_civil(2054, 1, 1) - clock.EPOCH_DAYS == nmeafield._MAX_DAY
    assert nmeafield._MAX_DAY * 86400 < 2**30
    assert nmeafield._ROLLOVER_DAYS == 1024 * 7
