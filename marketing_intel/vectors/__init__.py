"""Local vectors: one exact, tenant-partitioned vector index for every embedded store.

`SqliteVecIndex` (a SQLite file, sqlite-vec) is the embedded default; `NumpyVectorIndex` is the
in-memory reference with the same interface (`VectorIndex`) that tests check it against.
"""

from __future__ import annotations

from marketing_intel.vectors.errors import (
    EmbedderMismatch,
    InvalidFilter,
    InvalidRecord,
    VectorIndexError,
)
from marketing_intel.vectors.filters import Filter, parse_filter
from marketing_intel.vectors.numpy_index import NumpyVectorIndex
from marketing_intel.vectors.protocol import MAX_K, FilterSpec, VectorIndex
from marketing_intel.vectors.records import Metadata, MetadataValue, VectorMatch, VectorRecord
from marketing_intel.vectors.sqlite_vec_index import SqliteVecIndex

__all__ = [
    "MAX_K",
    "EmbedderMismatch",
    "Filter",
    "FilterSpec",
    "InvalidFilter",
    "InvalidRecord",
    "Metadata",
    "MetadataValue",
    "NumpyVectorIndex",
    "SqliteVecIndex",
    "VectorIndex",
    "VectorIndexError",
    "VectorMatch",
    "VectorRecord",
    "parse_filter",
]
