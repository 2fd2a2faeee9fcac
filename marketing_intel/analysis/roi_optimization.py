"""ROI optimization: per-campaign response curves, marginal ROAS, and a budget reallocation.

For each campaign the window's daily spend and revenue (summed in SQL) are fitted with a power
curve revenue = a * spend^b with weekday and trend terms beside it (`_roi_optimization_curves`),
so that budgets raised on busy days or in a rising season are not read as the response to spend.
The curve is then only learnt from the spend's own variation; when weekday and trend explain most
of it, what is left barely varies, or the elasticity's standard error is too wide, the campaign
is "not identifiable" and keeps its budget. Each curve is also refitted without its last days and
scored on them (`_roi_optimization_holdout`: R^2, MAPE, wMAPE out of sample).

Its marginal ROAS at the window's average daily spend says what the next dollar brings.
Identifiable campaigns with a usable curve (enough days, spend explaining enough of what demand
leaves, diminishing returns: b > 0 and below 1 within its interval) then share their current
total daily budget anew, each within +-`max_change` of its current spend, so as to maximize
predicted revenue
(`_roi_optimization_allocation`: equal marginal ROAS by bisection on the Lagrange multiplier,
bounds as clamps); the predicted uplift is net of the optimism of choosing the proposal with the
same noisy curves, with a bootstrap interval (`_roi_optimization_optimism`). Campaigns without
a usable curve keep their budget and the report says why, once per reason.

Severity (the same scale in every template):
- critical: money or data is being lost now and a person should act today (not used here: a
  curve is a model, not an outage);
- warning: a material, confirmed change that needs action this week: a campaign whose whole
  marginal ROAS interval is below 1 (each further dollar loses money);
- notice: worth a look, confirmed but smaller or uncertain: a reallocation whose whole uplift
  interval is above zero; a marginal ROAS below 1 whose interval reaches above it;
- info: context: a reallocation within the curves' uncertainty, campaigns kept for a reason
  (not identifiable, too few days, ...). Rankings stay in the table.
Findings are ranked by `impact`: the predicted revenue uplift of the reallocation, or the money
an overspent campaign loses beyond breakeven, each over as many days as the window has. At most
`MAX_OVERSPENT_FINDINGS` overspent campaigns are findings; the rest are flagged in the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ConfigDict, Field

from marketing_intel.analysis._roi_optimization_allocation import optimal_allocation
from marketing_intel.analysis._roi_optimization_charts import (
    CampaignCurve,
    breakeven_chart,
    reallocation_chart,
)
from marketing_intel.analysis._roi_optimization_curves import (
    COLUMNS,
    ResponseCurve,
    fit_power_curves,
)
from marketing_intel.analysis._roi_optimization_holdout import HoldoutFit, holdout_fits
from marketing_intel.analysis._roi_optimization_optimism import Uplift, reallocation_uplift
from marketing_intel.analysis.market_options import MarketOptions
from marketing_intel.analysis.queries import as_datetime, query_table
from marketing_intel.analysis.report import Insight, InsightReport, Window
from marketing_intel.lake import Lake

TEMPLATE = "roi_optimization"
# A proposal moving less than this share of a campaign's spend is reported as unchanged.
UNCHANGED_SHARE = 1e-6
# How many campaigns per direction the reallocation's recommendation names.
NAMED_MOVES = 3
# Overspent campaigns reported as findings (the most money lost first); the table flags the rest.
MAX_OVERSPENT_FINDINGS = 3
# date.toordinal() of 1970-01-01: DATE columns arrive as days since then.
UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class Options(MarketOptions):
    """Settings of the ROI optimization template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_change: float = Field(
        0.3,
        gt=0.0,
        lt=1.0,
        description="Largest relative change of a campaign's daily spend (0.3 = +-30%).",
    )
    min_days: int = Field(
        14,
        ge=3,
        description="Fewest days with spend > 0 and revenue > 0 to fit a campaign's curve.",
    )
    min_r_squared: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Smallest share of the variation of log revenue left by weekday and trend "
        "that spend explains (partial R^2) for a curve to be trusted.",
    )
    max_demand_share: float = Field(
        0.9,
        gt=0.0,
        le=1.0,
        description="Largest share of the variation of log spend that weekday and trend may "
        "explain; above it spend follows demand and the curve is not identifiable.",
    )
    min_own_spend_spread: float = Field(
        0.05,
        ge=0.0,
        description="Smallest standard deviation of log spend after weekday and trend (0.05 = "
        "about 5% day-to-day variation) to learn a curve from.",
    )
    max_b_stderr: float = Field(
        0.3,
        gt=0.0,
        description="Largest standard error of the elasticity b for a curve to be identifiable.",
    )
    confidence: float = Field(
        0.9,
        gt=0.0,
        lt=1.0,
        description="Coverage of the intervals of marginal ROAS and of the predicted uplift.",
    )


@dataclass(frozen=True)
class Campaign:
    """One campaign's window: its daily points, average daily spend and fitted curve."""

    platform: str
    campaign_id: str
    name: str | None
    spend: np.ndarray
    revenue: np.ndarray
    current_spend: float  # average daily spend over the days the campaign reported
    days_fitted: int  # days with spend > 0 and revenue > 0
    curve: ResponseCurve | None
    kept_because: str | None  # None when the curve is usable for the reallocation
    identification: str | None  # why the curve is not identifiable, None when it is
    holdout: HoldoutFit | None

    @property
    def key(self) -> tuple[str, str]:
        """The campaign's identity: ids are unique per platform only."""
        return (self.platform, self.campaign_id)

    @property
    def label(self) -> str:
        """How titles name the campaign: its name (else id) and platform."""
        return f"'{self.name or self.campaign_id}' ({self.platform})"

    @cached_property
    def evidence(self) -> dict[str, Any]:
        """The campaign's identity, current spend, curve and fit scores (computed once: the
        table and the kept insights both show it)."""
        return _fit_evidence(self)

    @property
    def days_with_spend(self) -> int:
        """Days with spend > 0."""
        return int((self.spend > 0).sum())

    def chart_view(self, curve: ResponseCurve, target: float) -> CampaignCurve:
        """The campaign as a response-curve chart shows it, with `target` marked."""
        return CampaignCurve(
            self.label, self.spend, self.revenue, curve, self.current_spend, target
        )


# Why a campaign keeps its budget: insight kind -> (table reason, insight title).
KEPT_REASONS = {
    "insufficient_data": (
        "too few days with spend and revenue",
        "Too few days with spend and revenue to fit a response curve for {name}.",
    ),
    "not_identifiable": (
        "the response to spend is not identifiable",
        "The response to spend cannot be measured for {name}: its spend follows demand or "
        "barely varies.",
    ),
    "poor_fit": (
        "the response curve fits poorly",
        "Spend explains too little of the daily revenue of {name} to trust a response curve.",
    ),
    "no_diminishing_returns": (
        "no diminishing returns in this window (b at or below 0, or surely above 1)",
        "No diminishing returns to spend in this window for {name}.",
    ),
}

# What a kept campaign's evidence shows (the table row has the rest): who, and why it is kept.
KEPT_EVIDENCE = (
    "platform",
    "campaign_id",
    "campaign_name",
    "days_fitted",
    "current_spend",
    "b",
    "b_stderr",
    "spend_r_squared",
    "demand_share",
    "own_spend_spread",
    "identification",
)

# Why a curve is not identifiable -> the table's and the evidence's sentence.
IDENTIFICATION_PROBLEMS = {
    "constant_spend": "spend did not vary",
    "follows_demand": "spend follows demand: weekday and trend explain most of its variation",
    "little_own_variation": "apart from weekday and trend, spend barely varied",
    "uncertain_elasticity": "the elasticity's standard error is too wide",
}

# Whether the whole uplift interval is above zero -> the reallocation's title.
REALLOCATION_TITLES = {
    True: "Moving budget toward campaigns with higher marginal ROAS raises predicted revenue.",
    False: "Moving budget toward campaigns with higher marginal ROAS may raise revenue, "
    "but the gain is within the curves' uncertainty.",
}


def analyze(
    lake: Lake, tenant_id: str, window: Window, options: Options, *, now: dt.datetime
) -> InsightReport:
    """Fit each campaign's response curve, propose a reallocation, and report both."""
    table = query_table(lake, TEMPLATE, "daily_spend_revenue", tenant_id=tenant_id, window=window)
    report = InsightReport(tenant_id=tenant_id, template=TEMPLATE, window=window, generated_at=now)
    if table.num_rows == 0:
        return report.model_copy(update={"insights": [_no_data_insight()]})
    campaigns = _campaigns(table, options)
    usable = [campaign for campaign in campaigns if campaign.kept_because is None]
    proposal = _proposal(usable, options)
    z = _z(options)
    insights = [
        _reallocation_insight(usable, proposal, z, options, window),
        *_marginal_roas_insights(usable, z, window),
        *_kept_insights(campaigns, options),
    ]
    watermark = pc.max(table.column("updated_at")).as_py()
    return report.model_copy(
        update={
            "data_watermark": as_datetime(watermark),
            "insights": insights,
            "table": [_table_row(campaign, proposal, z, options) for campaign in campaigns],
        }
    )


def _campaigns(table: pa.Table, options: Options) -> list[Campaign]:
    """`daily_spend_revenue.sql` rows as campaigns (first seen first), each with its fitted
    curve and, if unusable, why."""
    group, first_rows = _campaign_index(table)
    platforms = table.column("platform").take(first_rows).to_pylist()
    campaign_ids = table.column("campaign_id").take(first_rows).to_pylist()
    names = table.column("campaign_name").take(first_rows).to_pylist()
    spend = table.column("spend").cast(pa.float64()).to_numpy()
    revenue = table.column("revenue").cast(pa.float64()).to_numpy()
    day = table.column("date").cast(pa.int32()).to_numpy() + UNIX_EPOCH_ORDINAL
    curves = fit_power_curves(group, day, spend, revenue, len(first_rows))
    holdouts = holdout_fits(group, day, spend, revenue, len(first_rows))
    order = np.argsort(group, kind="stable")  # each campaign's days, in the SQL's order
    reported = np.bincount(group, minlength=len(first_rows))
    # Days with spend > 0 and revenue > 0: the days a curve is fitted on.
    positive = np.bincount(group[(spend > 0) & (revenue > 0)], minlength=len(first_rows))
    mean_spend = np.bincount(group, weights=spend, minlength=len(first_rows)) / reported
    campaigns = []
    for number, curve, holdout, days_spend, days_revenue in zip(
        range(len(first_rows)),
        curves,
        holdouts,
        np.split(spend[order], np.cumsum(reported)[:-1]),
        np.split(revenue[order], np.cumsum(reported)[:-1]),
        strict=True,
    ):
        days_fitted = int(positive[number])
        usable_curve = curve if days_fitted >= options.min_days else None
        enough = days_fitted >= options.min_days and (curve is not None or days_fitted > COLUMNS)
        identification = identification_problem(usable_curve, options) if enough else None
        campaigns.append(
            Campaign(
                platform=platforms[number],
                campaign_id=campaign_ids[number],
                name=names[number],
                spend=days_spend,
                revenue=days_revenue,
                current_spend=float(mean_spend[number]),
                days_fitted=days_fitted,
                curve=usable_curve,
                kept_because=kept_because(usable_curve, days_fitted, identification, options),
                identification=identification,
                holdout=holdout,
            )
        )
    return campaigns


def _campaign_index(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Each row's campaign number (0, 1, ... in the order campaigns first appear; ids are unique
    per platform only) and each campaign's first row, from Arrow's dictionary codes rather than a
    Python loop over the rows."""
    codes = [
        pc.dictionary_encode(table.column(name)).combine_chunks().indices.to_numpy()
        for name in ("platform", "campaign_id")
    ]
    pair = codes[0].astype(np.int64) * (int(codes[1].max(initial=0)) + 1) + codes[1]
    _, first_rows, inverse = np.unique(pair, return_index=True, return_inverse=True)
    by_appearance = np.argsort(first_rows, kind="stable")
    number = np.empty(len(first_rows), dtype=np.int64)
    number[by_appearance] = np.arange(len(first_rows))
    return number[inverse], first_rows[by_appearance]


def identification_problem(curve: ResponseCurve | None, options: Options) -> str | None:
    """The IDENTIFICATION_PROBLEMS key saying why the response to spend cannot be told apart
    from demand, or None when it can."""
    if curve is None:
        return "constant_spend"
    if curve.demand_share > options.max_demand_share:
        return "follows_demand"
    if curve.own_spend_spread < options.min_own_spend_spread:
        return "little_own_variation"
    if curve.b_stderr > options.max_b_stderr:
        return "uncertain_elasticity"
    return None


def kept_because(
    curve: ResponseCurve | None, days_fitted: int, identification: str | None, options: Options
) -> str | None:
    """The KEPT_REASONS kind that bars a campaign from the reallocation, or None."""
    # A campaign with no more days than the model has terms leaves nothing to estimate noise.
    if days_fitted < options.min_days or (curve is None and days_fitted <= COLUMNS):
        return "insufficient_data"
    if curve is None or identification is not None:
        return "not_identifiable"
    if curve.spend_r_squared < options.min_r_squared:
        return "poor_fit"
    # b <= 0 is no response; a b whose whole interval is at or above 1 has no optimum inside the
    # bounds. A b above 1 whose interval reaches below it is traded as nearly linear.
    if curve.b <= 0.0 or curve.b - _z(options) * curve.b_stderr >= 1.0:
        return "no_diminishing_returns"
    return None


def _proposal(usable: Sequence[Campaign], options: Options) -> dict[tuple[str, str], float]:
    """Proposed daily spend per usable campaign id; empty when fewer than two can trade."""
    if len(usable) < 2:
        return {}
    current = np.array([campaign.current_spend for campaign in usable])
    curves = [campaign.curve for campaign in usable if campaign.curve is not None]
    spend = optimal_allocation(
        curves,
        float(current.sum()),
        current * (1.0 - options.max_change),
        current * (1.0 + options.max_change),
    )
    return {campaign.key: float(x) for campaign, x in zip(usable, spend, strict=True)}


def _z(options: Options) -> float:
    """The standard normal quantile of the options' two-sided confidence."""
    return NormalDist().inv_cdf(0.5 + options.confidence / 2.0)


def _no_data_insight() -> Insight:
    return Insight(
        kind="no_data",
        severity="info",
        title="There is no campaign spend or revenue in this window.",
        recommendation="Pick a window with campaign data or check that the ad platforms sync.",
    )


def _kept_insights(campaigns: Sequence[Campaign], options: Options) -> list[Insight]:
    """One info insight per reason campaigns keep their budget (an account with hundreds of
    campaigns gets a handful of these, not hundreds), each campaign in the evidence."""
    groups: dict[str, list[Campaign]] = {}
    for campaign in campaigns:
        if campaign.kept_because is not None:
            groups.setdefault(campaign.kept_because, []).append(campaign)
    return [_kept_insight(reason, group, options) for reason, group in groups.items()]


def _kept_insight(reason: str, group: list[Campaign], options: Options) -> Insight:
    """The insight of the campaigns kept for one reason; one campaign shows its own number."""
    if len(group) == 1:
        metric, value, baseline = _kept_metric(group[0], options)
        subject, names = group[0].campaign_id, group[0].label
    else:
        metric, value, baseline = "campaigns", len(group), None
        subject, names = f"{len(group)} campaigns", _campaign_list(group)
    return Insight(
        kind=reason,
        severity="info",
        title=KEPT_REASONS[reason][1].format(name=names),
        subject=subject,
        metric=metric,
        value=value,
        baseline=baseline,
        evidence=[{key: campaign.evidence[key] for key in KEPT_EVIDENCE} for campaign in group],
        recommendation="Keep the budget as it is; vary the spend over a few weeks to measure "
        "the response before reallocating it.",
    )


def _campaign_list(group: list[Campaign]) -> str:
    """'3 campaigns: A, B and C', or the first NAMED_MOVES and how many more."""
    labels = [campaign.label for campaign in group[:NAMED_MOVES]]
    rest = len(group) - len(labels)
    tail = f"{', '.join(labels)} and {rest} more" if rest else _joined(labels)
    return f"{len(group)} campaigns: {tail}"


def _joined(labels: list[str]) -> str:
    return f"{', '.join(labels[:-1])} and {labels[-1]}" if len(labels) > 1 else labels[0]


def _kept_metric(
    campaign: Campaign, options: Options
) -> tuple[str | None, float | None, float | None]:
    """The (metric, value, threshold) that kept a campaign out of the reallocation."""
    curve = campaign.curve
    if campaign.kept_because == "insufficient_data":
        return "days with spend and revenue", campaign.days_fitted, options.min_days
    if curve is None:  # constant spend: there is no number to show
        return None, None, None
    identification = {
        "follows_demand": (
            "share of spend variation weekday and trend explain",
            curve.demand_share,
            options.max_demand_share,
        ),
        "little_own_variation": (
            "spread of log spend after weekday and trend",
            curve.own_spend_spread,
            options.min_own_spend_spread,
        ),
        "uncertain_elasticity": ("standard error of b", curve.b_stderr, options.max_b_stderr),
    }
    if campaign.identification in identification:
        return identification[campaign.identification]
    if campaign.kept_because == "poor_fit":
        return "partial R^2 of spend", curve.spend_r_squared, options.min_r_squared
    return "elasticity b", curve.b, None


def _marginal_roas_insights(usable: Sequence[Campaign], z: float, window: Window) -> list[Insight]:
    """The campaigns whose next dollar returns less than a dollar of revenue, the most money
    lost first, at most MAX_OVERSPENT_FINDINGS (the table's marginal ROAS shows every one).

    Warning when the whole confidence interval of marginal ROAS is below 1 (the overspend is
    established), notice when only the estimate is. The impact is what the spend past breakeven
    loses over as many days as the window: the spend above the breakeven spend minus the
    revenue it brings.
    """
    insights = []
    for campaign in usable:
        curve = campaign.curve
        if curve is None:  # never for usable campaigns; narrows the type
            continue
        marginal = float(curve.marginal_roas(campaign.current_spend))
        if marginal >= 1.0 or curve.b >= 1.0:  # no breakeven below the spend of a rising curve
            continue
        low, high = curve.marginal_roas_interval(campaign.current_spend, z)
        breakeven = breakeven_spend(curve)
        daily_loss = (campaign.current_spend - breakeven) - float(
            curve.revenue(campaign.current_spend) - curve.revenue(breakeven)
        )
        insights.append(
            Insight(
                kind="marginal_roas_below_breakeven",
                severity="warning" if high < 1.0 else "notice",
                title=f"The next dollar spent on {campaign.label} returns less than a dollar.",
                subject=campaign.campaign_id,
                metric="marginal ROAS",
                value=marginal,
                baseline=1.0,
                change=marginal - 1.0,
                evidence=[
                    {
                        **campaign.evidence,
                        "interval_low": low,
                        "interval_high": high,
                        "breakeven_spend": breakeven,
                        "daily_loss": daily_loss,
                    }
                ],
                recommendation="Lower its daily spend toward "
                f"{breakeven:,.2f}, where its marginal ROAS reaches 1.",
                impact=daily_loss * window.days,
                start=window.start,
                end=window.end,
                chart=breakeven_chart(campaign.chart_view(curve, breakeven), z),
            )
        )
    insights.sort(key=lambda insight: -(insight.impact or 0.0))
    return insights[:MAX_OVERSPENT_FINDINGS]


def breakeven_spend(curve: ResponseCurve) -> float:
    """The daily spend where the marginal ROAS a * b * spend^(b - 1) is 1 (needs 0 < b < 1)."""
    return float((curve.a * curve.b) ** (1.0 / (1.0 - curve.b)))


def _reallocation_insight(
    usable: Sequence[Campaign],
    proposal: dict[tuple[str, str], float],
    z: float,
    options: Options,
    window: Window,
) -> Insight:
    """The proposed reallocation with its predicted uplift, or why there is none; its impact is
    the predicted uplift over as many days as the window."""
    if not proposal:
        return Insight(
            kind="no_reallocation",
            severity="info",
            title="Too few campaigns have a reliable response curve to reallocate budget.",
            metric="campaigns with a usable curve",
            value=len(usable),
            baseline=2,
            recommendation="Keep current budgets; let spend vary to learn more response curves.",
        )
    current = np.array([campaign.current_spend for campaign in usable])
    proposed = np.array([proposal[campaign.key] for campaign in usable])
    curves = [campaign.curve for campaign in usable if campaign.curve is not None]
    bounds = (current * (1.0 - options.max_change), current * (1.0 + options.max_change))
    uplift = reallocation_uplift(curves, current, proposed, bounds, options.confidence)
    return Insight(
        kind="budget_reallocation",
        # Notice only when the whole interval promises more revenue; otherwise it is a lead.
        severity="notice" if uplift.low > 0 else "info",
        title=REALLOCATION_TITLES[uplift.low > 0],
        subject="campaigns with a usable response curve",
        metric="predicted daily revenue uplift",
        value=uplift.uplift,
        baseline=uplift.current_revenue,
        change=_relative(uplift.uplift, uplift.current_revenue),
        evidence=[
            {**_uplift_evidence(uplift, float(current.sum()), options), **_holdout_summary(usable)}
        ],
        recommendation=_moves_sentence(usable, proposal),
        impact=uplift.uplift * window.days,
        start=window.start,
        end=window.end,
        chart=reallocation_chart(
            [c.chart_view(curve, proposal[c.key]) for c, curve in zip(usable, curves, strict=True)],
            z,
        ),
    )


def _uplift_evidence(uplift: Uplift, total: float, options: Options) -> dict[str, Any]:
    return {
        "total_daily_budget": total,
        "predicted_daily_revenue_current": uplift.current_revenue,
        "predicted_daily_revenue_proposed": uplift.current_revenue + uplift.uplift,
        "uplift_low": uplift.low,
        "uplift_high": uplift.high,
        "uplift_optimism": uplift.optimism,
        "confidence": options.confidence,
        "max_change": options.max_change,
    }


def _holdout_summary(usable: Sequence[Campaign]) -> dict[str, float | int | None]:
    """How well the traded campaigns' curves predicted their held-out last days: the median
    campaign's out-of-sample wMAPE and R^2 (each campaign's own are in the table)."""
    scored = [c.holdout for c in usable if c.holdout is not None]
    r_squared = [h.r_squared for h in scored if h.r_squared is not None]
    return {
        "holdout_campaigns": len(scored),
        "holdout_wmape_median": float(np.median([h.wmape for h in scored])) if scored else None,
        "holdout_r_squared_median": float(np.median(r_squared)) if r_squared else None,
    }


def _moves_sentence(usable: Sequence[Campaign], proposal: dict[tuple[str, str], float]) -> str:
    """The largest raises and cuts in daily spend, at the same total."""
    moves = sorted(
        ((proposal[c.key] - c.current_spend, c.campaign_id) for c in usable),
        key=lambda move: (-move[0], move[1]),
    )
    raises = [f"{cid} +{delta:,.2f}" for delta, cid in moves[:NAMED_MOVES] if delta > 0]
    cuts = [f"{cid} {delta:,.2f}" for delta, cid in moves[::-1][:NAMED_MOVES] if delta < 0]
    return (
        f"Shift daily spend at the same total: raise {', '.join(raises) or 'none'}; "
        f"lower {', '.join(cuts) or 'none'} (see the table for every campaign)."
    )


def _table_row(
    campaign: Campaign, proposal: dict[tuple[str, str], float], z: float, options: Options
) -> dict[str, Any]:
    """One campaign's row of the main table: curve, marginal ROAS, proposal and reason."""
    current = campaign.current_spend
    proposed = proposal.get(campaign.key, current)
    marginal: tuple[float | None, float | None, float | None] = (None, None, None)
    # An unidentified curve's marginal ROAS means nothing, and at b <= 0 it has no logarithm.
    if campaign.curve is not None and current > 0 and _has_marginal_roas(campaign):
        low, high = campaign.curve.marginal_roas_interval(current, z)
        marginal = (float(campaign.curve.marginal_roas(current)), low, high)
    return {
        **campaign.evidence,
        "marginal_roas": marginal[0],
        "marginal_roas_low": marginal[1],
        "marginal_roas_high": marginal[2],
        "proposed_spend": proposed,
        "change": proposed - current,
        "change_share": _relative(proposed - current, current),
        "reason": _reason(campaign, proposal, options),
    }


def _has_marginal_roas(campaign: Campaign) -> bool:
    """Whether the campaign's curve is identified and rising, so its marginal ROAS is defined."""
    return campaign.identification is None and campaign.curve is not None and campaign.curve.b > 0


def _fit_evidence(campaign: Campaign) -> dict[str, Any]:
    """The campaign's identity, current spend and curve, JSON-friendly."""
    curve = campaign.curve
    return {
        "platform": campaign.platform,
        "campaign_id": campaign.campaign_id,
        "campaign_name": campaign.name,
        "days": len(campaign.spend),
        "days_with_spend": campaign.days_with_spend,
        "days_fitted": campaign.days_fitted,
        "current_spend": campaign.current_spend,
        "a": curve.a if curve else None,
        "b": curve.b if curve else None,
        "b_stderr": curve.b_stderr if curve else None,
        "r_squared": curve.r_squared if curve else None,
        "spend_r_squared": curve.spend_r_squared if curve else None,
        "demand_share": curve.demand_share if curve else None,
        "own_spend_spread": curve.own_spend_spread if curve else None,
        "identifiable": _identifiable(campaign),
        "identification": IDENTIFICATION_PROBLEMS.get(campaign.identification or ""),
        **_holdout_columns(campaign.holdout),
    }


def _identifiable(campaign: Campaign) -> bool | None:
    """Whether the response to spend can be told apart from demand; None when there were too
    few days to ask."""
    if campaign.kept_because == "insufficient_data":
        return None
    return campaign.identification is None


def _holdout_columns(holdout: HoldoutFit | None) -> dict[str, float | int | None]:
    """The out-of-sample scores of the curve, None when the campaign had too few days."""
    return {
        "holdout_days": holdout.days if holdout else None,
        "holdout_r_squared": holdout.r_squared if holdout else None,
        "holdout_mape": holdout.mape if holdout else None,
        "holdout_wmape": holdout.wmape if holdout else None,
    }


def _reason(campaign: Campaign, proposal: dict[tuple[str, str], float], options: Options) -> str:
    """Why the campaign gets its proposed spend."""
    if campaign.identification is not None:
        return f"kept: not identifiable: {IDENTIFICATION_PROBLEMS[campaign.identification]}"
    if campaign.kept_because is not None:
        return f"kept: {KEPT_REASONS[campaign.kept_because][0]}"
    if campaign.key not in proposal:
        return "kept: no other campaign with a usable curve to trade budget with"
    share = (proposal[campaign.key] - campaign.current_spend) / campaign.current_spend
    if abs(share) < UNCHANGED_SHARE:
        return "unchanged: marginal ROAS already at the common level"
    direction, side = ("raised", "above") if share > 0 else ("lowered", "below")
    if abs(abs(share) - options.max_change) < UNCHANGED_SHARE:
        return f"{direction} to its bound: its marginal ROAS stays {side} the others' even there"
    return f"{direction} until its marginal ROAS equals the others'"


def _relative(change: float, base: float) -> float | None:
    """change / base, None when base is zero (no relative change of nothing)."""
    return change / base if base else None
