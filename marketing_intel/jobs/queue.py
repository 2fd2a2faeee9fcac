"""The flow-runs queue API: what producers (the bridge, the CLI) and workers use.

Two implementations: `BullMQFlowRunQueue` over Redis (`MI_REDIS_URL`), shared with any BullMQ
producer, and `InProcessFlowRunQueue`, the embedded default, whose jobs live in the process
that enqueues and runs them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Protocol

from marketing_intel.config import Settings
from marketing_intel.jobs.errors import IdempotencyConflictError
from marketing_intel.jobs.models import FlowRunRequest, JobState, JobStatus
from marketing_intel.jobs.processing import FlowRunProcessor

QUEUE_STATES: tuple[JobState, ...] = ("waiting", "delayed", "active", "completed", "failed")


class FlowRunQueue(Protocol):
    """Enqueue flow runs, read their state and results, and work them off."""

    async def enqueue(self, request: FlowRunRequest) -> JobStatus:
        """Add the job, or return the job its idempotency key already names (an
        `IdempotencyConflictError` if that job asks for something else)."""
        ...

    async def status(self, job_id: str) -> JobStatus | None:
        """The job's state, tries, failure reason and result; None if there is no such job."""
        ...

    async def jobs(self, states: tuple[JobState, ...], limit: int) -> list[JobStatus]:
        """Jobs in these states, newest first, at most `limit` per state."""
        ...

    async def retry(self, job_id: str) -> JobStatus:
        """Send a failed job back to the queue for a fresh set of attempts."""
        ...

    async def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        ...

    async def work(
        self, processor: FlowRunProcessor, *, concurrency: int, stopping: asyncio.Event
    ) -> None:
        """Run jobs until `stopping` is set, then let the running jobs finish."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def check_same_job(job_id: str, existing: Any, requested: dict[str, Any]) -> None:
    """Refuse reusing an idempotency key for a different job."""
    if existing != requested:
        raise IdempotencyConflictError(
            f"idempotency key {job_id!r} already names a different job ({existing}); "
            "use a new key for a new flow run"
        )


def from_millis(value: int | float | None) -> dt.datetime | None:
    """A BullMQ timestamp (ms since the epoch) as a UTC datetime."""
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC) if value else None


def backoff_ms(first_ms: int, attempts_made: int) -> int:
    """BullMQ's exponential backoff: the first delay, doubled after each failed attempt."""
    return int(first_ms * 2 ** max(attempts_made - 1, 0))


def open_flow_run_queue(settings: Settings) -> FlowRunQueue:
    """The queue the settings choose: BullMQ on `MI_REDIS_URL`, else an in-process queue."""
    if settings.jobs.redis_url:
        from marketing_intel.jobs.bullmq_queue import BullMQFlowRunQueue

        return BullMQFlowRunQueue.from_settings(settings)
    from marketing_intel.jobs.in_process_queue import InProcessFlowRunQueue

    return InProcessFlowRunQueue.from_settings(settings)
