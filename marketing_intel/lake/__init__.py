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
    "open_lake",
    "shared_lake",
]

_shared: SharedInstances[Lake] = SharedInstances()


def open_lake(settings: Settings, *, component: str = "marketing-intel") -> Lake:
    """A lake of its own, as the settings select it; the caller closes it. `component` labels
    BigQuery jobs with who ran them. A production engine never falls back to the embedded one.
    """
    if settings.lake.backend == "bigquery":
        # Imported here: the embedded lake should not pay for Google's client libraries.
        from marketing_intel.lake.bigquery_client import bigquery_client
        from marketing_intel.lake.bigquery_lake import BigQueryLake

        return BigQueryLake(
            bigquery_client(settings),
            dataset=settings.lake.dataset,
            location=settings.lake.bigquery_location,
            maximum_bytes_billed=settings.lake.bigquery_max_bytes_billed,
            component=component,
            use_storage_api=settings.lake.bigquery_use_storage_api,
            max_sql_bytes=settings.query.max_sql_bytes,
        )
    return DuckDBLake(
        settings.lake_path,
        dataset=settings.lake.dataset,
        memory_limit=settings.query.memory_limit,
        max_sql_bytes=settings.query.max_sql_bytes,
    )


def shared_lake(settings: Settings, *, component: str = "marketing-intel") -> Lake:
    """The lake `open_lake` gives, opened once per process, configuration and `component`.

    For the nodes, which run once per flow run: a BigQuery lake keeps its client (no new OAuth
    token and TLS connection per run) and its dry-run estimates. Callers must not close it;
    `marketing_intel.shared_instances.close_shared()` does.
    """
    where = settings.lake_path.resolve()  # relative to the working folder, which may change
    # Everything that selects the lake and its client: a change to any of it opens another.
    identity = (
        component,
        where,
        settings.lake,
        settings.query.max_sql_bytes,
        settings.query.memory_limit,
    )
    return _shared.get(identity, lambda: open_lake(settings, component=component))
