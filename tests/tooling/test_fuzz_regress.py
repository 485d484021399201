"""The fuzzing corpus and every crash the fuzzer found, replayed through the targets (host_tools/verify/fuzz.py).

tests/data/fuzz/<target>/ holds the seed corpus (`python -m host_tools.verify.fuzz corpus`); tests/data/fuzz/crashes/
holds the inputs that raised or broke a contract, named <target>-<sha1>.<ext>. Each must now pass: no
exception but the target's documented one, and on every NMEA input the firmware's Parser giving the same
results in two different chunkings, each fix within its contract. A crash file fails here until its bug is fixed.
"""

import os

import pytest

from host_tools.verify import fuzz, fuzz_corpus

CASES = [(t, os.path.join(t, n)) for t in fuzz.TARGETS for n, _ in fuzz.read_dir(os.path.join(fuzz.FUZZ_DIR, t))]
CASES += [(fuzz.target_of(n), os.path.join("crashes", n)) for n, _ in fuzz.read_dir(fuzz.CRASH_DIR)]


def test_corpus_is_there_and_small():
    for t in fuzz.TARGETS:
        files = fuzz.read_dir(os.path.join(fuzz.FUZZ_DIR, t))
        assert 5 <= len(files) <= 60, t
        assert all(len(data) <= fuzz.MAX_LEN[t] for _, data in files), t


@pytest.mark.parametrize(("target", "name"), CASES, ids=[n for _, n in CASES])
def test_replay(target, name):
    assert target in fuzz.TARGETS, "crash file %s: name it <target>-<hash>.<ext>" % name
    with open(os.path.join(fuzz.FUZZ_DIR, name), "rb") as f:
        data = f.read()
    if target == "parser":
        for salt in (0, 7):
            fuzz.check_parser(data, salt)
        fuzz.check_parser(data[: len(data) // 2] + data)  # the same bytes after a cut line
    else:
        fuzz.CHECKS[target](data)


def test_mutators_keep_checksums_and_are_seeded():
    """The structure-aware mutator's sentences carry right checksums; the same seed gives the same input."""
    import random

    seed = fuzz.read_dir(os.path.join(fuzz.FUZZ_DIR, "parser"))[0][1]
    a = [fuzz.mutate_nmea(seed, 2048, random.Random(k), fuzz.raw_mutate(random.Random(k))) for k in range(50)]
    b = [fuzz.mutate_nmea(seed, 2048, random.Random(k), fuzz.raw_mutate(random.Random(k))) for k in range(50)]
    assert a == b
    track = fuzz.gen_track(random.Random(3), 2048)
    lines = [ln for ln in track.split(b"\r\n") if ln]
    assert lines and all(fuzz._resign(ln + b"\r\n") == ln + b"\r\n" for ln in lines)


def test_corpus_is_current():
    """The committed corpus is what `python -m host_tools.verify.fuzz corpus` writes from today's tests/data tracks and
    route source (it went stale once: 42 of 49 files after the tracks and the route were regenerated)."""
    want = fuzz_corpus.corpus_files()
    have = fuzz_corpus.committed_files()
    assert sorted(have) == sorted(want), "run: python -m host_tools.verify.fuzz corpus"
    stale = [n for n in want if have[n] != want[n]]
    assert stale == [], "stale seed files %s: run python -m host_tools.verify.fuzz corpus" % stale
