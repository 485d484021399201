"""The README's commands, as a newcomer types them on a fresh clone (issue 16, item 5), and those of docs/*.md.

Every `make TARGET` the README or a docs/ page names is a target of the Makefile (`make -n`, nothing run); every
`.venv/bin/python -m MODULE ...` they show is a module that answers `--help` and knows each option and
subcommand they give it; none is written `python -m ...` (that needs an activated venv); the README's replay
command runs as written on a short track. Every relative link of those pages (and its #anchor) leads somewhere.
The long jobs behind the make targets (sim, bench, soak, deploy) run in their own tests or in CI, not here.
"""

import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TEXTS = {p: p.read_text(encoding="utf-8") for p in PAGES}
README = TEXTS[REPO / "README.md"]
SHORT_TRACK = REPO / "tests" / "data" / "short_clean.nmea"
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def fenced_lines(text):
    """The lines of a page's ```sh blocks, comments off."""
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                yield line


def inline_commands(text):
    """`...` spans that are commands: a make target or a module run by the venv's Python."""
    for span in re.findall(r"`([^`\n]+)`", text):
        if span.startswith(("make ", ".venv/bin/python -m ")):
            yield span


def commands(texts=None):
    out = set()
    for text in texts or TEXTS.values():
        out |= set(fenced_lines(text)) | set(inline_commands(text))
    return sorted(out)


def make_targets(texts=None):
    """(target, VAR=value assignments) of every `make` command; `make demo ...` and the like by their target."""
    out = set()
    for cmd in commands(texts):
        words = cmd.split()
        if words[0] != "make" or len(words) < 2:
            continue
        target = words[1]
        assigns = tuple(w for w in words[2:] if re.fullmatch(r"[A-Z_]+=\S+", w))
        out.add((target, assigns))
    return sorted(out)


def module_commands(texts=None):
    """(module, options, subcommands) of every `.venv/bin/python -m` command."""
    out = []
    for cmd in commands(texts):
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
    targets = {t for t, _ in make_targets([README])}
    assert {"sim", "test", "check", "deploy", "bench", "soak"} <= targets
    modules = {m for m, _, _, _ in module_commands([README])}
    assert {"host_tools.replay", "host_tools.board.crew", "host_tools.board.jlog"} <= modules


def test_the_docs_are_scanned_too():
    """docs/*.md are read (the moved sections' commands: the fault soak, the virtual board on a pty, the synth)."""
    names = {p.name for p in PAGES}
    assert {"README.md", "deploy.md", "reliability.md", "sensors.md", "tests.md"} <= names
    modules = {m for m, _, _, _ in module_commands()}
    assert {"host_tools.verify.faults", "host_tools.vboard.ptyboard", "host_tools.board.fleet"} <= modules


def test_make_sim_and_make_test_come_first():
    """The README's first block of commands is the two commands: `make sim`, `make test`."""
    first = re.search(r"```sh\n(.*?)```", README, re.S).group(0)
    assert list(fenced_lines(first)) == ["make sim", "make test"], first


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_command_needs_an_activated_venv(page):
    """A fresh clone has no venv on PATH: a module runs as `.venv/bin/python -m`, never `python -m`."""
    text = TEXTS[page]
    bare = [c for c in list(fenced_lines(text)) + re.findall(r"`([^`\n]+)`", text)
            if re.match(r"(python3?|pip3?|pytest) ", c)]
    assert not bare, f"{page.name}: {bare}"


@pytest.mark.parametrize("target,assigns", make_targets(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_make_target_exists(target, assigns):
    p = subprocess.run(["make", "-n", target, *assigns], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"`make {target}` from the README or docs/: {p.stderr.strip()[-400:]}"
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
        assert re.search(re.escape(opt) + r"(?![\w-])", text), f"`{cmd}`: {module} has no option {opt}"


def test_replay_command_runs_as_written():
    """The README's replay line, TRACK a short recorded track and the optional parts dropped."""
    (cmd,) = [c for c in fenced_lines(README) if c.startswith(".venv/bin/python -m host_tools.replay ")]
    words = shlex.split(re.sub(r"\[[^]]*\]", "", cmd))
    assert words[-1] == "TRACK", cmd
    words[-1] = str(SHORT_TRACK)
    words[0] = sys.executable  # the venv's Python, wherever this test runs from
    p = subprocess.run(words, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-600:]
    assert "summary:" in p.stdout and "Traceback" not in p.stderr


def prose(text):
    """The page without its fenced blocks and code spans (no links or headings there)."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def slug(heading):
    """GitHub's anchor for a heading: lower case, code marks and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    out, seen = set(), {}
    for line in FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        m = re.match(r"#{1,6} (.+)", line)
        if m:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else f"{s}-{n}")
    return out


def links(page):
    """(target, fragment) of every relative link and image of a page."""
    for target in re.findall(r"\]\(([^)\s]+)\)", prose(TEXTS[page])):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, frag = target.partition("#")
        yield path, frag


def test_the_link_scan_finds_links():
    """The scan sees the README's links to docs/ and the pages' pictures (not vacuous)."""
    readme = {p for p, _ in links(REPO / "README.md")}
    assert {"docs/route.md", "docs/deploy.md", "BENCH.md"} <= readme
    assert "frames/oled.gif" in {p for p, _ in links(REPO / "docs" / "passengers.md")}
    assert slug("What a fresh clone has, and what needs `../shared/`") == "what-a-fresh-clone-has-and-what-needs-shared"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_lead_somewhere(page):
    """Every relative link of the README and docs/*.md names a file of the repository, and its #anchor a heading."""
    bad = []
    for path, frag in links(page):
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            bad.append(f"{path}: no such file")
        elif frag and target.suffix == ".md" and frag not in anchors(target):
            bad.append(f"{path}#{frag}: no such heading")
    assert not bad, f"{page.relative_to(REPO)}: {bad}"
