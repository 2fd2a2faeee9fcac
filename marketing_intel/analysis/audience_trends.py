"""Audience trends: how each segment's size and engagement move, and what each segment yields.

Two queries (`sql/audience_trends/`) aggregate `audience_insights` per segment and day and per
segment over the window; `_audience_trends_segments` fits the trends (OLS of ln(size) and of the
engagement rate on the day, 95% t intervals). This module judges them:

- too_small: a segment with a median audience under `min_median_audience` or fewer than
  `min_days` days of data. Small counts move by whole members, so their rates are noise; they
  are listed, not ranked.
- rising / declining: the growth interval excludes zero (the direction is not chance) and the
  weekly growth is at least `min_weekly_growth` in size (the change matters for planning).
  Both conditions, because with weeks of smooth data a drift of a fraction of a percent is
  already "significant". The fastest `top_k` each way become insights, ranked by growth.
- stable: everything else.

Conversions per 1000 and revenue per user are per member of the segment's average audience
over the days observed, so segments of different sizes compare directly.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from marketing_intel.analysis._audience_trends_fit import LinearTrend
from marketing_intel.analysis._audience_trends_segments import (
    SegmentStats,
    segment_stats,
    weekly_rate,
)
from marketing_intel.analysis.market_options import MarketOptions
from marketing_intel.analysis.queries import as_datetime, query_rows
from marketing_intel.analysis.report import Insight, InsightReport, Severity, Window
from marketing_intel.lake import Lake

TEMPLATE = "audience_trends"


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
        0.02, ge=0.0, description="Smallest weekly size change (0.02 = 2%) reported as a trend."
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
    rows = sorted((_table_row(segment, options) for segment in segments), key=_table_order)
    insights = [
        *_trend_insights(rows, "rising", options),
        *_trend_insights(rows, "declining", options),
        *_engagement_insights(rows),
        *_too_small_insight(rows, options),
        *_conversion_leader_insight(rows),
    ]
    watermark = as_datetime(max(segment.last_day for segment in segments))
    return report.model_copy(
        update={"data_watermark": watermark, "insights": insights, "table": rows}
    )


def _label(segment: SegmentStats, options: Options) -> str:
    """too_small, rising, declining or stable (see the module docstring)."""
    growth = segment.growth
    if _too_small_reason(segment, options) or growth is None:
        return "too_small"
    weekly = weekly_rate(growth.slope)
    if growth.slope_low > 0 and weekly >= options.min_weekly_growth:
        return "rising"
    if growth.slope_high < 0 and weekly <= -options.min_weekly_growth:
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


def _engagement_trend(segment: SegmentStats, options: Options) -> str | None:
    """rising / falling when the interval excludes zero and the weekly change is material."""
    change = segment.weekly_engagement_change
    if segment.engagement is None or change is None:
        return None
    if segment.engagement.excludes_zero and abs(change) >= options.min_weekly_engagement_change:
        return "rising" if change > 0 else "falling"
    return "flat"


def _table_row(segment: SegmentStats, options: Options) -> dict[str, Any]:
    """One segment's row; a too-small segment's trends are left empty, since they are noise."""
    label = _label(segment, options)
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
        "engagement_rate": segment.mean_engagement,
        **_engagement_columns(segment, segment.engagement if judged else None),
        "engagement_trend": _engagement_trend(segment, options) if judged else None,
        "conversions": segment.conversions,
        "revenue": segment.revenue,
        "conversions_per_1000": segment.conversions_per_1000,
        "revenue_per_user": segment.revenue_per_user,
    }


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


def _trend_insights(rows: list[dict[str, Any]], label: str, options: Options) -> list[Insight]:
    """The `top_k` fastest rising (or declining) segments, fastest first."""
    labelled = [row for row in rows if row["label"] == label]
    # The table runs from fastest growth down, so the fastest decliners are at its end.
    fastest = labelled[: options.top_k] if label == "rising" else labelled[::-1][: options.top_k]
    verb, recommendation = _TREND_WORDING[label]
    return [
        Insight(
            kind=f"segment_{label}",
            severity=_trend_severity(row, options),
            title=f'Segment "{row["segment_name"]}" on {row["platform"]} is among the fastest '
            f"{verb}.",
            subject=row["segment_id"],
            metric="audience size",
            value=float(row["size_end"]),
            baseline=float(row["size_start"]),
            change=_relative_change(row["size_end"], row["size_start"]),
            evidence=[row],
            recommendation=recommendation,
        )
        for row in fastest
    ]


def _trend_severity(row: dict[str, Any], options: Options) -> Severity:
    """A fast decline threatens reach, so it warns; growth and slow declines are notices."""
    if row["label"] == "declining" and row["weekly_growth"] <= -options.warning_weekly_decline:
        return "warning"
    return "notice"


def _engagement_insights(rows: list[dict[str, Any]]) -> list[Insight]:
    """Segments whose engagement rate falls: usually creative fatigue."""
    return [
        Insight(
            kind="engagement_falling",
            severity="notice",
            title=f'Engagement of segment "{row["segment_name"]}" on {row["platform"]} is falling.',
            subject=row["segment_id"],
            metric="engagement rate",
            value=row["engagement_end"],
            baseline=row["engagement_start"],
            change=_relative_change(row["engagement_end"], row["engagement_start"]),
            evidence=[row],
            recommendation="Refresh the creatives and offers this segment sees.",
        )
        for row in rows
        if row["engagement_trend"] == "falling"
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


def _conversion_leader_insight(rows: list[dict[str, Any]]) -> list[Insight]:
    """The judged segment converting most per member, against the median judged segment."""
    judged = [
        row
        for row in rows
        if row["label"] != "too_small" and row["conversions_per_1000"] is not None
    ]
    if len(judged) < 2:  # a leader needs someone to lead
        return []
    leader = max(judged, key=lambda row: (row["conversions_per_1000"], row["segment_id"]))
    median = float(np.median([row["conversions_per_1000"] for row in judged]))
    return [
        Insight(
            kind="top_converting_segment",
            severity="info",
            title=f'Segment "{leader["segment_name"]}" on {leader["platform"]} converts the most '
            "per member.",
            subject=leader["segment_id"],
            metric="conversions per 1000 members",
            value=leader["conversions_per_1000"],
            baseline=median,
            change=_relative_change(leader["conversions_per_1000"], median),
            evidence=[leader],
            recommendation="Use it as the seed audience for lookalikes and give it budget first.",
        )
    ]


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
