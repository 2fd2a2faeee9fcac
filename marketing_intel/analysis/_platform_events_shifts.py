"""Sustained platform shifts: a failure rate or a delivery lag that rose on one day of the window
and stayed up to its end (`level_shifts`).

- failure rate: failed / events per day (`ratio_shifts`, rising, per weekday); material when
  the median day since the shift fails MIN_FAILURE_EXCESS more often than the days before
  predicted (the median: one spike day among a few ordinary ones is a spike, not a shift).
- delivery lag: the log of each day's median lag (`mean_shifts`, rising); material when the
  median day since the shift is `lag_shift_ratio` times as late as before and MIN_LAG_EXCESS_S
  seconds later.

Both are tested for every platform, and their p-values form one family whose false-discovery
rate is held at `fdr_q`. Holidays are neither history nor tested days. The day-level spikes of
a platform inside its shift are part of the shift and not reported again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from marketing_intel.analysis._platform_events_detectors import (
    CRITICAL_FAILURE_RATE,
    MIN_FAILURE_EXCESS,
    MIN_LAG_DAY_EVENTS,
    MIN_LAG_EXCESS_S,
    DayCounts,
    DayLag,
    failure_rate_chart,
    lag_chart,
)
from marketing_intel.analysis.discoveries import significant
from marketing_intel.analysis.holiday_days import holiday_clause, holiday_columns
from marketing_intel.analysis.level_shifts import mean_shifts, ratio_shifts
from marketing_intel.analysis.report import Insight, Window


@dataclass(frozen=True)
class PlatformDays:
    """Platforms' daily failures, events and log median lags (platform x consecutive days)."""

    platforms: list[str]
    first_day: dt.date
    failed: np.ndarray
    events: np.ndarray
    log_lag: np.ndarray  # NaN where the day had too few events for a median

    @classmethod
    def build(
        cls,
        counts: Mapping[str, Mapping[dt.date, DayCounts]],
        lags: Mapping[str, Mapping[dt.date, DayLag]],
        first_day: dt.date,
        last_day: dt.date,
    ) -> PlatformDays:
        """Matrices from `first_day` to `last_day` of every platform in `counts` or `lags`."""
        platforms = sorted(set(counts) | set(lags))
        width = (last_day - first_day).days + 1
        failed, events = np.zeros((len(platforms), width)), np.zeros((len(platforms), width))
        log_lag = np.full((len(platforms), width), np.nan)
        for row, platform in enumerate(platforms):
            for day, day_counts in counts.get(platform, {}).items():
                column = (day - first_day).days
                if 0 <= column < width:
                    failed[row, column], events[row, column] = day_counts.failed, day_counts.events
            for day, lag in lags.get(platform, {}).items():
                column = (day - first_day).days
                if 0 <= column < width and lag.events >= MIN_LAG_DAY_EVENTS:
                    log_lag[row, column] = math.log1p(lag.p50_s)
        return cls(platforms, first_day, failed, events, log_lag)

    def failure_rates(self) -> np.ndarray:
        """Each day's failed / events (NaN on days without events)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.failed / self.events

    def day(self, column: int) -> dt.date:
        """The day of `column`."""
        return self.first_day + dt.timedelta(days=int(column))


@dataclass(frozen=True)
class PlatformShift:
    """One platform's sustained rise of its failure rate ("failure") or lag ("lag")."""

    platform: str
    family: str
    start: dt.date
    end: dt.date


def platform_shifts(
    counts: Mapping[str, Mapping[dt.date, DayCounts]],
    lags: Mapping[str, Mapping[dt.date, DayLag]],
    window: Window,
    *,
    fdr_q: float,
    min_days: int,
    lag_ratio: float,
    holidays: Mapping[dt.date, str],
) -> tuple[list[Insight], list[PlatformShift]]:
    """The findings of the platforms whose failure rate or lag rose for good in the window, and
    the shifts themselves (to leave their days out of the day-level findings)."""
    days = PlatformDays.build(counts, lags, window.start - dt.timedelta(days=28), window.end)
    first = (window.start - days.first_day).days
    last = days.failed.shape[1] - 1
    if last - first + 1 < min_days or not days.platforms:
        return [], []
    ordinary = ~holiday_columns(days.first_day, last + 1, holidays)[None, :]
    bounds = {"first_candidate": first, "last_column": last, "min_days": min_days}
    failures = ratio_shifts(
        days.failed, days.events, ordinary & (days.events > 0), falling=False, **bounds
    )
    lag = mean_shifts(days.log_lag, ordinary & ~np.isnan(days.log_lag), rising=True, **bounds)
    found = significant(np.stack([failures.p_value, lag.p_value]), fdr_q)
    insights, shifts = [], []
    for row, platform in enumerate(days.platforms):
        if found[0, row] and failures.start[row] >= 0:
            start = int(failures.start[row])
            after = float(days.events[row, start:].sum())
            rate, usual = failures.observed[row] / after, failures.expected[row] / after
            typical = _typical_after(days.failure_rates(), row, start)
            if typical - usual >= MIN_FAILURE_EXCESS:
                shift = PlatformShift(platform, "failure", days.day(start), window.end)
                insights.append(_failure_insight(shift, rate, usual, counts[platform], holidays))
                shifts.append(shift)
        if found[1, row] and lag.start[row] >= 0:
            after_s, before_s = math.expm1(lag.observed[row]), math.expm1(lag.expected[row])
            typical = math.expm1(_typical_after(days.log_lag, row, int(lag.start[row])))
            if typical >= lag_ratio * before_s and typical - before_s >= MIN_LAG_EXCESS_S:
                shift = PlatformShift(platform, "lag", days.day(int(lag.start[row])), window.end)
                insights.append(_lag_insight(shift, after_s, before_s, lags[platform], holidays))
                shifts.append(shift)
    return insights, shifts


def _typical_after(daily: np.ndarray, row: int, start: int) -> float:
    """The median day from `start` on: a shift must lift most of its days, not one."""
    values = daily[row, start:]
    known = values[np.isfinite(values)]
    return float(np.median(known)) if known.size else math.nan


def _failure_insight(
    shift: PlatformShift,
    rate: float,
    usual: float,
    series: Mapping[dt.date, DayCounts],
    holidays: Mapping[dt.date, str],
) -> Insight:
    return Insight(
        kind="failure_rate_rise",
        severity="critical" if rate >= CRITICAL_FAILURE_RATE else "warning",
        title=f"{shift.platform} events have failed far more often since {shift.start}."
        + holiday_clause(holidays, shift.start, shift.end),
        subject=shift.platform,
        metric="failure rate",
        value=rate,
        baseline=usual,
        change=rate / usual - 1 if usual > 0 else None,
        evidence=[_evidence(shift, failure_rate=rate, usual_failure_rate=usual)],
        recommendation=(
            f"Check what changed in the {shift.platform} integration on the first day (API "
            "version, credentials, payload schema) and replay the failed events once fixed."
        ),
        start=shift.start,
        end=shift.end,
        chart=failure_rate_chart(shift.platform, series, usual, shift.start, shift.end),
    )


def _lag_insight(
    shift: PlatformShift,
    lag_s: float,
    usual_s: float,
    series: Mapping[dt.date, DayLag],
    holidays: Mapping[dt.date, str],
) -> Insight:
    return Insight(
        kind="lag_rise",
        severity="warning",
        title=f"{shift.platform} deliveries have arrived much later since {shift.start}."
        + holiday_clause(holidays, shift.start, shift.end),
        subject=shift.platform,
        metric="median delivery lag (s)",
        value=lag_s,
        baseline=usual_s,
        change=lag_s / usual_s - 1 if usual_s > 0 else None,
        evidence=[_evidence(shift, lag_p50_s=lag_s, usual_lag_p50_s=usual_s)],
        recommendation=(
            f"Look for a lasting {shift.platform} delivery backlog or retry policy change; "
            "reports that depend on fresh events are late until it clears."
        ),
        start=shift.start,
        end=shift.end,
        chart=lag_chart(shift.platform, series, usual_s, shift.start, shift.end),
    )


def _evidence(shift: PlatformShift, **numbers: float) -> dict[str, object]:
    return {
        "platform": shift.platform,
        "start": shift.start.isoformat(),
        "end": shift.end.isoformat(),
        "days": (shift.end - shift.start).days + 1,
        **numbers,
    }


def outside_shifts(insights: list[Insight], shifts: list[PlatformShift]) -> list[Insight]:
    """The day-level findings not inside a shift of the same platform and family."""
    families = {"failure_spike": "failure", "lag_spike": "lag"}
    return [
        insight
        for insight in insights
        if not any(
            shift.platform == insight.subject
            and shift.family == families.get(insight.kind)
            and insight.start is not None
            and shift.start <= insight.start
            for shift in shifts
        )
    ]
