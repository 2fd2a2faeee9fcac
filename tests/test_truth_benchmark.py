"""The truth benchmark's pieces: the simulator plants what its truth says (read back from a real
DuckDB lake), and the scorer scores hand-checkable reports correctly. The detectors' quality is
not asserted here: `python -m bench truth` measures it."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.truth_scoring import (
    EFFECT_TEMPLATES,
    false_alarms,
    recall_by_kind,
    score_effect,
    score_roi,
)
from marketing_intel.analysis import Insight, InsightReport, Window
from marketing_intel.analysis._roi_optimization_allocation import optimal_allocation
from marketing_intel.analysis._roi_optimization_curves import ResponseCurve
from marketing_intel.demo.truth import Truth, TruthSpec, simulate
from marketing_intel.demo.truth_effects import (
    EFFECT_KINDS,
    MIN_OUTAGE_CONVERSIONS,
    PlantedEffect,
    silence_cutoff,
)
from marketing_intel.demo.truth_roi import RoiCampaign, RoiTruth
from marketing_intel.lake import DuckDBLake, QueryParameter

END = dt.date(2026, 6, 30)
SPEC = TruthSpec(
    end_date=END, seeds=1, first_seed=3, planted_campaigns=12, clean_campaigns=6, event_scale=0.5
)
WINDOW = Window(start=SPEC.window_start, end=END)
NOW = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[DuckDBLake, Truth]:
    lake = DuckDBLake(Path(tmp_path_factory.mktemp("truth")) / "truth.duckdb")
    return lake, simulate(lake, SPEC)


def rows(lake: DuckDBLake, tenant: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of a BigQuery SQL query of one tenant, parameters typed from their values."""
    types = {str: "STRING", dt.date: "DATE", float: "FLOAT64"}
    parameters = [QueryParameter(name=k, type=types[type(v)], value=v) for k, v in params.items()]
    return lake.query(sql, parameters, tenant_id=tenant).rows()


def effect(truth: Truth, kind: str) -> PlantedEffect:
    return next(e for e in truth.effects if e.kind == kind)


def campaign_days(lake: DuckDBLake, planted: PlantedEffect) -> list[dict[str, Any]]:
    sql = (
        "SELECT date, CAST(spend AS FLOAT64) AS spend, CAST(revenue AS FLOAT64) AS revenue, "
        "conversions FROM campaign_metrics WHERE campaign_id = @id ORDER BY date"
    )
    return rows(lake, planted.tenant_id, sql, id=planted.subject)


def test_one_effect_of_each_kind_inside_the_window(simulated: tuple[DuckDBLake, Truth]) -> None:
    _, truth = simulated
    assert sorted(e.kind for e in truth.effects) == sorted(EFFECT_KINDS)
    for planted in truth.effects:
        assert planted.start <= planted.end <= END
        assert planted.end >= WINDOW.start
    assert [c.campaigns for c in truth.clean] == [SPEC.clean_campaigns]
    assert sorted(r.regime for r in truth.roi) == ["flat", "identifiable"]  # odd seed: flat


def test_spend_spike_and_outage_are_in_the_campaign_rows(
    simulated: tuple[DuckDBLake, Truth],
) -> None:
    lake, truth = simulated
    spike = effect(truth, "spend_spike")
    days = campaign_days(lake, spike)
    on = [d["spend"] for d in days if spike.start <= d["date"] <= spike.end]
    usual = statistics.median(d["spend"] for d in days if d["date"] < spike.start)
    assert 2.0 <= spike.size <= 5.0 and len(on) == (spike.end - spike.start).days + 1
    assert min(on) >= 1.5 * usual
    outage = effect(truth, "tracking_outage")
    days = campaign_days(lake, outage)
    during = [d for d in days if outage.start <= d["date"] <= outage.end]
    assert during and all(d["conversions"] == 0 and d["revenue"] == 0 for d in during)
    assert all(d["spend"] > 0 for d in during)
    assert sum(d["conversions"] for d in days if d["date"] < outage.start) > 0


@pytest.mark.parametrize("seed", [1, 2])
def test_an_outage_hides_enough_conversions_to_be_material(tmp_path: Path, seed: int) -> None:
    """In a tenant of the benchmark's size, the outage's campaign usually converts
    MIN_OUTAGE_CONVERSIONS over the outage's days (drawn on the plan's typical level; the
    budget walk and weekdays move a month's mean by a few tens of percent, hence the margin)."""
    lake = DuckDBLake(tmp_path / "outage.duckdb")
    spec = TruthSpec(end_date=END, seeds=1, first_seed=seed, clean_campaigns=3, event_scale=0.1)
    outage = effect(simulate(lake, spec), "tracking_outage")
    days = campaign_days(lake, outage)
    usual = statistics.fmean(d["conversions"] for d in days if d["date"] < spec.window_start)
    assert usual * ((outage.end - outage.start).days + 1) >= 0.6 * MIN_OUTAGE_CONVERSIONS


def test_roas_collapse_is_a_level_shift_of_its_size(simulated: tuple[DuckDBLake, Truth]) -> None:
    lake, truth = simulated
    collapse = effect(truth, "roas_collapse")
    days = campaign_days(lake, collapse)
    assert (collapse.end - collapse.start).days + 1 >= 5 and 0.5 <= collapse.size <= 0.8

    def roas(first: dt.date, last: dt.date) -> float:
        chosen = [d for d in days if first <= d["date"] <= last]
        return sum(d["revenue"] for d in chosen) / sum(d["spend"] for d in chosen)

    before = roas(collapse.start - dt.timedelta(days=28), collapse.start - dt.timedelta(days=1))
    assert roas(collapse.start, collapse.end) / before == pytest.approx(1 - collapse.size, abs=0.15)


def test_platform_effects_are_in_the_events(simulated: tuple[DuckDBLake, Truth]) -> None:
    lake, truth = simulated
    silent = effect(truth, "silent_integration")
    latest = rows(
        lake,
        silent.tenant_id,
        "SELECT platform, MAX(received_at) AS last FROM platform_events GROUP BY platform",
    )
    cutoff = silence_cutoff(END, silent.size) / 1e6
    for row in latest:
        assert (row["last"].timestamp() < cutoff) == (row["platform"] == silent.subject)
    failing = effect(truth, "failure_spike")
    rates = rows(
        lake,
        failing.tenant_id,
        "SELECT DATE(occurred_at) AS day, AVG(IF(status = 'failed', 1.0, 0.0)) AS rate "
        "FROM platform_events WHERE platform = @p GROUP BY day",
        p=failing.subject,
    )
    for row in rates:
        if failing.start <= row["day"] <= failing.end:
            assert row["rate"] == pytest.approx(failing.size, abs=0.15)
        else:
            assert row["rate"] < 0.1
    lagging = effect(truth, "lag_rise")
    lags = rows(
        lake,
        lagging.tenant_id,
        "SELECT DATE(occurred_at) AS day, TIMESTAMP_DIFF(received_at, occurred_at, MICROSECOND)"
        " AS lag FROM platform_events WHERE platform = @p",
        p=lagging.subject,
    )
    during = statistics.median(r["lag"] for r in lags if lagging.start <= r["day"] <= lagging.end)
    before = statistics.median(r["lag"] for r in lags if r["day"] < lagging.start)
    assert during / before == pytest.approx(lagging.size, rel=0.35)


def test_planted_segments_grow_at_their_rate(simulated: tuple[DuckDBLake, Truth]) -> None:
    lake, truth = simulated
    for kind in ("rising_segment", "declining_segment"):
        planted = effect(truth, kind)
        sizes = rows(
            lake,
            planted.tenant_id,
            "SELECT date, audience_size FROM audience_insights WHERE segment_id = @s ORDER BY date",
            s=planted.subject,
        )
        days = np.arange(len(sizes))
        slope = np.polyfit(days, np.log([r["audience_size"] for r in sizes]), 1)[0]
        assert slope == pytest.approx(planted.size, abs=0.003)
        assert 0.015 <= abs(planted.size) <= 0.04


def test_roi_revenue_follows_the_true_curves(simulated: tuple[DuckDBLake, Truth]) -> None:
    lake, truth = simulated
    for roi in truth.roi:
        for campaign in roi.campaigns:
            days = rows(
                lake,
                roi.tenant_id,
                "SELECT CAST(spend AS FLOAT64) AS spend, CAST(revenue AS FLOAT64) AS revenue "
                "FROM campaign_metrics WHERE campaign_id = @id AND date >= @start",
                id=campaign.campaign_id,
                start=WINDOW.start,
            )
            residual = [
                math.log(d["revenue"] / (campaign.a * d["spend"] ** campaign.b)) for d in days
            ]
            assert len(days) == SPEC.window_days
            assert statistics.fmean(residual) == pytest.approx(0.0, abs=0.12)
            assert 0.3 <= campaign.b <= 0.9


# Scoring, on hand-made reports.

SPIKE = PlantedEffect("t", "spend_spike", "c1", dt.date(2026, 6, 10), dt.date(2026, 6, 11), 3.0)
COLLAPSE = PlantedEffect("t", "roas_collapse", "c2", dt.date(2026, 6, 20), END, 0.6)
SILENT = PlantedEffect("t", "silent_integration", "stripe", dt.date(2026, 6, 29), END, 30.0)


def report(template: str, *insights: Insight, tenant: str = "t") -> InsightReport:
    return InsightReport(
        tenant_id=tenant,
        template=template,
        window=WINDOW,
        generated_at=NOW,
        insights=list(insights),
    )


def finding(kind: str, subject: str, severity: str = "warning", **fields: Any) -> Insight:
    return Insight(kind=kind, severity=severity, title="t", subject=subject, **fields)


def test_a_report_that_finds_everything_scores_recall_one() -> None:
    campaigns = report(
        "campaign_insights",
        finding("cap_budget", "c1", evidence=[{"date": "2026-06-11"}]),
        finding("roas_shift", "c2", start=dt.date(2026, 6, 21), end=END),
    )
    events = report("platform_events", finding("silent_integration", "stripe"))
    reports = {"campaign_insights": campaigns, "platform_events": events}
    effects = (SPIKE, COLLAPSE, SILENT)
    scores = [score_effect(e, reports[EFFECT_TEMPLATES[e.kind]]) for e in effects]
    table = recall_by_kind(scores, ["spend_spike", "roas_collapse", "silent_integration"])
    assert [(k.planted, k.found, k.recall) for k in table] == [(1, 1, 1.0)] * 3
    assert table[1].as_shift_at_start == 1  # a level shift one day after the true start
    assert [k.found_as for k in table] == [
        {"cap_budget": 1},
        {"roas_shift": 1},
        {"silent_integration": 1},
    ]


def test_an_empty_report_scores_zero() -> None:
    for planted in (SPIKE, COLLAPSE, SILENT):
        score = score_effect(planted, report(EFFECT_TEMPLATES[planted.kind]))
        assert not score.found and not score.as_shift_at_start
        assert not score_effect(planted, None).found
    assert recall_by_kind([score_effect(SPIKE, None)], ["spend_spike"])[0].recall == 0.0


@pytest.mark.parametrize(
    "wrong",
    [
        finding("cap_budget", "c9", evidence=[{"date": "2026-06-11"}]),  # another campaign
        finding("cap_budget", "c1", evidence=[{"date": "2026-06-13"}]),  # other days
        finding("top_performer", "c1", evidence=[{"date": "2026-06-11"}]),  # a ranking
    ],
)
def test_a_finding_on_the_wrong_subject_days_or_kind_is_not_counted(wrong: Insight) -> None:
    assert not score_effect(SPIKE, report("campaign_insights", wrong)).found
    other_tenant = report("campaign_insights", wrong, tenant="u")
    assert not score_effect(SPIKE, other_tenant).found


def test_a_collapse_found_late_or_as_a_day_anomaly_is_not_a_shift_at_its_start() -> None:
    late = finding("roas_shift", "c2", start=dt.date(2026, 6, 25), end=END)
    day = finding("roas_drop", "c2", severity="notice", evidence=[{"date": "2026-06-20"}])
    for insight in (late, day):
        score = score_effect(COLLAPSE, report("campaign_insights", insight))
        assert score.found and not score.as_shift_at_start


def test_false_alarms_count_notice_and_above_per_100_campaigns() -> None:
    clean = report(
        "campaign_insights",
        finding("roas_drop", "c1", severity="notice"),
        finding("tracking_outage", "c2", severity="warning"),
        finding("top_performer", "c3", severity="info"),
    )
    alarms = false_alarms([clean], campaigns=200, window_days=28)
    assert (alarms.alarms, alarms.above_notice, alarms.per_100_campaigns) == (2, 1, 1.0)
    assert alarms.by_kind == {
        "campaign_insights/roas_drop/notice": 1,
        "campaign_insights/tracking_outage/warning": 1,
    }


CURVES = (RoiCampaign("r1", 20.0, 0.5), RoiCampaign("r2", 5.0, 0.8))
CURRENT = np.array([100.0, 100.0])


def roi_report(proposed: np.ndarray, interval: tuple[float, float] | None) -> InsightReport:
    table = [
        {"campaign_id": c.campaign_id, "current_spend": now, "proposed_spend": then}
        for c, now, then in zip(CURVES, CURRENT, proposed, strict=True)
    ]
    insights = []
    if interval is not None:
        evidence = [{"uplift_low": interval[0], "uplift_high": interval[1]}]
        insights.append(finding("budget_reallocation", "all", "notice", evidence=evidence))
    return report("roi_optimization", *insights).model_copy(update={"table": table})


def test_roi_scores_the_proposal_on_the_true_curves() -> None:
    truth = RoiTruth("t", "identifiable", CURVES)
    curves = [ResponseCurve(c.a, c.b, 1.0, 0, np.zeros((2, 2))) for c in CURVES]
    best = optimal_allocation(curves, 200.0, CURRENT * 0.7, CURRENT * 1.3)
    uplift = sum(float(c.revenue(x) - c.revenue(100.0)) for c, x in zip(curves, best, strict=True))
    assert uplift > 0
    exact = score_roi(truth, roi_report(best, (uplift - 1.0, uplift + 1.0)))
    assert exact.covered and exact.share_reached == pytest.approx(1.0)
    missed = score_roi(truth, roi_report(best, (uplift + 1.0, uplift + 2.0)))
    assert missed.covered is False
    unchanged = score_roi(truth, roi_report(CURRENT, None))
    assert unchanged.covered is False and unchanged.share_reached == 0.0


def test_roi_not_identifiable_needs_every_campaign_called() -> None:
    truth = RoiTruth("t", "follows_demand", CURVES)
    both = report(
        "roi_optimization",
        finding(
            "not_identifiable",
            "2 campaigns",
            "info",
            evidence=[
                {"campaign_id": "r1"},
                {"campaign_id": "r2"},
            ],
        ),
    )
    one = report("roi_optimization", finding("not_identifiable", "r1", "info"))
    wrong_reason = report("roi_optimization", finding("no_diminishing_returns", "r1", "info"))
    assert score_roi(truth, both).called_not_identifiable
    assert not score_roi(truth, one).called_not_identifiable
    assert not score_roi(truth, wrong_reason).called_not_identifiable
    assert score_roi(truth, both).covered is None
