"""Parity: the same BigQuery SQL over the same demo data gives the same answers on both lakes.

The embedded lake (DuckDB through the rewrite layer) and BigQuery (here the local emulator,
driven by the real client) are seeded with identical demo data, then every query below (and
every `.sql` file the product ships under `marketing_intel/`) runs on both. This is what catches
silent differences such as week numbers, day of week or NUMERIC precision.

Integers must be integers on both. Other numbers are compared rounded to 6 decimals, NUMERIC and
FLOAT64 alike: the emulator keeps more digits in NUMERIC * NUMERIC and returns SAFE_DIVIDE of
NUMERICs as FLOAT64 (its gaps, not BigQuery's).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake, QueryLimits, QueryParameter
from marketing_intel.lake.bigquery_lake import BigQueryLake
from tests.bigquery_emulator import BigQueryEmulator

SPEC = DemoSpec(end_date=dt.date(2026, 11, 26), tenants=2, days=28, seed=11, scale=0.5)
START = QueryParameter.of("start_date", dt.date(2026, 11, 13))
END = QueryParameter.of("end_date", dt.date(2026, 11, 26))
NOW = QueryParameter.of("now", dt.datetime(2026, 11, 27, tzinfo=dt.UTC))

QUERIES: dict[str, tuple[str, list[QueryParameter]]] = {
    "campaign KPIs by window and Sunday week": (
        """
        SELECT campaign_id, IF(date >= @start_date, 'current', 'previous') AS period,
               DATE_TRUNC(date, WEEK) AS week,
               SUM(impressions) AS impressions, SUM(clicks) AS clicks,
               SAFE_DIVIDE(SUM(clicks), SUM(impressions)) AS ctr,
               SAFE_DIVIDE(SUM(revenue), SUM(spend)) AS roas,
               SUM(revenue) - SUM(spend) AS profit
        FROM campaign_metrics
        WHERE date BETWEEN DATE_SUB(@start_date, INTERVAL 14 DAY) AND @end_date
        GROUP BY campaign_id, period, week
        ORDER BY campaign_id, week, period
        """,
        [START, END],
    ),
    "weekday seasonality": (
        """
        SELECT EXTRACT(DAYOFWEEK FROM date) AS weekday, FORMAT_DATE('%A', date) AS day_name,
               ROUND(AVG(spend), 4) AS avg_spend, COUNT(*) AS n
        FROM campaign_metrics GROUP BY weekday, day_name ORDER BY weekday
        """,
        [],
    ),
    "week numbers": (
        """
        SELECT date, EXTRACT(WEEK FROM date) AS week, EXTRACT(ISOWEEK FROM date) AS isoweek,
               DATE_TRUNC(date, WEEK(MONDAY)) AS monday, DATE_TRUNC(date, MONTH) AS month,
               DATE_ADD(date, INTERVAL 1 MONTH) AS next_month,
               DATE_DIFF(@end_date, date, DAY) AS age
        FROM (SELECT DISTINCT date FROM audience_insights) ORDER BY date
        """,
        [END],
    ),
    "events, failures and delivery lag by platform and day": (
        """
        SELECT platform, DATE(occurred_at) AS day, COUNT(*) AS events,
               COUNTIF(status = 'failed') AS failed,
               ROUND(SAFE_DIVIDE(COUNTIF(status = 'failed'), COUNT(*)), 6) AS failure_rate,
               MAX(TIMESTAMP_DIFF(received_at, occurred_at, SECOND)) AS max_lag_s,
               SUM(value) AS value
        FROM platform_events GROUP BY platform, day ORDER BY platform, day
        """,
        [],
    ),
    "silent integrations": (
        """
        SELECT platform, MAX(occurred_at) AS last_event,
               TIMESTAMP_DIFF(@now, MAX(occurred_at), HOUR) AS hours_silent
        FROM platform_events GROUP BY platform ORDER BY platform
        """,
        [NOW],
    ),
    "top campaigns per platform": (
        """
        SELECT platform, ARRAY_AGG(campaign_id ORDER BY revenue DESC, campaign_id LIMIT 3) AS top
        FROM (SELECT platform, campaign_id, SUM(revenue) AS revenue
              FROM campaign_metrics GROUP BY platform, campaign_id)
        GROUP BY platform ORDER BY platform
        """,
        [],
    ),
    "latest row per segment (QUALIFY) and JSON attributes": (
        """
        SELECT segment_id, date, audience_size, CAST(revenue * 2 AS NUMERIC) AS doubled
        FROM audience_insights
        WHERE segment_id IN UNNEST(@segments) OR TRUE
        QUALIFY ROW_NUMBER() OVER (PARTITION BY segment_id ORDER BY date DESC) = 1
        ORDER BY segment_id
        """,
        [QueryParameter.of("segments", ["none"])],
    ),
    "JSON values": (
        """
        SELECT JSON_VALUE(attributes, '$.device') AS device, COUNT(*) AS n
        FROM platform_events WHERE platform = 'meta' GROUP BY device ORDER BY device
        """,
        [],
    ),
    "gap-filled daily spend": (
        """
        WITH days AS (SELECT day FROM UNNEST(GENERATE_DATE_ARRAY(@start_date, @end_date)) AS day)
        SELECT day, COALESCE(SUM(m.spend), 0) AS spend
        FROM days LEFT JOIN campaign_metrics AS m ON m.date = days.day
        GROUP BY day ORDER BY day
        """,
        [START, END],
    ),
}


def _shipped_queries() -> dict[str, tuple[str, list[QueryParameter]]]:
    """Every `.sql` file the product ships under marketing_intel/ (but the DDL)."""
    package = Path(__file__).resolve().parents[1] / "marketing_intel"
    files = sorted(p for p in package.rglob("*.sql") if p.name != "schema.sql")
    return {
        f"{p.relative_to(package)}": (p.read_text(encoding="utf-8"), [START, END]) for p in files
    }


@pytest.fixture(scope="module")
def lakes(
    bigquery_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DuckDBLake, BigQueryLake]]:
    """Both lakes holding the same demo data."""
    duckdb_lake = DuckDBLake(tmp_path_factory.mktemp("parity") / "lake.duckdb")
    client = bigquery_emulator.client()
    bigquery_lake = BigQueryLake(
        client, dataset=f"parity_{uuid.uuid4().hex[:8]}", component="tests"
    )
    bigquery_lake.apply_schema()
    assert seed_lake(duckdb_lake, SPEC) == seed_lake(bigquery_lake, SPEC)
    yield duckdb_lake, bigquery_lake
    client.delete_dataset(f"{client.project}.{bigquery_lake.dataset}", delete_contents=True)


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


def _rows(lake: DuckDBLake | BigQueryLake, sql: str, params: list[QueryParameter]) -> list[Any]:
    result = lake.query(sql, params, tenant_id="demo-1", limits=QueryLimits(row_limit=5_000))
    return [{k: _normalized(v) for k, v in row.items()} for row in result.rows()]


@pytest.mark.parametrize("name", [*QUERIES, *_shipped_queries()])
def test_both_lakes_answer_the_same(lakes: tuple[DuckDBLake, BigQueryLake], name: str) -> None:
    sql, params = {**QUERIES, **_shipped_queries()}[name]
    duckdb_lake, bigquery_lake = lakes
    embedded = _rows(duckdb_lake, sql, params)
    production = _rows(bigquery_lake, sql, params)
    assert embedded, "a parity query must return rows to compare"
    assert embedded == production
