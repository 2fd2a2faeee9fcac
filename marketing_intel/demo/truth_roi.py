"""ROI tenants of the truth benchmark: campaigns whose revenue follows a known curve.

Each campaign's daily revenue is a * spend^b * demand * noise, with b drawn in ROI_ELASTICITY
(diminishing returns), ROAS at its typical spend in ROI_ROAS (so marginal returns differ and a
reallocation is worth something), lognormal noise (sigma ROI_NOISE, median 1) and a demand
multiplier of weekday and a slow season whose geometric mean over the scored window is 1: the
true curve, on an average day of the window, is then a * spend^b (the median revenue, which is
what a fit on logs estimates). How spend moves decides whether the curve can be identified:

- identifiable: spend varies day to day independently of demand (lognormal, sigma 0.35);
- follows_demand: spend is raised on busy days and seasons (demand^1.5) - the season reads as
  the response, so the curve is not identifiable from these days alone;
- flat: spend barely varies (sigma 0.01) - no variation, nothing to identify.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from marketing_intel.demo.campaigns import metrics_table
from marketing_intel.demo.plan import TenantPlan, weekday_factor
from marketing_intel.demo.spec import DemoSpec, tenant_rng

ROI_REGIMES = ("identifiable", "follows_demand", "flat")
ROI_ELASTICITY = (0.3, 0.9)
ROI_ROAS = (1.5, 5.0)
ROI_NOISE = 0.15
SPEND_SPREAD = {"identifiable": 0.35, "follows_demand": 0.05, "flat": 0.01}
DEMAND_POWER = 1.5  # follows_demand: spend multiplier = demand ** DEMAND_POWER
SEASON_AMPLITUDE = 0.25  # of log demand, over a SEASON_DAYS cycle
SEASON_DAYS = 60
STREAM_ROI = 21


@dataclass(frozen=True)
class RoiCampaign:
    """One campaign's true response curve: revenue = a * spend^b on an average day."""

    campaign_id: str
    a: float
    b: float


@dataclass(frozen=True)
class RoiTruth:
    """An ROI tenant: how its spend moved (ROI_REGIMES) and its campaigns' true curves."""

    tenant_id: str
    regime: str
    campaigns: tuple[RoiCampaign, ...]

    @property
    def identifiable(self) -> bool:
        """Whether the curves can be identified from the data (spend independent of demand)."""
        return self.regime == "identifiable"


def roi_tenant(
    demo: DemoSpec, plan: TenantPlan, regime: str, window_days: int
) -> tuple[pa.Table, RoiTruth]:
    """campaign_metrics rows of an ROI tenant in `regime`, and its truth."""
    if regime not in ROI_REGIMES:
        raise ValueError(f"unknown ROI regime {regime!r}; use one of {ROI_REGIMES}")
    rng = tenant_rng(demo, plan.tenant_index, STREAM_ROI)
    c = plan.campaigns
    n, days = len(c.ids), demo.days
    b = rng.uniform(*ROI_ELASTICITY, n)
    base = np.clip(rng.lognormal(math.log(300.0), 0.6, n), 30.0, 5_000.0)
    a = rng.uniform(*ROI_ROAS, n) * base ** (1.0 - b)
    log_demand = _log_demand(demo, plan, rng, window_days)[None, :]
    spread = rng.normal(0.0, SPEND_SPREAD[regime], (n, days))
    power = DEMAND_POWER if regime == "follows_demand" else 0.0
    spend = base[:, None] * np.exp(power * log_demand + spread)
    revenue = a[:, None] * spend ** b[:, None] * np.exp(log_demand)
    revenue = revenue * rng.lognormal(0.0, ROI_NOISE, (n, days))
    impressions = np.rint(spend / c.cpm[:, None] * 1000).astype(np.int64)
    clicks = rng.binomial(impressions, np.clip(c.ctr[:, None], 0.0, 0.5))
    conversions = rng.poisson(revenue / c.order_value[:, None])
    everyday = dataclasses.replace(plan.campaigns, start_day=np.zeros(n, dtype=np.int64))
    plan = dataclasses.replace(plan, campaigns=everyday)
    active = np.ones((n, days), dtype=bool)
    table = metrics_table(demo, plan, active, impressions, clicks, conversions, spend, revenue)
    curves = tuple(
        RoiCampaign(campaign_id, float(ai), float(bi))
        for campaign_id, ai, bi in zip(c.ids, a, b, strict=True)
    )
    return table, RoiTruth(plan.tenant_id, regime, curves)


def _log_demand(
    demo: DemoSpec, plan: TenantPlan, rng: np.random.Generator, window_days: int
) -> np.ndarray:
    """Log demand per day (weekday and season), centred on the scored window (the last
    `window_days` days) so that its geometric mean there is 1."""
    phase = rng.uniform(0.0, 2.0 * math.pi)
    season = SEASON_AMPLITUDE * np.sin(2.0 * math.pi * np.arange(demo.days) / SEASON_DAYS + phase)
    log_demand = np.log(weekday_factor(demo, plan.retail)) + season
    return log_demand - log_demand[-window_days:].mean()
