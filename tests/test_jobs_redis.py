"""The flow-runs queue across processes on real Redis: the npm `bullmq` client as producer,
`mi worker` processes killed with SIGKILL or stopped with SIGTERM, a redis-server of the test's
own restarted mid-run, raw jobs that no pydantic model checked, and the `mi jobs` commands.
Jobs use a key prefix per test on the machine's Redis and are deleted afterwards."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from marketing_intel.cli import app
from marketing_intel.config import load_settings
from marketing_intel.jobs import FlowRunRequest
from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue, BullMQOptions
from marketing_intel.jobs.cache_sink import InsightCacheSink, flow_run_key
from marketing_intel.jobs.memory_sink import MemorySink
from marketing_intel.memory import MemoryFilter
from tests.jobs_flows import echo_flow, slow_echo_flow
from tests.jobs_support import (
    MACHINE_REDIS_URL,
    delete_prefix,
    free_port,
    processor_for,
    redis_server,
    unique_prefix,
    wait_for,
    wait_until,
    worker_process,
    working,
)

NODE_PROJECT = Path(__file__).parent / "node"


@pytest.fixture(scope="session")
def node_producer() -> Path:
    """The Node.js producer, its npm packages installed from the lock file once."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        pytest.fail("Node.js and npm are needed (apt-get install nodejs npm)", pytrace=False)
    installed = NODE_PROJECT / "node_modules" / ".package-lock.json"
    lock = NODE_PROJECT / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
            cwd=NODE_PROJECT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return NODE_PROJECT / "producer.mjs"


@pytest.fixture
def prefix(machine_redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own on the machine's Redis, deleted afterwards."""
    name = unique_prefix()
    yield name
    delete_prefix(MACHINE_REDIS_URL, name)


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    """A flows folder with `echo` and `slow-echo`."""
    folder = tmp_path / "flows"
    echo_flow(folder)
    slow_echo_flow(folder)
    return folder


def worker_env(url: str, prefix: str, flows: Path, **settings: str) -> dict[str, str]:
    """`MI_` settings of a worker process on `url` with `prefix`."""
    env = {"MI_REDIS_URL": url, "MI_JOBS_PREFIX": prefix, "MI_FLOWS_PATH": str(flows)}
    env.update({f"MI_{name.upper()}": value for name, value in settings.items()})
    return env


def bullmq_queue(url: str, prefix: str, **options: Any) -> BullMQFlowRunQueue:
    """Our queue on `url` with `prefix`."""
    return BullMQFlowRunQueue(BullMQOptions(url, prefix=prefix, **options))


def counts(url: str, prefix: str) -> dict[str, int]:
    """The queue's job counts per state, read with a fresh connection."""

    async def read() -> dict[str, int]:
        queue = bullmq_queue(url, prefix)
        try:
            return await queue.counts()
        finally:
            await queue.close()

    return asyncio.run(read())


def enqueue(url: str, prefix: str, *requests: dict[str, Any]) -> None:
    """Add flow-run requests through our queue."""

    async def add() -> None:
        queue = bullmq_queue(url, prefix)
        try:
            for item in requests:
                await queue.enqueue(FlowRunRequest.model_validate(item))
        finally:
            await queue.close()

    asyncio.run(add())


def status(url: str, prefix: str, job_id: str) -> Any:
    """One job's status."""

    async def read() -> Any:
        queue = bullmq_queue(url, prefix)
        try:
            return await queue.status(job_id)
        finally:
            await queue.close()

    return asyncio.run(read())


def test_a_node_bullmq_producer_drives_our_worker(
    node_producer: Path, prefix: str, flows: Path, tmp_path: Path
) -> None:
    jobs = [
        {"id": f"node-{n}", "data": {"flow": "echo", "tenant_id": "acme", "parameters": {}}}
        for n in range(3)
    ]
    jobs.append({"id": "node-bad", "data": {"flow": "echo", "parameters": {}}})
    jobs.append({"id": "node-0", "data": jobs[0]["data"]})  # the same key again: one job
    producer_input = {
        "url": MACHINE_REDIS_URL,
        "prefix": prefix,
        "queue": "flow-runs",
        "jobs": jobs,
        "timeoutMs": 120_000,
    }
    with worker_process(worker_env(MACHINE_REDIS_URL, prefix, flows), tmp_path / "worker.log"):
        run = subprocess.run(
            ["node", str(node_producer)],
            input=json.dumps(producer_input),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    outcomes = {outcome["id"]: outcome for outcome in json.loads(run.stdout)}
    cache = InsightCacheSink.from_settings(load_settings())  # the worker's, under ./.mi
    memory = MemorySink.from_settings(load_settings())
    for n in range(3):
        outcome = outcomes[f"node-{n}"]
        assert outcome["state"] == "completed"
        assert outcome["returnvalue"]["summary"] == {"text": "acme", "truncated": False}
        assert outcome["returnvalue"]["flow"] == "echo"
        assert outcome["returnvalue"]["timings"]["run_ms"] > 0
        # Where the full result went, as Node reads it: the cache key and the memory id.
        stored = outcome["returnvalue"]["stored"]
        assert stored["cache"] == flow_run_key("acme", "echo", f"node-{n}").digest
        full = cache.read("acme", "echo", f"node-{n}")
        assert full is not None and full["output"]["texts"] == ["acme"]
        assert memory.memories.get(stored["memory"], tenant="acme") is not None
        assert outcome["returnvalue"]["output"] is None
    asyncio.run(memory.aclose())
    bad = outcomes["node-bad"]
    assert bad["state"] == "failed"
    assert bad["attemptsMade"] == 1  # the producer asked for 3: a bad job is not retried
    # Plain text, as Node's own workers write it (not JSON-quoted).
    assert bad["failedReason"].startswith("bad job: malformed job: tenant_id: Field required")
    assert bad["failedReason"] == status(MACHINE_REDIS_URL, prefix, "node-bad").failed_reason
    assert counts(MACHINE_REDIS_URL, prefix) == {
        "waiting": 0,
        "delayed": 0,
        "active": 0,
        "completed": 3,
        "failed": 1,
    }


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            {"flow": "echo", "tenant_id": "", "parameters": {}},
            "tenant_id: Value error, A tenant id",
        ),
        ({"flow": "echo", "tenant_id": "acme", "parameters": "days=3"}, "parameters: Input"),
        ({"flow": "echo", "tenant_id": "acme", "parameters": {"days": 3}}, "parameters.days"),
        ({"tenant_id": "acme"}, "flow: Field required"),
        (
            {
                "flow": "echo",
                "tenant_id": "acme",
                "parameters": {"inputs": {"start_date": "2026-03-01", "end_date": "2026-01-01"}},
            },
            "bad window (the window starts (2026-03-01) after it ends (2026-01-01)",
        ),
        (["not", "an", "object"], "the job's data"),
    ],
)
def test_a_raw_malformed_job_fails_at_once(
    prefix: str, flows: Path, data: Any, reason: str
) -> None:
    async def scenario() -> None:
        queue = bullmq_queue(MACHINE_REDIS_URL, prefix)
        async with working(queue, processor_for(flows)):
            await queue.queue.add("echo", data, {"jobId": "raw", "attempts": 3})
            failed = await wait_for(queue, "raw", ("completed", "failed"))
        raw = await queue.queue.client.hget(f"{prefix}:flow-runs:raw", "failedReason")
        await queue.close()
        assert failed.state == "failed"
        assert failed.attempts_made == 1
        assert failed.failed_reason is not None
        assert failed.failed_reason.startswith("bad job: malformed job: ")
        assert reason in failed.failed_reason
        assert raw == failed.failed_reason  # stored plain, as Node's client does

    asyncio.run(scenario())


def test_a_job_of_a_killed_worker_is_finished_by_another(
    prefix: str, flows: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    env = worker_env(
        MACHINE_REDIS_URL,
        prefix,
        flows,
        jobs_lock_duration_ms="2000",
        jobs_stalled_interval_ms="500",
    )
    inputs = {"runs_dir": str(runs), "seconds": 4}
    enqueue(
        MACHINE_REDIS_URL,
        prefix,
        {
            "flow": "slow-echo",
            "tenant_id": "acme",
            "idempotency_key": "crash",
            "parameters": {"inputs": inputs},
        },
    )
    with worker_process(env, tmp_path / "first.log") as first:
        wait_until(lambda: runs.exists() and any(runs.iterdir()), "the first worker to start")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert status(MACHINE_REDIS_URL, prefix, "crash").state == "active"  # orphaned
    with worker_process(env, tmp_path / "second.log"):
        wait_until(
            lambda: status(MACHINE_REDIS_URL, prefix, "crash").state == "completed",
            "the second worker to finish the job",
            timeout=120,
        )
    final = status(MACHINE_REDIS_URL, prefix, "crash")
    assert final.result.summary == {"text": "echo: acme", "truncated": False}
    assert counts(MACHINE_REDIS_URL, prefix)["completed"] == 1
    assert sum(counts(MACHINE_REDIS_URL, prefix).values()) == 1
    assert len(list(runs.iterdir())) == 2  # started twice, finished once
    # One result in each store (the workers' embedded stores under ./.mi).
    cache = InsightCacheSink.from_settings(load_settings())
    assert cache.cache.stats("acme").by_template == {"flow_run": 1}
    memory = MemorySink.from_settings(load_settings())
    (remembered,) = memory.memories.list(MemoryFilter(tenant="acme")).records
    assert remembered.id == final.result.stored["memory"]
    asyncio.run(memory.aclose())


def test_sigterm_lets_the_running_job_finish(prefix: str, flows: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    inputs = {"runs_dir": str(runs), "seconds": 2}
    enqueue(
        MACHINE_REDIS_URL,
        prefix,
        {
            "flow": "slow-echo",
            "tenant_id": "acme",
            "idempotency_key": "term",
            "parameters": {"inputs": inputs},
        },
        {"flow": "echo", "tenant_id": "acme", "idempotency_key": "after-term"},
    )
    port = free_port()
    env = worker_env(MACHINE_REDIS_URL, prefix, flows, jobs_metrics_port=str(port))
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until(lambda: runs.exists() and any(runs.iterdir()), "the job to start")
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'mi_flow_run_jobs{state="waiting"}' in scraped
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    assert status(MACHINE_REDIS_URL, prefix, "term").state == "completed"
    assert status(MACHINE_REDIS_URL, prefix, "after-term").state == "waiting"  # not taken


def test_the_worker_rides_out_a_redis_restart(flows: Path, tmp_path: Path) -> None:
    prefix = "restart"
    total = 12
    inputs = {"seconds": 0.3}
    requests = [
        {
            "flow": "slow-echo",
            "tenant_id": "acme",
            "idempotency_key": f"r-{n}",
            "parameters": {"inputs": inputs},
        }
        for n in range(total)
    ]
    with redis_server(tmp_path / "redis") as server:
        enqueue(server.url, prefix, *requests)
        env = worker_env(
            server.url, prefix, flows, jobs_lock_duration_ms="5000", jobs_stalled_interval_ms="1000"
        )
        with worker_process(env, tmp_path / "worker.log") as worker:
            wait_until(lambda: counts(server.url, prefix)["completed"] >= 2, "the first jobs", 120)
            assert counts(server.url, prefix)["completed"] < total  # restarted mid-processing
            server.stop()
            server.start()
            wait_until(
                lambda: counts(server.url, prefix)["completed"] == total,
                "every job to complete after the restart",
                timeout=180,
            )
            assert worker.poll() is None  # still running
        final = counts(server.url, prefix)
    assert final == {"waiting": 0, "delayed": 0, "active": 0, "completed": total, "failed": 0}


def test_mi_jobs_list_show_retry(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MI_REDIS_URL", MACHINE_REDIS_URL)
    monkeypatch.setenv("MI_JOBS_PREFIX", prefix)
    runner = CliRunner()
    added = runner.invoke(app, ["jobs", "enqueue", "echo", "--tenant", "acme", "--key", "cli-1"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["state"] == "waiting"
    listed = runner.invoke(app, ["jobs", "list", "--json"])
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == ["cli-1"]
    shown = runner.invoke(app, ["jobs", "show", "cli-1"])
    assert json.loads(shown.stdout)["flow"] == "echo"
    retried = runner.invoke(app, ["jobs", "retry", "cli-1"])
    assert retried.exit_code == 1
    assert "only failed jobs can be retried" in retried.stderr
    missing = runner.invoke(app, ["jobs", "show", "nope"])
    assert missing.exit_code == 1
    assert "no job 'nope'" in missing.stderr


def test_mi_worker_without_redis_says_what_to_set() -> None:
    runner = CliRunner()
    refused = runner.invoke(app, ["worker"])
    assert refused.exit_code == 1
    assert "MI_REDIS_URL is not set" in refused.stderr
    quiet = runner.invoke(app, ["worker", "--if-configured"])
    assert quiet.exit_code == 0
