"""Response-curve fits: the grouped (vectorized) regression with weekday and trend terms equals a
plain per-campaign least-squares fit of the same model."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from marketing_intel.analysis._roi_optimization_curves import fit_power_curve, fit_power_curves

MONDAY = dt.date(2026, 1, 5).toordinal()


def reference(
    day: np.ndarray, spend: np.ndarray, revenue: np.ndarray
) -> tuple[float, float, float, np.ndarray]:
    """OLS of ln revenue on [1, ln spend, weekday dummies, weeks] by least squares, the demand
    columns centred: (a, b, R^2, covariance of (ln a, b))."""
    usable = (spend > 0) & (revenue > 0)
    x, y, days = np.log(spend[usable]), np.log(revenue[usable]), day[usable]
    weekday = (days - 1) % 7
    demand = np.column_stack([weekday == k for k in range(1, 7)] + [days / 7]).astype(float)
    demand -= demand.mean(axis=0)
    design = np.column_stack([np.ones(x.size), x, demand])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual_ss = float(np.sum((y - design @ coefficients) ** 2))
    r_squared = 1 - residual_ss / float(np.sum((y - y.mean()) ** 2))
    covariance = residual_ss / (x.size - design.shape[1]) * np.linalg.inv(design.T @ design)
    return math.exp(coefficients[0]), coefficients[1], r_squared, covariance[:2, :2]


def test_grouped_fits_equal_one_regression_per_campaign() -> None:
    rng = np.random.default_rng(3)
    campaigns = 40
    group = rng.integers(0, campaigns, 3000)
    day = MONDAY + rng.integers(0, 90, group.size)
    spend = rng.lognormal(5, 0.5, group.size) * (rng.random(group.size) > 0.05)
    revenue = 3 * spend ** rng.uniform(0.4, 0.9, campaigns)[group] * rng.lognormal(0, 0.2, 3000)
    curves = fit_power_curves(group, day, spend, revenue, campaigns)
    for campaign, curve in enumerate(curves):
        mine = group == campaign
        a, b, r_squared, covariance = reference(day[mine], spend[mine], revenue[mine])
        assert curve is not None
        assert (curve.a, curve.b, curve.r_squared) == pytest.approx((a, b, r_squared), rel=1e-7)
        np.testing.assert_allclose(curve.covariance, covariance, rtol=1e-6)


def test_weekday_demand_is_not_read_as_the_response() -> None:
    """Budgets doubled on weekends when revenue also doubles for reasons of its own: the plain
    log-log slope reads that as the response, the weekday terms do not."""
    day = MONDAY + np.arange(56)
    weekend = ((day - 1) % 7 >= 5).astype(float)
    rng = np.random.default_rng(5)
    spend = 200 * np.exp(np.log(2) * weekend + rng.normal(0, 0.2, day.size))
    revenue = 30 * spend**0.5 * np.exp(np.log(3) * weekend + rng.normal(0, 0.05, day.size))
    curve = fit_power_curve(day, spend, revenue)
    assert curve is not None
    assert np.polyfit(np.log(spend), np.log(revenue), 1)[0] > 0.9  # the plain fit is fooled
    assert curve.b == pytest.approx(0.5, abs=0.1)


def test_unidentified_curves_are_none() -> None:
    days = MONDAY + np.arange(12)
    assert fit_power_curve(days, np.full(12, 10.0), np.arange(1.0, 13.0)) is None  # constant
    assert fit_power_curve(days[:2], np.array([10.0, 20.0]), np.array([1.0, 2.0])) is None
    group = np.repeat([0, 1, 2], 12)
    spend = np.concatenate([np.full(12, 5.0), np.arange(1.0, 13.0), np.full(12, 5.0)])
    curves = fit_power_curves(group, np.tile(days, 3), spend, np.arange(1.0, 37.0), 3)
    assert curves[0] is None and curves[2] is None and curves[1] is not None
