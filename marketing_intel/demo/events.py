"""`platform_events`: a tenant's webhook/API events from six platforms, a chunk of days at a time.

Row counts come from the plan (`TenantPlan.event_counts`); here each planned event gets its time,
type, campaign, customer, value, status, delivery lag and attributes, all drawn as numpy arrays.
Rows are ordered by day, platform, occurred_at; event numbers rise with time per platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from marketing_intel.demo import anomalies as an
from marketing_intel.demo.arrow_columns import (
    cents_to_numeric,
    constant,
    micros_to_timestamp,
    prefixed_numbers,
    sha256_hex,
    take,
)
from marketing_intel.demo.catalogue import EVENT_TYPES, attribute_documents, type_table
from marketing_intel.demo.plan import HOURLY_CDF, TenantPlan, silent_fraction
from marketing_intel.demo.spec import (
    AD_PLATFORMS,
    MICROS_PER_DAY,
    MICROS_PER_HOUR,
    PLATFORMS,
    DemoSpec,
    tenant_rng,
)
from marketing_intel.lake.arrow_schema import arrow_schema
from marketing_intel.lake.schema import table_spec

STREAM_EVENTS = 5
EVENTS_PER_CUSTOMER = 8  # sizes the customer pool: repeat buyers and email openers


@dataclass(frozen=True)
class EventChunk:
    """The events of one tenant over days [first_day, last_day), as numpy arrays per event."""

    platform: np.ndarray  # index into PLATFORMS
    event_type: np.ndarray  # index into EVENT_TYPES
    number: np.ndarray  # running number per (tenant, platform), from 1
    occurred: np.ndarray  # micros since epoch
    received: np.ndarray  # micros since epoch
    campaign: np.ndarray  # index into the tenant's campaigns, -1 for none
    value_cents: np.ndarray  # -1 where the event carries no money
    failed: np.ndarray  # bool
    customer: np.ndarray  # index into the tenant's customer pool
    attributes: np.ndarray  # index into the attribute documents
    raw: np.ndarray  # bool: the event has an integration_raw_data row
    event_id: pa.Array


def event_chunk(spec: DemoSpec, plan: TenantPlan, first_day: int, last_day: int) -> EventChunk:
    """Draw the events of days [first_day, last_day) for `plan`'s tenant."""
    rng = tenant_rng(spec, plan.tenant_index, STREAM_EVENTS, first_day)
    counts = plan.event_counts[first_day:last_day]
    block_count = counts.ravel()  # blocks are (day, platform), day-major
    block_day = np.repeat(np.arange(first_day, last_day), len(PLATFORMS))
    block_platform = np.tile(np.arange(len(PLATFORMS)), last_day - first_day)
    block = np.repeat(np.arange(len(block_count)), block_count)
    position = np.arange(len(block)) - np.repeat(np.cumsum(block_count) - block_count, block_count)
    day, platform = block_day[block], block_platform[block]
    earlier = np.cumsum(plan.event_counts, axis=0) - plan.event_counts  # events before each day
    number = earlier[day, platform] + position + 1
    occurred = _occurred(spec, plan, rng, block, day, platform)
    event_type = _event_types(rng, platform)
    rank = _rank_in_block(rng, block, block_count)
    return EventChunk(
        platform=platform,
        event_type=event_type,
        number=number,
        occurred=occurred,
        received=occurred + _lag_micros(spec, plan, rng, day, platform),
        campaign=_campaigns(plan, rng, day, platform),
        value_cents=_values(rng, event_type),
        failed=rng.random(len(block)) < _failure_rate(spec, plan, day, platform),
        customer=_customers(plan, rng, len(block)),
        attributes=_attributes(rng, platform),
        raw=rank < plan.raw_counts[first_day:last_day].ravel()[block],
        event_id=prefixed_numbers(_prefixes(plan.tenant_id, ""), platform, number),
    )


def _occurred(
    spec: DemoSpec,
    plan: TenantPlan,
    rng: np.random.Generator,
    block: np.ndarray,
    day: np.ndarray,
    platform: np.ndarray,
) -> np.ndarray:
    """Times following the daily cycle, sorted within each block; silent platforms stop early."""
    cap = np.ones(len(block))
    if plan.tenant_id == an.SILENT_TENANT:
        silent = platform == PLATFORMS.index(an.SILENT_PLATFORM)
        cap[silent] = silent_fraction(spec)[day[silent]]
    hours = np.interp(rng.random(len(block)) * cap, HOURLY_CDF, np.arange(25.0))
    micros = spec.epoch_days()[day] * MICROS_PER_DAY + (hours * MICROS_PER_HOUR).astype(np.int64)
    return micros[np.lexsort((micros, block))]  # blocks are contiguous: sorts within each


def _event_types(rng: np.random.Generator, platform: np.ndarray) -> np.ndarray:
    first, cumulative = type_table()
    local = (rng.random(len(platform))[:, None] >= cumulative[platform]).sum(axis=1)
    return first[platform] + local


def _rank_in_block(rng: np.random.Generator, block: np.ndarray, count: np.ndarray) -> np.ndarray:
    """A random order of the events within each block, to sample raw deliveries without bias."""
    order = np.lexsort((rng.random(len(block)), block))
    rank = np.empty(len(block), dtype=np.int64)
    rank[order] = np.arange(len(block)) - np.repeat(np.cumsum(count) - count, count)
    return rank


def _lag_micros(
    spec: DemoSpec,
    plan: TenantPlan,
    rng: np.random.Generator,
    day: np.ndarray,
    platform: np.ndarray,
) -> np.ndarray:
    """Delivery lag: seconds usually, a heavy tail of retries taking minutes, one planted spike."""
    n = len(day)
    seconds = rng.lognormal(np.log(2.0), 1.0, n)
    retried = rng.random(n) < 0.03
    seconds = seconds + retried * rng.lognormal(np.log(120.0), 1.0, n)
    spike_day = spec.day_index(an.LAG_SPIKE_DAY_BEFORE_END)
    if plan.tenant_id == an.lag_spike_tenant(spec) and spike_day is not None:
        spiked = (day == spike_day) & (platform == PLATFORMS.index(an.LAG_SPIKE_PLATFORM))
        seconds[spiked] = rng.lognormal(np.log(an.LAG_SPIKE_MEDIAN_SECONDS), 0.5, int(spiked.sum()))
    return (np.maximum(seconds, 0.05) * 1e6).astype(np.int64)


def _campaigns(
    plan: TenantPlan, rng: np.random.Generator, day: np.ndarray, platform: np.ndarray
) -> np.ndarray:
    """Ad-platform events credit one of the platform's running campaigns, weighted by budget."""
    c = plan.campaigns
    days = plan.event_counts.shape[0]
    running = np.arange(days)[:, None] >= c.start_day[None, :]  # [day, campaign]
    on_platform = (
        np.arange(len(AD_PLATFORMS))[:, None] == c.platform[None, :]
    )  # [platform, campaign]
    weight = (
        running[:, None, :] * on_platform[None, :, :] * c.base_spend
    )  # [day, platform, campaign]
    cumulative = np.cumsum(weight, axis=2)
    last = len(c.ids) - 1 - np.argmax(weight[:, :, ::-1] > 0, axis=2)  # last campaign with weight
    campaign = np.full(len(day), -1, dtype=np.int64)
    ad = platform < len(AD_PLATFORMS)
    d, p = day[ad], platform[ad]
    target = rng.random(int(ad.sum())) * cumulative[d, p, -1]
    picked = (target[:, None] >= cumulative[d, p]).sum(axis=1)
    campaign[ad] = np.minimum(picked, last[d, p])
    return campaign


def _values(rng: np.random.Generator, event_type: np.ndarray) -> np.ndarray:
    medians = np.array([t.median_value or np.nan for t in EVENT_TYPES])[event_type]
    cents = np.rint(medians * rng.lognormal(0.0, 0.55, len(event_type)) * 100)
    return np.where(np.isnan(cents), -1, cents).astype(np.int64)


def _customers(plan: TenantPlan, rng: np.random.Generator, n: int) -> np.ndarray:
    """Customer per event, skewed so a few loyal customers appear often."""
    return (customer_pool_size(plan) * rng.random(n) ** 2).astype(np.int64)


def _attributes(rng: np.random.Generator, platform: np.ndarray) -> np.ndarray:
    _, first, count = attribute_documents()
    return first[platform] + (rng.random(len(platform)) * count[platform]).astype(np.int64)


def _failure_rate(
    spec: DemoSpec, plan: TenantPlan, day: np.ndarray, platform: np.ndarray
) -> np.ndarray:
    rate = np.full(len(day), an.BASE_FAILURE_RATE)
    spike_day = spec.day_index(an.FAILURE_SPIKE_DAY_BEFORE_END)
    if plan.tenant_id == an.FAILURE_SPIKE_TENANT and spike_day is not None:
        spiked = (day == spike_day) & (platform == PLATFORMS.index(an.FAILURE_SPIKE_PLATFORM))
        rate[spiked] = an.FAILURE_SPIKE_RATE
    return rate


def events_table(plan: TenantPlan, chunk: EventChunk) -> pa.Table:
    """The chunk as platform_events rows."""
    rows = len(chunk.platform)
    has_customer = np.array([t.has_customer for t in EVENT_TYPES])[chunk.event_type]
    no_value = chunk.value_cents < 0
    raw_index = np.cumsum(chunk.raw) - 1  # row -> position among the chunk's raw rows
    columns = {
        "event_id": chunk.event_id,
        "tenant_id": constant(plan.tenant_id, rows),
        "platform": take(pa.array(PLATFORMS), chunk.platform),
        "event_type": take(pa.array([t.name for t in EVENT_TYPES]), chunk.event_type),
        "occurred_at": micros_to_timestamp(chunk.occurred),
        "received_at": micros_to_timestamp(chunk.received),
        "campaign_id": take(pa.array(plan.campaigns.ids), chunk.campaign, chunk.campaign < 0),
        "customer_key": take(
            customer_keys(plan.tenant_id, customer_pool_size(plan)), chunk.customer, ~has_customer
        ),
        "value": cents_to_numeric(chunk.value_cents, no_value),
        "currency": take(pa.array(["USD"]), np.zeros(rows, dtype=np.int64), no_value),
        "status": take(pa.array(["ok", "failed"]), chunk.failed.astype(np.int64)),
        "attributes": take(_attribute_texts(), chunk.attributes),
        "raw_id": take(raw_ids(plan, chunk), raw_index, ~chunk.raw),
    }
    schema = arrow_schema(table_spec("platform_events"))
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


def raw_ids(plan: TenantPlan, chunk: EventChunk) -> pa.Array:
    """The raw_id of each of the chunk's raw events, in row order."""
    prefixes = _prefixes(plan.tenant_id, "raw-")
    return prefixed_numbers(prefixes, chunk.platform[chunk.raw], chunk.number[chunk.raw])


def customer_pool_size(plan: TenantPlan) -> int:
    """How many distinct customers a tenant has, from its event volume."""
    return 500 + int(plan.event_counts.sum()) // EVENTS_PER_CUSTOMER


@lru_cache(maxsize=16)
def customer_keys(tenant_id: str, pool_size: int) -> pa.Array:
    """SHA-256 hex of each synthetic customer id of the tenant (hashed once, indexed per event)."""
    return pa.array(sha256_hex([f"{tenant_id}/customer/{i}" for i in range(pool_size)]))


@lru_cache(maxsize=1)
def _attribute_texts() -> pa.Array:
    return pa.array(attribute_documents()[0])


@lru_cache(maxsize=64)
def _prefixes(tenant_id: str, infix: str) -> pa.Array:
    return pa.array([f"{tenant_id}-{platform}-{infix}" for platform in PLATFORMS])
