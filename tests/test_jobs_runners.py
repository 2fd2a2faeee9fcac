"""Flow runners and the flow catalog.

The Langflow API runner is tested against a stand-in for Langflow's `POST /api/v1/run/{name}`
(httpx's MockTransport): a Langflow server takes a minute and over a gigabyte to start, too much
for every test run. The stand-in checks what the runner sends and answers what Langflow answers;
the in-process runner runs real lfx flows (tests/test_jobs_queue.py).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketing_intel.config import ConfigError, load_settings
from marketing_intel.jobs import BadJobError, FlowRunError, FlowRunJob
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.results import summarize
from marketing_intel.jobs.runners import FlowOutput, LangflowAPIRunner, LfxRunner
from tests.jobs_flows import campaign_insights_flow, echo_flow, slow_echo_flow


def job(flow: str = "campaign-insights", tenant: str = "acme", **parameters: Any) -> FlowRunJob:
    """A job for `tenant`."""
    return FlowRunJob.model_validate({"flow": flow, "tenant_id": tenant, "parameters": parameters})


def api_runner(
    tmp_path: Path, answer: httpx.Response, seen: list[httpx.Request]
) -> LangflowAPIRunner:
    """A Langflow API runner whose server answers `answer` and records the requests."""
    campaign_insights_flow(tmp_path / "flows")
    settings = load_settings(langflow_url="http://langflow.test", langflow_api_key="sk-test")
    runner = LangflowAPIRunner(settings, FlowCatalog([tmp_path / "flows"]))

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    runner.client = httpx.AsyncClient(
        base_url="http://langflow.test",
        headers=runner.client.headers,
        transport=httpx.MockTransport(handle),
    )
    return runner


def test_the_api_runner_sends_the_tenant_and_inputs_as_tweaks(tmp_path: Path) -> None:
    report = {
        "tenant_id": "acme",
        "template": "campaign_insights",
        "window": {"start": "2026-11-01", "end": "2026-11-14"},
        "generated_at": "2026-11-15T00:00:00Z",
        "insights": [{"kind": "roas_drop", "severity": "warning", "title": "ROAS fell."}],
    }
    body = {"outputs": [{"outputs": [{"results": {"message": {"text": json.dumps(report)}}}]}]}
    seen: list[httpx.Request] = []
    runner = api_runner(tmp_path, httpx.Response(200, json=body), seen)
    output = asyncio.run(runner.run(job(inputs={"days": 14})))
    asyncio.run(runner.aclose())
    (request,) = seen
    assert request.url.path == "/api/v1/run/campaign-insights"
    assert request.headers["x-api-key"] == "sk-test"
    sent = json.loads(request.content)
    assert sent["input_value"] == "acme"
    assert sent["tweaks"] == {"insights": {"tenant_id": "acme", "days": 14}}
    summary = summarize(output)
    assert summary["template"] == "campaign_insights"
    assert summary["by_severity"] == {"warning": 1}
    assert summary["headlines"] == ["ROAS fell."]


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (404, BadJobError, "unknown flow 'campaign-insights'"),
        (422, BadJobError, "Langflow refused the run"),
        (401, FlowRunError, "MI_LANGFLOW_API_KEY"),
        (500, FlowRunError, "Langflow failed to run 'campaign-insights' \\(500\\)"),
    ],
)
def test_the_api_runner_tells_bad_jobs_from_outages(
    tmp_path: Path, status: int, error: type[Exception], message: str
) -> None:
    runner = api_runner(tmp_path, httpx.Response(status, text="nope"), [])
    with pytest.raises(error, match=message):
        asyncio.run(runner.run(job()))


def test_a_langflow_url_needs_its_api_key() -> None:
    with pytest.raises(ConfigError, match="MI_LANGFLOW_API_KEY"):
        load_settings(langflow_url="http://127.0.0.1:7860")


def test_the_catalog_finds_new_flows_and_prefers_the_first_folder(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    echo_flow(second, "shared")
    catalog = FlowCatalog([first, second])
    assert catalog.get("shared").path.parent == second
    slow_echo_flow(first, "shared")
    (first / "notes.json").write_text("[1, 2]", encoding="utf-8")  # not a flow: skipped
    with pytest.raises(BadJobError, match=r"unknown flow 'later'.*shared"):
        catalog.get("later")
    assert catalog.get("shared").path.parent == first
    echo_flow(second, "later")
    assert catalog.get("later").endpoint_name == "later"


def test_a_template_flow_runs_in_process_for_the_jobs_tenant(
    lake, tmp_path: Path, monkeypatch
) -> None:
    import datetime as dt

    from marketing_intel.demo import DemoSpec, seed_lake

    today = dt.datetime.now(dt.UTC).date()
    seed_lake(lake, DemoSpec(end_date=today, tenants=2, days=42))
    lake.close()
    monkeypatch.setenv("MI_DUCKDB_PATH", str(lake.path))
    campaign_insights_flow(tmp_path / "flows")
    runner = LfxRunner(FlowCatalog([tmp_path / "flows"]))
    # The flow wires its chat input into the tenant: no other input value may go in.
    other = job(tenant="demo-2", input_value="demo-1")
    with pytest.raises(BadJobError, match="input_value feeds the tenant_id"):
        asyncio.run(runner.run(other))
    output: FlowOutput = asyncio.run(runner.run(job(tenant="demo-2")))
    summary = summarize(output)
    assert summary["template"] == "campaign_insights"
    assert summary["tenant_id"] == "demo-2"
    assert summary["insights"] >= 1


def test_the_exported_flows_keep_every_node_but_the_orphaned_chat_input() -> None:
    """Without its tenant edges the chat input feeds nothing; left in, lfx would start the run
    from it and run none of the other nodes (the outputs came back empty)."""
    from marketing_intel.jobs.flows import Flow
    from tests.bridge_support import REPO

    flow = Flow.read(REPO / "flows" / "campaign-insights.json")
    assert flow is not None
    kept = {node["id"] for node in flow.tenant_payload["data"]["nodes"]}
    original = {node["id"] for node in flow.payload["data"]["nodes"]}
    assert original - kept == {"ChatInput-tenant"}
    assert flow.tenant_wired == {"AnalysisTemplate-template", "ZeroDBMemoryStore-memory"}
