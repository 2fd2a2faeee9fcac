"""`BigQueryLake` through the real google-cloud-bigquery client against the local emulator.

The emulator (local-bigquery, see tests/bigquery_emulator.py) does not estimate bytes in dry
runs (always 0) and enforces neither `maximum_bytes_billed` nor job timeouts. Where a test needs
BigQuery's answer to those, it injects it and says so; everything else is the real round trip.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from google.cloud import bigquery
from typer.testing import CliRunner

from marketing_intel.cli import app
from marketing_intel.lake import (
    LakeConfigError,
    QueryFailed,
    QueryLimits,
    QueryParameter,
    QueryRefused,
)
from marketing_intel.lake.bigquery_lake import BigQueryLake
from tests.bigquery_emulator import BigQueryEmulator

runner = CliRunner()


@pytest.fixture
def bq_lake(bigquery_emulator: BigQueryEmulator) -> Iterator[BigQueryLake]:
    """A lake in a fresh dataset of the emulator, dropped afterwards."""
    client = bigquery_emulator.client()
    lake = BigQueryLake(
        client, dataset=f"mi_{uuid.uuid4().hex[:10]}", component="tests", retry_deadline_s=20
    )
    lake.apply_schema()
    yield lake
    client.delete_dataset(f"{client.project}.{lake.dataset}", delete_contents=True)


def metrics(tenant: str, campaign: str, day: str, spend: str) -> dict[str, object]:
    return {
        "tenant_id": tenant,
        "platform": "meta",
        "campaign_id": campaign,
        "campaign_name": campaign.upper(),
        "date": day,
        "impressions": 1000,
        "clicks": 10,
        "conversions": 2,
        "spend": spend,
        "revenue": "30.5",
        "currency": "USD",
        "updated_at": "2026-01-10T00:00:00Z",
    }


def test_schema_is_applied_idempotently_with_partitions_and_clusters(bq_lake: BigQueryLake) -> None:
    bq_lake.apply_schema()
    table = bq_lake.client.get_table(f"{bq_lake.project}.{bq_lake.dataset}.platform_events")
    assert table.time_partitioning.field == "occurred_at"
    assert table.clustering_fields == ["tenant_id", "platform", "event_type"]
    assert [f.name for f in table.schema][:3] == ["event_id", "tenant_id", "platform"]
    assert bq_lake.row_counts() == dict.fromkeys(bq_lake.row_counts(), 0)


def test_keyed_inserts_and_tenant_scoped_typed_queries(bq_lake: BigQueryLake) -> None:
    rows = [metrics("a", "a-1", f"2026-01-0{d}", "10.123456789") for d in (1, 2, 3)]
    rows.append(metrics("b", "b-1", "2026-01-01", "99"))
    first = bq_lake.insert("campaign_metrics", rows)
    assert (first.received, first.inserted) == (4, 4)
    again = bq_lake.insert("campaign_metrics", [*rows, rows[0]])
    assert (again.received, again.inserted, again.duplicates) == (5, 0, 5)

    sql = (
        "SELECT date, spend, campaign_id IN UNNEST(@ids) AS listed FROM campaign_metrics "
        "WHERE date >= @since ORDER BY date"
    )
    params = [
        QueryParameter.of("since", "2026-01-02", "DATE"),
        QueryParameter.of("ids", ["a-1", "x"]),
    ]
    result = bq_lake.query(sql, params, tenant_id="a")
    assert [(str(r["date"]), r["spend"], r["listed"]) for r in result.rows()] == [
        ("2026-01-02", Decimal("10.123456789"), True),
        ("2026-01-03", Decimal("10.123456789"), True),
    ]
    statistics = result.statistics
    assert statistics.engine == "bigquery"
    assert statistics.job_id
    assert statistics.bytes_estimated == 0  # the emulator's dry run; BigQuery's would be > 0
    other = bq_lake.query("SELECT DISTINCT tenant_id FROM campaign_metrics", tenant_id="b")
    assert other.rows() == [{"tenant_id": "b"}]


def test_jobs_carry_labels_and_the_byte_cap(bq_lake: BigQueryLake) -> None:
    result = bq_lake.query("SELECT 1 AS x", tenant_id="Demo-1")
    job = bq_lake.client.get_job(result.statistics.job_id)
    assert job.labels == {"component": "tests", "tenant": "demo-1"}
    assert job.maximum_bytes_billed == bq_lake.maximum_bytes_billed


def test_a_query_over_the_byte_limit_is_refused_before_it_runs(
    bq_lake: BigQueryLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Injected: the emulator's dry runs report 0 bytes; BigQuery would report the scan size.
    monkeypatch.setattr(
        bigquery.QueryJob, "total_bytes_processed", property(lambda job: int(12.3 * 2**30))
    )
    with pytest.raises(QueryRefused) as refused:
        bq_lake.query("SELECT * FROM platform_events", tenant_id="a")
    assert str(refused.value).startswith(
        "The query would scan 12.3 GiB, over the 10.0 GiB limit (max_bytes_billed)"
    )
    with pytest.raises(QueryRefused, match=r"12\.3 GiB"):
        bq_lake.estimate("SELECT * FROM platform_events", tenant_id="a")


def test_the_guard_applies_unchanged(bq_lake: BigQueryLake) -> None:
    with pytest.raises(QueryRefused, match="`DELETE` is not allowed"):
        bq_lake.query("DELETE FROM campaign_metrics WHERE TRUE", tenant_id="a")
    with pytest.raises(QueryRefused, match="INFORMATION_SCHEMA"):
        bq_lake.query(f"SELECT * FROM {bq_lake.dataset}.INFORMATION_SCHEMA.TABLES", tenant_id="a")
    qualified = f"SELECT COUNT(*) AS n FROM `{bq_lake.project}.{bq_lake.dataset}.platform_events`"
    assert bq_lake.query(qualified, tenant_id="a").rows() == [{"n": 0}]
    with pytest.raises(QueryRefused, match="`pg_settings` is not one"):
        bq_lake.query("WITH pg_settings AS (SELECT * FROM pg_settings) SELECT 1", tenant_id="a")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (
            "SELECT 1 AS x FROM campaign_metrics WHERE campaign_id IN ('" + "x" * 100_001 + "')",
            "100,000-byte limit",
        ),
        ("SELECT " + "(" * 60 + "1" + ")" * 60 + " AS x", "levels deep"),
        (" UNION ALL ".join(["SELECT 1 AS x"] * 1000), "nested too deeply"),
    ],
    ids=["size", "parentheses", "union chain"],
)
def test_size_and_nesting_are_bounded_before_any_job(
    bq_lake: BigQueryLake, sql: str, reason: str
) -> None:
    for check in (bq_lake.query, bq_lake.estimate):
        with pytest.raises(QueryRefused, match=reason):
            check(sql, tenant_id="a")


def test_engine_errors_are_sentences(bq_lake: BigQueryLake) -> None:
    with pytest.raises(QueryFailed, match=r"BigQuery could not run the query: .*no_such_column"):
        bq_lake.query("SELECT no_such_column FROM campaign_metrics", tenant_id="a")
    with pytest.raises(QueryFailed, match="BigQuery could not run the query"):
        bq_lake.query("SELECT 1 / 0 AS x", tenant_id="a")


def test_row_limit(bq_lake: BigQueryLake) -> None:
    bq_lake.insert("campaign_metrics", [metrics("a", f"c{i}", "2026-01-01", "1") for i in range(7)])
    result = bq_lake.query(
        "SELECT campaign_id FROM campaign_metrics", tenant_id="a", limits=QueryLimits(row_limit=5)
    )
    assert result.statistics.rows == 5
    assert result.statistics.truncated


def test_upsert_merges_restatements(bq_lake: BigQueryLake) -> None:
    bq_lake.insert("campaign_metrics", [metrics("a", "c1", "2026-01-01", "1")])
    restated = [
        metrics("a", "c1", "2026-01-01", "5"),
        metrics("a", "c1", "2026-01-02", "2"),
        metrics("a", "c1", "2026-01-02", "3"),  # the last row of a key wins
    ]
    result = bq_lake.upsert("campaign_metrics", restated)
    assert result.received == 3
    assert result.inserted + result.replaced == 2
    rows = bq_lake.query(
        "SELECT date, spend FROM campaign_metrics ORDER BY date", tenant_id="a"
    ).rows()
    assert [(str(r["date"]), r["spend"]) for r in rows] == [
        ("2026-01-01", Decimal("5")),
        ("2026-01-02", Decimal("3")),
    ]
    tables = [
        t.table_id for t in bq_lake.client.list_tables(f"{bq_lake.project}.{bq_lake.dataset}")
    ]
    assert not [name for name in tables if name.startswith("_mi_stage")], "staging table left"


def test_a_large_batch_is_loaded_and_merged_once_by_key(bq_lake: BigQueryLake) -> None:
    rows = [metrics("a", f"c{i % 6_000}", "2026-01-01", "1") for i in range(6_500)]
    first = bq_lake.insert("campaign_metrics", rows)
    assert (first.received, first.inserted, first.duplicates) == (6_500, 6_000, 500)
    again = bq_lake.insert("campaign_metrics", rows[:5_100])
    assert again.inserted == 0
    assert bq_lake.row_counts()["campaign_metrics"] == 6_000


def test_the_cli_works_against_bigquery(
    bigquery_emulator: BigQueryEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dataset = f"cli_{uuid.uuid4().hex[:8]}"
    for name, value in {
        "MI_LAKE_BACKEND": "bigquery",
        "MI_BIGQUERY_PROJECT": bigquery_emulator.project,
        "MI_BIGQUERY_API_ENDPOINT": bigquery_emulator.endpoint,
        "MI_LAKE_DATASET": dataset,
    }.items():
        monkeypatch.setenv(name, value)
    seed = ["demo", "seed", "--tenants", "1", "--days", "3", "--end-date", "2026-11-26"]
    seeded = runner.invoke(app, seed)
    assert seeded.exit_code == 0, seeded.output
    assert "campaign_metrics: 0 rows" not in seeded.stdout

    count = "SELECT COUNT(*) AS n FROM marketing.campaign_metrics".replace("marketing", dataset)
    result = runner.invoke(app, ["query", "--tenant", "demo-1", "--json", count])
    assert result.exit_code == 0, result.output
    seeded_rows = json.loads(result.stdout)[0]["n"]
    assert seeded_rows > 0

    file = tmp_path / "m.jsonl"
    file.write_text(
        json.dumps(metrics("demo-1", "new", "2026-11-26", "7")) + "\n", encoding="utf-8"
    )
    loaded = runner.invoke(app, ["lake", "load", "campaign_metrics", str(file)])
    assert "Loaded 1 new rows" in loaded.output, loaded.output
    after = runner.invoke(app, ["query", "--tenant", "demo-1", "--json", count])
    assert json.loads(after.stdout)[0]["n"] == seeded_rows + 1
    refused = runner.invoke(app, ["query", "--tenant", "demo-1", "DROP TABLE campaign_metrics"])
    assert refused.exit_code == 1
    assert "`DROP` is not allowed" in refused.stderr


def test_the_node_runs_on_bigquery_with_its_statistics(
    bq_lake: BigQueryLake, bigquery_emulator: BigQueryEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from components.marketing_intel.bigquery_query import BigQueryQueryComponent

    bq_lake.insert("campaign_metrics", [metrics("a", "c1", "2026-01-01", "4.5")])
    # The emulator's address is a server setting; everything else comes from the node.
    monkeypatch.setenv("MI_BIGQUERY_API_ENDPOINT", bigquery_emulator.endpoint)
    inputs = {
        "sql": "SELECT campaign_id, spend FROM campaign_metrics",
        "tenant_id": "a",
        "engine": "BigQuery",
        "project": bq_lake.project,
        "dataset": bq_lake.dataset,
        "max_gib_billed": 1.0,
    }
    node = BigQueryQueryComponent()
    node.set(**inputs)
    frame = node.run_query()
    assert list(frame["campaign_id"]) == ["c1"]
    statistics = node.query_statistics().data
    assert statistics["engine"] == "bigquery"
    assert statistics["job_id"]
    assert statistics["bytes_estimated"] == 0  # the emulator's dry run
    assert statistics["cache_hit"] is not None
    job = bq_lake.client.get_job(statistics["job_id"])
    assert job.maximum_bytes_billed == 2**30
    assert job.labels["component"] == "langflow-bigquery-query"

    dry = BigQueryQueryComponent()
    dry.set(**inputs, dry_run_only=True)
    assert dry.run_query().empty
    assert dry.query_statistics().data == {
        "tenant_id": "a",
        "dry_run": True,
        "engine": "bigquery",
        "bytes_estimated": 0,
    }


def test_an_estimate_is_reused_only_for_the_same_sql_and_parameters(
    bq_lake: BigQueryLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = "SELECT COUNT(*) AS n FROM platform_events"
    bq_lake.query(sql, tenant_id="a")  # the emulator estimates 0 bytes; kept for a minute
    # Injected from here on: BigQuery's estimate for a scan over the limit.
    monkeypatch.setattr(
        bigquery.QueryJob, "total_bytes_processed", property(lambda job: 20 * 2**30)
    )
    assert bq_lake.query(sql, tenant_id="a").rows() == [{"n": 0}]
    with pytest.raises(QueryRefused, match=r"20\.0 GiB"):
        bq_lake.query(sql, tenant_id="b")  # another tenant parameter: a new dry run


def test_the_storage_read_api_is_used_only_when_installed_and_asked_for(
    bigquery_emulator: BigQueryEmulator,
) -> None:
    client = bigquery_emulator.client()
    with pytest.raises(LakeConfigError, match="needs the google-cloud-bigquery-storage package"):
        BigQueryLake(client, dataset="x", use_storage_api=True)
