"""The seed corpus of host_tools/verify/fuzz.py (`python -m host_tools.verify.fuzz corpus`): windows of the recorded
tracks in tests/data, generated tracks, the route source and edits of it, inputs CSVs; tests/data/fuzz/<target>/."""

import json
import os
import random

from host_tools.common import paths
from host_tools.common.nmea import line as sentence
from host_tools.verify.fuzz_mutate import _json_edit, gen_track
from host_tools.verify.fuzz_targets import CRASH_DIR, FUZZ_DIR, MAX_LEN, ROUTE_SRC, TARGETS

DATA_DIR = os.path.join(paths.ROOT, "tests", "data")


def read_dir(d):
    """(name, bytes) of the regular files in d, sorted; [] when d does not exist."""
    if not os.path.isdir(d):
        return []
    out = []
    for n in sorted(os.listdir(d)):
        p = os.path.join(d, n)
        if os.path.isfile(p) and not n.startswith("."):
            with open(p, "rb") as f:
                out.append((n, f.read()))
    return out


def corpus_files():
    """{"<target>/<name>": bytes} of the seed corpus, cut to the target's MAX_LEN. Deterministic: a fixed seed, the
    files of tests/data and the route source only (no clock, no hash order), so a regeneration equals the committed
    corpus until one of those sources changes (tests/tooling/test_fuzz_regress.py checks)."""
    files = {}
    rng = random.Random(7)
    _parser_seeds(files, rng, DATA_DIR)
    _route_seeds(files, rng)
    _inputs_seeds(files, rng, DATA_DIR)
    return {name: data[: MAX_LEN[name.split("/")[0]]] for name, data in sorted(files.items())}


def committed_files():
    """{"<target>/<name>": bytes} of the corpus now under tests/data/fuzz."""
    return {"%s/%s" % (t, n): data for t in TARGETS for n, data in read_dir(os.path.join(FUZZ_DIR, t))}


def make_corpus():
    """Rewrite tests/data/fuzz/<target>/ from tests/data and the route source: tens of files of a few KB a target."""
    files = corpus_files()
    for t in TARGETS:
        d = os.path.join(FUZZ_DIR, t)
        os.makedirs(d, exist_ok=True)
        for n, _ in read_dir(d):
            os.remove(os.path.join(d, n))
    for name, data in files.items():
        with open(os.path.join(FUZZ_DIR, name), "wb") as f:
            f.write(data)
    os.makedirs(CRASH_DIR, exist_ok=True)
    print("wrote %d files under %s" % (len(files), os.path.relpath(FUZZ_DIR, paths.ROOT)))


def _parser_seeds(files, rng, data_dir):
    for name in ("short_clean", "border_to_pyongyang", "border_to_beijing"):
        with open(os.path.join(data_dir, name + ".nmea"), "rb") as f:
            lines = f.read().splitlines(keepends=True)
        for k in range(6):  # windows spread over the track, cut at line ends
            a = (len(lines) - 40) * k // 5
            files["parser/%s-%d.nmea" % (name, k)] = b"".join(lines[a : a + rng.randint(12, 30)])
    for k in range(6):
        files["parser/track-%d.nmea" % k] = gen_track(rng, 3000)
    files["parser/gga-only-midnight.nmea"] = b"".join(sentence(s.encode()) for s in (
        "GNZDA,235957.00,23,11,2026,00,00", "GNGGA,235958.00,4000.00000,N,12000.00000,E,1,08,0.9,40.0,M,-8.0,M,,",
        "GNGGA,235959.00,4000.00000,N,12000.00000,E,1,08,0.9,40.0,M,-8.0,M,,",
        "GNGGA,000000.00,4000.00000,N,12000.00000,E,1,08,0.9,40.0,M,-8.0,M,,",
        "GNGGA,000001.00,4000.00000,N,12000.00000,E,1,08,0.9,40.0,M,-8.0,M,,"))
    files["parser/odd-lines.nmea"] = (
        b"$GPGSV,1,1," + b"0" * 104 + b"7*00\r\n" + sentence(b"GPGSV,1,1," + b"0" * 103 + b"7")
        + b"$GNRMC,0926\x00\r\n$$$\r\n\n\r" + bytes(range(256)) + sentence(b"GPTXT,01,01,02,u-blox")
        + sentence(b"PUBX,00,092600.00") + b"$GNRMC,092600.00,A,3954.12012,N,11625.26438,E,0.000,,231126,,,A,V*5a"
        + b"\r\n" + sentence(b"GNVTG,054.7,T,034.4,M,005.5,N,010.2,K,A") + sentence(b"BDGSV,1,1,05,21,45,179,36,1"))


def _route_seeds(files, rng):
    with open(ROUTE_SRC, "rb") as f:
        route_text = f.read()
    doc = json.loads(route_text)
    files["route/beijing-pyongyang.json"] = route_text
    files["route/compact.json"] = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    small = json.loads(route_text)
    keep = [p for p in small["points"] if p.get("kind") == "station" or p.get("id") == small["border"]["ref"]]
    small["points"] = keep
    for p in small["points"]:
        p.pop("note", None)
        p.pop("source", None)
    small_text = json.dumps(small, ensure_ascii=False, separators=(",", ":"))
    files["route/stations-only.json"] = small_text.encode()
    for k in range(8):  # a few edits of the real file that load() refuses or takes
        d = json.loads(small_text)
        for _ in range(k % 3 + 1):
            _json_edit(d, rng)
        files["route/edit-%d.json" % k] = json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()
    files["route/not-json.json"] = route_text[:700]
    files["route/empty-object.json"] = b"{}"


def _inputs_seeds(files, rng, data_dir):
    with open(os.path.join(data_dir, "inputs_short_clean.csv"), "rb") as f:
        rows = f.read().splitlines(keepends=True)
    for k in range(6):
        a = 1 + (len(rows) - 60) * k // 5
        files["inputs/short_clean-%d.csv" % k] = rows[0] + b"".join(rows[a : a + rng.randint(10, 40)])
    files["inputs/crlf-spaces.csv"] = b" utc , input , value\r\n2026-11-23T09:17:07.811Z , wc_1 , 1\r\n\r\n"
    files["inputs/bad-order.csv"] = (b"utc,input,value\n2026-11-23T09:17:08.000Z,wc_1,1\n"
                                     b"2026-11-23T09:17:07.000Z,wc_1,0\n")
    files["inputs/header-only.csv"] = b"utc,input,value\n"
    files["inputs/bad-time.csv"] = b"utc,input,value\n2026-02-30T09:17:07.811Z,wc_2,1\n"
