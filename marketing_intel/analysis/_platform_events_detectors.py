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

from marketing_intel.analysis._platform_events_stats import binomial_upper_tail
from marketing_intel.analysis.baselines import same_weekday_scores
from marketing_intel.analysis.report import Insight, Window

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


def _window_days(series: Mapping[dt.date, object], window: Window) -> list[dt.date]:
    return sorted(day for day in series if window.start <= day <= window.end)


def _trailing(day: dt.date) -> tuple[dt.date, dt.date]:
    return day - dt.timedelta(days=HISTORY_DAYS), day - dt.timedelta(days=1)


def failure_spikes(
    daily: dict[str, dict[dt.date, DayCounts]], window: Window, significance: float
) -> list[Insight]:
    """Days whose failure count is improbable under the platform's trailing failure rate.

    Statistic: an exact one-sided binomial test of the day's failed count against the pooled
    rate of the previous HISTORY_DAYS days (with one pseudo-failure and one pseudo-success, so a
    spotless history does not make a single failure infinitely surprising). The family-wise
    `significance` is split over all platform-days tested (Bonferroni), since a 14-day window
    over six platforms is ~80 tests; MIN_FAILURE_EXCESS keeps tiny but significant shifts quiet.
    """
    candidates: list[tuple[str, dt.date, DayCounts, float]] = []
    for platform, series in sorted(daily.items()):
        for day in _window_days(series, window):
            first, last = _trailing(day)
            history = [counts for past, counts in series.items() if first <= past <= last]
            history_events = sum(counts.events for counts in history)
            if history_events < MIN_BASELINE_EVENTS or series[day].events == 0:
                continue
            baseline = (sum(counts.failed for counts in history) + 1) / (history_events + 2)
            candidates.append((platform, day, series[day], baseline))
    insights = []
    for platform, day, counts, baseline in candidates:
        rate = counts.failed / counts.events
        p_value = binomial_upper_tail(counts.failed, counts.events, baseline)
        if p_value >= significance / len(candidates) or rate - baseline < MIN_FAILURE_EXCESS:
            continue
        insights.append(
            Insight(
                kind="failure_spike",
                severity="critical" if rate >= CRITICAL_FAILURE_RATE else "warning",
                title=f"{platform} events failed far more often than usual on one day.",
                subject=platform,
                metric="failure rate",
                value=rate,
                baseline=baseline,
                change=rate / baseline - 1,
                evidence=[
                    {
                        "platform": platform,
                        "day": day.isoformat(),
                        "events": counts.events,
                        "failed": counts.failed,
                        "failure_rate": rate,
                        "baseline_rate": baseline,
                        "p_value": p_value,
                    }
                ],
                recommendation=(
                    f"Check the {platform} integration's error responses for that day and "
                    "replay the failed events once the cause is fixed."
                ),
            )
        )
    return insights


def lag_spikes(
    daily: dict[str, dict[dt.date, DayLag]], window: Window, ratio: float
) -> list[Insight]:
    """Days whose median delivery lag is `ratio` times the platform's usual daily median.

    Statistic: the day's exact median lag against the median of the platform's daily medians
    over the previous HISTORY_DAYS days. Lags are multiplicative (lognormal with a retry tail),
    so a ratio is the scale-free comparison; the median of medians ignores earlier bad days,
    and the day's median (not p95) moves only when most deliveries are late, not a few retries.
    """
    insights: list[Insight] = []
    if window is None:
        return insights
    for platform, series in sorted(daily.items()):
        for day in _window_days(series, window):
            first, last = _trailing(day)
            history = [lag.p50_s for past, lag in series.items() if first <= past <= last]
            lag = series[day]
            if len(history) < MIN_LAG_HISTORY_DAYS or lag.events < MIN_LAG_DAY_EVENTS:
                continue
            baseline = statistics.median(history)
            if lag.p50_s < ratio * baseline or lag.p50_s - baseline < MIN_LAG_EXCESS_S:
                continue
            insights.append(
                Insight(
                    kind="lag_spike",
                    severity="warning",
                    title=f"{platform} deliveries arrived much later than usual on one day.",
                    subject=platform,
                    metric="median delivery lag (s)",
                    value=lag.p50_s,
                    baseline=baseline,
                    change=lag.p50_s / baseline - 1 if baseline > 0 else None,
                    evidence=[
                        {
                            "platform": platform,
                            "day": day.isoformat(),
                            "events": lag.events,
                            "lag_p50_s": lag.p50_s,
                            "baseline_lag_p50_s": baseline,
                        }
                    ],
                    recommendation=(
                        f"Look for a {platform} delivery backlog or retry storm that day; "
                        "reports that depend on fresh events may have been late."
                    ),
                )
            )
    return insights


def volume_anomalies(
    daily: dict[str, dict[dt.date, int]], window: Window | None, threshold: float
) -> list[Insight]:
    """Complete days whose event count spikes above or drops below the same-weekday baseline.

    Only complete days are judged (`Window.complete_days`; None: none are): a day still
    filling up would look like a drop on every platform every morning.

    Statistic: `same_weekday_scores` (median and MAD of the same weekday in the four weeks
    before), with the spread floored at the Poisson standard deviation sqrt(baseline): counts
    are at least that noisy, and a MAD of four values can be far smaller by chance. A day is
    flagged when |z| >= `threshold` and it moved by MIN_VOLUME_CHANGE of its baseline.
    """
    insights: list[Insight] = []
    if window is None:
        return insights
    for platform, series in sorted(daily.items()):
        counts = {day: float(n) for day, n in series.items()}
        for score in same_weekday_scores(counts, from_day=window.start):
            if score.day > window.end or score.baseline <= 0:
                continue
            zscore = (score.value - score.baseline) / max(score.spread, math.sqrt(score.baseline))
            change = score.value / score.baseline - 1
            if abs(zscore) < threshold or abs(change) < MIN_VOLUME_CHANGE:
                continue
            insights.append(
                _volume_insight(platform, score.day, score.value, score.baseline, zscore)
            )
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
