"""Scoring template reports against the truth benchmark's planted effects (`bench/truth.py`).

Matching. A finding matches a planted effect when it is in the effect's tenant's report, names
the effect's subject (its `subject`, or an evidence row's campaign_id / segment_id / platform),
its kind is one ACCEPTED_KINDS accepts for the effect's kind, and its days overlap the effect's.
A finding's days are `Insight.start`..`Insight.end` when set, else the dates in its evidence
(EVIDENCE_DATE_KEYS), else the report's whole window (a window-level finding).

A collapse counts "as what it is" when a matching finding's kind is in SHIFT_KINDS (a level
shift, not a ranking) and its first day is within START_TOLERANCE_DAYS of the true start.

False alarms. On clean tenants every finding of severity notice or above is a false alarm
(nothing was planted there); counted per 100 campaigns per 28-day window, and those above notice
separately. roi_optimization is left out: its findings on clean data (e.g. a marginal ROAS below
1) can be true.

ROI. For a tenant whose curves are identifiable: the report's proposed daily spend per campaign
(table `proposed_spend`, `current_spend`) is valued on the true curves; the true optimum is
found under the same bounds (+-ROI_MAX_CHANGE per campaign, same total) with the template's own
optimizer on the true curves. Coverage: the reallocation's interval (evidence `uplift_low`,
`uplift_high`) holds the proposal's true uplift. Share reached: proposal's true uplift / the
optimum's. A report without a reallocation reaches 0 and covers nothing. For a tenant whose
curves are not identifiable: it is "called not identifiable" when every campaign is named by a
finding of a NOT_IDENTIFIABLE_KINDS kind, or its table row says so (`identifiable` false, or a
reason mentioning "not identifiable"), or the report carries `identifiable` = false.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from marketing_intel.analysis import Insight, InsightReport
from marketing_intel.analysis._roi_optimization_allocation import optimal_allocation
from marketing_intel.analysis._roi_optimization_curves import ResponseCurve
from marketing_intel.demo.truth_effects import PlantedEffect
from marketing_intel.demo.truth_roi import RoiTruth

# Planted kind -> the finding kinds that report it (detectors may name their kinds differently).
ACCEPTED_KINDS: dict[str, frozenset[str]] = {
    "spend_spike": frozenset({"spend_spike", "spend_spike_without_conversions", "cap_budget"}),
    "tracking_outage": frozenset({"tracking_outage", "conversion_tracking_outage"}),
    "roas_collapse": frozenset(
        {"roas_collapse", "roas_shift", "roas_level_shift", "level_shift", "roas_drop"}
        | {"pause_campaign"}
    ),
    "silent_integration": frozenset({"silent_integration"}),
    "failure_spike": frozenset(
        {"failure_spike", "failure_rate_shift", "failure_rate_rise", "failure_shift"}
    ),
    "lag_rise": frozenset({"lag_spike", "lag_shift", "lag_rise", "lag_level_shift"}),
    "rising_segment": frozenset({"segment_rising", "rising_segment"}),
    "declining_segment": frozenset({"segment_declining", "declining_segment"}),
}
# Which template's report is scored for each planted kind.
EFFECT_TEMPLATES: dict[str, str] = {
    "spend_spike": "campaign_insights",
    "tracking_outage": "campaign_insights",
    "roas_collapse": "campaign_insights",
    "silent_integration": "platform_events",
    "failure_spike": "platform_events",
    "lag_rise": "platform_events",
    "rising_segment": "audience_trends",
    "declining_segment": "audience_trends",
}
# A ROAS collapse reported "as what it is": a level shift with its start day.
SHIFT_KINDS = frozenset({"roas_collapse", "roas_shift", "roas_level_shift", "level_shift"})
START_TOLERANCE_DAYS = 2
# Findings that say a campaign's response curve cannot be identified.
NOT_IDENTIFIABLE_KINDS = frozenset(
    {"not_identifiable", "curve_not_identifiable", "spend_follows_demand", "constant_spend"}
)
FALSE_ALARM_TEMPLATES = ("campaign_insights", "platform_events", "audience_trends")
ALARM_SEVERITIES = frozenset({"notice", "warning", "critical"})
ROI_MAX_CHANGE = 0.3  # the template's default bound, +-30% per campaign
EVIDENCE_DATE_KEYS = ("date", "day", "start", "end", "first_day", "last_day", "last_received_at")
SUBJECT_KEYS = ("campaign_id", "segment_id", "platform")


@dataclass(frozen=True)
class EffectScore:
    """Whether a planted effect was found, and (collapses) found as a shift at its start."""

    effect: PlantedEffect
    found: bool
    as_shift_at_start: bool
    found_as: tuple[str, ...] = ()  # the kinds of the matching findings


@dataclass(frozen=True)
class KindScore:
    """Recall of one planted kind."""

    kind: str
    planted: int
    found: int
    as_shift_at_start: int
    found_as: dict[str, int] = field(default_factory=dict)  # finding kind -> effects found so

    @property
    def recall(self) -> float:
        """Share of the planted effects found."""
        return self.found / self.planted if self.planted else math.nan


@dataclass(frozen=True)
class FalseAlarms:
    """Findings on clean tenants: notice or above, and above notice, per campaign count."""

    campaigns: int
    alarms: int
    above_notice: int
    by_kind: dict[str, int]
    window_days: int

    @property
    def per_100_campaigns(self) -> float:
        """Alarms per 100 campaigns per 28-day window."""
        if not self.campaigns:
            return math.nan
        return self.alarms / (self.campaigns / 100) * (28 / self.window_days)


@dataclass(frozen=True)
class RoiScore:
    """One ROI tenant's score (coverage and share reached are None when not identifiable)."""

    truth: RoiTruth
    covered: bool | None
    share_reached: float | None
    called_not_identifiable: bool
    said: tuple[str, ...] = ()  # kinds of the findings that name the tenant's campaigns


def finding_days(insight: Insight, report: InsightReport) -> tuple[dt.date, dt.date]:
    """The first and last day a finding covers (see the module's docstring)."""
    if insight.start is not None or insight.end is not None:
        start = insight.start or insight.end or report.window.start
        return start, insight.end or start
    days = sorted(_evidence_dates(insight.evidence))
    if days:
        return days[0], days[-1]
    return report.window.start, report.window.end


def _evidence_dates(evidence: Iterable[dict[str, Any]]) -> Iterable[dt.date]:
    for row in evidence:
        for key in EVIDENCE_DATE_KEYS:
            value = row.get(key)
            if isinstance(value, dt.datetime):
                yield value.date()
            elif isinstance(value, dt.date):
                yield value
            elif isinstance(value, str):
                try:
                    yield dt.date.fromisoformat(value[:10])
                except ValueError:
                    continue


def names_subject(insight: Insight, subject: str) -> bool:
    """The finding is about `subject`: its own subject or an evidence row's id."""
    if insight.subject == subject:
        return True
    return any(row.get(key) == subject for row in insight.evidence for key in SUBJECT_KEYS)


def matches(insight: Insight, effect: PlantedEffect, report: InsightReport) -> bool:
    """The finding reports the planted effect (tenant, subject, kind and overlapping days)."""
    if report.tenant_id != effect.tenant_id or insight.kind not in ACCEPTED_KINDS[effect.kind]:
        return False
    if not names_subject(insight, effect.subject):
        return False
    first, last = finding_days(insight, report)
    return first <= effect.end and effect.start <= last


def score_effect(effect: PlantedEffect, report: InsightReport | None) -> EffectScore:
    """Score one planted effect against its template's report of its tenant (None: no report)."""
    if report is None:
        return EffectScore(effect, False, False)
    found = [insight for insight in report.insights if matches(insight, effect, report)]
    at_start = any(
        insight.kind in SHIFT_KINDS
        and abs((finding_days(insight, report)[0] - effect.start).days) <= START_TOLERANCE_DAYS
        for insight in found
    )
    kinds = tuple(sorted({insight.kind for insight in found}))
    return EffectScore(effect, bool(found), at_start, kinds)


def recall_by_kind(scores: Sequence[EffectScore], kinds: Sequence[str]) -> list[KindScore]:
    """Planted, found and found-as-shift counts per kind, in `kinds` order."""
    table = []
    for kind in kinds:
        of_kind = [score for score in scores if score.effect.kind == kind]
        found_as = Counter(name for score in of_kind for name in score.found_as)
        table.append(
            KindScore(
                kind,
                len(of_kind),
                sum(score.found for score in of_kind),
                sum(score.as_shift_at_start for score in of_kind),
                dict(sorted(found_as.items(), key=lambda item: (-item[1], item[0]))),
            )
        )
    return table


def false_alarms(reports: Iterable[InsightReport], campaigns: int, window_days: int) -> FalseAlarms:
    """The notice-or-above findings of clean tenants' reports."""
    by_kind: dict[str, int] = {}
    alarms = above = 0
    for report in reports:
        for insight in report.insights:
            if insight.severity not in ALARM_SEVERITIES:
                continue
            alarms += 1
            above += insight.severity != "notice"
            key = f"{report.template}/{insight.kind}/{insight.severity}"
            by_kind[key] = by_kind.get(key, 0) + 1
    return FalseAlarms(campaigns, alarms, above, by_kind, window_days)


def score_roi(truth: RoiTruth, report: InsightReport) -> RoiScore:
    """Coverage and share reached (identifiable), or whether it was called not identifiable."""
    called = _called_not_identifiable(truth, report)
    said = tuple(
        sorted(
            {
                insight.kind
                for insight in report.insights
                for campaign in truth.campaigns
                if names_subject(insight, campaign.campaign_id)
            }
        )
    )
    if not truth.identifiable:
        return RoiScore(truth, None, None, called, said)
    rows = {row.get("campaign_id"): row for row in report.table}
    curves = {c.campaign_id: c for c in truth.campaigns}
    ids = [cid for cid in curves if cid in rows]
    current = np.array([float(rows[cid]["current_spend"]) for cid in ids])
    proposed = np.array(
        [float(rows[cid].get("proposed_spend") or rows[cid]["current_spend"]) for cid in ids]
    )
    true_curves = [_true_curve(curves[cid].a, curves[cid].b) for cid in ids]
    optimum = optimal_allocation(
        true_curves,
        float(current.sum()),
        current * (1 - ROI_MAX_CHANGE),
        current * (1 + ROI_MAX_CHANGE),
    )
    uplift = _true_uplift(true_curves, current, proposed)
    best = _true_uplift(true_curves, current, optimum)
    interval = _uplift_interval(report)
    covered = interval is not None and interval[0] <= uplift <= interval[1]
    share = uplift / best if best > 0 else math.nan
    return RoiScore(truth, covered, share if interval is not None else 0.0, called, said)


def _true_curve(a: float, b: float) -> ResponseCurve:
    return ResponseCurve(a=a, b=b, r_squared=1.0, days_fitted=0, covariance=np.zeros((2, 2)))


def _true_uplift(curves: Sequence[ResponseCurve], current: np.ndarray, spend: np.ndarray) -> float:
    return math.fsum(
        float(curve.revenue(x) - curve.revenue(c))
        for curve, c, x in zip(curves, current, spend, strict=True)
    )


def _uplift_interval(report: InsightReport) -> tuple[float, float] | None:
    """The reallocation's (uplift_low, uplift_high), None without a reallocation."""
    for insight in report.insights:
        for row in insight.evidence:
            if row.get("uplift_low") is not None and row.get("uplift_high") is not None:
                return float(row["uplift_low"]), float(row["uplift_high"])
    return None


def _called_not_identifiable(truth: RoiTruth, report: InsightReport) -> bool:
    if getattr(report, "identifiable", None) is False:
        return True
    ids = [campaign.campaign_id for campaign in truth.campaigns]
    called: set[Any] = set()
    for insight in report.insights:
        if insight.kind in NOT_IDENTIFIABLE_KINDS:
            called.update(cid for cid in ids if names_subject(insight, cid))
    for row in report.table:
        reason = str(row.get("reason") or "")
        if row.get("identifiable") is False or "not identifiable" in reason:
            called.add(row.get("campaign_id"))
    return all(cid in called for cid in ids)
