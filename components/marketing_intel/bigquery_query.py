"""The "BigQuery Query" node: tenant-scoped, read-only BigQuery SQL over the marketing lake.

A thin adapter: inputs -> `marketing_intel.lake` -> DataFrame and Data. The engine (BigQuery or
the embedded DuckDB lake) comes from the server's `MI_` settings unless the node's advanced
inputs say otherwise; the BigQuery credentials are a Langflow global variable, never a literal.
"""

from __future__ import annotations

from typing import Any

from lfx.custom.custom_component.component import Component
from lfx.io import BoolInput, DictInput, FloatInput, IntInput, MultilineInput, Output, StrInput
from lfx.schema.data import Data
from lfx.schema.dataframe import DataFrame
from lfx_marketing_intel.marketing_intel._node_errors import node_errors
from lfx_marketing_intel.marketing_intel._run_once import run_once
from lfx_marketing_intel.marketing_intel._shared_inputs import (
    chosen_engine,
    engine_input,
    global_variable_input,
    tenant_input,
)

# Lake choices in the node -> MI_LAKE_BACKEND.
ENGINES = {"BigQuery": "bigquery", "Embedded (DuckDB)": "duckdb"}


class BigQueryQueryComponent(Component):
    """Runs one read-only BigQuery SQL statement over the lake tables for one tenant."""

    display_name = "BigQuery Query"
    description = (
        "Run one read-only BigQuery SQL query over the marketing lake (platform_events, "
        "campaign_metrics, integration_raw_data, audience_insights) for one tenant."
    )
    icon = "database"
    name = "BigQueryQuery"
    metadata = {"keywords": ["bigquery", "sql", "lake", "duckdb", "analytics"]}

    inputs = [
        MultilineInput(
            name="sql",
            display_name="SQL",
            info=(
                "One SELECT (or WITH ... SELECT) in BigQuery SQL over the lake tables "
                "platform_events, campaign_metrics, integration_raw_data and audience_insights. "
                "Rows are limited to the tenant automatically. Use @name for parameters."
            ),
            required=True,
            tool_mode=True,
        ),
        DictInput(
            name="parameters",
            display_name="Parameters",
            info=(
                "Query parameters: key `name` or `name:TYPE` (STRING, INT64, FLOAT64, NUMERIC, "
                "BOOL, DATE, TIMESTAMP, ARRAY<type>), value as text. Without a type, numbers, "
                "true/false, dates and timestamps are recognised by their look."
            ),
            is_list=True,
        ),
        tenant_input("The tenant whose rows the query may read. Agents cannot change it."),
        IntInput(
            name="row_limit",
            display_name="Row Limit",
            info="At most this many rows are returned; the statistics say when rows were cut off.",
            value=1000,
            advanced=True,
        ),
        FloatInput(
            name="timeout_s",
            display_name="Timeout (seconds)",
            info="The query is cancelled after this long.",
            value=60.0,
            advanced=True,
        ),
        engine_input(
            "engine",
            "Lake",
            "Where the lake is: as the server's MI_ settings say, BigQuery, or embedded.",
            ENGINES,
        ),
        global_variable_input(
            "credentials_json",
            "BigQuery Credentials",
            "A global variable holding a service-account key (JSON). Empty: "
            "MI_BIGQUERY_CREDENTIALS_JSON / _FILE, else Application Default Credentials.",
        ),
        StrInput(
            name="project",
            display_name="BigQuery Project",
            info="Empty: MI_BIGQUERY_PROJECT.",
            advanced=True,
        ),
        StrInput(
            name="dataset",
            display_name="Dataset",
            info="Empty: MI_LAKE_DATASET (marketing_intel).",
            advanced=True,
        ),
        StrInput(
            name="location",
            display_name="Location",
            info="Empty: MI_BIGQUERY_LOCATION (US).",
            advanced=True,
        ),
        FloatInput(
            name="max_gib_billed",
            display_name="Max GiB Billed",
            info=(
                "Queries whose dry run estimates more are refused, and BigQuery stops a job "
                "that would bill more. 0: MI_BIGQUERY_MAX_BYTES_BILLED (10 GiB)."
            ),
            value=0,
            advanced=True,
        ),
        BoolInput(
            name="dry_run_only",
            display_name="Dry Run Only",
            info="Check the query and estimate its bytes without running it.",
            value=False,
            advanced=True,
        ),
    ]

    outputs = [
        Output(display_name="Rows", name="rows", method="run_query"),
        Output(
            display_name="Statistics",
            name="statistics",
            method="query_statistics",
            tool_mode=False,  # agents get the rows; one tool per query
        ),
    ]

    def run_query(self) -> DataFrame:
        """The query's rows as a table (no rows for a dry run)."""
        rows, statistics = self._query_result()
        self.status = _summary(statistics)
        return DataFrame(rows)

    def query_statistics(self) -> Data:
        """Duration, rows, cut-off, and on BigQuery bytes estimated and billed, cache hit, job."""
        _, statistics = self._query_result()
        return Data(data=statistics)

    @run_once
    def _query_result(self) -> tuple[Any, dict[str, Any]]:
        """Both outputs come from one run; an agent may call the tool again with other SQL."""
        from marketing_intel.lake import QueryLimits, shared_lake
        from marketing_intel.lake.parameters import from_mapping_item

        with node_errors(invalid="parameter"):
            params = [from_mapping_item(k, v) for k, v in (self.parameters or {}).items()]
            lake = shared_lake(self._settings(), component="langflow-bigquery-query")
            if self.dry_run_only:
                estimate = lake.estimate(self.sql, params, tenant_id=self.tenant_id)
                statistics = {"engine": estimate.engine, "bytes_estimated": estimate.bytes}
                return None, {"tenant_id": self.tenant_id, "dry_run": True, **statistics}
            limits = QueryLimits(row_limit=self.row_limit, timeout_s=self.timeout_s)
            result = lake.query(self.sql, params, tenant_id=self.tenant_id, limits=limits)
        statistics = {"tenant_id": self.tenant_id, "dry_run": False, **vars(result.statistics)}
        return result.table.to_pandas(), statistics

    def _settings(self) -> Any:
        """The server's MI_ settings with this node's lake inputs on top."""
        from marketing_intel.config import current_settings
        from marketing_intel.secret_inputs import secret_input

        return current_settings(
            lake_backend=chosen_engine(ENGINES, self.engine),
            bigquery_project=self.project,
            lake_dataset=self.dataset,
            bigquery_location=self.location,
            bigquery_credentials_json=secret_input(self, "credentials_json"),
            bigquery_max_bytes_billed=int(self.max_gib_billed * 2**30) or None,
        )


def _summary(statistics: dict[str, Any]) -> str:
    if statistics["dry_run"]:
        estimated = statistics["bytes_estimated"]
        return "dry run: " + ("no byte estimate" if estimated is None else f"{estimated:,} bytes")
    return f"{statistics['rows']} rows in {statistics['duration_ms']:.0f} ms"
