"""Hypothesis budgets: `make test` runs the numbers below, `make soak` multiplies them."""

import os

from hypothesis import settings

SCALE = int(os.environ.get("HYPOTHESIS_SCALE", "1"))
# CI runs the same examples every time (no flaky red from a new random draw); a soak explores.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") and SCALE == 1 else "dev")


def examples(n):
    return n * SCALE
