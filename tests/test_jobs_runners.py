"""Flow runners and the flow catalog.

The Langflow API runner's runs and the server's refusals (unknown flow, bad key, refused tweak,
failing node) are tested against the real server in tests/test_jobs_langflow.py; here only
what needs no server: an unreachable one, and the tweaks it would be sent. No stand-in for
Langflow is left: every answer the runner handles is one the real server gives. The in-process
runner runs real lfx flows (here and in tests/test_jobs_queue.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from marketing_intel.config import ConfigError, load_settings
from marketing_intel.jobs import BadJobError, FlowRunError, FlowRunJob
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.results import summarize
from marketing_intel.jobs.runners import FlowOutput, LangflowAPIRunner, LfxRunner
from tests.jobs_flows import campaign_insights_flow, echo_flow, slow_echo_flow
from tests.jobs_support import free_port


def job(flow: str = "campaign-insights", tenant: str = "acme", **parameters: Any) -> FlowRunJob:
    """A job for `tenant`."""
    return FlowRunJob.model_validate({"flow": flow, "tenant_id": tenant, "parameters": parameters})


def closed_port_runner(tmp_path: Path) -> LangflowAPIRunner:
    """An API runner for the test flows whose Langflow URL is a port nothing listens on."""
    campaign_insights_flow(tmp_path / "flows")
    settings = load_settings(
        langflow_url=f"http://127.0.0.1:{free_port()}", langflow_api_key="sk-test"
    )
    return LangflowAPIRunner(settings, FlowCatalog([tmp_path / "flows"]))


def test_no_langflow_server_is_an_outage_to_retry(tmp_path: Path) -> None:
    runner = closed_port_runner(tmp_path)
    with pytest.raises(FlowRunError, match="did not answer"):
        asyncio.run(runner.run(job()))
    asyncio.run(runner.aclose())


def test_the_api_runner_sends_the_tenant_as_input_and_the_inputs_as_tweaks(
    tmp_path: Path,
) -> None:
    """A server runs the flow with its edges: the tenant reaches the template through the chat
    input (a tenant_id tweak, which the flow does not declare, would be refused)."""
    campaign_insights_flow(tmp_path / "flows")
    flow = FlowCatalog([tmp_path / "flows"]).get("campaign-insights")
    assert flow.tenant_wired == {"insights"}
    assert flow.api_tweaks(job(inputs={"days": 14})) == {"insights": {"days": 14}}
    assert flow.tweaks_for(job(inputs={"days": 14})) == {
        "insights": {"tenant_id": "acme", "days": 14}
    }


@pytest.mark.parametrize(
    ("flow", "tweaks", "message"),
    [
        ("campaign-insights", {"input": {"input_value": "globex"}}, "it feeds the tenant_id"),
        ("only-on-the-server", {"node": {"tenant_id": "globex"}}, "the job's tenant_id is used"),
    ],
    ids=["tenant-source", "server-only-flow"],
)
def test_no_tweak_may_point_a_run_at_another_tenant(
    tmp_path: Path, flow: str, tweaks: dict[str, Any], message: str
) -> None:
    runner = closed_port_runner(tmp_path)  # refused before anything is sent
    with pytest.raises(BadJobError, match=message):
        asyncio.run(runner.run(job(flow, tweaks=tweaks)))
    asyncio.run(runner.aclose())


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
