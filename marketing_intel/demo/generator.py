"""Deterministic synthetic marketing data for every lake table, without a database.

`generate(spec)` yields ``(table_name, pyarrow.Table)`` batches whose schemas equal the lake DDL
(`marketing_intel.lake.arrow_schema`). The same `DemoSpec` yields byte-identical tables: every draw
comes from `numpy.random.default_rng` seeded by (seed, tenant, table[, chunk]); no wall clock, no
`hash()`. ~400 platform_events per tenant per day at ``scale=1``; 10% of them have a raw delivery.

What the data looks like
    campaign_metrics: 8-15 campaigns per tenant on meta / google_ads / tiktok, one row per campaign
        per day since launch. Spend follows a bi-weekly budget random walk, weekly seasonality (odd
        tenants retail: busier weekends; even tenants B2B-ish: quieter weekends) and noise;
        impressions = spend / CPM; clicks ~ CTR; revenue has diminishing returns,
        E[revenue] = a * spend**b with b in 0.5-0.85 per campaign.
    platform_events: meta/google_ads/tiktok (click, lead, purchase), shopify (checkout_started,
        order_created, refund_created), stripe (payment_succeeded, payment_failed), klaviyo
        (email_opened, email_clicked); daily cycle, lognormal delivery lag with a retry tail,
        ~1% status 'failed', hashed customer keys, value/currency on money events.
    integration_raw_data: the webhook delivery behind 10% of events (raw_id links them).
    audience_insights: 6-10 segments per ad platform per tenant, daily, with small trends.

Planted anomalies (dates relative to end_date = D; skipped when the tenant or day does not exist;
`planted_anomalies(spec)` lists them with concrete dates)
    1. demo-1, campaign_metrics, campaign demo-1-meta-c01: spend x3 on D-10 and D-9, conversions and
       revenue stay at the normal-spend level (ROAS collapses).
    2. demo-1, campaign_metrics, campaign demo-1-google_ads-c02: conversions = 0 and revenue = 0 on
       D-20 and D-19 while spend, impressions and clicks are normal (tracking outage).
    3. demo-2, platform_events, tiktok: no events after D-1 18:00 UTC, i.e. the last 30 hours
       (silent integration).
    4. demo-2, platform_events, shopify: ~35% of D-5's events have status 'failed' (normally ~1%).
    5. demo-3 (demo-1 if tenants < 3), platform_events, stripe: on D-3 received_at lags
       occurred_at by ~10 minutes (median) instead of ~2 seconds.
    6. demo-1, audience_insights, segment demo-1-meta-s01 grows ~2.5% per day (x9 over 90 days).
    7. demo-1, audience_insights, segment demo-1-meta-s02 shrinks ~1.5% per day.
    8. every tenant, audience_insights: the last tiktok segment ("Beta testers list") stays under
       50 users.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from marketing_intel.demo.audiences import audience_insights
from marketing_intel.demo.campaigns import campaign_metrics
from marketing_intel.demo.events import event_chunk, events_table
from marketing_intel.demo.plan import TenantPlan, tenant_plan
from marketing_intel.demo.raw_data import raw_table
from marketing_intel.demo.spec import MAX_BATCH_ROWS, DemoSpec

TABLES = ("campaign_metrics", "audience_insights", "platform_events", "integration_raw_data")


def generate(spec: DemoSpec) -> Iterator[tuple[str, pa.Table]]:
    """Yield ``(table_name, batch)`` pairs tenant by tenant; batches hold <= MAX_BATCH_ROWS rows."""
    for tenant_index in range(1, spec.tenants + 1):
        plan = tenant_plan(spec, tenant_index)
        yield from _batches("campaign_metrics", campaign_metrics(spec, plan))
        yield from _batches("audience_insights", audience_insights(spec, plan))
        for first_day, last_day in day_chunks(plan):
            chunk = event_chunk(spec, plan, first_day, last_day)
            yield from _batches("platform_events", events_table(plan, chunk))
            yield from _batches("integration_raw_data", raw_table(plan, chunk))


def expected_rows(spec: DemoSpec) -> dict[str, int]:
    """Exactly how many rows `generate(spec)` yields per table (replays only the cheap plan)."""
    totals = dict.fromkeys(TABLES, 0)
    for tenant_index in range(1, spec.tenants + 1):
        plan = tenant_plan(spec, tenant_index)
        totals["campaign_metrics"] += plan.campaign_metric_rows
        totals["audience_insights"] += len(plan.segments.ids) * spec.days
        totals["platform_events"] += int(plan.event_counts.sum())
        totals["integration_raw_data"] += int(plan.raw_counts.sum())
    return totals


def day_chunks(plan: TenantPlan) -> list[tuple[int, int]]:
    """Split the history into runs of days holding at most MAX_BATCH_ROWS events (>= 1 day each)."""
    per_day = plan.event_counts.sum(axis=1)
    chunks: list[tuple[int, int]] = []
    first, rows = 0, 0
    for day, count in enumerate(per_day.tolist()):
        if rows and rows + count > MAX_BATCH_ROWS:
            chunks.append((first, day))
            first, rows = day, 0
        rows += count
    chunks.append((first, len(per_day)))
    return chunks


def _batches(name: str, table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """Zero-copy slices of `table` of at most MAX_BATCH_ROWS rows (none for an empty table)."""
    for offset in np.arange(0, table.num_rows, MAX_BATCH_ROWS).tolist():
        yield name, table.slice(offset, MAX_BATCH_ROWS)
