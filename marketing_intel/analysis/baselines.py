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

import numpy as np

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
) -> list[DayScore]:
    """Robust z-scores of each day with at least `min_history` same-weekday days before it.

    The spread is floored at `min_spread_share` of the baseline, so a perfectly steady history
    does not turn a tiny wiggle into a huge score.
    """
    scores = []
    for day in sorted(series):
        history = [
            series[past]
            for past in (day - dt.timedelta(weeks=k) for k in range(1, weeks + 1))
            if past in series
        ]
        if len(history) < min_history:
            continue
        baseline = float(np.median(history))
        mad = float(np.median(np.abs(np.asarray(history) - baseline))) * MAD_TO_SIGMA
        spread = max(mad, abs(baseline) * min_spread_share, 1e-9)
        value = series[day]
        scores.append(DayScore(day, value, baseline, spread, (value - baseline) / spread))
    return scores
