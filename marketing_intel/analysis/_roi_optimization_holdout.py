"""Out-of-sample fit of the response curves: each campaign's model refitted without its last
days and scored on them, as Google Meridian reports fit on held-out weeks.

The last `HOLDOUT_SHARE` of a campaign's fitted days (by date) are held out; the same
demand-controlled regression (`_roi_optimization_curves`) is fitted on the days before and
predicts the held-out days' revenue from their spend, weekday and trend. Scores are on revenue,
not its log: R^2 against the held-out days' own mean (it can be negative: worse than that mean),
MAPE (mean of |error| / revenue) and wMAPE (sum |error| / sum revenue, which a few small days
cannot dominate). Holding out the end rather than random days is the honest test of a model
used to plan the days after the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from marketing_intel.analysis._roi_optimization_curves import demand_design, fit_groups

HOLDOUT_SHARE = 0.2
# Fewer held-out days than this say nothing about the fit.
MIN_HOLDOUT_DAYS = 2


@dataclass(frozen=True)
class HoldoutFit:
    """How well the curve fitted on the earlier days predicts the held-out later days."""

    days: int
    r_squared: float | None  # None when the held-out revenue did not vary
    mape: float
    wmape: float


def holdout_fits(
    campaign: np.ndarray,
    day: np.ndarray,
    spend: np.ndarray,
    revenue: np.ndarray,
    campaigns: int,
) -> list[HoldoutFit | None]:
    """Each campaign's held-out scores (rows as in `fit_power_curves`); None when it has too
    few days to fit on the rest and score the end."""
    usable = (spend > 0) & (revenue > 0)
    group, days = campaign[usable], day[usable]
    design = demand_design(days, spend[usable])
    y = revenue[usable]
    order = np.lexsort((days, group))
    counts = np.bincount(group, minlength=campaigns)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.empty(len(group), dtype=np.int64)
    position[order] = np.arange(len(group)) - starts[group[order]]
    held_days = np.floor(HOLDOUT_SHARE * counts).astype(np.int64)
    held = position >= (counts - held_days)[group]
    train = fit_groups(group[~held], design[~held], np.log(y[~held]), campaigns)
    scored, actual = group[held], y[held]
    error = np.exp(train.predict(scored, design[held])) - actual

    def sums(values: np.ndarray) -> np.ndarray:
        return np.bincount(scored, weights=values, minlength=campaigns)

    n, total = np.maximum(held_days, 1), sums(actual)
    spread = sums(actual * actual) - total * total / n  # the held-out days' own variation
    squared, absolute, relative = (
        sums(error * error),
        sums(np.abs(error)),
        sums(np.abs(error) / actual),
    )
    scored_ok = (held_days >= MIN_HOLDOUT_DAYS) & (train.days - train.rank >= 1)
    varied = spread > 1e-9 * total * total
    r_squared = np.divide(squared, spread, out=np.zeros(campaigns), where=varied)
    columns = zip(
        held_days.tolist(),
        np.where(varied, 1.0 - r_squared, np.nan).tolist(),
        (relative / n).tolist(),
        np.divide(absolute, total, out=np.zeros(campaigns), where=total > 0).tolist(),
        scored_ok.tolist(),
        strict=True,
    )
    return [
        HoldoutFit(days, None if math.isnan(r2) else r2, mape, wmape) if ok else None
        for days, r2, mape, wmape, ok in columns
    ]
