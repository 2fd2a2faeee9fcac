"""Day-level campaign anomalies: spend spikes, conversion drops and ROAS drops.

Each campaign's daily spend, conversions and ROAS are scored against the same weekday of the
previous weeks (`baselines.same_weekday_scores`: median baseline, MAD spread), which keeps weekly
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

from scipy.special import pdtr

from marketing_intel.analysis._campaign_insights_kpis import (
    CampaignKey,
    as_float,
    relative_change,
)
from marketing_intel.analysis.baselines import DayScore, same_weekday_scores
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


def daily_series(rows: list[dict[str, Any]]) -> dict[CampaignKey, dict[str, dict[dt.date, float]]]:
    """Per campaign, the daily series of each of SERIES_NAMES (a day without ROAS is left out)."""
    series: dict[CampaignKey, dict[str, dict[dt.date, float]]] = {}
    for row in rows:
        by_name = series.setdefault((row["platform"], row["campaign_id"]), {})
        for name in SERIES_NAMES:
            value = as_float(row[name])
            if value is not None:
                by_name.setdefault(name, {})[row["date"]] = value
    return series


def day_findings(rows: list[dict[str, Any]], window: Window, options: Options) -> list[DayFinding]:
    """Every flagged day inside the window, campaign by campaign, oldest first."""
    findings = []
    for key, by_name in sorted(daily_series(rows).items()):
        scores = {
            name: _window_scores(
                by_name.get(name, {}), window, options.baseline_weeks, options.min_spread_share
            )
            for name in SERIES_NAMES
        }
        for day in sorted(set().union(*scores.values())):
            day_scores = {name: scores[name][day] for name in SERIES_NAMES if day in scores[name]}
            finding = _classify(key, day, day_scores, options)
            if finding is not None:
                findings.append(finding)
    return findings


def _window_scores(
    series: dict[dt.date, float], window: Window, weeks: int, min_spread_share: float
) -> dict[dt.date, DayScore]:
    """Same-weekday scores of the window's days (earlier days only serve as history)."""
    return {
        score.day: score
        for score in same_weekday_scores(
            series, weeks=weeks, min_spread_share=min_spread_share, from_day=window.start
        )
        if score.day <= window.end
    }


def _classify(
    key: CampaignKey, day: dt.date, scores: dict[str, DayScore], options: Options
) -> DayFinding | None:
    threshold = options.z_threshold
    spend, conversions, roas = (scores.get(name) for name in SERIES_NAMES)
    if spend is not None and spend.zscore >= threshold:
        return DayFinding(key, "spend_spike", day, scores)
    spend_held = spend is None or spend.zscore > -threshold
    if conversions is not None and spend_held:
        implausible = (
            poisson_lower_tail(conversions.value, conversions.baseline) < options.count_alpha
        )
        if implausible and conversions.value == 0:
            return DayFinding(key, "tracking_outage", day, scores)
        if implausible and conversions.zscore <= -threshold:
            return DayFinding(key, "conversions_drop", day, scores)
    if roas is not None and roas.zscore <= -threshold:
        return DayFinding(key, "roas_drop", day, scores)
    return None


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


def poisson_lower_tail(observed: float, mean: float) -> float:
    """P(X <= observed) for X ~ Poisson(mean)."""
    if mean <= 0:
        return 1.0
    return float(pdtr(math.floor(observed), mean))


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
