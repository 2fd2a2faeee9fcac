"""The offline embedder: the real int8 ONNX model from the installed packages, no network."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from marketing_intel.embeddings import (
    MINILM_DIMENSION,
    MINILM_EMBEDDER_ID,
    EmbedderIdentity,
    EmbeddingsError,
    LocalEmbeddings,
    embedder_identity,
    local_embeddings,
)


def test_vectors_are_normalized_and_paraphrases_are_closest() -> None:
    texts = [
        "A cat sits on the mat.",
        "A kitten is sitting on a rug.",
        "Quarterly revenue grew twelve percent.",
    ]
    vectors = np.array(local_embeddings().embed_documents(texts))
    assert vectors.shape == (3, MINILM_DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.5 > similarity[0, 2]


def test_batching_and_padding_do_not_change_a_vector() -> None:
    embedder = LocalEmbeddings(batch_size=2)
    alone = embedder.embed_query("Fresh deals every Friday.")
    texts = ["word " * 400, "Fresh deals every Friday.", "x", "Another sentence here."]
    together = embedder.embed_documents(texts)
    np.testing.assert_allclose(together[1], alone, atol=1e-5)
    assert embedder.embed_documents([]) == []


def test_long_texts_are_truncated_not_refused() -> None:
    short = np.array(local_embeddings().embed_query("word " * 300))
    longer = np.array(local_embeddings().embed_query("word " * 900))
    np.testing.assert_allclose(short, longer, atol=1e-6)  # both cut at 256 tokens


def test_one_model_per_process_shared_by_threads() -> None:
    results: list[list[float]] = []

    def embed() -> None:
        results.append(LocalEmbeddings().embed_query("Same text from many threads."))

    threads = [threading.Thread(target=embed) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    for vector in results[1:]:
        np.testing.assert_allclose(vector, results[0], atol=1e-6)
    assert local_embeddings() is local_embeddings()


def test_identity_of_ours_and_of_any_langchain_embeddings() -> None:
    assert embedder_identity(local_embeddings()) == (MINILM_EMBEDDER_ID, 384)

    class Other(Embeddings):
        model = "tiny-3"

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [[1.0, 0.0, 0.0] for _ in texts]

        def embed_query(self, text: str) -> list[float]:
            return [1.0, 0.0, 0.0]

    identity = embedder_identity(Other())
    assert identity == EmbedderIdentity(f"{__name__}.{Other.__qualname__}:tiny-3", 3)


def test_a_failing_embedder_is_reported() -> None:
    class Broken(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise RuntimeError("no key")

        def embed_query(self, text: str) -> list[float]:
            raise RuntimeError("no key")

    with pytest.raises(EmbeddingsError, match="no key"):
        embedder_identity(Broken())


def test_works_with_no_network_and_no_hub() -> None:
    """A fresh process with the hubs switched off and no proxy can embed: nothing is fetched."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from marketing_intel.embeddings import local_embeddings\n"
        "print(len(local_embeddings().embed_query('offline')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "384"
