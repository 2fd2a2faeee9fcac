"""`PineconeBrandVoiceIndex`: brand voice on Pinecone (the `pinecone` SDK 10.x).

One namespace per tenant and brand (`tenant/brand`): a query can only ever read one brand of one
tenant. Vectors are made on our side by any LangChain `Embeddings` (the offline default unless
given); the embedder id is stored in every record's metadata and the index's dimension is read
from the index, and either mismatch is refused before anything is written or compared.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from marketing_intel.brand_voice.embedded_index import Brand, EmbeddedBrandVoiceIndex
from marketing_intel.brand_voice.errors import (
    BrandVoiceBackendError,
    BrandVoiceConfigError,
    EmbedderMismatchError,
)
from marketing_intel.brand_voice.exemplars import ExemplarMatch
from marketing_intel.brand_voice.scoring import MIN_EXEMPLARS

UPSERT_BATCH = 100  # vectors per request: ~0.7 MB at 384 dimensions, well under Pinecone's 2 MB
FETCH_BATCH = 100


def namespace_of(brand: Brand) -> str:
    """The Pinecone namespace of one tenant's brand."""
    return f"{brand[0]}/{brand[1]}"


class PineconeBrandVoiceIndex(EmbeddedBrandVoiceIndex):
    """Brand voice in one Pinecone index (cosine metric, dimension of the embedder).

    `index_host` (the data-plane URL) is used as given; otherwise `index_name` is looked up on
    the control plane (`control_host`, default Pinecone's own).
    """

    def __init__(
        self,
        *,
        api_key: str,
        index_name: str | None = None,
        index_host: str | None = None,
        control_host: str | None = None,
        embeddings: Embeddings | None = None,
        min_exemplars: int = MIN_EXEMPLARS,
        timeout_s: float = 30.0,
    ) -> None:
        if not api_key:
            raise BrandVoiceConfigError("Pinecone needs an API key (MI_PINECONE_API_KEY).")
        if not (index_name or index_host):
            raise BrandVoiceConfigError(
                "Pinecone needs an index: set MI_PINECONE_INDEX (its name) or "
                "MI_PINECONE_INDEX_HOST (its data-plane URL)."
            )
        super().__init__(embeddings, min_exemplars=min_exemplars)
        from pinecone import Pinecone

        with _pinecone_errors("connecting to Pinecone"):
            client = Pinecone(api_key=api_key, host=control_host, timeout=timeout_s)
            host = index_host or str(client.describe_index(str(index_name)).host)
            self._index = client.Index(host=host)
        self.index_host = host
        self._checked: set[str] = set()
        self._checked_lock = threading.Lock()
        self._check_dimension()

    def _check_dimension(self) -> None:
        with _pinecone_errors("reading the index's statistics"):
            dimension = self._index.describe_index_stats().dimension
        if dimension is not None and dimension != self.embedder.dimension:
            raise EmbedderMismatchError(
                f"The Pinecone index at {self.index_host} stores {dimension}-dimensional vectors "
                f"but the embedder {self.embedder.id} makes {self.embedder.dimension}; use the "
                "embedder the index was built with, or an index of the right dimension."
            )

    def _check_embedder(self, namespace: str) -> None:
        """Refuse a namespace whose records were embedded by another model (checked once)."""
        if namespace in self._checked:
            return
        with _pinecone_errors(f"listing namespace {namespace}"):
            first = next(iter(self._index.list(namespace=namespace, limit=1)), None)
            ids = [str(item.id) for item in first.vectors if item.id] if first else []
            stored = self._index.fetch(ids=ids, namespace=namespace).vectors if ids else {}
        for vector in stored.values():
            found = (vector.metadata or {}).get("embedder_id")
            if found != self.embedder.id:
                raise EmbedderMismatchError(
                    f"Pinecone namespace {namespace} holds vectors of embedder {found}, not "
                    f"{self.embedder.id}; use that embedder, or delete the namespace's "
                    "exemplars and index them again."
                )
        with self._checked_lock:
            self._checked.add(namespace)

    def _write(
        self,
        brand: Brand,
        ids: list[str],
        vectors: npt.NDArray[np.float32],
        metadata: list[dict[str, Any]],
    ) -> None:
        namespace = namespace_of(brand)
        self._check_embedder(namespace)
        items = [
            {"id": i, "values": v.tolist(), "metadata": m}
            for i, v, m in zip(ids, vectors, metadata, strict=True)
        ]
        with _pinecone_errors(f"upserting into namespace {namespace}"):
            for start in range(0, len(items), UPSERT_BATCH):
                batch = items[start : start + UPSERT_BATCH]
                self._index.upsert(vectors=batch, namespace=namespace, show_progress=False)

    def _nearest(
        self,
        brand: Brand,
        vector: npt.NDArray[np.float32],
        k: int,
        filter: Mapping[str, Any] | None,
    ) -> list[ExemplarMatch]:
        namespace = namespace_of(brand)
        self._check_embedder(namespace)
        with _pinecone_errors(f"querying namespace {namespace}"):
            response = self._index.query(
                vector=vector.tolist(),
                top_k=k,
                namespace=namespace,
                filter=dict(filter) if filter else None,
                include_metadata=True,
            )
        return [
            ExemplarMatch.from_metadata(m.id, float(m.score), dict(m.metadata or {}))
            for m in response.matches
        ]

    def _all(self, brand: Brand) -> tuple[npt.NDArray[np.float32], list[str]]:
        namespace = namespace_of(brand)
        self._check_embedder(namespace)
        rows: list[list[float]] = []
        texts: list[str] = []
        with _pinecone_errors(f"reading namespace {namespace}"):
            pages = self._index.list(namespace=namespace)
            ids = [str(item.id) for page in pages for item in page.vectors if item.id]
            for start in range(0, len(ids), FETCH_BATCH):
                batch = ids[start : start + FETCH_BATCH]
                fetched = self._index.fetch(ids=batch, namespace=namespace).vectors
                for record_id in batch:
                    if record_id in fetched:
                        rows.append(list(fetched[record_id].values))
                        texts.append(str((fetched[record_id].metadata or {}).get("text", "")))
        if not rows:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32), []
        return np.asarray(rows, dtype=np.float32), texts

    def _remove(
        self, brand: Brand, ids: Sequence[str] | None, filter: Mapping[str, Any] | None
    ) -> None:
        namespace = namespace_of(brand)
        with _pinecone_errors(f"deleting from namespace {namespace}"):
            if ids is not None:
                if ids:
                    self._index.delete(ids=list(ids), namespace=namespace)
            else:
                self._index.delete(filter=dict(filter or {}), namespace=namespace)

    def close(self) -> None:
        """Close the SDK's connection pool."""
        closer = getattr(self._index, "close", None)
        if callable(closer):
            closer()


@contextmanager
def _pinecone_errors(action: str) -> Iterator[None]:
    """Turn the SDK's exceptions into one sentence that says what to check."""
    from pinecone.exceptions import (
        ForbiddenException,
        NotFoundException,
        PineconeException,
        UnauthorizedException,
    )

    try:
        yield
    except (UnauthorizedException, ForbiddenException):
        raise BrandVoiceBackendError(
            f"Pinecone refused the API key while {action}; check MI_PINECONE_API_KEY."
        ) from None
    except NotFoundException:
        raise BrandVoiceBackendError(
            f"Pinecone found no such index while {action}; check MI_PINECONE_INDEX / "
            "MI_PINECONE_INDEX_HOST."
        ) from None
    except PineconeException as error:
        raise BrandVoiceBackendError(f"Pinecone failed while {action}: {error}") from None
