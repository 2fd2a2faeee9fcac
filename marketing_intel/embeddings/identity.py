"""The identity of an embedder: which model made a vector, and how long the vector is."""

from __future__ import annotations

from typing import NamedTuple

from langchain_core.embeddings import Embeddings

from marketing_intel.embeddings.errors import EmbeddingsError

# Attributes under which LangChain's embedding classes name their model (OpenAI, Cohere, Ollama,
# HuggingFace, Vertex, Bedrock, ...), in the order we look for them.
_MODEL_ATTRIBUTES = ("embedder_id", "model", "model_name", "model_id", "deployment")


class EmbedderIdentity(NamedTuple):
    """(embedder id, dimension): recorded with every index; a mismatch is refused."""

    id: str
    dimension: int


def embedder_identity(embeddings: Embeddings) -> EmbedderIdentity:
    """The identity of any LangChain `Embeddings`.

    Ours declare `embedder_id` and `dimension`. For another class the id is its qualified class
    name plus its model name (if it exposes one), and the dimension is measured by embedding one
    short text, because many models let the caller choose it (e.g. OpenAI's `dimensions`).
    """
    declared_id = getattr(embeddings, "embedder_id", None)
    declared_dimension = getattr(embeddings, "dimension", None)
    if isinstance(declared_id, str) and isinstance(declared_dimension, int):
        return EmbedderIdentity(declared_id, declared_dimension)
    kind = type(embeddings)
    embedder_id = f"{kind.__module__}.{kind.__qualname__}"
    for attribute in _MODEL_ATTRIBUTES:
        model = getattr(embeddings, attribute, None)
        if isinstance(model, str) and model:
            embedder_id = f"{embedder_id}:{model}"
            break
    try:
        dimension = len(embeddings.embed_query("dimension probe"))
    except Exception as error:
        raise EmbeddingsError(
            f"The embedder {embedder_id} failed to embed a probe text ({error}); check its "
            "settings (model name, API key, endpoint)."
        ) from error
    if dimension == 0:
        raise EmbeddingsError(f"The embedder {embedder_id} returned an empty vector.")
    return EmbedderIdentity(embedder_id, dimension)
