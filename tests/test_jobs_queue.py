"""The flow-runs queue's behaviour, the same for BullMQ on the machine's Redis (a key prefix
per test) and for the in-process queue: jobs complete with a summary, a key runs once, bad jobs
fail at once without stopping the worker, failures are retried and can be retried by hand.
Flows are real lfx flows the tests build; the result sink is a recording one (the cache and
memory sinks arrive with their layers)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from marketing_intel.jobs import (
    FlowRunQueue,
    FlowRunRequest,
    IdempotencyConflictError,
    JobError,
    metrics,
)
from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue, BullMQOptions
from marketing_intel.jobs.in_process_queue import InProcessFlowRunQueue
from tests.jobs_flows import echo_flow, slow_echo_flow
from tests.jobs_support import (
    MACHINE_REDIS_URL,
    RecordingSink,
    delete_prefix,
    processor_for,
    unique_prefix,
    wait_for,
    working,
)

QueueFactory = Callable[..., FlowRunQueue]


@pytest.fixture(params=["bullmq", "in_process"])
def make_queue(request: pytest.FixtureRequest) -> Iterator[QueueFactory]:
    """Builds the queue under test (inside the test's event loop)."""
    prefix = unique_prefix()

    def make(attempts: int = 3, backoff_ms: int = 50) -> FlowRunQueue:
        if request.param == "in_process":
            return InProcessFlowRunQueue(attempts=attempts, backoff_ms=backoff_ms)
        options = BullMQOptions(
            MACHINE_REDIS_URL, prefix=prefix, attempts=attempts, backoff_ms=backoff_ms
        )
        return BullMQFlowRunQueue(options)

    yield make
    if request.param == "bullmq":
        delete_prefix(MACHINE_REDIS_URL, prefix)


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    """A flows folder with `echo` and `slow-echo`."""
    folder = tmp_path / "flows"
    echo_flow(folder)
    slow_echo_flow(folder)
    return folder


def request(
    key: str, flow: str = "echo", tenant: str = "acme", **parameters: Any
) -> FlowRunRequest:
    """A flow-run request."""
    return FlowRunRequest.model_validate(
        {"flow": flow, "tenant_id": tenant, "idempotency_key": key, "parameters": parameters}
    )


def test_a_job_completes_with_its_summary_output_and_timings(
    make_queue: QueueFactory, flows: Path
) -> None:
    async def scenario() -> None:
        queue = make_queue()
        sink = RecordingSink()
        async with working(queue, processor_for(flows, sink)):
            enqueued = await queue.enqueue(request("run-1", input_value="hello"))
            assert enqueued.id == "run-1"
            done = await wait_for(queue, "run-1", ("completed", "failed"))
        await queue.close()
        assert done.state == "completed", done.failed_reason
        assert done.flow == "echo"
        assert done.tenant_id == "acme"
        assert done.result is not None
        assert done.result.summary == {"text": "hello", "truncated": False}
        assert done.result.stored == {"recording": "flow-run:acme:echo:run-1"}
        assert done.result.output is None  # the sink has it
        assert sink.records["flow-run:acme:echo:run-1"].output["texts"] == ["hello"]
        assert done.result.timings.run_ms > 0
        assert done.result.attempt == 1

    asyncio.run(scenario())


def test_with_no_sink_the_full_output_travels_in_the_result(
    make_queue: QueueFactory, flows: Path
) -> None:
    async def scenario() -> None:
        queue = make_queue()
        async with working(queue, processor_for(flows)):
            await queue.enqueue(request("run-2"))
            done = await wait_for(queue, "run-2", ("completed", "failed"))
        await queue.close()
        assert done.result is not None
        assert done.result.stored == {}
        assert done.result.output == {"texts": ["acme"], "data": []}  # input: the tenant

    asyncio.run(scenario())


def test_the_same_key_enqueued_twice_runs_once(
    make_queue: QueueFactory, flows: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    inputs = {"runs_dir": str(runs), "seconds": 0.2}

    async def scenario() -> None:
        queue = make_queue()
        sink = RecordingSink()
        first = await queue.enqueue(request("once", "slow-echo", inputs=inputs))
        async with working(queue, processor_for(flows, sink)):
            second = await queue.enqueue(request("once", "slow-echo", inputs=inputs))
            await wait_for(queue, "once", ("completed",))
            third = await queue.enqueue(request("once", "slow-echo", inputs=inputs))
        assert first.id == second.id == third.id == "once"
        assert third.state == "completed"
        counts = await queue.counts()
        await queue.close()
        assert counts["completed"] == 1
        assert sum(counts.values()) == 1
        assert sink.writes == 1

    asyncio.run(scenario())
    assert len(list(runs.iterdir())) == 1


def test_a_key_reused_for_another_job_is_refused(make_queue: QueueFactory) -> None:
    async def scenario() -> None:
        queue = make_queue()
        await queue.enqueue(request("key-a", tenant="acme"))
        with pytest.raises(IdempotencyConflictError, match="key-a"):
            await queue.enqueue(request("key-a", tenant="globex"))
        await queue.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (request("bad-flow", flow="no-such-flow"), "unknown flow 'no-such-flow'"),
        (request("bad-input", inputs={"no_such_field": 1}), "no node of flow 'echo'"),
        (request("bad-node", tweaks={"nowhere": {"x": 1}}), "has no node 'nowhere'"),
        (request("bad-tenant", inputs={"tenant_id": "other"}), "may not set 'tenant_id'"),
        (request("bad-code", tweaks={"output": {"code": "x"}}), "may not set 'code'"),
        (
            request("undeclared", "slow-echo", tweaks={"slow": {"text": "x", "seconds": 0}}),
            "may not set 'text' of node 'slow' in flow 'slow-echo'",
        ),
    ],
)
def test_a_bad_job_fails_at_once_and_the_worker_carries_on(
    make_queue: QueueFactory, flows: Path, bad: FlowRunRequest, reason: str
) -> None:
    async def scenario() -> None:
        queue = make_queue(attempts=3)
        async with working(queue, processor_for(flows), concurrency=1):
            await queue.enqueue(bad)
            failed = await wait_for(queue, bad.idempotency_key, ("completed", "failed"))
            await queue.enqueue(request("good-after-bad"))
            good = await wait_for(queue, "good-after-bad", ("completed", "failed"))
        await queue.close()
        assert failed.state == "failed"
        assert failed.attempts_made == 1  # no retries
        assert failed.failed_reason is not None
        assert failed.failed_reason.startswith("bad job: ")
        assert reason in failed.failed_reason
        assert good.state == "completed"

    asyncio.run(scenario())


def test_a_failing_flow_is_retried_then_fails_with_its_reason_and_can_be_retried(
    make_queue: QueueFactory, flows: Path, tmp_path: Path
) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    runs = tmp_path / "runs"
    inputs = {"fail_if_exists": str(flag), "runs_dir": str(runs)}

    async def scenario() -> None:
        queue = make_queue(attempts=2, backoff_ms=50)
        async with working(queue, processor_for(flows)):
            await queue.enqueue(request("flaky", "slow-echo", inputs=inputs))
            failed = await wait_for(queue, "flaky", ("failed",))
            assert failed.attempts_made == 2
            assert failed.failed_reason is not None
            assert "asked to fail" in failed.failed_reason
            assert len(list(runs.iterdir())) == 2
            flag.unlink()
            await queue.retry("flaky")
            done = await wait_for(queue, "flaky", ("completed", "failed"))
            assert done.state == "completed"
            with pytest.raises(JobError, match="only failed jobs"):
                await queue.retry("flaky")
        await queue.close()

    asyncio.run(scenario())


def test_metrics_count_runs_and_failures_by_reason(make_queue: QueueFactory, flows: Path) -> None:
    def value(name: str, **labels: str) -> float:
        return metrics.REGISTRY.get_sample_value(name, labels) or 0.0

    completed = value("mi_flow_run_duration_seconds_count", flow="echo", outcome="completed")
    unknown = value("mi_flow_run_failures_total", flow="nope", reason="unknown_flow")

    async def scenario() -> None:
        queue = make_queue()
        async with working(queue, processor_for(flows)):
            await queue.enqueue(request("m-ok"))
            await queue.enqueue(request("m-bad", flow="nope"))
            await wait_for(queue, "m-ok", ("completed",))
            await wait_for(queue, "m-bad", ("failed",))
        metrics.record_depth(await queue.counts())
        await queue.close()

    asyncio.run(scenario())
    assert value("mi_flow_run_duration_seconds_count", flow="echo", outcome="completed") == (
        completed + 1
    )
    assert value("mi_flow_run_failures_total", flow="nope", reason="unknown_flow") == unknown + 1
    assert value("mi_flow_run_jobs", state="failed") == 1
    assert b"mi_flow_run_jobs" in metrics.render()
