"""The "BigQuery Query" node, run by lfx itself as Langflow runs it."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from components.marketing_intel.bigquery_query import BigQueryQueryComponent
from marketing_intel.config import load_settings
from marketing_intel.lake import open_lake


@pytest.fixture(autouse=True)
def demo_rows() -> None:
    """Two tenants' campaign rows in the lake the settings point to (./.mi of the test)."""
    lake = open_lake(load_settings())
    rows = [
        {
            "tenant_id": tenant,
            "platform": "meta",
            "campaign_id": f"{tenant}-c{n}",
            "date": f"2026-01-0{n}",
            "impressions": 1000,
            "clicks": 10 * n,
            "conversions": n,
            "spend": "12.5",
            "revenue": str(30 * n),
            "currency": "USD",
            "updated_at": "2026-01-10T00:00:00Z",
        }
        for tenant in ("demo-1", "demo-2")
        for n in (1, 2, 3)
    ]
    lake.insert("campaign_metrics", rows)


def _node(**inputs: object) -> BigQueryQueryComponent:
    node = BigQueryQueryComponent()
    node.set(tenant_id="demo-1", **inputs)
    return node


def test_rows_and_statistics_come_from_one_run() -> None:
    node = _node(
        sql="SELECT campaign_id, revenue FROM campaign_metrics WHERE date >= @since ORDER BY 1",
        parameters={"since": "2026-01-02"},
    )
    results, _ = asyncio.run(node.build_results())
    frame = results["rows"]
    assert list(frame["campaign_id"]) == ["demo-1-c2", "demo-1-c3"]
    assert list(frame["revenue"]) == [Decimal("60"), Decimal("90")]
    statistics = results["statistics"].data
    assert statistics["rows"] == 2
    assert statistics["truncated"] is False
    assert statistics["engine"] == "duckdb"
    assert statistics["tenant_id"] == "demo-1"


def test_row_limit_is_reported_in_the_statistics() -> None:
    node = _node(sql="SELECT * FROM campaign_metrics", row_limit=2)
    assert len(node.run_query()) == 2
    assert node.query_statistics().data["truncated"] is True


@pytest.mark.parametrize(
    ("inputs", "sentence"),
    [
        (
            {"sql": "SELECT * FROM read_csv('/etc/passwd')"},
            "Only lake tables can be read; `read_csv`",
        ),
        ({"sql": "DROP TABLE campaign_metrics"}, "`DROP` is not allowed"),
        ({"sql": "SELECT @n", "parameters": {"n:INT64": "many"}}, "Invalid parameter: @n (INT64)"),
        ({"sql": "SELECT * FROM campaign_metrics", "tenant_id": ""}, "runs for one tenant"),
    ],
)
def test_errors_are_sentences_the_user_can_act_on(inputs: dict[str, object], sentence: str) -> None:
    node = BigQueryQueryComponent()
    node.set(**{"tenant_id": "demo-1", **inputs})
    with pytest.raises(ValueError) as error:
        node.run_query()
    assert sentence in str(error.value)


def test_as_an_agent_tool_only_the_sql_is_an_argument() -> None:
    node = _node(sql="SELECT 1 AS x")
    tools = asyncio.run(node.to_toolkit())
    assert [tool.name for tool in tools] == ["run_query"]
    tool = tools[0]
    assert set(tool.args_schema.model_json_schema()["properties"]) == {"sql"}
    # The tenant stays the node's; an agent's SQL cannot reach another tenant's rows.
    output = tool.invoke({"sql": "SELECT DISTINCT tenant_id FROM campaign_metrics"})
    assert "demo-1" in str(output) and "demo-2" not in str(output)
    refused = tool.invoke({"sql": "DELETE FROM campaign_metrics WHERE TRUE"})
    assert "`DELETE` is not allowed" in str(refused)
