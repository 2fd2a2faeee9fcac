"""What goes into a vector index and what comes out of a search."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from marketing_intel.embeddings import EmbedderIdentity
from marketing_intel.tenants import InvalidTenantId, check_tenant_id
from marketing_intel.vectors.errors import EmbedderMismatch, InvalidRecord

# Metadata values an index stores and filters on (Pinecone's set): a list means "any of".
MetadataValue = str | int | float | bool | list[str]
Metadata = Mapping[str, MetadataValue]
Vector = npt.NDArray[np.float32]

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")


@dataclass(frozen=True)
class VectorRecord:
    """One stored vector: its id (unique per tenant), the vector, metadata and optional expiry.

    An expired record (`expires_at` <= now) is never returned by a search, a listing or a count,
    and `purge_expired()` deletes it for good.
    """

    id: str
    vector: Vector
    metadata: Metadata = field(default_factory=dict)
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class VectorMatch:
    """One search result: the record's id, its cosine similarity to the query and its metadata."""

    id: str
    score: float
    metadata: dict[str, Any]


def as_vector(values: Sequence[float] | npt.NDArray[Any], dimension: int) -> Vector:
    """`values` as a float32 vector of `dimension` finite numbers, else an `InvalidRecord`."""
    vector = np.asarray(values, dtype=np.float32).reshape(-1)
    if vector.shape[0] != dimension:
        raise InvalidRecord(
            f"A vector has {vector.shape[0]} numbers but the index stores {dimension}; "
            "embed with the index's embedder."
        )
    if not np.isfinite(vector).all() or not vector.any():
        raise InvalidRecord(
            "A vector is all zeros or has NaN/infinite numbers; it has no direction."
        )
    return vector


def check_record(record: VectorRecord, dimension: int) -> VectorRecord:
    """The record with its vector as float32, after checking id, vector and metadata."""
    if not isinstance(record.id, str) or not record.id or len(record.id) > 512:
        raise InvalidRecord("A record id must be a non-empty string of at most 512 characters.")
    for name, value in record.metadata.items():
        check_metadata_value(name, value)
    if record.expires_at is not None and record.expires_at.tzinfo is None:
        raise InvalidRecord(f"Record {record.id}: expires_at must carry a time zone (e.g. UTC).")
    return VectorRecord(
        record.id, as_vector(record.vector, dimension), dict(record.metadata), record.expires_at
    )


def check_metadata_value(name: str, value: object) -> None:
    """Refuse a field name or value that the filters could not compare."""
    if not FIELD_NAME.match(name):
        raise InvalidRecord(
            f"Metadata field {name!r} is not a valid name (letters, digits, _ or -, at most 64)."
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRecord(f"Metadata field {name!r} is not a finite number.")
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise InvalidRecord(f"Metadata field {name!r}: a list may only hold strings.")
    elif not isinstance(value, str | int | float | bool):
        raise InvalidRecord(
            f"Metadata field {name!r} has a {type(value).__name__}; use a string, number, "
            "boolean or list of strings."
        )


def check_tenant(tenant: str) -> str:
    """The tenant, a well-formed tenant id: every call is scoped to exactly one."""
    try:
        return check_tenant_id(tenant)
    except InvalidTenantId as error:
        raise InvalidRecord(str(error)) from None


def check_embedder(stored: EmbedderIdentity, given: EmbedderIdentity, where: str) -> None:
    """Refuse to mix vectors of two embedders in one index."""
    if tuple(stored) != tuple(given):
        raise EmbedderMismatch(
            f"{where} was built with embedder {stored.id} ({stored.dimension} dimensions) but "
            f"{given.id} ({given.dimension} dimensions) was given; use the same embedder, or "
            "re-index into a new index (another path or collection)."
        )


def epoch_seconds(moment: dt.datetime | None) -> float | None:
    """A timezone-aware datetime as POSIX seconds (None stays None)."""
    return None if moment is None else moment.timestamp()


def utc_now() -> dt.datetime:
    """The current time, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def check_k(k: int, largest: int) -> int:
    """A search's k, which must be between 1 and `largest`."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= largest:
        raise InvalidRecord(f"k must be a whole number from 1 to {largest}; got {k!r}.")
    return k


def check_delete_selection(ids: Sequence[str] | None, has_filter: bool) -> None:
    """A delete names ids or a filter, exactly one (never "delete everything" by accident)."""
    if (ids is None) == (not has_filter):
        raise InvalidRecord("Delete by ids or by a filter: give exactly one of them.")
