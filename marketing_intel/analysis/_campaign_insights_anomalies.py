"""Day-level campaign anomalies: spend spikes, conversion drops and ROAS drops.

Each campaign's daily spend, conversions and ROAS are scored against the same weekday of the
previous weeks (`baselines.weekday_baselines`: median baseline, MAD spread), which keeps weekly
seasonality from looking like an anomaly and is barely moved by earlier outliers. A day is flagged
when a robust z-score passes the threshold, then classified:

- spend spike (spend z >= threshold). Consecutive spike days are pooled, and the run is tested
  for whether the extra money bought conversions: a healthy spend increase still converts at the
  margin at least `healthy_yield` times as well as usual (diminishing returns with revenue ~
  spend**0.5 keep ~0.4-0.6), so the run's conversions are compared with baseline + healthy_yield x
  (extra spend x usual conversions per spend), in units of the conversions' own robust spread
  (their same-weekday MADs, added in quadrature). A shortfall beyond `cap_zscore` means the spike
  bought next to nothing: cap the budget. Pooling matters: one day's conversions are too noisy to
  tell a budget raise from wasted spend.
- tracking outage: zero conversions while spend held, where the baseline makes a zero implausible
  (Poisson P(X = 0 | mean = baseline) = exp(-baseline) below `count_alpha`). No z-score is asked
  for: the robust z of a zero is capped at -baseline / spread, so a noisy campaign's outage could
  never pass the threshold, while a zero from a healthy count is a break in the data, not noise.
- conversions drop (conversions z <= -threshold while spend did not drop), confirmed by the Poisson
  lower tail P(X <= observed | mean = baseline) below `count_alpha`: a robust z-score of a small
  count over four weeks of history is too noisy to alarm on alone.
- ROAS drop (ROAS z <= -threshold) not explained by either of the above.

Consecutive flagged days of one campaign and kind are reported together as one run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from scipy.special import pdtr

from marketing_intel.analysis._campaign_insights_kpis import CampaignKey, relative_change
from marketing_intel.analysis.baselines import DayScore, WeekdayBaselines, weekday_baselines
from marketing_intel.analysis.report import Insight, Severity, Window

if TYPE_CHECKING:
    from marketing_intel.analysis.campaign_insights import Options

SERIES_NAMES = ("spend", "conversions", "roas")
METRIC_LABELS = {"spend": "daily spend", "conversions": "daily conversions", "roas": "daily ROAS"}


@dataclass(frozen=True)
class RunText:
    """How a run of flagged days is reported: its insight kind, severity, metric and words."""

    insight_kind: str
    severity: Severity
    series: str
    title: str  # formatted with the campaign's name
    recommendation: str


RUN_TEXTS = {
    # The spike bought next to nothing: this is the "cap" action.
    "spend_spike_without_conversions": RunText(
        "cap_budget",
        "warning",
        "spend",
        "Campaign {name} spent far above its usual level without the conversions to match.",
        "Cap the campaign's daily budget near its usual spend and check recent bid or budget "
        "changes before letting it spend more.",
    ),
    "spend_spike": RunText(
        "spend_spike",
        "notice",
        "spend",
        "Campaign {name} spent far above its usual level and its conversions rose with it.",
        "Confirm the budget increase was intended; the extra spend is converting.",
    ),
    "tracking_outage": RunText(
        "tracking_outage",
        "warning",
        "conversions",
        "Campaign {name} recorded no conversions while its spend held, like a tracking outage.",
        "Check the campaign's conversion tracking (pixel, tag or conversions API) for these days "
        "and backfill the lost conversions before judging its ROAS.",
    ),
    "conversions_drop": RunText(
        "conversions_drop",
        "warning",
        "conversions",
        "Campaign {name} recorded far fewer conversions than usual while its spend held.",
        "Check the campaign's conversion tracking and landing page for these days.",
    ),
    "roas_drop": RunText(
        "roas_drop",
        "notice",
        "roas",
        "Campaign {name} returned far less revenue per unit of spend than usual.",
        "Review the campaign's creatives, audiences and landing page for these days.",
    ),
}


@dataclass(frozen=True)
class DayFinding:
    """One flagged day of one campaign, with the scores of all three series that day."""

    key: CampaignKey
    kind: str  # spend_spike | tracking_outage | conversions_drop | roas_drop
    day: dt.date
    scores: dict[str, DayScore]

    def evidence(self) -> dict[str, Any]:
        """The day's values, baselines and z-scores (JSON-friendly)."""
        row: dict[str, Any] = {"date": self.day.isoformat()}
        for name, score in self.scores.items():
            row[name] = score.value
            row[f"{name}_baseline"] = score.baseline
            row[f"{name}_zscore"] = score.zscore
        return row


@dataclass(frozen=True)
class DailyCampaigns:
    """Each campaign's daily series as rows of matrices (campaign x day from `first_day`)."""

    keys: list[CampaignKey]
    first_day: dt.date
    series: dict[str, np.ndarray]  # name -> campaigns x days, NaN where a day has no value

    @classmethod
    def from_table(cls, table: pa.Table) -> DailyCampaigns:
        """From `daily_campaign.sql` rows (platform, campaign_id, date and SERIES_NAMES)."""
        platforms = table.column("platform").to_pylist()
        campaign_ids = table.column("campaign_id").to_pylist()
        keys = sorted(set(zip(platforms, campaign_ids, strict=True)))
        index = {key: row for row, key in enumerate(keys)}
        rows = np.fromiter(
            (index[key] for key in zip(platforms, campaign_ids, strict=True)), int, len(platforms)
        )
        days = table.column("date").cast(pa.int32()).to_numpy()  # days since 1970-01-01
        first = int(days.min()) if days.size else 0
        columns = days - first
        width = int(columns.max()) + 1 if days.size else 0
        series = {}
        for name in SERIES_NAMES:
            matrix = np.full((len(keys), width), np.nan)
            matrix[rows, columns] = _floats(table.column(name))
            series[name] = matrix
        return cls(keys, dt.date(1970, 1, 1) + dt.timedelta(days=first), series)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64, NULL as NaN (NUMERIC arrives as decimal)."""
    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)


def day_findings(table: pa.Table, window: Window, options: Options) -> list[DayFinding]:
    """Every flagged day inside the window (earlier days serve only as history)."""
    daily = DailyCampaigns.from_table(table)
    from_column = (window.start - daily.first_day).days
    scores = {
        name: weekday_baselines(
            values,
            weeks=options.baseline_weeks,
            min_spread_share=options.min_spread_share,
            from_column=from_column,
        )
        for name, values in daily.series.items()
    }
    last_column = (window.end - daily.first_day).days
    kinds = _classify(scores, options)
    kinds[:, last_column + 1 :] = ""
    return [
        DayFinding(
            daily.keys[row],
            str(kinds[row, column]),
            daily.first_day + dt.timedelta(days=int(column)),
            _day_scores(scores, row, column, daily.first_day),
        )
        for row, column in zip(*np.nonzero(kinds), strict=True)
    ]


def _classify(scores: dict[str, WeekdayBaselines], options: Options) -> np.ndarray:
    """Each campaign-day's finding kind ("" for none), in priority order: a spend spike, then a
    tracking outage or conversions drop while spend held, then a ROAS drop."""
    spend, conversions, roas = (scores[name] for name in SERIES_NAMES)
    threshold = options.z_threshold
    spike = spend.scored & (spend.zscore >= threshold)
    held = ~spend.scored | (spend.zscore > -threshold)
    counted = conversions.scored & held
    implausible = counted & (
        poisson_lower_tail(conversions.values, conversions.baseline) < options.count_alpha
    )
    outage = implausible & (conversions.values == 0)
    dropped = implausible & (conversions.zscore <= -threshold)
    roas_drop = roas.scored & (roas.zscore <= -threshold)
    return np.select(
        [spike, outage, dropped, roas_drop],
        ["spend_spike", "tracking_outage", "conversions_drop", "roas_drop"],
        default="",
    )


def _day_scores(
    scores: dict[str, WeekdayBaselines], row: int, column: int, first_day: dt.date
) -> dict[str, DayScore]:
    day = first_day + dt.timedelta(days=int(column))
    return {
        name: DayScore(
            day,
            float(score.values[row, column]),
            float(score.baseline[row, column]),
            float(score.spread[row, column]),
            float(score.zscore[row, column]),
        )
        for name, score in scores.items()
        if score.scored[row, column]
    }


@dataclass(frozen=True)
class SpikeResponse:
    """How a run of spend-spike days converted, pooled over the run."""

    incremental_yield: float | None  # extra conversions / extra spend, relative to usual
    shortfall_zscore: float  # conversions against the healthy expectation, in robust spreads

    def bought_nothing(self, options: Options) -> bool:
        """The run converted significantly worse than a healthy spend increase would."""
        return self.shortfall_zscore <= -options.cap_zscore


def spike_response(run: list[DayFinding], healthy_yield: float) -> SpikeResponse:
    """Pooled incremental yield and shortfall of a spike run (days without conversions history
    count as converting as expected: there is nothing to judge them by)."""
    observed = expected_extra = healthy = variance = 0.0
    for finding in run:
        spend, conversions = finding.scores["spend"], finding.scores.get("conversions")
        if conversions is None or spend.baseline <= 0:
            continue
        extra = (spend.value - spend.baseline) * conversions.baseline / spend.baseline
        observed += conversions.value - conversions.baseline
        expected_extra += extra
        healthy += healthy_yield * extra
        variance += conversions.spread**2
    return SpikeResponse(
        incremental_yield=observed / expected_extra if expected_extra > 0 else None,
        shortfall_zscore=(observed - healthy) / math.sqrt(variance) if variance > 0 else 0.0,
    )


def poisson_lower_tail(observed: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """P(X <= observed) for X ~ Poisson(mean), cell by cell; 1 where the mean is not positive
    or missing (nothing to judge by)."""
    positive = np.nan_to_num(mean, nan=0.0) > 0
    tail = np.ones(np.shape(mean))
    tail[positive] = pdtr(np.floor(observed[positive]), mean[positive])
    return tail


def finding_runs(findings: Iterable[DayFinding]) -> list[list[DayFinding]]:
    """Consecutive days of the same campaign and kind, grouped (input order: campaign, day)."""
    runs: list[list[DayFinding]] = []
    for finding in sorted(findings, key=lambda f: (f.key, f.kind, f.day)):
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and (last.key, last.kind) == (finding.key, finding.kind)
            and finding.day - last.day == dt.timedelta(days=1)
        ):
            runs[-1].append(finding)
        else:
            runs.append([finding])
    return sorted(runs, key=lambda run: (run[0].day, run[0].key, run[0].kind))


def run_insight(run: list[DayFinding], campaign_name: str, options: Options) -> Insight:
    """One insight for a run of flagged days: the mean daily value against the mean baseline."""
    kind = run[0].kind
    run_evidence: dict[str, Any] = {}
    if kind == "spend_spike":
        response = spike_response(run, options.healthy_yield)
        kind = "spend_spike_without_conversions" if response.bought_nothing(options) else kind
        run_evidence = {
            "run_incremental_yield": response.incremental_yield,
            "run_shortfall_zscore": response.shortfall_zscore,
        }
    text = RUN_TEXTS[kind]
    scores = [finding.scores[text.series] for finding in run]
    value = math.fsum(score.value for score in scores) / len(scores)
    baseline = math.fsum(score.baseline for score in scores) / len(scores)
    platform, campaign_id = run[0].key
    return Insight(
        kind=text.insight_kind,
        severity=text.severity,
        title=text.title.format(name=f"'{campaign_name}'"),
        subject=campaign_id,
        metric=METRIC_LABELS[text.series],
        value=value,
        baseline=baseline,
        change=relative_change(value, baseline),
        evidence=[
            {"platform": platform, "campaign_id": campaign_id, **f.evidence(), **run_evidence}
            for f in run
        ],
        recommendation=text.recommendation,
    )
