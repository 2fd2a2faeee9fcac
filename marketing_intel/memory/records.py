"""What a memory is (`MemoryRecord`), how a recall or a listing is narrowed (`MemoryFilter`),
and what comes back (`RecalledMemory`, `MemoryPage`). Pydantic: these cross every boundary
(nodes, the command line, ZeroDB's JSON)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from marketing_intel.tenants import TenantId

MemoryKind = Literal["insight", "message", "fact"]
MEMORY_KINDS: tuple[MemoryKind, ...] = ("insight", "message", "fact")


def utc_now() -> dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # A naive time is taken as UTC, so expiry compares the same way on every machine.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class MemoryRecord(BaseModel):
    """One thing an agent or a flow remembers, for one tenant."""

    model_config = ConfigDict(frozen=True)

    tenant: TenantId = Field(description="The tenant the memory belongs to.")
    agent: str | None = Field(None, description="The agent (or flow) that remembered it.")
    session: str | None = Field(None, description="The conversation or run it belongs to.")
    kind: MemoryKind = "fact"
    content: str = Field(min_length=1, description="The text recalled by meaning.")
    tags: tuple[str, ...] = ()
    importance: float = Field(0.5, ge=0.0, le=1.0)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    created_at: dt.datetime = Field(default_factory=utc_now)
    expires_at: dt.datetime | None = None
    key: str | None = Field(
        None,
        description=(
            "What makes the memory unique besides tenant, agent, session and kind; default its "
            "content, so remembering the same text twice keeps one memory."
        ),
    )

    @field_validator("created_at", "expires_at")
    @classmethod
    def _timezone_aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        return _aware(value)

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))

    @property
    def id(self) -> str:
        """The memory's id: a hash of what makes it unique (idempotent remember)."""
        identity = [self.tenant, self.agent, self.session, self.kind, self.key or self.content]
        digest = hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode("utf-8"))
        return digest.hexdigest()[:32]

    def expired(self, now: dt.datetime) -> bool:
        """Whether the memory has expired at `now`."""
        return self.expires_at is not None and self.expires_at <= now


class MemoryFilter(BaseModel):
    """Which memories a recall or a listing may return. The tenant is required: no store ever
    reads across tenants."""

    model_config = ConfigDict(frozen=True)

    tenant: TenantId
    agent: str | None = None
    session: str | None = None
    kind: MemoryKind | None = None
    tags: tuple[str, ...] = Field((), description="Only memories carrying all of these tags.")

    def matches(self, record: MemoryRecord) -> bool:
        """Whether `record` passes this filter (stores apply it again on what they read)."""
        return (
            record.tenant == self.tenant
            and (self.agent is None or record.agent == self.agent)
            and (self.session is None or record.session == self.session)
            and (self.kind is None or record.kind == self.kind)
            and set(self.tags) <= set(record.tags)
        )


class RecalledMemory(BaseModel):
    """A memory found by a recall, with its similarity to the query (higher is closer)."""

    id: str
    score: float
    record: MemoryRecord

    def as_row(self) -> dict[str, Any]:
        """A flat row for tables (DataFrame, JSON lines)."""
        return {"id": self.id, "score": self.score, **record_row(self.record)}


class MemoryPage(BaseModel):
    """One page of a listing; pass `next_cursor` back to read the next page (None: the end)."""

    records: list[MemoryRecord]
    next_cursor: str | None = None


def record_row(record: MemoryRecord) -> dict[str, Any]:
    """A memory as a flat JSON-able row (without its id)."""
    row = record.model_dump(mode="json", exclude={"key"})
    row["tags"] = list(record.tags)
    return row
