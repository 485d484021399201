"""The firmware as an installable unit: mip's package.json lists every firmware file, and the freeze
manifest names the package, its entry point and the pinned micropython-lib driver."""

import json
import re

from mp.mp import REPO

FW = REPO / "firmware"


def _version():
    return re.search(r'VERSION = "(.*)"', (FW / "trainctl" / "__init__.py").read_text()).group(1)


def test_package_json_lists_exactly_the_firmware_files():
    doc = json.loads((FW / "package.json").read_text())
    files = sorted(p.relative_to(FW).as_posix() for p in FW.rglob("*.py") if p.name != "manifest.py")
    assert [u[1] for u in doc["urls"]] == files, "firmware/package.json is stale: run `make package`"
    # relative URLs: the same path beside package.json; no native code (boards/native/: compiled for a -march)
    assert all(dest == src for dest, src in doc["urls"])
    assert not any("adpcm_viper" in src for _, src in doc["urls"])
    assert doc["deps"] == []  # not mip's `latest` ssd1306: deploy and the manifest use the pinned file
    assert doc["version"] == _version()


def test_manifest_freezes_the_package_main_and_the_driver():
    text = (FW / "manifest.py").read_text()
    calls = re.findall(r"^(\w+)\((.*)\)$", text, re.M)
    assert ("module", '"ssd1306.py", base_path="../.venv/mplib"') in calls  # the pinned driver, as the tests
    assert ("package", '"trainctl", opt=2') in calls and ("module", '"main.py", opt=2') in calls
    # native code, frozen with the port's -march (a freeze always has one) where the board's import finds it
    assert ("module", '"trainctl/adpcm_viper.py", base_path="../boards/native", opt=2') in calls
    assert (FW / ".." / "boards" / "native" / "trainctl" / "adpcm_viper.py").is_file()
    assert (FW / "trainctl" / "__init__.py").is_file() and (FW / "main.py").is_file()
