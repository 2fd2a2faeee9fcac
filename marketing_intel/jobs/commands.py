"""`mi worker` and `mi jobs list|show|retry|enqueue`: the flow-runs queue on Redis."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from marketing_intel.config import Settings, load_settings
from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue
from marketing_intel.jobs.cache_sink import FLOW_RUN_TEMPLATE, InsightCacheSink
from marketing_intel.jobs.errors import JobError, JobNotFoundError
from marketing_intel.jobs.models import (
    FlowRunParameters,
    FlowRunRequest,
    FlowRunResult,
    JobState,
    JobStatus,
)
from marketing_intel.jobs.queue import QUEUE_STATES
from marketing_intel.jobs.worker import run_worker
from marketing_intel.terminal import console, user_errors

jobs_app = typer.Typer(help="Flow-run jobs on the Redis queue: list, show, retry, enqueue.")
T = TypeVar("T")


class NoRedisError(JobError):
    """The command needs the Redis queue and none is configured."""


def _redis_settings() -> Settings:
    settings = load_settings()
    if not settings.jobs.redis_url:
        raise NoRedisError(
            "MI_REDIS_URL is not set: with no Redis, flow runs use the in-process queue of the "
            "process that enqueues them (the bridge); set MI_REDIS_URL=redis://host:6379/0 to "
            "share a queue between processes"
        )
    return settings


def _with_queue(use: Callable[[BullMQFlowRunQueue], Awaitable[T]]) -> T:
    async def run() -> T:
        queue = BullMQFlowRunQueue.from_settings(_redis_settings())
        try:
            return await use(queue)
        finally:
            await queue.close()

    return asyncio.run(run())


def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Jobs run at once (default MI_JOBS_CONCURRENCY).")
    ] = None,
    if_configured: Annotated[
        bool, typer.Option(help="Exit quietly when MI_REDIS_URL is not set (for `make run`).")
    ] = False,
) -> None:
    """Run flow-run jobs from the Redis queue until SIGTERM (running jobs finish first)."""
    with user_errors():
        settings = load_settings()
        if if_configured and not settings.jobs.redis_url:
            return
        settings = _redis_settings()
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("marketing_intel").setLevel(logging.INFO)
        queue = BullMQFlowRunQueue.from_settings(settings)
        count = concurrency or settings.jobs.concurrency
        console.print(f"Worker on queue {settings.jobs.queue!r}, {count} at a time.")
        asyncio.run(run_worker(queue, settings, concurrency=count))


@jobs_app.command("list")
def list_jobs(
    state: Annotated[
        list[str] | None, typer.Option(help="waiting, delayed, active, completed, failed.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many per state.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List jobs by state, newest first."""
    with user_errors():
        states = tuple(_state(name) for name in state or QUEUE_STATES)
        found = _with_queue(lambda queue: queue.jobs(states, limit))
    if as_json:
        for status in found:
            sys.stdout.write(status.model_dump_json() + "\n")
        return
    table = Table("id", "state", "flow", "tenant", "attempts", "finished", "failed reason")
    for status in found:
        table.add_row(
            status.id,
            status.state,
            status.flow or "",
            status.tenant_id or "",
            str(status.attempts_made),
            status.finished_at.isoformat(timespec="seconds") if status.finished_at else "",
            status.failed_reason or "",
        )
    console.print(table)


@jobs_app.command("show")
def show(
    job_id: Annotated[str, typer.Argument(help="The job id (its idempotency key).")],
    full: Annotated[
        bool, typer.Option("--full", help="Add the full result, read from the insight cache.")
    ] = False,
) -> None:
    """Print one job's state, failure reason and result as JSON, with where its full result
    was stored (`stored_in`: the insight cache entry and the memory id)."""
    with user_errors():
        settings = _redis_settings()
        status = _with_queue(lambda queue: queue.status(job_id))
        if status is None:
            raise JobNotFoundError(f"no job {job_id!r}; `mi jobs list` shows the jobs there are")
        document: dict[str, Any] = status.model_dump(mode="json")
        if status.result is not None and status.result.stored:
            document["stored_in"] = _stored_in(settings, status.result)
            if full and "cache" in status.result.stored:
                sink = InsightCacheSink.from_settings(settings)
                document["full_result"] = sink.read(
                    status.result.tenant_id, status.result.flow, status.id
                )
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


def _stored_in(settings: Settings, result: FlowRunResult) -> dict[str, Any]:
    """Where each result sink put the job's result, in words a reader can follow."""
    places: dict[str, Any] = {}
    for sink, key in result.stored.items():
        if sink == "cache":
            where = (
                f"PostgreSQL schema {settings.cache.schema_name}"
                if settings.cache.backend == "postgres"
                else str(settings.cache_path)
            )
            places[sink] = {
                "store": f"insight cache ({where})",
                "tenant_id": result.tenant_id,
                "template": FLOW_RUN_TEMPLATE,
                "key": key,
            }
        elif sink == "memory":
            where = (
                f"ZeroDB project {settings.memory.zerodb_project_id}"
                if settings.memory.backend == "zerodb"
                else str(settings.memory_file)
            )
            places[sink] = {
                "store": f"agent memory ({where})",
                "tenant": result.tenant_id,
                "id": key,
            }
        else:
            places[sink] = {"key": key}
    return places


@jobs_app.command("retry")
def retry(job_id: Annotated[str, typer.Argument(help="A failed job's id.")]) -> None:
    """Send a failed job back to the queue with fresh attempts."""
    with user_errors():
        status = _with_queue(lambda queue: queue.retry(job_id))
    console.print(f"Job {status.id} is {status.state} again.")


@jobs_app.command("enqueue")
def enqueue(
    flow: Annotated[str, typer.Argument(help="The flow's endpoint name.")],
    tenant: Annotated[str, typer.Option(help="The tenant the flow runs for.")],
    key: Annotated[str, typer.Option(help="Idempotency key (the job id).")],
    parameters: Annotated[
        str, typer.Option(help='JSON: {"input_value", "inputs": {...}, "tweaks": {...}}.')
    ] = "{}",
) -> None:
    """Add a flow run to the queue (the same key again returns the same job)."""
    with user_errors():
        request = FlowRunRequest(
            flow=flow,
            tenant_id=tenant,
            idempotency_key=key,
            parameters=FlowRunParameters.model_validate_json(parameters),
        )
        status = _with_queue(lambda queue: queue.enqueue(request))
    _print(status)


def _state(name: str) -> JobState:
    if name not in QUEUE_STATES:
        raise ValueError(f"unknown state {name!r}; use one of {', '.join(QUEUE_STATES)}")
    return name


def _print(status: JobStatus) -> None:
    document: dict[str, Any] = status.model_dump(mode="json")
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
