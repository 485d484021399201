"""Fetch pinned micropython-lib drivers from PyPI sdists, for host tests (CPython, standard library only).

    python -m host_tools.build.fetch_mplib [--dest DIR] [--index-url URL]

On a board the drivers come from `mpremote mip install NAME`; micropython.org's index is not reachable from
every build machine, PyPI is. Each pin names an sdist that packages the micropython-lib file unchanged: the
file link is found through the simple index API (PEP 691 JSON, PEP 503 HTML as fallback), the sdist must match
its pinned sha256, and the named members (pinned sha256 too) are written to DIR (default <repo>/.venv/mplib).
A member already present with the pinned hash is not fetched again, so a second run needs no network.
Run inside a venv, each member is also copied into the venv's site-packages, so `import ssd1306` works on
CPython (tests, benchmarks) with no path edits; the MicroPython runs use DIR.
CA bundle: $PIP_CERT or $SSL_CERT_FILE if set, else the system's. Index: --index-url, $PIP_INDEX_URL, PyPI.
"""

import argparse
import hashlib
import html.parser
import io
import json
import os
import shutil
import ssl
import sys
import sysconfig
import tarfile
import urllib.error
import urllib.parse
import urllib.request

from host_tools.common import cli
from host_tools.common.paths import MPLIB

DEFAULT_DEST = MPLIB
PYPI_SIMPLE = "https://pypi.org/simple/"
TIMEOUT_S = 60

# (project, version, sdist filename, sdist sha256, {member path inside the sdist's top folder: sha256}).
# micropython-ssd1306 0.3 (2021) is micropython-lib's drivers/display/ssd1306/ssd1306.py (MIT), one file.
PINS = (
    ("micropython-ssd1306", "0.3", "micropython-ssd1306-0.3.tar.gz",
     "d00cae1ff680e6ae504e258e700f002874b0d924b1a604253b6ea63144b58289",
     {"ssd1306.py": "fcdaff406b4c5cc56bc99a5cb1e85d58be2108b43d1bb50c432062323a48edb7"}),
)


class FetchError(Exception):
    """A fetch failed; the message says why and what to do."""


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path):
    try:
        with open(path, "rb") as f:
            return sha256_of(f.read())
    except FileNotFoundError:
        return None


def _ssl_context():
    return ssl.create_default_context(cafile=os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE") or None)


def _get(url, accept=None):
    """(body bytes, content type) of url; FetchError with the reason when unreachable."""
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S, context=_ssl_context()) as resp:
            return resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        raise FetchError("%s: HTTP %d %s" % (url, e.code, e.reason)) from e
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise FetchError("cannot reach %s (%s): offline? Connect to the network, or set --index-url / "
                         "PIP_INDEX_URL to a reachable mirror" % (url, reason)) from e


class _Links(html.parser.HTMLParser):
    """PEP 503 page: the href of every <a>, keyed by the anchor's text (the file name)."""

    def __init__(self):
        super().__init__()
        self.links = {}
        self._href = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None and data.strip():
            self.links[data.strip()] = self._href

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


def find_file_url(index_url, project, filename):
    """URL of `filename` on the project's simple index page (JSON or HTML answer)."""
    page = urllib.parse.urljoin(index_url.rstrip("/") + "/", project + "/")
    body, ctype = _get(page, "application/vnd.pypi.simple.v1+json, text/html;q=0.1")
    if "json" in ctype:
        links = {f["filename"]: f["url"] for f in json.loads(body)["files"]}
    else:
        parser = _Links()
        parser.feed(body.decode("utf-8", "replace"))
        links = parser.links
    if filename not in links:
        raise FetchError("%s is not listed on %s (found: %s)" % (filename, page, ", ".join(sorted(links)) or "none"))
    return urllib.parse.urljoin(page, links[filename]).split("#", 1)[0]


def fetch(pin, dest, index_url=PYPI_SIMPLE, log=print):
    """Make dest hold the pin's members with their pinned hashes; return the list of paths written."""
    project, version, filename, sdist_sha, members = pin
    todo = [m for m, h in sorted(members.items()) if _file_sha256(os.path.join(dest, os.path.basename(m))) != h]
    if not todo:
        log("%s %s: up to date in %s" % (project, version, dest))
        return []
    url = find_file_url(index_url, project, filename)
    data, _ = _get(url)
    got = sha256_of(data)
    if got != sdist_sha:
        raise FetchError("%s: sha256 %s, pinned %s; refusing to extract" % (url, got, sdist_sha))
    top = filename[: -len(".tar.gz")]
    written = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in todo:
            f = tar.extractfile(top + "/" + member)
            if f is None:
                raise FetchError("%s has no file %s/%s" % (filename, top, member))
            content = f.read()
            if sha256_of(content) != members[member]:
                raise FetchError("%s in %s: sha256 %s, pinned %s" % (member, filename, sha256_of(content),
                                                                     members[member]))
            os.makedirs(dest, exist_ok=True)
            path = os.path.join(dest, os.path.basename(member))
            tmp = path + ".part"
            with open(tmp, "wb") as out:
                out.write(content)
            os.replace(tmp, path)
            written.append(path)
            log("%s %s: wrote %s" % (project, version, path))
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dest", default=DEFAULT_DEST, help="target folder (default: %(default)s)")
    ap.add_argument("--index-url", default=os.environ.get("PIP_INDEX_URL") or PYPI_SIMPLE,
                    help="simple index base URL (default: $PIP_INDEX_URL or %s)" % PYPI_SIMPLE)
    args = ap.parse_args(argv)
    try:
        for pin in PINS:
            fetch(pin, args.dest, args.index_url)
            if sys.prefix != sys.base_prefix:  # a venv: make the members importable on CPython
                for member in pin[4]:
                    name = os.path.basename(member)
                    shutil.copyfile(os.path.join(args.dest, name), os.path.join(sysconfig.get_path("purelib"), name))
    except FetchError as e:
        print("fetch_mplib: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli.guard(main, "fetch_mplib"))
