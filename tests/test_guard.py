"""The tenant guard against hostile SQL, and tenant isolation on a real embedded lake."""

from __future__ import annotations

import datetime as dt

import pytest

from marketing_intel.lake import DuckDBLake, QueryParameter, QueryRefused
from marketing_intel.lake.guard import guard_query
from tests.engine_catalog import CATALOG_NAMES


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


# The engine's catalog, named by a WITH query that reads itself (issue 17, item 3). Before the
# guard resolved names by scope, each of these returned DuckDB's settings or catalog rows.
_CATALOG_NAMES = [*CATALOG_NAMES, "information_schema"]


@pytest.mark.parametrize("name", _CATALOG_NAMES)
def test_a_with_query_cannot_name_the_catalog_it_reads(two_tenants: DuckDBLake, name: str) -> None:
    sql = f"WITH {name} AS (SELECT * FROM {name}) SELECT * FROM {name}"
    with pytest.raises(QueryRefused, match=f"`{name}` is not one"):
        two_tenants.query(sql, tenant_id="a")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        # A WITH query is not visible in its own body, nor in WITH queries before it.
        ("WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a", "`b` is not one"),
        # A WITH query inside a subquery is not visible outside it.
        (
            "SELECT * FROM (WITH pg_class AS (SELECT 1 AS x) SELECT * FROM pg_class) "
            "JOIN pg_class ON TRUE",
            "`pg_class` is not one",
        ),
        # Recursive: only the part after UNION ALL may read the query itself.
        (
            "WITH RECURSIVE pg_settings AS (SELECT name FROM pg_settings "
            "UNION ALL SELECT name FROM pg_settings WHERE FALSE) SELECT * FROM pg_settings",
            "reads itself before its UNION ALL",
        ),
        ("WITH RECURSIVE r AS (SELECT * FROM r) SELECT * FROM r", "reads itself"),
        # A WITH name never covers a qualified name.
        ("WITH tables AS (SELECT 1 AS x) SELECT * FROM information_schema.tables", "is not one"),
        ("SELECT * FROM UNNEST(ARRAY(SELECT name FROM pg_settings)) AS n", "`pg_settings`"),
        ("SELECT * FROM UNNEST((SELECT ARRAY_AGG(x) FROM duckdb_tables)) AS n", "duckdb_tables"),
        ("SELECT (SELECT COUNT(*) FROM duckdb_tables) AS n", "`duckdb_tables` is not one"),
        ("SELECT EXISTS(SELECT 1 FROM pg_class) AS e", "`pg_class` is not one"),
        ("SELECT * FROM GENERATE_ARRAY(1, 3)", "is not allowed"),
    ],
)
def test_names_resolve_scope_by_scope(sql: str, reason: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        guard_query(sql, qualifiers=["marketing_intel"])
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("WITH Mine AS (SELECT campaign_id FROM campaign_metrics) SELECT * FROM mine", ["a-1"]),
        (
            "WITH a AS (SELECT campaign_id FROM campaign_metrics) "
            "SELECT * FROM (WITH b AS (SELECT * FROM a) SELECT * FROM b)",
            ["a-1"],
        ),
        (
            "WITH RECURSIVE pg_settings AS (SELECT 1 AS n UNION ALL "
            "SELECT n + 1 FROM pg_settings WHERE n < 3) SELECT CAST(n AS STRING) AS campaign_id "
            "FROM pg_settings",
            ["1", "2", "3"],
        ),
        (
            "SELECT c FROM campaign_metrics m, UNNEST([m.campaign_id, 'x']) AS c",
            ["a-1", "x"],
        ),
    ],
)
def test_visible_with_queries_and_unnest_still_read(
    two_tenants: DuckDBLake, sql: str, expected: list[str]
) -> None:
    rows = two_tenants.query(sql, tenant_id="a").rows()
    assert sorted(str(next(iter(row.values()))) for row in rows) == expected


@pytest.mark.parametrize(
    "function",
    ["CURRENT_DATABASE()", "CURRENT_CATALOG()", "CURRENT_SCHEMA()", "CURRENT_VERSION()"],
)
def test_functions_that_tell_the_engines_state_are_refused(
    two_tenants: DuckDBLake, function: str
) -> None:
    with pytest.raises(QueryRefused, match="engine's state"):
        two_tenants.query(f"SELECT {function} AS v", tenant_id="a")
