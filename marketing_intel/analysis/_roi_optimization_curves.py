"""Response curves of revenue on spend, revenue = a * spend^b, fitted per campaign with the demand
held apart.

Why this curve. A power curve with 0 < b < 1 is the simplest shape with diminishing returns that
never predicts negative revenue: each extra dollar buys less than the one before, and b reads as
an elasticity (1% more spend, b% more revenue). It is linear in logs, so ordinary least squares
fits it exactly and deterministically, with textbook standard errors, and the multiplicative
day-to-day noise of ad revenue becomes additive.

Demand. Budgets usually follow demand: more spend on busy weekdays and in a rising season. A
regression of revenue on spend alone then reads the season as the response (an elasticity near 2
where the truth is flat). So each campaign's regression is

    ln revenue = ln a + b ln spend + weekday effects + c * week number

(six weekday dummies and a linear trend, each centred on the campaign's days so that `a` is the
curve on the average day of the window). By Frisch-Waugh, b is then estimated only from the part
of the spend's variation that weekday and trend do not explain. When that part is small, b is
not identified by the data: `demand_share` (the share of the variation of ln spend that weekday
and trend explain), `own_spend_spread` (the standard deviation of what is left) and `b_stderr`
say so, and the template reports "not identifiable" instead of a curve.

What is fitted. Days with spend > 0 and revenue > 0 only: the log of zero is undefined, and a
zero-revenue day is usually a tracking gap or a paused campaign rather than a point on the curve.
`r_squared` is the share of the variance of ln revenue the whole model explains; `spend_r_squared`
the share of what weekday and trend leave unexplained that spend explains (the partial R^2, the
one that says whether spend matters). On the log scale the curve predicts the median revenue;
with lognormal noise the mean is a constant multiple of it, so the optimal allocation is
unchanged and the absolute uplift is, if anything, understated.

Uncertainty. `covariance` is the OLS covariance of (ln a, b), the top-left block of
sigma^2 (X'X)^+ with sigma^2 the residual variance on n - rank degrees of freedom; the delta
method carries it to any smooth function of the curve (marginal ROAS here, the uplift of a
reallocation in `_roi_optimization_allocation`).

All campaigns are fitted at once: the normal equations of every campaign are grouped sums
(np.bincount) and solved as one stack, since an account has hundreds of campaigns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Below this spread of log spend (about 0.1% variation) the slope is not identified at all.
MIN_LOG_SPEND_SPREAD = 1e-3
# Columns of the design: intercept, ln spend, six weekday dummies (Monday is the base), trend.
COLUMNS = 9
DAYS_PER_WEEK = 7
# Directions of X'X this small against its largest are dropped (collinear or empty columns).
RANK_TOLERANCE = 1e-10


@dataclass(frozen=True)
class ResponseCurve:
    """revenue = a * spend^b on the window's average day, with its fit statistics."""

    a: float
    b: float
    r_squared: float
    days_fitted: int
    covariance: np.ndarray  # 2x2 covariance of (ln a, b)
    spend_r_squared: float = 1.0
    demand_share: float = 0.0  # share of the variation of ln spend weekday and trend explain
    own_spend_spread: float = 1.0  # sd of ln spend after weekday and trend

    @property
    def b_stderr(self) -> float:
        """Standard error of the elasticity b."""
        return math.sqrt(max(float(self.covariance[1, 1]), 0.0))

    def revenue(self, spend: np.ndarray | float) -> np.ndarray:
        """Predicted (median) daily revenue at a daily spend."""
        return self.a * np.power(spend, self.b)

    def revenue_interval(self, spend: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
        """A two-sided interval of the predicted revenue at each spend (delta method on its log:
        the gradient of ln a + b ln spend in (ln a, b) is (1, ln spend))."""
        logs = np.log(spend)
        c = self.covariance
        variance = c[0, 0] + 2.0 * c[0, 1] * logs + c[1, 1] * logs * logs
        spread = z * np.sqrt(np.maximum(variance, 0.0))
        centre = self.revenue(spend)
        return centre * np.exp(-spread), centre * np.exp(spread)

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


@dataclass(frozen=True)
class GroupFit:
    """The stacked least-squares fits of every campaign (arrays indexed by campaign)."""

    beta: np.ndarray  # (campaigns, COLUMNS)
    inverse: np.ndarray  # (campaigns, COLUMNS, COLUMNS): (X'X)^+
    centres: np.ndarray  # (campaigns, COLUMNS): what was subtracted from each demand column
    residual_ss: np.ndarray
    days: np.ndarray
    rank: np.ndarray

    def predict(self, group: np.ndarray, design: np.ndarray) -> np.ndarray:
        """ln revenue predicted for rows of `demand_design`, each with its campaign's fit."""
        centred = design - self.centres[group]
        return np.einsum("ij,ij->i", centred, self.beta[group])


def demand_design(day: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """The regressors of each row: 1, ln spend, six weekday dummies and the week number.
    `day` counts days since 0001-01-01 (date.toordinal()), so day % 7 == 1 is a Monday."""
    weekday = (day - 1) % DAYS_PER_WEEK
    design = np.zeros((len(day), COLUMNS))
    design[:, 0] = 1.0
    design[:, 1] = np.log(np.where(spend > 0, spend, 1.0))
    for column in range(1, DAYS_PER_WEEK):
        design[:, 1 + column] = weekday == column
    design[:, COLUMNS - 1] = day / DAYS_PER_WEEK
    return design


def fit_groups(group: np.ndarray, design: np.ndarray, y: np.ndarray, campaigns: int) -> GroupFit:
    """Least squares of `y` on `design` per campaign, the demand columns (2 onwards) centred on
    each campaign's rows. A pseudo-inverse solves every stack, so a weekday a campaign never ran
    on (an all-zero column) or a window too short for a trend costs a degree of freedom, not a
    failure."""
    days = np.bincount(group, minlength=campaigns)
    centres = np.zeros((campaigns, COLUMNS))
    centres[:, 2:] = _group_sums(group, design[:, 2:], campaigns) / np.maximum(days, 1)[:, None]
    centred = design - centres[group]
    # Every campaign's X'X and X'y at once: the sums over its rows of x x' and x y.
    products = np.concatenate(
        [
            (centred[:, :, None] * centred[:, None, :]).reshape(-1, COLUMNS * COLUMNS),
            centred * y[:, None],
        ],
        axis=1,
    )
    sums = _group_sums(group, products, campaigns)
    gram = sums[:, : COLUMNS * COLUMNS].reshape(campaigns, COLUMNS, COLUMNS)
    moment = sums[:, COLUMNS * COLUMNS :]
    inverse, rank = _pseudo_inverse(gram)
    beta = np.einsum("gij,gj->gi", inverse, moment)
    residuals = y - np.einsum("ij,ij->i", centred, beta[group])
    residual_ss = np.bincount(group, weights=residuals * residuals, minlength=campaigns)
    return GroupFit(beta, inverse, centres, residual_ss, days, rank)


def _group_sums(group: np.ndarray, values: np.ndarray, campaigns: int) -> np.ndarray:
    """Column sums of `values` (rows x k) per campaign: (campaigns x k), zero for a campaign
    without rows (one np.add.reduceat over the rows sorted by campaign, not k bincounts)."""
    sums = np.zeros((campaigns, values.shape[1]))
    if len(group) == 0:
        return sums
    order = np.argsort(group, kind="stable")
    present, starts = np.unique(group[order], return_index=True)
    sums[present] = np.add.reduceat(values[order], starts, axis=0)
    return sums


def _pseudo_inverse(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Moore-Penrose inverse and the rank of each symmetric matrix of the stack, from one
    eigendecomposition (np.linalg.pinv and matrix_rank would take two)."""
    values, vectors = np.linalg.eigh(gram)
    kept = values > RANK_TOLERANCE * np.maximum(values.max(axis=1, keepdims=True), 0.0)
    kept &= values > 0
    reciprocal = np.divide(1.0, values, out=np.zeros_like(values), where=kept)
    inverse = np.einsum("gik,gk,gjk->gij", vectors, reciprocal, vectors)
    return inverse, kept.sum(axis=1)


def fit_power_curves(
    campaign: np.ndarray,
    day: np.ndarray,
    spend: np.ndarray,
    revenue: np.ndarray,
    campaigns: int,
) -> list[ResponseCurve | None]:
    """The demand-controlled curve of every campaign: row i of `day` (date ordinals), `spend`
    and `revenue` belongs to campaign `campaign[i]` (0 .. campaigns - 1). None for a campaign
    with no residual degrees of freedom or whose spend did not vary at all."""
    usable = (spend > 0) & (revenue > 0)
    group = campaign[usable]
    design = demand_design(day[usable], spend[usable])
    y = np.log(revenue[usable])
    fit = fit_groups(group, design, y, campaigns)
    safe = np.maximum(fit.days, 1)
    x_mean = np.bincount(group, weights=design[:, 1], minlength=campaigns) / safe
    y_mean = np.bincount(group, weights=y, minlength=campaigns) / safe
    spend_ss = np.bincount(group, weights=(design[:, 1] - x_mean[group]) ** 2, minlength=campaigns)
    total_ss = np.bincount(group, weights=(y - y_mean[group]) ** 2, minlength=campaigns)
    dof = fit.days - fit.rank
    varies = np.sqrt(spend_ss / safe) >= MIN_LOG_SPEND_SPREAD
    fitted = (dof >= 1) & varies
    return _curves(fit, fitted, spend_ss, total_ss)


def _curves(
    fit: GroupFit, fitted: np.ndarray, spend_ss: np.ndarray, total_ss: np.ndarray
) -> list[ResponseCurve | None]:
    """Each campaign's curve and statistics from the stacked fit (as arrays first: hundreds of
    campaigns), None where `fitted` is False."""
    days = np.maximum(fit.days, 1)
    b = fit.beta[:, 1]
    # By Frisch-Waugh, 1 / (X'X)^+[1, 1] is what is left of ln spend's variation after the
    # intercept, weekday and trend: the variation b is learnt from.
    own_ss = np.divide(
        1.0, fit.inverse[:, 1, 1], out=np.zeros_like(b), where=fit.inverse[:, 1, 1] > 0
    )
    explained = b * b * own_ss
    sigma2 = fit.residual_ss / np.maximum(fit.days - fit.rank, 1)
    columns = {
        "a": np.exp(fit.beta[:, 0]),
        "b": b,
        # Constant revenue: nothing to explain, so the curve explains none of it.
        "r_squared": 1.0 - _ratio(fit.residual_ss, total_ss, empty=1.0),
        "spend_r_squared": _ratio(explained, explained + fit.residual_ss, empty=0.0),
        "demand_share": np.clip(1.0 - _ratio(own_ss, spend_ss, empty=1.0), 0.0, 1.0),
        "own_spend_spread": np.sqrt(own_ss / days),
    }
    covariance = sigma2[:, None, None] * fit.inverse[:, :2, :2]
    rows = [
        dict(zip(columns, values, strict=True))
        for values in zip(*(c.tolist() for c in columns.values()), strict=True)
    ]
    return [
        ResponseCurve(days_fitted=int(fit.days[i]), covariance=covariance[i], **rows[i])
        if fitted[i]
        else None
        for i in range(len(fitted))
    ]


def _ratio(part: np.ndarray, whole: np.ndarray, *, empty: float) -> np.ndarray:
    """part / whole, and `empty` where whole is 0."""
    return np.divide(part, whole, out=np.full_like(part, empty), where=whole > 0)


def fit_power_curve(
    day: np.ndarray, spend: np.ndarray, revenue: np.ndarray
) -> ResponseCurve | None:
    """`fit_power_curves` of one campaign."""
    (curve,) = fit_power_curves(np.zeros(len(spend), dtype=np.int64), day, spend, revenue, 1)
    return curve
