"""Per-tenant plan: the campaigns, segments and event counts every generator shares.

Planning draws only small arrays (one value per campaign, segment or tenant-day-platform), so
`expected_rows` can replay it to know the exact row counts without generating any rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from marketing_intel.demo import anomalies as an
from marketing_intel.demo.spec import (
    AD_PLATFORMS,
    EPOCH,
    MICROS_PER_DAY,
    MICROS_PER_HOUR,
    PLATFORMS,
    DemoSpec,
    tenant_rng,
)

STREAM_PLAN = 1
STREAM_EVENT_COUNTS = 2

EVENTS_PER_TENANT_DAY = 400
RAW_SAMPLE_RATE = 0.10
# Share of a tenant's events per platform, in PLATFORMS order (meta, google_ads, tiktok, ...).
PLATFORM_SHARE = np.array([0.10, 0.09, 0.06, 0.32, 0.18, 0.25])
# Relative event volume per UTC hour: quiet nights, a lunch bump, an evening peak (US shoppers).
HOURLY_WEIGHT = np.array(
    [6, 5, 4, 3, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 11, 12, 13, 13, 12, 10, 8], dtype=float
)
HOURLY_CDF = np.concatenate([[0.0], np.cumsum(HOURLY_WEIGHT) / HOURLY_WEIGHT.sum()])
# Campaign mix across ad platforms once each platform has one campaign.
CAMPAIGN_PLATFORM_WEIGHT = np.array([0.45, 0.35, 0.20])


@dataclass(frozen=True)
class Campaigns:
    """A tenant's campaigns, one entry per campaign in every array."""

    platform: np.ndarray  # index into AD_PLATFORMS
    start_day: np.ndarray  # first day index with metrics (campaigns launched mid-history)
    base_spend: np.ndarray  # typical daily spend, USD
    elasticity: np.ndarray  # b in revenue = a * spend**b (diminishing returns)
    roas: np.ndarray  # revenue / spend at base_spend
    order_value: np.ndarray  # average order value, USD
    cpm: np.ndarray  # cost per 1000 impressions, USD
    ctr: np.ndarray  # click-through rate
    names: tuple[str, ...]
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Segments:
    """A tenant's audience segments across the ad platforms."""

    platform: np.ndarray  # index into AD_PLATFORMS
    index: np.ndarray  # segment number within its platform
    ids: tuple[str, ...]


@dataclass(frozen=True)
class TenantPlan:
    """Everything about one tenant that fixes the row counts of its tables."""

    tenant_id: str
    tenant_index: int
    retail: bool  # retail: busier weekends; B2B-ish: quieter weekends
    campaigns: Campaigns
    segments: Segments
    event_counts: np.ndarray  # [day, platform] platform_events rows
    raw_counts: np.ndarray  # [day, platform] of those, rows with an integration_raw_data row

    @property
    def campaign_metric_rows(self) -> int:
        """Rows of campaign_metrics: one per campaign per day since its launch."""
        days = self.event_counts.shape[0]
        return int((days - self.campaigns.start_day).sum())


def weekday_factor(spec: DemoSpec, retail: bool) -> np.ndarray:
    """Activity multiplier per day of the history (mean ~1), from the day of the week."""
    weekday = (spec.epoch_days() + EPOCH.weekday()) % 7  # 0 = Monday
    weekend = weekday >= 5
    factor = np.where(weekend, 1.25 if retail else 0.55, 1.0)
    factor = factor * np.where(weekday == 0, 1.05, 1.0)  # Monday catch-up
    return factor / factor.mean()


def cycle_fraction(hours: np.ndarray) -> np.ndarray:
    """Share of a day's events that happen before `hours` (0-24) into the day."""
    return np.interp(np.clip(hours, 0.0, 24.0), np.arange(25.0), HOURLY_CDF)


@lru_cache(maxsize=64)
def tenant_plan(spec: DemoSpec, tenant_index: int) -> TenantPlan:
    """The plan of tenant ``demo-{tenant_index}`` (cached: every table's generator reads it)."""
    tenant_id = f"demo-{tenant_index}"
    rng = tenant_rng(spec, tenant_index, STREAM_PLAN)
    retail = tenant_index % 2 == 1
    campaigns = draw_campaigns(spec, tenant_id, rng)
    segments = draw_segments(tenant_id, rng)
    counts, raw = draw_event_counts(spec, tenant_id, tenant_index, retail)
    return TenantPlan(tenant_id, tenant_index, retail, campaigns, segments, counts, raw)


def draw_campaigns(spec: DemoSpec, tenant_id: str, rng: np.random.Generator) -> Campaigns:
    """A tenant's campaigns: `spec.campaigns` of them (else 8-15), the first three one per ad
    platform, with typical spend, returns, prices and delivery drawn per campaign."""
    n = spec.campaigns or int(rng.integers(8, 16))
    # The first three cover every ad platform (and are the anomaly targets); the rest are mixed.
    platform = np.concatenate([[0, 1, 2], rng.choice(3, size=n - 3, p=CAMPAIGN_PLATFORM_WEIGHT)])
    late = (np.arange(n) >= 3) & (rng.random(n) < 0.3)
    start_day = np.where(late, rng.integers(0, max(1, spec.days // 2), size=n), 0)
    base_cpm = np.array([9.0, 6.5, 5.0])[platform]
    base_ctr = np.array([0.012, 0.035, 0.009])[platform]
    names = tuple(_campaign_name(int(p), k, rng) for k, p in enumerate(platform))
    ids = tuple(an.campaign_id(tenant_id, AD_PLATFORMS[p], k) for k, p in enumerate(platform))
    return Campaigns(
        platform=platform.astype(np.int64),
        start_day=start_day.astype(np.int64),
        base_spend=np.clip(rng.lognormal(np.log(250.0), 0.7, n), 30.0, 3000.0),
        elasticity=rng.uniform(0.5, 0.85, n),
        roas=rng.lognormal(np.log(2.5), 0.35, n),
        order_value=rng.lognormal(np.log(70.0), 0.4, n),
        cpm=base_cpm * rng.lognormal(0.0, 0.2, n),
        ctr=base_ctr * rng.lognormal(0.0, 0.2, n),
        names=names,
        ids=ids,
    )


_CAMPAIGN_THEMES = {
    0: (
        "Prospecting | Broad",
        "Retargeting | Cart abandoners",
        "Advantage+ Shopping",
        "Lookalike 1%",
    ),
    1: (
        "Brand Search",
        "Non-brand Search",
        "Performance Max",
        "Shopping | Best sellers",
        "YouTube",
    ),
    2: ("Spark Ads | UGC", "TopView launch", "In-feed | Broad", "Retargeting | Video viewers"),
}
_CAMPAIGN_SUFFIX = ("US", "CA", "UK", "Spring Sale", "Evergreen", "New Arrivals", "Q-Promo")


def _campaign_name(platform: int, index: int, rng: np.random.Generator) -> str:
    themes = _CAMPAIGN_THEMES[platform]
    theme = themes[int(rng.integers(len(themes)))]
    suffix = _CAMPAIGN_SUFFIX[int(rng.integers(len(_CAMPAIGN_SUFFIX)))]
    return f"{theme} | {suffix} #{index + 1}"


def draw_segments(tenant_id: str, rng: np.random.Generator) -> Segments:
    """A tenant's audience segments: 6-10 per ad platform."""
    per_platform = rng.integers(6, 11, size=len(AD_PLATFORMS))
    platform = np.repeat(np.arange(len(AD_PLATFORMS)), per_platform)
    index = np.concatenate([np.arange(k) for k in per_platform])
    ids = tuple(
        an.segment_id(tenant_id, AD_PLATFORMS[p], int(i))
        for p, i in zip(platform, index, strict=True)
    )
    return Segments(platform=platform.astype(np.int64), index=index.astype(np.int64), ids=ids)


def draw_event_counts(
    spec: DemoSpec, tenant_id: str, tenant_index: int, retail: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Events per [day, platform] of a tenant, and how many of them have a raw delivery."""
    rng = tenant_rng(spec, tenant_index, STREAM_EVENT_COUNTS)
    size = rng.uniform(0.8, 1.2)  # tenants differ in size (mean 1 keeps ~400 events/day)
    growth = np.exp(0.002 * (np.arange(spec.days) - spec.days / 2))  # centred: mean ~1
    daily = EVENTS_PER_TENANT_DAY * spec.scale * size * weekday_factor(spec, retail) * growth
    lam = daily[:, None] * PLATFORM_SHARE[None, :]
    if tenant_id == an.SILENT_TENANT:
        lam[:, PLATFORMS.index(an.SILENT_PLATFORM)] *= silent_fraction(spec)
    counts = rng.poisson(lam)
    return counts, rng.binomial(counts, RAW_SAMPLE_RATE)


def silent_cutoff_micros(spec: DemoSpec) -> int:
    """The instant the silent integration stops: SILENT_HOURS before the end of end_date."""
    end = ((spec.end_date - EPOCH).days + 1) * MICROS_PER_DAY
    return end - an.SILENT_HOURS * MICROS_PER_HOUR


def silent_fraction(spec: DemoSpec) -> np.ndarray:
    """Per day, the share of the day's events that still arrive before the silent cutoff."""
    day_start = spec.epoch_days() * MICROS_PER_DAY
    hours = (silent_cutoff_micros(spec) - day_start) / MICROS_PER_HOUR
    return cycle_fraction(hours)
