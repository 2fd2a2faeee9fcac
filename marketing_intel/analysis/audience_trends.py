"""Audience trends: how each segment's size and engagement move, and what each segment yields.

Two queries (`sql/audience_trends/`) aggregate `audience_insights` per segment and day and per
segment over the window; `_audience_trends_segments` fits the trends (OLS of ln(size) and of the
engagement rate on the day, 95% t intervals). This module judges them:

- too_small: a segment with a median audience under `min_median_audience` or fewer than
  `min_days` days of data. Small counts move by whole members, so their rates are noise; they
  are listed, not ranked.
- rising / declining: the growth is significant after controlling the false-discovery rate
  across the report's judged segments (Benjamini-Hochberg q-value of the slope's t-test at most
  1 - `confidence`, `scipy.stats.false_discovery_control`), so a tenant with hundreds of clean
  segments does not see the few that drift by chance, and the weekly growth is at least
  `min_weekly_growth` in size (the change matters for planning). Both conditions, because with
  weeks of smooth data a drift of a fraction of a percent is already "significant".
- stable: everything else. Engagement trends are judged the same way (their own FDR family).

Findings are what asks for action: rising and declining segments (the `top_k` fastest each
way) and falling engagement, ranked by severity then by `impact`, at most `MAX_FINDINGS`; a
longer list says how many more the table holds. Rankings (which segment converts most per
member) are the table's `conversion_rank`, not findings. `impact` is the revenue at stake: for a
size trend, the segment's window revenue per member times the members the fitted trend gained
or lost over the window; for falling engagement, the window's revenue times the relative fall of
the fitted rate (a rough share of revenue at risk, assuming revenue follows engagement).

Severity (the same scale in every template):
- critical: money or data is being lost now and a person should act today (not used here: an
  audience trend unfolds over weeks);
- warning: a material, confirmed change that needs action this week: a segment shrinking at
  least `warning_weekly_decline` a week;
- notice: worth a look: a slower decline, a rising segment, falling engagement;
- info: context: too-small segments, how many more findings the table holds.

Conversions per 1000 and revenue per user are per member of the segment's average audience
over the days observed, so segments of different sizes compare directly.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from pydantic import ConfigDict, Field
from scipy.stats import false_discovery_control

from marketing_intel.analysis._audience_trends_fit import LinearTrend
from marketing_intel.analysis._audience_trends_segments import (
    SegmentKey,
    SegmentStats,
    segment_stats,
    weekly_rate,
)
from marketing_intel.analysis.market_options import MarketOptions
from marketing_intel.analysis.queries import as_datetime, query_rows
from marketing_intel.analysis.report import (
    SEVERITY_ORDER,
    ChartData,
    ChartPoint,
    Insight,
    InsightReport,
    Severity,
    Window,
)
from marketing_intel.lake import Lake

TEMPLATE = "audience_trends"
# Findings a report leads with; the table holds every segment's label.
MAX_FINDINGS = 5
# Points a trend chart holds at most (longer windows are thinned evenly).
CHART_POINTS = 90
_Value = TypeVar("_Value", int, float)


class Options(MarketOptions):
    """Thresholds of the audience trends template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_median_audience: int = Field(
        100, ge=1, description="Segments whose median daily audience is below this are too small."
    )
    min_days: int = Field(
        7, ge=3, description="Segments with fewer days of data in the window are too small."
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="Confidence level of the trend intervals."
    )
    min_weekly_growth: float = Field(
        0.04, ge=0.0, description="Smallest weekly size change (0.04 = 4%) reported as a trend."
    )
    warning_weekly_decline: float = Field(
        0.05, gt=0.0, description="A segment shrinking at least this much a week is a warning."
    )
    min_weekly_engagement_change: float = Field(
        0.05,
        ge=0.0,
        description="Smallest weekly engagement-rate change, relative to its mean, reported.",
    )
    top_k: int = Field(3, ge=1, description="How many rising and declining segments to report.")


def analyze(
    lake: Lake, tenant_id: str, window: Window, options: Options, *, now: dt.datetime
) -> InsightReport:
    """Segment size and engagement trends, fastest risers and decliners, outcomes per segment."""
    totals = query_rows(lake, TEMPLATE, "segment_totals", tenant_id=tenant_id, window=window)
    report = InsightReport(tenant_id=tenant_id, template=TEMPLATE, window=window, generated_at=now)
    if not totals:
        return report.model_copy(update={"insights": [_no_data_insight()]})
    days = query_rows(lake, TEMPLATE, "segment_days", tenant_id=tenant_id, window=window)
    segments = segment_stats(days, totals, confidence=options.confidence)
    judged = [segment for segment in segments if _too_small_reason(segment, options) is None]
    growth_q = _q_values(judged, lambda segment: segment.growth)
    engagement_q = _q_values(judged, lambda segment: segment.engagement)
    rows = sorted(
        (_table_row(segment, growth_q, engagement_q, options) for segment in segments),
        key=_table_order,
    )
    _rank_conversions(rows)
    by_key = {(segment.platform, segment.segment_id): segment for segment in segments}
    findings = sorted(
        [
            *_trend_insights(rows, "rising", by_key, options),
            *_trend_insights(rows, "declining", by_key, options),
            *_engagement_insights(rows, by_key),
        ],
        key=lambda insight: (SEVERITY_ORDER[insight.severity], -(insight.impact or 0.0)),
    )
    insights = [
        *findings[:MAX_FINDINGS],
        *_more_findings_insight(findings[MAX_FINDINGS:]),
        *_too_small_insight(rows, options),
    ]
    watermark = as_datetime(max(segment.last_day for segment in segments))
    return report.model_copy(
        update={"data_watermark": watermark, "insights": insights, "table": rows}
    )


def _q_values(
    segments: list[SegmentStats], trend: Callable[[SegmentStats], LinearTrend | None]
) -> dict[SegmentKey, float]:
    """Benjamini-Hochberg adjusted p-values of each segment's trend slope, over the segments
    that have one: the false-discovery rate across the report's segments."""
    fitted = [(segment, trend(segment)) for segment in segments]
    tested = [(segment, fit) for segment, fit in fitted if fit is not None]
    if not tested:
        return {}
    adjusted = false_discovery_control([fit.p_value for _, fit in tested], method="bh")
    return {
        (segment.platform, segment.segment_id): float(q)
        for (segment, _), q in zip(tested, adjusted, strict=True)
    }


def _label(segment: SegmentStats, q_value: float | None, options: Options) -> str:
    """too_small, rising, declining or stable (see the module docstring)."""
    growth = segment.growth
    if _too_small_reason(segment, options) or growth is None or q_value is None:
        return "too_small"
    weekly = weekly_rate(growth.slope)
    if q_value > 1.0 - options.confidence:
        return "stable"
    if weekly >= options.min_weekly_growth:
        return "rising"
    if weekly <= -options.min_weekly_growth:
        return "declining"
    return "stable"


def _too_small_reason(segment: SegmentStats, options: Options) -> str | None:
    """Why a segment cannot be judged, or None when it can."""
    if segment.days < options.min_days:
        return "too few days of data"
    if segment.median_size < options.min_median_audience:
        return "median audience too small"
    if segment.growth is None:  # too few days with a non-empty audience to fit a line
        return "too few days with members"
    return None


def _engagement_trend(segment: SegmentStats, q_value: float | None, options: Options) -> str | None:
    """rising / falling when significant after FDR control and the weekly change is material."""
    change = segment.weekly_engagement_change
    if segment.engagement is None or change is None or q_value is None:
        return None
    significant = q_value <= 1.0 - options.confidence
    if significant and abs(change) >= options.min_weekly_engagement_change:
        return "rising" if change > 0 else "falling"
    return "flat"


def _table_row(
    segment: SegmentStats,
    growth_q: dict[SegmentKey, float],
    engagement_q: dict[SegmentKey, float],
    options: Options,
) -> dict[str, Any]:
    """One segment's row; a too-small segment's trends are left empty, since they are noise."""
    key = (segment.platform, segment.segment_id)
    label = _label(segment, growth_q.get(key), options)
    judged = label != "too_small"
    return {
        "platform": segment.platform,
        "segment_id": segment.segment_id,
        "segment_name": segment.name,
        "label": label,
        "too_small_reason": _too_small_reason(segment, options),
        "days": segment.days,
        "first_day": segment.first_day.isoformat(),
        "last_day": segment.last_day.isoformat(),
        "size_start": segment.size_start,
        "size_end": segment.size_end,
        "median_audience": segment.median_size,
        **_growth_columns(segment.growth if judged else None),
        "growth_p_value": segment.growth.p_value if judged and segment.growth else None,
        "growth_q_value": growth_q.get(key) if judged else None,
        "engagement_rate": segment.mean_engagement,
        **_engagement_columns(segment, segment.engagement if judged else None),
        "engagement_trend": _engagement_trend(segment, engagement_q.get(key), options)
        if judged
        else None,
        "engagement_q_value": engagement_q.get(key) if judged else None,
        "conversions": segment.conversions,
        "revenue": segment.revenue,
        "conversions_per_1000": segment.conversions_per_1000,
        "revenue_per_user": segment.revenue_per_user,
        "revenue_at_stake": _size_revenue_at_stake(segment) if judged else None,
        "conversion_rank": None,  # filled in by _rank_conversions
    }


def _size_revenue_at_stake(segment: SegmentStats) -> float | None:
    """The window's revenue per member times the members the fitted trend gained or lost over
    the window: what the size change adds or takes away per window of revenue."""
    if segment.growth is None or segment.revenue_per_user is None:
        return None
    start = math.exp(segment.growth.at(0.0))
    end = math.exp(segment.growth.at(float(segment.span_days)))
    return segment.revenue_per_user * abs(end - start)


def _rank_conversions(rows: list[dict[str, Any]]) -> None:
    """Number the judged segments by conversions per member, most first (a ranking is context:
    it goes in the table, never in the findings)."""
    judged = [
        row
        for row in rows
        if row["label"] != "too_small" and row["conversions_per_1000"] is not None
    ]
    judged.sort(key=lambda row: (-row["conversions_per_1000"], row["segment_id"]))
    for rank, row in enumerate(judged, start=1):
        row["conversion_rank"] = rank


def _growth_columns(growth: LinearTrend | None) -> dict[str, float | None]:
    """Daily and weekly growth rates with their interval bounds, from the ln(size) slope."""
    columns: dict[str, float | None] = {}
    slopes = (growth.slope, growth.slope_low, growth.slope_high) if growth else (None,) * 3
    for suffix, slope in zip(("", "_low", "_high"), slopes, strict=True):
        columns[f"growth_per_day{suffix}"] = None if slope is None else math.expm1(slope)
        columns[f"weekly_growth{suffix}"] = None if slope is None else weekly_rate(slope)
    return columns


def _engagement_columns(
    segment: SegmentStats, engagement: LinearTrend | None
) -> dict[str, float | None]:
    """The engagement slope per day with its interval, and the fitted rate at both ends."""
    if engagement is None:
        names = ("per_day", "per_day_low", "per_day_high", "start", "end", "weekly_change")
        return {f"engagement_{name}": None for name in names}
    return {
        "engagement_per_day": engagement.slope,
        "engagement_per_day_low": engagement.slope_low,
        "engagement_per_day_high": engagement.slope_high,
        "engagement_start": engagement.at(0.0),
        "engagement_end": engagement.at(float(segment.span_days)),
        "engagement_weekly_change": segment.weekly_engagement_change,
    }


def _table_order(row: dict[str, Any]) -> tuple[bool, float, str, str]:
    """Fastest growing first, judged before too small, ties by platform and segment."""
    growth = row["weekly_growth"]
    return (growth is None, -(growth or 0.0), row["platform"], row["segment_id"])


_TREND_WORDING = {
    "rising": (
        "growing",
        "Scale spend on this segment while it grows, and watch frequency as new members join.",
    ),
    "declining": (
        "shrinking",
        "Find out why members leave (an expired pixel, list churn, narrower targeting) and "
        "refresh the segment or move its budget before it runs dry.",
    ),
}


def _trend_insights(
    rows: list[dict[str, Any]],
    label: str,
    segments: dict[SegmentKey, SegmentStats],
    options: Options,
) -> list[Insight]:
    """The `top_k` fastest rising (or declining) segments, fastest first, each with its days."""
    labelled = [row for row in rows if row["label"] == label]
    # The table runs from fastest growth down, so the fastest decliners are at its end.
    fastest = labelled[: options.top_k] if label == "rising" else labelled[::-1][: options.top_k]
    verb, recommendation = _TREND_WORDING[label]
    insights = []
    for row in fastest:
        segment = segments[(row["platform"], row["segment_id"])]
        insights.append(
            Insight(
                kind=f"segment_{label}",
                severity=_trend_severity(row, options),
                title=f'Segment "{row["segment_name"]}" on {row["platform"]} is {verb}.',
                subject=row["segment_id"],
                metric="audience size",
                value=float(row["size_end"]),
                baseline=float(row["size_start"]),
                change=_relative_change(row["size_end"], row["size_start"]),
                evidence=[row],
                recommendation=recommendation,
                start=segment.first_day,
                end=segment.last_day,
                impact=row["revenue_at_stake"],
                chart=_size_chart(segment),
            )
        )
    return insights


def _trend_severity(row: dict[str, Any], options: Options) -> Severity:
    """A fast decline threatens reach, so it warns; growth and slow declines are notices."""
    if row["label"] == "declining" and row["weekly_growth"] <= -options.warning_weekly_decline:
        return "warning"
    return "notice"


def _engagement_insights(
    rows: list[dict[str, Any]], segments: dict[SegmentKey, SegmentStats]
) -> list[Insight]:
    """Segments whose engagement rate falls: usually creative fatigue."""
    insights = []
    for row in rows:
        if row["engagement_trend"] != "falling":
            continue
        segment = segments[(row["platform"], row["segment_id"])]
        change = _relative_change(row["engagement_end"], row["engagement_start"])
        insights.append(
            Insight(
                kind="engagement_falling",
                severity="notice",
                title=f'Engagement of segment "{row["segment_name"]}" on {row["platform"]} '
                "is falling.",
                subject=row["segment_id"],
                metric="engagement rate",
                value=row["engagement_end"],
                baseline=row["engagement_start"],
                change=change,
                evidence=[row],
                recommendation="Refresh the creatives and offers this segment sees.",
                start=segment.first_day,
                end=segment.last_day,
                impact=None if change is None else segment.revenue * min(abs(change), 1.0),
                chart=_engagement_chart(segment),
            )
        )
    return insights


def _size_chart(segment: SegmentStats) -> ChartData | None:
    """The segment's daily size with its fitted growth curve as the expected value."""
    growth = segment.growth
    if growth is None:
        return None
    points = [
        ChartPoint(
            x=day,
            y=float(size),
            expected=round(math.exp(growth.at(float((day - segment.first_day).days)))),
            series=segment.name,
        )
        for day, size in _thinned(segment.sizes)
    ]
    return ChartData(
        kind="trend",
        title=f'Audience size of "{segment.name}" on {segment.platform}',
        x_title="day",
        y_title="audience size",
        points=points,
    )


def _engagement_chart(segment: SegmentStats) -> ChartData | None:
    """The segment's daily engagement rate with its fitted line as the expected value."""
    engagement = segment.engagement
    if engagement is None:
        return None
    points = [
        ChartPoint(
            x=day,
            y=round(rate, 5),
            expected=round(engagement.at(float((day - segment.first_day).days)), 5),
            series=segment.name,
        )
        for day, rate in _thinned(segment.engagement_rates)
    ]
    return ChartData(
        kind="trend",
        title=f'Engagement rate of "{segment.name}" on {segment.platform}',
        x_title="day",
        y_title="engagement rate",
        points=points,
    )


def _thinned(days: tuple[tuple[dt.date, _Value], ...]) -> list[tuple[dt.date, _Value]]:
    """At most CHART_POINTS of the days, evenly spaced, the first and last kept."""
    if len(days) <= CHART_POINTS:
        return list(days)
    picks = np.unique(np.linspace(0, len(days) - 1, CHART_POINTS).round().astype(int))
    return [days[int(i)] for i in picks]


def _more_findings_insight(rest: list[Insight]) -> list[Insight]:
    """One line saying how many findings beyond MAX_FINDINGS the table holds, if any."""
    if not rest:
        return []
    return [
        Insight(
            kind="more_findings",
            severity="info",
            title=f"{len(rest)} more segments have a material trend; the table lists them.",
            metric="further findings",
            value=float(len(rest)),
            evidence=[{"kind": i.kind, "segment_id": i.subject} for i in rest],
        )
    ]


def _too_small_insight(rows: list[dict[str, Any]], options: Options) -> list[Insight]:
    """One insight listing the segments too small to judge, if any."""
    small = [row for row in rows if row["label"] == "too_small"]
    if not small:
        return []
    keep = ("platform", "segment_id", "segment_name", "too_small_reason", "median_audience", "days")
    return [
        Insight(
            kind="too_small",
            severity="info",
            title=f"Too small to judge, so left out of the rankings: {_names(small)}.",
            metric="segments too small",
            value=float(len(small)),
            evidence=[{key: row[key] for key in keep} for row in small],
            recommendation=(
                f"Merge them into broader segments or wait until they reach a median of "
                f"{options.min_median_audience} members over {options.min_days} days or more."
            ),
        )
    ]


def _names(rows: list[dict[str, Any]], shown: int = 5) -> str:
    """The segments' quoted names and platforms, the first `shown` of them."""
    names = [f'"{row["segment_name"]}" on {row["platform"]}' for row in rows[:shown]]
    return ", ".join(names) + (" and others" if len(rows) > shown else "")


def _relative_change(value: float | None, baseline: float | None) -> float | None:
    """value / baseline - 1, or None when there is no positive baseline to compare against."""
    if value is None or baseline is None or baseline <= 0:
        return None
    return value / baseline - 1


def _no_data_insight() -> Insight:
    return Insight(
        kind="no_data",
        severity="info",
        title="There is no audience data for this tenant in the window.",
        recommendation=(
            "Check that the ad platforms' audience insights are syncing, or pick a window "
            "with data."
        ),
    )
