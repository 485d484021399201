"""trainctl/codes.py names the numbers the firmware writes (journey log kinds, toilet states); the modules
that write them get private copies from host_tools/build/consts.py (tests/test_gen_consts.py)."""

from trainctl import codes


def test_kinds_are_distinct_and_fit_a_log_record():
    kinds = [v for k, v in vars(codes).items() if k.startswith(("EV_", "K_"))]
    assert len(kinds) == len(set(kinds)) and all(0 < k < 256 for k in kinds)  # one byte in a record
