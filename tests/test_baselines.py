"""Same-weekday robust baselines: the vectorized scores equal a plain per-day computation."""

from __future__ import annotations

import datetime as dt
import statistics

import numpy as np
import pytest

from marketing_intel.analysis.baselines import MAD_TO_SIGMA, same_weekday_scores


def reference(series: dict[dt.date, float], from_day: dt.date) -> dict[dt.date, tuple[float, ...]]:
    """The definition, day by day: median and MAD of the same weekday 1-4 weeks back."""
    scores = {}
    for day in sorted(series):
        history = [
            series[p] for p in (day - dt.timedelta(weeks=k) for k in range(1, 5)) if p in series
        ]
        if day < from_day or len(history) < 3:
            continue
        baseline = statistics.median(history)
        mad = statistics.median(abs(v - baseline) for v in history) * MAD_TO_SIGMA
        spread = max(mad, abs(baseline) * 0.05, 1e-9)
        scores[day] = (series[day], baseline, spread, (series[day] - baseline) / spread)
    return scores


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scores_match_the_definition_with_gaps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    start = dt.date(2026, 1, 1)
    days = [start + dt.timedelta(days=i) for i in range(90) if rng.random() > 0.15]
    series = {day: float(rng.integers(0, 1000)) for day in days}
    from_day = start + dt.timedelta(days=40)
    expected = reference(series, from_day)
    scores = same_weekday_scores(series, from_day=from_day)
    assert expected
    assert {s.day: (s.value, s.baseline, s.spread, s.zscore) for s in scores} == pytest.approx(
        expected, rel=1e-12
    )


def test_a_spike_stands_out_and_a_steady_series_does_not() -> None:
    start = dt.date(2026, 1, 5)  # a Monday
    series = {start + dt.timedelta(days=i): 100.0 + (i % 7) * 10 for i in range(35)}
    spike_day = start + dt.timedelta(days=33)
    series[spike_day] *= 3
    scores = {s.day: s.zscore for s in same_weekday_scores(series)}
    assert scores[spike_day] > 20
    assert max(abs(z) for day, z in scores.items() if day != spike_day) == 0
    assert same_weekday_scores({}) == []
