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


def open_lake(settings: Settings, *, component: str = "marketing-intel") -> Lake:
    """The lake the settings select; `component` labels BigQuery jobs with who ran them.

    A production engine never falls back to the embedded one.
    """
    if settings.lake_backend == "bigquery":
        # Imported here: the embedded lake should not pay for Google's client libraries.
        from marketing_intel.lake.bigquery_client import bigquery_client
        from marketing_intel.lake.bigquery_lake import BigQueryLake

        return BigQueryLake(
            bigquery_client(settings),
            dataset=settings.lake_dataset,
            location=settings.bigquery_location,
            maximum_bytes_billed=settings.bigquery_max_bytes_billed,
            component=component,
            use_storage_api=settings.bigquery_use_storage_api,
        )
    return DuckDBLake(settings.lake_path, dataset=settings.lake_dataset)
