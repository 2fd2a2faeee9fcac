"""What the brand-voice nodes share: the scope inputs (tenant, brand), the index inputs
(embedder, engine, Pinecone key, index and host) and the index they open.

A private helper beside the nodes, so each node's code (which flows embed) stays small; see
`_node_errors` for how node files import it, and `_memory_node` why it holds no class.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Before `lfx.io`: see `_shared_inputs` (lfx 1.13 import order).
import lfx.custom  # noqa: F401
from lfx.inputs.inputs import InputTypes
from lfx.io import MessageTextInput, StrInput
from lfx_marketing_intel.marketing_intel._shared_inputs import (
    FROM_SETTINGS,
    chosen_engine,
    embeddings_input,
    engine_input,
    global_variable_input,
    tenant_input,
)

# Index choices in the node -> MI_BRAND_VOICE_BACKEND.
BACKENDS = {"Pinecone": "pinecone", "Embedded (sqlite-vec)": "local"}


SCOPE_INPUTS: list[InputTypes] = [
    tenant_input("The tenant whose brand this is. Agents cannot change it."),
    MessageTextInput(
        name="brand",
        display_name="Brand",
        info="The brand (letters, digits, '_', '.', '-'); each brand has its own exemplars.",
        required=True,
    ),
]
INDEX_INPUTS: list[InputTypes] = [
    embeddings_input(
        "Any embeddings model; empty: the offline all-MiniLM-L6-v2 (Local Embeddings). "
        "An index keeps the embedder it was built with and refuses another."
    ),
    engine_input(
        "backend",
        "Index",
        "Where exemplars live: as the server's MI_ settings say, Pinecone, or embedded.",
        BACKENDS,
    ),
    global_variable_input(
        "pinecone_api_key",
        "Pinecone API Key",
        "A global variable holding the key. Empty: MI_PINECONE_API_KEY.",
    ),
    StrInput(
        name="pinecone_index",
        display_name="Pinecone Index",
        info="The index name. Empty: MI_PINECONE_INDEX.",
        advanced=True,
    ),
    StrInput(
        name="pinecone_index_host",
        display_name="Pinecone Index Host",
        info="The index data-plane URL (no name lookup). Empty: MI_PINECONE_INDEX_HOST.",
        advanced=True,
    ),
]


@contextmanager
def brand_voice_index(node: Any) -> Iterator[Any]:
    """The brand-voice index of the server's settings with a node's inputs on top: the
    process's shared one with the offline embedder, else one opened for this run."""
    from marketing_intel.brand_voice import open_brand_voice_index, shared_brand_voice_index
    from marketing_intel.config import current_settings
    from marketing_intel.node_urls import node_url
    from marketing_intel.secret_inputs import secret_input

    host = getattr(node, "pinecone_index_host", None)
    settings = current_settings(
        brand_voice_backend=chosen_engine(BACKENDS, getattr(node, "backend", FROM_SETTINGS)),
        pinecone_api_key=secret_input(node, "pinecone_api_key"),
        pinecone_index=getattr(node, "pinecone_index", None),
        pinecone_index_host=node_url(host, "Pinecone Index Host"),
    )
    embeddings = getattr(node, "embeddings", None) or None
    if embeddings is None:
        yield shared_brand_voice_index(settings)
        return
    index = open_brand_voice_index(settings, embeddings)
    try:
        yield index
    finally:
        index.close()


def brand_scope(node: Any) -> tuple[str, str]:
    """A node's tenant and brand, trimmed."""
    return str(getattr(node, "tenant_id", "")).strip(), str(getattr(node, "brand", "")).strip()
