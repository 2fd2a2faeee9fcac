"""Campaign insights: per-campaign KPIs against the previous window, sustained shifts and
day anomalies, a handful of actionable findings ranked by the money at stake.

What it reports, and on which statistic:
- KPIs (CTR, CVR, CPA, ROAS) per campaign for the window and the previous window of equal length,
  with relative changes (`_campaign_insights_kpis`); the report's table holds one row per campaign,
  with its ROAS rank among campaigns with material spend (`min_spend_share`, `min_spend`) and the
  kind of its finding, if any. Rankings are context, so they live in the table, not the findings.
- Sustained level shifts (`_campaign_insights_shifts`): a ROAS collapse, CPA rise or
  conversion-rate drop that started inside the window and lasted to its end or ended before it,
  with its first and last day.
- Day anomalies (`_campaign_insights_anomalies`): spend spikes that bought nothing (cap the
  budget), tracking outages and conversion drops, consecutive days merged into one finding.

Every test of a report (each campaign-day, each campaign's shift) is one of thousands, so the
false-discovery rate is controlled at `fdr_q` (Benjamini-Hochberg) across them, and counts are
confirmed by an exact Poisson tail. Holidays (`holidays`, day -> name) are left out of every
baseline and named in the findings that cover them. The report leads with at most `max_findings`
findings, by severity and then by money at stake (`Insight.impact`); the rest show in the table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from marketing_intel.analysis._campaign_insights_anomalies import (
    DayAnomalies,
    day_anomalies,
    finding_runs,
    run_insight,
)
from marketing_intel.analysis._campaign_insights_daily import DailyCampaigns
from marketing_intel.analysis._campaign_insights_kpis import (
    CampaignKey,
    CampaignKpis,
    campaign_kpis,
    latest_update,
)
from marketing_intel.analysis._campaign_insights_shifts import (
    ShiftFinding,
    level_shift_findings,
    shift_insight,
    shifted_cells,
)
from marketing_intel.analysis.market_options import MarketOptions
from marketing_intel.analysis.queries import as_datetime, query_rows, query_table
from marketing_intel.analysis.report import SEVERITY_ORDER, Insight, InsightReport, Window
from marketing_intel.lake import Lake

TEMPLATE = "campaign_insights"
_SHIFT_KINDS = {"roas_collapse", "cpa_rise", "conversion_rate_drop"}


class Options(MarketOptions):
    """Thresholds of the campaign insights template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_spend_share: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Share of the tenant's window spend a campaign needs to be ranked or acted on.",
    )
    min_spend: float = Field(
        0.0, ge=0.0, description="Window spend a campaign needs to be ranked or acted on."
    )
    baseline_weeks: int = Field(
        4,
        ge=3,
        le=8,
        description="Weeks of history before the window that baselines and shift tests learn from.",
    )
    min_spread_share: float = Field(
        0.1,
        ge=0.0,
        description="Floor of a day's spend spread as a share of its baseline: ad delivery "
        "normally swings this much day to day, more than a quiet history may show.",
    )
    fdr_q: float = Field(
        0.05,
        gt=0.0,
        lt=1.0,
        description="False-discovery rate of the report's day and shift tests (Benjamini-"
        "Hochberg over every campaign-day and campaign tested): the expected share of false "
        "findings among those reported.",
    )
    count_alpha: float = Field(
        0.001,
        gt=0.0,
        lt=1.0,
        description="Poisson tail probability below which a conversions drop is confirmed.",
    )
    cap_zscore: float = Field(
        2.5,
        gt=0.0,
        description="Shortfall of a spend spike's conversions below the healthy expectation, in "
        "spreads, from which the spike bought next to nothing (cap the budget).",
    )
    min_shift: float = Field(
        0.3,
        gt=0.0,
        lt=1.0,
        description="Relative fall of ROAS, conversions per spend or conversion rate, against "
        "what the days before predicted, that counts as a material shift.",
    )
    min_elasticity: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="Lowest elasticity b of revenue and conversions ~ spend ** b (diminishing "
        "returns) a healthy campaign has: a spend spike must buy less than that to be capped, "
        "and a shift must stand out for every b from this to 1 (a budget change is no shift).",
    )
    min_shift_days: int = Field(
        5,
        ge=3,
        description="Days a shift must have lasted (to the window's end or before) to be tested.",
    )
    roas_floor: float = Field(
        1.0, ge=0.0, description="ROAS below which a collapsed campaign should be paused."
    )
    max_findings: int = Field(
        5, ge=1, description="Findings the report leads with; the rest show in the table."
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
    """The campaign insights report of one tenant and window; `holidays` (day -> name; by
    default the public holidays of `options.markets`) are left out of baselines and named in
    findings."""
    kpi_rows = query_rows(
        lake,
        TEMPLATE,
        "campaign_kpis",
        tenant_id=tenant_id,
        window=window,
        previous_start=window.previous().start,
    )
    report = InsightReport(
        tenant_id=tenant_id,
        template=TEMPLATE,
        window=window,
        generated_at=now,
        data_watermark=as_datetime(latest_update(kpi_rows)),
    )
    if report.data_watermark is None:  # no row in the window (the previous one alone is no news)
        return report.model_copy(update={"insights": [_no_data()]})
    history_start = window.start - dt.timedelta(weeks=options.baseline_weeks)
    if holidays is None:
        holidays = options.holidays(history_start, window.end)
    daily = DailyCampaigns.from_table(
        query_table(
            lake,
            TEMPLATE,
            "daily_campaign",
            tenant_id=tenant_id,
            window=window,
            history_start=history_start,
        )
    )
    campaigns = campaign_kpis(kpi_rows)
    names = {c.key: c.campaign_name for c in campaigns}
    complete = window.complete_days(now)  # today's rows are still filling up
    findings = _findings(daily, complete, options, holidays, names) if complete else []
    ranked = sorted(
        findings, key=lambda i: (SEVERITY_ORDER[i.severity], -(i.impact or 0.0), i.subject or "")
    )
    return report.model_copy(
        update={
            "insights": ranked[: options.max_findings],
            "table": _table(campaigns, _ranked_by_roas(campaigns, options), ranked),
        }
    )


def _findings(
    daily: DailyCampaigns,
    window: Window,
    options: Options,
    holidays: Mapping[dt.date, str],
    names: dict[CampaignKey, str],
) -> list[Insight]:
    """Shifts and day anomalies of the window's complete days, each a finding.

    Day anomalies come first without shifts; their spike and outage days are left out of the
    shift tests (a two-day outage at the window's end is not a shift), and when shifts are found
    the days are judged again with baselines that do not learn from the shifted days. Day
    findings of conversions inside a shift are part of the shift and not reported twice.
    """
    first = day_anomalies(daily, window, options, holidays=holidays)
    excluded = np.zeros((len(daily.keys), daily.width), dtype=bool)
    for finding in first.findings:
        if finding.kind in ("spend_spike", "tracking_outage"):
            excluded[daily.keys.index(finding.key), daily.column(finding.day)] = True
    shifts = level_shift_findings(daily, window, options, holidays=holidays, excluded=excluded)
    anomalies = first
    if shifts:
        shifted = shifted_cells(shifts, excluded.shape)
        anomalies = day_anomalies(daily, window, options, holidays=holidays, shifted=shifted)
    insights = [
        shift_insight(s, daily, names.get(s.key, s.key[1]), options, holidays) for s in shifts
    ]
    for run in finding_runs(_outside_shifts(anomalies, shifts)):
        insight = run_insight(
            run, anomalies, names.get(run[0].key, run[0].key[1]), options, holidays
        )
        if insight is not None:
            insights.append(insight)
    return insights


def _outside_shifts(anomalies: DayAnomalies, shifts: list[ShiftFinding]) -> list[Any]:
    """The day findings not explained by a shift (conversion findings on a shifted day)."""
    shifted = {
        (s.key, anomalies.daily.day(c))
        for s in shifts
        for c in range(s.start_column, s.last_column + 1)
    }
    return [
        f for f in anomalies.findings if f.kind == "spend_spike" or (f.key, f.day) not in shifted
    ]


def _no_data() -> Insight:
    return Insight(
        kind="no_data",
        severity="info",
        title="No campaign metrics were found for this window.",
        recommendation="Check that the ad platforms are connected and their metrics are loaded.",
    )


def _spend_share(campaign: CampaignKpis, total_spend: float) -> float | None:
    return campaign.current.spend / total_spend if total_spend > 0 else None


def _total_spend(campaigns: list[CampaignKpis]) -> float:
    return math.fsum(c.current.spend for c in campaigns)


def _ranked_by_roas(campaigns: list[CampaignKpis], options: Options) -> list[CampaignKpis]:
    """Campaigns with enough window spend to matter, best ROAS first (ties by campaign)."""
    total = _total_spend(campaigns)
    material = [
        c
        for c in campaigns
        if c.current.roas is not None
        and c.current.spend >= options.min_spend
        and (_spend_share(c, total) or 0.0) >= options.min_spend_share
    ]
    return sorted(material, key=lambda c: (-(c.current.roas or 0.0), c.key))


def _table(
    campaigns: list[CampaignKpis], ranked: list[CampaignKpis], findings: list[Insight]
) -> list[dict[str, Any]]:
    """One row per campaign, biggest window spend first: its KPIs, spend share, ROAS rank (the
    top and bottom performers), and its findings' kinds and days (also those past the report's
    first `max_findings`)."""
    ranks: dict[CampaignKey, int] = {c.key: rank for rank, c in enumerate(ranked, start=1)}
    kinds: dict[str, list[str]] = {}
    days: Counter[str] = Counter()
    for insight in findings:
        kinds.setdefault(insight.subject or "", []).append(insight.kind)
        if insight.start and insight.end and insight.kind not in _SHIFT_KINDS:
            days[insight.subject or ""] += (insight.end - insight.start).days + 1
    total = _total_spend(campaigns)
    by_spend = sorted(campaigns, key=lambda c: (-c.current.spend, c.key))
    return [
        {
            **c.table_row(),
            "spend_share": _spend_share(c, total),
            "roas_rank": ranks.get(c.key),
            "findings": kinds.get(c.campaign_id, []),
            "anomaly_days": days[c.campaign_id],
        }
        for c in by_spend
    ]
