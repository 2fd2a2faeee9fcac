"""The `InsightCache` protocol and what its answers look like."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from marketing_intel.cache.key import CacheKey

T = TypeVar("T")


@dataclass(frozen=True)
class Lookup(Generic[T]):
    """What `get_or_compute` (or `peek`) answered: the value, whether it came from the cache, and
    when it was stored (and, from `peek`, expires). `discarded_malformed` says a stored entry
    could not be read and was recomputed."""

    value: T
    hit: bool
    stored_at: dt.datetime | None = None
    discarded_malformed: bool = False
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class CacheStats:
    """Entries in the store and this process's counters since the cache was opened.

    On PostgreSQL `entries` and `expired` count the rows this connection may see: all of them for
    an owner without row security (a superuser or BYPASSRLS role), else the given tenant's.
    """

    backend: str
    location: str
    entries: int
    expired: int
    tenants: int
    hits: int = 0
    misses: int = 0
    computes: int = 0
    malformed: int = 0
    by_template: dict[str, int] = field(default_factory=dict)


class InsightCache(Protocol):
    """A tenant-scoped store of JSON values (insight reports) with an expiry per entry."""

    backend: str
    default_ttl_s: float
    lock_wait_s: float  # how long a miss waits for another caller computing the same key

    def get(self, key: CacheKey) -> Any | None:
        """The stored JSON value of `key`, or None when it is missing, expired or unreadable."""
        ...

    def peek(self, key: CacheKey, *, decode: Callable[[Any], T] | None = None) -> Lookup[T] | None:
        """The stored entry of `key` with when it was stored and expires, or None when it is
        missing, expired or unreadable (never computes)."""
        ...

    def put(self, key: CacheKey, value: Any, ttl_s: float | None = None) -> None:
        """Store a JSON value under `key` for `ttl_s` seconds (default: the cache's TTL)."""
        ...

    def get_or_compute(
        self,
        key: CacheKey,
        compute: Callable[[], Any],
        ttl_s: float | None = None,
        *,
        decode: Callable[[Any], T] | None = None,
    ) -> Lookup[T]:
        """The value of `key`, computing and storing it on a miss. Concurrent misses of one key,
        in any thread or process, compute once: the others wait and read the stored value.

        `decode` turns the JSON value into what the caller wants (e.g. a pydantic model); a stored
        value it rejects counts as malformed and is recomputed.
        """
        ...

    def invalidate(self, tenant_id: str, template: str | None = None) -> int:
        """Drop a tenant's entries (of one template, or all); how many were dropped."""
        ...

    def purge_expired(self) -> int:
        """Delete every expired entry (of all tenants); how many were deleted."""
        ...

    def stats(self, tenant_id: str | None = None) -> CacheStats:
        """Entries (of one tenant, or all) and this process's hit/miss counters."""
        ...

    def policy_warnings(self) -> list[str]:
        """One sentence per way the cache's connection could get past tenant isolation."""
        ...

    def close(self) -> None:
        """Release the cache's connections."""
        ...


@dataclass(frozen=True)
class InsightCacheHandle:
    """What the cache node hands to the template nodes: a shared cache and the TTL to use."""

    cache: InsightCache
    ttl_s: float
