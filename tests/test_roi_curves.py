"""Response-curve fits: the grouped (vectorized) regression equals a plain per-campaign OLS."""

from __future__ import annotations

import math

import numpy as np
import pytest

from marketing_intel.analysis._roi_optimization_curves import fit_power_curve, fit_power_curves


def reference(spend: np.ndarray, revenue: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """OLS of ln revenue on [1, ln spend] by least squares: (a, b, R^2, covariance)."""
    usable = (spend > 0) & (revenue > 0)
    x, y = np.log(spend[usable]), np.log(revenue[usable])
    design = np.column_stack([np.ones(x.size), x])
    (log_a, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    residual_ss = float(np.sum((y - design @ [log_a, b]) ** 2))
    r_squared = 1 - residual_ss / float(np.sum((y - y.mean()) ** 2))
    covariance = residual_ss / (x.size - 2) * np.linalg.inv(design.T @ design)
    return math.exp(log_a), b, r_squared, covariance


def test_grouped_fits_equal_one_regression_per_campaign() -> None:
    rng = np.random.default_rng(3)
    campaigns = 40
    group = rng.integers(0, campaigns, 3000)
    spend = rng.lognormal(5, 0.5, group.size) * (rng.random(group.size) > 0.05)
    revenue = 3 * spend ** rng.uniform(0.4, 0.9, campaigns)[group] * rng.lognormal(0, 0.2, 3000)
    curves = fit_power_curves(group, spend, revenue, campaigns)
    for campaign, curve in enumerate(curves):
        mine = group == campaign
        a, b, r_squared, covariance = reference(spend[mine], revenue[mine])
        assert curve is not None
        assert (curve.a, curve.b, curve.r_squared) == pytest.approx((a, b, r_squared), rel=1e-9)
        np.testing.assert_allclose(curve.covariance, covariance, rtol=1e-7)


def test_unidentified_curves_are_none() -> None:
    assert fit_power_curve(np.array([10.0, 10.0, 10.0, 10.0]), np.array([1.0, 2, 3, 4])) is None
    assert fit_power_curve(np.array([10.0, 20.0]), np.array([1.0, 2.0])) is None  # < 3 days
    curves = fit_power_curves(np.array([1, 1, 1]), np.array([1.0, 2, 3]), np.ones(3), 3)
    assert curves[0] is None and curves[2] is None and curves[1] is not None
