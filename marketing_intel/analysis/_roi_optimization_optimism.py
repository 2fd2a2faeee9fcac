"""The uplift of a reallocation chosen with the same noisy curves it is judged by, and its interval.

Why not the delta method alone. The proposal moves budget toward the campaigns whose marginal
ROAS looks highest; some look highest because their elasticity was over-estimated, so the
uplift predicted on the fitted curves is, on average, more than the proposal truly brings (the
winner's curse, or optimizer's curse). On the truth benchmark the delta-method interval sat
0.8 standard deviations too high and covered the true uplift in 82% of seeds instead of 90%.

Parametric bootstrap of the decision. Pretend the fitted curves are the truth and draw `DRAWS`
sets of curves as the fit could have returned them: (ln a, b) of each campaign from a Student t
with the fit's covariance and residual degrees of freedom (the variance itself is estimated from
a few weeks of days). Each draw proposes its own optimal allocation; its optimism is the uplift
it promises minus the uplift the "true" (fitted) curves give it, and the reported uplift is the
fitted prediction less the median optimism. The interval is that corrected uplift plus the
spread of the actual proposal's uplift over the draws (the fit's own uncertainty, as the delta
method had it, without its linearisation). On the truth benchmark's 200 identifiable seeds this
covers the true uplift in 89% of them (82% before); on `tests/test_roi_identification.py`'s
simulation in 89% of 300 seeds. The draws come from a fixed seed, so a report is
deterministic, and every draw's optimum is found in one stacked bisection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from marketing_intel.analysis._roi_optimization_allocation import (
    believed_curves,
    optimal_allocations,
)
from marketing_intel.analysis._roi_optimization_curves import COLUMNS, ResponseCurve

DRAWS = 400
DRAW_SEED = 20_260_630
# Bisection steps per draw: 40 halvings of the log-multiplier range resolve it to ~1e-12.
DRAW_BISECTION_STEPS = 40


@dataclass(frozen=True)
class Uplift:
    """Predicted daily revenue of the current spend, the proposal's uplift corrected for the
    optimism of choosing it, its interval, and the optimism removed."""

    current_revenue: float
    uplift: float
    low: float
    high: float
    optimism: float


def reallocation_uplift(
    curves: Sequence[ResponseCurve],
    current: np.ndarray,
    proposed: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    confidence: float,
) -> Uplift:
    """The uplift of `proposed` over `current` (the optimum of `curves` within `bounds` at the
    same total) with a two-sided `confidence` interval, both net of the optimism of choosing it."""
    a = np.array([curve.a for curve in curves])
    b = np.array([curve.b for curve in curves])
    # The model has diminishing returns: a fitted b above 1 (its interval reaching below 1)
    # stands for a nearly linear curve, as the optimizer reads it.
    believed_a, believed_b = believed_curves(a, b, current)
    drawn_a, drawn_b = _drawn_curves(curves)
    optimism = _optimism(believed_a, believed_b, drawn_a, drawn_b, current, bounds)
    fitted = float(_uplift(believed_a, believed_b, current, proposed[None, :])[0])
    # The spread of the proposal's own uplift over the draws: the fit's uncertainty.
    error = _uplift(drawn_a, drawn_b, current, proposed[None, :]) - _uplift(
        a, b, current, proposed[None, :]
    )
    tail = (1.0 - confidence) / 2.0
    high_error, low_error = np.quantile(error, [1.0 - tail, tail])
    return Uplift(
        current_revenue=float(np.sum(a * np.power(current, b))),
        uplift=fitted - optimism,
        low=fitted - optimism - float(high_error),
        high=fitted - optimism - float(low_error),
        optimism=optimism,
    )


def _optimism(
    a: np.ndarray,
    b: np.ndarray,
    drawn_a: np.ndarray,
    drawn_b: np.ndarray,
    current: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
) -> float:
    """The median over the draws of what a draw's own optimum promises beyond what it brings
    on the curves (a, b) taken as the truth."""
    lower, upper = bounds
    chosen = optimal_allocations(
        drawn_a, drawn_b, float(current.sum()), lower, upper, DRAW_BISECTION_STEPS
    )
    # What each draw promised, on its curves as its optimizer read them.
    believed_a, believed_b = believed_curves(drawn_a, drawn_b, (lower + upper) / 2.0)
    promised = _uplift(believed_a, believed_b, current, chosen)
    return float(np.median(promised - _uplift(a, b, current, chosen)))


def _drawn_curves(curves: Sequence[ResponseCurve]) -> tuple[np.ndarray, np.ndarray]:
    """DRAWS x campaigns of (a, b) drawn around each fit: multivariate t with the fit's
    covariance of (ln a, b) and its residual degrees of freedom."""
    rng = np.random.default_rng(DRAW_SEED)
    normal = rng.standard_normal((DRAWS, len(curves), 2))
    dof = np.array([max(curve.days_fitted - COLUMNS, 1) for curve in curves], dtype=float)
    scale = np.sqrt(rng.chisquare(dof, (DRAWS, len(curves))) / dof)
    roots = np.stack([_covariance_root(curve.covariance) for curve in curves])
    shift = np.einsum("cij,dcj->dci", roots, normal) / scale[:, :, None]
    log_a = np.array([np.log(curve.a) for curve in curves]) + shift[:, :, 0]
    b = np.array([curve.b for curve in curves]) + shift[:, :, 1]
    return np.exp(log_a), b


def _covariance_root(covariance: np.ndarray) -> np.ndarray:
    """R with R R' = covariance (from its eigendecomposition: a covariance that is singular or
    off by rounding has no Cholesky factor)."""
    values, vectors = np.linalg.eigh(covariance)
    return vectors * np.sqrt(np.maximum(values, 0.0))


def _uplift(a: np.ndarray, b: np.ndarray, current: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """Per row of `spend`, the revenue of the curves (a, b) there minus at `current`."""
    return np.sum(a * (np.power(spend, b) - np.power(current, b)), axis=-1)
