"""Queue overhead: jobs/s through our flow-runs worker against a bare BullMQ Python worker.

Same Redis (MI_BENCH_REDIS_URL, default the machine's 127.0.0.1:6379, under a key prefix of its
own, deleted afterwards), same jobs, same concurrency. Each run enqueues JOBS jobs first, then
times a worker from start until all are completed.
- baseline: a bare `bullmq.Worker` whose processor returns at once;
- ours, no-op flow: our worker (validation, summary, result model, metrics) with a runner whose
  flow does nothing: the overhead our layer adds to the queue. Target: at least 50% of the bare
  worker's jobs/s;
- ours, no-op flow, result sinks on: the same with the worker's result sinks on embedded stores
  (a fresh folder per run): each job's record written to the insight cache (SQLite) and its
  summary embedded (MiniLM, int8 ONNX) and remembered in agent memory (sqlite-vec), as `mi
  worker` does. For information: this is what storing a result costs (about 1 ms a job on 2
  cores, mostly two durable commits and an embedding), work the worker does for each job like
  its flow's, not overhead of the queue;
- ours, lfx echo flow: for information, a real ChatInput -> ChatOutput flow run in process by
  lfx (what a minimal flow costs on top).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import redis
from bullmq import Job, Queue, Worker

from bench.size import sized
from flow_runners import LfxRunner
from marketing_intel.config import load_settings
from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue, BullMQOptions
from marketing_intel.jobs.flows import FlowCatalog
from marketing_intel.jobs.models import FlowRunJob
from marketing_intel.jobs.processing import FlowRunProcessor
from marketing_intel.jobs.runners import FlowOutput
from marketing_intel.jobs.worker import result_sinks
from marketing_intel.shared_instances import close_shared

REDIS_URL = os.environ.get("MI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
JOBS = sized(1000, 20)
LFX_JOBS = sized(200, 5)
CONCURRENCY = 4
REPEAT = sized(3, 1)


# Numbers the no-op runs across the process: each run's text is new, so the memory sink embeds
# every summary (the process-wide cache of known vectors would skip a text it has seen).
RUNS = itertools.count()


class NoOpRunner:
    """A flow that does nothing: returns a short text of its own at once."""

    async def run(self, job: FlowRunJob) -> FlowOutput:
        """Nothing to run."""
        return FlowOutput(texts=[f"No-op run {next(RUNS)} for {job.tenant_id}."])

    async def aclose(self) -> None:
        """Nothing to release."""


async def _fill(prefix: str, jobs: int, flow: str) -> None:
    queue = Queue("flow-runs", {"connection": REDIS_URL, "prefix": prefix})
    data = {"flow": flow, "tenant_id": "bench", "parameters": {}}
    for start in range(0, jobs, 500):
        batch = range(start, min(start + 500, jobs))
        await queue.addBulk(
            [{"name": flow, "data": data, "opts": {"jobId": f"j{n}"}} for n in batch]
        )
    await queue.close()


async def _time_until_done(prefix: str, jobs: int, start: Callable[[], Awaitable[Any]]) -> float:
    counter = Queue("flow-runs", {"connection": REDIS_URL, "prefix": prefix})
    started = time.perf_counter()
    stop = await start()
    while sum((counts := await counter.getJobCounts("completed", "failed")).values()) < jobs:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    await stop()
    await counter.close()
    if counts["failed"]:
        raise RuntimeError(f"{counts['failed']} of {jobs} bench jobs failed (prefix {prefix})")
    return elapsed


async def _bare(prefix: str, jobs: int) -> float:
    async def process(job: Job, token: str) -> None:
        return None

    async def start() -> Callable[[], Awaitable[None]]:
        options = {"connection": REDIS_URL, "prefix": prefix, "concurrency": CONCURRENCY}
        worker = Worker("flow-runs", process, options)
        return worker.close

    return await _time_until_done(prefix, jobs, start)


async def _ours(prefix: str, jobs: int, processor: FlowRunProcessor) -> float:
    queue = BullMQFlowRunQueue(BullMQOptions(REDIS_URL, prefix=prefix))
    stopping = asyncio.Event()

    async def start() -> Callable[[], Awaitable[None]]:
        task = asyncio.create_task(
            queue.work(processor, concurrency=CONCURRENCY, stopping=stopping)
        )

        async def stop() -> None:
            stopping.set()
            await task
            await queue.close()

        return stop

    return await _time_until_done(prefix, jobs, start)


async def _with_sinks(prefix: str, jobs: int) -> float:
    """Our worker with the no-op flow and the result sinks on fresh embedded stores."""
    with tempfile.TemporaryDirectory() as home:
        processor = FlowRunProcessor(NoOpRunner(), result_sinks(load_settings(home=Path(home))))
        try:
            return await _ours(prefix, jobs, processor)
        finally:
            await processor.aclose()
            close_shared()


def _once(jobs: int, flow: str, run: Callable[[str], Coroutine[Any, Any, float]]) -> float:
    """Jobs/s of one run on a fresh prefix (deleted afterwards)."""
    prefix = f"mi-bench-{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_fill(prefix, jobs, flow))
        return jobs / asyncio.run(run(prefix))
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def main() -> None:
    """Measure the three workers and print jobs/s and the ratio to the bare worker."""
    from marketing_intel.embeddings import local_embeddings
    from tests.jobs_flows import echo_flow

    local_embeddings().embed_query("warm-up")  # the model loads once per process, not per run
    noop = FlowRunProcessor(NoOpRunner())
    bare_rates, our_rates, sink_rates = [], [], []
    for _ in range(REPEAT):  # alternated, so a busy moment of the machine hits all
        bare_rates.append(_once(JOBS, "noop", lambda prefix: _bare(prefix, JOBS)))
        our_rates.append(_once(JOBS, "noop", lambda prefix: _ours(prefix, JOBS, noop)))
        sink_rates.append(_once(JOBS, "noop", lambda prefix: _with_sinks(prefix, JOBS)))
    bare, ours = statistics.median(bare_rates), statistics.median(our_rates)
    sinks = statistics.median(sink_rates)
    with tempfile.TemporaryDirectory() as folder:
        echo_flow(Path(folder))
        lfx = FlowRunProcessor(LfxRunner(FlowCatalog([Path(folder)])))
        asyncio.run(lfx.runner.run(FlowRunJob(flow="echo", tenant_id="warm-up")))
        echo = _once(LFX_JOBS, "echo", lambda prefix: _ours(prefix, LFX_JOBS, lfx))
    print(f"jobs: {JOBS} jobs, concurrency {CONCURRENCY}, median of {REPEAT} runs, {REDIS_URL}")
    print(f"  bare bullmq worker (baseline):  {bare:8.0f} jobs/s")
    print(
        f"  ours, no-op flow:               {ours:8.0f} jobs/s  ratio {ours / bare:.2f} (>= 0.50)"
    )
    print(f"  ours, no-op flow, sinks on:     {sinks:8.0f} jobs/s  ratio {sinks / bare:.2f} (info)")
    print(f"  ours, lfx echo flow:            {echo:8.0f} jobs/s  ratio {echo / bare:.2f} (info)")
