"""Agent memory, embedded store: recall latency at 100k memories and remember throughput.

1. Recall: 100,000 memories across 100 tenants in `LocalMemoryStore`; p50/p95 of
   `recall(query, 10, tenant)` over 300 queries, query embedding included (target p95 < 10 ms).
   Baselines in the same run: the offline embedder alone (`embed_query`) and the raw vector
   index search with a ready query vector (`SqliteVecIndex.search`); recall should cost little
   more than the two together.
   The store is filled through `remember_many` (records, metadata, upserts: the real path) with
   document vectors derived from 2,000 really embedded sentences plus small noise, because
   embedding 100k texts here would take minutes and is not what this measures.
2. Remember: the first remember of 1,000 new records with real embedding, in one
   `remember_many` (target < 5 s). Every run remembers texts nobody remembered before in the
   process (its own run number is in each), into a fresh file: neither the store nor the
   process-wide cache of known vectors can skip the embedding, as for a day's new insights.
   Baseline: `embed_documents` alone on 1,000 new texts of the same make-up.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from bench.size import sized
from bench.timing import latency_percentiles, median_seconds
from marketing_intel.embeddings import LocalEmbeddings, local_embeddings
from marketing_intel.memory import MemoryFilter, MemoryRecord
from marketing_intel.memory.local_store import LocalMemoryStore

TENANTS, PER_TENANT, BASE_SENTENCES, QUERIES = sized((100, 1_000, 2_000, 300), (2, 20, 20, 20))
REMEMBERED = sized(1_000, 20)
PLATFORMS = ["Meta", "Google Ads", "TikTok", "Klaviyo", "Shopify", "Stripe", "Pinterest"]
METRICS = ["ROAS", "CTR", "CPA", "conversion rate", "open rate", "refund rate", "spend"]
MOVES = ["fell", "rose", "doubled", "halved", "stalled", "spiked", "recovered"]
CAUSES = [
    "after the creative refresh",
    "when the budget cap hit before noon",
    "because checkout webhooks failed",
    "after the subject line test",
    "during the holiday promotion",
    "once the audience was narrowed",
]


def sentence(n: int) -> str:
    """A varied, realistic memory text (deterministic in n)."""
    return (
        f"{PLATFORMS[n % 7]} {METRICS[n // 7 % 7]} {MOVES[n // 49 % 7]} "
        f"{CAUSES[n // 343 % 6]} for campaign {n % 97} in week {n % 52 + 1}."
    )


class PrecomputedDocuments(Embeddings):
    """The real embedder for queries; documents get ready vectors (base sentence + noise)."""

    def __init__(self, real: LocalEmbeddings, base: np.ndarray, rng: np.random.Generator) -> None:
        self.real, self.base, self.rng = real, base, rng
        self.embedder_id, self.dimension = real.embedder_id, real.dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        picks = self.base[self.rng.integers(0, len(self.base), len(texts))]
        noisy = picks + self.rng.normal(0, 0.02, picks.shape).astype(np.float32)
        return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


def recall_bench(folder: Path, real: LocalEmbeddings) -> None:
    rng = np.random.default_rng(7)
    base = real.embed_array([sentence(n) for n in range(BASE_SENTENCES)])
    store = LocalMemoryStore(folder / "recall.sqlite", PrecomputedDocuments(real, base, rng))
    started = time.perf_counter()
    for tenant in range(TENANTS):
        records = [
            MemoryRecord(tenant=f"t{tenant}", content=f"{sentence(n)} (#{tenant}-{n})")
            for n in range(PER_TENANT)
        ]
        store.remember_many(records)
    print(
        f"memory: filled {TENANTS * PER_TENANT:,} memories in {time.perf_counter() - started:.1f} s"
    )

    queries = [
        f"why did {PLATFORMS[i % 7]} {METRICS[i % 5]} change in week {i % 50}"
        for i in range(QUERIES)
    ]
    vectors = real.embed_array(queries)
    filters = [MemoryFilter(tenant=f"t{i % TENANTS}") for i in range(QUERIES)]
    ours = latency_percentiles(lambda i: store.recall(queries[i], 10, filters[i]), QUERIES)
    embed = latency_percentiles(lambda i: real.embed_query(queries[i]), QUERIES)
    search = latency_percentiles(
        lambda i: store.index.search(f"t{i % TENANTS}", vectors[i], 10), QUERIES
    )
    store.close()
    both = embed[1] + search[1]
    print(
        f"memory recall ({TENANTS * PER_TENANT:,} memories, {TENANTS} tenants, k=10): "
        f"p50 {ours[0]:.2f} ms, "
        f"p95 {ours[1]:.2f} ms (target < 10 ms)\n"
        f"  baselines: embed_query p50 {embed[0]:.2f} / p95 {embed[1]:.2f} ms; raw index search "
        f"p50 {search[0]:.2f} / p95 {search[1]:.2f} ms\n"
        f"  ratio: recall p95 / (embed p95 + search p95) = {ours[1] / both:.2f}x"
    )


def remember_bench(folder: Path, real: LocalEmbeddings) -> None:
    runs = itertools.count()

    def new_texts() -> list[str]:
        """REMEMBERED texts no earlier run had (each carries its run number)."""
        run = next(runs)
        return [f"{sentence(n)} Noted by the analyst on run {run}-{n}." for n in range(REMEMBERED)]

    def remember() -> None:
        records = [MemoryRecord(tenant="t1", content=text) for text in new_texts()]
        store = LocalMemoryStore(folder / f"remember-{records[0].id}.sqlite", real)
        store.remember_many(records)
        store.close()

    ours = median_seconds(remember, repeat=sized(3, 1))
    embed = median_seconds(lambda: real.embed_documents(new_texts()), repeat=sized(3, 1))
    print(
        f"memory remember ({REMEMBERED:,} new records, one batch, first remember): {ours:.2f} s "
        f"(target < 5 s); baseline embed_documents alone {embed:.2f} s; ratio {ours / embed:.2f}x"
    )


def main() -> None:
    """Run both measurements and print them with their baselines."""
    real = local_embeddings()
    real.embed_query("warm up the model")
    with tempfile.TemporaryDirectory() as folder:
        remember_bench(Path(folder), real)
        recall_bench(Path(folder), real)


if __name__ == "__main__":
    main()
