"""`audience_insights`: daily size and engagement of each ad platform's audience segments."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from marketing_intel.demo import anomalies as an
from marketing_intel.demo.arrow_columns import cents_to_numeric, constant, days_to_date, take
from marketing_intel.demo.plan import TenantPlan, weekday_factor
from marketing_intel.demo.spec import AD_PLATFORMS, DemoSpec, tenant_rng
from marketing_intel.lake.arrow_schema import arrow_schema
from marketing_intel.lake.schema import table_spec

STREAM_AUDIENCES = 4

# (name, kind, source) of the segments a platform account typically has.
_SEGMENT_TEMPLATES = (
    ("Lookalike 1% - purchasers", "lookalike", "pixel"),
    ("Cart abandoners 30d", "retargeting", "pixel"),
    ("Website visitors 180d", "retargeting", "pixel"),
    ("Engaged shoppers", "interest", "platform"),
    ("Customer list - VIP", "customer_list", "crm"),
    ("Newsletter subscribers", "customer_list", "klaviyo"),
    ("Broad 25-44", "demographic", "platform"),
    ("Video viewers 75%", "engagement", "platform"),
    ("High-LTV lookalike 3%", "lookalike", "crm"),
    ("Interest - running & fitness", "interest", "platform"),
)
_TINY_TEMPLATE = ("Beta testers list", "customer_list", "crm")


def audience_insights(
    spec: DemoSpec, plan: TenantPlan, trends: np.ndarray | None = None
) -> pa.Table:
    """The tenant's audience_insights rows, segment by segment, oldest day first.

    `trends` (daily log growth per segment) replaces the drawn drifts and the demo's planted
    trends, e.g. for the truth benchmark's own planted segments.
    """
    rng = tenant_rng(spec, plan.tenant_index, STREAM_AUDIENCES)
    n, days = len(plan.segments.ids), spec.days
    tiny = _tiny_mask(plan)
    base = np.where(tiny, 32.0, np.clip(rng.lognormal(np.log(200_000), 1.0, n), 2_000, 5e6))
    drift = np.clip(rng.normal(0.0, 0.002, n), -0.005, 0.005)
    trend = _trends(plan, drift) if trends is None else trends
    t = np.arange(days)[None, :]
    expected = base[:, None] * np.exp(trend[:, None] * t) * rng.lognormal(0.0, 0.01, (n, days))
    expected = np.where(
        tiny[:, None], np.clip(expected, 5, an.TINY_SEGMENT_MAX_USERS - 1), expected
    )
    size = np.rint(expected).astype(np.int64)
    season = weekday_factor(spec, plan.retail)[None, :]
    active_rate = np.clip(rng.uniform(0.15, 0.45, n)[:, None] * season, 0.0, 1.0)
    active = rng.binomial(size, active_rate)
    engaged = rng.binomial(active, rng.uniform(0.1, 0.35, n)[:, None])
    conversions = np.minimum(rng.poisson(engaged * rng.uniform(0.005, 0.03, n)[:, None]), engaged)
    order_value = rng.lognormal(np.log(70.0), 0.3, n)[:, None]
    revenue = conversions * order_value * rng.lognormal(0.0, 0.1, (n, days))
    segment = np.repeat(np.arange(n), days)
    rows = n * days
    names, attributes = _descriptions(plan, tiny)
    columns = {
        "tenant_id": constant(plan.tenant_id, rows),
        "platform": take(pa.array(AD_PLATFORMS), plan.segments.platform[segment]),
        "segment_id": take(pa.array(plan.segments.ids), segment),
        "segment_name": take(pa.array(names), segment),
        "date": days_to_date(np.tile(spec.epoch_days(), n)),
        "audience_size": pa.array(size.ravel()),
        "active_users": pa.array(active.ravel().astype(np.int64)),
        "engaged_users": pa.array(engaged.ravel().astype(np.int64)),
        "conversions": pa.array(conversions.ravel().astype(np.int64)),
        "revenue": cents_to_numeric(np.rint(revenue.ravel() * 100)),
        "attributes": take(pa.array(attributes), segment),
    }
    schema = arrow_schema(table_spec("audience_insights"))
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


def _tiny_mask(plan: TenantPlan) -> np.ndarray:
    """The last segment of TINY_SEGMENT_PLATFORM stays under TINY_SEGMENT_MAX_USERS users."""
    platform = plan.segments.platform
    tiktok = np.flatnonzero(platform == AD_PLATFORMS.index(an.TINY_SEGMENT_PLATFORM))
    mask = np.zeros(len(platform), dtype=bool)
    mask[tiktok[-1]] = True
    return mask


def _trends(plan: TenantPlan, drift: np.ndarray) -> np.ndarray:
    """Daily log growth per segment: small drifts, plus the planted rising/declining segments."""
    if plan.tenant_id != an.AUDIENCE_TENANT:
        return drift
    trend = drift.copy()
    for platform, index, rate in (an.RISING_SEGMENT, an.DECLINING_SEGMENT):
        target = an.segment_id(plan.tenant_id, platform, index)
        trend[plan.segments.ids.index(target)] = rate
    return trend


def _descriptions(plan: TenantPlan, tiny: np.ndarray) -> tuple[list[str], list[str]]:
    """Segment names and attributes JSON, picked from the templates by platform and number."""
    names: list[str] = []
    attributes: list[str] = []
    for platform, index, is_tiny in zip(
        plan.segments.platform, plan.segments.index, tiny, strict=True
    ):
        name, kind, source = (
            _TINY_TEMPLATE
            if is_tiny
            else _SEGMENT_TEMPLATES[(int(index) + 3 * int(platform)) % len(_SEGMENT_TEMPLATES)]
        )
        names.append(name)
        doc = {"kind": kind, "source": source, "platform": AD_PLATFORMS[platform]}
        attributes.append(json.dumps(doc, sort_keys=True))
    return names, attributes
