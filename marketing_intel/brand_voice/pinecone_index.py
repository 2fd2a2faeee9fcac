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
RECORDS_BATCH = 96  # Pinecone's limit of records per upsert_records / texts per embed call
MATCH_FIELDS = ("text", "channel", "tags", "approved_at")


class PineconeInferenceEmbeddings(Embeddings):
    """A model hosted by Pinecone (the one an integrated index was created for), called through
    Pinecone's inference API, as a LangChain `Embeddings`. Texts are embedded as passages on
    both sides, since the score compares drafts with exemplars symmetrically."""

    def __init__(self, client: Any, model: str) -> None:
        self._client = client
        self.model = model
        self.embedder_id = f"pinecone-inference:{model}"
        self.dimension = len(self.embed_query("dimension probe"))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in batches of the API's limit."""
        vectors: list[list[float]] = []
        with pinecone_errors(f"embedding with {self.model}"):
            for start in range(0, len(texts), RECORDS_BATCH):
                result = self._client.inference.embed(
                    model=self.model,
                    inputs=texts[start : start + RECORDS_BATCH],
                    parameters={"input_type": "passage", "truncate": "END"},
                )
                vectors.extend(list(item.values) for item in result.data)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """The vector of one text."""
        return self.embed_documents([text])[0]


def _semantic_field(description: Any) -> tuple[str, str] | None:
    """(model, field name) of an index created for a hosted model, else None."""
    fields = getattr(getattr(description, "schema", None), "fields", None) or {}
    for name, field in fields.items():
        model = getattr(field, "model", None)
        if type(field).__name__ == "SemanticTextField" and model:
            return str(model), str(name)
    return None


def namespace_of(brand: Brand) -> str:
    """The Pinecone namespace of one tenant's brand."""
    return f"{brand[0]}/{brand[1]}"


class PineconeBrandVoiceIndex(EmbeddedBrandVoiceIndex):
    """Brand voice in one Pinecone index (cosine metric, dimension of the embedder).

    `index_host` (the data-plane URL) is used as given; otherwise `index_name` is looked up on
    the control plane (`control_host`, default Pinecone's own).

    Integrated inference: when the index was created for a hosted model (its schema has a
    `semantic_text` field, or `integrated_model` is given with a host), Pinecone embeds the
    copy: exemplars are written with `upsert_records` (the text in that field) and searched
    with `search` by text; the score embeds its draft with the same model through Pinecone's
    inference API, so every vector compared comes from one model.
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
        integrated_model: str | None = None,
        text_field: str = "text",
    ) -> None:
        if not api_key:
            raise BrandVoiceConfigError("Pinecone needs an API key (MI_PINECONE_API_KEY).")
        if not (index_name or index_host):
            raise BrandVoiceConfigError(
                "Pinecone needs an index: set MI_PINECONE_INDEX (its name) or "
                "MI_PINECONE_INDEX_HOST (its data-plane URL)."
            )
        from pinecone import Pinecone

        with pinecone_errors("connecting to Pinecone"):
            client = Pinecone(api_key=api_key, host=control_host, timeout=timeout_s)
            host = index_host
            if not host:
                description = client.describe_index(str(index_name))
                host = str(description.host)
                integrated_model, text_field = _semantic_field(description) or (
                    integrated_model,
                    text_field,
                )
            self._index = client.Index(host=host)
        self.index_host = host
        self.integrated_model = integrated_model
        self.text_field = text_field
        if integrated_model:
            if embeddings is not None:
                raise BrandVoiceConfigError(
                    f"The Pinecone index embeds with its own model {integrated_model}; do not "
                    "connect another embedder to it."
                )
            embeddings = PineconeInferenceEmbeddings(client, integrated_model)
        super().__init__(embeddings, min_exemplars=min_exemplars)
        self._checked: set[str] = set()
        self._checked_lock = threading.Lock()
        self._check_dimension()

    def _check_dimension(self) -> None:
        with pinecone_errors("reading the index's statistics"):
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
        with pinecone_errors(f"listing namespace {namespace}"):
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
        self, brand: Brand, ids: list[str], texts: list[str], metadata: list[dict[str, Any]]
    ) -> None:
        namespace = namespace_of(brand)
        self._check_embedder(namespace)
        if self.integrated_model:
            records = [
                {**m, "_id": i, self.text_field: t}
                for i, t, m in zip(ids, texts, metadata, strict=True)
            ]
            with pinecone_errors(f"upserting records into namespace {namespace}"):
                for start in range(0, len(records), RECORDS_BATCH):
                    batch = records[start : start + RECORDS_BATCH]
                    self._index.upsert_records(records=batch, namespace=namespace)
            return
        vectors = self._embed(texts)
        items = [
            {"id": i, "values": v.tolist(), "metadata": m}
            for i, v, m in zip(ids, vectors, metadata, strict=True)
        ]
        with pinecone_errors(f"upserting into namespace {namespace}"):
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
        with pinecone_errors(f"querying namespace {namespace}"):
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

    def _search_text(
        self, brand: Brand, text: str, k: int, filter: Mapping[str, Any] | None
    ) -> list[ExemplarMatch]:
        if not self.integrated_model:
            return super()._search_text(brand, text, k, filter)
        namespace = namespace_of(brand)
        self._check_embedder(namespace)
        with pinecone_errors(f"searching namespace {namespace}"):
            response = self._index.search(
                namespace=namespace,
                top_k=k,
                inputs={"text": text},
                filter=dict(filter) if filter else None,
                fields=list(MATCH_FIELDS),
            )
        return [
            ExemplarMatch.from_metadata(hit.id_, float(hit.score_), dict(hit.fields))
            for hit in response.result.hits
        ]

    def _all(self, brand: Brand) -> tuple[npt.NDArray[np.float32], list[str]]:
        namespace = namespace_of(brand)
        self._check_embedder(namespace)
        rows: list[list[float]] = []
        texts: list[str] = []
        with pinecone_errors(f"reading namespace {namespace}"):
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
        with pinecone_errors(f"deleting from namespace {namespace}"):
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
def pinecone_errors(action: str) -> Iterator[None]:
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
        raise BrandVoiceBackendError(
            f"Pinecone failed while {action}: {error}; check the network and "
            "MI_PINECONE_INDEX_HOST (or MI_PINECONE_CONTROL_HOST), then try again."
        ) from None
