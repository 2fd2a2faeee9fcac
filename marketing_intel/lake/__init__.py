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
from marketing_intel.shared_instances import SharedInstances

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
    "close_shared_lakes",
    "open_lake",
    "shared_lake",
]

# The settings that select a lake and its client: a change to any of them opens another.
_LAKE_SETTINGS = (
    "lake_backend",
    "lake_dataset",
    "bigquery_project",
    "bigquery_location",
    "bigquery_credentials_file",
    "bigquery_credentials_json",
    "bigquery_max_bytes_billed",
    "bigquery_api_endpoint",
    "bigquery_use_storage_api",
    "query_max_sql_bytes",
    "query_memory_limit",
)
_shared: SharedInstances[Lake] = SharedInstances()


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
            max_sql_bytes=settings.query_max_sql_bytes,
        )
    return DuckDBLake(
        settings.lake_path,
        dataset=settings.lake_dataset,
        memory_limit=settings.query_memory_limit,
        max_sql_bytes=settings.query_max_sql_bytes,
    )


def shared_lake(settings: Settings, *, component: str = "marketing-intel") -> Lake:
    """The lake `open_lake` gives, opened once per process, configuration and `component`.

    For the nodes, which run once per flow run: a BigQuery lake keeps its client (no new OAuth
    token and TLS connection per run) and its dry-run estimates. Callers must not close it.
    """
    where = settings.lake_path.resolve()  # relative to the working folder, which may change
    identity = (component, where, *(getattr(settings, name) for name in _LAKE_SETTINGS))
    return _shared.get(identity, lambda: open_lake(settings, component=component))


def close_shared_lakes() -> None:
    """Close and forget every lake `shared_lake` opened (tests, shutdown)."""
    _shared.close_all()
