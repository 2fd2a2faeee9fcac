"""The tenant guard against hostile SQL, and tenant isolation on a real embedded lake."""

from __future__ import annotations

import datetime as dt

import pytest

from marketing_intel.lake import DuckDBLake, QueryParameter, QueryRefused
from marketing_intel.lake.guard import guard_query


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT 1; SELECT 2", "exactly one statement"),
        ("SELECT * FROM campaign_metrics; DROP TABLE campaign_metrics", "exactly one statement"),
        ("DELETE FROM campaign_metrics WHERE TRUE", "`DELETE` is not allowed"),
        ("UPDATE campaign_metrics SET spend = 0 WHERE TRUE", "`UPDATE` is not allowed"),
        ("INSERT INTO campaign_metrics (tenant_id) VALUES ('x')", "`INSERT` is not allowed"),
        (
            "MERGE campaign_metrics t USING campaign_metrics s ON FALSE WHEN NOT MATCHED THEN "
            "INSERT ROW",
            "not allowed",
        ),
        ("CREATE TABLE x AS SELECT 1", "`CREATE` is not allowed"),
        ("DROP TABLE campaign_metrics", "`DROP` is not allowed"),
        ("ALTER TABLE campaign_metrics ADD COLUMN x INT64", "`ALTER` is not allowed"),
        ("EXPORT DATA OPTIONS (uri = 'gs://b/x') AS SELECT 1", "`EXPORT` is not allowed"),
        ("SELECT * FROM read_csv('/etc/passwd')", "`read_csv` is not allowed"),
        ("SELECT * FROM read_parquet('x.parquet')", "is not allowed"),
        ("SELECT * FROM `/etc/passwd`", "`/etc/passwd` is not one"),
        ("SELECT * FROM `data.csv`", "is not one"),
        ("SELECT * FROM EXTERNAL_QUERY('conn', 'SELECT 1')", "`EXTERNAL_QUERY` is not allowed"),
        ("SELECT * FROM marketing_intel.INFORMATION_SCHEMA.TABLES", "INFORMATION_SCHEMA"),
        ("SELECT * FROM `region-us`.INFORMATION_SCHEMA.JOBS", "INFORMATION_SCHEMA"),
        ("SELECT * FROM other_dataset.platform_events", "`other_dataset.platform_events`"),
        ("SELECT * FROM `evil-project.marketing_intel.platform_events`", "evil-project"),
        ("SELECT * FROM duckdb_settings()", "is not allowed"),
        ("SELECT * FROM secrets_table", "`secrets_table` is not one"),
        (
            "WITH platform_events AS (SELECT 'b' AS tenant_id) SELECT * FROM platform_events",
            "like the lake table",
        ),
        (
            "SELECT * FROM campaign_metrics FOR SYSTEM_TIME AS OF TIMESTAMP '2026-01-01'",
            "Time travel",
        ),
        ("SELECT 1 FROM (SELECT * FROM read_json('x'))", "is not allowed"),
        (
            "SELECT * FROM campaign_metrics "
            "WHERE tenant_id IN (SELECT tenant_id FROM pg_catalog.x)",
            "is not one",
        ),
        ("SELEC * FROM campaign_metrics", "could not be read"),
        ("", "exactly one statement"),
    ],
)
def test_hostile_sql_is_refused_with_the_reason(sql: str, reason: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        guard_query(sql, qualifiers=["marketing_intel"])
    assert reason in str(refused.value)


def test_every_lake_table_reference_is_scoped_to_the_tenant() -> None:
    sql = """
        -- a comment that mentions FROM platform_events
        WITH recent AS (SELECT * FROM `marketing_intel.platform_events` /* inline */)
        SELECT c.campaign_id FROM campaign_metrics AS c
        JOIN recent USING (campaign_id)
        WHERE c.campaign_id IN (SELECT campaign_id FROM audience_insights)
        UNION ALL SELECT campaign_id FROM campaign_metrics
    """
    rewritten = guard_query(sql, qualifiers=["marketing_intel"]).sql(dialect="bigquery")
    scoped = "WHERE tenant_id = @tenant_id"
    assert rewritten.count(scoped) == 4
    for table in ("platform_events", "campaign_metrics", "audience_insights"):
        assert f"FROM {table} WHERE tenant_id = @tenant_id" in rewritten


def _metrics_row(tenant: str, campaign: str, spend: str) -> dict[str, object]:
    return {
        "tenant_id": tenant,
        "platform": "meta",
        "campaign_id": campaign,
        "campaign_name": campaign.upper(),
        "date": "2026-01-05",
        "impressions": 1000,
        "clicks": 10,
        "conversions": 1,
        "spend": spend,
        "revenue": "20",
        "currency": "USD",
        "updated_at": "2026-01-06T00:00:00Z",
    }


@pytest.fixture
def two_tenants(lake: DuckDBLake) -> DuckDBLake:
    rows = [_metrics_row("a", "a-1", "10"), _metrics_row("b", "b-1", "99")]
    lake.insert("campaign_metrics", rows)
    return lake


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT campaign_id FROM campaign_metrics",
        "SELECT campaign_id FROM campaign_metrics WHERE tenant_id = 'b' OR TRUE",
        "SELECT campaign_id FROM campaign_metrics cm WHERE cm.tenant_id != 'a' OR 1 = 1",
        "SELECT campaign_id FROM campaign_metrics "
        "UNION ALL SELECT campaign_id FROM campaign_metrics",
        "SELECT (SELECT STRING_AGG(campaign_id) FROM campaign_metrics) AS campaign_id",
        "WITH x AS (SELECT * FROM campaign_metrics) SELECT campaign_id FROM x",
        "SELECT campaign_id FROM `marketing_intel.campaign_metrics`",
        "SELECT campaign_id FROM campaign_metrics -- WHERE tenant_id = 'b'",
        "SELECT campaign_id FROM campaign_metrics WHERE @tenant_id = @tenant_id",
    ],
)
def test_a_tenant_never_sees_another_tenants_rows(two_tenants: DuckDBLake, sql: str) -> None:
    rows = two_tenants.query(sql, tenant_id="a").rows()
    assert rows, "the tenant's own rows must be readable"
    assert {row["campaign_id"] for row in rows} == {"a-1"}


def test_the_tenant_cannot_be_passed_as_a_parameter(two_tenants: DuckDBLake) -> None:
    with pytest.raises(QueryRefused, match="@tenant_id is set by the lake"):
        two_tenants.query(
            "SELECT * FROM campaign_metrics",
            [QueryParameter.of("tenant_id", "b")],
            tenant_id="a",
        )


@pytest.mark.parametrize("tenant", ["", "   ", "a' OR '1'='1", "x" * 200])
def test_a_query_without_a_valid_tenant_is_refused(two_tenants: DuckDBLake, tenant: str) -> None:
    with pytest.raises(QueryRefused, match="tenant"):
        two_tenants.query("SELECT 1 AS x", tenant_id=tenant)


def test_missing_parameters_are_named(two_tenants: DuckDBLake) -> None:
    with pytest.raises(QueryRefused, match="@since but no value"):
        two_tenants.query("SELECT * FROM campaign_metrics WHERE date >= @since", tenant_id="a")


def test_parameters_are_bound_not_pasted(two_tenants: DuckDBLake) -> None:
    hostile = QueryParameter.of("campaign", "a-1' OR '1'='1")
    sql = "SELECT campaign_id FROM campaign_metrics WHERE campaign_id = @campaign"
    assert two_tenants.query(sql, [hostile], tenant_id="a").rows() == []
    since = QueryParameter.of("since", dt.date(2026, 1, 1))
    sql = "SELECT COUNT(*) AS n FROM campaign_metrics WHERE date >= @since"
    assert two_tenants.query(sql, [since], tenant_id="a").rows() == [{"n": 1}]
