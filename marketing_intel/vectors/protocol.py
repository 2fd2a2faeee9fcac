"""`VectorIndex`: exact, tenant-partitioned cosine search with metadata filters and expiry.

The one local vector layer of the project: the brand-voice index and the local memory store are
both built on it. Every call names a tenant and never sees another tenant's records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from marketing_intel.embeddings import EmbedderIdentity
from marketing_intel.vectors.filters import Filter
from marketing_intel.vectors.records import VectorMatch, VectorRecord

FilterSpec = Mapping[str, Any] | Filter | None
MAX_K = 4096  # sqlite-vec's largest k; more results than this are a listing, not a search


class VectorIndex(Protocol):
    """A collection of vectors of one embedder, partitioned by tenant.

    Scores are cosine similarities (1 = same direction). Searches are exact (no approximate
    index), ordered by score, then by insertion order. Records whose `expires_at` has passed
    are invisible to `search`, `records` and `count`, and removed by `purge_expired`.
    """

    @property
    def embedder(self) -> EmbedderIdentity:
        """The embedder id and dimension every vector of this index was made with."""
        ...

    def upsert(self, tenant: str, records: Iterable[VectorRecord]) -> int:
        """Insert records, replacing any with the same id in this tenant; returns how many."""
        ...

    def search(
        self,
        tenant: str,
        vector: Sequence[float] | npt.NDArray[np.floating[Any]],
        k: int = 10,
        filter: FilterSpec = None,
        *,
        now: dt.datetime | None = None,
    ) -> list[VectorMatch]:
        """The `k` records of `tenant` most similar to `vector` among those matching `filter`."""
        ...

    def fetch(self, tenant: str, ids: Sequence[str]) -> list[VectorRecord]:
        """The records with these ids (expired ones included), in the order of `ids`."""
        ...

    def records(
        self, tenant: str, filter: FilterSpec = None, *, now: dt.datetime | None = None
    ) -> list[VectorRecord]:
        """Every live record of `tenant` matching `filter`, with vectors, in insertion order."""
        ...

    def count(
        self, tenant: str, filter: FilterSpec = None, *, now: dt.datetime | None = None
    ) -> int:
        """How many live records of `tenant` match `filter`."""
        ...

    def delete(
        self, tenant: str, *, ids: Sequence[str] | None = None, filter: FilterSpec = None
    ) -> int:
        """Delete records of `tenant` by ids or by filter (one of them); returns how many."""
        ...

    def purge_expired(self, *, now: dt.datetime | None = None) -> int:
        """Delete every expired record of every tenant; returns how many."""
        ...

    def close(self) -> None:
        """Release the index's resources (idempotent)."""
        ...
