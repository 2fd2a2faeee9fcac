"""`mi worker`: run flow-run jobs until SIGTERM or SIGINT.

The first signal stops taking jobs and lets the running ones finish (their results are saved).
A second signal exits at once: the running jobs keep their BullMQ locks until these expire, and
then any worker's stalled-job check puts them back in the queue.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from marketing_intel.config import Settings
from marketing_intel.jobs import metrics
from marketing_intel.jobs.cache_sink import InsightCacheSink
from marketing_intel.jobs.memory_sink import MemorySink
from marketing_intel.jobs.processing import FlowRunProcessor
from marketing_intel.jobs.queue import FlowRunQueue
from marketing_intel.jobs.results import ResultSink
from marketing_intel.shared_instances import close_shared

log = logging.getLogger(__name__)


def result_sinks(settings: Settings) -> list[ResultSink]:
    """The sinks that keep full results: the insight cache (the whole record) and agent memory
    (the summary, for the tenant's agents to recall). The job's result names where they are."""
    return [InsightCacheSink.from_settings(settings), MemorySink.from_settings(settings)]


def processor_from_settings(settings: Settings) -> FlowRunProcessor:
    """The processor of the settings' runner and result sinks; a process that holds an
    in-process queue (the bridge) runs `queue.work(processor_from_settings(settings), ...)`."""
    # The runners run Langflow, which the core never imports: they live outside it, loaded here.
    from flow_runners import open_runner

    return FlowRunProcessor(open_runner(settings), result_sinks(settings))


async def run_worker(
    queue: FlowRunQueue,
    settings: Settings,
    *,
    concurrency: int,
    stopping: asyncio.Event | None = None,
) -> None:
    """Work off `queue` until a signal (or `stopping`) says stop."""
    stopping = stopping or asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stopping.is_set():
            # As a kill would: the jobs' locks expire and the stalled-job check requeues them.
            log.warning("Stopping at once; the running jobs go back to the queue")
            os._exit(1)
        log.warning("Stopping: finishing the running jobs (signal again to stop at once)")
        stopping.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, on_signal)
    if settings.jobs.metrics_port:
        metrics.serve(settings.jobs.metrics_port)
    processor = processor_from_settings(settings)
    try:
        await queue.work(processor, concurrency=concurrency, stopping=stopping)
    finally:
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(number)
        await processor.aclose()
        await queue.close()
        close_shared()  # the result sinks' cache, the in-process flows' lakes and stores
