"""The insight cache as a result sink: each job's full `FlowRunRecord`, under a key of its own.

The record is stored with the configured `InsightCache` (PostgreSQL or the embedded SQLite file),
tenant-scoped like every cache entry, as template `flow_run`, for as long as the job itself is
kept (`MI_JOBS_KEEP_DAYS`): the job's `stored["cache"]` points at it while the job exists.

The key depends only on the tenant, the flow and the job id, and a key that holds a record is
never written again (the cache's single-flight `get_or_compute`, across threads and processes):
a re-run of the job (a retry, a worker that died after storing) keeps the first record.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from marketing_intel.cache import CacheKey, InsightCache, shared_cache
from marketing_intel.config import Settings
from marketing_intel.jobs.results import FlowRunRecord

FLOW_RUN_TEMPLATE = "flow_run"
SECONDS_PER_DAY = 24 * 3600


def flow_run_key(tenant_id: str, flow: str, job_id: str) -> CacheKey:
    """The cache key of a job's record (what `stored["cache"]` holds is its digest)."""
    return CacheKey.of(tenant_id, FLOW_RUN_TEMPLATE, {"flow": flow, "job_id": job_id})


def record_document(record: FlowRunRecord) -> dict[str, Any]:
    """The record as the JSON the cache stores."""
    return {
        "job_id": record.job_id,
        "flow": record.flow,
        "tenant_id": record.tenant_id,
        "summary": record.summary,
        "output": record.output,
        "finished_at": record.finished_at.isoformat(),
    }


@dataclass
class InsightCacheSink:
    """`ResultSink` writing full records to the insight cache."""

    cache: InsightCache
    ttl_s: float
    name: str = "cache"

    @classmethod
    def from_settings(cls, settings: Settings) -> InsightCacheSink:
        """The configured cache (shared in the process), keeping records as long as jobs."""
        return cls(shared_cache(settings), settings.jobs.keep_days * SECONDS_PER_DAY)

    async def store(self, record: FlowRunRecord) -> str:
        """Store the record unless its key holds one already; the key's digest."""
        key = flow_run_key(record.tenant_id, record.flow, record.job_id)
        # The cache is blocking (SQLite, psycopg): off the event loop, which renews job locks.
        await asyncio.to_thread(
            self.cache.get_or_compute, key, lambda: record_document(record), self.ttl_s
        )
        return key.digest

    def read(self, tenant_id: str, flow: str, job_id: str) -> dict[str, Any] | None:
        """The stored record of a job (None: never stored, or expired)."""
        value = self.cache.get(flow_run_key(tenant_id, flow, job_id))
        return value if isinstance(value, dict) else None

    async def aclose(self) -> None:
        """Nothing: the cache is shared in the process (`close_shared()` closes it)."""
