"""trainctl/codes.py names the numbers the firmware writes (journey log kinds, toilet states); the modules
that write them keep private copies (folded constants: no RAM on the board). They must agree."""

from trainctl import coach, codes, counter, doors, sensors


def _private(mod, prefix):
    return {k[1:]: v for k, v in vars(mod).items() if k.startswith("_" + prefix) and isinstance(v, int)}


def test_every_private_copy_agrees_with_codes_and_every_code_has_a_writer():
    copies = {}
    for mod, prefix in ((doors, "EV_"), (counter, "EV_"), (sensors, "EV_"), (coach, "EV_"), (coach, "K_")):
        for name, v in _private(mod, prefix).items():
            assert getattr(codes, name) == v, (mod.__name__, name)
            copies[name] = v
    for name, v in {"WC_FREE": sensors._FREE, "WC_OCCUPIED": sensors._OCCUPIED,
                    "WC_CLOSED": sensors._CLOSED}.items():
        assert getattr(codes, name) == v, name
        copies[name] = v
    named = {k: v for k, v in vars(codes).items() if k[:3] in ("EV_", "K_S", "K_B", "K_F", "WC_")}
    assert named == copies


def test_kinds_are_distinct_and_fit_a_log_record():
    kinds = [v for k, v in vars(codes).items() if k.startswith(("EV_", "K_"))]
    assert len(kinds) == len(set(kinds)) and all(0 < k < 256 for k in kinds)  # one byte in a record
