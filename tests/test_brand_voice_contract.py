"""One contract for every brand-voice index: the embedded sqlite-vec one, and Pinecone's through
the real `pinecone` SDK over HTTP against both the Pinecone-shaped stand-in
(tests/pinecone_standin.py) and needledb (tests/needledb_server.py), with the offline embedder.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from marketing_intel.brand_voice import (
    BrandVoiceIndex,
    EmbedderMismatchError,
    Exemplar,
    LocalBrandVoiceIndex,
    PineconeBrandVoiceIndex,
)
from tests.needledb_server import NeedleDB, needledb  # noqa: F401 (session fixture)
from tests.pinecone_standin import API_KEY, run_standin

VOICES = json.loads((Path(__file__).parent / "data" / "brand_voices.json").read_text())["brands"]
PEAKLINE = VOICES["peakline"]


OpenIndex = Callable[..., BrandVoiceIndex]


@pytest.fixture(params=["local", "pinecone-standin", "pinecone-needledb"])
def open_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenIndex]:
    """Opens the same backing store (a file, a stand-in server, a needledb index) again and
    again, with the offline embedder or the one given."""
    opened: list[BrandVoiceIndex] = []
    servers = None
    if request.param == "local":

        def make(embeddings: Embeddings | None = None) -> BrandVoiceIndex:
            return LocalBrandVoiceIndex(tmp_path / "vectors.sqlite", embeddings)

    elif request.param == "pinecone-standin":
        servers = run_standin(dimension=384)
        server = next(servers)

        def make(embeddings: Embeddings | None = None) -> BrandVoiceIndex:
            return PineconeBrandVoiceIndex(
                api_key=API_KEY, index_host=server.url, embeddings=embeddings
            )

    else:
        peer: NeedleDB = request.getfixturevalue("needledb")
        host = peer.create_index(f"bv-{uuid.uuid4().hex[:12]}", 384)

        def make(embeddings: Embeddings | None = None) -> BrandVoiceIndex:
            return PineconeBrandVoiceIndex(
                api_key=peer.api_key, index_host=host, embeddings=embeddings
            )

    def tracked(embeddings: Embeddings | None = None) -> BrandVoiceIndex:
        store = make(embeddings)
        opened.append(store)
        return store

    yield tracked
    for store in opened:
        store.close()
    if servers is not None:
        servers.close()  # stops the stand-in


@pytest.fixture
def index(open_index: OpenIndex) -> BrandVoiceIndex:
    return open_index()


def exemplars(tenant: str, brand: str, texts: list[str], **fields: object) -> list[Exemplar]:
    return [Exemplar(tenant=tenant, brand=brand, text=text, **fields) for text in texts]  # type: ignore[arg-type]


def test_search_finds_the_closest_copy_and_reindexing_adds_nothing(index: BrandVoiceIndex) -> None:
    copy = exemplars("t1", "peakline", PEAKLINE["exemplars"][:12])
    report = index.upsert(copy)
    assert report.written == 12 and report.by_brand == {"t1/peakline": 12}
    index.upsert(copy + exemplars("t1", "peakline", ["  " + PEAKLINE["exemplars"][0] + "  "]))
    everything = index.search("mountain gear", k=100, tenant="t1", brand="peakline")
    assert len(everything) == 12
    assert sorted(m.id for m in everything) == sorted(e.id for e in copy)
    [best] = index.search(PEAKLINE["exemplars"][3], k=1, tenant="t1", brand="peakline")
    assert best.text == PEAKLINE["exemplars"][3] and best.score > 0.99


def test_tenants_and_brands_are_isolated(index: BrandVoiceIndex) -> None:
    index.upsert(exemplars("t1", "peakline", PEAKLINE["exemplars"][:5]))
    index.upsert(exemplars("t2", "peakline", ["Tenant two's private copy about sofas."]))
    index.upsert(exemplars("t1", "other", ["Another brand of tenant one."]))
    texts = {m.text for m in index.search("sofas", k=50, tenant="t1", brand="peakline")}
    assert texts == set(PEAKLINE["exemplars"][:5])
    [only] = index.search("anything", k=50, tenant="t2", brand="peakline")
    assert only.text == "Tenant two's private copy about sofas."
    assert index.search("anything", k=5, tenant="t3", brand="peakline") == []


def test_metadata_filters_and_deletes(index: BrandVoiceIndex) -> None:
    approved = "2026-03-01T00:00:00Z"
    emails = exemplars("t1", "b", PEAKLINE["exemplars"][:3], channel="email", tags=["winter"])
    ads = exemplars("t1", "b", PEAKLINE["exemplars"][3:6], channel="ads", approved_at=approved)
    index.upsert(emails + ads)
    found = index.search("snow", k=10, filter={"channel": "email"}, tenant="t1", brand="b")
    assert {m.id for m in found} == {e.id for e in emails}
    assert all(m.channel == "email" and m.tags == ["winter"] for m in found)
    dated = index.search(
        "snow", k=10, filter={"approved_at": {"$gte": 1.7e9}}, tenant="t1", brand="b"
    )
    assert {m.id for m in dated} == {e.id for e in ads}
    assert dated[0].approved_at is not None and dated[0].approved_at.year == 2026
    index.delete(tenant="t1", brand="b", ids=[emails[0].id])
    index.delete(tenant="t1", brand="b", filter={"channel": {"$eq": "ads"}})
    left = index.search("snow", k=10, tenant="t1", brand="b")
    assert {m.id for m in left} == {e.id for e in emails[1:]}
    with pytest.raises(ValueError, match="exactly one"):
        index.delete(tenant="t1", brand="b")


def test_score_is_calibrated_and_honest_about_thin_brands(index: BrandVoiceIndex) -> None:
    index.upsert(exemplars("t1", "peakline", PEAKLINE["exemplars"][:5]))
    thin = index.score(PEAKLINE["on_brand"][0], tenant="t1", brand="peakline")
    assert thin.score is None and not thin.reliable and thin.label == "not enough exemplars"
    assert "5 exemplars" in thin.summary and len(thin.nearest) == 3
    index.upsert(exemplars("t1", "peakline", PEAKLINE["exemplars"]))
    on = index.score(PEAKLINE["on_brand"][0], tenant="t1", brand="peakline")
    off = index.score(PEAKLINE["off_brand"][4], tenant="t1", brand="peakline")  # an invoice
    assert on.reliable and on.exemplar_count == 20
    assert on.score is not None and off.score is not None and on.score > off.score
    assert on.label == "on brand" and off.label == "off brand"
    # same topic, wrong tone: the traits name what differs
    gushing = index.score(PEAKLINE["off_brand"][1], tenant="t1", brand="peakline")
    assert any("exclamation" in d for d in gushing.differences)
    assert any("emoji" in d for d in gushing.differences)
    assert on.nearest[0].score >= on.nearest[-1].score


class SameSizeOtherModel(Embeddings):
    """384 dimensions like MiniLM, but another model: its vectors must not mix with MiniLM's."""

    model = "other-384"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0] * 384 for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0] * 384


def test_another_embedder_is_refused(index: BrandVoiceIndex, open_index: OpenIndex) -> None:
    index.upsert(exemplars("t1", "peakline", PEAKLINE["exemplars"][:2]))
    with pytest.raises(EmbedderMismatchError, match="other-384"):  # noqa: PT012
        # the local file refuses at open; Pinecone on first use of the namespace
        other = open_index(SameSizeOtherModel())
        other.search("snow", k=1, tenant="t1", brand="peakline")
    assert len(index.search("snow", k=5, tenant="t1", brand="peakline")) == 2
