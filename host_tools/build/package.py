"""Write firmware/package.json, mip's manifest: every firmware file and the firmware's version. The native decoder
(boards/native/, viper) is not in it: a mip install decodes the announcements in Python (trainctl.voice's
fallback); `make deploy` and a freeze compile it for the board's architecture.

    python -m host_tools.build.package      (make package; run after adding or removing a firmware file)
"""

import json
import pathlib
import re
import sys

from host_tools.common.paths import FIRMWARE


def manifest(fw=pathlib.Path(FIRMWARE)):
    """The package.json dict: {"urls": [[board path, file], ...], "deps": [], "version": VERSION}."""
    files = sorted(p.relative_to(fw).as_posix() for p in fw.rglob("*.py") if p.name != "manifest.py")
    version = re.search(r'VERSION = "(.*)"', (fw / "trainctl" / "__init__.py").read_text()).group(1)
    return {"urls": [[f, f] for f in files], "deps": [], "version": version}


def main(argv=None):
    fw = pathlib.Path(FIRMWARE)
    (fw / "package.json").write_text(json.dumps(manifest(fw), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
