"""The one interface every memory store implements (ZeroDB in production, SQLite here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from marketing_intel.memory.records import MemoryFilter, MemoryPage, MemoryRecord, RecalledMemory


class MemoryStore(Protocol):
    """Agent memory: remember records, recall them by meaning, per tenant.

    Every read takes the tenant (in `filters`, or as `tenant=`): a store never returns another
    tenant's memory, whatever the id or the query. Expired memories are never returned.
    """

    def remember(self, record: MemoryRecord) -> str:
        """Store `record` and return its id; remembering the same record again changes nothing
        but its fields (same id)."""
        ...

    def remember_many(self, records: Sequence[MemoryRecord]) -> list[str]:
        """Store many records at once (embedded in one batch); their ids, in order."""
        ...

    def recall(self, query: str, k: int, filters: MemoryFilter) -> list[RecalledMemory]:
        """The `k` memories closest in meaning to `query` that pass `filters`, closest first."""
        ...

    def get(self, id: str, *, tenant: str) -> MemoryRecord | None:
        """The tenant's memory with this id, or None (missing, expired or another tenant's)."""
        ...

    def forget(self, id: str, *, tenant: str) -> bool:
        """Delete the tenant's memory with this id; whether there was one."""
        ...

    def list(
        self, filters: MemoryFilter, limit: int = 100, cursor: str | None = None
    ) -> MemoryPage:
        """The memories passing `filters`, oldest first, a page at a time."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
