"""Embed only what is new.

A memory's vector depends only on its text and the embedder, and its id is a hash of what makes
it unique (its text by default). An analysis flow remembers the insights of the same report on
every run, and the next day's report mostly says the same things again, so most of what it
remembers has been embedded before. Before embedding, a store takes each record's vector from:
1. the store itself: a stored memory with the same id and the same text (the store looks its
   records up by id in one query, where it can do so cheaply);
2. `KnownVectors`: the texts this process embedded lately, per tenant and embedder;
and embeds only the rest, in one batch.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from marketing_intel.embeddings import EmbedderIdentity
from marketing_intel.memory.records import MemoryRecord

Vector = npt.NDArray[np.float32]
# About 6 MB of 384-d vectors: the insights of many tenants' reports.
DEFAULT_CAPACITY = 4096


class StoredVector(NamedTuple):
    """A stored memory's text and vector, as a store read it back by id."""

    content: str
    vector: Vector


class KnownVectors:
    """The vectors of the `capacity` texts embedded most recently in this process, per tenant
    and embedder. Safe to share between threads.

    Kept per tenant although a vector depends only on the text: a tenant must not be able to
    tell, by how fast its memory is stored, that another tenant stored the same words.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._vectors: OrderedDict[tuple[str, EmbedderIdentity, str], Vector] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant: str, embedder: EmbedderIdentity, text: str) -> Vector | None:
        """The vector of the tenant's `text` by `embedder`, if this process embedded it lately."""
        key = (tenant, embedder, text)
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, tenant: str, embedder: EmbedderIdentity, text: str, vector: Vector) -> None:
        """Remember the vector of the tenant's `text` by `embedder`, forgetting the least
        recent beyond the capacity."""
        if self.capacity < 1:
            return
        key = (tenant, embedder, text)
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)

    def __len__(self) -> int:
        """How many vectors are kept."""
        return len(self._vectors)


# One per process: every store of the process (they are opened per flow run) shares it.
KNOWN_VECTORS = KnownVectors()


def vectors_for(
    embeddings: Embeddings,
    embedder: EmbedderIdentity,
    records: Sequence[MemoryRecord],
    known: KnownVectors,
    stored: Mapping[str, StoredVector] | None = None,
) -> list[Vector]:
    """The vector of each record (read-only float32 arrays, in order): the stored one when the
    record is stored under its id with the same text, else a known one, else embedded now (all
    of those in one batch)."""
    stored = stored or {}
    vectors: list[Vector | None] = []
    missing: dict[str, list[int]] = {}  # text -> positions (the same text is embedded once)
    for position, record in enumerate(records):
        found = stored.get(record.id)
        if found is not None and found.content == record.content:
            vector: Vector | None = found.vector
        else:
            vector = known.get(record.tenant, embedder, record.content)
        if vector is None:
            missing.setdefault(record.content, []).append(position)
        vectors.append(vector)
    if missing:
        texts = list(missing)
        for text, embedded in zip(texts, embeddings.embed_documents(texts), strict=True):
            vector = np.asarray(embedded, dtype=np.float32)
            vector.flags.writeable = False
            for position in missing[text]:
                vectors[position] = vector
    result = [vector for vector in vectors if vector is not None]
    for record, vector in zip(records, result, strict=True):
        known.put(record.tenant, embedder, record.content, vector)
    return result
