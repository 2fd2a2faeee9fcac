"""What both cache backends share: JSON encoding, malformed entries as misses, counters, and
`get_or_compute` with one computation per key however many callers miss at once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from marketing_intel.cache.errors import CacheUnavailable
from marketing_intel.cache.key import CacheKey
from marketing_intel.cache.protocol import Lookup

T = TypeVar("T")
logger = logging.getLogger("marketing_intel.cache")


@dataclass(frozen=True)
class StoredEntry:
    """A row as a backend read it: the value as stored (JSON text, or already parsed), when, and
    (on the fast read path) when it expires."""

    payload: Any
    stored_at: dt.datetime
    expires_at: dt.datetime | None = None


class Flight(Protocol):
    """Reads and writes of the one caller that holds a key's lock (on the lock's connection)."""

    def read(self, key: CacheKey) -> StoredEntry | None:
        """The key's unexpired entry."""
        ...

    def write(self, key: CacheKey, value_json: str, ttl_s: float) -> None:
        """Store (or replace) the key's entry."""
        ...


class Malformed(ValueError):
    """A stored entry is not valid JSON or not what the caller's decoder accepts."""


@dataclass
class Counters:
    """This process's lookups, updated under a lock (several threads share one cache)."""

    hits: int = 0
    misses: int = 0
    computes: int = 0
    malformed: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, **deltas: int) -> None:
        """Add to the named counters."""
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)


class SingleFlightCache(ABC):
    """`get`, `put` and `get_or_compute` on top of a backend's read, write and per-key lock."""

    backend: str
    default_ttl_s: float
    counters: Counters
    # How long a miss waits for another caller computing the same key before giving up.
    lock_wait_s: float = 300.0

    @abstractmethod
    def _read(self, key: CacheKey) -> StoredEntry | None:
        """The key's unexpired entry, on the fast read path."""

    @abstractmethod
    def _flight(self, key: CacheKey) -> AbstractContextManager[Flight]:
        """Hold the key's lock (across threads and processes) while the block runs."""

    def _parse(self, payload: Any) -> Any:
        """The JSON value of a stored payload (backends that store text parse it here)."""
        return payload

    def get(self, key: CacheKey) -> Any | None:
        """The stored JSON value of `key`, or None when it is missing, expired or unreadable."""
        value, _, _ = self._decoded(key, self._read(key), None)
        return value

    def peek(self, key: CacheKey, *, decode: Callable[[Any], T] | None = None) -> Lookup[T] | None:
        """The stored entry of `key` with when it was stored and when it expires, or None when it
        is missing, expired or unreadable. Never computes."""
        entry = self._read(key)
        value, stored_at, _ = self._decoded(key, entry, decode)
        if entry is None or stored_at is None:
            return None
        return Lookup(value, hit=True, stored_at=stored_at, expires_at=entry.expires_at)

    def put(self, key: CacheKey, value: Any, ttl_s: float | None = None) -> None:
        """Store a JSON value under `key` for `ttl_s` seconds (default: the cache's TTL)."""
        value_json, ttl = encode_json(value), self._ttl(ttl_s)
        with self._flight(key) as flight:
            flight.write(key, value_json, ttl)

    def get_or_compute(
        self,
        key: CacheKey,
        compute: Callable[[], Any],
        ttl_s: float | None = None,
        *,
        decode: Callable[[Any], T] | None = None,
    ) -> Lookup[T]:
        """The value of `key`, computing and storing it on a miss; concurrent misses of one key
        compute once (the others wait for the lock, then read what the first one stored)."""
        ttl = self._ttl(ttl_s)
        value, stored_at, malformed = self._decoded(key, self._read(key), decode)
        if stored_at is not None:
            return Lookup(value, hit=True, stored_at=stored_at)
        with self._flight(key) as flight:
            # The same broken entry is reported once per lookup.
            value, stored_at, malformed_again = self._decoded(
                key, flight.read(key), decode, report=not malformed
            )
            if stored_at is not None:  # another caller computed it while we waited
                return Lookup(value, hit=True, stored_at=stored_at)
            self.counters.add(misses=1)
            computed = compute()
            value_json = encode_json(computed)
            flight.write(key, value_json, ttl)
            self.counters.add(computes=1)
        result = decode(computed) if decode else computed
        return Lookup(result, hit=False, discarded_malformed=malformed or malformed_again)

    def _decoded(
        self,
        key: CacheKey,
        entry: StoredEntry | None,
        decode: Callable[[Any], Any] | None,
        *,
        report: bool = True,
    ) -> tuple[Any, dt.datetime | None, bool]:
        """(value, stored_at, malformed): stored_at is None on a miss; an entry that cannot be
        parsed or decoded is a miss that is logged and counted, never an exception."""
        if entry is None:
            return None, None, False
        try:
            value = self._parse(entry.payload)
            if decode is not None:
                value = decode(value)
        except (ValueError, TypeError) as error:
            if not report:
                return None, None, True
            self.counters.add(malformed=1)
            logger.warning(
                "Cached %s entry %s of tenant %s is malformed (%s); treated as a miss.",
                key.template,
                key.digest[:12],
                key.tenant_id,
                str(error).splitlines()[0],
            )
            return None, None, True
        self.counters.add(hits=1)
        return value, entry.stored_at, False

    def _ttl(self, ttl_s: float | None) -> float:
        ttl = self.default_ttl_s if ttl_s is None else ttl_s
        if not ttl > 0:
            raise ValueError(f"a cache TTL must be more than 0 seconds, not {ttl}")
        return float(ttl)


def still_computing(key: CacheKey, waited_s: float) -> CacheUnavailable:
    """The error of a caller that waited too long for another one computing the same key."""
    return CacheUnavailable(
        f"Another caller has been computing {key.template} for tenant {key.tenant_id} for over "
        f"{waited_s:g} s; retry later (a run that hangs holds the key until it ends)."
    )


def encode_json(value: Any) -> str:
    """A value as JSON text; anything JSON cannot hold is refused with the reason."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"a cached value must be plain JSON (dump models with mode='json'): {error}"
        ) from None


def lock_bucket(key: CacheKey, buckets: int) -> int:
    """A stable lock number for the key in [0, buckets); distinct keys may share one."""
    return int(key.digest[:15], 16) % buckets
