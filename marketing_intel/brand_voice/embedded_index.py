"""What every brand-voice backend shares: embedding, validation, batching and the cached
calibration of the score. A backend only stores, queries, lists and deletes vectors."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from marketing_intel.brand_voice.exemplars import Exemplar, ExemplarMatch, check_name
from marketing_intel.brand_voice.protocol import UpsertReport
from marketing_intel.brand_voice.scoring import (
    MIN_EXEMPLARS,
    BrandVoiceScore,
    Calibration,
    calibrate,
    score_draft,
)
from marketing_intel.embeddings import (
    EmbedderIdentity,
    LocalEmbeddings,
    embedder_identity,
    local_embeddings,
)
from marketing_intel.tenants import check_tenant_id

CALIBRATION_TTL_S = 60.0  # another process's writes are seen within this time
Brand = tuple[str, str]


class EmbeddedBrandVoiceIndex(ABC):
    """A `BrandVoiceIndex` whose vectors come from a LangChain `Embeddings` on our side."""

    def __init__(
        self, embeddings: Embeddings | None = None, *, min_exemplars: int = MIN_EXEMPLARS
    ) -> None:
        self.embeddings = embeddings or local_embeddings()
        self._embedder = embedder_identity(self.embeddings)
        self.min_exemplars = min_exemplars
        self._calibrations: dict[Brand, tuple[float, Calibration]] = {}
        self._calibration_lock = threading.Lock()

    @property
    def embedder(self) -> EmbedderIdentity:
        """The embedder every vector of this index is made with."""
        return self._embedder

    # What a backend implements.
    @abstractmethod
    def _write(
        self, brand: Brand, ids: list[str], texts: list[str], metadata: list[dict[str, Any]]
    ) -> None:
        """Store exemplars (replacing same ids) in the brand's partition; the backend embeds
        the texts with `self._embed`, or lets its server embed them."""

    @abstractmethod
    def _nearest(
        self,
        brand: Brand,
        vector: npt.NDArray[np.float32],
        k: int,
        filter: Mapping[str, Any] | None,
    ) -> list[ExemplarMatch]:
        """The k nearest exemplars of the brand matching `filter`."""

    @abstractmethod
    def _all(self, brand: Brand) -> tuple[npt.NDArray[np.float32], list[str]]:
        """Every exemplar vector of the brand (rows) and its text."""

    @abstractmethod
    def _remove(
        self, brand: Brand, ids: Sequence[str] | None, filter: Mapping[str, Any] | None
    ) -> None:
        """Delete the brand's exemplars by ids or filter."""

    # The protocol, the same for every backend.
    def upsert(self, exemplars: Iterable[Exemplar]) -> UpsertReport:
        """Embed and store exemplars, grouped by brand; identical copy keeps one id."""
        groups: dict[Brand, dict[str, Exemplar]] = {}
        for exemplar in exemplars:
            groups.setdefault((exemplar.tenant, exemplar.brand), {})[exemplar.id] = exemplar
        for brand, unique in groups.items():
            items = list(unique.values())
            metadata = [item.metadata(self._embedder.id) for item in items]
            self._write(brand, list(unique), [item.text for item in items], metadata)
            self._forget_calibration(brand)
        return UpsertReport(
            written=sum(len(unique) for unique in groups.values()),
            by_brand={f"{t}/{b}": len(unique) for (t, b), unique in groups.items()},
            embedder_id=self._embedder.id,
        )

    def delete(
        self,
        *,
        tenant: str,
        brand: str,
        ids: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Delete by ids or filter, exactly one of them."""
        if (ids is None) == (filter is None):
            raise ValueError("delete needs ids or a filter (exactly one of them)")
        key = _brand(tenant, brand)
        self._remove(key, ids, filter)
        self._forget_calibration(key)

    def search(
        self,
        text: str,
        k: int = 5,
        filter: Mapping[str, Any] | None = None,
        *,
        tenant: str,
        brand: str,
    ) -> list[ExemplarMatch]:
        """The brand's k exemplars closest in meaning to `text`."""
        if not text.strip():
            raise ValueError("the text to search for is empty")
        if not 1 <= k <= 1000:
            raise ValueError(f"k must be from 1 to 1000; got {k}")
        return self._search_text(_brand(tenant, brand), text, k, filter)

    def score(self, draft: str, *, tenant: str, brand: str, k: int = 3) -> BrandVoiceScore:
        """The calibrated on-brand score of `draft` (see `marketing_intel.brand_voice.scoring`)."""
        if not draft.strip():
            raise ValueError("the draft to score is empty")
        key = _brand(tenant, brand)
        vector = self._embed([draft])[0]
        return score_draft(
            self._calibration(key),
            vector,
            draft,
            self._nearest(key, vector, k, None),
            tenant=tenant,
            brand=brand,
            embedder_id=self._embedder.id,
            min_exemplars=self.min_exemplars,
        )

    def _search_text(
        self, brand: Brand, text: str, k: int, filter: Mapping[str, Any] | None
    ) -> list[ExemplarMatch]:
        """Search by text: embed it here, then the nearest vectors (a backend whose server
        embeds queries overrides this)."""
        return self._nearest(brand, self._embed([text])[0], k, filter)

    def close(self) -> None:  # noqa: B027 (a backend with connections overrides it)
        """Nothing to release by default."""

    def _embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if isinstance(self.embeddings, LocalEmbeddings):
            vectors = self.embeddings.embed_array(texts)
        else:
            vectors = np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)
        if vectors.shape != (len(texts), self._embedder.dimension):
            raise ValueError(
                f"The embedder returned vectors of shape {vectors.shape}, expected "
                f"({len(texts)}, {self._embedder.dimension})."
            )
        return vectors

    def _calibration(self, brand: Brand) -> Calibration:
        now = time.monotonic()
        with self._calibration_lock:
            cached = self._calibrations.get(brand)
        if cached is not None and now - cached[0] < CALIBRATION_TTL_S:
            return cached[1]
        vectors, texts = self._all(brand)
        calibration = calibrate(vectors, texts)
        with self._calibration_lock:
            self._calibrations[brand] = (now, calibration)
        return calibration

    def _forget_calibration(self, brand: Brand) -> None:
        with self._calibration_lock:
            self._calibrations.pop(brand, None)


def _brand(tenant: str, brand: str) -> Brand:
    return check_tenant_id(tenant), check_name("brand", brand)
