"""The embedded flow-runs queue: the same API as the BullMQ queue, inside one process.

For a machine with no Redis (`make run` with nothing configured): the process that enqueues
(the bridge) also runs the jobs. Same rules as on BullMQ: a key names one job, bad jobs fail at
once, other failures are retried with exponential backoff. Jobs do not outlive the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from marketing_intel.config import Settings
from marketing_intel.jobs import metrics
from marketing_intel.jobs.errors import BadJobError, JobError, JobNotFoundError
from marketing_intel.jobs.models import FlowRunRequest, FlowRunResult, JobState, JobStatus
from marketing_intel.jobs.processing import FlowRunProcessor
from marketing_intel.jobs.queue import QUEUE_STATES, backoff_ms, check_same_job


@dataclass
class _Job:
    id: str
    data: dict[str, Any]
    created_at: dt.datetime
    state: JobState = "waiting"
    attempts_made: int = 0
    failed_reason: str | None = None
    result: FlowRunResult | None = None
    finished_at: dt.datetime | None = None

    def status(self) -> JobStatus:
        return JobStatus(
            id=self.id,
            state=self.state,
            flow=self.data["flow"],
            tenant_id=self.data["tenant_id"],
            attempts_made=self.attempts_made,
            failed_reason=self.failed_reason,
            result=self.result,
            created_at=self.created_at,
            finished_at=self.finished_at,
        )


@dataclass
class InProcessFlowRunQueue:
    """`FlowRunQueue` in memory; `work()` runs the jobs in this process."""

    attempts: int = 3
    backoff_ms: int = 2_000
    keep_s: float = 7 * 24 * 3600
    _jobs: dict[str, _Job] = field(default_factory=dict)
    _ready: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    @classmethod
    def from_settings(cls, settings: Settings) -> InProcessFlowRunQueue:
        """The queue with the `MI_JOBS_*` retry and retention settings."""
        return cls(
            attempts=settings.jobs.attempts,
            backoff_ms=settings.jobs.backoff_ms,
            keep_s=settings.jobs.keep_days * 24 * 3600,
        )

    async def enqueue(self, request: FlowRunRequest) -> JobStatus:
        """Add the job, or return the one its key names."""
        self._forget_old()
        data = request.job().model_dump(mode="json")
        key = request.idempotency_key
        job = self._jobs.get(key)
        if job is not None:
            check_same_job(key, job.data, data)
            return job.status()
        job = self._jobs[key] = _Job(key, data, dt.datetime.now(dt.UTC))
        self._ready.put_nowait(key)
        return job.status()

    async def status(self, job_id: str) -> JobStatus | None:
        """The job's status, or None."""
        job = self._jobs.get(job_id)
        return None if job is None else job.status()

    async def jobs(self, states: tuple[JobState, ...], limit: int) -> list[JobStatus]:
        """Jobs in `states`, newest first."""
        found: list[JobStatus] = []
        for state in states:
            chosen = [job for job in self._jobs.values() if job.state == state]
            chosen.sort(key=lambda job: job.created_at, reverse=True)
            found.extend(job.status() for job in chosen[:limit])
        return found

    async def retry(self, job_id: str) -> JobStatus:
        """Send a failed job back to the queue with its attempts reset."""
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(f"no job {job_id!r}")
        if job.state != "failed":
            raise JobError(f"job {job_id!r} is {job.state}; only failed jobs can be retried")
        job.state, job.attempts_made, job.failed_reason = "waiting", 0, None
        job.finished_at = None
        self._ready.put_nowait(job_id)
        return job.status()

    async def counts(self) -> dict[str, int]:
        """Jobs per state."""
        counts: dict[str, int] = dict.fromkeys(QUEUE_STATES, 0)
        for job in self._jobs.values():
            counts[job.state] = counts.get(job.state, 0) + 1
        return counts

    async def work(
        self, processor: FlowRunProcessor, *, concurrency: int, stopping: asyncio.Event
    ) -> None:
        """Run `concurrency` job loops until `stopping` is set; running jobs finish first."""
        loops = [asyncio.create_task(self._loop(processor, stopping)) for _ in range(concurrency)]
        await stopping.wait()
        await asyncio.gather(*loops)

    async def _loop(self, processor: FlowRunProcessor, stopping: asyncio.Event) -> None:
        stopped = asyncio.create_task(stopping.wait())
        while not stopping.is_set():
            next_id = asyncio.create_task(self._ready.get())
            await asyncio.wait({next_id, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not next_id.done():
                next_id.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await next_id
                break
            await self._run(processor, self._jobs[next_id.result()])
            metrics.record_depth(await self.counts())

    async def _run(self, processor: FlowRunProcessor, job: _Job) -> None:
        job.state = "active"
        try:
            job.result = await processor(
                job.id, job.data, attempt=job.attempts_made + 1, enqueued_at=job.created_at
            )
        except Exception as error:
            job.attempts_made += 1
            job.failed_reason = (
                f"bad job: {error}" if isinstance(error, BadJobError) else str(error)
            )
            if isinstance(error, BadJobError) or job.attempts_made >= self.attempts:
                job.state, job.finished_at = "failed", dt.datetime.now(dt.UTC)
                return
            job.state = "delayed"
            delay = backoff_ms(self.backoff_ms, job.attempts_made) / 1000
            asyncio.get_running_loop().call_later(delay, self._requeue, job.id)
            return
        job.attempts_made += 1
        job.state, job.finished_at = "completed", dt.datetime.now(dt.UTC)

    def _requeue(self, job_id: str) -> None:
        if self._jobs[job_id].state == "delayed":
            self._jobs[job_id].state = "waiting"
            self._ready.put_nowait(job_id)

    def _forget_old(self) -> None:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.keep_s)
        for key in [
            k for k, job in self._jobs.items() if job.finished_at and job.finished_at < cutoff
        ]:
            del self._jobs[key]

    async def close(self) -> None:
        """Nothing to release."""
