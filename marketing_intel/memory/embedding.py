"""How the stores embed text: any LangChain `Embeddings`, identified so vectors of different
embedders never mix (each vector is stored with its embedder's id and searches filter on it)."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings


def embedder_id(embeddings: Embeddings) -> str:
    """A stable name for the embedder: its own `embedder_id` if it has one, else its class and
    model name."""
    own = getattr(embeddings, "embedder_id", None)
    if isinstance(own, str) and own:
        return own
    model = getattr(embeddings, "model", None) or getattr(embeddings, "model_name", None)
    name = type(embeddings).__name__
    return f"{name}:{model}" if model else name
