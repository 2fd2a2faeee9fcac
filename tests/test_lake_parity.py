"""Parity: the same BigQuery SQL over the same demo data gives the same answers on both lakes.

The embedded lake (DuckDB through the rewrite layer) and BigQuery (here the local emulator,
driven by the real client) are seeded with identical demo data, then every query below, the
example queries the product ships (`marketing_intel/lake/examples/`) among them, runs on both.
This is what catches silent differences such as week numbers, day of week or NUMERIC precision.

Integers must be integers on both. Other numbers are compared rounded to 6 decimals, NUMERIC and
FLOAT64 alike: the emulator keeps more digits in NUMERIC * NUMERIC and returns SAFE_DIVIDE of
NUMERICs as FLOAT64 (its gaps, not BigQuery's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from marketing_intel.demo import DemoSpec
from marketing_intel.lake import DuckDBLake, QueryLimits, QueryParameter
from marketing_intel.lake.bigquery_lake import BigQueryLake
from marketing_intel.lake.examples import example_queries
from tests.bigquery_emulator import BigQueryEmulator
from tests.lake_pair import seeded_lake_pair

SPEC = DemoSpec(end_date=dt.date(2026, 11, 26), tenants=2, days=28, seed=11, scale=0.5)
START = QueryParameter.of("start_date", dt.date(2026, 11, 13))
END = QueryParameter.of("end_date", dt.date(2026, 11, 26))
NOW = QueryParameter.of("now", dt.datetime(2026, 11, 27, tzinfo=dt.UTC))

PARAMETERS = [START, END, NOW]  # each query binds those it uses

# Checks of the dialect beyond the shipped example queries.
QUERIES: dict[str, str] = {
    "week numbers and date arithmetic": """
        SELECT date, EXTRACT(WEEK FROM date) AS week, EXTRACT(ISOWEEK FROM date) AS isoweek,
               DATE_TRUNC(date, WEEK(MONDAY)) AS monday, DATE_TRUNC(date, MONTH) AS month,
               DATE_ADD(date, INTERVAL 1 MONTH) AS next_month,
               DATE_DIFF(@end_date, date, DAY) AS age, DATE_DIFF(@end_date, date, WEEK) AS weeks
        FROM (SELECT DISTINCT date FROM audience_insights) ORDER BY date
    """,
    "NUMERIC arithmetic and arrays": """
        SELECT segment_id, CAST(SUM(revenue) * 2 AS NUMERIC) AS doubled,
               ARRAY_LENGTH(ARRAY_AGG(DISTINCT platform)) AS platforms,
               segment_id IN UNNEST(@segments) AS listed
        FROM audience_insights GROUP BY segment_id ORDER BY segment_id
    """,
    **{f"examples/{name}.sql": sql for name, sql in example_queries().items()},
}
SEGMENTS = QueryParameter.of("segments", ["demo-1-meta-s01"])


@pytest.fixture(scope="module")
def lakes(
    bigquery_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DuckDBLake, BigQueryLake]]:
    """Both lakes holding the same demo data."""
    folder = tmp_path_factory.mktemp("parity")
    with seeded_lake_pair(bigquery_emulator, folder, SPEC) as lakes:
        yield lakes


def _normalized(value: Any) -> Any:
    if isinstance(value, Decimal | float):
        return ("number", round(float(value), 6))
    if isinstance(value, int) and not isinstance(value, bool):
        return ("integer", value)
    if isinstance(value, dt.date):  # dates and timestamps
        return value.isoformat()
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


def _rows(lake: DuckDBLake | BigQueryLake, sql: str) -> list[Any]:
    params = [*PARAMETERS, SEGMENTS]
    result = lake.query(sql, params, tenant_id="demo-1", limits=QueryLimits(row_limit=5_000))
    return [{k: _normalized(v) for k, v in row.items()} for row in result.rows()]


@pytest.mark.parametrize("name", list(QUERIES))
def test_both_lakes_answer_the_same(lakes: tuple[DuckDBLake, BigQueryLake], name: str) -> None:
    duckdb_lake, bigquery_lake = lakes
    embedded = _rows(duckdb_lake, QUERIES[name])
    production = _rows(bigquery_lake, QUERIES[name])
    assert embedded, "a parity query must return rows to compare"
    assert embedded == production
