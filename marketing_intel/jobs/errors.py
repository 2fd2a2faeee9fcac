"""Errors of the agent-jobs layer."""

from __future__ import annotations

from marketing_intel.errors import MarketingIntelError


class JobError(MarketingIntelError):
    """Base of the agent-jobs errors."""


class BadJobError(JobError):
    """The job itself is wrong (unknown flow, no tenant, malformed parameters): retrying cannot
    help, so it fails at once. `reason` is a short label for metrics."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class FlowRunError(JobError):
    """The flow ran and failed, or its runner could not be reached: worth another try."""


class ResultStoreError(JobError):
    """A run's result could not be written to a result sink (the cache, memory): the job is
    retried, and the sinks' idempotent writes keep whatever an earlier attempt stored."""


class JobNotFoundError(JobError):
    """No job has this id (never enqueued, or removed after the retention period)."""


class IdempotencyConflictError(JobError):
    """An idempotency key was reused for a different flow, tenant or parameters."""
