"""Sustained level shifts: the day a ratio (ROAS, conversions per click, failure rate) or a level
(log delivery lag) moved to a new level and stayed there until the window's end.

A change-point test with a known end: for every candidate first day tau of the shift (from the
window's start to `min_days` before its end), the days from tau to the window's end are compared
with all valid days before tau, and the candidate with the largest standardized move in the bad
direction is the shift's start. Its p-value is bound-based: the one-sided normal tail of the
maximum times the number of candidates (Bonferroni over the candidates; conservative, since
neighbouring candidates share most of their days). The caller controls the false-discovery rate
across series (`discoveries.significant`).

Ratios are tested on their sums, so days are weighted by their size: the expected numerator after
tau is the denominator times the ratio before tau, per weekday (a busy Saturday converts
differently from a quiet Tuesday), and its noise is quasi-Poisson: variance = dispersion x
expected, the dispersion estimated robustly from the days before the window (a compound count
such as revenue = conversions x order value is far noisier than a plain count). The ratio before
tau is itself an estimate, so its uncertainty enters the standard error too.

Days marked invalid (holidays, missing days) count neither as history nor as tested days: the
baselines never learn from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from marketing_intel.analysis.baselines import MAD_TO_SIGMA, row_medians

# A median of chi-square(1) variables: turns the median squared standardized residual into a
# variance estimate (robust to the outlier days a mean of squares would chase).
_CHI2_1_MEDIAN = 0.454936
# Series whose p-value is at least this under one elasticity are never discoveries (a
# false-discovery rate is far lower), so the other elasticities are not tested on them.
_SCREEN_P = 0.1
# A series needs this many valid days before the window to be tested (its noise is learned
# from them; a campaign launched a few days ago has no level to shift from).
MIN_HISTORY_DAYS = 14
# Weekday ratios from fewer days than this are shrunk to the overall ratio (too noisy alone).
_MIN_WEEKDAY_DAYS = 3


@dataclass(frozen=True)
class ShiftTests:
    """The best shift candidate of every series (one entry per row of the tested matrices).

    `start` is the column of the shift's first day (-1 where no candidate could be tested);
    `observed` and `expected` are the sums over the shifted days (the numerator, or the mean
    level for `mean_shifts`); `ratio` = observed / expected; `elasticity` the one the expectation
    used (`ratio_shifts`).
    """

    start: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    elasticity: np.ndarray
    end: np.ndarray | None = None  # the shift's last column (`recovering`); None: the last one

    @property
    def ratio(self) -> np.ndarray:
        """How the shifted days compare with what the days before them predicted."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.observed / self.expected


def ratio_shifts(
    numerator: np.ndarray,
    denominator: np.ndarray,
    valid: np.ndarray,
    *,
    first_candidate: int,
    last_column: int,
    min_days: int,
    falling: bool,
    elasticities: tuple[float, ...] = (1.0,),
    recovering: bool = False,
) -> ShiftTests:
    """The strongest sustained shift of numerator / denominator in each row (series x days).

    Columns are consecutive days, so a weekday is a column mod 7. `falling`: a fall is bad
    (ROAS), else a rise (failure rate). `elasticities`: the numerator is expected to follow
    denominator ** e; with several, a shift must stand out under each of them (the least
    alarming one is kept), so with (0.5, 1.0) a budget change alone, whose returns diminish
    with an elasticity in between, never looks like a collapse. `recovering`: the shift may
    also have ended before `last_column` (every first and last day at least `min_days` apart
    is a candidate, Bonferroni over all of them; `ShiftTests.end` holds the last day).
    """
    bounds: dict[str, Any] = {
        "first_candidate": first_candidate,
        "last_column": last_column,
        "recovering": recovering,
    }
    best = _ratio_shifts(
        numerator,
        np.power(np.nan_to_num(denominator), elasticities[0]),
        valid,
        min_days=min_days,
        falling=falling,
        **bounds,
    )
    chosen = np.full(best.start.shape, elasticities[0])
    for elasticity in elasticities[1:]:
        # A series' p-value only grows with more elasticities: test again only the candidates.
        rows = np.flatnonzero(best.p_value < _SCREEN_P)
        test = _ratio_shifts(
            numerator[rows],
            np.power(np.nan_to_num(denominator[rows]), elasticity),
            valid[rows],
            min_days=min_days,
            falling=falling,
            **bounds,
        )
        milder = np.zeros(best.start.shape, dtype=bool)
        milder[rows] = test.statistic < best.statistic[rows]
        for new, old in _fields(test, best):
            old[milder] = new[milder[rows]]
        chosen[milder] = elasticity
    return ShiftTests(
        best.start, best.statistic, best.p_value, best.observed, best.expected, chosen, best.end
    )


def _fields(new: ShiftTests, old: ShiftTests) -> list[tuple[np.ndarray, np.ndarray]]:
    pairs = [
        (new.start, old.start),
        (new.statistic, old.statistic),
        (new.p_value, old.p_value),
        (new.observed, old.observed),
        (new.expected, old.expected),
        (new.elasticity, old.elasticity),
    ]
    if new.end is not None and old.end is not None:
        pairs.append((new.end, old.end))
    return pairs


def _ratio_shifts(
    numerator: np.ndarray,
    denominator: np.ndarray,
    valid: np.ndarray,
    *,
    first_candidate: int,
    last_column: int,
    min_days: int,
    falling: bool,
    recovering: bool,
) -> ShiftTests:
    """`ratio_shifts` for one elasticity, every candidate at once (series x weekday x first day
    x day after the last sums from per-weekday prefix sums)."""
    numerator = np.where(valid, np.nan_to_num(numerator), 0.0)
    denominator = np.where(valid, np.nan_to_num(denominator), 0.0)
    dispersion = _dispersion(numerator, denominator, valid, first_candidate)
    starts = np.arange(first_candidate, last_column - min_days + 2)
    if starts.size == 0 or numerator.shape[0] == 0:
        return _empty_tests(numerator.shape[0])
    stops = np.arange(first_candidate + min_days, last_column + 2)  # the day after the last
    if not recovering:
        stops = stops[-1:]
    columns = np.arange(first_candidate, last_column + 2)
    sums_n, sums_w, sums_days = _prefix_sums(numerator, denominator, valid, columns)
    at_start, at_stop = starts - first_candidate, stops - first_candidate
    before_n, before_w, before_days = (part[..., at_start] for part in (sums_n, sums_w, sums_days))
    ratio = _safe_divide(before_n.sum(axis=1), before_w.sum(axis=1))  # series x start
    factors = _weekday_factors(before_n, before_w, before_days, ratio[:, None, :])

    def during(part: np.ndarray) -> np.ndarray:  # series x start x stop, over all weekdays
        total = part.sum(axis=1)
        return total[:, None, at_stop] - total[:, at_start, None]

    # Expected = sum over weekdays of the denominator during the shift x the weekday's ratio
    # before it; a product over weekdays per series, so no series x weekday x pair array.
    weighted = np.nan_to_num(factors * ratio[:, None, :])  # series x weekday x start
    expected = (
        np.einsum("rws,rwe->rse", weighted, sums_w[..., at_stop])
        - np.einsum("rws,rws->rs", weighted, sums_w[..., at_start])[..., None]
    )
    observed = during(sums_n)
    after_days = during(sums_days)
    history = before_n.sum(axis=1)[..., None]
    known = sums_days[:, :, 0].sum(axis=1) >= MIN_HISTORY_DAYS
    variance = dispersion[:, None, None] * (expected + _safe_divide(expected**2, history))
    with np.errstate(invalid="ignore"):  # pairs that end before they start: masked below
        z = _safe_divide(observed - expected, np.sqrt(variance))
    pairs = stops[None, :] - starts[:, None] >= min_days
    testable = known[:, None, None] & pairs & (after_days >= min_days) & (history > 0)
    statistic = np.where(testable & np.isfinite(z), -z if falling else z, -np.inf)
    flat = statistic.reshape(len(statistic), -1)
    best = np.argmax(flat, axis=1)
    rows = np.arange(len(best))
    first, stop = np.unravel_index(best, statistic.shape[1:])
    tests = ShiftTests(
        start=np.where(np.isfinite(flat[rows, best]), starts[first], -1),
        statistic=flat[rows, best],
        p_value=np.ones(len(best)),
        observed=observed[rows, first, stop],
        expected=expected[rows, first, stop],
        elasticity=np.ones(len(best)),
        end=stops[stop] - 1 if recovering else None,
    )
    return _with_p_values(tests, int(pairs.sum()))


def _prefix_sums(
    numerator: np.ndarray, denominator: np.ndarray, valid: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per weekday (column mod 7: columns are consecutive days), the sums of the numerator, the
    denominator and the count of valid days before each of `columns`: each series x 7 x
    len(columns)."""
    rows, width = numerator.shape
    weeks = -(-width // 7)
    padded = np.zeros((3, rows, weeks * 7))
    for index, matrix in enumerate((numerator, denominator, valid)):
        padded[index, :, :width] = np.where(valid, matrix, 0.0)
    cumulative = np.zeros((3, rows, weeks + 1, 7))
    cumulative[:, :, 1:, :] = np.cumsum(padded.reshape(3, rows, weeks, 7), axis=2)
    slot = np.arange(7)
    whole_weeks = np.clip((columns[None, :] - slot[:, None] + 6) // 7, 0, weeks)  # 7 x columns
    sums = cumulative[:, :, whole_weeks, slot[:, None]]
    return sums[0], sums[1], sums[2]


def expected_numerator(
    numerator: np.ndarray,
    denominator: np.ndarray,
    valid: np.ndarray,
    *,
    start: int,
    first_candidate: int,
) -> tuple[np.ndarray, np.ndarray]:
    """What the valid days before `start` predict for every day's numerator (its denominator
    times the weekday's ratio before `start`), and each row's dispersion (variance of a day =
    dispersion x expected): the band a shift's chart draws."""
    numerator = np.where(valid, np.nan_to_num(numerator), 0.0)
    denominator = np.nan_to_num(denominator)
    expected = _expected_days(numerator, denominator, valid, start)
    dispersion = _dispersion(numerator, denominator, valid, first_candidate)
    return expected, dispersion


def _expected_days(
    numerator: np.ndarray, denominator: np.ndarray, valid: np.ndarray, before: int
) -> np.ndarray:
    """Every day's denominator times its weekday's ratio over the valid days before `before`."""
    sums = _prefix_sums(numerator, denominator, valid, np.array([before]))
    before_n, before_w, before_days = (part[..., 0] for part in sums)
    ratio = _safe_divide(before_n.sum(axis=1), before_w.sum(axis=1))
    factors = _weekday_factors(before_n, before_w, before_days, ratio[:, None])
    slots = np.arange(numerator.shape[1]) % 7
    return denominator * ratio[:, None] * factors[:, slots]


def mean_shifts(
    values: np.ndarray,
    valid: np.ndarray,
    *,
    first_candidate: int,
    last_column: int,
    min_days: int,
    rising: bool,
) -> ShiftTests:
    """The strongest sustained shift of each row's mean level (e.g. log delivery lag): a
    two-sample statistic (mean after - mean before) / (s * sqrt(1/n_after + 1/n_before)), s the
    robust spread (MAD) of the days before the window around their median. `observed` and
    `expected` hold the mean after the shift and the mean before it."""
    rows = values.shape[0]
    values = np.where(valid, values, np.nan)
    spread = _robust_spread(values[:, :first_candidate])
    known = valid[:, :first_candidate].sum(axis=1) >= MIN_HISTORY_DAYS
    best = _empty_tests(rows)
    candidates = range(first_candidate, last_column - min_days + 2)
    for start in candidates:
        after = valid[:, start : last_column + 1]
        before = valid[:, :start]
        n_after, n_before = after.sum(axis=1), before.sum(axis=1)
        mean_after = _safe_divide(
            np.where(after, values[:, start : last_column + 1], 0.0).sum(axis=1), n_after
        )
        mean_before = _safe_divide(np.where(before, values[:, :start], 0.0).sum(axis=1), n_before)
        scale = spread * np.sqrt(_safe_divide(1.0, n_after) + _safe_divide(1.0, n_before))
        z = _safe_divide(mean_after - mean_before, scale)
        statistic = np.where(known & (n_after >= min_days), z if rising else -z, -np.inf)
        _keep_better(best, statistic, start, mean_after, mean_before)
    return _with_p_values(best, len(candidates))


def _weekday_factors(
    before_n: np.ndarray, before_w: np.ndarray, before_days: np.ndarray, ratio: np.ndarray
) -> np.ndarray:
    """Each weekday's ratio relative to the overall one (1 where a weekday has too few days)."""
    factors = _safe_divide(_safe_divide(before_n, before_w), ratio)
    usable = (before_days >= _MIN_WEEKDAY_DAYS) & (before_w > 0) & np.isfinite(factors)
    return np.where(usable, factors, 1.0)


def _dispersion(
    numerator: np.ndarray, denominator: np.ndarray, valid: np.ndarray, first_candidate: int
) -> np.ndarray:
    """Quasi-Poisson dispersion of each row's numerator from the days before the window:
    median of (observed - expected)^2 / expected, scaled to estimate the variance ratio."""
    history = valid.copy()
    history[:, first_candidate:] = False
    expected = _expected_days(numerator, denominator, history, first_candidate)
    usable = history & (expected > 0)
    residual = np.where(usable, _safe_divide((numerator - expected) ** 2, expected), np.nan)
    median = row_medians(residual)
    # At least Poisson: a run of near-perfect days must not make every wiggle significant.
    return np.maximum(np.nan_to_num(median / _CHI2_1_MEDIAN, nan=1.0), 1.0)


def _robust_spread(values: np.ndarray) -> np.ndarray:
    """1.4826 x the MAD of each row's non-NaN values (floored so steady rows stay finite)."""
    median = row_medians(values)
    mad = row_medians(np.abs(values - median[:, None])) * MAD_TO_SIGMA
    return np.maximum(np.nan_to_num(mad, nan=np.inf), 0.05)


def _empty_tests(rows: int) -> ShiftTests:
    return ShiftTests(
        start=np.full(rows, -1),
        statistic=np.full(rows, -np.inf),
        p_value=np.ones(rows),
        observed=np.zeros(rows),
        expected=np.zeros(rows),
        elasticity=np.ones(rows),
    )


def _keep_better(
    best: ShiftTests, statistic: np.ndarray, start: int, observed: np.ndarray, expected: np.ndarray
) -> None:
    better = statistic > best.statistic
    best.start[better] = start
    best.statistic[better] = statistic[better]
    best.observed[better] = observed[better]
    best.expected[better] = expected[better]


def _with_p_values(best: ShiftTests, candidates: int) -> ShiftTests:
    tail = norm.sf(np.where(np.isfinite(best.statistic), best.statistic, -np.inf))
    best.p_value[:] = np.minimum(1.0, max(candidates, 1) * tail)
    return best


def _safe_divide(top: np.ndarray | float, bottom: np.ndarray) -> np.ndarray:
    """top / bottom, NaN where bottom is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom != 0, np.divide(top, np.where(bottom != 0, bottom, 1.0)), np.nan)
