"""The boundary models of a flow run: what a producer enqueues and what it reads back.

The BullMQ job's data is a `FlowRunJob` as JSON (`{"flow", "tenant_id", "parameters"}`) and its
id is the producer's idempotency key, so producers in any language (the backend's Node.js BullMQ
client included) enqueue the same shape. The job's return value is a `FlowRunResult`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from marketing_intel.analysis import Window
from marketing_intel.tenants import TenantId

# Endpoint names as Langflow accepts them (tenant ids: `marketing_intel.tenants`).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$"
# BullMQ refuses custom job ids that contain ':' or are integers (checked below).
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._~=+/-]{1,200}$"

JobState = Literal["waiting", "delayed", "active", "completed", "failed", "unknown"]


class FlowRunParameters(BaseModel):
    """How to run the flow. `inputs` set a field on every node that declares it editable (e.g.
    `days`); `tweaks` set fields on one node by id, as Langflow's run API takes them. Only the
    fields the flow marks `api_editable` may be set (`Flow.tweaks_for` checks them)."""

    model_config = ConfigDict(extra="forbid")

    input_value: str | None = Field(
        None, description="The flow's chat input; by default the tenant id."
    )
    inputs: dict[str, Any] = Field(default_factory=dict)
    tweaks: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _windows_are_valid(self) -> FlowRunParameters:
        """A window set in `inputs` or a node's tweaks is checked before the flow runs: a bad
        one fails the job at once, where the flow would fail it again on every retry (over
        Langflow's API a node's error is a 500, which reads as retryable)."""
        for fields in (self.inputs, *self.tweaks.values()):
            if any(name in fields for name in WINDOW_FIELDS):
                _check_window(fields)
        return self


# The analysis template nodes' window fields (empty dates are cleared ones).
WINDOW_FIELDS = ("days", "start_date", "end_date")


def _check_window(fields: dict[str, Any]) -> None:
    days, start, end = (fields.get(name) or None for name in WINDOW_FIELDS)
    try:
        Window.from_inputs(
            days=None if days is None else int(days),
            start=None if start is None else str(start),
            end=None if end is None else str(end),
            today=dt.datetime.now(dt.UTC).date(),
        )
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(
            f"bad window ({error}); give days, or start_date and end_date as YYYY-MM-DD"
        ) from None


class FlowRunJob(BaseModel):
    """A job's data: which flow to run, for which tenant, with which parameters."""

    model_config = ConfigDict(extra="forbid")

    flow: str = Field(pattern=NAME_PATTERN, description="The flow's endpoint name.")
    tenant_id: TenantId
    parameters: FlowRunParameters = Field(default_factory=FlowRunParameters)


class FlowRunRequest(FlowRunJob):
    """A job to enqueue: a `FlowRunJob` and the key that makes enqueueing it idempotent."""

    idempotency_key: str = Field(
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="The job id: enqueueing the same key again returns the same job.",
    )

    @field_validator("idempotency_key")
    @classmethod
    def _not_an_integer(cls, key: str) -> str:
        if key.isdigit():
            raise ValueError("an idempotency key may not be a plain integer (BullMQ job ids)")
        return key

    def job(self) -> FlowRunJob:
        """The job's data, without its key."""
        return FlowRunJob(flow=self.flow, tenant_id=self.tenant_id, parameters=self.parameters)


class Timings(BaseModel):
    """Where a job's time went, in milliseconds."""

    queued_ms: float = Field(description="From enqueue to the start of the last attempt.")
    run_ms: float = Field(description="The flow run itself.")
    store_ms: float = Field(description="Writing the full result to the result sinks.")


class FlowRunResult(BaseModel):
    """A completed job's return value.

    `summary` is small (for an analysis flow: the InsightReport's headline); the full result is
    in the sinks named in `stored` (sink name -> key or id), or in `output` when no sink took it.
    """

    flow: str
    tenant_id: str
    summary: dict[str, Any]
    stored: dict[str, str] = Field(default_factory=dict)
    output: dict[str, Any] | None = None
    timings: Timings
    attempt: int = Field(description="Which attempt produced it (1 = the first).")


class JobStatus(BaseModel):
    """A job as a producer sees it: its state, tries, failure reason and result."""

    id: str
    state: JobState
    flow: str | None = None
    tenant_id: str | None = None
    attempts_made: int = 0
    failed_reason: str | None = None
    result: FlowRunResult | None = None
    created_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
