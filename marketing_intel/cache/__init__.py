"""The insight cache: computed reports served in about a millisecond, per tenant, until they
expire or newer data lands in the lake (the key holds the lake's data watermark).

`open_cache(settings)` gives the configured cache (PostgreSQL or the embedded SQLite file),
shared by every caller in the process with the same settings, so its connections are reused.
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
    "close_shared_caches",
    "open_cache",
]

_shared: SharedInstances[InsightCache] = SharedInstances()


def open_cache(settings: Settings) -> InsightCache:
    """The cache the settings select, opened once per process and configuration.

    A PostgreSQL cache never falls back to the embedded one; if its server cannot be reached
    this raises `CacheUnavailable`.
    """
    if settings.cache_backend == "postgres":
        if settings.cache_url is None:
            raise CacheConfigError("MI_CACHE_BACKEND=postgres needs MI_CACHE_URL; set it.")
        url = settings.cache_url.get_secret_value()
        identity: tuple[str, ...] = ("postgres", url, settings.cache_schema)
    else:
        identity = ("sqlite", str(settings.cache_path.resolve()))
    return _shared.get(identity, lambda: _open(settings))


def _open(settings: Settings) -> InsightCache:
    ttl = float(settings.cache_ttl_s)
    if settings.cache_backend == "postgres":
        # Imported here: the embedded cache should not pay for SQLAlchemy's import.
        from marketing_intel.cache.postgres_cache import PostgresInsightCache

        assert settings.cache_url is not None
        return PostgresInsightCache(
            settings.cache_url.get_secret_value(), schema=settings.cache_schema, default_ttl_s=ttl
        )
    from marketing_intel.cache.sqlite_cache import SQLiteInsightCache

    return SQLiteInsightCache(settings.cache_path, default_ttl_s=ttl)


def close_shared_caches() -> None:
    """Close and forget every cache `open_cache` opened (tests, shutdown)."""
    _shared.close_all()
