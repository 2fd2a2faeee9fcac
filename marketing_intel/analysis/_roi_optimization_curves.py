"""Response curves of revenue on spend: revenue = a * spend^b, fitted per campaign on daily data.

Why this curve. A power curve with 0 < b < 1 is the simplest shape with diminishing returns that
never predicts negative revenue: each extra dollar buys less than the one before, and b reads as
an elasticity (1% more spend, b% more revenue). It is linear in logs, ln(revenue) = ln(a) +
b ln(spend), so ordinary least squares fits it exactly and deterministically, with textbook
standard errors, and the multiplicative day-to-day noise of ad revenue becomes additive.

What is fitted. Days with spend > 0 and revenue > 0 only: the log of zero is undefined, and a
zero-revenue day is usually a tracking gap or a paused campaign rather than a point on the curve.
R^2 (share of the variance of log revenue the curve explains) is the goodness of fit. On the log
scale the curve predicts the median (geometric mean) revenue; with lognormal noise the mean is a
constant multiple of it, so relative comparisons and the optimal allocation are unchanged and the
absolute uplift is, if anything, understated.

Uncertainty. `covariance` is the OLS covariance of (ln a, b), sigma^2 (X'X)^-1 with sigma^2 the
residual variance on n - 2 degrees of freedom; the delta method carries it to any smooth function
of the curve (marginal ROAS here, the uplift of a reallocation in `_roi_optimization_allocation`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Below this spread of log spend (about 0.1% variation) the slope is not identified.
MIN_LOG_SPEND_SPREAD = 1e-3


@dataclass(frozen=True)
class ResponseCurve:
    """revenue = a * spend^b with its fit statistics."""

    a: float
    b: float
    r_squared: float
    days_fitted: int
    covariance: np.ndarray  # 2x2 covariance of (ln a, b)

    @property
    def b_stderr(self) -> float:
        """Standard error of the elasticity b."""
        return math.sqrt(max(float(self.covariance[1, 1]), 0.0))

    def revenue(self, spend: np.ndarray | float) -> np.ndarray:
        """Predicted (median) daily revenue at a daily spend."""
        return self.a * np.power(spend, self.b)

    def marginal_roas(self, spend: np.ndarray | float) -> np.ndarray:
        """d revenue / d spend = a * b * spend^(b - 1): revenue the next dollar brings."""
        return self.a * self.b * np.power(spend, self.b - 1.0)

    def marginal_roas_interval(self, spend: float, z: float) -> tuple[float, float]:
        """A two-sided interval of the marginal ROAS at `spend` (delta method on its log).

        ln m = ln a + ln b + (b - 1) ln spend, so its gradient in (ln a, b) is (1, 1/b + ln spend);
        working on the log keeps the interval positive and asymmetric like the quantity itself.
        """
        gradient = np.array([1.0, 1.0 / self.b + math.log(spend)])
        log_stderr = math.sqrt(max(float(gradient @ self.covariance @ gradient), 0.0))
        centre = float(self.marginal_roas(spend))
        return centre * math.exp(-z * log_stderr), centre * math.exp(z * log_stderr)


def fit_power_curves(
    campaign: np.ndarray, spend: np.ndarray, revenue: np.ndarray, campaigns: int
) -> list[ResponseCurve | None]:
    """`fit_power_curve` of every campaign at once: row i of `spend` and `revenue` belongs to
    campaign `campaign[i]` (0 .. campaigns - 1). Grouped sums (np.bincount) replace a Python loop
    of small regressions: an account has hundreds of campaigns."""
    usable = (spend > 0) & (revenue > 0)
    group, x, y = campaign[usable], np.log(spend[usable]), np.log(revenue[usable])

    def sums(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=values, minlength=campaigns)

    days = np.bincount(group, minlength=campaigns)
    safe_days = np.maximum(days, 1)
    mean_x, mean_y = sums(x) / safe_days, sums(y) / safe_days
    dx, dy = x - mean_x[group], y - mean_y[group]  # centred: no cancellation in the sums
    spend_ss, cross, total_ss = sums(dx * dx), sums(dx * dy), sums(dy * dy)
    identified = (days >= 3) & (np.sqrt(spend_ss / safe_days) >= MIN_LOG_SPEND_SPREAD)
    b = np.divide(cross, spend_ss, out=np.zeros(campaigns), where=identified)
    residuals = dy - b[group] * dx
    residual_ss = sums(residuals * residuals)
    sum_x, sum_xx = sums(x), sums(x * x)
    return [
        _curve(
            log_a=float(mean_y[i] - b[i] * mean_x[i]),
            b=float(b[i]),
            days=int(days[i]),
            spend_ss=float(spend_ss[i]),
            residual_ss=float(residual_ss[i]),
            total_ss=float(total_ss[i]),
            sum_x=float(sum_x[i]),
            sum_xx=float(sum_xx[i]),
        )
        if identified[i]
        else None
        for i in range(campaigns)
    ]


def _curve(
    *,
    log_a: float,
    b: float,
    days: int,
    spend_ss: float,
    residual_ss: float,
    total_ss: float,
    sum_x: float,
    sum_xx: float,
) -> ResponseCurve:
    """The curve and its statistics from one campaign's regression sums."""
    # Constant revenue: nothing to explain, so the curve explains none of it.
    r_squared = 1.0 - residual_ss / total_ss if total_ss > 0 else 0.0
    # (X'X)^-1 for the design [1, ln spend] is [[sum x^2, -sum x], [-sum x, n]] / (n * Sxx).
    inverse = np.array([[sum_xx, -sum_x], [-sum_x, days]]) / (days * spend_ss)
    return ResponseCurve(
        a=math.exp(log_a),
        b=b,
        r_squared=r_squared,
        days_fitted=days,
        covariance=residual_ss / (days - 2) * inverse,
    )


def fit_power_curve(spend: np.ndarray, revenue: np.ndarray) -> ResponseCurve | None:
    """OLS of ln(revenue) on ln(spend) over days where both are positive.

    None when fewer than 3 such days (no residual variance to speak of) or when spend barely
    varied (the slope is then not identified by the data).
    """
    (curve,) = fit_power_curves(np.zeros(len(spend), dtype=np.int64), spend, revenue, 1)
    return curve
