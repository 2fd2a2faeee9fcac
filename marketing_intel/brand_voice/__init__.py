"""Brand voice: index a brand's approved copy, find the exemplars nearest a draft, and score how
on-brand the draft is, calibrated per brand and embedder.

`open_brand_voice_index(settings)` gives the configured backend: the embedded sqlite-vec index
(default) or Pinecone (`MI_BRAND_VOICE_BACKEND=pinecone`). Both take any LangChain `Embeddings`
and default to the offline MiniLM embedder.
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from marketing_intel.brand_voice.errors import (
    BrandVoiceBackendError,
    BrandVoiceConfigError,
    BrandVoiceError,
    EmbedderMismatchError,
)
from marketing_intel.brand_voice.exemplars import Exemplar, ExemplarMatch
from marketing_intel.brand_voice.local_index import LocalBrandVoiceIndex
from marketing_intel.brand_voice.pinecone_index import PineconeBrandVoiceIndex
from marketing_intel.brand_voice.protocol import BrandVoiceIndex, UpsertReport
from marketing_intel.brand_voice.scoring import BrandVoiceScore
from marketing_intel.config import Settings
from marketing_intel.shared_instances import SharedInstances

_shared: SharedInstances[BrandVoiceIndex] = SharedInstances()


def open_brand_voice_index(
    settings: Settings, embeddings: Embeddings | None = None
) -> BrandVoiceIndex:
    """A brand-voice index of its own, as the settings choose it, embedding with `embeddings`
    (default: the offline MiniLM embedder); the caller closes it."""
    if settings.brand_voice.backend == "pinecone":
        if settings.brand_voice.pinecone_api_key is None:
            raise BrandVoiceConfigError(
                "MI_BRAND_VOICE_BACKEND=pinecone needs MI_PINECONE_API_KEY."
            )
        return PineconeBrandVoiceIndex(
            api_key=settings.brand_voice.pinecone_api_key.get_secret_value(),
            index_name=settings.brand_voice.pinecone_index,
            index_host=settings.brand_voice.pinecone_index_host,
            control_host=settings.brand_voice.pinecone_control_host,
            embeddings=embeddings,
            min_exemplars=settings.brand_voice.min_exemplars,
        )
    return LocalBrandVoiceIndex(
        settings.local_vectors_path, embeddings, min_exemplars=settings.brand_voice.min_exemplars
    )


def shared_brand_voice_index(settings: Settings) -> BrandVoiceIndex:
    """The index `open_brand_voice_index(settings)` gives (offline embedder), opened once per
    process and configuration: the nodes run once per flow run, and reuse its file or its
    Pinecone connections (and index lookup) instead of opening their own each time. Callers
    must not close it; `marketing_intel.shared_instances.close_shared()` does."""
    where = settings.local_vectors_path.resolve()
    identity = (where, settings.brand_voice)  # a change to any of its settings opens another
    return _shared.get(identity, lambda: open_brand_voice_index(settings))


__all__ = [
    "BrandVoiceBackendError",
    "BrandVoiceConfigError",
    "BrandVoiceError",
    "BrandVoiceIndex",
    "BrandVoiceScore",
    "EmbedderMismatchError",
    "Exemplar",
    "ExemplarMatch",
    "LocalBrandVoiceIndex",
    "PineconeBrandVoiceIndex",
    "UpsertReport",
    "open_brand_voice_index",
    "shared_brand_voice_index",
]
