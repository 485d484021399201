"""The README's commands, as a newcomer types them on a fresh clone (issue 16, item 5).

Every `make TARGET` the README names is a target of the Makefile (`make -n`, nothing run); every
`.venv/bin/python -m MODULE ...` it shows is a module that answers `--help` and knows each option and
subcommand the README gives it; the replay command runs as written on a short track. The long jobs behind
the make targets (sim, bench, soak, deploy) run in their own tests or in CI, not here.
"""

import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SHORT_TRACK = REPO / "tests" / "data" / "short_clean.nmea"


def fenced_lines():
    """The lines of the README's ```sh blocks, comments off."""
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                yield line


def inline_commands():
    """`...` spans that are commands: a make target or a module run by the venv's Python."""
    for span in re.findall(r"`([^`\n]+)`", README):
        if span.startswith(("make ", ".venv/bin/python -m ")):
            yield span


def commands():
    return sorted(set(fenced_lines()) | set(inline_commands()))


def make_targets():
    """(target, VAR=value assignments) of every `make` command; `make demo ...` and the like by their target."""
    out = set()
    for cmd in commands():
        words = cmd.split()
        if words[0] != "make" or len(words) < 2:
            continue
        target = words[1]
        assigns = tuple(w for w in words[2:] if re.fullmatch(r"[A-Z_]+=\S+", w))
        out.add((target, assigns))
    return sorted(out)


def module_commands():
    """(module, options, subcommands) of every `.venv/bin/python -m` command."""
    out = []
    for cmd in commands():
        if not cmd.startswith(".venv/bin/python -m "):
            continue
        words = cmd.replace("[", " ").replace("]", " ").split()
        module = words[2]
        rest = words[3:]
        options = sorted({w.split("=", 1)[0] for w in rest if w.startswith("--")})
        # A lower-case word right after the module (or after --port VALUE) is a subcommand: pull, csv, show...
        subs = []
        i = 0
        while i < len(rest):
            w = rest[i]
            if w == "--port":
                i += 2
                continue
            if re.fullmatch(r"[a-z]+", w):
                subs.append(w)
            break
        out.append((module, tuple(options), tuple(subs), cmd))
    return out


def test_the_readme_shows_commands():
    """The scan finds the README's commands at all (a reworded README must not make this test vacuous)."""
    targets = {t for t, _ in make_targets()}
    assert {"sim", "test", "check", "deploy", "bench", "soak"} <= targets
    modules = {m for m, _, _, _ in module_commands()}
    assert {"host_tools.replay", "host_tools.board.crew", "host_tools.board.jlog"} <= modules


@pytest.mark.parametrize("target,assigns", make_targets(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_make_target_exists(target, assigns):
    p = subprocess.run(["make", "-n", target, *assigns], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"`make {target}` from the README: {p.stderr.strip()[-400:]}"
    assert "No rule to make target" not in p.stderr


@cache
def help_text(module, *subs):
    p = subprocess.run([sys.executable, "-m", module, *subs, "--help"], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.parametrize("module,options,subs,cmd", module_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_module_command_knows_its_options(module, options, subs, cmd):
    rc, text = help_text(module)
    assert rc == 0, f"`{cmd}`: `python -m {module} --help` failed:\n{text[-600:]}"
    for sub in subs:
        assert re.search(r"[{,]" + sub + r"[,}]", text), f"`{cmd}`: {module} has no subcommand {sub}"
    if subs and module != "host_tools.board.crew":  # crew takes --port before its subcommand
        rc, sub_text = help_text(module, *subs)
        assert rc == 0, f"`{cmd}`: `python -m {module} {' '.join(subs)} --help` failed:\n{sub_text[-600:]}"
        text += sub_text
    for opt in options:
        if opt == "--help":
            continue
        assert re.search(re.escape(opt) + r"\b", text), f"`{cmd}`: {module} has no option {opt}"


def test_replay_command_runs_as_written():
    """The README's replay line, TRACK a short recorded track and the optional parts dropped."""
    (cmd,) = [c for c in fenced_lines() if c.startswith(".venv/bin/python -m host_tools.replay ")]
    words = shlex.split(re.sub(r"\[[^]]*\]", "", cmd))
    assert words[-1] == "TRACK", cmd
    words[-1] = str(SHORT_TRACK)
    words[0] = sys.executable  # the venv's Python, wherever this test runs from
    p = subprocess.run(words, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-600:]
    assert "summary:" in p.stdout and "Traceback" not in p.stderr
