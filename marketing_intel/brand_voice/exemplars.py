"""Exemplars (approved copy of a brand), search results and their metadata in an index."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from marketing_intel.tenants import check_tenant_id

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
_WHITESPACE = re.compile(r"\s+")


def check_name(kind: str, value: str) -> str:
    """A brand name: letters, digits, `_ . -` (it is part of a Pinecone namespace). Tenant ids
    are checked by `marketing_intel.tenants.check_tenant_id`."""
    if not _NAME.match(value):
        raise ValueError(
            f"{kind} {value!r} must be 1-100 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit"
        )
    return value


class Exemplar(BaseModel):
    """One piece of approved copy: whose it is, where it ran, and the text itself."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    brand: str
    text: str = Field(min_length=1, max_length=20_000)
    channel: str = "any"
    tags: list[str] = Field(default_factory=list)
    approved_at: dt.datetime | None = None

    @field_validator("tenant", "brand")
    @classmethod
    def _names(cls, value: str, info: Any) -> str:
        if info.field_name == "tenant":
            return check_tenant_id(value)
        return check_name(info.field_name, value)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        text = value.strip()
        if not text:
            raise ValueError("an exemplar's text is empty")
        return text

    @field_validator("approved_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value and value.tzinfo is None else value

    @property
    def id(self) -> str:
        """A stable id: the same copy of the same brand always gets the same id, so indexing it
        again replaces it instead of adding a duplicate (whitespace differences do not count)."""
        key = "\x1f".join((self.tenant, self.brand, _WHITESPACE.sub(" ", self.text)))
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def metadata(self, embedder_id: str) -> dict[str, Any]:
        """The metadata stored with its vector (Pinecone allows no nulls: absent means unknown)."""
        stored: dict[str, Any] = {
            "tenant": self.tenant,
            "brand": self.brand,
            "channel": self.channel,
            "text": self.text,
            "tags": list(self.tags),
            "embedder_id": embedder_id,
        }
        if self.approved_at is not None:
            stored["approved_at"] = int(self.approved_at.timestamp())
        return stored


class ExemplarMatch(BaseModel):
    """An exemplar found near a draft, with its cosine similarity."""

    id: str
    score: float
    text: str
    channel: str
    tags: list[str]
    approved_at: dt.datetime | None = None

    @classmethod
    def from_metadata(cls, record_id: str, score: float, metadata: dict[str, Any]) -> ExemplarMatch:
        """Rebuild a match from an index's stored metadata."""
        approved = metadata.get("approved_at")
        return cls(
            id=record_id,
            score=round(score, 6),
            text=str(metadata.get("text", "")),
            channel=str(metadata.get("channel", "any")),
            tags=[str(tag) for tag in metadata.get("tags", [])],
            approved_at=None if approved is None else dt.datetime.fromtimestamp(approved, dt.UTC),
        )
