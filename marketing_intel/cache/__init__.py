"""The insight cache: computed reports served in about a millisecond, per tenant, until they
expire or newer data lands in the lake (the key holds the lake's data watermark).

`open_cache(settings)` opens the configured cache (PostgreSQL or the embedded SQLite file) for
its caller, who closes it; `shared_cache(settings)` gives the one every caller in the process
with the same settings shares, so its connections are reused.
"""

from __future__ import annotations

from marketing_intel.cache.errors import CacheConfigError, CacheError, CacheUnavailable
from marketing_intel.cache.key import CacheKey, canonical_json
from marketing_intel.cache.protocol import CacheStats, InsightCache, InsightCacheHandle, Lookup
from marketing_intel.config import Settings
from marketing_intel.shared_instances import SharedInstances

__all__ = [
    "CacheConfigError",
    "CacheError",
    "CacheKey",
    "CacheStats",
    "CacheUnavailable",
    "InsightCache",
    "InsightCacheHandle",
    "Lookup",
    "canonical_json",
    "open_cache",
    "shared_cache",
]

_shared: SharedInstances[InsightCache] = SharedInstances()


def open_cache(settings: Settings) -> InsightCache:
    """A cache of its own, as the settings select it; the caller closes it.

    A PostgreSQL cache never falls back to the embedded one; if its server cannot be reached
    this raises `CacheUnavailable`.
    """
    ttl = float(settings.cache.ttl_s)
    if settings.cache.backend == "postgres":
        if settings.cache.url is None:
            raise CacheConfigError("MI_CACHE_BACKEND=postgres needs MI_CACHE_URL; set it.")
        # Imported here: the embedded cache should not pay for SQLAlchemy's import.
        from marketing_intel.cache.postgres_cache import PostgresInsightCache

        return PostgresInsightCache(
            settings.cache.url.get_secret_value(),
            schema=settings.cache.schema_name,
            default_ttl_s=ttl,
        )
    from marketing_intel.cache.sqlite_cache import SQLiteInsightCache

    return SQLiteInsightCache(settings.cache_path, default_ttl_s=ttl)


def shared_cache(settings: Settings) -> InsightCache:
    """The cache `open_cache` gives, opened once per process and configuration: the nodes run
    once per flow run and the bridge once per request, and reuse its connections. Callers must
    not close it; `marketing_intel.shared_instances.close_shared()` does."""
    if settings.cache.backend == "postgres":
        identity: tuple[object, ...] = ("postgres", settings.cache)
    else:
        identity = ("sqlite", str(settings.cache_path.resolve()), settings.cache.ttl_s)
    return _shared.get(identity, lambda: open_cache(settings))
