"""Request and response bodies of the bridge API, with the examples OpenAPI shows."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


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

    # Inbox row ids are 64-bit; a bigger number is a bad request, not a database error.
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(None, examples=[[17, 18]])


class ReplayResult(BaseModel):
    """How many dead letters went back to pending."""

    replayed: int = Field(examples=[2])
