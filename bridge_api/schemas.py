"""Request and response bodies of the bridge API, with the examples OpenAPI shows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from marketing_intel.jobs import FlowRunParameters, FlowRunResult, JobState


class ErrorDetail(BaseModel):
    """What went wrong: a stable code and a sentence saying what to do."""

    code: str = Field(examples=["bad_signature"])
    message: str = Field(examples=["The signature does not match the body and secret."])


class ErrorBody(BaseModel):
    """Every error answer."""

    error: ErrorDetail


class Accepted(BaseModel):
    """A webhook stored in the inbox (a duplicate delivery answers the same)."""

    status: str = Field("accepted", examples=["accepted"])
    events: int = Field(description="Events in the request (Meta/Klaviyo batches hold many).")


class IngestRequest(BaseModel):
    """Rows for one lake table; `tenant_id` is taken from the API key and may be left out."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {
                            "platform": "google_ads",
                            "campaign_id": "1234567890123",
                            "campaign_name": "Spring sale",
                            "date": "2026-03-01",
                            "impressions": 12000,
                            "clicks": 340,
                            "conversions": 12,
                            "spend": "210.50",
                            "revenue": "980.00",
                            "currency": "USD",
                            "updated_at": "2026-03-02T04:00:00Z",
                        }
                    ]
                }
            ]
        }
    )

    rows: list[dict[str, Any]] = Field(min_length=1, max_length=50_000)


class IngestResult(BaseModel):
    """How many rows were new and how many replaced earlier rows (restatements)."""

    table: str = Field(examples=["campaign_metrics"])
    received: int = Field(examples=[1])
    inserted: int = Field(examples=[1])
    replaced: int = Field(examples=[0])


class Health(BaseModel):
    """Liveness or readiness."""

    status: str = Field(examples=["ok"])
    checks: dict[str, str] = Field(
        default_factory=dict, examples=[{"database": "ok", "lake": "ok"}]
    )


class DeadLetterOut(BaseModel):
    """A dead-lettered inbox event."""

    id: int
    tenant_id: str
    platform: str
    dedupe_key: str
    attempts: int
    last_error: str | None


class InboxStatusOut(BaseModel):
    """Inbox counts, flush lag and the oldest dead letters."""

    pending: int = Field(examples=[12])
    flushed: int = Field(examples=[120_000])
    dead: int = Field(examples=[0])
    flush_lag_seconds: float = Field(examples=[0.4])
    dead_letters: list[DeadLetterOut]


class ReplayRequest(BaseModel):
    """Which dead letters to replay; none given means all of them."""

    # Inbox ids are positive int64: anything else is a 422, not a database overflow.
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(None, examples=[[17, 18]])


class ReplayResult(BaseModel):
    """How many dead letters went back to pending."""

    replayed: int = Field(examples=[2])


# Flow triggers and insight reads


class RunWindow(BaseModel):
    """The days a run covers: the last `days` days up to today (UTC), or `start`..`end`."""

    model_config = ConfigDict(extra="forbid")

    days: int | None = Field(None, ge=1, le=3660, examples=[28])
    start: str | None = Field(None, description="YYYY-MM-DD, with `end`.", examples=[None])
    end: str | None = Field(None, description="YYYY-MM-DD, inclusive.", examples=[None])


class FlowRunIn(BaseModel):
    """A flow run to start for the API key's tenant (the tenant never comes from the body)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"window": {"days": 28}, "idempotency_key": "weekly-2026-11-27"},
                {"window": {"start": "2026-11-01", "end": "2026-11-14"}},
            ]
        },
    )

    window: RunWindow | None = Field(
        None, description="The report's window; default: the flow's own (28 days)."
    )
    parameters: FlowRunParameters = Field(
        default_factory=FlowRunParameters,
        description="`inputs` (field -> value on every node that declares it editable) and "
        "`tweaks` (node id -> fields), as the flow-runs queue takes them: only the fields the "
        "flow marks `api_editable` (window, template options, input); any other is a 422.",
    )
    idempotency_key: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9._~=+-]{1,96}$",
        description="Sending the same key again returns the same run instead of a new one.",
    )


class FlowRunAccepted(BaseModel):
    """A run in the queue: poll `status_url` until its state is completed or failed."""

    run_id: str = Field(examples=["acme.weekly-2026-11-27"])
    flow: str = Field(examples=["campaign-insights"])
    state: JobState = Field(examples=["waiting"])
    status_url: str = Field(examples=["/v1/flows/campaign-insights/runs/acme.weekly-2026-11-27"])


class FlowRunOut(BaseModel):
    """A run's state; once completed, its result: the report's summary, where the full result
    is (`result.stored`, or `result.output` inline) and `report_url` for the cached report."""

    run_id: str = Field(examples=["acme.weekly-2026-11-27"])
    flow: str = Field(examples=["campaign-insights"])
    state: JobState = Field(examples=["completed"])
    attempts_made: int = Field(examples=[1])
    failed_reason: str | None = Field(None, examples=[None])
    created_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    result: FlowRunResult | None = None
    report_url: str | None = Field(
        None,
        description="Where the run's report is read from the insight cache while it is fresh.",
        examples=["/v1/insights/campaign_insights?start=2026-10-31&end=2026-11-27"],
    )


class InsightOut(BaseModel):
    """A report for the API key's tenant and how fresh it is."""

    template: str = Field(examples=["campaign_insights"])
    source: Literal["cache", "computed"] = Field(examples=["cache"])
    stored_at: dt.datetime | None = Field(None, description="When the report was cached.")
    age_seconds: float | None = Field(None, examples=[42.5])
    expires_at: dt.datetime | None = Field(None, description="When the cache drops it.")
    data_watermark: dt.datetime | None = Field(
        None, description="The latest data the report read (newer data makes a new report)."
    )
    report: dict[str, Any] = Field(description="The InsightReport.")
