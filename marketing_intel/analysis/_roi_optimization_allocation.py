"""The budget allocation that maximizes predicted revenue at the same total, and its uplift.

Optimum. Maximize sum_i a_i x_i^b_i subject to sum_i x_i = B and lower_i <= x_i <= upper_i. Each
term is concave for 0 < b_i < 1, so the Karush-Kuhn-Tucker conditions are sufficient: there is a
multiplier lambda (the common marginal ROAS) with x_i = clamp(x_i*(lambda), lower_i, upper_i),
where x_i*(lambda) = (lambda / (a_i b_i))^(1 / (b_i - 1)) solves marginal ROAS_i(x) = lambda. The
total is continuous and decreasing in lambda, so bisection on lambda finds it: exact to floating
point, deterministic, no solver, no starting point. Campaigns left free end with equal marginal
ROAS; clamped ones sit at the bound their marginal ROAS pushes them to.

Many sets of curves can be solved at once (`optimal_allocations`: one bisection over a stack),
which is what the uplift's interval needs (`_roi_optimization_optimism`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from marketing_intel.analysis._roi_optimization_curves import ResponseCurve

# Halving the log-multiplier range this often resolves it far below a cent of spend.
BISECTION_STEPS = 200
# Elasticities are optimised within this range (`believed_curves`).
OPTIMIZED_B_RANGE = (1e-3, 1.0 - 1e-3)


def spend_at_multiplier(
    curves: Sequence[ResponseCurve], multiplier: float, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Each campaign's spend where its marginal ROAS equals `multiplier`, clamped to its bounds."""
    a = np.array([curve.a for curve in curves])
    b = np.array([curve.b for curve in curves])
    return _spend_at_multipliers(a, b, np.array([multiplier]), lower, upper)[0]


def _spend_at_multipliers(
    a: np.ndarray, b: np.ndarray, multiplier: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Spend per (row, campaign) where marginal ROAS a * b * x^(b - 1) equals the row's
    multiplier, clamped to the bounds; `a` and `b` are (campaigns,) or (rows, campaigns)."""
    return _spend_at_log_multipliers(
        np.log(a * b), 1.0 / (b - 1.0), np.log(multiplier), np.log(lower), np.log(upper)
    )


def _spend_at_log_multipliers(
    log_ab: np.ndarray,
    inverse: np.ndarray,
    log_multiplier: np.ndarray,
    log_lower: np.ndarray,
    log_upper: np.ndarray,
) -> np.ndarray:
    """`_spend_at_multipliers` on logs: ln x = (ln multiplier - ln(a b)) / (b - 1), clamped to
    the log bounds before the one exponential (the bisection's inner loop: no power, no
    overflow)."""
    log_spend = (log_multiplier[:, None] - log_ab) * inverse
    return np.exp(np.clip(log_spend, log_lower, log_upper))


def believed_curves(
    a: np.ndarray, b: np.ndarray, pivot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The curves (a, b) as the optimizer reads them: b held within OPTIMIZED_B_RANGE, turning
    about the revenue at `pivot` (the current spend) so that it stays as fitted there.

    A fitted b at or above 1 whose interval reaches below 1 is a curve that has not bent yet
    within the window's spend: read as nearly linear, it goes to whichever bound its marginal
    ROAS points to. A b at or below 0 never reaches the optimizer (no response); the floor
    only keeps drawn curves finite.
    """
    believed_b = np.clip(b, *OPTIMIZED_B_RANGE)
    return a * np.power(pivot, b - believed_b), believed_b


def optimal_allocation(
    curves: Sequence[ResponseCurve], total: float, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """The spend per campaign maximizing predicted revenue with sum == total, within bounds.

    Needs sum(lower) <= total <= sum(upper); the curves are read as `believed_curves` with
    the middle of the bounds as pivot.
    """
    a = np.array([curve.a for curve in curves])
    b = np.array([curve.b for curve in curves])
    return optimal_allocations(a[None, :], b[None, :], total, lower, upper)[0]


def optimal_allocations(
    a: np.ndarray,
    b: np.ndarray,
    total: float,
    lower: np.ndarray,
    upper: np.ndarray,
    steps: int = BISECTION_STEPS,
) -> np.ndarray:
    """`optimal_allocation` of many sets of curves at once: row r of `a` and `b` (rows x
    campaigns) is one set, all sharing the total and the bounds.

    The bracket is the smallest marginal ROAS any campaign has at its upper bound (all at upper:
    total too high) and the largest at its lower bound (all at lower: too low); bisection runs
    on its logarithm because marginal ROAS spans orders of magnitude.
    """
    a, b = believed_curves(a, b, (lower + upper) / 2.0)
    at_upper = a * b * np.power(upper, b - 1.0)
    at_lower = a * b * np.power(lower, b - 1.0)
    low, high = np.log(at_upper.min(axis=1)), np.log(at_lower.max(axis=1))
    logs = (np.log(a * b), 1.0 / (b - 1.0))
    log_bounds = (np.log(lower), np.log(upper))
    for _ in range(steps):
        middle = (low + high) / 2.0
        spend = _spend_at_log_multipliers(*logs, middle, *log_bounds)
        too_much = spend.sum(axis=1) > total
        # Spending too much: the common marginal ROAS must be higher.
        low, high = np.where(too_much, middle, low), np.where(too_much, high, middle)
    proposal = _spend_at_log_multipliers(*logs, (low + high) / 2.0, *log_bounds)
    return _rebalanced(proposal, total, lower, upper)


def _rebalanced(
    proposal: np.ndarray, total: float, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Hand the last floating-point crumbs of each row's total to campaigns with room left, so
    the proposal's total equals the current one to rounding rather than to bisection precision."""
    gap = total - proposal.sum(axis=1, keepdims=True)
    room = np.where(gap > 0, upper - proposal, proposal - lower)
    room_total = room.sum(axis=1, keepdims=True)
    share = np.divide(room, room_total, out=np.zeros_like(room), where=room_total > 0)
    return np.clip(proposal + gap * share, lower, upper)
