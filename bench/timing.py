"""Timing: the median of repeated runs, so one slow run on a busy machine does not decide."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bench.size import sized

REPEAT, WARMUP = sized(5, 1), sized(1, 0)


def median_seconds(
    run: Callable[[], object], *, repeat: int = REPEAT, warmup: int = WARMUP
) -> float:
    """Median wall time of `run` over `repeat` runs after `warmup` untimed runs."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def p50_p95(times_ms: list[float]) -> tuple[float, float]:
    """The median and 95th percentile of latencies (milliseconds in, milliseconds out)."""
    return statistics.median(times_ms), statistics.quantiles(times_ms, n=100)[94]


def latency_percentiles(
    run: Callable[[int], object], count: int, *, warmup: int = sized(10, 1)
) -> tuple[float, float]:
    """p50 and p95 in milliseconds of `run(i)` for i in range(count), after `warmup` untimed
    calls (each call gets its own index, e.g. to pick its query)."""
    for i in range(warmup):
        run(i)
    times = []
    for i in range(count):
        started = time.perf_counter()
        run(i)
        times.append((time.perf_counter() - started) * 1000)
    return p50_p95(times)
