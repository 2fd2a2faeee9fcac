"""The result sinks on the real embedded stores: the insight cache (SQLite) keeps each job's full
record and agent memory (sqlite-vec, the offline MiniLM embedder) its summary, once per job and
per tenant; a job on real Redis names both in its result, and a sink that fails makes the job
retry without losing or doubling anything."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from flow_runners import open_runner
from marketing_intel.cache import CacheKey, open_cache
from marketing_intel.cache.single_flight import lock_bucket
from marketing_intel.cache.sqlite_cache import LOCK_BUCKETS
from marketing_intel.cli import app
from marketing_intel.config import Settings, load_settings
from marketing_intel.jobs import FlowRunRecord, FlowRunRequest
from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue, BullMQOptions
from marketing_intel.jobs.cache_sink import FLOW_RUN_TEMPLATE, InsightCacheSink, flow_run_key
from marketing_intel.jobs.memory_sink import FLOW_RUN_TAG, MemorySink
from marketing_intel.jobs.processing import FlowRunProcessor
from marketing_intel.jobs.worker import processor_from_settings
from marketing_intel.memory import MemoryFilter
from tests.jobs_flows import echo_flow
from tests.jobs_support import MACHINE_REDIS_URL, delete_prefix, unique_prefix, wait_for, working
from tests.zerodb_standin import API_KEY as ZERODB_KEY
from tests.zerodb_standin import PROJECT_ID as ZERODB_PROJECT
from tests.zerodb_standin import StandInZeroDB


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded stores under the test's folder; flows in its `flows/` (with `echo`)."""
    echo_flow(tmp_path / "flows")
    return load_settings(home=tmp_path / "home", flows_path=tmp_path / "flows")


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own on the machine's Redis, deleted afterwards."""
    name = unique_prefix()
    yield name
    delete_prefix(MACHINE_REDIS_URL, name)


def record(text: str, tenant: str = "acme", job_id: str = "job-1") -> FlowRunRecord:
    """A finished echo run."""
    return FlowRunRecord(
        job_id=job_id,
        flow="echo",
        tenant_id=tenant,
        summary={"text": text, "truncated": False},
        output={"texts": [text], "data": []},
        finished_at=dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC),
    )


def test_the_cache_sink_keeps_the_first_record_of_a_job(settings: Settings) -> None:
    sink = InsightCacheSink.from_settings(settings)
    first = asyncio.run(sink.store(record("first run")))
    again = asyncio.run(sink.store(record("a re-run after a crash")))
    assert first == again == flow_run_key("acme", "echo", "job-1").digest
    stored = sink.read("acme", "echo", "job-1")
    assert stored is not None
    assert stored["output"] == {"texts": ["first run"], "data": []}
    assert stored["finished_at"] == "2026-11-27T12:00:00+00:00"
    stats = sink.cache.stats("acme")
    assert stats.by_template == {FLOW_RUN_TEMPLATE: 1}
    # Kept as long as the job is (MI_JOBS_KEEP_DAYS), not the reports' 10 minutes.
    entry = sink.cache.peek(flow_run_key("acme", "echo", "job-1"))
    assert entry is not None and entry.expires_at is not None and entry.stored_at is not None
    assert entry.expires_at - entry.stored_at == dt.timedelta(days=settings.jobs.keep_days)


def test_the_cache_sink_is_tenant_scoped(settings: Settings) -> None:
    sink = InsightCacheSink.from_settings(settings)
    asyncio.run(sink.store(record("for acme", tenant="acme")))
    asyncio.run(sink.store(record("for globex", tenant="globex")))
    acme, globex = sink.read("acme", "echo", "job-1"), sink.read("globex", "echo", "job-1")
    assert acme is not None and acme["summary"]["text"] == "for acme"
    assert globex is not None and globex["summary"]["text"] == "for globex"
    # A tenant reading another tenant's key (the digest in a job's result) finds nothing.
    globex_digest = flow_run_key("globex", "echo", "job-1").digest
    assert sink.cache.get(CacheKey("acme", FLOW_RUN_TEMPLATE, globex_digest)) is None
    assert sink.cache.stats("acme").entries == 1


@pytest.mark.parametrize("backend", ["local", "zerodb"])
def test_the_memory_sink_remembers_a_job_once_for_its_tenant(
    settings: Settings, backend: str, zerodb_server: StandInZeroDB
) -> None:
    """On the embedded store and on ZeroDB's API (our stand-in server, tests/zerodb_standin.py:
    ZeroDB has no local edition), as the settings choose."""
    if backend == "zerodb":
        memory = settings.memory.model_copy(
            update={
                "backend": "zerodb",
                "zerodb_base_url": zerodb_server.url,
                "zerodb_api_key": SecretStr(ZERODB_KEY),
                "zerodb_project_id": ZERODB_PROJECT,
            }
        )
        settings = settings.model_copy(update={"memory": memory})
    sink = MemorySink.from_settings(settings)
    try:
        first = asyncio.run(sink.store(record("ROAS fell 30% on the spring campaign")))
        again = asyncio.run(sink.store(record("a re-run says something else")))
        assert first == again
        if backend == "zerodb":  # the re-run wrote nothing
            assert [r.method for r in zerodb_server.requests].count("PUT") == 1
        memories = sink.memories.list(MemoryFilter(tenant="acme"))
        assert [memory.id for memory in memories.records] == [first]
        (memory,) = memories.records
        assert memory.content == "ROAS fell 30% on the spring campaign"
        assert memory.kind == "insight"
        assert (memory.agent, memory.session) == ("echo", "job-1")
        assert memory.tags == (FLOW_RUN_TAG, "echo")
        assert memory.metadata["job_id"] == "job-1"
        recalled = sink.memories.recall("spring campaign ROAS", 1, MemoryFilter(tenant="acme"))
        assert [found.id for found in recalled] == [first]
        assert sink.memories.get(first, tenant="globex") is None
        assert sink.memories.list(MemoryFilter(tenant="globex")).records == []
    finally:
        asyncio.run(sink.aclose())


def test_a_job_names_where_its_result_is_and_a_rerun_changes_nothing(
    settings: Settings, prefix: str
) -> None:
    async def scenario() -> None:
        queue = BullMQFlowRunQueue(BullMQOptions(MACHINE_REDIS_URL, prefix=prefix))
        processor = processor_from_settings(settings)
        request = FlowRunRequest(flow="echo", tenant_id="acme", idempotency_key="stored-1")
        async with working(queue, processor):
            await queue.enqueue(request)
            done = await wait_for(queue, "stored-1", ("completed", "failed"))
        await queue.close()
        assert done.state == "completed", done.failed_reason
        assert done.result is not None
        stored = done.result.stored
        assert set(stored) == {"cache", "memory"}
        assert done.result.output is None  # the full output is in the cache, not the job
        cache_sink, memory_sink = processor.sinks
        assert isinstance(cache_sink, InsightCacheSink)
        assert isinstance(memory_sink, MemorySink)
        full = cache_sink.read("acme", "echo", "stored-1")
        assert full is not None
        assert stored["cache"] == flow_run_key("acme", "echo", "stored-1").digest
        assert full["output"]["texts"] == ["acme"]
        assert memory_sink.memories.get(stored["memory"], tenant="acme") is not None

        # The same job again (as after a worker died past its writes): the same places, and
        # still one record in each store.
        again = await processor(
            "stored-1", request.job().model_dump(), attempt=2, enqueued_at=dt.datetime.now(dt.UTC)
        )
        assert again.stored == stored
        assert cache_sink.cache.stats("acme").entries == 1
        assert cache_sink.read("acme", "echo", "stored-1") == full
        assert len(memory_sink.memories.list(MemoryFilter(tenant="acme")).records) == 1
        await processor.aclose()

    asyncio.run(scenario())


def test_a_failing_sink_makes_the_job_retry_and_the_retry_stores_once(
    settings: Settings, prefix: str
) -> None:
    """Another writer holds the record's key in the cache (its cross-process lock) for longer
    than this worker may wait: the first attempt fails with the cache's reason, and the retry,
    once the key is free, stores the result."""
    cache = open_cache(settings)
    cache.lock_wait_s = 0.3
    key = flow_run_key("acme", "echo", "retried")
    lock_file = settings.cache_path.with_name(settings.cache_path.name + ".locks")
    lock_file /= f"{lock_bucket(key, LOCK_BUCKETS):02x}.lock"
    memory = MemorySink.from_settings(settings)
    processor = FlowRunProcessor(open_runner(settings), [InsightCacheSink(cache, 3600.0), memory])

    async def scenario() -> None:
        queue = BullMQFlowRunQueue(
            BullMQOptions(MACHINE_REDIS_URL, prefix=prefix, attempts=3, backoff_ms=1000)
        )
        holder = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(holder, fcntl.LOCK_EX)
            async with working(queue, processor):
                await queue.enqueue(
                    FlowRunRequest(flow="echo", tenant_id="acme", idempotency_key="retried")
                )
                while not ((status := await queue.status("retried")) and status.attempts_made):
                    await asyncio.sleep(0.05)
                assert status.state in ("delayed", "waiting", "active")  # to be tried again
                assert status.failed_reason is not None
                assert "storing the result of job 'retried' in the cache failed" in (
                    status.failed_reason
                )
                assert "retry later" in status.failed_reason
                raw = await queue.queue.client.hget(f"{prefix}:flow-runs:retried", "failedReason")
                assert raw == status.failed_reason  # plain text on a retry too
                fcntl.flock(holder, fcntl.LOCK_UN)  # the other writer is done
                done = await wait_for(queue, "retried", ("completed", "failed"))
        finally:
            os.close(holder)
            await queue.close()
        assert done.state == "completed", done.failed_reason
        assert done.result is not None and done.result.attempt == 2
        assert set(done.result.stored) == {"cache", "memory"}
        assert cache.stats("acme").entries == 1
        assert len(memory.memories.list(MemoryFilter(tenant="acme")).records) == 1
        await processor.aclose()

    asyncio.run(scenario())


def test_mi_jobs_show_says_where_the_result_is(
    settings: Settings, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def complete() -> None:
        queue = BullMQFlowRunQueue(BullMQOptions(MACHINE_REDIS_URL, prefix=prefix))
        processor = processor_from_settings(settings)
        async with working(queue, processor):
            await queue.enqueue(FlowRunRequest(flow="echo", tenant_id="acme", idempotency_key="s"))
            await wait_for(queue, "s", ("completed",))
        await queue.close()
        await processor.aclose()

    asyncio.run(complete())
    monkeypatch.setenv("MI_REDIS_URL", MACHINE_REDIS_URL)
    monkeypatch.setenv("MI_JOBS_PREFIX", prefix)
    monkeypatch.setenv("MI_HOME", str(settings.home))
    shown = CliRunner().invoke(app, ["jobs", "show", "s", "--full"])
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    where = document["stored_in"]
    assert where["cache"] == {
        "store": f"insight cache ({settings.cache_path})",
        "tenant_id": "acme",
        "template": FLOW_RUN_TEMPLATE,
        "key": flow_run_key("acme", "echo", "s").digest,
    }
    assert where["memory"]["store"] == f"agent memory ({settings.memory_file})"
    assert where["memory"]["id"] == document["result"]["stored"]["memory"]
    assert document["full_result"]["output"] == {"texts": ["acme"], "data": []}


def test_concurrent_jobs_are_each_remembered_once_and_a_failed_write_fails_each(
    settings: Settings,
) -> None:
    sink = MemorySink.from_settings(settings)
    jobs = [record(f"finding number {n}", job_id=f"job-{n}") for n in range(6)]

    async def store_all() -> list[str]:
        return list(await asyncio.gather(*(sink.store(job) for job in [*jobs, jobs[0]])))

    ids = asyncio.run(store_all())
    assert ids[-1] == ids[0]  # the same job twice in one batch: one memory
    listed = sink.memories.list(MemoryFilter(tenant="acme")).records
    assert sorted(memory.id for memory in listed) == sorted(set(ids))
    assert {memory.session for memory in listed} == {f"job-{n}" for n in range(6)}

    sink.memories.close()  # a store that cannot write: every job of the batch gets its error
    failing = [record("after close", job_id=f"late-{n}") for n in range(3)]

    async def store_failing() -> list[BaseException | str]:
        return list(
            await asyncio.gather(*(sink.store(job) for job in failing), return_exceptions=True)
        )

    outcomes = asyncio.run(store_failing())
    assert all(isinstance(outcome, Exception) for outcome in outcomes), outcomes
