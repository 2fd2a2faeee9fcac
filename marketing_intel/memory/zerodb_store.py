"""`ZeroDBMemoryStore`: agent memory in ZeroDB's vector store, embedded on our side.

Each memory is one vector, upserted under its id (a content hash, so remembering twice is one
memory) in the tenant's own namespace (`<prefix>/<tenant>`), with the whole record in its
metadata. Tenant isolation is layered: the namespace, `tenant_id` in every search filter, and a
client-side check of every record read back (a server that ignored a filter still cannot leak
another tenant's memory to the caller).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import ValidationError

from marketing_intel.embeddings import embedder_identity
from marketing_intel.memory.errors import ZeroDBError
from marketing_intel.memory.known_vectors import KNOWN_VECTORS, KnownVectors, vectors_for
from marketing_intel.memory.records import (
    MemoryFilter,
    MemoryPage,
    MemoryRecord,
    RecalledMemory,
    utc_now,
)
from marketing_intel.memory.zerodb_client import ZeroDBClient

UPSERT_BATCH = 100
# Recall asks ZeroDB for more than k: expired memories and tag filters are applied on our side.
OVERFETCH = 4
MAX_TOP_K = 1000


class ZeroDBMemoryStore:
    """Memory in one ZeroDB project (see the module docstring for the layout); `known` holds
    the vectors embedded lately (the process's by default)."""

    def __init__(
        self,
        client: ZeroDBClient,
        embeddings: Embeddings,
        *,
        namespace_prefix: str = "mi-memory",
        known: KnownVectors = KNOWN_VECTORS,
    ) -> None:
        self.client = client
        self.embeddings = embeddings
        self.identity = embedder_identity(embeddings)
        self.embedder = self.identity.id
        self.namespace_prefix = namespace_prefix
        self.known = known

    def namespace(self, tenant: str) -> str:
        """The tenant's namespace."""
        return f"{self.namespace_prefix}/{tenant}"

    def remember(self, record: MemoryRecord) -> str:
        """Upsert one memory; its id."""
        return self.remember_many([record])[0]

    def remember_many(self, records: Sequence[MemoryRecord]) -> list[str]:
        """Embed the records whose text this process has not embedded lately, in one batch,
        then upsert all of them per tenant namespace (a stored record gets its new fields).

        Unlike the embedded store, this one does not look its records up by id first: ZeroDB's
        API reads one vector per request, and a round trip per record costs more than
        embedding it (about 3 ms a text with the offline model)."""
        vectors = vectors_for(self.embeddings, self.identity, records, self.known)
        by_tenant: dict[str, list[dict[str, Any]]] = {}
        for record, vector in zip(records, vectors, strict=True):
            item = {"id": record.id, "vector": vector.tolist(), "metadata": self._metadata(record)}
            by_tenant.setdefault(record.tenant, []).append(item)
        for tenant, items in by_tenant.items():
            for start in range(0, len(items), UPSERT_BATCH):
                body = {
                    "namespace": self.namespace(tenant),
                    "items": items[start : start + UPSERT_BATCH],
                }
                self.client.request("PUT", self.client.database_path("vectors"), json=body)
        return [record.id for record in records]

    def recall(self, query: str, k: int, filters: MemoryFilter) -> list[RecalledMemory]:
        """Search the tenant's namespace with a server-side filter; re-check on our side."""
        if k < 1:
            raise ValueError("k must be at least 1")
        body = {
            "vector": list(self.embeddings.embed_query(query)),
            "top_k": min(k * OVERFETCH, MAX_TOP_K),
            "namespace": self.namespace(filters.tenant),
            "filter": self._server_filter(filters),
            "include_metadata": True,
        }
        answer = self.client.request("POST", self.client.database_path("vectors/search"), json=body)
        now = utc_now()
        recalled = []
        for item in _items(answer, "vectors/search"):
            record = _record(item)
            if record is None or not filters.matches(record) or record.expired(now):
                continue
            score = float(item.get("score", item.get("similarity", 0.0)))
            recalled.append(RecalledMemory(id=record.id, score=score, record=record))
        recalled.sort(key=lambda memory: memory.score, reverse=True)
        return recalled[:k]

    def get(self, id: str, *, tenant: str) -> MemoryRecord | None:
        """Read one vector by id in the tenant's namespace."""
        answer = self.client.request(
            "GET",
            self.client.database_path(f"vectors/{id}"),
            params={"namespace": self.namespace(tenant)},
            missing_ok=True,
        )
        if not isinstance(answer, dict):
            return None
        item = answer.get("vector") if isinstance(answer.get("vector"), dict) else answer
        record = _record(item)
        if record is None or record.tenant != tenant or record.expired(utc_now()):
            return None
        return record

    def forget(self, id: str, *, tenant: str) -> bool:
        """Delete one vector by id in the tenant's namespace."""
        if self.get(id, tenant=tenant) is None:
            return False
        self.client.request(
            "DELETE",
            self.client.database_path(f"vectors/{id}"),
            params={"namespace": self.namespace(tenant)},
            missing_ok=True,
        )
        return True

    def list(
        self, filters: MemoryFilter, limit: int = 100, cursor: str | None = None
    ) -> MemoryPage:
        """Page through the tenant's namespace (the cursor is ZeroDB's offset). Filters other
        than the tenant apply on our side, so a page may hold fewer than `limit` records."""
        offset = _offset(cursor)
        answer = self.client.request(
            "GET",
            self.client.database_path("vectors"),
            params={"namespace": self.namespace(filters.tenant), "limit": limit, "offset": offset},
        )
        items = _items(answer, "vectors")
        now = utc_now()
        records = [record for item in items if (record := _record(item)) is not None]
        kept = [r for r in records if filters.matches(r) and not r.expired(now)]
        kept.sort(key=lambda record: (record.created_at, record.id))
        next_cursor = str(offset + len(items)) if len(items) >= limit else None
        return MemoryPage(records=kept, next_cursor=next_cursor)

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def _metadata(self, record: MemoryRecord) -> dict[str, Any]:
        # Flat, filterable fields first; the whole record under `record` to read it back.
        return {
            "tenant_id": record.tenant,
            "agent": record.agent,
            "session": record.session,
            "kind": record.kind,
            "tags": list(record.tags),
            "embedder": self.embedder,
            "record": record.model_dump(mode="json"),
        }

    def _server_filter(self, filters: MemoryFilter) -> dict[str, Any]:
        wanted = {"tenant_id": filters.tenant, "embedder": self.embedder}
        for name in ("agent", "session", "kind"):
            value = getattr(filters, name)
            if value is not None:
                wanted[name] = value
        return wanted


def _items(answer: Any, endpoint: str) -> list[dict[str, Any]]:
    """The result list of a search or a listing: ZeroDB answers `results` in some versions and
    `vectors` in others (a bare list is accepted too)."""
    items: Any = answer
    if isinstance(answer, dict):
        found = [answer[name] for name in ("results", "vectors", "items") if name in answer]
        items = found[0] if found else None
    if not isinstance(items, list):
        raise ZeroDBError(
            f"ZeroDB {endpoint} answered without a `results` or `vectors` list; "
            "check MI_ZERODB_BASE_URL points at the ZeroDB API"
        )
    return [item for item in items if isinstance(item, dict)]


def _record(item: dict[str, Any] | None) -> MemoryRecord | None:
    """The memory stored in a vector's metadata; None for vectors that are not our memories."""
    metadata = (item or {}).get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("record"), dict):
        return None
    try:
        return MemoryRecord.model_validate(metadata["record"])
    except ValidationError:
        return None


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise ValueError(f"invalid cursor {cursor!r}: pass back the next_cursor of a page")
    return int(cursor)
