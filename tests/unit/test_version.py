"""The oldest MicroPython supported: one number (trainctl.MIN_MICROPYTHON), the version the tests run the portable
suite on (package.json's npm alias), the statement in the README and docs/boards.md, and a clear message at boot on
an older one. Also main.py's service loop (Ctrl-C keeps the watchdog fed) and the boot line's rom=/frozen=."""

import json
import re
import sys
import types

import pytest
import trainctl
from mp.mp import REPO
from trainctl import app as app_mod


def test_min_version_is_the_oldest_tested_and_stated_in_the_docs():
    dev = json.loads((REPO / "package.json").read_text())["devDependencies"]
    old = [v.rsplit("@", 1)[1] for k, v in dev.items() if k.startswith("micropython-webassembly-")]
    assert old == ["%d.%d.%d" % trainctl.MIN_MICROPYTHON]
    for doc in ("README.md", "docs/boards.md"):  # the README's deploy section; the boards page says what happens
        text = (REPO / doc).read_text()
        assert re.search(r"MicroPython %d\.%d\.%d or newer" % trainctl.MIN_MICROPYTHON, text), doc


@pytest.mark.parametrize("v,ok", [((1, 27, 0), True), ((1, 29, 0, "preview"), True), ((2, 0, 0), True),
                                  ((1, 26, 1), False), ((1, 27, 0, "preview"), False), ((1, 19, 1), False)])
def test_check_runtime(v, ok):
    if ok:
        trainctl.check_runtime(v)
    else:
        with pytest.raises(RuntimeError, match=r"^MicroPython 1\.27\.0 or newer needed, this is 1\.\d+\.\d"):
            trainctl.check_runtime(v)


def _main(monkeypatch, fail):
    """Run firmware/main.py on CPython with a fake board whose controller cannot start (fail raised by
    check_runtime); the service loop's second sleep is a Ctrl-C."""
    kept, fed, shown = [], [], []

    class Disp:
        def fill(self, c):
            shown.clear()

        def text(self, s, x, y, c):
            shown.append(s)

        def show(self):
            pass

    hw = types.SimpleNamespace(display=Disp(), wdt=types.SimpleNamespace(feed=lambda: fed.append(1)),
                               keep_alive=lambda: kept.append(1))
    monkeypatch.setitem(sys.modules, "board", types.SimpleNamespace(build=lambda: hw))

    def check_runtime():
        raise fail

    monkeypatch.setattr(trainctl, "check_runtime", check_runtime)
    import time

    calls = []

    def sleep_ms(ms):
        calls.append(ms)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep_ms", sleep_ms, raising=False)
    code = compile((REPO / "firmware" / "main.py").read_text(), "main.py", "exec")
    with pytest.raises(KeyboardInterrupt):
        exec(code, {"__name__": "__main__"})
    return kept, fed, shown


def test_an_old_micropython_is_said_on_the_display_and_ctrl_c_keeps_the_watchdog_fed(monkeypatch, capsys):
    kept, fed, shown = _main(monkeypatch, RuntimeError("MicroPython 1.27.0 or newer needed, this is 1.26.1"))
    out = capsys.readouterr().out
    assert "cannot start: RuntimeError: MicroPython 1.27.0 or newer needed, this is 1.26.1" in out
    assert "".join(shown[2:]).startswith("MicroPython 1.27.0 or newer needed")  # the whole sentence, 4 lines
    assert fed == [1, 1] and kept == [1]  # fed while waiting; Ctrl-C: the keep-alive timer takes over
    assert "watchdog kept fed until reset" in out


def test_boot_line_says_where_the_modules_came_from(tmp_path):
    f = tmp_path / "app.mpy"
    f.write_bytes(b"M")
    assert app_mod.source(str(f)) == 0  # the filesystem
    assert app_mod.source("/rom/trainctl/app.mpy") == 1  # a ROMFS partition
    assert app_mod.source("trainctl/app.py") == 2  # frozen: the name a manifest gives, on no filesystem
