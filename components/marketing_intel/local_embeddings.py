"""The "Local Embedder" node: the offline all-MiniLM-L6-v2 (int8 ONNX) as an Embeddings output
that any Langflow node accepts. Nothing is downloaded: the model ships in installed packages."""

from __future__ import annotations

from lfx.base.embeddings.model import LCEmbeddingsModel
from lfx.field_typing import Embeddings
from lfx.io import IntInput


class LocalEmbeddingsComponent(LCEmbeddingsModel):
    """Offline sentence embeddings (384 dimensions), one model per server process."""

    display_name = "Local Embedder"
    description = (
        "Offline embeddings with all-MiniLM-L6-v2 (int8 ONNX, 384 dimensions): no account, no "
        "download. The default embedder of the brand-voice and memory nodes."
    )
    icon = "binary"
    name = "LocalEmbeddings"
    metadata = {"keywords": ["embeddings", "offline", "minilm", "onnx", "local"]}

    inputs = [
        IntInput(
            name="batch_size",
            display_name="Batch Size",
            info="Texts embedded per model call.",
            value=32,
            advanced=True,
        ),
    ]

    def build_embeddings(self) -> Embeddings:
        """The offline embedder (the model is shared by every node of the process)."""
        from marketing_intel.embeddings import MINILM_DIMENSION, LocalEmbeddings

        self.status = f"all-MiniLM-L6-v2 int8, {MINILM_DIMENSION} dimensions"
        return LocalEmbeddings(batch_size=max(1, int(self.batch_size or 32)))
