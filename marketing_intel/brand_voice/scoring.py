"""The on-brand score: how typical a draft's closeness to the brand's copy is, calibrated per
brand and per embedder.

The statistic. For a text t and the brand's exemplar vectors E (unit length), let
fit(t) = the mean cosine similarity of t to its m nearest exemplars (m = min(5, n - 1)).
- Nearest-m rather than all exemplars: a brand writes in several registers (an email, an ad, a
  push); a draft only has to sound like one of them. The mean of m rather than the single nearest:
  one near-duplicate exemplar should not make a draft look on brand.
- Calibration: the same statistic is computed for every exemplar against the others
  (leave-one-out), which gives the distribution of fit for copy known to be on brand. The score is
  that distribution's CDF at the draft's fit, x 100: "the draft is closer to the brand's copy than
  N% of the brand's own approved copy is". Raw cosines are not comparable across models (each has
  its own similarity scale) nor across brands (a tight, formulaic brand has higher fits than a
  varied one); a percentile of the brand's own distribution is comparable across both, so one set
  of label thresholds serves every brand and every embedder.
- The CDF is the empirical one smoothed by a Gaussian kernel (bandwidth by Silverman's rule), so
  the score moves continuously instead of in steps of 100/n, and drafts below every exemplar are
  still ordered (how far below) instead of all scoring 0.
- On-brand drafts score roughly uniformly over 0-100 (that is what a percentile does); off-brand
  drafts pile up near 0. Hence the labels: off brand below 5 (less typical than 95% of approved
  copy), borderline from 5 to 20, on brand from 20.
- With fewer than `min_exemplars` exemplars the distribution is too thin to estimate a percentile:
  the result says so (`reliable=False`, no score) and still lists the nearest exemplars.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel
from scipy.special import ndtr

from marketing_intel.brand_voice.exemplars import ExemplarMatch

Label = Literal["on brand", "borderline", "off brand", "not enough exemplars"]
NEAREST_M = 5
MIN_EXEMPLARS = 10
ON_BRAND_FROM = 20.0
OFF_BRAND_BELOW = 5.0


class BrandVoiceScore(BaseModel):
    """How on-brand a draft is, with the reasons."""

    tenant: str
    brand: str
    embedder_id: str
    score: float | None
    label: Label
    reliable: bool
    fit: float
    typical_fit: float | None
    exemplar_count: int
    nearest: list[ExemplarMatch]
    differences: list[str]
    unfamiliar_words: list[str]
    summary: str


@dataclass(frozen=True)
class Calibration:
    """What scoring needs of one brand, computed once per change of its exemplars."""

    vectors: npt.NDArray[np.float32]  # unit rows
    fits: npt.NDArray[np.float64]  # leave-one-out fit of each exemplar
    bandwidth: float
    traits: npt.NDArray[np.float64]  # per trait: median, 10th and 90th percentile of exemplars
    vocabulary: frozenset[str]

    @property
    def count(self) -> int:
        """How many exemplars the calibration rests on."""
        return int(self.vectors.shape[0])


def calibrate(vectors: npt.NDArray[np.float32], texts: Sequence[str]) -> Calibration:
    """Leave-one-out fits of the exemplars, the kernel bandwidth and the style statistics."""
    unit = _unit_rows(vectors)
    n = unit.shape[0]
    fits = np.zeros(0)
    bandwidth = 0.0
    if n >= 2:
        similarity = unit @ unit.T
        np.fill_diagonal(similarity, -np.inf)
        fits = np.array([_fit(row, _nearest_m(n - 1)) for row in similarity])
        spread = float(np.std(fits, ddof=1)) if n > 2 else 0.0
        bandwidth = max(1.06 * spread * n ** (-0.2), 1e-4)
    traits = trait_ranges(np.array([style_traits(t) for t in texts]).reshape(n, len(TRAITS)))
    vocabulary = frozenset(word for text in texts for word in _words(text))
    return Calibration(unit, fits, bandwidth, traits, vocabulary)


def score_draft(
    calibration: Calibration,
    draft_vector: npt.NDArray[np.float32],
    draft: str,
    nearest: list[ExemplarMatch],
    *,
    tenant: str,
    brand: str,
    embedder_id: str,
    min_exemplars: int = MIN_EXEMPLARS,
) -> BrandVoiceScore:
    """Score `draft` against its brand's calibration (see the module doc for the statistic)."""
    n = calibration.count
    similarities = calibration.vectors @ _unit_rows(draft_vector.reshape(1, -1))[0]
    fit = _fit(similarities, _nearest_m(n)) if n else 0.0
    differences = trait_differences(calibration.traits, style_traits(draft))
    unfamiliar = [w for w in dict.fromkeys(_words(draft)) if w not in calibration.vocabulary][:8]
    common = {"tenant": tenant, "brand": brand, "embedder_id": embedder_id, "nearest": nearest}
    if n < max(min_exemplars, 3):
        return BrandVoiceScore(
            **common,
            score=None,
            label="not enough exemplars",
            reliable=False,
            fit=round(fit, 6),
            typical_fit=None,
            exemplar_count=n,
            differences=differences,
            unfamiliar_words=unfamiliar,
            summary=(
                f"Not reliable: {brand} has {n} exemplars and a score needs at least "
                f"{max(min_exemplars, 3)}; index more approved copy."
            ),
        )
    percentile = float(np.mean(ndtr((fit - calibration.fits) / calibration.bandwidth))) * 100
    label = _label(percentile)
    return BrandVoiceScore(
        **common,
        score=round(percentile, 1),
        label=label,
        reliable=True,
        fit=round(fit, 6),
        typical_fit=round(float(np.median(calibration.fits)), 6),
        exemplar_count=n,
        differences=differences,
        unfamiliar_words=unfamiliar,
        summary=(
            f"{label.capitalize()} ({percentile:.0f}/100): closer to {brand}'s copy than "
            f"{percentile:.0f}% of its {n} approved exemplars are to each other."
        ),
    )


def _label(score: float) -> Label:
    if score >= ON_BRAND_FROM:
        return "on brand"
    return "borderline" if score >= OFF_BRAND_BELOW else "off brand"


def _nearest_m(available: int) -> int:
    return max(1, min(NEAREST_M, available))


def _fit(similarities: npt.NDArray[np.floating], m: int) -> float:
    """Mean of the m largest similarities."""
    top = np.partition(similarities, -m)[-m:]
    return float(np.mean(top))


def _unit_rows(vectors: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


# Style traits: what a reader notices about a voice beyond its topic. Each is a rate, so long
# and short texts compare. (name, description used in the explanation)
TRAITS = (
    ("words per sentence", "words per sentence"),
    ("exclamations", "exclamation marks per sentence"),
    ("questions", "questions per sentence"),
    ("emoji", "emoji per sentence"),
    ("you", "share of words that address the reader (you, your)"),
    ("we", "share of words in the first person plural (we, our, us)"),
    ("capitals", "share of words in ALL CAPS"),
    ("numbers", "numbers per sentence"),
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_STOPWORD_TEXT = (
    "a an the and or but if of to in on at for with by from as is are was were be been it its "
    "this that these those you your we our us i me my he she they them their his her not no so "
    "do does did have has had will would can could should just than then there here what when "
    "how all any more most some such only own same too very up out about into over"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def style_traits(text: str) -> list[float]:
    """The `TRAITS` of one text."""
    sentences = max(1, len([s for s in _SENTENCE.findall(text) if s.strip()]))
    words = _WORD.findall(text)
    total = max(1, len(words))
    lowered = [word.lower() for word in words]
    return [
        len(words) / sentences,
        text.count("!") / sentences,
        text.count("?") / sentences,
        len(_EMOJI.findall(text)) / sentences,
        sum(word in ("you", "your", "you're", "yours") for word in lowered) / total,
        sum(word in ("we", "our", "us", "we're", "ours") for word in lowered) / total,
        sum(len(word) > 1 and word.isupper() for word in words) / total,
        len(re.findall(r"\d+(?:[.,]\d+)?", text)) / sentences,
    ]


def trait_ranges(exemplar_traits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Per trait (columns): the exemplars' median, 10th and 90th percentile (rows); empty if
    there are no exemplars."""
    if exemplar_traits.shape[0] == 0:
        return np.zeros((0, len(TRAITS)))
    return np.percentile(exemplar_traits, [50, 10, 90], axis=0)


def trait_differences(ranges: npt.NDArray[np.float64], draft: list[float]) -> list[str]:
    """The draft's traits that lie outside the brand's usual range (beyond 2 spreads of the
    exemplars' median, the spread floored so a trait the brand never varies still compares)."""
    if ranges.shape[0] == 0:
        return []
    found = []
    for column, (_, description) in enumerate(TRAITS):
        median, low, high = (float(value) for value in ranges[:, column])
        spread = max(float(high - low) / 2, 0.05 * max(abs(median), 1.0), 0.02)
        if abs(draft[column] - median) > 2 * spread:
            direction = "more" if draft[column] > median else "fewer"
            found.append(
                f"{direction} {description}: draft {draft[column]:.2f}, brand typically "
                f"{median:.2f} (10-90%: {low:.2f}-{high:.2f})"
            )
    return found


def _words(text: str) -> list[str]:
    return [
        w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOPWORDS and len(w) > 2
    ]
