"""One error convention for every host command line: a clear one-line message and exit status 2 on bad input,
never a traceback.

    if __name__ == "__main__":
        sys.exit(cli.guard(main, "replay"))

guard() runs main() and turns what escapes it into one line on stderr: a missing or unreadable file
(OSError), a value that cannot be used (ValueError, KeyError, UnicodeDecodeError, json's and csv's errors)
and UsageError exit 2; anything else exits 1 as "internal error" (TRAINCTL_DEBUG=1 shows the traceback);
Ctrl-C exits 130; a closed pipe (| head) exits 0. argparse's own usage errors keep their exit status 2.
"""

import contextlib
import io
import os
import sys


class UsageError(Exception):
    """Bad input found by a tool's own checks: the message is the whole line."""


def message(e):
    """One line for an exception."""
    if isinstance(e, OSError):
        what = e.strerror or str(e) or type(e).__name__
        return "%s: %s" % (e.filename, what) if e.filename else what
    if isinstance(e, KeyError):
        return "unknown %s" % (e.args[0] if e.args else "key")
    text = " ".join(str(e).split())
    if isinstance(e, UsageError):
        return text
    return "%s: %s" % (type(e).__name__, text) if not isinstance(e, ValueError) or not text else text


def guard(main, prog, argv=None):
    """main(argv) or main(); its exit status, with every exception turned into one line on stderr."""
    try:
        return main(argv) if argv is not None else main()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print("%s: interrupted" % prog, file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except (UsageError, OSError, ValueError, KeyError, LookupError) as e:
        if os.environ.get("TRAINCTL_DEBUG"):
            raise
        print("%s: error: %s" % (prog, message(e)), file=sys.stderr)
        return 2
    except Exception as e:
        if os.environ.get("TRAINCTL_DEBUG"):
            raise
        print("%s: internal error: %s: %s (TRAINCTL_DEBUG=1 shows the traceback)"
              % (prog, type(e).__name__, " ".join(str(e).split())), file=sys.stderr)
        return 1


def check_writable(path, what="--state"):
    """UsageError unless a file can be written at path (a directory, or a folder that is missing or read-only,
    is refused before any work is done)."""
    if os.path.isdir(path):
        raise UsageError("%s %s: is a directory, not a file" % (what, path))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError("%s %s: no such folder %s" % (what, path, folder))
    if os.path.exists(path) and not os.access(path, os.W_OK) or not os.access(folder, os.W_OK):
        raise UsageError("%s %s: cannot be written (permission denied)" % (what, path))


def check_track(path):
    """UsageError for a track that is missing, empty or not text NMEA (no line starting with '$' among the
    first 64 KiB)."""
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError as e:
        raise UsageError("%s: %s" % (path, e.strerror)) from None
    if not head:
        raise UsageError("%s: empty track (no NMEA sentences)" % path)
    text = sum(1 for c in head if c in (9, 10, 13) or 32 <= c < 127)
    if b"$" not in head or text < len(head) * 0.9:  # NMEA is ASCII; a garbage-injected track is >99 % text
        raise UsageError("%s: not an NMEA track (binary, or no line starting with '$')" % path)


def board_command(prog, fn, errors):
    """The exit status of a command that talks to a board: fn() done, 0; one of errors (exceptions with a .code,
    e.g. DeployError) printed as one line "prog: error: ..." with its code; Ctrl-C, 1 (fn's own cleanup has put
    the board back to running its firmware)."""
    try:
        fn()
    except errors as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("%s: interrupted" % prog, file=sys.stderr)
        return 1
    return 0


def quiet(fn, *args, **kw):
    """fn(*args, **kw) with its prints captured (mpremote's calls print): (result, text printed)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        r = fn(*args, **kw)
    return r, buf.getvalue()
