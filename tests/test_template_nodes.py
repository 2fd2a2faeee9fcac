"""Each template node's four outputs, and its errors as sentences."""

from __future__ import annotations

import datetime as dt

import pytest

from components.marketing_intel.analysis_templates import (
    AudienceTrendsComponent,
    CampaignInsightsComponent,
    PlatformEventsAnalysisComponent,
    ROIOptimizerComponent,
)
from marketing_intel.config import load_settings
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.flows.run_api import report_from_message
from marketing_intel.lake import open_lake

NODES = [
    (CampaignInsightsComponent, "campaign_insights", "Campaign insights"),
    (PlatformEventsAnalysisComponent, "platform_events", "Platform events analysis"),
    (AudienceTrendsComponent, "audience_trends", "Audience trends"),
    (ROIOptimizerComponent, "roi_optimization", "ROI optimization"),
]


@pytest.fixture(autouse=True)
def demo_lake() -> None:
    """Demo data through yesterday in the lake the settings point to (./.mi of the test)."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    seed_lake(open_lake(load_settings()), DemoSpec(end_date=yesterday, tenants=1, days=45))


@pytest.mark.parametrize(("node_class", "template", "title"), NODES)
def test_the_node_outputs_report_evidence_and_narrative(
    node_class: type, template: str, title: str
) -> None:
    node = node_class()
    node.set(tenant_id="demo-1", days=28)
    report = node.build_report().data
    assert report["template"] == template
    assert report["tenant_id"] == "demo-1"
    assert report["insights"]
    evidence = node.build_evidence()
    assert len(evidence) == len(report["table"]) > 0
    narrative = node.build_narrative().text
    assert narrative.startswith(f"## {title} for demo-1")
    # The report's own narrative, and, when findings have charts, a last line naming their page
    # (the Playground drops data: images).
    assert narrative.startswith(report["narrative"])
    charted = any(insight.get("chart") for insight in report["insights"])
    assert ("format=html" in narrative) is charted
    # The same report as one line of JSON text in a code block, the way it is passed on.
    text = node.build_report_json().text
    assert text.startswith("```json\n{") and text.endswith("}\n```")
    assert len(text.splitlines()) == 3
    assert report_from_message(text).model_dump(mode="json") == report


@pytest.mark.parametrize(
    ("inputs", "sentence"),
    [
        ({"start_date": "2026-10-31", "end_date": "2026-10-01"}, "swap the dates"),
        ({"start_date": "2026-10-01"}, "give both a start and an end date"),
        ({"options": {"no_such_option": 1}}, "Invalid input"),
    ],
)
def test_bad_inputs_are_sentences(inputs: dict[str, object], sentence: str) -> None:
    node = CampaignInsightsComponent()
    node.set(tenant_id="demo-1", **inputs)
    with pytest.raises(ValueError, match=sentence):
        node.build_report()
