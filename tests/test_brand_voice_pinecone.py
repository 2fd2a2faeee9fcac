"""The exact requests the real `pinecone` SDK sends for the brand-voice index, over HTTP to the
Pinecone-shaped stand-in on 127.0.0.1 (tests/pinecone_standin.py; Pinecone itself cannot run
here): namespaces, filters, topK, ids, batching, the API version header and the key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from marketing_intel.brand_voice import (
    BrandVoiceBackendError,
    BrandVoiceConfigError,
    EmbedderMismatchError,
    Exemplar,
    PineconeBrandVoiceIndex,
    open_brand_voice_index,
)
from marketing_intel.config import ConfigError, load_settings
from marketing_intel.embeddings import LocalEmbeddings
from tests.pinecone_standin import API_KEY, PineconeStandIn, run_standin


@pytest.fixture
def server() -> Iterator[PineconeStandIn]:
    yield from run_standin(dimension=384)


def copy(count: int, tenant: str = "acme", brand: str = "trail") -> list[Exemplar]:
    return [
        Exemplar(tenant=tenant, brand=brand, text=f"Exemplar number {i} about the trail.")
        for i in range(count)
    ]


def test_upserts_are_batched_with_stable_ids_in_the_brands_namespace(
    server: PineconeStandIn,
) -> None:
    index = PineconeBrandVoiceIndex(api_key=API_KEY, index_host=server.url)
    exemplars = copy(150)
    index.upsert(exemplars)
    index.upsert(exemplars)  # again: same ids, nothing new
    upserts = server.calls("/vectors/upsert")
    assert [len(call.body["vectors"]) for call in upserts] == [100, 50, 100, 50]
    assert {call.body["namespace"] for call in upserts} == {"acme/trail"}
    sent_ids = [v["id"] for call in upserts[:2] for v in call.body["vectors"]]
    assert sent_ids == [e.id for e in exemplars]
    assert len(server.namespaces["acme/trail"]) == 150
    first = upserts[0].body["vectors"][0]
    assert first["metadata"] == {
        "tenant": "acme",
        "brand": "trail",
        "channel": "any",
        "text": "Exemplar number 0 about the trail.",
        "tags": [],
        "embedder_id": "sentence-transformers/all-MiniLM-L6-v2@onnx-int8",
    }
    for call in server.requests:
        assert call.headers["x-pinecone-api-version"] == "2026-07"
        assert call.headers["api-key"] == API_KEY


def test_query_and_delete_requests(server: PineconeStandIn) -> None:
    index = PineconeBrandVoiceIndex(api_key=API_KEY, index_host=server.url)
    exemplars = copy(3)
    index.upsert(exemplars)
    index.search("trail", k=2, filter={"channel": {"$in": ["email"]}}, tenant="acme", brand="trail")
    [query] = server.calls("/query")
    assert query.body["namespace"] == "acme/trail"
    assert query.body["topK"] == 2
    assert query.body["filter"] == {"channel": {"$in": ["email"]}}
    assert query.body["includeMetadata"] is True
    assert len(query.body["vector"]) == 384
    index.delete(tenant="acme", brand="trail", ids=[exemplars[0].id])
    index.delete(tenant="acme", brand="trail", filter={"channel": "any"})
    deletes = server.calls("/vectors/delete")
    assert deletes[0].body == {"ids": [exemplars[0].id], "namespace": "acme/trail"}
    assert deletes[1].body["filter"] == {"channel": "any"}
    assert deletes[1].body["namespace"] == "acme/trail"
    assert server.namespaces["acme/trail"] == {}


def test_score_reads_the_whole_brand_by_list_and_fetch(server: PineconeStandIn) -> None:
    index = PineconeBrandVoiceIndex(api_key=API_KEY, index_host=server.url)
    index.upsert(copy(130))
    result = index.score("Another line about the trail.", tenant="acme", brand="trail")
    assert result.exemplar_count == 130 and result.reliable
    fetches = server.calls("/vectors/fetch")
    fetched = [value for call in fetches for name, value in call.query if name == "ids"]
    assert len(set(fetched)) == 130
    assert all(("namespace", "acme/trail") in call.query for call in fetches)
    server.requests.clear()
    index.score("A second draft.", tenant="acme", brand="trail")  # calibration is cached
    assert server.calls("/vectors/fetch") == [] and len(server.calls("/query")) == 1


def test_the_index_is_found_by_name_on_the_control_host(server: PineconeStandIn) -> None:
    index = PineconeBrandVoiceIndex(
        api_key=API_KEY, index_name="brand-voice", control_host=server.url
    )
    assert index.index_host == server.url
    [describe] = server.calls("/indexes/brand-voice")
    assert describe.method == "GET"
    with pytest.raises(BrandVoiceBackendError, match="MI_PINECONE_INDEX"):
        PineconeBrandVoiceIndex(api_key=API_KEY, index_name="missing", control_host=server.url)


def test_a_wrong_key_says_which_setting_to_fix(server: PineconeStandIn) -> None:
    with pytest.raises(BrandVoiceBackendError, match="MI_PINECONE_API_KEY"):
        PineconeBrandVoiceIndex(api_key="wrong", index_host=server.url)


def test_an_index_of_another_dimension_is_refused() -> None:
    class Tiny(Embeddings):
        model = "tiny"

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [[1.0, 0.0] for _ in texts]

        def embed_query(self, text: str) -> list[float]:
            return [1.0, 0.0]

    for server in run_standin(dimension=8):
        with pytest.raises(EmbedderMismatchError, match="8-dimensional"):
            PineconeBrandVoiceIndex(api_key=API_KEY, index_host=server.url)
        with pytest.raises(EmbedderMismatchError, match="makes 2"):
            PineconeBrandVoiceIndex(api_key=API_KEY, index_host=server.url, embeddings=Tiny())
        assert server.calls("/vectors/upsert") == []


def test_settings_choose_pinecone_and_refuse_it_half_configured(
    server: PineconeStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MI_BRAND_VOICE_BACKEND", "pinecone")
    with pytest.raises(ConfigError, match="MI_PINECONE_API_KEY"):
        load_settings()
    monkeypatch.setenv("MI_PINECONE_API_KEY", API_KEY)
    with pytest.raises(ConfigError, match="MI_PINECONE_INDEX"):
        load_settings()
    monkeypatch.setenv("MI_PINECONE_INDEX_HOST", server.url)
    index = open_brand_voice_index(load_settings())
    assert isinstance(index, PineconeBrandVoiceIndex)
    with pytest.raises(BrandVoiceConfigError, match="API key"):
        PineconeBrandVoiceIndex(api_key="", index_host=server.url)


def test_the_deprecated_pinecone_client_is_neither_locked_nor_installed() -> None:
    """`pinecone-client` shares the import name `pinecone`; its 6.x raises on import."""
    from importlib.metadata import PackageNotFoundError, version

    lock = (Path(__file__).parents[1] / "uv.lock").read_text()
    assert 'name = "pinecone-client"' not in lock
    assert version("pinecone").startswith("10.")
    with pytest.raises(PackageNotFoundError):
        version("pinecone-client")


def test_integrated_inference_when_the_index_was_created_for_a_model() -> None:
    """The index's schema names a hosted model: records are upserted as text and searched by
    text; the score embeds the draft with the same model through the inference API."""
    for server in run_standin(dimension=384, integrated_model="multilingual-e5-large"):
        index = PineconeBrandVoiceIndex(
            api_key=API_KEY, index_name="brand-voice", control_host=server.url
        )
        assert index.integrated_model == "multilingual-e5-large"
        assert index.text_field == "chunk_text"
        assert index.embedder.id == "pinecone-inference:multilingual-e5-large"
        exemplars = copy(12)
        index.upsert(exemplars)
        [records] = server.calls("/records/namespaces/acme/trail/upsert")  # path decoded
        assert [r["_id"] for r in records.body] == [e.id for e in exemplars]
        assert records.body[0]["chunk_text"] == exemplars[0].text
        assert server.calls("/vectors/upsert") == []  # no client-side vectors
        matches = index.search("Exemplar number 3", k=2, tenant="acme", brand="trail")
        assert matches[0].text == exemplars[3].text
        [search] = server.calls("/records/namespaces/acme/trail/search")
        assert search.body["query"]["top_k"] == 2
        assert search.body["query"]["inputs"] == {"text": "Exemplar number 3"}
        embeds_before = len(server.calls("/embed"))
        result = index.score("Exemplar number 40 about the trail.", tenant="acme", brand="trail")
        assert result.reliable and result.exemplar_count == 12
        assert len(server.calls("/embed")) == embeds_before + 1  # the draft, by the same model
        embed = server.calls("/embed")[-1]
        assert embed.body["model"] == "multilingual-e5-large"
        assert embed.body["parameters"]["input_type"] == "passage"
        with pytest.raises(BrandVoiceConfigError, match="own model"):
            PineconeBrandVoiceIndex(
                api_key=API_KEY,
                index_name="brand-voice",
                control_host=server.url,
                embeddings=LocalEmbeddings(),
            )
