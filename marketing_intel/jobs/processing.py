"""One job's work, the same for every queue: validate, run the flow, store, summarize."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from marketing_intel.jobs import metrics
from marketing_intel.jobs.errors import BadJobError, FlowRunError, ResultStoreError
from marketing_intel.jobs.models import FlowRunJob, FlowRunResult, Timings
from marketing_intel.jobs.results import (
    FlowRunRecord,
    ResultSink,
    output_document,
    summarize,
)
from marketing_intel.jobs.runners import FlowRunner

log = logging.getLogger(__name__)


def parse_job(data: Any) -> FlowRunJob:
    """The job's data as a `FlowRunJob`, or a `BadJobError` saying what is wrong with it."""
    try:
        return FlowRunJob.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "the job's data"
            problems.append(f"{where}: {item['msg']}")
        first = str(error.errors()[0]["loc"][0]) if error.errors()[0]["loc"] else ""
        reason = {"tenant_id": "missing_tenant", "flow": "unknown_flow"}.get(
            first, "bad_parameters"
        )
        raise BadJobError(
            "malformed job: " + "; ".join(problems) + " (expected "
            '{"flow": "<endpoint name>", "tenant_id": "<tenant>", "parameters": {...}})',
            reason=reason,
        ) from None


@dataclass
class FlowRunProcessor:
    """Runs jobs with a runner and writes their full results to the sinks."""

    runner: FlowRunner
    sinks: Sequence[ResultSink] = ()

    async def __call__(
        self, job_id: str, data: Any, *, attempt: int, enqueued_at: dt.datetime
    ) -> FlowRunResult:
        """Process one attempt of a job; raise `BadJobError` (fail now) or another error
        (retry)."""
        started = time.perf_counter()
        flow = data.get("flow", "?") if isinstance(data, dict) else "?"
        try:
            result = await self._process(job_id, data, attempt, enqueued_at)
        except Exception as error:
            reason = error.reason if isinstance(error, BadJobError) else _reason(error)
            metrics.FAILURES.labels(flow=str(flow), reason=reason).inc()
            log.warning("job %s (%s) attempt %d failed: %s", job_id, flow, attempt, error)
            metrics.RUN_SECONDS.labels(flow=str(flow), outcome="failed").observe(
                time.perf_counter() - started
            )
            raise
        seconds = time.perf_counter() - started
        metrics.RUN_SECONDS.labels(flow=result.flow, outcome="completed").observe(seconds)
        log.info(
            "job %s (%s for %s) completed in %.0f ms",
            job_id,
            flow,
            result.tenant_id,
            seconds * 1000,
        )
        return result

    async def _process(
        self, job_id: str, data: Any, attempt: int, enqueued_at: dt.datetime
    ) -> FlowRunResult:
        job = parse_job(data)
        queued_ms = (dt.datetime.now(dt.UTC) - enqueued_at).total_seconds() * 1000
        started = time.perf_counter()
        output = await self.runner.run(job)
        ran = time.perf_counter()
        summary = summarize(output)
        document = output_document(output)
        record = FlowRunRecord(
            job_id, job.flow, job.tenant_id, summary, document, dt.datetime.now(dt.UTC)
        )
        stored = {sink.name: await self._store(sink, record) for sink in self.sinks}
        return FlowRunResult(
            flow=job.flow,
            tenant_id=job.tenant_id,
            summary=summary,
            stored=stored,
            output=None if stored else document,
            timings=Timings(
                queued_ms=max(queued_ms, 0.0),
                run_ms=(ran - started) * 1000,
                store_ms=(time.perf_counter() - ran) * 1000,
            ),
            attempt=attempt,
        )

    async def _store(self, sink: ResultSink, record: FlowRunRecord) -> str:
        try:
            return await sink.store(record)
        except Exception as error:  # the store's own error type, whatever the backend
            raise ResultStoreError(
                f"storing the result of job {record.job_id!r} in the {sink.name} failed: "
                f"{error}; the job will be tried again"
            ) from error

    async def aclose(self) -> None:
        """Release the runner's and the sinks' connections."""
        await self.runner.aclose()
        for sink in self.sinks:
            await sink.aclose()


def _reason(error: Exception) -> str:
    if isinstance(error, FlowRunError):
        return "flow_failed"
    if isinstance(error, ResultStoreError):
        return "store_failed"
    return "internal_error"
