"""Agent jobs: flow runs on a `flow-runs` queue (BullMQ over Redis, or in process).

Producers call `open_flow_run_queue(settings).enqueue(FlowRunRequest(...))` and read
`status(job_id)`; workers (`mi worker`) run each job's flow through Langflow's API or lfx and
keep its result. See `queue.py` for the API and `models.py` for the wire format.
"""

from marketing_intel.jobs.errors import (
    BadJobError,
    FlowRunError,
    IdempotencyConflictError,
    JobError,
    JobNotFoundError,
    ResultStoreError,
)
from marketing_intel.jobs.models import (
    FlowRunJob,
    FlowRunParameters,
    FlowRunRequest,
    FlowRunResult,
    JobState,
    JobStatus,
)
from marketing_intel.jobs.queue import FlowRunQueue, open_flow_run_queue
from marketing_intel.jobs.results import FlowRunRecord, ResultSink

__all__ = [
    "BadJobError",
    "FlowRunError",
    "FlowRunJob",
    "FlowRunParameters",
    "FlowRunQueue",
    "FlowRunRecord",
    "FlowRunRequest",
    "FlowRunResult",
    "IdempotencyConflictError",
    "JobError",
    "JobNotFoundError",
    "JobState",
    "JobStatus",
    "ResultSink",
    "ResultStoreError",
    "open_flow_run_queue",
]
