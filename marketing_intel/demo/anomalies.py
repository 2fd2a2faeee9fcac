"""The anomalies planted in the demo data, as constants the generators apply and tests look up.

Offsets count days before `DemoSpec.end_date` (0 = end_date). An anomaly whose tenant does not exist
(e.g. ``tenants=1``) or whose days fall outside the history is skipped.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from marketing_intel.demo.spec import DemoSpec

# demo-1, campaign_metrics: its first campaign (meta, index 0) spends 3x for two days while
# conversions and revenue stay at the level the normal spend would have bought.
SPEND_SPIKE_TENANT = "demo-1"
SPEND_SPIKE_CAMPAIGN = 0
SPEND_SPIKE_DAYS_BEFORE_END = (10, 9)
SPEND_SPIKE_FACTOR = 3.0

# demo-1, campaign_metrics: its second campaign (google_ads, index 1) reports 0 conversions and 0
# revenue for two days while spend, impressions and clicks stay normal (a tracking outage).
TRACKING_OUTAGE_TENANT = "demo-1"
TRACKING_OUTAGE_CAMPAIGN = 1
TRACKING_OUTAGE_DAYS_BEFORE_END = (20, 19)

# demo-2, platform_events: tiktok events stop 30 hours before the end of end_date
# (a silent integration).
SILENT_TENANT = "demo-2"
SILENT_PLATFORM = "tiktok"
SILENT_HOURS = 30

# demo-2, platform_events: shopify webhooks fail at ~35% (normally ~1%) on one day.
FAILURE_SPIKE_TENANT = "demo-2"
FAILURE_SPIKE_PLATFORM = "shopify"
FAILURE_SPIKE_DAY_BEFORE_END = 5
FAILURE_SPIKE_RATE = 0.35
BASE_FAILURE_RATE = 0.01

# demo-3 (demo-1 with fewer tenants), platform_events: stripe deliveries lag ~10 minutes (normally
# seconds) for one day.
LAG_SPIKE_PLATFORM = "stripe"
LAG_SPIKE_DAY_BEFORE_END = 3
LAG_SPIKE_MEDIAN_SECONDS = 600.0

# demo-1, audience_insights: meta segment 0 grows ~2.5%/day, meta segment 1 shrinks ~1.5%/day.
AUDIENCE_TENANT = "demo-1"
RISING_SEGMENT = ("meta", 0, 0.025)
DECLINING_SEGMENT = ("meta", 1, -0.015)
# Every tenant: the last tiktok segment stays tiny (under 50 users).
TINY_SEGMENT_PLATFORM = "tiktok"
TINY_SEGMENT_MAX_USERS = 50


def lag_spike_tenant(spec: DemoSpec) -> str:
    """The tenant with the delivery-lag spike: demo-3, or demo-1 when there are fewer tenants."""
    return "demo-3" if spec.tenants >= 3 else "demo-1"


@dataclass(frozen=True)
class PlantedAnomaly:
    """One planted anomaly with its concrete dates, for tests of the analysis templates."""

    name: str
    tenant_id: str
    table: str
    platform: str
    subject: str  # campaign_id, segment_id or "" for a platform-wide anomaly
    first_day: datetime.date
    last_day: datetime.date
    description: str


def planted_anomalies(spec: DemoSpec) -> list[PlantedAnomaly]:
    """The anomalies present in the data `generate(spec)` yields (skipping impossible ones)."""
    end = spec.end_date
    candidates = [
        PlantedAnomaly(
            "spend_spike",
            SPEND_SPIKE_TENANT,
            "campaign_metrics",
            "meta",
            campaign_id(SPEND_SPIKE_TENANT, "meta", SPEND_SPIKE_CAMPAIGN),
            _before(end, SPEND_SPIKE_DAYS_BEFORE_END[0]),
            _before(end, SPEND_SPIKE_DAYS_BEFORE_END[1]),
            "spend x3 for two days, conversions and revenue flat",
        ),
        PlantedAnomaly(
            "tracking_outage",
            TRACKING_OUTAGE_TENANT,
            "campaign_metrics",
            "google_ads",
            campaign_id(TRACKING_OUTAGE_TENANT, "google_ads", TRACKING_OUTAGE_CAMPAIGN),
            _before(end, TRACKING_OUTAGE_DAYS_BEFORE_END[0]),
            _before(end, TRACKING_OUTAGE_DAYS_BEFORE_END[1]),
            "conversions and revenue 0 for two days, spend and clicks normal",
        ),
        PlantedAnomaly(
            "silent_integration",
            SILENT_TENANT,
            "platform_events",
            SILENT_PLATFORM,
            "",
            _before(end, 1),
            end,
            f"no {SILENT_PLATFORM} events in the last {SILENT_HOURS} hours",
        ),
        PlantedAnomaly(
            "webhook_failures",
            FAILURE_SPIKE_TENANT,
            "platform_events",
            FAILURE_SPIKE_PLATFORM,
            "",
            _before(end, FAILURE_SPIKE_DAY_BEFORE_END),
            _before(end, FAILURE_SPIKE_DAY_BEFORE_END),
            f"~{FAILURE_SPIKE_RATE:.0%} of events have status 'failed' (normally ~1%)",
        ),
        PlantedAnomaly(
            "delivery_lag_spike",
            lag_spike_tenant(spec),
            "platform_events",
            LAG_SPIKE_PLATFORM,
            "",
            _before(end, LAG_SPIKE_DAY_BEFORE_END),
            _before(end, LAG_SPIKE_DAY_BEFORE_END),
            "received_at lags occurred_at by ~10 minutes (normally seconds)",
        ),
        PlantedAnomaly(
            "rising_segment",
            AUDIENCE_TENANT,
            "audience_insights",
            RISING_SEGMENT[0],
            segment_id(AUDIENCE_TENANT, RISING_SEGMENT[0], RISING_SEGMENT[1]),
            spec.start_date,
            end,
            f"audience_size grows ~{RISING_SEGMENT[2]:.1%} per day",
        ),
        PlantedAnomaly(
            "declining_segment",
            AUDIENCE_TENANT,
            "audience_insights",
            DECLINING_SEGMENT[0],
            segment_id(AUDIENCE_TENANT, DECLINING_SEGMENT[0], DECLINING_SEGMENT[1]),
            spec.start_date,
            end,
            f"audience_size shrinks ~{-DECLINING_SEGMENT[2]:.1%} per day",
        ),
    ]
    tenants = set(spec.tenant_ids)
    return [a for a in candidates if a.tenant_id in tenants and a.first_day >= spec.start_date]


def campaign_id(tenant_id: str, platform: str, index: int) -> str:
    """The id of a tenant's campaign number `index` (0-based, numbered across platforms)."""
    return f"{tenant_id}-{platform}-c{index + 1:02d}"


def segment_id(tenant_id: str, platform: str, index: int) -> str:
    """The id of a tenant's audience segment number `index` on `platform` (0-based)."""
    return f"{tenant_id}-{platform}-s{index + 1:02d}"


def _before(end: datetime.date, days: int) -> datetime.date:
    return end - datetime.timedelta(days=days)
