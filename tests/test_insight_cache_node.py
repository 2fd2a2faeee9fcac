"""The "Insight Cache" node, and a template node reading through its handle: a hit
returns the stored report and says so in the status; new lake data makes it compute again."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from components.marketing_intel.analysis_templates import (
    CampaignInsightsComponent,
    ROIOptimizerComponent,
)
from components.marketing_intel.insight_cache import InsightCacheComponent
from marketing_intel.cache import InsightCacheHandle
from marketing_intel.config import load_settings
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import open_lake
from marketing_intel.shared_instances import close_shared


@pytest.fixture(autouse=True)
def demo_lake() -> Iterator[None]:
    """Demo data through yesterday in the lake the settings point to (./.mi of the test)."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    seed_lake(open_lake(load_settings()), DemoSpec(end_date=yesterday, tenants=1, days=45))
    yield
    close_shared()


def cache_handle(**inputs: object) -> InsightCacheHandle:
    node = InsightCacheComponent()
    node.set(**inputs)
    handle = node.build_cache()
    assert isinstance(handle, InsightCacheHandle)
    return handle


def run_template(node_class: type, handle: InsightCacheHandle) -> tuple[dict, str]:
    node = node_class()
    node.set(tenant_id="demo-1", days=28, insight_cache=handle)
    return node.build_report().data, str(node.status)


def test_the_embedded_cache_serves_the_second_run_and_says_so() -> None:
    handle = cache_handle(engine="Embedded (SQLite)", ttl_s=300)
    assert handle.cache.backend == "sqlite" and handle.ttl_s == 300
    first, first_status = run_template(CampaignInsightsComponent, handle)
    assert first_status.startswith("Computed and cached: ")
    second, second_status = run_template(CampaignInsightsComponent, handle)
    assert second_status.startswith("Cache hit (stored ")
    assert second == first  # the stored report itself, generated_at included
    assert handle.cache.stats().by_template == {"campaign_insights": 1}


def test_new_lake_data_is_never_served_from_an_older_report() -> None:
    handle = cache_handle(engine="Embedded (SQLite)")
    first, _ = run_template(CampaignInsightsComponent, handle)
    restated = {
        "tenant_id": "demo-1",
        "platform": "meta",
        "campaign_id": "late-campaign",
        "date": (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)).isoformat(),
        "impressions": 1000,
        "clicks": 50,
        "conversions": 5,
        "spend": "100",
        "revenue": "400",
        "currency": "USD",
        "updated_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    open_lake(load_settings()).insert("campaign_metrics", [restated])
    second, status = run_template(CampaignInsightsComponent, handle)
    assert status.startswith("Computed and cached: ")
    assert second["generated_at"] != first["generated_at"]
    assert "late-campaign" in {row.get("campaign_id") for row in second["table"]}


def test_the_postgres_cache_node_serves_hits(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = f"mi_cache_test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("MI_CACHE_SCHEMA", schema)  # the operator's: the node has no schema field
    try:
        handle = cache_handle(engine="PostgreSQL", url=postgres_url, ttl_s=900)
        assert handle.cache.backend == "postgres"
        first, first_status = run_template(ROIOptimizerComponent, handle)
        second, second_status = run_template(ROIOptimizerComponent, handle)
        assert first_status.startswith("Computed and cached: ")
        assert second_status.startswith("Cache hit (stored ") and second == first
    finally:
        close_shared()
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.parametrize(
    ("inputs", "sentence"),
    [
        ({"engine": "PostgreSQL"}, "MI_CACHE_BACKEND=postgres needs MI_CACHE_URL"),
        ({"engine": "Embedded (SQLite)", "ttl_s": 30}, "MI_CACHE_TTL_S"),
        ({"engine": "PostgreSQL", "url": "mysql://x@h/db"}, "must be a postgresql:// URL"),
    ],
)
def test_bad_cache_inputs_are_sentences(inputs: dict[str, object], sentence: str) -> None:
    node = InsightCacheComponent()
    node.set(**inputs)
    with pytest.raises(ValueError, match=sentence):
        node.build_cache()


def test_a_template_node_without_the_cache_still_runs() -> None:
    node = CampaignInsightsComponent()
    node.set(tenant_id="demo-1", days=28)
    assert node.build_report().data["insights"]
    assert not str(node.status).startswith(("Cache hit", "Computed and cached"))
