"""The depot's offline bundle: micropython-lib's files the firmware needs, pinned, in a local mip index.

    python -m host_tools.build.bundle [-o build/bundle] [--mplib DIR]

Writes DIR in the layout of mip's v2 index (package/<mpy>/<name>/latest.json and <version>.json listing
[path, short sha256], file/<h[:2]>/<short sha256> holding the bytes) plus DIR/BUNDLE.json ({name: [version,
path, sha256]}), from the files that host_tools/build/fetch_mplib.py pinned (sha256 checked; fetched from the
package index only when missing). `make deploy` (host_tools/board/deploy.py --bundle DIR) then takes the display
driver from the bundle and needs no network; the folder can be copied to a depot PC without internet, or
served (`python -m http.server -d DIR`) as an index for `mpremote mip install --index URL ssd1306`.
A second run with nothing changed writes no file. Exit status 0, or 2 with one line on stderr.
"""

import argparse
import hashlib
import json
import os
import sys

from host_tools.build import fetch_mplib
from host_tools.common import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "build", "bundle")
MPY_VERSION = "6"  # .mpy major version of the boards' MicroPython (mip's index is keyed by it)
MANIFEST = "BUNDLE.json"


class BundleError(Exception):
    pass


def _short(sha):
    return sha[:8]


def _put(path, data, written):
    """Write data to path unless it already holds exactly that."""
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "wb") as f:
        f.write(data)
    os.replace(path + ".part", path)
    written.append(path)


def make(out=DEFAULT_OUT, mplib=fetch_mplib.DEFAULT_DEST, log=print):
    """Build the bundle in out; the list of files written (empty when it was up to date)."""
    written = []
    manifest = {}
    for pin in fetch_mplib.PINS:
        project, version, _, _, members = pin
        if any(fetch_mplib._file_sha256(os.path.join(mplib, os.path.basename(m))) != h for m, h in members.items()):
            try:
                fetch_mplib.fetch(pin, mplib, log=log)
            except fetch_mplib.FetchError as e:
                raise BundleError(str(e)) from None
        name = project[len("micropython-"):] if project.startswith("micropython-") else project
        hashes = []
        for member, sha in sorted(members.items()):
            base = os.path.basename(member)
            with open(os.path.join(mplib, base), "rb") as f:
                data = f.read()
            if hashlib.sha256(data).hexdigest() != sha:
                raise BundleError("%s: not the pinned file" % base)
            _put(os.path.join(out, "file", sha[:2], _short(sha)), data, written)
            hashes.append([base, _short(sha)])
            manifest[base] = [version, "file/%s/%s" % (sha[:2], _short(sha)), sha]
        pkg = (json.dumps({"hashes": hashes, "deps": [], "version": version}, indent=1) + "\n").encode()
        for v in ("latest", version):
            _put(os.path.join(out, "package", MPY_VERSION, name, v + ".json"), pkg, written)
    _put(os.path.join(out, MANIFEST), (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode(), written)
    log("bundle %s: %d file(s) written, %d pinned file(s)" % (os.path.relpath(out, ROOT), len(written),
                                                              len(manifest)))
    return written


def driver_from(bundle, base):
    """The bytes of pinned file `base` (e.g. ssd1306.py) from a bundle folder, sha256 checked; BundleError."""
    try:
        with open(os.path.join(bundle, MANIFEST)) as f:
            manifest = json.load(f)
        _, rel, sha = manifest[base]
        with open(os.path.join(bundle, rel), "rb") as f:
            data = f.read()
    except (OSError, ValueError, KeyError) as e:
        raise BundleError("%s: no usable bundle (%s): run `make bundle`" % (bundle, e)) from None
    if hashlib.sha256(data).hexdigest() != sha or sha != dict(fetch_mplib.PINS[0][4]).get(base, sha):
        raise BundleError("%s in %s: not the pinned file (sha256): run `make bundle` again" % (base, bundle))
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.build.bundle", description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", default=DEFAULT_OUT, help="bundle folder (default: build/bundle)")
    ap.add_argument("--mplib", default=fetch_mplib.DEFAULT_DEST,
                    help="folder of the pinned files fetched by host_tools.build.fetch_mplib (default: .venv/mplib)")
    args = ap.parse_args(argv)
    try:
        make(args.out, args.mplib)
    except (BundleError, OSError) as e:
        print("bundle: error: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "bundle"))
