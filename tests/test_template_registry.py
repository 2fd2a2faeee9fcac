"""A template is one registration: a throwaway template, written as one module into a temporary
folder added to the registry's package path (its node as one class in a temporary bundle), shows
up everywhere a template does: `mi analyze` and `mi flows list`, the flows catalogue, the
bridge's insight route, the flow exporter and Langflow's own node loader.

The registered templates themselves are checked against what every consumer used to hard-code.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import marketing_intel.analysis_templates as registry
from bridge_api import create_app
from bridge_api.flow_runs import TEMPLATE_FLOWS
from marketing_intel.analysis import TEMPLATES, Window, run_template
from marketing_intel.analysis.cached import WATERMARK_SOURCES
from marketing_intel.bridge import open_bridge
from marketing_intel.cli import app
from marketing_intel.config import load_settings
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.flows import ANALYSIS_FLOWS, FLOWS, AnalysisFlowSpec, flow_spec
from marketing_intel.lake import DuckDBLake
from marketing_intel.shared_instances import close_shared
from tests.bridge_support import REPO

runner = CliRunner()
TODAY = dt.datetime.now(dt.UTC).date()

# The whole template: options, SQL, analysis, watermark, flow and node card, in one module.
TEMPLATE_MODULE = '''
"""Spend per platform: a throwaway template of the registry test."""

from pydantic import BaseModel, ConfigDict, Field

from marketing_intel.template_spec import FlowCard, NodeCard, TemplateSpec, WatermarkSource


class Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    top_n: int = Field(10, ge=1)


def analyze(lake, tenant_id, window, options, *, now):
    from marketing_intel.analysis import Insight, InsightReport
    from marketing_intel.analysis.queries import as_datetime, query_rows

    rows = query_rows(lake, SPEC.name, "spend_by_platform", tenant_id=tenant_id, window=window)
    rows.sort(key=lambda row: -row["spend"])
    rows = rows[: options.top_n]
    return InsightReport(
        tenant_id=tenant_id,
        template=SPEC.name,
        window=window,
        generated_at=now,
        data_watermark=max((as_datetime(row["latest"]) for row in rows), default=None),
        insights=[
            Insight(
                kind="platform_spend",
                severity="info",
                title=f"Spend on {row['platform']}",
                subject=row["platform"],
                metric="spend",
                value=float(row["spend"]),
            )
            for row in rows
        ],
        table=[{"platform": row["platform"], "spend": float(row["spend"])} for row in rows],
    )


SPEC = TemplateSpec(
    name="spend_totals",
    title="Spend totals",
    implementation=__name__,
    queries={
        "spend_by_platform": (
            "SELECT platform, SUM(spend) AS spend, MAX(updated_at) AS latest "
            "FROM campaign_metrics WHERE date BETWEEN @start_date AND @end_date "
            "GROUP BY platform"
        )
    },
    watermark=WatermarkSource("campaign_metrics", "updated_at"),
    flow=FlowCard(
        endpoint="spend-totals",
        title="Spend Totals",
        description="Spend per platform over the window. Type a tenant id.",
        tags=("marketing", "analysis"),
    ),
    node=NodeCard(
        name="SpendTotals",
        display_name="Spend Totals",
        description="Spend per platform over the window.",
        icon="coins",
        module="spend_totals_node",
    ),
)
'''
# Its node: one class (Langflow picks a flow's node class by name in the embedded source).
NODE_MODULE = '''
from lfx.custom.custom_component.component import Component

from components.marketing_intel.analysis_templates import _AnalysisTemplateComponent, _card


class SpendTotalsComponent(_AnalysisTemplateComponent, Component):
    """Spend per platform (the registry test's throwaway template)."""

    name = "SpendTotals"
    template_name = "spend_totals"
    display_name, description, icon = _card(template_name)
'''
BUILT_IN = ("campaign_insights", "platform_events", "audience_trends", "roi_optimization")
BUILT_IN_FLOWS = (
    "campaign-insights",
    "platform-events-analysis",
    "audience-trends",
    "roi-optimization",
)


@dataclass(frozen=True)
class Throwaway:
    """Where the throwaway template's node bundle lives."""

    bundles: Path


@pytest.fixture
def throwaway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Throwaway]:
    """The spend_totals template registered from a temporary folder, its node in a temporary
    bundle; afterwards the registry is as it was."""
    templates = tmp_path / "more_templates"
    templates.mkdir()
    (templates / "spend_totals.py").write_text(TEMPLATE_MODULE, encoding="utf-8")
    bundle = tmp_path / "bundles" / "throwaway"
    bundle.mkdir(parents=True)
    (bundle / "spend_totals_node.py").write_text(textwrap.dedent(NODE_MODULE), encoding="utf-8")
    monkeypatch.setattr(registry, "__path__", [*registry.__path__, str(templates)])
    monkeypatch.syspath_prepend(str(bundle))
    registry.template_specs.cache_clear()
    yield Throwaway(bundles=bundle.parent)
    monkeypatch.undo()
    for name in ("marketing_intel.analysis_templates.spend_totals", "spend_totals_node"):
        sys.modules.pop(name, None)
    registry.template_specs.cache_clear()


@pytest.fixture
def demo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """MI_HOME with a small seeded demo lake (tenants demo-1, demo-2), for the CLI and bridge."""
    home = tmp_path / ".mi"
    home.mkdir()
    lake = DuckDBLake(home / "lake.duckdb")
    seed_lake(lake, DemoSpec(end_date=TODAY, tenants=2, days=20, scale=0.02, campaigns=3))
    lake.close()
    monkeypatch.setenv("MI_HOME", str(home))
    monkeypatch.setenv("MI_FLOWS_PATH", str(REPO / "flows"))
    monkeypatch.setenv("MI_BRIDGE_FLUSH_IN_PROCESS", "false")
    yield home
    close_shared()


def _spend_by_platform(home: Path, tenant: str, window: Window) -> dict[str, float]:
    """The expected numbers, straight from the lake."""
    lake = DuckDBLake(home / "lake.duckdb")
    try:
        rows = lake.query(
            "SELECT platform, SUM(spend) AS spend FROM campaign_metrics "
            f"WHERE date BETWEEN '{window.start}' AND '{window.end}' GROUP BY platform",
            tenant_id=tenant,
        ).rows()
    finally:
        lake.close()
    return {row["platform"]: float(row["spend"]) for row in rows}


def test_the_cli_lists_and_runs_a_new_template(throwaway: Throwaway, demo_home: Path) -> None:
    unknown = runner.invoke(app, ["analyze", "nope", "--tenant", "demo-1"])
    assert unknown.exit_code == 1
    assert "choose one of campaign_insights, platform_events" in unknown.output
    assert "spend_totals" in unknown.output

    args = ["analyze", "spend_totals", "--tenant", "demo-1", "--days", "14", "--json"]
    ran = runner.invoke(app, args)
    assert ran.exit_code == 0, ran.output
    report = json.loads(ran.stdout)
    window = Window.last_days(14, today=TODAY)
    expected = _spend_by_platform(demo_home, "demo-1", window)
    assert expected, "the demo lake should hold spend in the window"
    assert report["template"] == "spend_totals"
    assert {row["platform"]: row["spend"] for row in report["table"]} == pytest.approx(expected)
    # The narrative heading is the spec's title.
    assert report["narrative"].startswith("## Spend totals for demo-1")

    top = runner.invoke(app, [*args[:-1], "--option", "top_n=1", "--json"])
    assert len(json.loads(top.stdout)["table"]) == 1
    refused = runner.invoke(app, [*args[:-1], "--option", "bogus=1"])
    assert refused.exit_code == 1
    # The spec's options model checks options, as for the built-in templates.
    assert "Extra inputs are not permitted" in refused.output

    listed = runner.invoke(app, ["flows", "list"])
    assert listed.exit_code == 0, listed.output
    assert any(
        line.split()[:2] == ["spend-totals", "spend_totals"] for line in listed.stdout.splitlines()
    )


def test_the_flows_catalogue_and_cache_see_a_new_template(throwaway: Throwaway) -> None:
    spec = flow_spec("spend-totals")
    assert spec == ANALYSIS_FLOWS["spend-totals"] == FLOWS["spend-totals"]
    assert isinstance(spec, AnalysisFlowSpec)
    assert (spec.template, spec.component, spec.title) == (
        "spend_totals",
        "SpendTotals",
        "Spend Totals",
    )
    # Listed after the built-in templates (listing order), before the chat flows.
    assert list(FLOWS) == [
        *BUILT_IN_FLOWS,
        "spend-totals",
        "brand-voice-check",
        "marketing-analyst-agent",
    ]
    assert "spend_totals" in TEMPLATES
    assert WATERMARK_SOURCES["spend_totals"] == ("campaign_metrics", "updated_at")


def test_the_bridge_serves_a_new_template(throwaway: Throwaway, demo_home: Path) -> None:
    assert TEMPLATE_FLOWS["spend_totals"] == "spend-totals"
    settings = load_settings()
    bridge = open_bridge(settings)
    try:
        key = bridge.api_keys.create("demo-1")[1]
    finally:
        bridge.close()
    headers = {"authorization": f"Bearer {key}"}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        missing = client.get("/v1/insights/nope", headers=headers)
        assert missing.status_code == 404
        assert "spend_totals" in missing.json()["error"]["message"]

        miss = client.get("/v1/insights/spend_totals?days=7", headers=headers)
        assert miss.status_code == 404, miss.text
        assert "POST /v1/flows/spend-totals/runs" in miss.json()["error"]["message"]

        computed = client.get("/v1/insights/spend_totals?days=7&compute=true", headers=headers)
        assert computed.status_code == 200, computed.text
        body = computed.json()
        assert (body["template"], body["source"]) == ("spend_totals", "computed")
        expected = _spend_by_platform(demo_home, "demo-1", Window.last_days(7, today=TODAY))
        table = {row["platform"]: row["spend"] for row in body["report"]["table"]}
        assert table == pytest.approx(expected)

        cached = client.get("/v1/insights/spend_totals?days=7", headers=headers)
        assert cached.status_code == 200, cached.text
        assert cached.json()["source"] == "cache"


def test_the_exporter_and_langflow_list_a_new_template_node(throwaway: Throwaway) -> None:
    from lfx.custom.utils import create_component_template
    from lfx.extension.loader._orchestrator import discover_inline_bundles

    from marketing_intel.flows import TEMPLATE_NODE
    from starter_projects.export import builders, flow_document

    exported = {builder.spec.endpoint: builder for builder in builders()}
    assert list(exported) == list(FLOWS)
    flow = flow_document(exported["spend-totals"])
    assert (flow["name"], flow["endpoint_name"]) == ("Spend Totals", "spend-totals")
    node = next(node for node in flow["data"]["nodes"] if node["id"] == TEMPLATE_NODE)
    assert node["data"]["type"] == "SpendTotalsComponent"
    assert node["data"]["node"]["display_name"] == "Spend Totals"
    assert node["data"]["node"]["template"]["days"]["api_editable"] is True

    # Langflow's own loader of a components-path bundle lists the node with the spec's card.
    [loaded] = [
        component
        for result in discover_inline_bundles([throwaway.bundles])
        for component in result.components
    ]
    assert loaded.namespaced_id == "ext:throwaway:SpendTotalsComponent@extra"
    template, _ = create_component_template(
        component_extractor=loaded.klass(), module_name=loaded.module_name
    )
    assert (template["display_name"], template["icon"]) == ("Spend Totals", "coins")


def test_a_template_without_its_node_class_is_named_by_the_exporter(throwaway: Throwaway) -> None:
    from starter_projects.analysis_flow import node_class

    spec = registry.template_spec("spend_totals")
    nodes = "components.marketing_intel.analysis_templates"
    homeless = replace(spec, node=replace(spec.node, module=nodes))
    with pytest.raises(
        TypeError, match=f"needs a node: a Component class SpendTotalsComponent in {nodes}"
    ):
        node_class(homeless)
    # A class that runs another template is refused too.
    borrowed = replace(spec, node=replace(spec.node, name="CampaignInsights", module=nodes))
    with pytest.raises(TypeError, match="must set template_name = 'spend_totals'"):
        node_class(borrowed)


def test_the_built_in_templates_keep_their_names_flows_and_nodes() -> None:
    specs = registry.template_specs()
    assert tuple(specs) == BUILT_IN
    assert tuple(spec.flow.endpoint for spec in specs.values()) == BUILT_IN_FLOWS
    assert {name: spec.node.class_name for name, spec in specs.items()} == {
        "campaign_insights": "CampaignInsightsComponent",
        "platform_events": "PlatformEventsAnalysisComponent",
        "audience_trends": "AudienceTrendsComponent",
        "roi_optimization": "ROIOptimizerComponent",
    }
    assert dict(WATERMARK_SOURCES) == {
        "campaign_insights": ("campaign_metrics", "updated_at"),
        "platform_events": ("platform_events", "received_at"),
        "audience_trends": ("audience_insights", "date"),
        "roi_optimization": ("campaign_metrics", "updated_at"),
    }
    # Each spec's SQL is its folder's files, and each spec's entry point and options import.
    for name, spec in specs.items():
        folder = REPO / "marketing_intel" / "analysis" / "sql" / name
        assert dict(spec.queries) == {
            path.stem: path.read_text(encoding="utf-8") for path in folder.glob("*.sql")
        }
        assert callable(spec.analyze)
        assert spec.options_model.model_fields


def test_an_unknown_template_and_query_are_sentences(lake: DuckDBLake) -> None:
    window = Window.last_days(7, today=TODAY)
    with pytest.raises(
        ValueError, match="unknown template 'nope'; choose one of campaign_insights"
    ):
        run_template("nope", lake, "demo-1", window)
    with pytest.raises(
        LookupError, match="has no query 'nope'; it has campaign_kpis, daily_campaign"
    ):
        registry.template_spec("campaign_insights").query("nope")
