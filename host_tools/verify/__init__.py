"""Bug-hunting harnesses: the fault-injection soak and coverage-guided fuzzing."""
