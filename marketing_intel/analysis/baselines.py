"""Day-level anomalies against a trailing, same-weekday baseline (robust to weekly seasonality).

A day is compared with the same weekday in the `weeks` weeks before it: the median of those days
is the baseline, and the median absolute deviation (scaled by 1.4826, so that it estimates the
standard deviation of normal data) the spread. The robust z-score (value - median) / spread is
barely moved by earlier anomalies, unlike a mean and standard deviation, and comparing Mondays
with Mondays keeps a quiet weekend from looking like a drop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
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


@dataclass(frozen=True)
class WeekdayBaselines:
    """Same-weekday scores of many series at once (rows: series, columns: consecutive days).

    `scored` marks the cells that have a value and enough history (and are on or after the first
    day to score); the other arrays hold NaN outside it.
    """

    values: np.ndarray
    baseline: np.ndarray
    spread: np.ndarray
    zscore: np.ndarray
    scored: np.ndarray


def weekday_baselines(
    values: np.ndarray,
    *,
    weeks: int = 4,
    min_history: int = 3,
    min_spread_share: float = 0.05,
    from_column: int = 0,
    history: np.ndarray | None = None,
) -> WeekdayBaselines:
    """Robust z-scores of every cell of `values` (series x days, NaN where a day has no value)
    from column `from_column` on (earlier days serve only as history), where at least
    `min_history` of the same weekday's `weeks` previous values exist.

    `history` (default: `values`) is what the baselines learn from: NaN there leaves a day out
    of every later baseline (a holiday, the days of a level shift) while it is still scored.

    The spread is floored at `min_spread_share` of the baseline, so a perfectly steady history
    does not turn a tiny wiggle into a huge score. One numpy pass over all series: a template
    scores tens of thousands of campaign-days.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    learned = values if history is None else np.atleast_2d(np.asarray(history, dtype=float))
    past = np.full((*values.shape, weeks), np.nan)  # [..., k]: the same weekday k+1 weeks back
    for back in range(1, weeks + 1):
        lag = 7 * back
        if lag < values.shape[1]:
            past[:, lag:, back - 1] = learned[:, :-lag]
    scored = ~np.isnan(values) & (np.count_nonzero(~np.isnan(past), axis=2) >= min_history)
    scored[:, : max(from_column, 0)] = False
    baseline = np.full(values.shape, np.nan)
    spread = np.full(values.shape, np.nan)
    cells = past[scored]
    baseline[scored] = row_medians(cells)
    mad = row_medians(np.abs(cells - baseline[scored][:, None])) * MAD_TO_SIGMA
    spread[scored] = np.maximum(np.maximum(mad, np.abs(baseline[scored]) * min_spread_share), 1e-9)
    return WeekdayBaselines(values, baseline, spread, (values - baseline) / spread, scored)


def same_weekday_scores(
    series: dict[dt.date, float],
    *,
    weeks: int = 4,
    min_history: int = 3,
    min_spread_share: float = 0.05,
    from_day: dt.date | None = None,
    not_learned: Collection[dt.date] = (),
) -> list[DayScore]:
    """`weekday_baselines` of one series keyed by day: the scored days (from `from_day` on,
    when given), oldest first; days in `not_learned` (holidays) are scored but never part of a
    baseline."""
    if not series:
        return []
    first = min(series)
    values = np.full((max(series) - first).days + 1, np.nan)
    for day, value in series.items():
        values[(day - first).days] = value
    history = values.copy()
    for day in not_learned:
        if first <= day <= max(series):
            history[(day - first).days] = np.nan
    scores = weekday_baselines(
        values,
        weeks=weeks,
        min_history=min_history,
        min_spread_share=min_spread_share,
        from_column=(from_day - first).days if from_day is not None else 0,
        history=history,
    )
    return [
        DayScore(
            first + dt.timedelta(days=int(column)),
            float(scores.values[0, column]),
            float(scores.baseline[0, column]),
            float(scores.spread[0, column]),
            float(scores.zscore[0, column]),
        )
        for column in np.flatnonzero(scores.scored[0])
    ]


def row_medians(matrix: np.ndarray) -> np.ndarray:
    """The median of each row's non-NaN values (np.nanmedian loops in Python for this shape);
    NaN for a row without any."""
    if matrix.shape[0] == 0:
        return np.empty(0)
    if matrix.shape[1] == 0:
        return np.full(matrix.shape[0], np.nan)
    ordered = np.sort(matrix, axis=1)  # NaN sorts last
    counts = np.count_nonzero(~np.isnan(matrix), axis=1)
    low = np.take_along_axis(ordered, np.maximum((counts - 1) // 2, 0)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, (counts // 2)[:, None], axis=1)[:, 0]
    return np.where(counts > 0, (low + high) / 2, np.nan)


def seasonal_level_baselines(
    values: np.ndarray,
    *,
    history: np.ndarray | None = None,
    level_days: int = 7,
    min_level_days: int = 4,
) -> np.ndarray:
    """Each cell's expected value (series x consecutive days): the series' recent level times
    its weekday factor; NaN where fewer than `min_level_days` of the previous `level_days` days
    are known.

    The weekday factor is the median of the weekday's values over the median of all weekdays'
    (per series, from `history`, default `values`: NaN there is not learned from); the level is
    the median of the previous `level_days` days divided by their weekday factors. Unlike four
    same weekdays of the past weeks, a level of last week follows a budget change within days,
    so the noise left around it is the day-to-day noise alone.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    learned = values if history is None else np.atleast_2d(np.asarray(history, dtype=float))
    rows, width = values.shape
    slots = np.arange(width) % 7
    slot_medians = np.stack([row_medians(learned[:, slots == slot]) for slot in range(7)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        factors = slot_medians / row_medians(slot_medians)[:, None]
    factors = np.where(np.isfinite(factors) & (factors > 0), factors, 1.0)[:, slots]
    deseasoned = learned / factors
    past = np.full((rows, width, level_days), np.nan)
    for back in range(1, min(level_days, width - 1) + 1):
        past[:, back:, back - 1] = deseasoned[:, :-back]
    known = np.count_nonzero(~np.isnan(past), axis=2)
    level = row_medians(past.reshape(-1, level_days)).reshape(rows, width)
    return np.where(known >= min_level_days, level * factors, np.nan)
