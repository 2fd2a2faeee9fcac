"""Brand voice and the local vector index at 100k exemplars across 100 tenants.

1. Search (embedding excluded): exact top-10 within a tenant on sqlite-vec, unfiltered and with
   the brand filter the brand-voice index adds, vs the numpy brute-force reference in the same
   run (the results are checked equal). Target: p95 < 2 ms.
2. End-to-end score of a draft (embedding included) on the same 100k-vector file, one brand of
   20 real exemplars: `LocalBrandVoiceIndex.score` vs the same on the numpy reference.
   Target: p95 < 20 ms.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.size import sized
from bench.timing import latency_percentiles
from marketing_intel.brand_voice import Exemplar, LocalBrandVoiceIndex
from marketing_intel.embeddings import embedder_identity, local_embeddings
from marketing_intel.vectors import NumpyVectorIndex, SqliteVecIndex, VectorIndex, VectorRecord

# (Tiny: 8 tenants, the fewest that hold tenant-7, the brand the scoring reads.)
TENANTS, PER_TENANT, BRANDS, DIMENSION = sized(100, 8), sized(1000, 20), 4, 384
QUERIES, SCORES = sized(400, 10), sized(200, 5)
VOICES = Path(__file__).parents[1] / "tests" / "data" / "brand_voices.json"


def fill(indexes: list[VectorIndex], rng: np.random.Generator) -> None:
    """100 tenants x 1000 random unit vectors, 4 brands each, in every index."""
    for t in range(TENANTS):
        vectors = rng.standard_normal((PER_TENANT, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        records = [
            VectorRecord(f"x{t}-{i}", vectors[i], {"brand": f"b{i % BRANDS}", "text": "x"})
            for i in range(PER_TENANT)
        ]
        for index in indexes:
            index.upsert(f"tenant-{t}", records)


def searcher(
    index: VectorIndex, tenants: list[str], queries: np.ndarray, filter: dict[str, str] | None
) -> Callable[[int], object]:
    """The i-th timed search: top-10 of query i in its tenant."""
    return lambda i: index.search(tenants[i], queries[i], 10, filter)


def report(name: str, ours: tuple[float, float], baseline: tuple[float, float]) -> None:
    ratio = ours[1] / baseline[1]
    print(
        f"  {name}: sqlite-vec p50 {ours[0]:.2f} ms, p95 {ours[1]:.2f} ms | numpy reference "
        f"p50 {baseline[0]:.2f} ms, p95 {baseline[1]:.2f} ms | ratio p95 {ratio:.2f}x"
    )


def main() -> None:
    """Run both measurements and print them with their baselines."""
    identity = embedder_identity(local_embeddings())
    rng = np.random.default_rng(11)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "vectors.sqlite"
        local = SqliteVecIndex(path, identity, collection="brand_voice")
        reference = NumpyVectorIndex(identity)
        started = time.perf_counter()
        fill([local], np.random.default_rng(5))
        ingest_s = time.perf_counter() - started
        fill([reference], np.random.default_rng(5))
        print(f"brand_voice: {TENANTS * PER_TENANT:,} vectors, {TENANTS} tenants, dim {DIMENSION}")
        print(f"  ingest into sqlite-vec: {ingest_s:.1f} s")

        queries = rng.standard_normal((QUERIES, DIMENSION)).astype(np.float32)
        tenants = [f"tenant-{i % TENANTS}" for i in range(QUERIES)]
        for filter in (None, {"brand": "b1"}):
            for i in range(0, QUERIES, 40):  # same answers
                got = local.search(tenants[i], queries[i], 10, filter)
                want = reference.search(tenants[i], queries[i], 10, filter)
                assert [m.id for m in got] == [m.id for m in want]
            ours = latency_percentiles(searcher(local, tenants, queries, filter), QUERIES)
            base = latency_percentiles(searcher(reference, tenants, queries, filter), QUERIES)
            report("search top-10" + (" with brand filter" if filter else ""), ours, base)

        voice = json.loads(VOICES.read_text())["brands"]["lumen-bank"]
        drafts = voice["on_brand"] + voice["off_brand"]
        exemplars = [Exemplar(tenant="tenant-7", brand="lumen", text=t) for t in voice["exemplars"]]
        brand_local = LocalBrandVoiceIndex(vectors=local)
        brand_reference = LocalBrandVoiceIndex(vectors=reference)
        for index in (brand_local, brand_reference):
            index.upsert(exemplars)

        def scorer(index: LocalBrandVoiceIndex) -> Callable[[int], object]:
            return lambda i: index.score(drafts[i % len(drafts)], tenant="tenant-7", brand="lumen")

        ours = latency_percentiles(scorer(brand_local), SCORES)
        base = latency_percentiles(scorer(brand_reference), SCORES)
        report("score a draft end to end (embedding included)", ours, base)
        local.close()


if __name__ == "__main__":
    main()
