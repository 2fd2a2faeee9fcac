"""The lake: four analytics tables, one BigQuery SQL dialect, every query scoped to a tenant."""

from __future__ import annotations

from marketing_intel.config import Settings
from marketing_intel.lake.duckdb_lake import DuckDBLake
from marketing_intel.lake.errors import (
    InvalidRows,
    LakeBusy,
    LakeConfigError,
    LakeError,
    QueryFailed,
    QueryRefused,
    QueryTimeout,
)
from marketing_intel.lake.parameters import QueryParameter
from marketing_intel.lake.protocol import (
    InsertResult,
    Lake,
    QueryEstimate,
    QueryLimits,
    QueryResult,
    QueryStatistics,
)

__all__ = [
    "DuckDBLake",
    "InsertResult",
    "InvalidRows",
    "Lake",
    "LakeBusy",
    "LakeConfigError",
    "LakeError",
    "QueryEstimate",
    "QueryFailed",
    "QueryLimits",
    "QueryParameter",
    "QueryRefused",
    "QueryResult",
    "QueryStatistics",
    "QueryTimeout",
    "open_lake",
]


def open_lake(settings: Settings) -> Lake:
    """The lake the settings select. A production engine never falls back to the embedded one."""
    if settings.lake_backend == "bigquery":
        raise LakeConfigError(
            "MI_LAKE_BACKEND=bigquery is not available in this version: the BigQuery lake is "
            "being built (issue 3). Unset MI_LAKE_BACKEND to use the embedded lake."
        )
    return DuckDBLake(settings.lake_path, dataset=settings.lake_dataset)
