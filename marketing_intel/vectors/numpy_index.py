"""The reference implementation of `VectorIndex`: numpy brute force over per-tenant arrays.

In memory only. It is the definition the sqlite-vec index is tested against (same results,
same order), and a fast in-process index for short-lived uses.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from marketing_intel.embeddings import EmbedderIdentity
from marketing_intel.vectors.filters import parse_filter
from marketing_intel.vectors.protocol import MAX_K, FilterSpec
from marketing_intel.vectors.records import (
    VectorMatch,
    VectorRecord,
    as_vector,
    check_delete_selection,
    check_k,
    check_record,
    check_tenant,
    utc_now,
)


@dataclass
class _Tenant:
    """One tenant's records in insertion order, and its unit-vector matrix (built on demand)."""

    records: dict[str, VectorRecord] = field(default_factory=dict)
    matrix: npt.NDArray[np.float32] | None = None


class NumpyVectorIndex:
    """Exact cosine search by one matrix product per query (see `VectorIndex`)."""

    def __init__(self, embedder: EmbedderIdentity) -> None:
        self._embedder = embedder
        self._tenants: dict[str, _Tenant] = {}
        self._lock = threading.RLock()

    @property
    def embedder(self) -> EmbedderIdentity:
        """The embedder id and dimension of every vector here."""
        return self._embedder

    def upsert(self, tenant: str, records: Iterable[VectorRecord]) -> int:
        """Insert or replace records by id (a replaced record keeps its place in the order)."""
        checked = [check_record(record, self._embedder.dimension) for record in records]
        with self._lock:
            partition = self._tenants.setdefault(check_tenant(tenant), _Tenant())
            for record in checked:
                partition.records[record.id] = record
            partition.matrix = None
        return len(checked)

    def search(
        self,
        tenant: str,
        vector: Sequence[float] | npt.NDArray[np.floating[Any]],
        k: int = 10,
        filter: FilterSpec = None,
        *,
        now: dt.datetime | None = None,
    ) -> list[VectorMatch]:
        """The k nearest live records matching `filter`; ties keep insertion order."""
        check_k(k, MAX_K)
        query = as_vector(vector, self._embedder.dimension)
        query = query / np.linalg.norm(query)
        wanted = parse_filter(filter)
        moment = (now or utc_now()).timestamp()
        with self._lock:
            partition = self._tenants.get(check_tenant(tenant))
            if partition is None or not partition.records:
                return []
            records = list(partition.records.values())
            scores = self._matrix(partition) @ query
        keep = np.array(
            [_alive(record, moment) and wanted.matches(record.metadata) for record in records]
        )
        candidates = np.flatnonzero(keep)
        order = candidates[np.argsort(-scores[candidates], kind="stable")[:k]]
        return [
            VectorMatch(records[i].id, float(scores[i]), dict(records[i].metadata)) for i in order
        ]

    def fetch(self, tenant: str, ids: Sequence[str]) -> list[VectorRecord]:
        """The stored records with these ids, in the order of `ids` (missing ids skipped)."""
        with self._lock:
            partition = self._tenants.get(check_tenant(tenant), _Tenant())
            return [partition.records[i] for i in ids if i in partition.records]

    def records(
        self, tenant: str, filter: FilterSpec = None, *, now: dt.datetime | None = None
    ) -> list[VectorRecord]:
        """Every live record matching `filter`, in insertion order."""
        wanted = parse_filter(filter)
        moment = (now or utc_now()).timestamp()
        with self._lock:
            partition = self._tenants.get(check_tenant(tenant), _Tenant())
            return [
                record
                for record in partition.records.values()
                if _alive(record, moment) and wanted.matches(record.metadata)
            ]

    def count(
        self, tenant: str, filter: FilterSpec = None, *, now: dt.datetime | None = None
    ) -> int:
        """How many live records match `filter`."""
        return len(self.records(tenant, filter, now=now))

    def delete(
        self, tenant: str, *, ids: Sequence[str] | None = None, filter: FilterSpec = None
    ) -> int:
        """Delete by ids or by filter; returns how many records went."""
        check_delete_selection(ids, filter is not None)
        wanted = parse_filter(filter)
        with self._lock:
            partition = self._tenants.get(check_tenant(tenant), _Tenant())
            doomed = (
                [i for i in ids if i in partition.records]
                if ids is not None
                else [i for i, r in partition.records.items() if wanted.matches(r.metadata)]
            )
            for record_id in doomed:
                del partition.records[record_id]
            partition.matrix = None
        return len(doomed)

    def purge_expired(self, *, now: dt.datetime | None = None) -> int:
        """Delete every expired record of every tenant."""
        moment = (now or utc_now()).timestamp()
        purged = 0
        with self._lock:
            for partition in self._tenants.values():
                expired = [i for i, r in partition.records.items() if not _alive(r, moment)]
                for record_id in expired:
                    del partition.records[record_id]
                if expired:
                    partition.matrix = None
                purged += len(expired)
        return purged

    def close(self) -> None:
        """Nothing to release: the index lives in memory."""

    @staticmethod
    def _matrix(partition: _Tenant) -> npt.NDArray[np.float32]:
        if partition.matrix is None:
            stacked = np.stack([record.vector for record in partition.records.values()])
            partition.matrix = stacked / np.linalg.norm(stacked, axis=1, keepdims=True)
        return partition.matrix


def _alive(record: VectorRecord, moment: float) -> bool:
    return record.expires_at is None or record.expires_at.timestamp() > moment
