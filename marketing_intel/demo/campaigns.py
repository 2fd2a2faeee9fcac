"""`campaign_metrics`: one row per campaign per day with spend, delivery and diminishing returns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from marketing_intel.demo import anomalies as an
from marketing_intel.demo.arrow_columns import (
    cents_to_numeric,
    constant,
    days_to_date,
    micros_to_timestamp,
    take,
)
from marketing_intel.demo.plan import TenantPlan, weekday_factor
from marketing_intel.demo.spec import AD_PLATFORMS, MICROS_PER_DAY, DemoSpec, tenant_rng
from marketing_intel.lake.arrow_schema import arrow_schema
from marketing_intel.lake.schema import table_spec

STREAM_CAMPAIGNS = 3
BUDGET_PERIOD_DAYS = 14  # marketers revisit budgets every couple of weeks


def campaign_metrics(spec: DemoSpec, plan: TenantPlan) -> pa.Table:
    """The tenant's campaign_metrics rows, campaign by campaign, oldest day first."""
    rng = tenant_rng(spec, plan.tenant_index, STREAM_CAMPAIGNS)
    c = plan.campaigns
    n, days = len(c.ids), spec.days
    season = weekday_factor(spec, plan.retail)[None, :]
    spend = c.base_spend[:, None] * budget_path(rng, n, days) * season
    spend = spend * rng.lognormal(0.0, 0.12, (n, days))
    # Diminishing returns: revenue = a * spend**b, with a set so ROAS at base spend is c.roas.
    a = c.roas * c.base_spend ** (1.0 - c.elasticity)
    bought = a[:, None] * spend ** c.elasticity[:, None] * season**0.3
    bought = bought * rng.lognormal(0.0, 0.15, (n, days))
    spend = _plant_spend_spike(spec, plan, spend)
    impressions = np.rint(spend / (c.cpm[:, None] * rng.lognormal(0.0, 0.1, (n, days))) * 1000)
    impressions = impressions.astype(np.int64)
    ctr = np.clip(c.ctr[:, None] * rng.lognormal(0.0, 0.1, (n, days)), 0.0, 0.5)
    clicks = rng.binomial(impressions, ctr)
    conversions = np.minimum(rng.poisson(bought / c.order_value[:, None]), clicks)
    revenue = conversions * c.order_value[:, None] * rng.lognormal(0.0, 0.08, (n, days))
    _plant_tracking_outage(spec, plan, conversions, revenue)
    active = np.arange(days)[None, :] >= c.start_day[:, None]
    return metrics_table(spec, plan, active, impressions, clicks, conversions, spend, revenue)


def budget_path(rng: np.random.Generator, n: int, days: int, step_sigma: float = 0.3) -> np.ndarray:
    """Budget multiplier per campaign and day: a random walk stepping every BUDGET_PERIOD_DAYS
    (log steps with standard deviation `step_sigma`)."""
    periods = days // BUDGET_PERIOD_DAYS + 1
    steps = rng.normal(0.0, step_sigma, (n, periods))
    steps[:, 0] = 0.0
    walk = np.exp(np.clip(np.cumsum(steps, axis=1), -1.2, 1.2))
    return np.repeat(walk, BUDGET_PERIOD_DAYS, axis=1)[:, :days]


def _plant_spend_spike(spec: DemoSpec, plan: TenantPlan, spend: np.ndarray) -> np.ndarray:
    """Triple one campaign's spend for two days; conversions were drawn from the normal spend."""
    if plan.tenant_id != an.SPEND_SPIKE_TENANT:
        return spend
    spend = spend.copy()
    for offset in an.SPEND_SPIKE_DAYS_BEFORE_END:
        day = spec.day_index(offset)
        if day is not None:
            spend[an.SPEND_SPIKE_CAMPAIGN, day] *= an.SPEND_SPIKE_FACTOR
    return spend


def _plant_tracking_outage(
    spec: DemoSpec, plan: TenantPlan, conversions: np.ndarray, revenue: np.ndarray
) -> None:
    """Zero one campaign's conversions and revenue for two days (in place)."""
    if plan.tenant_id != an.TRACKING_OUTAGE_TENANT:
        return
    for offset in an.TRACKING_OUTAGE_DAYS_BEFORE_END:
        day = spec.day_index(offset)
        if day is not None:
            conversions[an.TRACKING_OUTAGE_CAMPAIGN, day] = 0
            revenue[an.TRACKING_OUTAGE_CAMPAIGN, day] = 0.0


def metrics_table(
    spec: DemoSpec,
    plan: TenantPlan,
    active: np.ndarray,
    impressions: np.ndarray,
    clicks: np.ndarray,
    conversions: np.ndarray,
    spend: np.ndarray,
    revenue: np.ndarray,
) -> pa.Table:
    """campaign_metrics rows of the `active` campaign-days from per-campaign-day arrays."""
    c = plan.campaigns
    campaign, day = np.nonzero(active)  # row-major: campaign by campaign, days ascending
    epoch_day = spec.epoch_days()[day]
    rows = len(campaign)
    columns = {
        "tenant_id": constant(plan.tenant_id, rows),
        "platform": take(pa.array(AD_PLATFORMS), c.platform[campaign]),
        "campaign_id": take(pa.array(c.ids), campaign),
        "campaign_name": take(pa.array(c.names), campaign),
        "date": days_to_date(epoch_day),
        "impressions": pa.array(impressions[active]),
        "clicks": pa.array(clicks[active].astype(np.int64)),
        "conversions": pa.array(conversions[active].astype(np.int64)),
        "spend": cents_to_numeric(np.rint(spend[active] * 100)),
        "revenue": cents_to_numeric(np.rint(revenue[active] * 100)),
        "currency": constant("USD", rows),
        # Reported once the day closes: the last microsecond of that day.
        "updated_at": micros_to_timestamp((epoch_day + 1) * MICROS_PER_DAY - 1),
    }
    schema = arrow_schema(table_spec("campaign_metrics"))
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)
