"""Per-segment statistics of the audience trends template, from its two queries' rows.

Growth is fitted on the natural log of the daily audience size: a segment that gains a steady
share of its members each day is a straight line in log space, so the OLS slope b is its daily
log growth, and exp(b) - 1 its daily growth rate (exp(7b) - 1 a week), with the interval
transformed the same way. Fitting the raw size instead would let the largest days dominate and
would describe a compounding segment by a slope that changes with its size.

Engagement is the daily engaged_users / active_users, fitted on the day as is (a rate already
has a common scale across segments); its trend is reported in rate points per day and, relative
to the segment's mean rate, as a share per week.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from marketing_intel.analysis._audience_trends_fit import LinearTrend, fit_trend

DAYS_PER_WEEK = 7
SegmentKey = tuple[str, str]  # (platform, segment_id)


@dataclass(frozen=True)
class SegmentStats:
    """One segment over the window: its size, growth, engagement and outcomes."""

    platform: str
    segment_id: str
    name: str
    days: int
    first_day: dt.date
    last_day: dt.date
    size_start: int
    size_end: int
    median_size: float
    growth: LinearTrend | None  # of ln(audience_size) on the day number
    engagement: LinearTrend | None  # of engaged_users / active_users on the day number
    mean_engagement: float | None
    conversions: int
    revenue: float
    conversions_per_1000: float | None
    revenue_per_user: float | None
    sizes: tuple[tuple[dt.date, int], ...] = ()  # the daily audience sizes fitted
    engagement_rates: tuple[tuple[dt.date, float], ...] = ()  # the daily engagement rates

    @property
    def span_days(self) -> int:
        """Days from the first to the last day with data (the day numbers fitted run 0..span)."""
        return (self.last_day - self.first_day).days

    @property
    def weekly_engagement_change(self) -> float | None:
        """The engagement trend per week relative to the mean rate (-0.1 = 10% lower a week)."""
        if self.engagement is None or not self.mean_engagement:
            return None
        return DAYS_PER_WEEK * self.engagement.slope / self.mean_engagement


def weekly_rate(daily_log_growth: float) -> float:
    """A daily log growth as a compounded weekly rate."""
    return math.expm1(DAYS_PER_WEEK * daily_log_growth)


def segment_stats(
    day_rows: Iterable[dict[str, Any]], total_rows: Iterable[dict[str, Any]], *, confidence: float
) -> list[SegmentStats]:
    """The statistics of every segment with rows in the window, in the totals' order."""
    days_by_segment: dict[SegmentKey, list[dict[str, Any]]] = defaultdict(list)
    for row in day_rows:
        days_by_segment[(row["platform"], row["segment_id"])].append(row)
    return [
        _one_segment(
            totals, days_by_segment[(totals["platform"], totals["segment_id"])], confidence
        )
        for totals in total_rows
    ]


def _one_segment(
    totals: dict[str, Any], days: list[dict[str, Any]], confidence: float
) -> SegmentStats:
    days = sorted(days, key=lambda row: row["date"])
    first_day: dt.date = totals["first_day"]
    sizes = [int(row["audience_size"]) for row in days]
    engagement_days = [row for row in days if row["engagement_rate"] is not None]
    engagement_rates = [float(row["engagement_rate"]) for row in engagement_days]
    return SegmentStats(
        platform=totals["platform"],
        segment_id=totals["segment_id"],
        name=totals["segment_name"] or totals["segment_id"],
        days=int(totals["days"]),
        first_day=first_day,
        last_day=totals["last_day"],
        size_start=sizes[0],
        size_end=sizes[-1],
        median_size=float(np.median(sizes)),
        growth=_log_growth(days, first_day, confidence),
        engagement=fit_trend(
            _day_numbers(engagement_days, first_day), engagement_rates, confidence=confidence
        ),
        mean_engagement=math.fsum(engagement_rates) / len(engagement_rates)
        if engagement_rates
        else None,
        conversions=int(totals["conversions"]),
        revenue=_number(totals["revenue"]) or 0.0,
        conversions_per_1000=_number(totals["conversions_per_1000"]),
        revenue_per_user=_number(totals["revenue_per_user"]),
        sizes=tuple((row["date"], size) for row, size in zip(days, sizes, strict=True)),
        engagement_rates=tuple(
            (row["date"], rate) for row, rate in zip(engagement_days, engagement_rates, strict=True)
        ),
    )


def _log_growth(
    days: list[dict[str, Any]], first_day: dt.date, confidence: float
) -> LinearTrend | None:
    """The trend of ln(size); days with an empty audience have no logarithm and are left out."""
    populated = [row for row in days if row["audience_size"] > 0]
    log_sizes = [math.log(row["audience_size"]) for row in populated]
    return fit_trend(_day_numbers(populated, first_day), log_sizes, confidence=confidence)


def _day_numbers(days: list[dict[str, Any]], first_day: dt.date) -> list[float]:
    """Days since the segment's first day with data: the fitted intercept is the first day's."""
    return [float((row["date"] - first_day).days) for row in days]


def _number(value: Decimal | float | int | None) -> float | None:
    """A query value as a float (NUMERIC arrives as Decimal), keeping NULL as None."""
    return None if value is None else float(value)
