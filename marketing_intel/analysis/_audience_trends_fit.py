"""Straight-line trends with a confidence interval, for the audience trends template.

A trend is the ordinary least squares slope of a daily series on the day number, with a
two-sided interval from Student's t distribution on n - 2 degrees of freedom:
slope +/- t * sqrt(residual variance / sum((x - mean x)^2)). OLS is the minimum-variance unbiased
line when the daily deviations are independent with equal variance; the t quantile (rather than
the normal 1.96) keeps the interval honest on the short series a window holds (a week has only
five degrees of freedom). Daily audience sizes are smooth, so their deviations from a trend are
small and close to independent; if they were strongly autocorrelated the interval would be too
narrow, which is why a trend is also required to be material before it is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtr, stdtrit

# Below three points a line has no residual degrees of freedom left to estimate its error.
MIN_POINTS = 3


@dataclass(frozen=True)
class LinearTrend:
    """An OLS line y = intercept + slope * x and the confidence interval of its slope."""

    slope: float
    slope_low: float
    slope_high: float
    intercept: float
    points: int
    stderr: float = 0.0  # standard error of the slope

    @property
    def p_value(self) -> float:
        """Two-sided p-value of the slope against zero (Student's t on points - 2 dof)."""
        if self.stderr <= 0:
            return 0.0 if self.slope != 0 else 1.0
        return float(2.0 * stdtr(self.points - 2, -abs(self.slope) / self.stderr))

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly above or wholly below zero."""
        return self.slope_low > 0 or self.slope_high < 0

    def at(self, x: float) -> float:
        """The fitted value at `x`."""
        return self.intercept + self.slope * x


def fit_trend(x: Sequence[float], y: Sequence[float], *, confidence: float) -> LinearTrend | None:
    """The OLS trend of `y` on `x` with a `confidence` interval; None when it cannot be fitted
    (fewer than MIN_POINTS points, or every x equal)."""
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    points = len(xs)
    if points < MIN_POINTS:
        return None
    # Centring first keeps the sums small, so the fit does not lose digits to cancellation.
    # sum / n is what ndarray.mean computes, without its per-call overhead (hundreds of fits).
    mean_x, mean_y = float(xs.sum()) / points, float(ys.sum()) / points
    dx = xs - mean_x
    dy = ys - mean_y
    sxx = float(np.dot(dx, dx))
    if sxx == 0:
        return None
    slope = float(np.dot(dx, dy)) / sxx
    residuals = dy - slope * dx
    residual_variance = float(np.dot(residuals, residuals)) / (points - 2)
    stderr = math.sqrt(residual_variance / sxx)
    half_width = _t_quantile(confidence, points - 2) * stderr
    return LinearTrend(
        slope=slope,
        slope_low=slope - half_width,
        slope_high=slope + half_width,
        intercept=mean_y - slope * mean_x,
        points=points,
        stderr=stderr,
    )


def _t_quantile(confidence: float, degrees_of_freedom: int) -> float:
    """The t quantile that leaves (1 - confidence) / 2 in each tail (scipy's special function:
    the same number as `scipy.stats.t.ppf` without its per-call argument checks)."""
    return float(stdtrit(degrees_of_freedom, 0.5 + confidence / 2))
