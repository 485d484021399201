# Checks of tests/mp/runner.py itself, run by that runner on MicroPython
# (unix and WebAssembly ports) and by pytest on CPython.
# Needs <repo>/tests on sys.path (runner.py and pytest both arrange that).

from mp import runner


class _FakeModule:
    """Stands in for a test module: runner only needs attributes."""

    __name__ = "fake"

    def __init__(self, **attrs):
        for key in attrs:
            setattr(self, key, attrs[key])


def _ok():
    pass


def _bad():
    # An explicit raise: pytest rewrites the message of a failing `assert`.
    raise ValueError("bad value")


def _needs_arg(x):
    return x


def test_failing_function_is_reported_as_failed():
    lines = []
    mod = _FakeModule(test_a_ok=_ok, test_b_bad=_bad)
    passed, failed = runner.run_tests(mod, lines.append)
    assert (passed, failed) == (1, 1), (passed, failed)
    assert lines[-1] == "FAIL fake.test_b_bad: ValueError: bad value", lines
    # The traceback is written before the FAIL line.
    assert len(lines) == 2 and "ValueError" in lines[0], lines


def test_collects_only_argumentless_test_callables():
    mod = _FakeModule(
        test_data=[1, 2],  # not callable: ignored
        test_Class=_FakeModule,  # a class: ignored
        helper_test=_bad,  # wrong prefix: ignored
        test_z=_ok,
        test_takes_arg=_needs_arg,  # called without arguments: fails
    )
    names = [name for name, _ in runner.collect(mod)]
    assert names == ["test_takes_arg", "test_z"], names
    lines = []
    assert runner.run_tests(mod, lines.append) == (1, 1), lines
    assert lines[-1].startswith("FAIL fake.test_takes_arg: TypeError"), lines
