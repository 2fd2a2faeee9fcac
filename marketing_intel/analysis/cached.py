"""A template run through the insight cache: the stored report while it is fresh and the lake
has no newer data, else a computed one (stored for the next caller).

Freshness has two halves: the TTL bounds how old a report may get, and the data watermark (the
latest row time and row count of the tenant in the template's table, one cheap aggregate through
the lake's tenant guard) is part of the key, so a report computed before new rows landed is
never served after they did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from marketing_intel.analysis import InsightReport, Window, run_template, template_options
from marketing_intel.analysis_templates import RegistryView, template_spec
from marketing_intel.cache import CacheKey, InsightCache
from marketing_intel.lake import Lake, QueryLimits

# Each template's lake table and the column that says when a row arrived (from its spec).
WATERMARK_SOURCES: RegistryView[str, tuple[str, str]] = RegistryView(
    lambda specs: {
        name: (spec.watermark.table, spec.watermark.column) for name, spec in specs.items()
    }
)
_WATERMARK_LIMITS = QueryLimits(row_limit=1, timeout_s=30)


@dataclass(frozen=True)
class CachedReport:
    """A report and where it came from: the cache (`hit`, stored at `stored_at`, until
    `expires_at` when known) or a run.

    `discarded_malformed` says a stored report could not be read and was recomputed.
    """

    report: InsightReport
    hit: bool
    stored_at: dt.datetime | None = None
    discarded_malformed: bool = False
    expires_at: dt.datetime | None = None


def data_watermark(lake: Lake, template: str, tenant_id: str) -> str:
    """What the tenant's data for `template` looks like now: the latest row time and the row
    count of its table, as text (it changes whenever rows land or are restated with a new time)."""
    source = template_spec(template).watermark
    table, column = source.table, source.column
    result = lake.query(
        f"SELECT MAX({column}) AS latest, COUNT(*) AS row_count FROM {table}",
        tenant_id=tenant_id,
        limits=_WATERMARK_LIMITS,
    )
    row = result.rows()[0]
    latest = row["latest"].isoformat() if row["latest"] is not None else "none"
    return f"{table}:{latest}:{row['row_count']}"


def report_key(
    lake: Lake,
    template: str,
    tenant_id: str,
    window: Window,
    options: dict[str, Any] | None,
    now: dt.datetime,
) -> CacheKey:
    """The cache key of the report `cached_report` would store for these inputs now: every
    reader (the template node, a flow run, the bridge's insight endpoint) finds it with this."""
    parameters = {
        "window": [window.start.isoformat(), window.end.isoformat()],
        # The options the run will use: a report for other markets is another report.
        "options": template_options(template, options),
        # Templates leave out the day still filling up: a report is valid for the day it is for.
        "as_of": now.date().isoformat(),
    }
    return CacheKey.of(tenant_id, template, parameters, data_watermark(lake, template, tenant_id))


def cached_report(
    cache: InsightCache,
    template: str,
    lake: Lake,
    tenant_id: str,
    window: Window,
    options: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    ttl_s: float | None = None,
) -> CachedReport:
    """The report of `template` for the tenant and window: from the cache when a fresh one
    exists for the lake's current data, else computed by `run_template` and stored.

    Concurrent callers asking for the same report compute it once.
    """
    now = now or dt.datetime.now(dt.UTC)
    key = report_key(lake, template, tenant_id, window, options, now)
    computed: list[InsightReport] = []

    def compute() -> Any:
        computed.append(run_template(template, lake, tenant_id, window, options, now=now))
        return computed[0].model_dump(mode="json")

    lookup = cache.get_or_compute(key, compute, ttl_s, decode=InsightReport.model_validate)
    report = computed[0] if computed else lookup.value
    return CachedReport(report, lookup.hit, lookup.stored_at, lookup.discarded_malformed)


def stored_report(
    cache: InsightCache,
    template: str,
    lake: Lake,
    tenant_id: str,
    window: Window,
    options: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> CachedReport | None:
    """The fresh stored report `cached_report` would serve now, with when it was stored and
    expires; None when there is none (never computes)."""
    key = report_key(lake, template, tenant_id, window, options, now or dt.datetime.now(dt.UTC))
    found = cache.peek(key, decode=InsightReport.model_validate)
    if found is None:
        return None
    return CachedReport(found.value, True, found.stored_at, expires_at=found.expires_at)
