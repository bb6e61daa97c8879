"""Counters the generated suites (authorization matrix, API fuzzing) report at the end of a run."""

from collections import Counter

COUNTS: Counter = Counter()
