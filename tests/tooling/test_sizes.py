"""The house's size limits (issue 16): no host module over 500 lines, no firmware module over 300 (generated tables
aside), no function over 60 lines anywhere. A file's lines are counted as `wc -l` counts them; a function's from its
`def` (decorators excluded) to its last line, nested functions included."""

import ast
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
HOST = REPO / "host_tools"
FIRMWARE = REPO / "firmware"  # trainctl/, main.py and the manifest
FUNC_MAX = 60


def _generated(src):
    """A generated table (route, font, build data): its header says so; it follows its generator, not this limit."""
    return "Generated: do not edit" in src[:400]


def oversize(root, module_max):
    """['path: N lines' / 'path:line name(): N lines', ...] for the .py files under root past the limits."""
    out = []
    for p in sorted(root.rglob("*.py")):
        src = p.read_text(encoding="utf-8")
        if _generated(src):
            continue
        rel = p.relative_to(root.parent)
        n = src.count("\n")
        if n > module_max:
            out.append("%s: %d lines" % (rel, n))
        for node in ast.walk(ast.parse(src, str(p))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > FUNC_MAX:
                    out.append("%s:%d %s(): %d lines" % (rel, node.lineno, node.name, length))
    return out


def test_scan_finds_oversize(tmp_path):
    body = "".join("    x = %d\n" % i for i in range(FUNC_MAX))
    (tmp_path / "big.py").write_text("def f():\n" + body + "\n" * 10)
    (tmp_path / "gen.py").write_text('"""Tables. Generated: do not edit."""\n' + "\n" * 40)
    (tmp_path / "ok.py").write_text("def g():\n" + body[: -len("    x = 59\n")])
    found = oversize(tmp_path, 65)
    names = sorted(f.split(":")[0].split("/")[-1] for f in found)
    assert names == ["big.py", "big.py"], found  # the module and its function; gen.py and ok.py pass


def test_host_tools_sizes():
    assert oversize(HOST, 500) == []


def _firmware_over():
    return oversize(FIRMWARE, 300)


def test_firmware_sizes():
    assert _firmware_over() == []
