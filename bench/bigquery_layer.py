"""The example queries on the BigQuery emulator and on DuckDB, and our BigQuery layer's overhead.

Both lakes hold the same demo data. Per example query: the median time on each lake; then, on
the emulator, our `BigQueryLake.query` + DataFrame (guard, typed parameters, the dry run before
every query, labels, conversion) against a bare client call of the same SQL and parameters
that also ends in a DataFrame. Target: within 1.2x. The medians reuse the dry run's estimate
(kept a minute per SQL and parameters); the first run of each query pays for it and is
reported too. Needs `make emulator`; or set MI_BENCH_BIGQUERY_ENDPOINT (and
MI_BENCH_BIGQUERY_PROJECT, default test-project) to use an emulator already running.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from functools import partial
from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from bench.size import sized
from bench.timing import median_seconds
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake, QueryParameter
from marketing_intel.lake.bigquery_lake import BigQueryLake, bigquery_parameter
from marketing_intel.lake.examples import example_queries
from tests.bigquery_emulator import start_emulator, stop_emulator

SPEC = sized(
    DemoSpec(end_date=dt.date(2026, 11, 26), tenants=2, days=60, seed=7),
    DemoSpec(end_date=dt.date(2026, 11, 26), tenants=1, days=14, seed=7, scale=0.1),
)
PARAMETERS = [
    QueryParameter.of("start_date", dt.date(2026, 11, 13)),
    QueryParameter.of("end_date", dt.date(2026, 11, 26)),
    QueryParameter.of("now", dt.datetime(2026, 11, 27, tzinfo=dt.UTC)),
]


def _ours(lake: BigQueryLake, sql: str) -> None:
    """Our layer, to the DataFrame the node outputs."""
    lake.query(sql, PARAMETERS, tenant_id="demo-1").table.to_pandas()


def _bare_call(lake: BigQueryLake, sql: str) -> tuple[str, bigquery.QueryJobConfig]:
    """The engine SQL and typed parameters our layer sends, prepared once outside the timing."""
    prepared, engine_sql = lake._compile(sql, PARAMETERS, "demo-1", row_limit=10_000)
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery_parameter(p) for p in prepared.parameters.values()]
    )
    return engine_sql, config


def _bare(client: bigquery.Client, engine_sql: str, config: bigquery.QueryJobConfig) -> None:
    """The same SQL and parameters through the client alone."""
    job = client.query(engine_sql, job_config=config)
    job.result().to_dataframe(create_bqstorage_client=False)


def measure(client: bigquery.Client, folder: Path) -> None:
    """Seed both lakes (a dataset of its own on the emulator), then print per-query times and
    the overhead ratio."""
    bq = BigQueryLake(client, dataset=f"bench_{uuid.uuid4().hex[:8]}", component="bench")
    bq.apply_schema()
    duck = DuckDBLake(folder / "lake.duckdb")
    rows = seed_lake(duck, SPEC)
    seed_lake(bq, SPEC)
    print(f"bigquery_layer: {sum(rows.values()):,} demo rows in each lake")
    first_total = ours_total = bare_total = 0.0
    for name, sql in example_queries().items():
        on_duckdb = median_seconds(partial(duck.query, sql, PARAMETERS, tenant_id="demo-1"))
        first = median_seconds(partial(_ours, bq, sql), repeat=1, warmup=0)
        on_emulator = median_seconds(partial(_ours, bq, sql))
        bare = median_seconds(partial(_bare, client, *_bare_call(bq, sql)))
        first_total += first
        ours_total += on_emulator
        bare_total += bare
        print(
            f"  {name:<24} emulator {on_emulator * 1000:7.1f} ms  duckdb "
            f"{on_duckdb * 1000:6.1f} ms  bare client {bare * 1000:7.1f} ms  "
            f"overhead {on_emulator / bare:.2f}x"
        )
    print(
        f"bigquery_layer: ours {ours_total * 1000:.0f} ms vs bare client "
        f"{bare_total * 1000:.0f} ms over all examples: {ours_total / bare_total:.2f}x "
        "(target <= 1.2x); first runs, each with its dry run: "
        f"{first_total / bare_total:.2f}x"
    )


def main() -> None:
    """Measure on the emulator MI_BENCH_BIGQUERY_ENDPOINT names, else on one started here."""
    with tempfile.TemporaryDirectory() as folder:
        if endpoint := os.environ.get("MI_BENCH_BIGQUERY_ENDPOINT"):
            client = bigquery.Client(
                project=os.environ.get("MI_BENCH_BIGQUERY_PROJECT", "test-project"),
                credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=endpoint),
            )
            measure(client, Path(folder))
            return
        process, emulator = start_emulator(Path(folder))
        try:
            measure(emulator.client(), Path(folder))
        finally:
            stop_emulator(process)
