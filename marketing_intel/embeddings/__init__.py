"""Embeddings: the offline default embedder and the identity every stored vector carries.

`local_embeddings()` is all-MiniLM-L6-v2 (int8 ONNX), loaded once per process from installed
packages, with no network. Any LangChain `Embeddings` can replace it; `embedder_identity(e)` gives
the (embedder id, dimension) pair that indexes record so vectors of different models never mix.
"""

from __future__ import annotations

from marketing_intel.embeddings.errors import EmbeddingsError
from marketing_intel.embeddings.identity import EmbedderIdentity, embedder_identity
from marketing_intel.embeddings.minilm import (
    MINILM_DIMENSION,
    MINILM_EMBEDDER_ID,
    LocalEmbeddings,
    local_embeddings,
)

__all__ = [
    "MINILM_DIMENSION",
    "MINILM_EMBEDDER_ID",
    "EmbedderIdentity",
    "EmbeddingsError",
    "LocalEmbeddings",
    "embedder_identity",
    "local_embeddings",
]
