"""Day-level detectors of the platform events template: failure spikes, lag spikes, volume
anomalies and silent integrations, each turning aggregated series into `Insight`s.

Every detector compares a day of the window with the same platform's own trailing history, so a
platform that is always slow, noisy or failure-prone is judged against itself.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from marketing_intel.analysis._platform_events_stats import binomial_upper_tail
from marketing_intel.analysis.baselines import same_weekday_scores
from marketing_intel.analysis.discoveries import significant
from marketing_intel.analysis.finding_charts import series_chart
from marketing_intel.analysis.holiday_days import NO_HOLIDAYS, holiday_clause
from marketing_intel.analysis.report import ChartData, Insight, Window

HISTORY_DAYS = 28  # trailing days a day is compared with
# Failure spikes: the pooled trailing rate needs enough events to be a baseline, and the excess
# must matter in practice (a significant 1.0% -> 1.6% is not worth an alert).
MIN_BASELINE_EVENTS = 100
MIN_FAILURE_EXCESS = 0.02
CRITICAL_FAILURE_RATE = 0.25
# Lag spikes: a day's median needs a handful of events, the baseline a week of days, and the
# excess must be felt (a 0.5 s -> 3 s median is a ratio of 6 but harmless).
MIN_LAG_DAY_EVENTS = 10
MIN_LAG_HISTORY_DAYS = 7
MIN_LAG_EXCESS_S = 60.0
# Volume anomalies: a day must also move by half its baseline, not only be improbable.
MIN_VOLUME_CHANGE = 0.5
# Silent integrations: "usually sends" = delivered on most of the last USUAL_DAYS days.
USUAL_DAYS = 14


@dataclass(frozen=True)
class DayCounts:
    """One platform's events and failed events on one day."""

    events: int
    failed: int


@dataclass(frozen=True)
class DayLag:
    """One platform's delivery-lag median (seconds) on one day, over `events` events."""

    events: int
    p50_s: float


@dataclass(frozen=True)
class Activity:
    """A platform's recent deliveries: active days among the last USUAL_DAYS, latest delivery."""

    platform: str
    active_days: int
    last_received_at: dt.datetime


class _Located(Protocol):
    """A flagged platform-day."""

    @property
    def platform(self) -> str: ...

    @property
    def day(self) -> dt.date: ...


_Flagged = TypeVar("_Flagged", bound=_Located)
_Day = TypeVar("_Day")


def _window_days(series: Mapping[dt.date, object], window: Window) -> list[dt.date]:
    return sorted(day for day in series if window.start <= day <= window.end)


def _trailing(day: dt.date) -> tuple[dt.date, dt.date]:
    return day - dt.timedelta(days=HISTORY_DAYS), day - dt.timedelta(days=1)


def failure_spikes(
    daily: dict[str, dict[dt.date, DayCounts]],
    window: Window,
    fdr_q: float,
    holidays: Mapping[dt.date, str] = NO_HOLIDAYS,
) -> list[Insight]:
    """Runs of days whose failure count is improbable under the platform's trailing failure rate.

    Statistic: an exact one-sided binomial test of each day's failed count against the pooled
    rate of the previous HISTORY_DAYS days (holidays left out; with one pseudo-failure and one
    pseudo-success, so a spotless history does not make a single failure infinitely
    surprising). The false-discovery rate over all platform-days tested is held at `fdr_q`
    (Benjamini-Hochberg); MIN_FAILURE_EXCESS keeps tiny but significant shifts quiet.
    Consecutive flagged days of a platform are one finding.
    """
    candidates: list[FailureDay] = []
    for platform, series in sorted(daily.items()):
        for day in _window_days(series, window):
            history = _history(series, day, holidays)
            history_events = sum(counts.events for counts in history)
            if history_events < MIN_BASELINE_EVENTS or series[day].events == 0:
                continue
            baseline = (sum(counts.failed for counts in history) + 1) / (history_events + 2)
            counts = series[day]
            p_value = binomial_upper_tail(counts.failed, counts.events, baseline)
            candidates.append(FailureDay(platform, day, counts, baseline, p_value))
    found = significant(np.array([c.p_value for c in candidates]), fdr_q)
    flagged = [
        c
        for c, discovered in zip(candidates, found, strict=True)
        if discovered and c.counts.failed / c.counts.events - c.baseline >= MIN_FAILURE_EXCESS
    ]
    return [_failure_insight(run, daily[run[0].platform], holidays) for run in _runs(flagged)]


@dataclass(frozen=True)
class FailureDay:
    """One platform-day's failures against the trailing rate, with its binomial p-value."""

    platform: str
    day: dt.date
    counts: DayCounts
    baseline: float
    p_value: float


def _history(
    series: Mapping[dt.date, _Day], day: dt.date, holidays: Mapping[dt.date, str]
) -> list[_Day]:
    """The trailing HISTORY_DAYS days' values before `day`, holidays left out."""
    first, last = _trailing(day)
    return [v for past, v in series.items() if first <= past <= last and past not in holidays]


def _runs(days: list[_Flagged]) -> list[list[_Flagged]]:
    """Consecutive flagged days of one platform, grouped (input: by platform, then day)."""
    runs: list[list[_Flagged]] = []
    for flagged in days:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.platform == flagged.platform
            and flagged.day - last.day == dt.timedelta(days=1)
        ):
            runs[-1].append(flagged)
        else:
            runs.append([flagged])
    return runs


def _failure_insight(
    run: list[FailureDay], series: Mapping[dt.date, DayCounts], holidays: Mapping[dt.date, str]
) -> Insight:
    platform, start, end = run[0].platform, run[0].day, run[-1].day
    events = sum(day.counts.events for day in run)
    rate = sum(day.counts.failed for day in run) / events
    baseline = sum(day.baseline * day.counts.events for day in run) / events
    return Insight(
        kind="failure_spike",
        severity="critical" if rate >= CRITICAL_FAILURE_RATE else "warning",
        title=f"{platform} events failed far more often than usual "
        + ("on one day." if start == end else "for several days.")
        + holiday_clause(holidays, start, end),
        subject=platform,
        metric="failure rate",
        value=rate,
        baseline=baseline,
        change=rate / baseline - 1,
        evidence=[
            {
                "platform": platform,
                "day": day.day.isoformat(),
                "events": day.counts.events,
                "failed": day.counts.failed,
                "failure_rate": day.counts.failed / day.counts.events,
                "baseline_rate": day.baseline,
                "p_value": day.p_value,
            }
            for day in run
        ],
        recommendation=(
            f"Check the {platform} integration's error responses for those days and "
            "replay the failed events once the cause is fixed."
        ),
        start=start,
        end=end,
        chart=failure_rate_chart(platform, series, baseline, start, end),
    )


def failure_rate_chart(
    platform: str,
    series: Mapping[dt.date, DayCounts],
    baseline: float,
    start: dt.date,
    end: dt.date,
) -> ChartData:
    """The platform's daily failure rate against `baseline`, the band two binomial standard
    deviations of each day's count wide."""
    days = sorted(series)
    return series_chart(
        title=f"Failure rate of {platform} events",
        y_title="failure rate",
        days=days,
        values=[series[d].failed / series[d].events if series[d].events else None for d in days],
        expected=[baseline] * len(days),
        spread=[
            math.sqrt(baseline * (1 - baseline) / series[d].events) if series[d].events else None
            for d in days
        ],
        start=start,
        end=end,
    )


def lag_spikes(
    daily: dict[str, dict[dt.date, DayLag]],
    window: Window,
    ratio: float,
    holidays: Mapping[dt.date, str] = NO_HOLIDAYS,
) -> list[Insight]:
    """Runs of days whose median delivery lag is `ratio` times the platform's usual daily median.

    Statistic: the day's exact median lag against the median of the platform's daily medians
    over the previous HISTORY_DAYS days (holidays left out). Lags are multiplicative (lognormal
    with a retry tail), so a ratio is the scale-free comparison; the median of medians ignores
    earlier bad days, and the day's median (not p95) moves only when most deliveries are late,
    not a few retries. Consecutive flagged days of a platform are one finding.
    """
    flagged: list[LagDay] = []
    for platform, series in sorted(daily.items()):
        for day in _window_days(series, window):
            history = [lag.p50_s for lag in _history(series, day, holidays)]
            lag = series[day]
            if len(history) < MIN_LAG_HISTORY_DAYS or lag.events < MIN_LAG_DAY_EVENTS:
                continue
            baseline = statistics.median(history)
            if lag.p50_s >= ratio * baseline and lag.p50_s - baseline >= MIN_LAG_EXCESS_S:
                flagged.append(LagDay(platform, day, lag, baseline))
    return [_lag_insight(run, daily[run[0].platform], holidays) for run in _runs(flagged)]


@dataclass(frozen=True)
class LagDay:
    """One platform-day's median lag against the usual daily median."""

    platform: str
    day: dt.date
    lag: DayLag
    baseline: float


def _lag_insight(
    run: list[LagDay], series: Mapping[dt.date, DayLag], holidays: Mapping[dt.date, str]
) -> Insight:
    platform, start, end = run[0].platform, run[0].day, run[-1].day
    value = math.fsum(day.lag.p50_s for day in run) / len(run)
    baseline = math.fsum(day.baseline for day in run) / len(run)
    return Insight(
        kind="lag_spike",
        severity="warning",
        title=f"{platform} deliveries arrived much later than usual "
        + ("on one day." if start == end else "for several days.")
        + holiday_clause(holidays, start, end),
        subject=platform,
        metric="median delivery lag (s)",
        value=value,
        baseline=baseline,
        change=value / baseline - 1 if baseline > 0 else None,
        evidence=[
            {
                "platform": platform,
                "day": day.day.isoformat(),
                "events": day.lag.events,
                "lag_p50_s": day.lag.p50_s,
                "baseline_lag_p50_s": day.baseline,
            }
            for day in run
        ],
        recommendation=(
            f"Look for a {platform} delivery backlog or retry storm those days; "
            "reports that depend on fresh events may have been late."
        ),
        start=start,
        end=end,
        chart=lag_chart(platform, series, baseline, start, end),
    )


def lag_chart(
    platform: str,
    series: Mapping[dt.date, DayLag],
    baseline: float,
    start: dt.date,
    end: dt.date,
) -> ChartData:
    """The platform's daily median lag against `baseline` (no band: lags are judged by ratio)."""
    days = sorted(series)
    return series_chart(
        title=f"Median delivery lag of {platform} events",
        y_title="median lag (s)",
        days=days,
        values=[series[d].p50_s for d in days],
        expected=[baseline] * len(days),
        spread=[None] * len(days),
        start=start,
        end=end,
    )


def volume_anomalies(
    daily: dict[str, dict[dt.date, int]],
    window: Window | None,
    threshold: float,
    holidays: Mapping[dt.date, str] = NO_HOLIDAYS,
) -> list[Insight]:
    """Complete days whose event count spikes above or drops below the same-weekday baseline.

    Only complete days are judged (`Window.complete_days`; None: none are): a day still
    filling up would look like a drop on every platform every morning.

    Statistic: `same_weekday_scores` (median and MAD of the same weekday in the four weeks
    before), with the spread floored at the Poisson standard deviation sqrt(baseline): counts
    are at least that noisy, and a MAD of four values can be far smaller by chance. A day is
    flagged when |z| >= `threshold` and it moved by MIN_VOLUME_CHANGE of its baseline. Holidays
    are not learned from, and a flagged holiday is named.
    """
    insights: list[Insight] = []
    if window is None:
        return insights
    for platform, series in sorted(daily.items()):
        counts = {day: float(n) for day, n in series.items()}
        for score in same_weekday_scores(counts, from_day=window.start, not_learned=holidays):
            if score.day > window.end or score.baseline <= 0:
                continue
            zscore = (score.value - score.baseline) / max(score.spread, math.sqrt(score.baseline))
            change = score.value / score.baseline - 1
            if abs(zscore) < threshold or abs(change) < MIN_VOLUME_CHANGE:
                continue
            insight = _volume_insight(platform, score.day, score.value, score.baseline, zscore)
            note = holiday_clause(holidays, score.day, score.day)
            insights.append(insight.model_copy(update={"title": insight.title + note}))
    return insights


def _volume_insight(
    platform: str, day: dt.date, value: float, baseline: float, zscore: float
) -> Insight:
    spike = value > baseline
    return Insight(
        kind="volume_spike" if spike else "volume_drop",
        severity="notice" if spike else "warning",
        title=(
            f"{platform} sent far more events than on the same weekday in recent weeks."
            if spike
            else f"{platform} sent far fewer events than on the same weekday in recent weeks."
        ),
        subject=platform,
        metric="events per day",
        value=value,
        baseline=baseline,
        change=value / baseline - 1,
        start=day,
        end=day,
        evidence=[
            {
                "platform": platform,
                "day": day.isoformat(),
                "events": int(value),
                "baseline_events": baseline,
                "zscore": zscore,
            }
        ],
        recommendation=(
            f"Check whether the {platform} surge is real traffic (a campaign, a sale) or a "
            "replay of old events."
            if spike
            else f"Check the {platform} integration for dropped or delayed deliveries that day."
        ),
    )


def silent_integrations(
    activity: list[Activity], now: dt.datetime, silent_hours: float
) -> list[Insight]:
    """Platforms that usually send but have delivered nothing for `silent_hours` before `now`.

    "Usually sends" means it delivered on most (more than half) of the USUAL_DAYS days before
    today, so a platform that only reports now and then is not called silent. Silence twice as
    long as the threshold is critical: a full business day or more of events is missing.
    """
    insights = []
    for platform in activity:
        hours = (now - platform.last_received_at).total_seconds() / 3600
        if platform.active_days * 2 <= USUAL_DAYS or hours < silent_hours:
            continue
        insights.append(
            Insight(
                kind="silent_integration",
                severity="critical" if hours >= 2 * silent_hours else "warning",
                title=f"{platform.platform} has stopped sending events.",
                subject=platform.platform,
                metric="hours since last event",
                value=hours,
                evidence=[
                    {
                        "platform": platform.platform,
                        "last_received_at": platform.last_received_at.isoformat(),
                        "hours_silent": hours,
                        "active_days": platform.active_days,
                        "usual_days": USUAL_DAYS,
                        "silent_hours_threshold": silent_hours,
                    }
                ],
                recommendation=(
                    f"Check the {platform.platform} connection (expired token, disabled "
                    "webhook, changed endpoint) and backfill the missing period."
                ),
            )
        )
    return insights
