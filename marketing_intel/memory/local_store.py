"""`LocalMemoryStore`: agent memory in one SQLite file, searched by meaning, with no account.

Built on the project's one local vector index (`marketing_intel.vectors.SqliteVecIndex`,
collection `memory`): each memory is one vector in its tenant's partition, with the filterable
fields (agent, session, kind, tags, creation time) and the whole record as metadata, and its
expiry as the vector's expiry, so expired memories are never returned.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from marketing_intel.embeddings import embedder_identity
from marketing_intel.memory.known_vectors import (
    KNOWN_VECTORS,
    KnownVectors,
    StoredVector,
    vectors_for,
)
from marketing_intel.memory.records import (
    MemoryFilter,
    MemoryPage,
    MemoryRecord,
    RecalledMemory,
    utc_now,
)
from marketing_intel.vectors import SqliteVecIndex, VectorRecord

COLLECTION = "memory"


class LocalMemoryStore:
    """Memory in the SQLite file `path` (created if missing), embedded with `embeddings`;
    `known` holds the vectors embedded lately (the process's by default)."""

    def __init__(
        self, path: Path | str, embeddings: Embeddings, known: KnownVectors = KNOWN_VECTORS
    ) -> None:
        self.embeddings = embeddings
        self.known = known
        self.index = SqliteVecIndex(path, embedder_identity(embeddings), COLLECTION)

    def remember(self, record: MemoryRecord) -> str:
        """Store one memory; its id."""
        return self.remember_many([record])[0]

    def remember_many(self, records: Sequence[MemoryRecord]) -> list[str]:
        """Embed the records not stored yet in one batch (see `known_vectors`), then write
        each tenant's in one transaction (a stored record gets its new fields)."""
        vectors = vectors_for(
            self.embeddings, self.index.embedder, records, self.known, self._stored(records)
        )
        by_tenant: dict[str, list[VectorRecord]] = {}
        for record, vector in zip(records, vectors, strict=True):
            entry = VectorRecord(record.id, vector, _metadata(record), record.expires_at)
            by_tenant.setdefault(record.tenant, []).append(entry)
        for tenant, entries in by_tenant.items():
            self.index.upsert(tenant, entries)
        return [record.id for record in records]

    def _stored(self, records: Sequence[MemoryRecord]) -> dict[str, StoredVector]:
        """The stored text and vector of each record already stored under its id (one query
        per tenant)."""
        ids: dict[str, list[str]] = {}
        for record in records:
            ids.setdefault(record.tenant, []).append(record.id)
        return {
            entry.id: StoredVector(_record(entry.metadata).content, entry.vector)
            for tenant, tenant_ids in ids.items()
            for entry in self.index.fetch(tenant, tenant_ids)
        }

    def recall(self, query: str, k: int, filters: MemoryFilter) -> list[RecalledMemory]:
        """Exact search in the tenant's partition, filtered while scanning."""
        if k < 1:
            raise ValueError("k must be at least 1")
        vector = self.embeddings.embed_query(query)
        matches = self.index.search(filters.tenant, vector, k, _index_filter(filters))
        return [
            RecalledMemory(id=match.id, score=match.score, record=_record(match.metadata))
            for match in matches
        ]

    def get(self, id: str, *, tenant: str) -> MemoryRecord | None:
        """The tenant's memory with this id, unless it has expired."""
        found = self.index.fetch(tenant, [id])
        if not found:
            return None
        record = _record(found[0].metadata)
        return None if record.expired(utc_now()) else record

    def forget(self, id: str, *, tenant: str) -> bool:
        """Delete the tenant's memory with this id."""
        return self.index.delete(tenant, ids=[id]) > 0

    def list(
        self, filters: MemoryFilter, limit: int = 100, cursor: str | None = None
    ) -> MemoryPage:
        """Oldest first; the cursor is the (creation time, id) of the last memory returned."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        index_filter = _index_filter(filters)
        after = _decode_cursor(cursor)
        if after is not None:
            index_filter = {"$and": [index_filter, {"created_ts": {"$gte": after[0]}}]}
        records = sorted(
            (_record(entry.metadata) for entry in self.index.records(filters.tenant, index_filter)),
            key=_position,
        )
        if after is not None:
            records = [record for record in records if _position(record) > after]
        page = records[:limit]
        more = len(records) > limit
        return MemoryPage(records=page, next_cursor=_encode_cursor(page[-1]) if more else None)

    def close(self) -> None:
        """Close the file."""
        self.index.close()


def _metadata(record: MemoryRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": record.kind,
        "tags": list(record.tags),
        "created_ts": record.created_at.timestamp(),
        "record": record.model_dump_json(),
    }
    if record.agent is not None:
        fields["agent"] = record.agent
    if record.session is not None:
        fields["session"] = record.session
    return fields


def _index_filter(filters: MemoryFilter) -> dict[str, Any]:
    conditions: list[dict[str, Any]] = [
        {name: {"$eq": value}}
        for name in ("agent", "session", "kind")
        if (value := getattr(filters, name)) is not None
    ]
    conditions += [{"tags": {"$eq": tag}} for tag in filters.tags]
    return {"$and": conditions} if conditions else {}


def _record(metadata: Mapping[str, Any]) -> MemoryRecord:
    return MemoryRecord.model_validate_json(metadata["record"])


def _position(record: MemoryRecord) -> tuple[float, str]:
    return (record.created_at.timestamp(), record.id)


def _encode_cursor(record: MemoryRecord) -> str:
    return base64.urlsafe_b64encode(json.dumps(_position(record)).encode()).decode()


def _decode_cursor(cursor: str | None) -> tuple[float, str] | None:
    if cursor is None:
        return None
    try:
        created, id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return (float(created), str(id))
    except (ValueError, TypeError):
        raise ValueError(
            f"invalid cursor {cursor!r}: pass back the next_cursor of a page"
        ) from None
