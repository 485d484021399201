# Deliberately wrong for MicroPython; never imported or run.
# tests/test_typecheck.py type-checks this file with the firmware's pyright
# configs and lints it with typecheck/ruff-micropython.toml. A line ending in
# "# error: pyright" must get a pyright error, "# error: ruff" a ruff error,
# and no other line may get either.
# ruff: noqa: I001, UP006, UP035
import datetime  # error: pyright
import time
from typing import List  # error: ruff
import enum  # error: ruff
from collections.abc import Iterable  # error: ruff

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict  # allowed: never runs on MicroPython

t = time.monotonic()  # error: pyright
a = "xa".removeprefix("x")  # error: pyright
b = "1".zfill(3)  # error: pyright
c = "a".ljust(3)  # error: pyright
n = (5).bit_length()  # error: pyright
s = format(3, "03d")  # error: pyright
d = datetime.datetime(2024, 1, 1)
e = enum.Enum
items: List[int] = []
pairs: "Dict[str, int]" = {}
seq: "Iterable[int]" = ()
