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
    from_day: dt.date | None = None,
) -> list[DayScore]:
    """Robust z-scores of each day (from `from_day` on, when given; earlier days serve only as
    history) with at least `min_history` same-weekday days before it.

    The spread is floored at `min_spread_share` of the baseline, so a perfectly steady history
    does not turn a tiny wiggle into a huge score. Computed with numpy over the whole series at
    once: a template scores thousands of campaign-days.
    """
    if not series:
        return []
    first = min(series)
    values = np.full((max(series) - first).days + 1, np.nan)
    for day, value in series.items():
        values[(day - first).days] = value
    history = np.full((values.size, weeks), np.nan)  # row i: the same weekday 1..weeks back
    for back in range(1, weeks + 1):
        lag = 7 * back
        if lag < values.size:
            history[lag:, back - 1] = values[:-lag]
    scored = ~np.isnan(values) & (np.count_nonzero(~np.isnan(history), axis=1) >= min_history)
    if from_day is not None:
        scored[: max((from_day - first).days, 0)] = False
    rows = np.flatnonzero(scored)
    if rows.size == 0:
        return []
    baseline = _row_medians(history[rows])
    mad = _row_medians(np.abs(history[rows] - baseline[:, None])) * MAD_TO_SIGMA
    spread = np.maximum(np.maximum(mad, np.abs(baseline) * min_spread_share), 1e-9)
    zscores = (values[rows] - baseline) / spread
    return [
        DayScore(
            first + dt.timedelta(days=int(row)), float(values[row]), float(b), float(s), float(z)
        )
        for row, b, s, z in zip(rows, baseline, spread, zscores, strict=True)
    ]


def _row_medians(matrix: np.ndarray) -> np.ndarray:
    """The median of each row's non-NaN values (np.nanmedian loops in Python for this shape)."""
    ordered = np.sort(matrix, axis=1)  # NaN sorts last
    counts = np.count_nonzero(~np.isnan(matrix), axis=1)
    low = np.take_along_axis(ordered, ((counts - 1) // 2)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, (counts // 2)[:, None], axis=1)[:, 0]
    return (low + high) / 2
