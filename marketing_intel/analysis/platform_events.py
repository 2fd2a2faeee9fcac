"""Platform events analysis: is every integration delivering, on time, without failures?

Four SQL aggregates (`sql/platform_events/`) feed it: events and failures per platform, type and
day; exact delivery-lag percentiles per platform and day and over the window; a per-platform
window summary (with duplicates); and each platform's recent deliveries before `now`. From them:

- volume by platform and event type per day (an info insight holding the daily rows);
- failure spikes: a day's failures against the platform's trailing rate (exact binomial test,
  false-discovery rate `fdr_q` over all platform-days tested);
- lag spikes: a day's median delivery lag against the platform's usual daily median;
- sustained rises of the failure rate or the delivery lag that started inside the window
  (`_platform_events_shifts`), reported once with their first day; spikes inside them are part
  of them;
- volume spikes and drops: a day's events against the same weekday of the previous four weeks;
- silent integrations: a platform that usually sends and has sent nothing for `silent_hours`;
- duplicates: events whose delivery (raw_id) or natural key (type, customer, occurred_at to the
  microsecond) repeats on the same platform. raw_id identifies one webhook delivery, so two
  events from it were ingested twice; events without a delivery fall back to the natural key,
  which a real customer cannot repeat within a microsecond. Events with neither cannot be told
  apart from genuine repeats and are not counted.

Consecutive flagged days of a platform are one finding with its first and last day and a
chart of the series. Holidays (`holidays`, day -> name, from the tenant's markets) are left out
of the baselines and named in findings that cover them. At most `max_findings` findings lead
the report, most severe first (`Insight.impact` is None here: no money is attached to an
event); every finding shows in its platform's table status.

The main table has one row per platform: volume, failure rate, lag p50/p95, duplicates, the last
delivery and a status (the most severe finding's kind, or "ok").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, Field

from marketing_intel.analysis._platform_events_detectors import (
    HISTORY_DAYS,
    USUAL_DAYS,
    Activity,
    DayCounts,
    DayLag,
    failure_spikes,
    lag_spikes,
    silent_integrations,
    volume_anomalies,
)
from marketing_intel.analysis._platform_events_shifts import outside_shifts, platform_shifts
from marketing_intel.analysis._platform_events_stats import RankedLags, interpolated_percentile
from marketing_intel.analysis.market_options import MarketOptions
from marketing_intel.analysis.queries import as_datetime, query_rows
from marketing_intel.analysis.report import SEVERITY_ORDER, Insight, InsightReport, Window
from marketing_intel.lake import Lake

TEMPLATE = "platform_events"
Row = dict[str, Any]


class Options(MarketOptions):
    """Thresholds of the platform events analysis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    silent_hours: float = Field(
        24.0, gt=0, description="Hours without events after which a usual sender counts as silent."
    )
    spike_threshold: float = Field(
        5.0, gt=0, description="Robust z-score from which a day's volume is a spike or a drop."
    )
    lag_spike_ratio: float = Field(
        5.0, gt=1, description="How many times its usual median a day's median lag must reach."
    )
    fdr_q: float = Field(
        0.01,
        gt=0,
        lt=1,
        description="False-discovery rate of the failure-spike tests (over every platform-day) "
        "and of the shift tests (over every platform): the expected share of false findings.",
    )
    min_shift_days: int = Field(
        5, ge=3, description="Days a failure or lag rise must have lasted to count as a shift."
    )
    max_findings: int = Field(
        5,
        ge=1,
        description="Findings the report leads with (most severe first); the rest "
        "show in the table's status.",
    )
    lag_shift_ratio: float = Field(
        2.0, gt=1, description="How many times its usual median lag a lasting lag rise reaches."
    )
    duplicate_rate_alert: float = Field(
        0.01, ge=0, le=1, description="Share of duplicate events from which a platform is flagged."
    )


def analyze(
    lake: Lake,
    tenant_id: str,
    window: Window,
    options: Options,
    *,
    now: dt.datetime,
    holidays: Mapping[dt.date, str] | None = None,
) -> InsightReport:
    """The platform events report of one tenant and window (see the module docstring);
    `holidays` (day -> name) default to the public holidays of `options.markets`."""
    summary = _query(lake, "platform_summary", tenant_id, window)
    report = InsightReport(tenant_id=tenant_id, template=TEMPLATE, window=window, generated_at=now)
    if not summary:
        return report.model_copy(update={"insights": [_no_data_insight()]})
    history_start = window.start - dt.timedelta(days=HISTORY_DAYS)
    if holidays is None:
        holidays = options.holidays(history_start, window.end)
    volume = _query(lake, "daily_volume", tenant_id, window, history_start=history_start)
    lags = _query(lake, "lag_percentiles", tenant_id, window, history_start=history_start)
    activity = [
        Activity(row["platform"], row["active_days"], row["last_received_at"])
        for row in _query(
            lake, "recent_activity", tenant_id, window, now=now, usual_days=USUAL_DAYS
        )
    ]
    day_lags, window_lags = _lag_percentiles(lags)
    counts = _daily_counts(volume)
    shift_insights, shifts = platform_shifts(
        counts,
        day_lags,
        window,
        fdr_q=options.fdr_q,
        min_days=options.min_shift_days,
        lag_ratio=options.lag_shift_ratio,
        holidays=holidays,
    )
    spikes = [
        *failure_spikes(counts, window, options.fdr_q, holidays),
        *lag_spikes(day_lags, window, options.lag_spike_ratio, holidays),
    ]
    findings = [
        *silent_integrations(activity, now, options.silent_hours),
        *shift_insights,
        *outside_shifts(spikes, shifts),
        *volume_anomalies(
            _daily_totals(volume, window),
            window.complete_days(now),
            options.spike_threshold,
            holidays,
        ),
        *_duplicate_insights(summary, options.duplicate_rate_alert),
    ]
    leading = sorted(findings, key=lambda i: SEVERITY_ORDER[i.severity])[: options.max_findings]
    last_seen = [row["last_received_at"] for row in summary] + [
        a.last_received_at for a in activity
    ]
    return report.model_copy(
        update={
            "data_watermark": as_datetime(max(last_seen)),
            "insights": [_event_volume_insight(volume, window), *leading],
            "table": _platform_table(summary, window_lags, activity, findings, now),
        }
    )


def _query(lake: Lake, name: str, tenant_id: str, window: Window, **parameters: Any) -> list[Row]:
    return query_rows(lake, TEMPLATE, name, tenant_id=tenant_id, window=window, **parameters)


def _no_data_insight() -> Insight:
    return Insight(
        kind="no_data",
        severity="info",
        title="No platform events arrived in this window.",
        recommendation="Check that the integrations are connected, or pick a window with data.",
    )


def _lag_percentiles(
    rows: list[Row],
) -> tuple[dict[str, dict[dt.date, DayLag]], dict[str, tuple[float, float]]]:
    """Daily medians per platform, and the window's (p50, p95) per platform (rows without day)."""
    daily: dict[str, dict[dt.date, DayLag]] = defaultdict(dict)
    window: dict[str, tuple[float, float]] = {}
    for row in rows:
        p50 = interpolated_percentile(
            RankedLags(row["events"], row["p50_low_us"], row["p50_high_us"]), 50
        )
        if row["day"] is None:
            p95 = RankedLags(row["events"], row["p95_low_us"], row["p95_high_us"])
            window[row["platform"]] = (p50, interpolated_percentile(p95, 95))
        else:
            daily[row["platform"]][row["day"]] = DayLag(row["events"], p50)
    return dict(daily), window


def _daily_counts(volume: list[Row]) -> dict[str, dict[dt.date, DayCounts]]:
    """Events and failures per platform and day (summed over event types)."""
    counts: dict[str, dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in volume:
        day = counts[row["platform"]][row["day"]]
        day[0] += row["events"]
        day[1] += row["failed"]
    return {
        platform: {day: DayCounts(*pair) for day, pair in series.items()}
        for platform, series in counts.items()
    }


def _daily_totals(volume: list[Row], window: Window) -> dict[str, dict[dt.date, int]]:
    """Events per platform and day, with 0 on days without events from the platform's first
    day on: a day with nothing is the strongest drop, but days before a platform was connected
    are not drops."""
    totals: dict[str, dict[dt.date, int]] = {}
    for platform, series in _daily_counts(volume).items():
        first = min(series)
        days = (first + dt.timedelta(days=k) for k in range((window.end - first).days + 1))
        totals[platform] = {day: series[day].events if day in series else 0 for day in days}
    return totals


def _event_volume_insight(volume: list[Row], window: Window) -> Insight:
    """Volume by platform and event type per day of the window, as evidence rows."""
    rows = [row for row in volume if window.start <= row["day"] <= window.end]
    return Insight(
        kind="event_volume",
        severity="info",
        title="Event volume by platform and event type per day.",
        metric="events",
        value=float(sum(row["events"] for row in rows)),
        evidence=[
            {
                "day": row["day"].isoformat(),
                "platform": row["platform"],
                "event_type": row["event_type"],
                "events": row["events"],
                "failed": row["failed"],
            }
            for row in sorted(
                rows, key=lambda row: (row["day"], row["platform"], row["event_type"])
            )
        ],
    )


def _duplicate_insights(summary: list[Row], alert_rate: float) -> list[Insight]:
    """Platforms whose share of duplicate events reaches `alert_rate` (warning from 5x it)."""
    insights = []
    for row in summary:
        rate = row["duplicates"] / row["events"]
        if row["duplicates"] == 0 or rate < alert_rate:
            continue
        insights.append(
            Insight(
                kind="duplicate_events",
                severity="warning" if rate >= 5 * alert_rate else "notice",
                title=f"{row['platform']} delivered the same events more than once.",
                subject=row["platform"],
                metric="duplicate rate",
                value=rate,
                evidence=[
                    {
                        "platform": row["platform"],
                        "events": row["events"],
                        "duplicates": row["duplicates"],
                    }
                ],
                recommendation=(
                    f"Deduplicate {row['platform']} events on raw_id at ingestion; counts and "
                    "revenue from this platform are inflated until then."
                ),
            )
        )
    return insights


def _platform_table(
    summary: list[Row],
    window_lags: dict[str, tuple[float, float]],
    activity: list[Activity],
    insights: list[Insight],
    now: dt.datetime,
) -> list[Row]:
    """One row per platform seen in the window or recently, with its most severe finding."""
    by_platform = {row["platform"]: row for row in summary}
    last_delivery = {a.platform: a.last_received_at for a in activity}
    for row in summary:
        last_delivery[row["platform"]] = max(
            row["last_received_at"], last_delivery.get(row["platform"], row["last_received_at"])
        )
    findings = sorted(
        (insight for insight in insights if insight.subject),
        key=lambda i: SEVERITY_ORDER[i.severity],
    )
    table = []
    for platform in sorted(last_delivery):
        row = by_platform.get(platform, {"events": 0, "failed": 0, "duplicates": 0})
        events = row["events"]
        p50, p95 = window_lags.get(platform, (None, None))
        last = last_delivery[platform]
        table.append(
            {
                "platform": platform,
                "events": events,
                "failed": row["failed"],
                "failure_rate": row["failed"] / events if events else None,
                "lag_p50_s": p50,
                "lag_p95_s": p95,
                "duplicates": row["duplicates"],
                "duplicate_rate": row["duplicates"] / events if events else None,
                "last_event_at": last.isoformat(),
                "hours_since_last_event": (now - last).total_seconds() / 3600,
                "status": next((i.kind for i in findings if i.subject == platform), "ok"),
            }
        )
    return table
