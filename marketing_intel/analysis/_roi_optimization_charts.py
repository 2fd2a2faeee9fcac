"""The numbers behind the ROI report's pictures: response curves over spend (kind "curve").

Each campaign shown gets its fitted curve from half to one and a half times its current daily
spend (`expected` = predicted revenue, `low`/`high` = its confidence band), a sample of its
observed days as points, and markers at its current spend and at the spend the report proposes
(or its breakeven spend). Charts stay small (at most about 90 points) and rounded to cents, since
they are read, not recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from marketing_intel.analysis._roi_optimization_curves import ResponseCurve
from marketing_intel.analysis.report import ChartData, ChartMarker, ChartPoint

# Campaigns one reallocation chart shows (the largest revenue changes), curve points and
# observed days per campaign: 3 * (11 + 18) = 87 points at most.
CHART_CAMPAIGNS = 3
CURVE_POINTS = 11
OBSERVED_POINTS = 18


@dataclass(frozen=True)
class CampaignCurve:
    """One campaign as a chart shows it: observed days, fitted curve, current and target spend."""

    label: str
    spend: np.ndarray
    revenue: np.ndarray
    curve: ResponseCurve
    current: float
    target: float


def reallocation_chart(campaigns: Sequence[CampaignCurve], z: float) -> ChartData | None:
    """The curves of the campaigns whose predicted revenue the reallocation changes most, with
    their current and proposed spend; None when it changes none."""
    changed = [c for c in campaigns if abs(c.target - c.current) > 1e-9 * c.current]
    changed.sort(key=lambda c: -abs(float(c.curve.revenue(c.target) - c.curve.revenue(c.current))))
    shown = changed[:CHART_CAMPAIGNS]
    if not shown:
        return None
    points: list[ChartPoint] = []
    markers: list[ChartMarker] = []
    for campaign in shown:
        points += _curve_points(campaign, z, campaign.label, f"observed: {campaign.label}")
        markers += [
            ChartMarker(x=round(campaign.current, 2), label=f"current: {campaign.label}"),
            ChartMarker(x=round(campaign.target, 2), label=f"proposed: {campaign.label}"),
        ]
    return ChartData(
        kind="curve",
        title="Response curves of the largest budget moves",
        x_title="daily spend",
        y_title="daily revenue",
        points=points,
        markers=markers,
    )


def breakeven_chart(campaign: CampaignCurve, z: float) -> ChartData:
    """One campaign's curve with its current spend and its breakeven spend (`target`)."""
    return ChartData(
        kind="curve",
        title=f"Response curve of {campaign.label}",
        x_title="daily spend",
        y_title="daily revenue",
        points=_curve_points(campaign, z, "fitted", "observed"),
        markers=[
            ChartMarker(x=round(campaign.current, 2), label="current"),
            ChartMarker(x=round(campaign.target, 2), label="breakeven"),
        ],
    )


def _curve_points(
    campaign: CampaignCurve, z: float, fitted: str, observed: str
) -> list[ChartPoint]:
    """The fitted curve with its band over the spend range, then a sample of observed days."""
    low_end = min(0.5 * campaign.current, 0.9 * campaign.target)
    high_end = max(1.5 * campaign.current, 1.1 * campaign.target)
    spend = np.linspace(low_end, high_end, CURVE_POINTS)
    low, high = campaign.curve.revenue_interval(spend, z)
    expected = campaign.curve.revenue(spend)
    points = [
        ChartPoint(
            x=round(float(x), 2),
            expected=round(float(e), 2),
            low=round(float(lo), 2),
            high=round(float(hi), 2),
            series=fitted,
        )
        for x, e, lo, hi in zip(spend, expected, low, high, strict=True)
    ]
    days = np.flatnonzero((campaign.spend > 0) & (campaign.revenue > 0))
    sample = days[
        np.unique(np.linspace(0, len(days) - 1, min(len(days), OBSERVED_POINTS)).astype(int))
    ]
    points += [
        ChartPoint(
            x=round(float(campaign.spend[i]), 2),
            y=round(float(campaign.revenue[i]), 2),
            series=observed,
        )
        for i in sample
    ]
    return points
