"""The budget allocation that maximizes predicted revenue at the same total, and its uplift.

Optimum. Maximize sum_i a_i x_i^b_i subject to sum_i x_i = B and lower_i <= x_i <= upper_i. Each
term is concave for 0 < b_i < 1, so the Karush-Kuhn-Tucker conditions are sufficient: there is a
multiplier lambda (the common marginal ROAS) with x_i = clamp(x_i*(lambda), lower_i, upper_i),
where x_i*(lambda) = (lambda / (a_i b_i))^(1 / (b_i - 1)) solves marginal ROAS_i(x) = lambda. The
total is continuous and decreasing in lambda, so bisection on lambda finds it: exact to floating
point, deterministic, no solver, no starting point. Campaigns left free end with equal marginal
ROAS; clamped ones sit at the bound their marginal ROAS pushes them to.

Uncertainty. The uplift U = sum_i a_i (x_i^b_i - c_i^b_i) of moving from the current spend c to
the proposal x is a smooth function of each curve's (ln a_i, b_i); the delta method gives its
variance as sum_i g_i' Cov_i g_i with g_i = (a_i (x_i^b_i - c_i^b_i), a_i (x_i^b_i ln x_i -
c_i^b_i ln c_i)), the campaigns' fits being independent. It is closed-form and deterministic;
it ignores that the proposal itself was chosen with the same noisy curves (a mild optimism).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from marketing_intel.analysis._roi_optimization_curves import ResponseCurve

# Halving the log-multiplier range this often resolves it far below a cent of spend.
BISECTION_STEPS = 200


@dataclass(frozen=True)
class Uplift:
    """Predicted daily revenue of the current and proposed spend, and the uplift's interval."""

    current_revenue: float
    uplift: float
    low: float
    high: float


def spend_at_multiplier(
    curves: Sequence[ResponseCurve], multiplier: float, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Each campaign's spend where its marginal ROAS equals `multiplier`, clamped to its bounds."""
    a = np.array([curve.a for curve in curves])
    b = np.array([curve.b for curve in curves])
    # Far from the optimum the power overflows to inf (or underflows to 0); the clamp to the
    # bounds is the right answer there, so the overflow is expected, not an error.
    with np.errstate(over="ignore", under="ignore"):
        unclamped = np.power(multiplier / (a * b), 1.0 / (b - 1.0))
    return np.clip(unclamped, lower, upper)


def optimal_allocation(
    curves: Sequence[ResponseCurve], total: float, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """The spend per campaign maximizing predicted revenue with sum == total, within bounds.

    Needs sum(lower) <= total <= sum(upper) and every 0 < b < 1. The bracket is the smallest
    marginal ROAS any campaign has at its upper bound (all at upper: total too high) and the
    largest at its lower bound (all at lower: too low); bisection runs on its logarithm because
    marginal ROAS spans orders of magnitude.
    """
    at_upper = [
        float(curve.marginal_roas(bound)) for curve, bound in zip(curves, upper, strict=True)
    ]
    at_lower = [
        float(curve.marginal_roas(bound)) for curve, bound in zip(curves, lower, strict=True)
    ]
    low, high = math.log(min(at_upper)), math.log(max(at_lower))
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2.0
        if spend_at_multiplier(curves, math.exp(middle), lower, upper).sum() > total:
            low = middle  # spending too much: the common marginal ROAS must be higher
        else:
            high = middle
    proposal = spend_at_multiplier(curves, math.exp((low + high) / 2.0), lower, upper)
    return _rebalanced(proposal, total, lower, upper)


def _rebalanced(
    proposal: np.ndarray, total: float, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Hand the last floating-point crumbs of the total to campaigns with room left, so the
    proposal's total equals the current one to rounding rather than to bisection precision."""
    gap = total - float(proposal.sum())
    room = (upper - proposal) if gap > 0 else (proposal - lower)
    if gap == 0 or room.sum() <= 0:
        return proposal
    return np.clip(proposal + gap * room / room.sum(), lower, upper)


def predicted_uplift(
    curves: Sequence[ResponseCurve], current: np.ndarray, proposed: np.ndarray, z: float
) -> Uplift:
    """The predicted daily revenue uplift of `proposed` over `current` with a +-z sd interval."""
    uplift, variance, current_revenue = 0.0, 0.0, 0.0
    for curve, now, then in zip(curves, current, proposed, strict=True):
        revenue_now, revenue_then = float(curve.revenue(now)), float(curve.revenue(then))
        gradient = np.array(
            [
                revenue_then - revenue_now,
                revenue_then * math.log(then) - revenue_now * math.log(now),
            ]
        )
        uplift += revenue_then - revenue_now
        variance += float(gradient @ curve.covariance @ gradient)
        current_revenue += revenue_now
    spread = z * math.sqrt(max(variance, 0.0))
    return Uplift(current_revenue, uplift, uplift - spread, uplift + spread)
