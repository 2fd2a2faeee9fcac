"""`BrandVoiceIndex`: approved copy per tenant and brand, searched and scored by meaning."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from marketing_intel.brand_voice.exemplars import Exemplar, ExemplarMatch
from marketing_intel.brand_voice.scoring import BrandVoiceScore
from marketing_intel.embeddings import EmbedderIdentity


class UpsertReport(BaseModel):
    """What an upsert did: exemplars written per (tenant, brand), and the embedder used."""

    written: int
    by_brand: dict[str, int]
    embedder_id: str


class BrandVoiceIndex(Protocol):
    """Exemplars of every tenant and brand; every read and delete names one tenant and brand."""

    @property
    def embedder(self) -> EmbedderIdentity:
        """The embedder every vector of this index was made with."""
        ...

    def upsert(self, exemplars: Iterable[Exemplar]) -> UpsertReport:
        """Index exemplars; the same copy indexed twice is stored once (stable ids)."""
        ...

    def delete(
        self,
        *,
        tenant: str,
        brand: str,
        ids: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Delete a brand's exemplars by ids or by a metadata filter (exactly one of them)."""
        ...

    def search(
        self,
        text: str,
        k: int = 5,
        filter: Mapping[str, Any] | None = None,
        *,
        tenant: str,
        brand: str,
    ) -> list[ExemplarMatch]:
        """The brand's k exemplars closest in meaning to `text`, among those matching `filter`."""
        ...

    def score(self, draft: str, *, tenant: str, brand: str, k: int = 3) -> BrandVoiceScore:
        """How on-brand `draft` is (0-100, label, nearest exemplars, traits that differ)."""
        ...

    def close(self) -> None:
        """Release connections (idempotent)."""
        ...
