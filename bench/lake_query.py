"""A campaign-insights style query over 10M campaign_metrics rows: our lake vs hand-written DuckDB.

Ours: BigQuery SQL through the tenant guard, the dialect rewrites, typed parameters and the
lake's shared connection. Baseline: the same query written by hand for DuckDB on a held
connection. Target: within 1.3x.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from bench.size import sized
from bench.timing import median_seconds
from marketing_intel.lake import DuckDBLake, QueryParameter
from marketing_intel.lake.arrow_schema import arrow_schema
from marketing_intel.lake.schema import table_spec

# 10M rows, 1M per tenant (the query reads tenant bench-3)
TENANTS, CAMPAIGNS, DAYS = sized((10, 500, 2000), (4, 10, 60))
FIRST_DAY = dt.date(2021, 6, 1)

BIGQUERY_SQL = """
WITH windows AS (
  SELECT campaign_id, platform,
         IF(date >= @start_date, 'current', 'previous') AS period,
         DATE_TRUNC(date, WEEK) AS week,
         impressions, clicks, conversions, spend, revenue
  FROM campaign_metrics
  WHERE date BETWEEN DATE_SUB(@start_date, INTERVAL 90 DAY) AND @end_date
)
SELECT campaign_id, platform, period,
       COUNT(DISTINCT week) AS weeks,
       SAFE_DIVIDE(SUM(clicks), SUM(impressions)) AS ctr,
       SAFE_DIVIDE(SUM(conversions), SUM(clicks)) AS cvr,
       SAFE_DIVIDE(SUM(spend), SUM(conversions)) AS cpa,
       SAFE_DIVIDE(SUM(revenue), SUM(spend)) AS roas
FROM windows
GROUP BY campaign_id, platform, period
ORDER BY roas DESC
"""

DUCKDB_SQL = """
WITH windows AS (
  SELECT campaign_id, platform,
         CASE WHEN date >= $start_date THEN 'current' ELSE 'previous' END AS period,
         date - CAST(dayofweek(date) AS INTEGER) AS week,
         impressions, clicks, conversions, spend, revenue
  FROM campaign_metrics
  WHERE tenant_id = $tenant_id
    AND date BETWEEN CAST($start_date - INTERVAL 90 DAY AS DATE) AND $end_date
)
SELECT campaign_id, platform, period,
       COUNT(DISTINCT week) AS weeks,
       SUM(clicks) / NULLIF(SUM(impressions), 0) AS ctr,
       SUM(conversions) / NULLIF(SUM(clicks), 0) AS cvr,
       SUM(spend) / NULLIF(SUM(conversions), 0) AS cpa,
       SUM(revenue) / NULLIF(SUM(spend), 0) AS roas
FROM windows
GROUP BY campaign_id, platform, period
ORDER BY roas DESC
"""


def _metrics(tenant: int, rng: np.random.Generator) -> pa.Table:
    rows = CAMPAIGNS * DAYS
    campaign = np.repeat(np.arange(CAMPAIGNS), DAYS)
    day = np.tile(np.arange(DAYS), CAMPAIGNS)
    impressions = rng.integers(100, 100_000, rows)
    clicks = impressions // rng.integers(20, 200, rows)
    spend_cents = rng.integers(100, 500_000, rows)
    columns = {
        "tenant_id": pa.array([f"bench-{tenant}"] * rows),
        "platform": pa.array(np.array(["meta", "google_ads", "tiktok"])[campaign % 3]),
        "campaign_id": pa.array(np.char.add("c", campaign.astype(str))),
        "campaign_name": pa.nulls(rows, pa.string()),
        "date": pa.array(np.datetime64(FIRST_DAY, "D") + day),
        "impressions": pa.array(impressions),
        "clicks": pa.array(clicks),
        "conversions": pa.array(clicks // rng.integers(5, 50, rows)),
        "spend": pa.array(spend_cents).cast(pa.decimal128(38, 9)),
        "revenue": pa.array(spend_cents * rng.integers(0, 5, rows)).cast(pa.decimal128(38, 9)),
        "currency": pa.array(["USD"] * rows),
        "updated_at": pa.array(np.full(rows, np.datetime64("2026-01-01T00:00:00", "us"))),
    }
    table = pa.table(columns)
    return table.cast(arrow_schema(table_spec("campaign_metrics")))


def main() -> None:
    """Load 10M rows, then time the query both ways and print the ratio."""
    with tempfile.TemporaryDirectory() as folder:
        lake = DuckDBLake(Path(folder) / "bench.duckdb")
        rng = np.random.default_rng(1)
        started = time.perf_counter()
        for tenant in range(TENANTS):
            lake.insert("campaign_metrics", _metrics(tenant, rng))
        loaded = time.perf_counter() - started
        print(f"lake_query: loaded {TENANTS * CAMPAIGNS * DAYS:,} rows in {loaded:.1f} s")

        end = FIRST_DAY + dt.timedelta(days=DAYS - 1)
        start = end - dt.timedelta(days=27)
        params = [QueryParameter.of("start_date", start), QueryParameter.of("end_date", end)]
        lake.close()
        # The first query after idling opens the file and compiles the SQL; repeats reuse both.
        first = median_seconds(
            lambda: lake.query(BIGQUERY_SQL, params, tenant_id="bench-3"), repeat=1, warmup=0
        )
        ours = median_seconds(lambda: lake.query(BIGQUERY_SQL, params, tenant_id="bench-3"))
        got = lake.query(BIGQUERY_SQL, params, tenant_id="bench-3").rows()
        lake.close()  # the baseline opens the file with its own settings

        connection = duckdb.connect(str(lake.path), read_only=True)
        values = {"start_date": start, "end_date": end, "tenant_id": "bench-3"}
        expected = connection.execute(DUCKDB_SQL, values).fetchall()
        assert [tuple(row.values()) for row in got] == expected, "the queries must agree"
        baseline = median_seconds(lambda: connection.execute(DUCKDB_SQL, values).fetchall())
        connection.close()
    print(
        f"lake_query: ours {ours * 1000:.1f} ms, hand-written DuckDB {baseline * 1000:.1f} ms, "
        f"ratio {ours / baseline:.2f}x (target <= 1.3x); first query after idle "
        f"{first * 1000:.1f} ms ({first / baseline:.2f}x)"
    )
