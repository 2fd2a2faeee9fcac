"""Timing: the median of repeated runs, so one slow run on a busy machine does not decide."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(run: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of `run` over `repeat` runs after `warmup` untimed runs."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
