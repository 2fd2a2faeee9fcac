"""Inputs and the index opening shared by the brand-voice nodes (a mixin, not a Component, so
Langflow does not register it as a node)."""

from __future__ import annotations

from typing import Any

from lfx.io import DropdownInput, HandleInput, MessageTextInput, SecretStrInput, StrInput

# Index choices in the node -> MI_BRAND_VOICE_BACKEND (None: keep the server's setting).
BACKENDS: dict[str, str | None] = {
    "From settings": None,
    "Pinecone": "pinecone",
    "Embedded (sqlite-vec)": "local",
}


class BrandVoiceBackendMixin:
    """Tenant, brand, embedder and backend inputs, and the index they open."""

    scope_inputs: list[Any] = [
        MessageTextInput(
            name="tenant_id",
            display_name="Tenant ID",
            info="The tenant whose brand this is. Agents cannot change it.",
            required=True,
        ),
        MessageTextInput(
            name="brand",
            display_name="Brand",
            info="The brand (letters, digits, '_', '.', '-'); each brand has its own exemplars.",
            required=True,
        ),
    ]
    backend_inputs: list[Any] = [
        HandleInput(
            name="embeddings",
            display_name="Embeddings",
            info=(
                "Any embeddings model; empty: the offline all-MiniLM-L6-v2 (Local Embeddings). "
                "An index keeps the embedder it was built with and refuses another."
            ),
            input_types=["Embeddings"],
            required=False,
        ),
        DropdownInput(
            name="backend",
            display_name="Index",
            info="Where exemplars live: as the server's MI_ settings say, Pinecone, or embedded.",
            options=list(BACKENDS),
            value="From settings",
            advanced=True,
        ),
        SecretStrInput(
            name="pinecone_api_key",
            display_name="Pinecone API Key",
            info="A global variable holding the key. Empty: MI_PINECONE_API_KEY.",
            required=False,
            advanced=True,
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

    def _open_index(self) -> Any:
        """The brand-voice index of the server's settings with this node's inputs on top."""
        from marketing_intel.brand_voice import open_brand_voice_index
        from marketing_intel.config import load_settings

        host = getattr(self, "pinecone_index_host", None)
        if host:
            from lfx.utils.ssrf_protection import validate_connector_url_for_ssrf

            validate_connector_url_for_ssrf(host)  # a URL typed into a node is untrusted
        settings = load_settings(
            brand_voice_backend=BACKENDS[getattr(self, "backend", "From settings")],
            pinecone_api_key=self._secret_value("pinecone_api_key"),
            pinecone_index=getattr(self, "pinecone_index", None),
            pinecone_index_host=host,
        )
        return open_brand_voice_index(settings, getattr(self, "embeddings", None) or None)

    def _secret_value(self, field: str) -> str | None:
        """A secret input's value; a named global variable that is missing is an error (Langflow
        would pass None and only log it, and we would silently use another key)."""
        value = getattr(self, field, None)
        if value:
            return str(value)
        vertex = getattr(self, "_vertex", None)
        if vertex is not None and field in vertex.load_from_db_fields:
            variable = vertex.params.get(field)
            if variable:
                raise ValueError(
                    f"The global variable `{variable}` for {field} is not set: create it under "
                    "Settings > Global Variables (or in the environment for headless runs)."
                )
        return None

    def _scope(self) -> tuple[str, str]:
        return str(getattr(self, "tenant_id", "")).strip(), str(getattr(self, "brand", "")).strip()


def user_message(error: Exception) -> ValueError:
    """Our errors as the one sentence Langflow shows on the node."""
    return ValueError(str(error))
