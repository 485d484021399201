"""Write firmware/package.json, mip's manifest: every firmware file and the firmware's version. A file of
firmware/native/ (native code: a board compiles it at import with its own native emitter) is installed where
deploy puts it, without the native/ prefix.

    python -m host_tools.build.package      (make package; run after adding or removing a firmware file)
"""

import json
import pathlib
import re
import sys

from host_tools.build.firmware import board_path
from host_tools.common.paths import FIRMWARE


def manifest(fw=pathlib.Path(FIRMWARE)):
    """The package.json dict: {"urls": [[board path, file], ...], "deps": [], "version": VERSION}."""
    files = sorted(p.relative_to(fw).as_posix() for p in fw.rglob("*.py") if p.name != "manifest.py")
    version = re.search(r'VERSION = "(.*)"', (fw / "trainctl" / "__init__.py").read_text()).group(1)
    return {"urls": [[board_path(f), f] for f in files], "deps": [], "version": version}


def main(argv=None):
    fw = pathlib.Path(FIRMWARE)
    (fw / "package.json").write_text(json.dumps(manifest(fw), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
