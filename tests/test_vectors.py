"""The local vector index: one contract for sqlite-vec and the numpy reference, and exactness.

Both implementations run the same tests; the sqlite-vec results must equal the numpy reference
(same ids in the same order, same scores to float32 rounding) on random data with filters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from marketing_intel.embeddings import EmbedderIdentity
from marketing_intel.vectors import (
    EmbedderMismatch,
    InvalidFilter,
    InvalidRecord,
    NumpyVectorIndex,
    SqliteVecIndex,
    VectorIndex,
    VectorRecord,
)

EMBEDDER = EmbedderIdentity("test-embedder", 8)
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite-vec", "numpy"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    store: VectorIndex
    if request.param == "sqlite-vec":
        store = SqliteVecIndex(tmp_path / "vectors.sqlite", EMBEDDER, collection="test")
    else:
        store = NumpyVectorIndex(EMBEDDER)
    yield store
    store.close()


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    vector[: len(values)] = values
    return vector


def record(record_id: str, vector: np.ndarray, **metadata: object) -> VectorRecord:
    return VectorRecord(record_id, vector, metadata)  # type: ignore[arg-type]


def test_search_orders_by_cosine_and_respects_k(index: VectorIndex) -> None:
    index.upsert(
        "t1",
        [
            record("a", unit(1, 0)),
            record("b", unit(1, 1)),
            record("c", unit(0, 1)),
            record("d", unit(-1, 0)),
        ],
    )
    matches = index.search("t1", unit(1, 0.1), k=3)
    assert [m.id for m in matches] == ["a", "b", "c"]
    assert matches[0].score == pytest.approx(0.99504, abs=1e-4)
    assert matches[1].score > matches[2].score


def test_tenants_never_see_each_other(index: VectorIndex) -> None:
    index.upsert("t1", [record("same-id", unit(1, 0), owner="t1")])
    index.upsert("t2", [record("same-id", unit(0, 1), owner="t2")])
    assert [m.metadata["owner"] for m in index.search("t1", unit(0, 1), k=10)] == ["t1"]
    assert index.count("t2") == 1
    assert index.delete("t2", ids=["same-id"]) == 1
    assert index.count("t1") == 1
    assert index.search("t3", unit(1, 0)) == []
    with pytest.raises(InvalidRecord, match="tenant"):
        index.search("", unit(1, 0))


def test_upsert_replaces_by_id_without_duplicates(index: VectorIndex) -> None:
    index.upsert("t1", [record("a", unit(1, 0), v=1), record("b", unit(0, 1))])
    index.upsert("t1", [record("a", unit(0, 1), v=2)])
    assert index.count("t1") == 2
    [fetched] = index.fetch("t1", ["a"])
    assert fetched.metadata == {"v": 2}
    np.testing.assert_array_equal(fetched.vector, unit(0, 1))
    assert [r.id for r in index.records("t1")] == ["a", "b"]  # a keeps its place


def test_metadata_filters(index: VectorIndex) -> None:
    index.upsert(
        "t1",
        [
            record("a", unit(1, 0), brand="acme", tags=["promo", "email"], score=3),
            record("b", unit(1, 0.2), brand="acme", tags=["news"], score=7.5),
            record("c", unit(1, 0.4), brand="zeta", score=5, active=True),
        ],
    )

    def ids(filter: dict) -> list[str]:
        return [m.id for m in index.search("t1", unit(1, 0), k=10, filter=filter)]

    assert ids({"brand": "acme"}) == ["a", "b"]
    assert ids({"tags": "promo"}) == ["a"]
    assert ids({"tags": {"$in": ["news", "x"]}}) == ["b"]
    assert ids({"tags": {"$nin": ["promo"]}}) == ["b", "c"]
    assert ids({"brand": {"$ne": "acme"}}) == ["c"]
    assert ids({"score": {"$gte": 5}}) == ["b", "c"]
    assert ids({"score": {"$gt": 3, "$lt": 7}}) == ["c"]
    assert ids({"active": {"$exists": True}}) == ["c"]
    assert ids({"active": True}) == ["c"]
    assert ids({"$or": [{"brand": "zeta"}, {"tags": "news"}]}) == ["b", "c"]
    assert ids({"$and": [{"brand": "acme"}, {"score": {"$lt": 5}}]}) == ["a"]
    assert ids({"brand": {"$in": []}}) == []
    assert ids({"brand": "1"}) == [] and ids({"score": "3"}) == []  # strings never equal numbers
    assert index.count("t1", {"brand": "acme"}) == 2
    assert [r.id for r in index.records("t1", {"tags": {"$exists": False}})] == ["c"]
    with pytest.raises(InvalidFilter, match=r"\$near"):
        index.search("t1", unit(1, 0), filter={"brand": {"$near": 1}})
    with pytest.raises(InvalidFilter, match="compares numbers"):
        index.search("t1", unit(1, 0), filter={"score": {"$gt": "3"}})


def test_delete_by_filter_and_refuse_deleting_everything(index: VectorIndex) -> None:
    index.upsert("t1", [record("a", unit(1), brand="x"), record("b", unit(0, 1), brand="y")])
    assert index.delete("t1", filter={"brand": "x"}) == 1
    assert [r.id for r in index.records("t1")] == ["b"]
    with pytest.raises(InvalidRecord, match="exactly one"):
        index.delete("t1")
    assert index.delete("t1", ids=["missing"]) == 0


def test_expired_records_are_invisible_then_purged(index: VectorIndex) -> None:
    index.upsert(
        "t1",
        [
            VectorRecord("old", unit(1, 0), {}, NOW - dt.timedelta(seconds=1)),
            VectorRecord("later", unit(1, 0.1), {}, NOW + dt.timedelta(days=1)),
            VectorRecord("forever", unit(1, 0.2), {}),
        ],
    )
    assert [m.id for m in index.search("t1", unit(1, 0), now=NOW)] == ["later", "forever"]
    assert index.count("t1", now=NOW) == 2
    assert len(index.fetch("t1", ["old"])) == 1
    assert index.purge_expired(now=NOW) == 1
    assert index.fetch("t1", ["old"]) == []
    later = NOW + dt.timedelta(days=2)
    assert [r.id for r in index.records("t1", now=later)] == ["forever"]


def test_bad_records_are_refused(index: VectorIndex) -> None:
    with pytest.raises(InvalidRecord, match="8"):
        index.upsert("t1", [record("a", np.ones(3, dtype=np.float32))])
    with pytest.raises(InvalidRecord, match="no direction"):
        index.upsert("t1", [record("a", unit())])
    with pytest.raises(InvalidRecord, match="list"):
        index.upsert("t1", [record("a", unit(1), tags=[1, 2])])
    with pytest.raises(InvalidRecord, match="time zone"):
        index.upsert("t1", [VectorRecord("a", unit(1), {}, dt.datetime(2030, 1, 1))])
    with pytest.raises(InvalidRecord, match="k must"):
        index.search("t1", unit(1), k=0)
    assert index.count("t1") == 0  # nothing half-written


def test_sqlite_vec_equals_the_numpy_reference(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    embedder = EmbedderIdentity("random", 32)
    local = SqliteVecIndex(tmp_path / "v.sqlite", embedder, collection="exact")
    reference = NumpyVectorIndex(embedder)
    brands = ["a", "b", "c"]
    for tenant in ("t1", "t2", "t3"):
        records = [
            VectorRecord(
                f"{tenant}-{i}",
                rng.standard_normal(32).astype(np.float32),
                {"brand": brands[i % 3], "n": int(i), "tags": [f"g{i % 5}", f"h{i % 7}"]},
            )
            for i in range(300)
        ]
        local.upsert(tenant, records)
        reference.upsert(tenant, records)
    filters = [
        None,
        {"brand": "b"},
        {"n": {"$lt": 40}},
        {"tags": {"$in": ["g1", "h3"]}},
        {"$or": [{"brand": "a"}, {"n": {"$gte": 290}}]},
    ]
    for trial in range(40):
        query = rng.standard_normal(32).astype(np.float32)
        tenant = f"t{trial % 3 + 1}"
        for filter in filters:
            got = local.search(tenant, query, k=25, filter=filter)
            want = reference.search(tenant, query, k=25, filter=filter)
            assert [m.id for m in got] == [m.id for m in want]
            np.testing.assert_allclose(
                [m.score for m in got], [m.score for m in want], rtol=0, atol=2e-6
            )
            assert [m.metadata for m in got] == [m.metadata for m in want]
    assert [r.id for r in local.records("t2", {"brand": "c"})] == [
        r.id for r in reference.records("t2", {"brand": "c"})
    ]
    local.close()


def test_sqlite_file_persists_and_refuses_another_embedder(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite"
    with SqliteVecIndex(path, EMBEDDER, collection="memory") as first:
        first.upsert("t1", [record("a", unit(1, 0), kind="note")])
    with SqliteVecIndex(path, EMBEDDER, collection="memory") as again:
        assert [m.id for m in again.search("t1", unit(1, 0))] == ["a"]
    with pytest.raises(EmbedderMismatch, match=r"test-embedder.*other-model"):
        SqliteVecIndex(path, EmbedderIdentity("other-model", 8), collection="memory")
    with pytest.raises(EmbedderMismatch, match="16 dimensions"):
        SqliteVecIndex(path, EmbedderIdentity("test-embedder", 16), collection="memory")
    # another collection in the same file may use another embedder
    with SqliteVecIndex(path, EmbedderIdentity("other-model", 4), collection="brand") as other:
        assert other.count("t1") == 0


def test_two_connections_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    with (
        SqliteVecIndex(path, EMBEDDER, collection="c") as writer,
        SqliteVecIndex(path, EMBEDDER, collection="c") as reader,
    ):
        writer.upsert("t1", [record("a", unit(1))])
        assert reader.count("t1") == 1
