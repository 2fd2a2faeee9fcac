"""The flow-runs queue on Redis with BullMQ: shared with any BullMQ producer or worker.

A job's id is its idempotency key, so adding the same key twice stores one job (BullMQ ignores
an add whose id exists). Finished jobs are kept `MI_JOBS_KEEP_DAYS`, which is how long a key
stays deduplicated. Workers hold a lock per running job; a worker that dies stops renewing it,
and the stalled-job check of any live worker puts the job back in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bullmq import Job, Queue, UnrecoverableError, Worker
from bullmq.scripts import Scripts

from marketing_intel.config import Settings
from marketing_intel.jobs import metrics
from marketing_intel.jobs.errors import BadJobError, JobError, JobNotFoundError
from marketing_intel.jobs.models import FlowRunRequest, FlowRunResult, JobState, JobStatus
from marketing_intel.jobs.processing import FlowRunProcessor
from marketing_intel.jobs.queue import QUEUE_STATES, check_same_job, from_millis

DEPTH_REFRESH_S = 5.0
# How long a worker waits before trying Redis again after losing it.
RECONNECT_DELAY_MS = 1_000


@dataclass(frozen=True)
class BullMQOptions:
    """Where the queue is and how its jobs are tried."""

    redis_url: str
    name: str = "flow-runs"
    prefix: str = "bull"
    attempts: int = 3
    backoff_ms: int = 2_000
    keep_s: int = 7 * 24 * 3600
    lock_duration_ms: int = 30_000
    stalled_interval_ms: int = 30_000

    @classmethod
    def from_settings(cls, settings: Settings) -> BullMQOptions:
        """The options of `MI_REDIS_URL` and the `MI_JOBS_*` settings."""
        assert settings.jobs.redis_url is not None
        return cls(
            redis_url=settings.jobs.redis_url.get_secret_value(),
            name=settings.jobs.queue,
            prefix=settings.jobs.prefix,
            attempts=settings.jobs.attempts,
            backoff_ms=settings.jobs.backoff_ms,
            keep_s=int(settings.jobs.keep_days * 24 * 3600),
            lock_duration_ms=settings.jobs.lock_duration_ms,
            stalled_interval_ms=settings.jobs.stalled_interval_ms,
        )


class BullMQFlowRunQueue:
    """`FlowRunQueue` on BullMQ."""

    def __init__(self, options: BullMQOptions) -> None:
        self.options = options
        self.queue = Queue(
            options.name, {"connection": options.redis_url, "prefix": options.prefix}
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> BullMQFlowRunQueue:
        """The queue of `MI_REDIS_URL`."""
        return cls(BullMQOptions.from_settings(settings))

    def job_options(self, job_id: str) -> dict[str, Any]:
        """BullMQ options of a new job: its id, tries, backoff and retention."""
        keep = {"age": self.options.keep_s}
        return {
            "jobId": job_id,
            "attempts": self.options.attempts,
            "backoff": {"type": "exponential", "delay": self.options.backoff_ms},
            "removeOnComplete": keep,
            "removeOnFail": keep,
        }

    async def enqueue(self, request: FlowRunRequest) -> JobStatus:
        """Add the job under its idempotency key (a no-op if the key exists)."""
        data = request.job().model_dump(mode="json")
        key = request.idempotency_key
        await self.queue.add(request.flow, data, self.job_options(key))
        job = await Job.fromId(self.queue, key)
        status = await self.status(key)
        if job is None or status is None:  # removed between the calls: past its retention
            raise JobNotFoundError(f"job {key!r} finished and was removed already")
        check_same_job(key, job.data, data)
        return status

    async def status(self, job_id: str) -> JobStatus | None:
        """The job's status, or None."""
        # The state first: a job read after it finished holds its result and reason.
        state = await self.queue.getJobState(job_id)
        job = await Job.fromId(self.queue, job_id)
        return None if job is None else await self._status(job, state)

    async def _status(self, job: Job, state: str) -> JobStatus:
        data = job.data if isinstance(job.data, dict) else {}
        return JobStatus(
            id=job.id,
            state=_state(state),
            flow=data.get("flow"),
            tenant_id=data.get("tenant_id"),
            attempts_made=job.attemptsMade,
            failed_reason=_reason(job.failedReason),
            result=_result(job.returnvalue) if state == "completed" else None,
            created_at=from_millis(job.timestamp),
            finished_at=from_millis(job.finishedOn),
        )

    async def jobs(self, states: tuple[JobState, ...], limit: int) -> list[JobStatus]:
        """Jobs in `states`, newest first."""
        found = []
        for state in states:
            for job in await self.queue.getJobs([state], 0, limit - 1, False):
                found.append(await self._status(job, state))
        return found

    async def retry(self, job_id: str) -> JobStatus:
        """Move a failed job back to waiting with its attempts reset."""
        job = await Job.fromId(self.queue, job_id)
        if job is None:
            raise JobNotFoundError(f"no job {job_id!r}; `mi jobs list` shows the jobs there are")
        state = await self.queue.getJobState(job_id)
        if state != "failed":
            raise JobError(f"job {job_id!r} is {state}; only failed jobs can be retried")
        await job.retry("failed", {"resetAttemptsMade": True, "resetAttemptsStarted": True})
        return await self._status(job, "waiting")

    async def counts(self) -> dict[str, int]:
        """Jobs per state."""
        counts = await self.queue.getJobCounts(*QUEUE_STATES)
        return {state: counts.get(state, 0) for state in QUEUE_STATES}

    async def work(
        self, processor: FlowRunProcessor, *, concurrency: int, stopping: asyncio.Event
    ) -> None:
        """Run a BullMQ worker until `stopping` is set; running jobs finish first."""

        async def process(job: Job, token: str) -> dict[str, Any]:
            enqueued_at = from_millis(job.timestamp) or dt.datetime.now(dt.UTC)
            try:
                result = await processor(
                    job.id, job.data, attempt=job.attemptsMade + 1, enqueued_at=enqueued_at
                )
            except BadJobError as error:
                raise UnrecoverableError(f"bad job: {error}") from error
            return result.model_dump(mode="json")

        worker = _PlainReasonWorker(
            self.options.name,
            process,
            {
                "connection": self.options.redis_url,
                "prefix": self.options.prefix,
                "concurrency": concurrency,
                "lockDuration": self.options.lock_duration_ms,
                "stalledInterval": self.options.stalled_interval_ms,
                "runRetryDelay": RECONNECT_DELAY_MS,
                "autorun": False,
            },
        )
        running = asyncio.create_task(worker.run())
        depth = asyncio.create_task(self._refresh_depth(stopping))
        await stopping.wait()
        await worker.close()
        depth.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(running, depth)

    async def _refresh_depth(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            with contextlib.suppress(Exception):  # Redis away: keep the last numbers
                metrics.record_depth(await self.counts())
            await asyncio.sleep(DEPTH_REFRESH_S)

    async def close(self) -> None:
        """Close the queue's connection."""
        await self.queue.close()


class _PlainReasonScripts(Scripts):
    """BullMQ's scripts, writing a failed job's reason as plain text.

    bullmq for Python before 3.x JSON-encodes the reason of a job's final failure (`boom` is
    stored as `"boom"`, in the job and in the `failed` event), where Node's client, the
    backend's, stores `err.message` as is (taskforcesh/bullmq#4596, fixed upstream in the 3.x
    line). We stay on 2.x below 2.26 (2.26 pins a croniter Langflow 1.13 cannot use), so the
    one argument is put back here. Retries (moved to delayed) already store it plain."""

    def moveToFinishedArgs(
        self, job: Job, val: Any, propVal: str, *args: Any, **kwargs: Any
    ) -> Any:
        """The library's arguments, with the failed reason unencoded."""
        keys, argv = super().moveToFinishedArgs(job, val, propVal, *args, **kwargs)
        if propVal == "failedReason":
            argv[3] = str(val)  # the message, as Node writes it
        return keys, argv


class _PlainReasonWorker(Worker):
    """A BullMQ worker whose jobs fail with plain-text reasons (see `_PlainReasonScripts`)."""

    def __init__(self, name: str, processor: Any, opts: dict[str, Any]) -> None:
        super().__init__(name, processor, opts)
        # Jobs the worker fetches use its `scripts` (`Job.scripts = queue.scripts`).
        self.scripts = _PlainReasonScripts(self.prefix, name, self.redisConnection)


def _state(state: str) -> JobState:
    states: dict[str, JobState] = {
        "wait": "waiting",
        "waiting": "waiting",
        "prioritized": "waiting",
        "waiting-children": "waiting",
        "delayed": "delayed",
        "active": "active",
        "completed": "completed",
        "failed": "failed",
    }
    return states.get(state, "unknown")


def _reason(text: str | None) -> str | None:
    # Jobs failed by a worker without `_PlainReasonScripts` (ours before it, or any bullmq for
    # Python 2.x) hold the reason JSON-encoded: read those as the text they encode.
    if text and text.startswith('"') and text.endswith('"'):
        with contextlib.suppress(ValueError):
            return str(json.loads(text))
    return text


def _result(value: Any) -> FlowRunResult | None:
    try:
        return FlowRunResult.model_validate(value)
    except ValueError:
        return None
