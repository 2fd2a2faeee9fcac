"""Sustained level shifts of a campaign: a ROAS collapse, a CPA rise or a conversion-rate drop
that started on one day of the window and lasted at least `min_shift_days`, to the window's end
or ending before it (`level_shifts.ratio_shifts`, recovering: a collapse fixed after a week is
still money lost, and the analyst should hear of it).

Three ratios are tested per campaign: revenue per spend (ROAS), conversions per spend (1 / CPA)
and conversions per click (CVR), each against the campaign's own days before the shift, per
weekday. Returns diminish: revenue and conversions grow like spend ** b (and clicks like spend),
b between `min_elasticity` and 1, so a budget change alone moves all three ratios. A shift must
therefore stand out whatever b in that range (`ratio_shifts`' elasticities): scaling a campaign
up or down is not called a collapse. A shift must be a discovery at false-discovery
rate `fdr_q` over all campaigns and ratios of the report, and material: the ratio after its start
at most 1 - `min_shift` of what the days before predicted. A campaign is reported once, by the
first of ROAS, CPA, CVR that shifted (they usually share one cause).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from marketing_intel.analysis._campaign_insights_daily import DailyCampaigns
from marketing_intel.analysis._campaign_insights_kpis import CampaignKey, relative_change
from marketing_intel.analysis.discoveries import significant
from marketing_intel.analysis.finding_charts import series_chart
from marketing_intel.analysis.holiday_days import holiday_clause, holidays_within
from marketing_intel.analysis.level_shifts import expected_numerator, ratio_shifts
from marketing_intel.analysis.report import ChartData, Insight, Window

if TYPE_CHECKING:
    from marketing_intel.analysis.campaign_insights import Options


@dataclass(frozen=True)
class ShiftKind:
    """One tested ratio: numerator / denominator series, and how its shift is reported."""

    kind: str
    numerator: str
    denominator: str
    metric: str
    title: str  # formatted with the campaign's name and the first day
    ended_title: str  # the same for a shift that ended before the window's end (with `end`)


SHIFT_KINDS = (
    ShiftKind(
        "roas_collapse",
        "revenue",
        "spend",
        "ROAS",
        "Campaign {name}'s return on ad spend collapsed on {start} and has stayed low since.",
        "Campaign {name}'s return on ad spend collapsed from {start} to {end}.",
    ),
    ShiftKind(
        "cpa_rise",
        "conversions",
        "spend",
        "CPA",
        "Campaign {name}'s cost per conversion rose sharply on {start} and has stayed high since.",
        "Campaign {name}'s cost per conversion rose sharply from {start} to {end}.",
    ),
    ShiftKind(
        "conversion_rate_drop",
        "conversions",
        "clicks",
        "conversion rate",
        "Campaign {name}'s clicks have converted far less often since {start}.",
        "Campaign {name}'s clicks converted far less often from {start} to {end}.",
    ),
)


@dataclass(frozen=True)
class ShiftFinding:
    """One campaign's sustained shift: its ratio, first and last day, and the sums after it."""

    key: CampaignKey
    row: int
    shift: ShiftKind
    start_column: int
    last_column: int
    observed: float  # numerator summed over the shifted days
    expected: float  # what the days before predicted for them
    p_value: float
    elasticity: float  # the numerator was expected to follow denominator ** elasticity
    window_last: int  # the column of the window's last complete day


def level_shift_findings(
    daily: DailyCampaigns,
    window: Window,
    options: Options,
    *,
    holidays: Mapping[dt.date, str],
    excluded: np.ndarray,
) -> list[ShiftFinding]:
    """The campaigns whose ROAS, CPA or CVR shifted for good inside the window (`window`: its
    complete days). `excluded` cells (campaign x day: outage and spike days, reported on their
    own) are neither history nor shifted days."""
    first, last = daily.column(window.start), daily.column(window.end)
    if first < 7 or last - first + 1 < options.min_shift_days:
        return []  # no history to compare with, or too few days for a shift
    spend = daily.series["spend"]
    base = ~daily.holidays(holidays)[None, :] & (np.nan_to_num(spend) > 0) & ~excluded
    tests = []
    for shift in SHIFT_KINDS:
        denominator = daily.series[shift.denominator]
        tests.append(
            ratio_shifts(
                daily.series[shift.numerator],
                denominator,
                base & (np.nan_to_num(denominator) > 0),
                first_candidate=first,
                last_column=last,
                min_days=options.min_shift_days,
                falling=True,
                elasticities=(options.min_elasticity, 1.0),
                recovering=True,
            )
        )
    found = significant(np.stack([test.p_value for test in tests]), options.fdr_q)
    findings: dict[int, ShiftFinding] = {}
    for index, (shift, test) in enumerate(zip(SHIFT_KINDS, tests, strict=True)):
        material = found[index] & (np.nan_to_num(test.ratio, nan=1.0) <= 1 - options.min_shift)
        for row in np.flatnonzero(material):
            findings.setdefault(
                int(row),
                ShiftFinding(
                    daily.keys[row],
                    int(row),
                    shift,
                    int(test.start[row]),
                    last if test.end is None else int(test.end[row]),
                    float(test.observed[row]),
                    float(test.expected[row]),
                    float(test.p_value[row]),
                    float(test.elasticity[row]),
                    last,
                ),
            )
    return [_as_roas_collapse(findings[row], daily, base, options) for row in sorted(findings)]


def _as_roas_collapse(
    finding: ShiftFinding, daily: DailyCampaigns, valid: np.ndarray, options: Options
) -> ShiftFinding:
    """A CPA rise or conversion-rate drop over days whose ROAS also fell by `min_shift` or more
    is reported as the ROAS collapse it is (fewer conversions for the money is lost revenue;
    the count test confirmed the days, whose revenue, a noisier compound count, may not have
    reached significance alone)."""
    roas = SHIFT_KINDS[0]
    if finding.shift is roas:
        return finding
    row, days = finding.row, slice(finding.start_column, finding.last_column + 1)
    revenue = daily.series["revenue"][row : row + 1]
    spend = daily.series["spend"][row : row + 1]
    usable = valid[row : row + 1] & ~np.isnan(revenue)
    expected, _ = expected_numerator(
        revenue,
        np.power(np.nan_to_num(spend), finding.elasticity),
        usable,
        start=finding.start_column,
        first_candidate=finding.start_column,
    )
    observed = float(np.where(usable, np.nan_to_num(revenue), 0.0)[0, days].sum())
    predicted = float(np.where(usable, expected, 0.0)[0, days].sum())
    if predicted <= 0 or observed / predicted > 1 - options.min_shift:
        return finding
    return replace(finding, shift=roas, observed=observed, expected=predicted)


def shifted_cells(findings: list[ShiftFinding], shape: tuple[int, int]) -> np.ndarray:
    """A campaign x day mask of the shifted days (day baselines must not learn from them)."""
    mask = np.zeros(shape, dtype=bool)
    for finding in findings:
        mask[finding.row, finding.start_column : finding.last_column + 1] = True
    return mask


def shift_insight(
    finding: ShiftFinding,
    daily: DailyCampaigns,
    campaign_name: str,
    options: Options,
    holidays: Mapping[dt.date, str],
) -> Insight:
    """The finding of a shift: the ratio since its start against what the days before predicted,
    the money lost since (revenue, or missing conversions at the usual value per conversion).
    A warning while it lasts (act this week); a notice once it has ended before the window's
    last day (nothing left to stop, but the money lost is worth a look)."""
    shift, row = finding.shift, finding.row
    start, end = daily.day(finding.start_column), daily.day(finding.last_column)
    days = slice(finding.start_column, finding.last_column + 1)
    spend = float(np.nansum(daily.series["spend"][row, days]))
    value, baseline = _ratios(finding, spend, float(np.nansum(daily.series["clicks"][row, days])))
    lost = max(finding.expected - finding.observed, 0.0)
    if shift.numerator == "conversions":
        lost *= daily.value_per_conversion(row, finding.start_column) or 0.0
    evidence = {
        "platform": finding.key[0],
        "campaign_id": finding.key[1],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": (end - start).days + 1,
        "spend_since_start": spend,
        f"{shift.numerator}_since_start": finding.observed,
        f"expected_{shift.numerator}": finding.expected,
        "p_value": finding.p_value,
    }
    on_holidays = holidays_within(holidays, start, end)
    if on_holidays:
        evidence["holidays"] = {day.isoformat(): name for day, name in on_holidays.items()}
    below_floor = shift.kind == "roas_collapse" and value is not None and value < options.roas_floor
    return Insight(
        kind=shift.kind,
        severity="warning" if finding.last_column == finding.window_last else "notice",
        title=_title(finding, daily, campaign_name) + holiday_clause(holidays, start, end),
        subject=finding.key[1],
        metric=shift.metric,
        value=value,
        baseline=baseline,
        change=relative_change(value, baseline),
        evidence=[evidence],
        recommendation=_recommendation(shift, below_floor),
        start=start,
        end=end,
        impact=lost,
        chart=_shift_chart(finding, daily, campaign_name),
    )


def _title(finding: ShiftFinding, daily: DailyCampaigns, campaign_name: str) -> str:
    """The shift's title: since its first day, or from its first to its last day when it ended
    before the window's last day."""
    start, end = daily.day(finding.start_column), daily.day(finding.last_column)
    ongoing = finding.last_column == finding.window_last
    template = finding.shift.title if ongoing else finding.shift.ended_title
    return template.format(name=f"'{campaign_name}'", start=start.isoformat(), end=end.isoformat())


def _ratios(
    finding: ShiftFinding, spend: float, clicks: float
) -> tuple[float | None, float | None]:
    """The reported ratio since the shift and the ratio the days before predicted."""
    observed, expected = finding.observed, finding.expected
    if finding.shift.kind == "roas_collapse":
        return _divide(observed, spend), _divide(expected, spend)
    if finding.shift.kind == "cpa_rise":
        return _divide(spend, observed), _divide(spend, expected)
    return _divide(observed, clicks), _divide(expected, clicks)


def _divide(top: float, bottom: float) -> float | None:
    return top / bottom if bottom > 0 else None


def _recommendation(shift: ShiftKind, below_floor: bool) -> str:
    if below_floor:
        return (
            "Pause the campaign, or cut its budget hard, until the cause of the collapse is "
            "found and fixed: it now returns less than it spends."
        )
    if shift.numerator == "revenue":
        return (
            "Check what changed on the first day (creatives, audiences, bids, landing page, "
            "order values) and move budget away until its return recovers."
        )
    return (
        "Check what changed on the first day (tracking, landing page, audiences, bids) and fix "
        "it or move budget to campaigns that still convert."
    )


def _shift_chart(finding: ShiftFinding, daily: DailyCampaigns, campaign_name: str) -> ChartData:
    """The numerator per day against what the days before the shift predicted, with its band."""
    shift, row = finding.shift, finding.row
    numerator = daily.series[shift.numerator][row : row + 1]
    denominator = daily.series[shift.denominator][row : row + 1]
    valid = (np.nan_to_num(denominator) > 0) & ~np.isnan(numerator)
    expected, dispersion = expected_numerator(
        numerator,
        np.power(np.nan_to_num(denominator), finding.elasticity),
        valid,
        start=finding.start_column,
        first_candidate=finding.start_column,
    )
    spread = np.sqrt(np.maximum(expected[0], 0.0) * dispersion[0])
    label = f"daily {shift.numerator}"
    return series_chart(
        title=f"{label.capitalize()} of '{campaign_name}' against its level before the shift",
        y_title=label,
        days=daily.days(),
        values=[None if math.isnan(v) else float(v) for v in numerator[0]],
        expected=[float(v) for v in expected[0]],
        spread=[float(v) for v in spread],
        start=daily.day(finding.start_column),
        end=daily.day(finding.last_column),
    )
