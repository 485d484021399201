"""The shared constants are generated into the modules that use them (host_tools/build/consts.py): regenerated,
nothing differs; and what the generator writes is what the sources say."""

import re

from host_tools.build import consts as gen_consts
from host_tools.build import ui_text


def test_generated_blocks_are_up_to_date():
    known = gen_consts.facts()
    stale = [p.name for p in gen_consts.modules() if gen_consts.render(p.read_text(encoding="utf-8"), known)
             != p.read_text(encoding="utf-8")]
    assert stale == [], "run python -m host_tools.build.consts"


def test_a_new_use_gets_its_constant_and_an_unused_one_goes():
    known = gen_consts.facts()
    src = "from micropython import const\n\nfrom . import geo\n\n\ndef f():\n    return _EV_DOOR_OPEN + _T_AT\n"
    out = gen_consts.render(src, known)
    assert "_EV_DOOR_OPEN = const(1)" in out and "_T_AT = const(3)" in out and "_EV_IN" not in out
    assert out.index("from . import geo") < out.index(gen_consts.BEGIN)  # after the imports: no E402
    assert gen_consts.render(out, known) == out
    gone = out.replace("return _EV_DOOR_OPEN + _T_AT", "return 0")
    assert gen_consts.render(gone, known) == src.replace("return _EV_DOOR_OPEN + _T_AT", "return 0")
    mine = src.replace("from . import geo\n", "from . import geo\n\n_T_AT = const(7)\n")
    assert "_T_AT = const(3)" not in gen_consts.render(mine, known)  # a module's own definition wins


def test_facts_come_from_their_sources():
    from trainctl import codes, config, route_data, tuning
    from trainctl.text import text

    known = gen_consts.facts()
    for mod in (codes, tuning):
        for k, v in vars(mod).items():
            if re.fullmatch(r"[A-Z][A-Z0-9_]*", k):
                assert int(known[k][0], 0) == v, k
    assert int(known["DOOR_ALARM_CMS"][0]) == config.Config().door_alarm_cms() == 139
    for name in ui_text.ORDER:  # where host_tools/build/route.py puts the fixed texts in route_data.TEXT
        v = getattr(ui_text, name)
        want = v if isinstance(v, tuple) else (v,)
        i = int(known["T_" + name][0])
        assert tuple(text(route_data, i + k) for k in range(len(want))) == want, name
