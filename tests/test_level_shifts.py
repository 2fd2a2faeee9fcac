"""Level shifts, false-discovery control and seasonal-level baselines on simulated series with
known truth (fixed seeds): a shift is found with its first day, clean series stay quiet, budget
changes are not collapses, holidays are not learned."""

from __future__ import annotations

import numpy as np
import pytest

from marketing_intel.analysis.baselines import seasonal_level_baselines
from marketing_intel.analysis.discoveries import significant
from marketing_intel.analysis.level_shifts import mean_shifts, ratio_shifts

DAYS = 56  # 28 days of history, then a 28-day window
WINDOW_START = 28
WEEKDAY = np.array([0.9, 0.85, 0.9, 0.95, 1.05, 1.25, 1.3])


def _campaigns(
    seed: int, rows: int, *, roas: float = 4.0, shift_start: int | None = None, factor: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Spend with weekday seasonality and lognormal noise; revenue = Poisson conversions x
    lognormal order values, ROAS `roas` (times `factor` from `shift_start` on)."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(np.log(400.0), 0.5, (rows, 1))
    spend = size * WEEKDAY[np.arange(DAYS) % 7] * rng.lognormal(0.0, 0.12, (rows, DAYS))
    order_value = 60.0
    level = np.full((rows, DAYS), roas)
    if shift_start is not None:
        level[:, shift_start:] *= factor
    conversions = rng.poisson(spend * level / order_value)
    revenue = conversions * order_value * rng.lognormal(0.0, 0.08, (rows, DAYS))
    return revenue, spend


def _roas_shifts(revenue: np.ndarray, spend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each campaign's shift start, and whether it is a discovery that lost 30% or more (the
    template's default `min_shift`)."""
    tests = ratio_shifts(
        revenue,
        spend,
        spend > 0,
        first_candidate=WINDOW_START,
        last_column=DAYS - 1,
        min_days=5,
        falling=True,
        elasticities=(0.5, 1.0),
    )
    return tests.start, significant(tests.p_value, 0.05) & (tests.ratio <= 0.7)


@pytest.mark.parametrize("length", [5, 8, 14, 28])
def test_a_roas_collapse_is_found_with_its_first_day(length: int) -> None:
    start = DAYS - length
    revenue, spend = _campaigns(seed=length, rows=20, shift_start=start, factor=0.25)
    starts, found = _roas_shifts(revenue, spend)
    assert found.all()
    errors = np.abs(starts - start)
    assert np.mean(errors <= 2) >= 0.95 and errors.max() <= 3


@pytest.mark.parametrize(("start", "end"), [(32, 38), (40, 50)])
def test_a_collapse_that_recovered_is_found_with_its_first_and_last_day(
    start: int, end: int
) -> None:
    """ROAS falls 70% from `start` to `end` and comes back: with `recovering`, both days are
    found; without it, the recovered days water the shift down."""
    revenue, spend = _campaigns(seed=start, rows=20, shift_start=start, factor=0.3)
    rng = np.random.default_rng(end)
    recovered = rng.poisson(spend[:, end + 1 :] * 4.0 / 60.0) * 60.0
    revenue[:, end + 1 :] = recovered
    tests = ratio_shifts(
        revenue,
        spend,
        spend > 0,
        first_candidate=WINDOW_START,
        last_column=DAYS - 1,
        min_days=5,
        falling=True,
        elasticities=(0.5, 1.0),
        recovering=True,
    )
    assert tests.end is not None
    found = significant(tests.p_value, 0.05) & (tests.ratio <= 0.5)
    assert found.mean() >= 0.9
    assert np.mean(np.abs(tests.start - start) <= 2) >= 0.9
    assert np.mean(np.abs(tests.end - end) <= 2) >= 0.9


def test_clean_campaigns_show_no_recovering_shift() -> None:
    revenue, spend = _campaigns(seed=12, rows=500)
    tests = ratio_shifts(
        revenue,
        spend,
        spend > 0,
        first_candidate=WINDOW_START,
        last_column=DAYS - 1,
        min_days=5,
        falling=True,
        elasticities=(0.5, 1.0),
        recovering=True,
    )
    assert not (significant(tests.p_value, 0.05) & (tests.ratio <= 0.7)).any()


def test_clean_campaigns_show_no_shift() -> None:
    revenue, spend = _campaigns(seed=11, rows=500)
    _, found = _roas_shifts(revenue, spend)
    assert found.sum() == 0


def test_a_budget_raise_with_diminishing_returns_is_no_collapse() -> None:
    """Spend doubled for the last 10 days; revenue follows spend ** 0.6 (ROAS falls ~24%)."""
    rng = np.random.default_rng(5)
    spend = 500.0 * WEEKDAY[np.arange(DAYS) % 7] * rng.lognormal(0.0, 0.1, (50, DAYS))
    spend[:, DAYS - 10 :] *= 2.0
    revenue = 4.0 * 500.0**0.4 * spend**0.6 * rng.lognormal(0.0, 0.1, (50, DAYS))
    _, found = _roas_shifts(revenue, spend)
    assert found.sum() == 0


def test_a_failure_rate_rise_is_found_with_its_first_day() -> None:
    rng = np.random.default_rng(3)
    events = rng.poisson(300, (4, DAYS)).astype(float)
    rate = np.full((4, DAYS), 0.01)
    rate[0, 45:] = 0.06  # platform 0 fails 6% from day 45 on
    failed = rng.binomial(events.astype(int), rate).astype(float)
    tests = ratio_shifts(
        failed,
        events,
        events > 0,
        first_candidate=WINDOW_START,
        last_column=DAYS - 1,
        min_days=5,
        falling=False,
    )
    found = significant(tests.p_value, 0.01)
    assert found.tolist() == [True, False, False, False]
    assert abs(int(tests.start[0]) - 45) <= 2


def test_a_lag_rise_is_found_with_its_first_day() -> None:
    rng = np.random.default_rng(4)
    log_lag = np.log(rng.lognormal(np.log(2.0), 0.2, (3, DAYS)))
    log_lag[1, 50:] += np.log(60.0)  # platform 1 lags 60x from day 50 on
    tests = mean_shifts(
        log_lag,
        np.ones_like(log_lag, dtype=bool),
        first_candidate=WINDOW_START,
        last_column=DAYS - 1,
        min_days=5,
        rising=True,
    )
    assert significant(tests.p_value, 0.01).tolist() == [False, True, False]
    assert abs(int(tests.start[1]) - 50) <= 2


def test_false_discovery_control_on_uniform_p_values_finds_nothing_much() -> None:
    rng = np.random.default_rng(9)
    p_values = rng.uniform(size=20_000)
    p_values[:5] = 1e-9  # five true effects
    found = significant(p_values, 0.05)
    assert found[:5].all() and found[5:].sum() <= 1
    assert not significant(np.array([np.nan, 0.5]), 0.05).any()


def test_seasonal_levels_follow_a_budget_change_and_skip_holidays() -> None:
    days = np.arange(42)
    values = 100.0 * WEEKDAY[days % 7]
    values[28:] *= 2.0  # a budget doubled on day 28
    expected = seasonal_level_baselines(values)[0]
    assert expected[7:28] == pytest.approx(values[7:28])
    assert expected[33:] == pytest.approx(values[33:])  # caught up within five days
    holiday = values.copy()
    holiday[20] *= 5.0  # a holiday's surge
    learned = holiday.copy()
    learned[20] = np.nan  # left out of the baselines
    assert seasonal_level_baselines(holiday, history=learned)[0][21:28] == pytest.approx(
        values[21:28]
    )
