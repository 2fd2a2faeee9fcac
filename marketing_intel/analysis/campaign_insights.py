"""Campaign insights: per-campaign KPIs against the previous window, leaders, anomalies, actions.

What it reports, and on which statistic:
- KPIs (CTR, CVR, CPA, ROAS) per campaign for the window and the previous window of equal length,
  with relative changes (`_campaign_insights_kpis`); the report's table holds one row per campaign.
- Top and bottom performers: campaigns ranked by window ROAS among those with enough spend to
  matter (`min_spend_share` of the tenant's spend and `min_spend`), so a tiny test campaign with
  a lucky sale does not lead the list. Each is compared with the tenant's overall ROAS.
- Day-level anomalies on daily spend, conversions and ROAS against a same-weekday robust baseline
  (`_campaign_insights_anomalies`); the history is queried from `baseline_weeks` weeks before the
  window so its first days have a baseline too.
- Actions, each with its evidence: *cap* a budget whose spend spiked without conversions (from the
  anomalies), *pause* a campaign with material spend whose ROAS collapsed against the previous
  window and sits below `roas_floor`, *scale* a top performer whose ROAS held steady against the
  previous window and had no anomaly in this one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

from pydantic import ConfigDict, Field

from marketing_intel.analysis._campaign_insights_anomalies import (
    DayFinding,
    day_findings,
    finding_runs,
    run_insight,
)
from marketing_intel.analysis._campaign_insights_kpis import (
    CampaignKey,
    CampaignKpis,
    campaign_kpis,
    latest_update,
    relative_change,
)
from marketing_intel.analysis.market_options import MarketOptions
from marketing_intel.analysis.queries import as_datetime, query_rows, query_table
from marketing_intel.analysis.report import Insight, InsightReport, Window
from marketing_intel.lake import Lake

TEMPLATE = "campaign_insights"


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
    top_n: int = Field(3, ge=1, description="How many top and bottom performers to report.")
    baseline_weeks: int = Field(
        4, ge=3, le=8, description="Weeks of same-weekday history behind each day's baseline."
    )
    min_spread_share: float = Field(
        0.2,
        ge=0.0,
        description="Floor of a day's baseline spread as a share of the baseline: ad delivery "
        "normally swings this much day to day, more than four same-weekday days may show.",
    )
    z_threshold: float = Field(
        4.0, gt=0.0, description="Robust z-score from which a day counts as an anomaly."
    )
    count_alpha: float = Field(
        0.001,
        gt=0.0,
        lt=1.0,
        description="Poisson tail probability below which a conversions drop is confirmed.",
    )
    healthy_yield: float = Field(
        0.5,
        ge=0.0,
        description="Conversions per extra unit of spend, relative to usual, that a healthy "
        "spend increase keeps at least (diminishing returns).",
    )
    cap_zscore: float = Field(
        3.0,
        gt=0.0,
        description="Shortfall of a spend spike's conversions below the healthy expectation, in "
        "robust spreads, from which the spike bought next to nothing (cap the budget).",
    )
    roas_floor: float = Field(
        1.0, ge=0.0, description="ROAS below which a collapsed campaign should be paused."
    )
    roas_collapse: float = Field(
        0.3,
        gt=0.0,
        lt=1.0,
        description="Relative ROAS fall against the previous window that counts as a collapse.",
    )
    scale_stability: float = Field(
        0.1,
        ge=0.0,
        description="Largest relative ROAS fall against the previous window that still counts "
        "as stable for a scale-up.",
    )


def analyze(
    lake: Lake, tenant_id: str, window: Window, options: Options, *, now: dt.datetime
) -> InsightReport:
    """The campaign insights report of one tenant and window."""
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
    daily = query_table(
        lake,
        TEMPLATE,
        "daily_campaign",
        tenant_id=tenant_id,
        window=window,
        history_start=window.start - dt.timedelta(weeks=options.baseline_weeks),
    )
    campaigns = campaign_kpis(kpi_rows)
    complete = window.complete_days(now)  # today's rows are still filling up
    findings = day_findings(daily, complete, options) if complete else []
    ranked = _ranked_by_roas(campaigns, options)
    return report.model_copy(
        update={
            "insights": _insights(campaigns, ranked, findings, options),
            "table": _table(campaigns, ranked, findings),
        }
    )


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


def _account_roas(campaigns: list[CampaignKpis]) -> float | None:
    spend = math.fsum(c.current.spend for c in campaigns)
    revenue = math.fsum(c.current.revenue for c in campaigns)
    return revenue / spend if spend > 0 else None


def _insights(
    campaigns: list[CampaignKpis],
    ranked: list[CampaignKpis],
    findings: list[DayFinding],
    options: Options,
) -> list[Insight]:
    """Actions and anomalies first, then the leaders and laggards."""
    names = {c.key: c.campaign_name for c in campaigns}
    anomalous = {finding.key for finding in findings}
    top, bottom = _top_and_bottom(ranked, options.top_n)
    account_roas = _account_roas(campaigns)
    return [
        *(_pause(c, campaigns) for c in ranked if _collapsed(c, options)),
        *(run_insight(run, names[run[0].key], options) for run in finding_runs(findings)),
        *(
            _scale(c, campaigns)
            for c in top
            if c.key not in anomalous and _steady_leader(c, account_roas, options)
        ),
        *(_performer(c, campaigns, account_roas, best=True) for c in top),
        *(_performer(c, campaigns, account_roas, best=False) for c in bottom),
    ]


def _top_and_bottom(
    ranked: list[CampaignKpis], top_n: int
) -> tuple[list[CampaignKpis], list[CampaignKpis]]:
    """The best and worst `top_n`, never overlapping (the best take the odd one out)."""
    top_count = min(top_n, math.ceil(len(ranked) / 2))
    bottom_count = min(top_n, len(ranked) - top_count)
    return ranked[:top_count], ranked[len(ranked) - bottom_count :][::-1]


def _collapsed(campaign: CampaignKpis, options: Options) -> bool:
    """ROAS fell by `roas_collapse` or more against the previous window, to below the floor."""
    change = campaign.change("roas")
    roas = campaign.current.roas
    return (
        change is not None
        and roas is not None
        and change <= -options.roas_collapse
        and roas < options.roas_floor
    )


def _steady_leader(campaign: CampaignKpis, account_roas: float | None, options: Options) -> bool:
    """Beats the account's ROAS and kept its own ROAS against the previous window."""
    change = campaign.change("roas")
    roas = campaign.current.roas
    return (
        change is not None
        and roas is not None
        and account_roas is not None
        and roas >= account_roas
        and change >= -options.scale_stability
    )


def _evidence(campaign: CampaignKpis, total_spend: float) -> list[dict[str, Any]]:
    return [{**campaign.table_row(), "spend_share": _spend_share(campaign, total_spend)}]


def _pause(campaign: CampaignKpis, campaigns: list[CampaignKpis]) -> Insight:
    return Insight(
        kind="pause_campaign",
        severity="warning",
        title=f"Campaign '{campaign.campaign_name}' saw its return on ad spend collapse below "
        "the floor while spending materially.",
        subject=campaign.campaign_id,
        metric="ROAS",
        value=campaign.current.roas,
        baseline=campaign.previous.roas,
        change=campaign.change("roas"),
        evidence=_evidence(campaign, _total_spend(campaigns)),
        recommendation="Pause the campaign, or cut its budget hard, until the cause of the "
        "collapse is found and fixed.",
    )


def _scale(campaign: CampaignKpis, campaigns: list[CampaignKpis]) -> Insight:
    return Insight(
        kind="scale_campaign",
        severity="notice",
        title=f"Campaign '{campaign.campaign_name}' pairs a top return on ad spend with a "
        "steady trend.",
        subject=campaign.campaign_id,
        metric="ROAS",
        value=campaign.current.roas,
        baseline=campaign.previous.roas,
        change=campaign.change("roas"),
        evidence=_evidence(campaign, _total_spend(campaigns)),
        recommendation="Raise its budget in small steps and watch its ROAS, which falls as "
        "spend grows (diminishing returns).",
    )


def _performer(
    campaign: CampaignKpis, campaigns: list[CampaignKpis], account_roas: float | None, *, best: bool
) -> Insight:
    """A top (best=True) or bottom performer by ROAS, against the account's overall ROAS."""
    return Insight(
        kind="top_performer" if best else "bottom_performer",
        severity="info" if best else "notice",
        title=f"Campaign '{campaign.campaign_name}' is among the "
        f"{'best' if best else 'weakest'} returns on ad spend of the account.",
        subject=campaign.campaign_id,
        metric="ROAS",
        value=campaign.current.roas,
        baseline=account_roas,
        change=relative_change(campaign.current.roas, account_roas),
        evidence=_evidence(campaign, _total_spend(campaigns)),
        recommendation=None
        if best
        else "Review its targeting and creatives, or move budget to the top performers.",
    )


def _table(
    campaigns: list[CampaignKpis], ranked: list[CampaignKpis], findings: list[DayFinding]
) -> list[dict[str, Any]]:
    """One row per campaign, biggest window spend first, with its ROAS rank and anomaly days."""
    ranks: dict[CampaignKey, int] = {c.key: rank for rank, c in enumerate(ranked, start=1)}
    anomaly_days = Counter(finding.key for finding in findings)
    total = _total_spend(campaigns)
    by_spend = sorted(campaigns, key=lambda c: (-c.current.spend, c.key))
    return [
        {
            **_evidence(c, total)[0],
            "roas_rank": ranks.get(c.key),
            "anomaly_days": anomaly_days[c.key],
        }
        for c in by_spend
    ]
