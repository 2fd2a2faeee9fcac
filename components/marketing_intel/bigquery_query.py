"""The "BigQuery Query" node: tenant-scoped, read-only BigQuery SQL over the marketing lake.

A thin adapter: inputs -> `marketing_intel.lake` -> DataFrame and Data. The engine (BigQuery or
the embedded DuckDB lake) and its location come from the `MI_` settings of the server.
"""

from __future__ import annotations

from typing import Any

from lfx.custom.custom_component.component import Component
from lfx.io import DictInput, FloatInput, IntInput, MessageTextInput, MultilineInput, Output
from lfx.schema.data import Data
from lfx.schema.dataframe import DataFrame


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
        MessageTextInput(
            name="tenant_id",
            display_name="Tenant ID",
            info="The tenant whose rows the query may read. Agents cannot change it.",
            required=True,
        ),
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

    _runs: dict[str, Any] | None = None

    def run_query(self) -> DataFrame:
        """The query's rows as a table."""
        result = self._query_result()
        frame = DataFrame(result.table.to_pandas())
        self.status = f"{result.statistics.rows} rows in {result.statistics.duration_ms:.0f} ms"
        return frame

    def query_statistics(self) -> Data:
        """Duration, row count and whether the row limit cut rows off."""
        statistics = self._query_result().statistics
        return Data(data={"tenant_id": self.tenant_id, **statistics.__dict__})

    def _query_result(self) -> Any:
        # Both outputs come from one run; an agent may call the tool again with other SQL.
        key = repr((self.sql, self.parameters, self.tenant_id, self.row_limit, self.timeout_s))
        if self._runs is None or key not in self._runs:
            self._runs = {key: self._run()}
        return self._runs[key]

    def _run(self) -> Any:
        from pydantic import ValidationError

        from marketing_intel.config import ConfigError, load_settings
        from marketing_intel.lake import LakeError, QueryLimits, open_lake
        from marketing_intel.lake.parameters import from_mapping_item

        try:
            params = [from_mapping_item(k, v) for k, v in (self.parameters or {}).items()]
            limits = QueryLimits(row_limit=self.row_limit, timeout_s=self.timeout_s)
            lake = open_lake(load_settings())
            return lake.query(self.sql, params, tenant_id=self.tenant_id, limits=limits)
        except ValidationError as error:
            problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
            raise ValueError(f"Invalid parameter: {problems}") from None
        except (ConfigError, LakeError) as error:
            raise ValueError(str(error)) from None
