"""`LocalBrandVoiceIndex`: the embedded default, on the project's sqlite-vec vector index.

The tenant is the vector index's partition; the brand is a metadata filter within it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from marketing_intel.brand_voice.embedded_index import Brand, EmbeddedBrandVoiceIndex
from marketing_intel.brand_voice.errors import EmbedderMismatchError
from marketing_intel.brand_voice.exemplars import ExemplarMatch
from marketing_intel.brand_voice.scoring import MIN_EXEMPLARS
from marketing_intel.vectors import EmbedderMismatch, SqliteVecIndex, VectorIndex, VectorRecord

COLLECTION = "brand_voice"


class LocalBrandVoiceIndex(EmbeddedBrandVoiceIndex):
    """Brand voice in a local SQLite file (or any `VectorIndex`, e.g. the numpy reference)."""

    def __init__(
        self,
        path: Path | str | None = None,
        embeddings: Embeddings | None = None,
        *,
        vectors: VectorIndex | None = None,
        min_exemplars: int = MIN_EXEMPLARS,
    ) -> None:
        super().__init__(embeddings, min_exemplars=min_exemplars)
        if vectors is None:
            if path is None:
                raise ValueError("LocalBrandVoiceIndex needs a path or a vector index")
            try:
                vectors = SqliteVecIndex(path, self.embedder, collection=COLLECTION)
            except EmbedderMismatch as error:
                raise EmbedderMismatchError(str(error)) from None
        elif tuple(vectors.embedder) != tuple(self.embedder):
            raise EmbedderMismatchError(
                f"The vector index holds {vectors.embedder.id} vectors; the embedder is "
                f"{self.embedder.id}."
            )
        self.vectors = vectors

    def _write(
        self, brand: Brand, ids: list[str], texts: list[str], metadata: list[dict[str, Any]]
    ) -> None:
        vectors = self._embed(texts)
        records = [VectorRecord(i, v, m) for i, v, m in zip(ids, vectors, metadata, strict=True)]
        self.vectors.upsert(brand[0], records)

    def _nearest(
        self,
        brand: Brand,
        vector: npt.NDArray[np.float32],
        k: int,
        filter: Mapping[str, Any] | None,
    ) -> list[ExemplarMatch]:
        matches = self.vectors.search(brand[0], vector, k, _in_brand(brand, filter))
        return [ExemplarMatch.from_metadata(m.id, m.score, m.metadata) for m in matches]

    def _all(self, brand: Brand) -> tuple[npt.NDArray[np.float32], list[str]]:
        records = self.vectors.records(brand[0], _in_brand(brand, None))
        if not records:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32), []
        return np.stack([r.vector for r in records]), [str(r.metadata["text"]) for r in records]

    def _remove(
        self, brand: Brand, ids: Sequence[str] | None, filter: Mapping[str, Any] | None
    ) -> None:
        if ids is not None:
            # ids of another brand of the same tenant are left alone
            owned = self.vectors.fetch(brand[0], ids)
            ids = [r.id for r in owned if r.metadata.get("brand") == brand[1]]
            self.vectors.delete(brand[0], ids=ids)
        else:
            self.vectors.delete(brand[0], filter=_in_brand(brand, filter))

    def close(self) -> None:
        """Close the vector file."""
        self.vectors.close()


def _in_brand(brand: Brand, filter: Mapping[str, Any] | None) -> dict[str, Any]:
    scoped: dict[str, Any] = {"brand": brand[1]}
    if filter:
        scoped["$and"] = [dict(filter)]
    return scoped
