"""`integration_raw_data`: the stored webhook delivery behind a sample of platform_events rows.

Headers keep only non-secret transport headers (no signatures, no auth); bodies carry ids, amounts
and statuses but no personal data (the customer is redacted); `body_sha256` hashes the body text.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pyarrow as pa

from marketing_intel.demo.arrow_columns import constant, micros_to_timestamp, sha256_hex, take
from marketing_intel.demo.catalogue import EVENT_TYPES
from marketing_intel.demo.events import EventChunk, raw_ids
from marketing_intel.demo.plan import TenantPlan
from marketing_intel.demo.spec import PLATFORMS
from marketing_intel.lake.arrow_schema import arrow_schema
from marketing_intel.lake.schema import table_spec

_USER_AGENTS = {
    "meta": "facebookexternalua",
    "google_ads": "Google-Ads-API-Export/1.0",
    "tiktok": "TikTok-Webhook/2.0",
    "shopify": "Shopify-Captain-Hook",
    "stripe": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    "klaviyo": "Klaviyo-Webhooks/1.0",
}


def raw_table(plan: TenantPlan, chunk: EventChunk) -> pa.Table:
    """One integration_raw_data row per raw event of the chunk, in the chunk's row order."""
    raw = chunk.raw
    rows = int(raw.sum())
    event_type = chunk.event_type[raw]
    ids = raw_ids(plan, chunk)
    bodies = _bodies(plan, chunk)
    columns = {
        "raw_id": ids,
        "tenant_id": constant(plan.tenant_id, rows),
        "platform": take(pa.array(PLATFORMS), chunk.platform[raw]),
        "topic": take(pa.array([t.topic for t in EVENT_TYPES]), event_type),
        "received_at": micros_to_timestamp(chunk.received[raw]),
        "headers": take(_headers(), event_type),
        "body": pa.array(bodies, type=pa.string()),
        "body_sha256": pa.array(sha256_hex(bodies), type=pa.string()),
        "verified": pa.array(np.ones(rows, dtype=bool)),
    }
    schema = arrow_schema(table_spec("integration_raw_data"))
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


def _bodies(plan: TenantPlan, chunk: EventChunk) -> list[str]:
    """Body JSON per raw event; f-strings, not json.dumps, since every value is a safe token."""
    raw = chunk.raw
    topics = [t.topic for t in EVENT_TYPES]
    campaign_ids = [*plan.campaigns.ids, None]  # index -1 picks None
    bodies = []
    for event_id, event_type, occurred, cents, campaign, failed in zip(
        chunk.event_id.filter(pa.array(raw)).to_pylist(),
        chunk.event_type[raw].tolist(),
        (chunk.occurred[raw] // 1_000_000).tolist(),
        chunk.value_cents[raw].tolist(),
        chunk.campaign[raw].tolist(),
        chunk.failed[raw].tolist(),
        strict=True,
    ):
        amount = f'"amount":{cents},"currency":"usd",' if cents >= 0 else ""
        ad = campaign_ids[campaign]
        attribution = f'"campaign_id":"{ad}",' if ad is not None else ""
        status = "failed" if failed else "ok"
        bodies.append(
            f'{{"id":"{event_id}","type":"{topics[event_type]}","created":{occurred},'
            f'{amount}{attribution}"status":"{status}","customer":"[redacted]"}}'
        )
    return bodies


@cache
def _headers() -> pa.Array:
    """Headers JSON per event type: content type, user agent and topic, never a signature."""
    texts = []
    for t in EVENT_TYPES:
        headers = {
            "content-type": "application/json",
            "user-agent": _USER_AGENTS[t.platform],
            "x-webhook-topic": t.topic,
        }
        texts.append(json.dumps(headers, sort_keys=True))
    return pa.array(texts)
