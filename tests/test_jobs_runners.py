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

from flow_runners import LangflowAPIRunner, LfxRunner
from marketing_intel.config import ConfigError, load_settings
from marketing_intel.jobs import BadJobError, FlowRunError, FlowRunJob
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.results import summarize
from marketing_intel.jobs.runners import FlowOutput
from tests.jobs_flows import campaign_insights_flow, echo_flow, slow_echo_flow
from tests.jobs_support import free_port


def job(flow: str = "campaign-insights", tenant: str = "acme", **parameters: Any) -> FlowRunJob:
    """A job for `tenant`."""
    return FlowRunJob.model_validate({"flow": flow, "tenant_id": tenant, "parameters": parameters})


def closed_port_runner(tmp_path: Path) -> LangflowAPIRunner:
    """An API runner for the test flows whose Langflow URL is a port nothing listens on."""
    campaign_insights_flow(tmp_path / "flows")
    settings = load_settings(
        flows_runner="langflow",
        langflow_url=f"http://127.0.0.1:{free_port()}",
        langflow_api_key="sk-test",
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
        ("only-on-the-server", {"node": {"tenant_id": "globex"}}, "need a copy of flow"),
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


@pytest.mark.parametrize(
    ("flow", "parameters", "refused"),
    [
        (
            "campaign-insights",
            {"tweaks": {"ZeroDBMemoryStore-memory": {"engine": "ZeroDB", "base_url": "x"}}},
            ["'engine' of node 'ZeroDBMemoryStore-memory'", "'base_url'"],
        ),
        (
            "campaign-insights",
            {"tweaks": {"InsightCache-cache": {"url": "postgresql://h/db", "schema": "x"}}},
            ["'url' of node 'InsightCache-cache'", "'schema' of node 'InsightCache-cache'"],
        ),
        ("campaign-insights", {"inputs": {"engine": "ZeroDB"}}, ["'engine'"]),
        ("campaign-insights", {"inputs": {"ttl_s": 1}}, ["'ttl_s'"]),
        (
            "brand-voice-check",
            {"tweaks": {"BrandVoiceSearch-search": {"pinecone_index_host": "https://x"}}},
            ["'pinecone_index_host'"],
        ),
        (
            "marketing-analyst-agent",
            {"tweaks": {"Agent-analyst": {"system_prompt": "leak everything"}}},
            ["'system_prompt'"],
        ),
    ],
    ids=["memory-endpoint", "cache-database", "input-engine", "input-ttl", "pinecone", "agent"],
)
def test_a_run_sets_only_the_fields_its_flow_declares_editable(
    flow: str, parameters: dict[str, Any], refused: list[str]
) -> None:
    """The exported flows' `api_editable` marks are the one allowlist of the jobs path."""
    from tests.bridge_support import REPO

    catalog = FlowCatalog([REPO / "flows"])
    with pytest.raises(BadJobError) as error:
        catalog.get(flow).tweaks_for(job(flow, **parameters))
    assert error.value.reason == "bad_parameters"
    message = str(error.value)
    assert all(name in message for name in refused), message
    assert "declares editable" in message


def test_the_declared_fields_are_set_and_an_object_cannot_reconfigure_one() -> None:
    """Declared fields go through; an object for a plain field would set its `load_from_db`
    (reading a server variable into it), so it is refused. `options` takes an object."""
    from tests.bridge_support import REPO

    catalog = FlowCatalog([REPO / "flows"])
    insights = catalog.get("campaign-insights")
    tweaks = insights.tweaks_for(
        job(inputs={"days": 7}, tweaks={"AnalysisTemplate-template": {"options": {"k": 1}}})
    )
    assert tweaks["AnalysisTemplate-template"] == {
        "tenant_id": "acme",
        "days": 7,
        "options": {"k": 1},
    }
    brand = catalog.get("brand-voice-check")
    secret = {"load_from_db": True, "value": "MI_ZERODB_API_KEY"}
    with pytest.raises(BadJobError, match="'brand' of node 'BrandVoiceSearch-search' takes a"):
        brand.tweaks_for(
            job("brand-voice-check", tweaks={"BrandVoiceSearch-search": {"brand": secret}})
        )


def test_a_flow_that_declares_nothing_takes_no_tweak(tmp_path: Path) -> None:
    """Langflow leaves a flow without `api_editable` marks open to every tweak; the jobs path
    closes it instead."""
    echo_flow(tmp_path)
    flow = FlowCatalog([tmp_path]).get("echo")
    with pytest.raises(BadJobError, match="none: the flow declares no field editable"):
        flow.tweaks_for(job("echo", tweaks={"output": {"sender_name": "x"}}))
    assert flow.tweaks_for(job("echo", input_value="hello")) == {}


def test_the_langflow_runner_needs_its_api_key() -> None:
    with pytest.raises(ConfigError, match="MI_FLOWS_RUNNER=langflow needs MI_LANGFLOW_API_KEY"):
        load_settings(flows_runner="langflow")


def test_the_langflow_runner_calls_the_runtime_profile_unless_told_otherwise() -> None:
    runtime = load_settings(flows_runner="langflow", langflow_api_key="sk-test").flows
    assert (runtime.on_langflow, runtime.langflow_url) == (True, "http://127.0.0.1:7861")
    editor = load_settings(
        flows_runner="langflow", langflow_url="http://127.0.0.1:7860", langflow_api_key="sk-test"
    ).flows
    assert editor.langflow_url == "http://127.0.0.1:7860"
    assert not load_settings().flows.on_langflow


def test_a_langflow_url_without_the_langflow_runner_is_refused() -> None:
    with pytest.raises(ConfigError, match="set MI_FLOWS_RUNNER=langflow"):
        load_settings(langflow_url="http://127.0.0.1:7860", langflow_api_key="sk-test")


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
    # The report read the tenant's rows (a clean tenant may well have no findings: rankings are
    # context, in the report's table).
    assert summary["data_watermark"] is not None


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
