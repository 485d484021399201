"""Shared fixtures: whole synthetic journeys with faults, generated once per test session."""

import json
import os

import pytest

from host_tools.synth import journey as synth  # imports no deploy code: the folder below is set in time

# The deploy CLI builds into one folder per board (build/deploy/<board>/): each pytest-xdist worker (make test
# runs two) gets its own, so two test files deploying at once never rebuild each other's image.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    os.environ["TRAINCTL_DEPLOY_BUILD"] = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                       "build", "deploy-" + _WORKER)

FAULTS = dict(noise_m=15.0, jumps=6, frozen=4, garbage=0.005, talkers=("GN", "GP", "BD", "GB", "GL"),
              shunting=True, outages=(("2026-11-23T12:00:00Z", 240), (40000, 600)))


def _journey(tmp_path_factory, direction, seed, **kw):
    args = dict(FAULTS)
    args.update(kw)
    data, truth = synth.generate(direction, seed=seed, **args)
    d = tmp_path_factory.mktemp("journey")
    track = d / ("%s-%d.nmea" % (direction, seed))
    track.write_bytes(data)
    (d / "truth.json").write_text(json.dumps(truth))
    return track, truth


@pytest.fixture(scope="session")
def full_journey(tmp_path_factory):
    """Beijing -> Pyongyang, 24 h at 1 Hz RMC+GGA with noise, outages, jumps, frozen fixes, garbage."""
    return _journey(tmp_path_factory, "to_pyongyang", 11)


@pytest.fixture(scope="session")
def full_journey_back(tmp_path_factory):
    """Pyongyang -> Beijing, with the whole border crossing unseen (outage), same faults."""
    return _journey(tmp_path_factory, "to_beijing", 12, outage_border=True)


@pytest.fixture(scope="session")
def border_journey(tmp_path_factory):
    """Dandong -> Sinuiju (the border window: the stay at Dandong, the Yalu bridge, the stay at Sinuiju), about 5 h
    at 1 Hz with the same faults and a 4-minute outage after the first half hour."""
    return _journey(tmp_path_factory, "to_pyongyang", 11, start="dandong", end="sinuiju", outages=((1800, 240),))



# The files that take longest (whole journeys, pty boards, the WebAssembly and unix ports; measured with
# `pytest --durations`), run first: with `--dist loadfile` each xdist worker takes the next file when it is free,
# so the big ones first and the small ones last let both workers finish together.
LONGEST_FIRST = (
    "property/test_real_line.py",
    "vboard/test_vboard.py",
    "vboard/test_deploy.py",
    "integration/test_voice.py",
    "integration/test_micropython.py",
    "vboard/test_deploy_failures.py",
    "vboard/test_vboard_strict.py",
    "integration/test_journeys.py",
    "integration/test_number_in_view.py",
    "integration/test_jlog.py",
    "integration/test_mp_core.py",
    "tooling/test_faults.py",
    "unit/test_display_e2e.py",
    "tooling/test_synth.py",
    "tooling/test_typecheck.py",
    "vboard/test_vboard_audio.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {f: i for i, f in enumerate(LONGEST_FIRST)}

    def key(item):
        path = item.nodeid.split("::", 1)[0]
        return rank.get(path[len("tests/"):] if path.startswith("tests/") else path, len(rank))

    items.sort(key=key)  # stable: the order within a file, and of the rest, as collected
