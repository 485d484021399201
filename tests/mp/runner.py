# Minimal test runner for portable tests; runs unchanged on CPython,
# the MicroPython unix port and the MicroPython WebAssembly port.
#
#   micropython tests/mp/runner.py [-v] MODULE_OR_FILE...
#   python3     tests/mp/runner.py [-v] portable.test_x tests/portable/test_y.py
#
# For each argument (dotted module name, or a .py path) it imports the
# module, calls every top-level callable whose name starts with "test_"
# (sorted by name, no arguments, no fixtures) and reports:
#   FAIL module.test_name: ExcType: message   (after the traceback)
# The last line is always "N passed, N failed". Exit status is 1 if any
# test failed or no test ran, else 0. A module that fails to import counts
# as one failed test.
#
# The repository's tests/ and firmware/ directories (found from this file's
# location) are appended to sys.path, so no MICROPYPATH/PYTHONPATH is needed.
#
# Only features present on MicroPython are used: no traceback module unless
# sys.print_exception is missing (CPython), no os.path, no f-strings.

import sys

try:
    import io
except ImportError:  # pragma: no cover - every supported port has io
    io = None

try:
    import gc
except ImportError:  # pragma: no cover
    gc = None


def _format_exc(exc):
    """Return the traceback text of exc ('' if it cannot be formatted)."""
    if io is None:
        return ""
    buf = io.StringIO()
    if hasattr(sys, "print_exception"):  # MicroPython
        sys.print_exception(exc, buf)
    else:  # CPython
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=buf)
    return buf.getvalue()


def _describe(exc):
    """'ExcType: message', or just 'ExcType' when the message is empty."""
    msg = str(exc)
    name = type(exc).__name__
    if msg:
        return name + ": " + msg
    return name


def _dirname(path):
    i = path.rfind("/")
    if i < 0:
        return ""
    if i == 0:
        return "/"
    return path[:i]


def _abspath(path):
    """Absolute, normalised ('.'/'..' removed) form of a '/'-separated path."""
    if not path.startswith("/"):
        try:
            import os

            cwd = os.getcwd()
        except (ImportError, AttributeError, OSError):
            cwd = ""
        path = cwd + "/" + path
    parts = []
    for part in path.split("/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def _add_repo_paths():
    """Append <repo>/tests and <repo>/firmware to sys.path if missing.

    Also drops this file's own directory (tests/mp, put first on sys.path
    when runner.py runs as a script): there `mp` would name tests/mp/mp.py
    instead of the tests/mp package that `from mp import runner` needs.
    """
    here = globals().get("__file__")
    if not here:
        return
    own_dir = _dirname(_abspath(here))
    tests_dir = _dirname(own_dir)
    repo = _dirname(tests_dir)
    for p in list(sys.path):
        if p and _abspath(p) == own_dir:
            sys.path.remove(p)
    known = [_abspath(p) for p in sys.path if p]
    for d in (tests_dir, repo + "/firmware"):
        if d not in known:
            sys.path.append(d)


def module_name(arg):
    """Dotted module name for arg (a dotted name, or a path to a .py file).

    A path under a sys.path entry maps to the dotted name relative to the
    longest such entry; otherwise its directory is appended to sys.path.
    """
    if not arg.endswith(".py"):
        return arg
    path = _abspath(arg[:-3])
    best = None
    for entry in sys.path:
        if entry in (".frozen",):
            continue
        root = _abspath(entry)
        inside = root != "/" and path.startswith(root + "/")
        if inside and (best is None or len(root) > len(best)):
            best = root
    if best is not None:
        return path[len(best) + 1 :].replace("/", ".")
    sys.path.append(_dirname(path))
    return path[path.rfind("/") + 1 :]


def import_module(name):
    """Import a dotted module name and return the module object."""
    __import__(name)
    return sys.modules[name]


def collect(mod):
    """Sorted list of (name, callable) for the module's test_* callables."""
    tests = []
    for name in dir(mod):
        if not name.startswith("test_"):
            continue
        obj = getattr(mod, name)
        if callable(obj) and not isinstance(obj, type):
            tests.append((name, obj))
    tests.sort(key=lambda item: item[0])
    return tests


def run_tests(mod, write, verbose=False):
    """Run the test_* callables of mod; return (passed, failed).

    mod is anything with attributes (a module, or an object in self-tests);
    its __name__ (if any) prefixes the reported test names. write(line)
    receives each output line without the trailing newline.
    """
    prefix = getattr(mod, "__name__", "?") + "."
    passed = 0
    failed = 0
    for name, func in collect(mod):
        try:
            func()
        except Exception as exc:  # KeyboardInterrupt/SystemExit propagate
            failed += 1
            tb = _format_exc(exc)
            if tb:
                write(tb.rstrip("\n"))
            write("FAIL " + prefix + name + ": " + _describe(exc))
        else:
            passed += 1
            if verbose:
                write("ok " + prefix + name)
        if gc is not None:
            gc.collect()
    return passed, failed


def _print_line(line):
    print(line)


def main(argv):
    """Run the modules named in argv; return the process exit status."""
    verbose = False
    names = []
    for arg in argv:
        if arg == "-v":
            verbose = True
        else:
            names.append(arg)
    _add_repo_paths()
    passed = 0
    failed = 0
    for arg in names:
        name = module_name(arg)
        try:
            mod = import_module(name)
        except Exception as exc:
            failed += 1
            tb = _format_exc(exc)
            if tb:
                print(tb.rstrip("\n"))
            print("FAIL " + name + ": " + _describe(exc))
            continue
        p, f = run_tests(mod, _print_line, verbose)
        passed += p
        failed += f
    print("%d passed, %d failed" % (passed, failed))
    if failed or not passed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
