"""The statistics behind the platform events template: exact percentiles and a binomial tail.

Both are computed from integers the SQL returns (ranks, counts), so the embedded lake and
BigQuery, which return the same integers, give bit-identical results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MICROS_PER_SECOND = 1_000_000
# Tail terms below this share of the running sum no longer change a double.
_NEGLIGIBLE_TERM = 1e-17


@dataclass(frozen=True)
class RankedLags:
    """The lags (microseconds) at the two ranks around one percentile of `n` sorted lags."""

    n: int
    low_us: int
    high_us: int


def interpolated_percentile(ranked: RankedLags, percent: int) -> float:
    """The percentile in seconds, interpolated linearly between the two ranks around it.

    This is PERCENTILE_CONT's definition (numpy's default "linear" method): the p-th percentile
    of n sorted values sits at 0-based position p * (n - 1) / 100. The fraction uses integer
    arithmetic so no engine-dependent rounding enters before the one float multiplication.
    """
    fraction = ((ranked.n - 1) * percent % 100) / 100
    low = ranked.low_us / MICROS_PER_SECOND
    high = ranked.high_us / MICROS_PER_SECOND
    return low + fraction * (high - low)


def binomial_upper_tail(successes: int, trials: int, rate: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, rate): exact, by summing the pmf upwards.

    Only the upper tail above the mean is ever asked for (a count at or below its expected
    value is not surprising), and there the terms shrink geometrically, so the sum stops as soon
    as they no longer matter. Log-space terms (lgamma) keep large counts from overflowing.
    """
    if successes <= trials * rate:
        return 1.0
    if rate <= 0.0:
        return 0.0
    log_rate, log_rest = math.log(rate), math.log1p(-rate)
    total = 0.0
    for count in range(successes, trials + 1):
        log_term = (
            math.lgamma(trials + 1)
            - math.lgamma(count + 1)
            - math.lgamma(trials - count + 1)
            + count * log_rate
            + (trials - count) * log_rest
        )
        term = math.exp(log_term)
        total += term
        if term <= total * _NEGLIGIBLE_TERM:
            break
    return min(total, 1.0)
