"""Jobs run through the Langflow API runner against the session's real Langflow server
(tests/langflow_server.py): a campaign-insights job on real Redis whose stored result is the
report the template computes on the same data, and each kind of answer the server gives to a
job it cannot run (unknown flow, refused key, refused tweak, failing node)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flow_runners import LangflowAPIRunner
from marketing_intel.analysis import Window, run_template
from marketing_intel.config import Settings, load_settings
from marketing_intel.jobs import (
    BadJobError,
    FlowRunError,
    FlowRunJob,
    FlowRunParameters,
    FlowRunRequest,
)
from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue, BullMQOptions
from marketing_intel.jobs.cache_sink import InsightCacheSink
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.results import insight_report, report_summary
from marketing_intel.jobs.runners import FlowOutput
from marketing_intel.jobs.worker import processor_from_settings
from marketing_intel.lake import DuckDBLake
from tests.jobs_support import MACHINE_REDIS_URL, delete_prefix, unique_prefix, wait_for, working
from tests.lake_pair import assert_same
from tests.langflow_server import REPO_ROOT, LangflowServer

pytestmark = pytest.mark.langflow_server


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own on the machine's Redis, deleted afterwards."""
    name = unique_prefix()
    yield name
    delete_prefix(MACHINE_REDIS_URL, name)


def server_settings(server: LangflowServer, home: Path, **overrides: Any) -> Settings:
    """Settings of a worker whose runs go to `server`, with the repository's flows."""
    given = {
        "flows_runner": "langflow",
        "langflow_url": server.url,
        "langflow_api_key": server.api_key,
        **overrides,
    }
    return load_settings(home=home, flows_path=REPO_ROOT / "flows", **given)


def demo_window(server: LangflowServer) -> Window:
    """Three weeks of complete days that end on the demo data's last day."""
    return Window(start=server.data_end - dt.timedelta(days=20), end=server.data_end)


def test_a_job_run_on_langflow_stores_the_templates_report(
    langflow_server: LangflowServer, tmp_path: Path, prefix: str
) -> None:
    settings = server_settings(langflow_server, tmp_path / "home")
    processor = processor_from_settings(settings)
    assert isinstance(processor.runner, LangflowAPIRunner)
    window = demo_window(langflow_server)
    inputs = {"start_date": window.start.isoformat(), "end_date": window.end.isoformat()}
    request = FlowRunRequest(
        flow="campaign-insights",
        tenant_id="demo-2",
        idempotency_key="on-langflow",
        parameters=FlowRunParameters(inputs=inputs),
    )

    async def scenario() -> Any:
        queue = BullMQFlowRunQueue(BullMQOptions(MACHINE_REDIS_URL, prefix=prefix))
        async with working(queue, processor):
            await queue.enqueue(request)
            done = await wait_for(queue, "on-langflow", ("completed", "failed"), timeout=300)
        await queue.close()
        await processor.aclose()
        return done

    done = asyncio.run(scenario())
    assert done.state == "completed", done.failed_reason
    cache_sink = processor.sinks[0]
    assert isinstance(cache_sink, InsightCacheSink)
    full = cache_sink.read("demo-2", "campaign-insights", "on-langflow")
    assert full is not None
    report = insight_report(FlowOutput(texts=full["output"]["texts"], data=full["output"]["data"]))
    assert report is not None, full["output"]

    # The template on the server's data, at the server run's `now`.
    lake = DuckDBLake(langflow_server.reference_lake_path)
    try:
        direct = run_template("campaign_insights", lake, "demo-2", window, now=report.generated_at)
    finally:
        lake.close()
    # demo-2 is a clean tenant: few or no findings, but a table of campaigns to compare.
    assert report.table, "the demo data should give campaigns to compare"
    assert_same(report.model_dump(mode="json"), direct.model_dump(mode="json"))
    assert done.result.summary == report_summary(direct)
    assert done.result.summary["tenant_id"] == "demo-2"


def run_on(runner: LangflowAPIRunner, job: dict[str, Any] | FlowRunJob) -> FlowOutput:
    """Run one job with the runner, then close it."""

    async def run() -> FlowOutput:
        try:
            valid = job if isinstance(job, FlowRunJob) else FlowRunJob.model_validate(job)
            return await runner.run(valid)
        finally:
            await runner.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("job", "error", "message"),
    [
        (
            {"flow": "no-such-flow", "tenant_id": "demo-1"},
            BadJobError,
            "unknown flow 'no-such-flow': Langflow has no flow with this endpoint name",
        ),
        (
            # The worker's copy of the flow refuses it before anything is sent.
            {
                "flow": "roi-optimization",
                "tenant_id": "demo-1",
                "parameters": {"tweaks": {"ChatOutput-report": {"sender_name": "someone"}}},
            },
            BadJobError,
            "may not set 'sender_name' of node 'ChatOutput-report' in flow 'roi-optimization'",
        ),
        (
            # The job model refuses this window before any run (a bad job); built without that
            # check here so that the real server's node fails on it, as a node failure does.
            FlowRunJob.model_construct(
                flow="campaign-insights",
                tenant_id="demo-1",
                parameters=FlowRunParameters.model_construct(
                    input_value=None,
                    inputs={"start_date": "2026-10-31", "end_date": "2026-10-01"},
                    tweaks={},
                ),
            ),
            FlowRunError,
            r"Langflow failed to run 'campaign-insights' \(500\).*swap the dates",
        ),
    ],
    ids=["unknown-flow", "refused-tweak", "failing-node"],
)
def test_the_api_runner_tells_bad_jobs_from_failures(
    langflow_server: LangflowServer,
    tmp_path: Path,
    job: dict[str, Any] | FlowRunJob,
    error: type[Exception],
    message: str,
) -> None:
    settings = server_settings(langflow_server, tmp_path)
    runner = LangflowAPIRunner(settings, FlowCatalog.from_folder(settings.flows.path))
    with pytest.raises(error, match=message):
        run_on(runner, job)


def test_a_tweak_the_server_refuses_is_a_bad_job(
    langflow_server: LangflowServer, tmp_path: Path
) -> None:
    """A worker whose copy of the flow declares more than the server's: the server's own
    declared policy (LANGFLOW_TWEAKS_POLICY=declared) refuses the tweak, and that is a bad job."""
    flows = tmp_path / "flows"
    flows.mkdir()
    document = json.loads((REPO_ROOT / "flows" / "roi-optimization.json").read_text())
    for node in document["data"]["nodes"]:
        if node["id"] == "ChatOutput-report":
            node["data"]["node"]["template"]["sender_name"]["api_editable"] = True
    (flows / "roi-optimization.json").write_text(json.dumps(document), encoding="utf-8")
    runner = LangflowAPIRunner(server_settings(langflow_server, tmp_path), FlowCatalog([flows]))
    job = {
        "flow": "roi-optimization",
        "tenant_id": "demo-1",
        "parameters": {"tweaks": {"ChatOutput-report": {"sender_name": "someone"}}},
    }
    with pytest.raises(
        BadJobError, match=r"Langflow refused the run of 'roi-optimization'.*TWEAKS"
    ):
        run_on(runner, job)


def test_a_wrong_api_key_is_an_outage_to_retry(
    langflow_server: LangflowServer, tmp_path: Path
) -> None:
    settings = server_settings(langflow_server, tmp_path, langflow_api_key="sk-not-a-key")
    runner = LangflowAPIRunner(settings, FlowCatalog.from_folder(settings.flows.path))
    with pytest.raises(FlowRunError, match="Langflow refused the API key; check MI_LANGFLOW"):
        run_on(runner, {"flow": "campaign-insights", "tenant_id": "demo-1"})
