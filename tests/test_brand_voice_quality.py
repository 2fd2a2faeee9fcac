"""Quality of the on-brand score with the default (offline) embedder, on the labelled set in
tests/data/brand_voices.json (3 voices x 20 exemplars, drafts in and out of voice), and the
local index's results equal to the numpy reference's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from marketing_intel.brand_voice import Exemplar, LocalBrandVoiceIndex
from marketing_intel.embeddings import embedder_identity, local_embeddings
from marketing_intel.vectors import NumpyVectorIndex

VOICES = json.loads((Path(__file__).parent / "data" / "brand_voices.json").read_text())["brands"]


def auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that an on-brand draft outscores an off-brand one (ties count half)."""
    pairs = [(p > n) + 0.5 * (p == n) for p in positives for n in negatives]
    return float(np.mean(pairs))


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> LocalBrandVoiceIndex:
    store = LocalBrandVoiceIndex(tmp_path_factory.mktemp("quality") / "vectors.sqlite")
    for brand, voice in VOICES.items():
        store.upsert(Exemplar(tenant="t1", brand=brand, text=t) for t in voice["exemplars"])
    return store


def test_the_set_is_big_enough() -> None:
    assert len(VOICES) >= 3
    for voice in VOICES.values():
        assert len(voice["exemplars"]) >= 20
        assert len(voice["on_brand"]) >= 8 and len(voice["off_brand"]) >= 8


def test_score_separates_on_brand_from_off_brand(index: LocalBrandVoiceIndex) -> None:
    all_positive: list[float] = []
    all_negative: list[float] = []
    for brand, voice in VOICES.items():
        others = [t for other, v in VOICES.items() if other != brand for t in v["on_brand"]]

        def scores(texts: list[str], brand: str = brand) -> list[float]:
            results = [index.score(t, tenant="t1", brand=brand) for t in texts]
            assert all(r.reliable and r.score is not None for r in results)
            return [float(r.score) for r in results if r.score is not None]

        positive = scores(voice["on_brand"])
        negative = scores(voice["off_brand"] + others)
        assert auc(positive, negative) >= 0.9, brand
        all_positive += positive
        all_negative += negative
    assert auc(all_positive, all_negative) >= 0.9


def test_local_brand_voice_equals_the_numpy_reference(index: LocalBrandVoiceIndex) -> None:
    reference = LocalBrandVoiceIndex(
        vectors=NumpyVectorIndex(embedder_identity(local_embeddings()))
    )
    for brand, voice in VOICES.items():
        reference.upsert(Exemplar(tenant="t1", brand=brand, text=t) for t in voice["exemplars"])
    for brand, voice in VOICES.items():
        for draft in voice["on_brand"] + voice["off_brand"]:
            got = index.search(draft, k=10, tenant="t1", brand=brand)
            want = reference.search(draft, k=10, tenant="t1", brand=brand)
            assert [m.id for m in got] == [m.id for m in want]
            np.testing.assert_allclose(
                [m.score for m in got], [m.score for m in want], rtol=0, atol=2e-6
            )
            got_score = index.score(draft, tenant="t1", brand=brand)
            want_score = reference.score(draft, tenant="t1", brand=brand)
            assert got_score.score == pytest.approx(want_score.score, abs=0.1)
            assert got_score.label == want_score.label
