"""Tenants with known truth for the truth benchmark (`python -m bench truth`).

`simulate(lake, spec)` writes, per seed, into the lake's campaign_metrics, platform_events and
audience_insights (the tables and columns the templates read), built with the demo generator's
pieces (`plan`, `campaigns.metrics_table`, `events`, `audiences`):

- a planted tenant (``truth-NNN-planted``, `planted_campaigns` campaigns): one effect of each
  kind of `truth_effects.EFFECT_KINDS`, at a random material size and random days inside the
  scored window (the last `window_days` days);
- a clean tenant (``truth-NNN-clean``, `clean_campaigns` campaigns): the same kind of data with
  nothing planted, for false alarms;
- two ROI tenants (`truth_roi`): one whose curves are identifiable, one whose spend follows
  demand (even seeds) or barely varies (odd seeds).

Campaign data: spend on a bi-weekly budget walk (BUDGET_STEP), weekday seasonality and daily
noise; small and big campaigns (typical daily spend lognormal around 120, 5-20,000); revenue
with diminishing returns (a * spend^b); negative-binomial conversions (dispersion
NB_DISPERSION); revenue per conversion lognormal (the day's mean of its conversions' values).
Segments that are not planted drift by at most CLEAN_SEGMENT_DRIFT a day, far below a material
trend.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from marketing_intel.demo.audiences import audience_insights
from marketing_intel.demo.campaigns import budget_path, metrics_table
from marketing_intel.demo.events import event_chunk, events_table
from marketing_intel.demo.plan import (
    TenantPlan,
    draw_campaigns,
    draw_event_counts,
    draw_segments,
    weekday_factor,
)
from marketing_intel.demo.spec import AD_PLATFORMS, PLATFORMS, DemoSpec, tenant_rng
from marketing_intel.demo.truth_effects import (
    CAMPAIGN_KINDS,
    FAILURE_DAYS,
    FAILURE_RATE,
    LAG_FACTOR,
    MIN_OUTAGE_CONVERSIONS,
    OUTAGE_DAYS,
    ROAS_DROP,
    SEGMENT_GROWTH,
    SILENT_HOURS,
    SPEND_SPIKE_FACTOR,
    SPIKE_DAYS,
    CampaignDays,
    DayRange,
    PlantedEffect,
    collapse_run,
    micros_date,
    plant_after_conversions,
    plant_before_conversions,
    plant_failures,
    plant_lag,
    plant_silence,
    short_run,
    silence_cutoff,
)
from marketing_intel.demo.truth_roi import ROI_REGIMES, RoiTruth, roi_tenant
from marketing_intel.lake import Lake

NB_DISPERSION = 30.0  # conversions ~ negative binomial: variance = mean + mean^2 / 30
ORDER_VALUE_SPREAD = 0.5  # sigma of one conversion's log value
CLEAN_SEGMENT_DRIFT = 0.001  # unplanted segments grow or shrink by at most 0.1% a day
# Budgets are revised every two weeks by ~10%: a bigger move (the demo's ~30%) is a change an
# analyst may want to hear about, which clean tenants must not hold.
BUDGET_STEP = 0.1
MIN_TARGET_CONVERSIONS = 5.0  # a planted campaign converts at least this much a day, usually
STREAM_TRUTH = 20  # random streams of the truth draws (beside the demo's own streams)
# Tenant roles: their index keeps each tenant's random streams apart within a seed.
PLANTED, CLEAN, ROI_IDENTIFIABLE, ROI_NOT_IDENTIFIABLE = 1, 2, 3, 4

# (kind, subject, days, size): one planted effect before it is dated.
Plant = tuple[str, str, DayRange, float]


@dataclass(frozen=True)
class TruthSpec:
    """What to simulate: `seeds` seeds of tenants over `days` days ending at `end_date`."""

    end_date: dt.date
    seeds: int = 50
    first_seed: int = 1
    days: int = 90
    window_days: int = 28
    planted_campaigns: int = 40
    clean_campaigns: int = 500
    roi_campaigns: int = 6
    event_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise ValueError("TruthSpec.seeds must be at least 1")
        if self.days < 2 * self.window_days + 7:
            raise ValueError(
                "TruthSpec.days must cover the window, the previous window and a week of "
                f"baseline ({2 * self.window_days + 7} days or more)"
            )
        if min(self.planted_campaigns, self.clean_campaigns, self.roi_campaigns) < 3:
            raise ValueError("every tenant needs at least 3 campaigns (one per ad platform)")

    @property
    def window_start(self) -> dt.date:
        """The first day of the scored window."""
        return self.end_date - dt.timedelta(days=self.window_days - 1)

    def demo_spec(self, seed: int, campaigns: int) -> DemoSpec:
        """The demo generator's spec of one seed's tenant."""
        return DemoSpec(
            end_date=self.end_date,
            tenants=1,
            days=self.days,
            seed=seed,
            scale=self.event_scale,
            campaigns=campaigns,
        )


@dataclass(frozen=True)
class CleanTenant:
    """A tenant with nothing planted, and how many campaigns it has."""

    tenant_id: str
    campaigns: int


@dataclass
class Truth:
    """Everything simulated: the planted effects, the clean tenants and the ROI truths."""

    effects: list[PlantedEffect] = dataclasses.field(default_factory=list)
    clean: list[CleanTenant] = dataclasses.field(default_factory=list)
    roi: list[RoiTruth] = dataclasses.field(default_factory=list)
    rows: int = 0


def simulate(lake: Lake, spec: TruthSpec) -> Truth:
    """Write every seed's tenants into `lake`; the truth about them."""
    truth = Truth()
    for seed in range(spec.first_seed, spec.first_seed + spec.seeds):
        effects, rows = _planted_tenant(lake, spec, seed)
        truth.effects.extend(effects)
        clean = CleanTenant(f"truth-{seed:03d}-clean", spec.clean_campaigns)
        plan = _plan(spec.demo_spec(seed, clean.campaigns), clean.tenant_id, CLEAN)
        rows += _write(lake, spec.demo_spec(seed, clean.campaigns), plan, [], [], [])
        truth.clean.append(clean)
        for role, regime in (
            (ROI_IDENTIFIABLE, "identifiable"),
            (ROI_NOT_IDENTIFIABLE, ROI_REGIMES[1 + seed % 2]),
        ):
            demo = spec.demo_spec(seed, spec.roi_campaigns)
            plan = _plan(demo, f"truth-{seed:03d}-roi-{regime}", role)
            table, roi = roi_tenant(demo, plan, regime, spec.window_days)
            rows += lake.insert("campaign_metrics", table).inserted
            truth.roi.append(roi)
        truth.rows += rows
    return truth


def _plan(demo: DemoSpec, tenant_id: str, role: int) -> TenantPlan:
    """A tenant's plan from the demo's draws, with small and big campaigns (wider than the
    demo's) and no raw deliveries (no template reads them)."""
    rng = tenant_rng(demo, role, STREAM_TRUTH)
    campaigns = draw_campaigns(demo, tenant_id, rng)
    n = len(campaigns.ids)
    campaigns = dataclasses.replace(
        campaigns,
        base_spend=np.clip(rng.lognormal(np.log(120.0), 1.1, n), 5.0, 20_000.0),
        roas=rng.lognormal(np.log(2.5), 0.45, n),
    )
    segments = draw_segments(tenant_id, rng)
    retail = role % 2 == 1
    counts, raw = draw_event_counts(demo, tenant_id, role, retail)
    return TenantPlan(tenant_id, role, retail, campaigns, segments, counts, np.zeros_like(raw))


def _planted_tenant(lake: Lake, spec: TruthSpec, seed: int) -> tuple[list[PlantedEffect], int]:
    """The seed's planted tenant: one effect of every kind; its effects and rows written."""
    demo = spec.demo_spec(seed, spec.planted_campaigns)
    tenant = f"truth-{seed:03d}-planted"
    plan = _plan(demo, tenant, PLANTED)
    rng = tenant_rng(demo, PLANTED, STREAM_TRUTH, 1)
    campaign_effects = _campaign_effects(rng, spec, plan)
    platform_effects = _platform_effects(rng, spec, plan)
    segment_effects = _segment_effects(rng, spec, plan)
    rows = _write(lake, demo, plan, campaign_effects, platform_effects, segment_effects)
    effects = [
        _effect(spec, tenant, kind, subject, run, size)
        for kind, subject, run, size in (*campaign_effects, *platform_effects, *segment_effects)
    ]
    return effects, rows


def _effect(
    spec: TruthSpec, tenant: str, kind: str, subject: str, run: DayRange, size: float
) -> PlantedEffect:
    start = spec.end_date - dt.timedelta(days=spec.days - 1)
    return PlantedEffect(
        tenant_id=tenant,
        kind=kind,
        subject=subject,
        start=start + dt.timedelta(days=run.first),
        end=start + dt.timedelta(days=run.last),
        size=size,
    )


def _campaign_effects(rng: np.random.Generator, spec: TruthSpec, plan: TenantPlan) -> list[Plant]:
    """A spend spike, a tracking outage and a ROAS collapse on three material campaigns (the
    outage on one where it hides at least MIN_OUTAGE_CONVERSIONS conversions, or the biggest
    left in a tenant of small campaigns)."""
    c = plan.campaigns
    conversions = c.roas * c.base_spend / c.order_value
    material = np.flatnonzero((c.start_day == 0) & (conversions >= MIN_TARGET_CONVERSIONS))
    if len(material) < len(CAMPAIGN_KINDS):  # a tenant of tiny campaigns: take the biggest
        material = np.argsort(-conversions)[: len(CAMPAIGN_KINDS)]
    rows = rng.choice(material, size=len(CAMPAIGN_KINDS), replace=False)
    days, window = spec.days, spec.window_days
    runs_and_sizes = (
        (short_run(rng, days, window, SPIKE_DAYS), rng.uniform(*SPEND_SPIKE_FACTOR)),
        (short_run(rng, days, window, OUTAGE_DAYS), 0.0),
        (collapse_run(rng, days, window), rng.uniform(*ROAS_DROP)),
    )
    outage = runs_and_sizes[1][0]
    visible = conversions * (outage.last - outage.first + 1) >= MIN_OUTAGE_CONVERSIONS
    if not visible[rows[1]]:  # an outage too small to see: on a campaign where it is material
        others = np.setdiff1d(np.flatnonzero(visible & (c.start_day == 0)), rows)
        if others.size:
            rows[1] = rng.choice(others)
        else:  # a tenant of small campaigns: the biggest one left
            left = np.setdiff1d(np.flatnonzero(c.start_day == 0), rows[[0, 2]])
            rows[1] = left[np.argmax(conversions[left])]
    return [
        (kind, c.ids[int(row)], run, float(size))
        for kind, row, (run, size) in zip(CAMPAIGN_KINDS, rows, runs_and_sizes, strict=True)
    ]


def _platform_effects(rng: np.random.Generator, spec: TruthSpec, plan: TenantPlan) -> list[Plant]:
    """A silent integration, a failure spike and a lag rise on three different platforms."""
    silent, failing, lagging = (PLATFORMS[int(i)] for i in rng.permutation(len(PLATFORMS))[:3])
    days, window = spec.days, spec.window_days
    hours = float(rng.uniform(*SILENT_HOURS))
    first_silent = (micros_date(silence_cutoff(spec.end_date, hours)) - spec.end_date).days
    if rng.random() < 0.5:  # one day
        lag_day = int(rng.integers(days - window, days))
        lag_run = DayRange(lag_day, lag_day)
    else:  # from a day to the window's end
        lag_run = DayRange(int(rng.integers(days - window, days - 1)), days - 1)
    return [
        ("silent_integration", silent, DayRange(days - 1 + first_silent, days - 1), hours),
        (
            "failure_spike",
            failing,
            short_run(rng, days, window, FAILURE_DAYS),
            float(rng.uniform(*FAILURE_RATE)),
        ),
        ("lag_rise", lagging, lag_run, float(rng.uniform(*LAG_FACTOR))),
    ]


def _segment_effects(rng: np.random.Generator, spec: TruthSpec, plan: TenantPlan) -> list[Plant]:
    """A rising and a declining segment (never the tiny one the demo keeps last on tiktok)."""
    candidates = np.flatnonzero(plan.segments.platform != AD_PLATFORMS.index("tiktok"))
    rising, declining = rng.choice(candidates, size=2, replace=False)
    whole = DayRange(0, spec.days - 1)
    return [
        ("rising_segment", plan.segments.ids[int(rising)], whole, rng.uniform(*SEGMENT_GROWTH)),
        (
            "declining_segment",
            plan.segments.ids[int(declining)],
            whole,
            -rng.uniform(*SEGMENT_GROWTH),
        ),
    ]


def _write(
    lake: Lake,
    demo: DemoSpec,
    plan: TenantPlan,
    campaign_effects: list[Plant],
    platform_effects: list[Plant],
    segment_effects: list[Plant],
) -> int:
    """Write a tenant's three tables with its effects planted; the rows inserted."""
    rows = lake.insert("campaign_metrics", _campaign_table(demo, plan, campaign_effects)).inserted
    rows += lake.insert("platform_events", _events(demo, plan, platform_effects)).inserted
    trends = _segment_trends(demo, plan, segment_effects)
    rows += lake.insert("audience_insights", audience_insights(demo, plan, trends)).inserted
    return rows


def _campaign_table(demo: DemoSpec, plan: TenantPlan, effects: list[Plant]) -> pa.Table:
    """campaign_metrics rows of the plan's campaigns, with the campaign effects planted."""
    rng = tenant_rng(demo, plan.tenant_index, STREAM_TRUTH, 2)
    c = plan.campaigns
    n, days = len(c.ids), demo.days
    season = weekday_factor(demo, plan.retail)[None, :]
    spend = c.base_spend[:, None] * budget_path(rng, n, days, BUDGET_STEP) * season
    spend = spend * rng.lognormal(0.0, 0.12, (n, days))
    a = c.roas * c.base_spend ** (1.0 - c.elasticity)
    bought = a[:, None] * spend ** c.elasticity[:, None] * season**0.3
    arrays = CampaignDays(spend, bought * rng.lognormal(0.0, 0.1, (n, days)))
    rows = {campaign_id: row for row, campaign_id in enumerate(c.ids)}
    for kind, subject, run, size in effects:
        plant_before_conversions(kind, arrays, rows[subject], run, size)
    impressions = np.rint(spend / (c.cpm[:, None] * rng.lognormal(0.0, 0.1, (n, days))) * 1000)
    impressions = impressions.astype(np.int64)
    clicks = rng.binomial(impressions, np.clip(c.ctr[:, None], 0.0, 0.5))
    mean = arrays.expected_revenue / c.order_value[:, None]
    conversions = np.minimum(
        rng.negative_binomial(NB_DISPERSION, NB_DISPERSION / (NB_DISPERSION + mean)), clicks
    )
    spread = ORDER_VALUE_SPREAD / np.sqrt(np.maximum(conversions, 1))
    arrays.conversions = conversions
    arrays.revenue = conversions * c.order_value[:, None] * rng.lognormal(0.0, spread)
    for kind, subject, run, _ in effects:
        plant_after_conversions(kind, arrays, rows[subject], run)
    active = np.arange(days)[None, :] >= c.start_day[:, None]
    return metrics_table(
        demo, plan, active, impressions, clicks, arrays.conversions, arrays.spend, arrays.revenue
    )


def _events(demo: DemoSpec, plan: TenantPlan, effects: list[Plant]) -> pa.Table:
    """platform_events rows of the plan, with the platform effects planted."""
    rng = tenant_rng(demo, plan.tenant_index, STREAM_TRUTH, 3)
    chunk = event_chunk(demo, plan, 0, demo.days)
    first_epoch_day = int(demo.epoch_days()[0])
    for kind, subject, run, size in effects:
        platform = PLATFORMS.index(subject)
        if kind == "failure_spike":
            chunk = plant_failures(rng, chunk, platform, run.shifted(first_epoch_day), size)
        elif kind == "lag_rise":
            chunk = plant_lag(chunk, platform, run.shifted(first_epoch_day), size)
        elif kind == "silent_integration":
            chunk = plant_silence(chunk, platform, silence_cutoff(demo.end_date, size))
    return events_table(plan, chunk)


def _segment_trends(demo: DemoSpec, plan: TenantPlan, effects: list[Plant]) -> np.ndarray:
    """Daily log growth per segment: the planted rates, small drifts elsewhere."""
    rng = tenant_rng(demo, plan.tenant_index, STREAM_TRUTH, 4)
    n = len(plan.segments.ids)
    trends = rng.uniform(-CLEAN_SEGMENT_DRIFT, CLEAN_SEGMENT_DRIFT, n)
    for _, subject, _, size in effects:
        trends[plan.segments.ids.index(subject)] = size
    return trends
