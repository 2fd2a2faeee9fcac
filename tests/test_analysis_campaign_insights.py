"""Campaign insights: planted signals are found with the right numbers, clean data stays quiet,
edge cases give sane reports, both lakes agree, and the demo data's planted anomalies show up."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from marketing_intel.analysis import InsightReport, Window, run_template
from marketing_intel.analysis.campaign_insights import Options, analyze
from marketing_intel.demo import DemoSpec, planted_anomalies
from marketing_intel.demo.campaigns import campaign_metrics
from marketing_intel.demo.generator import generate
from marketing_intel.demo.plan import tenant_plan
from marketing_intel.lake import DuckDBLake
from marketing_intel.lake.bigquery_lake import BigQueryLake
from tests.bigquery_emulator import BigQueryEmulator
from tests.lake_pair import assert_same, seeded_lake_pair

TENANT = "acme"
END = dt.date(2026, 5, 31)
WINDOW = Window.last_days(28, today=END)
NOW = dt.datetime(2026, 6, 1, 6, tzinfo=dt.UTC)
HISTORY_DAYS = 70  # the window, the previous window and two more weeks
# Busier weekends (Mon..Sun), as a retail account sees.
WEEKDAY_FACTOR = (0.9, 0.85, 0.9, 0.95, 1.05, 1.25, 1.3)
ALARMING = {"warning", "critical"}

# campaign -> (base daily spend, cost per conversion, order value): ROAS = order value / CPA.
CAMPAIGNS = {
    "spiky": (1000.0, 40.0, 100.0),  # ROAS 2.5
    "outage": (800.0, 25.0, 60.0),  # ROAS 2.4
    "collapsing": (600.0, 30.0, 45.0),  # ROAS 1.5, falls to 0.6 in the window
    "star": (700.0, 20.0, 90.0),  # ROAS 4.5, steady
    "steady": (900.0, 35.0, 70.0),  # ROAS 2.0
}


def _row(
    tenant: str, campaign: str, day: dt.date, spend: float, conversions: int, revenue: float
) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "platform": "meta",
        "campaign_id": campaign,
        "campaign_name": f"Campaign {campaign}",
        "date": day,
        "impressions": round(spend * 100),
        "clicks": round(spend * 2),
        "conversions": conversions,
        "spend": round(spend, 2),
        "revenue": round(revenue, 2),
        "currency": "USD",
        "updated_at": dt.datetime.combine(day, dt.time(23, 0), tzinfo=dt.UTC),
    }


def _clean_rows(tenant: str = TENANT, seed: int = 3) -> list[dict[str, Any]]:
    """HISTORY_DAYS of weekly seasonality plus mild lognormal noise, every campaign steady."""
    rng = np.random.default_rng(seed)
    rows = []
    for offset in range(HISTORY_DAYS):
        day = END - dt.timedelta(days=offset)
        for campaign, (spend, cpa, order_value) in CAMPAIGNS.items():
            daily = spend * WEEKDAY_FACTOR[day.weekday()] * rng.lognormal(0.0, 0.05)
            conversions = round(daily / cpa * rng.lognormal(0.0, 0.05))
            rows.append(_row(tenant, campaign, day, daily, conversions, conversions * order_value))
    return rows


SPIKE_DAYS = (END - dt.timedelta(days=10), END - dt.timedelta(days=9))
OUTAGE_DAYS = (END - dt.timedelta(days=20), END - dt.timedelta(days=19))


def _planted_rows() -> list[dict[str, Any]]:
    """Clean rows with a spend spike, a tracking outage and a ROAS collapse planted."""
    rows = []
    for row in _clean_rows():
        campaign, day = row["campaign_id"], row["date"]
        if campaign == "spiky" and day in SPIKE_DAYS:
            row = {**row, "spend": round(row["spend"] * 3, 2)}  # conversions stay put
        elif campaign == "outage" and day in OUTAGE_DAYS:
            row = {**row, "conversions": 0, "revenue": 0.0}
        elif campaign == "collapsing" and day >= WINDOW.start:
            row = {**row, "revenue": round(row["revenue"] * 0.4, 2)}
        rows.append(row)
    return rows


def _lake(tmp_path: Path, rows: list[dict[str, Any]]) -> DuckDBLake:
    lake = DuckDBLake(tmp_path / f"lake-{uuid.uuid4().hex[:6]}.duckdb")
    if rows:
        lake.insert("campaign_metrics", rows)
    return lake


def _report(
    lake: DuckDBLake | BigQueryLake, tenant: str = TENANT, window: Window = WINDOW
) -> InsightReport:
    return run_template("campaign_insights", lake, tenant, window, now=NOW)


def _only(report: InsightReport, kind: str, subject: str) -> Any:
    found = [i for i in report.insights if i.kind == kind and i.subject == subject]
    assert len(found) == 1, f"expected one {kind} for {subject}, got {report.narrative}"
    return found[0]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], InsightReport]:
    rows = _planted_rows()
    lake = _lake(tmp_path_factory.mktemp("planted"), rows)
    return rows, _report(lake)


def test_a_spend_spike_without_conversions_is_a_cap_action(planted: Any) -> None:
    rows, report = planted
    cap = _only(report, "cap_budget", "spiky")
    assert cap.severity == "critical"  # money is being lost now (the severity scale)
    assert (cap.start, cap.end) == SPIKE_DAYS
    assert [e["date"] for e in cap.evidence] == [d.isoformat() for d in SPIKE_DAYS]
    spiked = [r["spend"] for r in rows if r["campaign_id"] == "spiky" and r["date"] in SPIKE_DAYS]
    assert cap.value == pytest.approx(sum(spiked) / 2, rel=1e-9)
    # Baseline: the usual spend of those weekdays, i.e. a third of the spiked spend (noise 5%).
    assert cap.baseline == pytest.approx(cap.value / 3, rel=0.1)
    assert cap.change == pytest.approx(2.0, abs=0.35)
    assert all(e["run_incremental_yield"] == pytest.approx(0.0, abs=0.1) for e in cap.evidence)
    assert "Cap" in (cap.recommendation or "")
    # Money at stake: the spend above the usual level.
    assert cap.impact == pytest.approx(2 * (cap.value - cap.baseline), rel=1e-9)


def test_zero_conversions_at_normal_spend_is_a_tracking_outage(planted: Any) -> None:
    _, report = planted
    outage = _only(report, "tracking_outage", "outage")
    assert outage.severity == "critical"  # data is being lost (the severity scale)
    assert (outage.start, outage.end) == OUTAGE_DAYS
    assert [e["date"] for e in outage.evidence] == [d.isoformat() for d in OUTAGE_DAYS]
    assert outage.value == 0
    usual = 800 / 25 * np.mean([WEEKDAY_FACTOR[d.weekday()] for d in OUTAGE_DAYS])
    assert outage.baseline == pytest.approx(usual, rel=0.1)
    assert outage.change == -1.0


def test_a_roas_collapse_is_reported_with_its_first_day_and_the_revenue_lost(
    planted: Any,
) -> None:
    rows, report = planted
    collapse = _only(report, "roas_collapse", "collapsing")
    assert collapse.severity == "warning"
    assert (collapse.start, collapse.end) == (WINDOW.start, WINDOW.end)
    assert collapse.value == pytest.approx(1.5 * 0.4, rel=0.05)
    assert collapse.baseline == pytest.approx(1.5, rel=0.05)
    current = [r for r in rows if r["campaign_id"] == "collapsing" and r["date"] >= WINDOW.start]
    spend = sum(r["spend"] for r in current)
    assert collapse.value == pytest.approx(sum(r["revenue"] for r in current) / spend, rel=1e-9)
    # Revenue lost since the start: what the old ROAS would have earned, minus what came in.
    assert collapse.impact == pytest.approx((collapse.baseline - collapse.value) * spend, rel=1e-6)
    assert "Pause" in (collapse.recommendation or "")  # its ROAS fell below the floor of 1


def test_only_the_planted_signals_are_findings(planted: Any) -> None:
    _, report = planted
    assert {(i.kind, i.subject) for i in report.insights} == {
        ("cap_budget", "spiky"),
        ("tracking_outage", "outage"),
        ("roas_collapse", "collapsing"),
    }
    assert [i.severity for i in report.ranked_insights()] == ["critical", "critical", "warning"]


def test_rankings_are_in_the_table_not_in_the_findings(planted: Any) -> None:
    _, report = planted
    ranked = [row["campaign_id"] for row in sorted(report.table, key=lambda r: r["roas_rank"])]
    assert ranked[0] == "star" and ranked[-1] == "collapsing"
    kinds = {i.kind for i in report.insights}
    assert not kinds & {"top_performer", "bottom_performer", "scale_campaign", "pause_campaign"}
    findings = {row["campaign_id"]: row["findings"] for row in report.table}
    assert findings["collapsing"] == ["roas_collapse"] and findings["star"] == []


def test_the_table_holds_current_and_previous_kpis_per_campaign(planted: Any) -> None:
    rows, report = planted
    assert {row["campaign_id"] for row in report.table} == set(CAMPAIGNS)
    star = next(row for row in report.table if row["campaign_id"] == "star")
    previous = WINDOW.previous()
    for prefix, period in (("", WINDOW), ("previous_", previous)):
        mine = [
            r
            for r in rows
            if r["campaign_id"] == "star" and period.start <= r["date"] <= period.end
        ]
        spend, clicks = sum(r["spend"] for r in mine), sum(r["clicks"] for r in mine)
        conversions = sum(r["conversions"] for r in mine)
        assert star[f"{prefix}spend"] == pytest.approx(spend, rel=1e-9)
        assert star[f"{prefix}ctr"] == pytest.approx(clicks / sum(r["impressions"] for r in mine))
        assert star[f"{prefix}cvr"] == pytest.approx(conversions / clicks)
        assert star[f"{prefix}cpa"] == pytest.approx(spend / conversions)
    assert star["spend_change"] == pytest.approx(star["spend"] / star["previous_spend"] - 1)
    assert math.fsum(row["spend_share"] for row in report.table) == pytest.approx(1.0)
    assert report.data_watermark == dt.datetime.combine(END, dt.time(23, 0), tzinfo=dt.UTC)


def test_clean_seasonal_data_raises_nothing_alarming(tmp_path: Path) -> None:
    report = _report(_lake(tmp_path, _clean_rows(seed=8)))
    assert not report.insights, report.narrative
    assert all(row["anomaly_days"] == 0 for row in report.table)


def test_a_window_without_rows_says_there_is_no_data(tmp_path: Path) -> None:
    lake = _lake(tmp_path, _clean_rows())
    later = Window(start=END + dt.timedelta(days=1), end=END + dt.timedelta(days=1))
    report = _report(lake, window=later)
    assert [i.kind for i in report.insights] == ["no_data"]
    assert report.data_watermark is None and report.table == []
    assert "No campaign metrics" in report.narrative


def test_a_tenant_without_rows_says_there_is_no_data(tmp_path: Path) -> None:
    report = _report(_lake(tmp_path, _clean_rows()), tenant="nobody")
    assert [(i.kind, i.severity) for i in report.insights] == [("no_data", "info")]


def test_one_day_of_data_gives_kpis_without_anomalies(tmp_path: Path) -> None:
    rows = [row for row in _clean_rows() if row["date"] == END]
    report = _report(_lake(tmp_path, rows))
    assert len(report.table) == len(CAMPAIGNS)
    assert all(row["previous_roas"] is None and row["roas_change"] is None for row in report.table)
    assert all(row["anomaly_days"] == 0 for row in report.table)
    assert not report.insights


def test_zero_spend_and_impressions_leave_ratios_undefined(tmp_path: Path) -> None:
    zero = [_row(TENANT, "idle", END - dt.timedelta(days=k), 0.0, 0, 0.0) for k in range(40)]
    report = _report(_lake(tmp_path, [*_clean_rows(), *zero]))
    idle = next(row for row in report.table if row["campaign_id"] == "idle")
    assert (idle["ctr"], idle["cvr"], idle["cpa"], idle["roas"]) == (None, None, None, None)
    assert idle["spend_change"] is None and idle["roas_rank"] is None
    assert all(i.subject != "idle" for i in report.insights)


def test_another_tenants_rows_never_influence_the_report(tmp_path: Path) -> None:
    alone = _report(_lake(tmp_path, _planted_rows()))
    noisy_neighbour = [
        {**row, "spend": round(row["spend"] * 7, 2)} for row in _clean_rows("other", seed=5)
    ]
    shared = _report(_lake(tmp_path, [*_planted_rows(), *noisy_neighbour]))
    assert shared.model_dump() == alone.model_dump()


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ValueError, match="extra"):
        Options(min_roas=2.0)  # type: ignore[call-arg]


# Parity: the same report from the embedded lake and the BigQuery emulator.
PARITY_SPEC = DemoSpec(end_date=dt.date(2026, 4, 30), tenants=2, days=35, seed=5, scale=0.3)


@pytest.fixture(scope="module")
def both_lakes(
    bigquery_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DuckDBLake, BigQueryLake]]:
    with seeded_lake_pair(
        bigquery_emulator, tmp_path_factory.mktemp("parity"), PARITY_SPEC
    ) as lakes:
        yield lakes


@pytest.mark.parametrize("tenant", PARITY_SPEC.tenant_ids)
def test_both_lakes_give_the_same_report(
    both_lakes: tuple[DuckDBLake, BigQueryLake], tenant: str
) -> None:
    duckdb_lake, bigquery_lake = both_lakes
    window = Window.last_days(14, today=PARITY_SPEC.end_date)
    embedded = _report(duckdb_lake, tenant, window).model_dump()
    production = _report(bigquery_lake, tenant, window).model_dump()
    assert embedded["table"], "parity needs campaigns to compare"
    assert_same(embedded, production)


# Demo data: the two campaign anomalies planted by the generator.
DEMO_SPEC = DemoSpec(end_date=dt.date(2026, 3, 31), tenants=3, days=90)


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> DuckDBLake:
    """The demo's campaign_metrics (the only table this template reads)."""
    lake = DuckDBLake(tmp_path_factory.mktemp("demo") / "lake.duckdb")
    for table, batch in generate(DEMO_SPEC):
        if table == "campaign_metrics":
            lake.insert(table, batch)
    return lake


def test_the_demo_datas_planted_campaign_anomalies_are_found(demo_lake: DuckDBLake) -> None:
    window = Window.last_days(28, today=DEMO_SPEC.end_date)
    report = _report(demo_lake, "demo-1", window)
    print(report.narrative)
    expected = {
        "spend_spike": "cap_budget",
        "tracking_outage": "tracking_outage",
    }
    for anomaly in planted_anomalies(DEMO_SPEC):
        if anomaly.table != "campaign_metrics":
            continue
        insight = _only(report, expected[anomaly.name], anomaly.subject)
        assert insight.severity == "critical"
        assert (insight.start, insight.end) == (anomaly.first_day, anomaly.last_day)
        days = [anomaly.first_day.isoformat(), anomaly.last_day.isoformat()]
        assert [e["date"] for e in insight.evidence] == days
    alarming = {(i.kind, i.subject) for i in report.insights if i.severity in ALARMING}
    assert alarming == {
        ("cap_budget", "demo-1-meta-c01"),
        ("tracking_outage", "demo-1-google_ads-c02"),
    }


@pytest.mark.parametrize("tenant", ["demo-2", "demo-3"])
def test_demo_tenants_without_planted_campaign_anomalies_stay_calm(
    demo_lake: DuckDBLake, tenant: str
) -> None:
    report = _report(demo_lake, tenant, Window.last_days(28, today=DEMO_SPEC.end_date))
    assert not [i for i in report.insights if i.severity in ALARMING], report.narrative


def test_the_day_still_filling_up_is_not_judged(tmp_path: Path) -> None:
    """Intra-day rows of today (spend so far, no conversions yet) raise no anomaly."""
    today = END + dt.timedelta(days=1)
    partial = [_row(TENANT, "outage", today, 120.0, 0, 0.0)]
    lake = _lake(tmp_path, [*_clean_rows(), *partial])
    now = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
    window = Window(start=today - dt.timedelta(days=13), end=today)
    report = run_template("campaign_insights", lake, TENANT, window, now=now)
    judged_days = {row.get("date") for i in report.insights for row in i.evidence}
    assert today.isoformat() not in judged_days


# Advertiser scale: the demo generator's campaigns (weekday seasonality, budget changes,
# diminishing returns, Poisson conversions, lognormal order values, sizes from $30 to $3000/day).
SCALE_SPEC = DemoSpec(end_date=dt.date(2026, 6, 30), tenants=2, days=90, seed=7, campaigns=500)
SCALE_NOW = dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def advertiser_rows() -> list[dict[str, Any]]:
    """demo-2's 500 campaigns x 90 days (demo-1 carries the demo's planted anomalies)."""
    rows = campaign_metrics(SCALE_SPEC, tenant_plan(SCALE_SPEC, 2)).to_pylist()
    return [{**row, "spend": float(row["spend"]), "revenue": float(row["revenue"])} for row in rows]


@pytest.mark.parametrize("weeks_back", [0, 4])
def test_false_discovery_control_keeps_500_clean_campaigns_quiet(
    tmp_path: Path, advertiser_rows: list[dict[str, Any]], weeks_back: int
) -> None:
    """The target: at most 1 finding of notice or above per 100 campaigns per 28-day window."""
    end = SCALE_SPEC.end_date - dt.timedelta(weeks=weeks_back)
    report = run_template(
        "campaign_insights",
        _lake(tmp_path, advertiser_rows),
        "demo-2",
        Window.last_days(28, today=end),
        {"max_findings": 1000},
        now=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(6), tzinfo=dt.UTC),
    )
    assert len(report.table) == 500
    assert len([i for i in report.insights if i.severity != "info"]) <= 5, report.narrative


@pytest.mark.parametrize("days", [8, 14])
def test_a_roas_collapse_in_advertiser_data_is_a_collapse_with_its_first_day(
    tmp_path: Path, advertiser_rows: list[dict[str, Any]], days: int
) -> None:
    """ROAS ~4 falls to ~1 for the last 8 or 14 days of the window: reported as a collapse with
    its start day, the revenue lost since and a chart, never as a ranking."""
    start = SCALE_SPEC.end_date - dt.timedelta(days=days - 1)
    busiest = max(
        {row["campaign_id"] for row in advertiser_rows},
        key=lambda c: sum(r["conversions"] for r in advertiser_rows if r["campaign_id"] == c),
    )
    rows = [
        {**row, "revenue": round(row["revenue"] * 0.25, 2)}
        if row["campaign_id"] == busiest and row["date"] >= start
        else row
        for row in advertiser_rows
    ]
    window = Window.last_days(28, today=SCALE_SPEC.end_date)
    report = run_template(
        "campaign_insights", _lake(tmp_path, rows), "demo-2", window, now=SCALE_NOW
    )
    collapse = _only(report, "roas_collapse", busiest)
    assert collapse.start is not None and abs((collapse.start - start).days) <= 2
    assert collapse.end == SCALE_SPEC.end_date and collapse.severity == "warning"
    assert collapse.change == pytest.approx(-0.75, abs=0.1)
    assert (collapse.impact or 0.0) > 0 and report.insights[0] == collapse
    assert collapse.chart is not None and collapse.chart.kind == "series"
    assert [m.x for m in collapse.chart.markers] == [collapse.start, collapse.end]
    assert len(collapse.chart.points) <= 90
    assert all(p.expected is not None for p in collapse.chart.points if p.y is not None)
    assert not {"top_performer", "bottom_performer"} & {i.kind for i in report.insights}


def test_a_finding_on_a_holiday_names_it(tmp_path: Path) -> None:
    lake = _lake(tmp_path, _planted_rows())
    holidays = {OUTAGE_DAYS[1]: "Test Day", END - dt.timedelta(days=40): "Earlier Day"}
    options = Options()
    report = analyze(lake, TENANT, WINDOW, options, now=NOW, holidays=holidays)
    outage = _only(report, "tracking_outage", "outage")
    assert f"The period includes Test Day on {OUTAGE_DAYS[1].isoformat()}" in outage.title
    assert outage.evidence[0]["holidays"] == {OUTAGE_DAYS[1].isoformat(): "Test Day"}
    cap = _only(report, "cap_budget", "spiky")
    assert "holiday" not in cap.title and "holidays" not in cap.evidence[0]


def test_the_report_leads_with_at_most_max_findings_the_rest_in_the_table(
    tmp_path: Path,
) -> None:
    lake = _lake(tmp_path, _planted_rows())
    report = run_template("campaign_insights", lake, TENANT, WINDOW, {"max_findings": 2}, now=NOW)
    assert {i.kind for i in report.insights} == {"cap_budget", "tracking_outage"}  # critical
    collapsing = next(row for row in report.table if row["campaign_id"] == "collapsing")
    assert collapsing["findings"] == ["roas_collapse"]


def test_a_day_findings_chart_shows_the_series_against_its_band(planted: Any) -> None:
    _, report = planted
    cap = _only(report, "cap_budget", "spiky")
    chart = cap.chart
    assert chart is not None and chart.kind == "series" and len(chart.points) <= 90
    assert [m.x for m in chart.markers] == list(SPIKE_DAYS)
    spiked = [p for p in chart.points if p.x in SPIKE_DAYS]
    assert all(p.y is not None and p.high is not None and p.y > p.high for p in spiked)
    ordinary = [p for p in chart.points if p.low is not None and p.x not in SPIKE_DAYS]
    assert ordinary and all(p.low <= p.expected <= p.high for p in ordinary)


def test_a_conversions_collapse_is_one_shift_not_a_run_of_day_drops(tmp_path: Path) -> None:
    """Conversions (and their revenue) fall 60% for the last 10 days at steady spend: one shift
    finding with its first day; the fallen days are not also reported as conversion drops."""
    start = END - dt.timedelta(days=9)
    rows = [
        {
            **row,
            "conversions": round(row["conversions"] * 0.4),
            "revenue": round(row["revenue"] * 0.4, 2),
        }
        if row["campaign_id"] == "steady" and row["date"] >= start
        else row
        for row in _clean_rows()
    ]
    report = _report(_lake(tmp_path, rows))
    steady = [i for i in report.insights if i.subject == "steady"]
    assert [i.kind for i in steady] == ["roas_collapse"], report.narrative
    assert steady[0].start is not None and abs((steady[0].start - start).days) <= 2


def _scaled(column: str, value: float) -> float | int:
    return round(value) if column == "conversions" else round(value, 2)


def _with(rows: list[dict[str, Any]], campaign: str, days: Any, **scale: float) -> list[Any]:
    """`rows` with the named columns of one campaign multiplied on `days` (a predicate);
    conversions stay whole."""
    return [
        {**row, **{k: _scaled(k, row[k] * f) for k, f in scale.items()}}
        if row["campaign_id"] == campaign and days(row["date"])
        else row
        for row in rows
    ]


def test_a_spend_spike_that_came_back_is_reported_even_when_it_converted(tmp_path: Path) -> None:
    """Spend x3 for two days with conversions rising too (x3 ** 0.7, no shortfall to prove):
    still money spent at three times the usual rate, a warning whose impact is the extra spend."""
    rows = _with(_clean_rows(), "steady", SPIKE_DAYS.__contains__, spend=3.0, conversions=3.0**0.7)
    spike = _only(_report(_lake(tmp_path, rows)), "spend_spike", "steady")
    assert spike.severity == "warning" and (spike.start, spike.end) == SPIKE_DAYS
    assert spike.change == pytest.approx(2.0, abs=0.35)
    assert spike.impact == pytest.approx(2 * (spike.value - spike.baseline), rel=1e-9)


def test_a_budget_doubled_for_good_is_no_spike(tmp_path: Path) -> None:
    """Spend and conversions x2.2 from ten days before the end on: a new budget whose first days
    outran the baseline, not a spike (in the table only)."""
    start = END - dt.timedelta(days=9)
    rows = _with(
        _clean_rows(), "steady", start.__le__, spend=2.2, conversions=2.2**0.8, revenue=2.2**0.8
    )
    report = _report(_lake(tmp_path, rows))
    assert not [i for i in report.insights if i.subject == "steady"], report.narrative


def test_three_zero_days_of_a_small_campaign_are_one_outage(tmp_path: Path) -> None:
    """A campaign expecting ~6 conversions a day: one zero day is ordinary (P ~ 0.01), three in a
    row are not (P ~ 1e-6): the run is tested as one event and reported as one outage."""
    rng = np.random.default_rng(8)
    days = [END - dt.timedelta(days=offset) for offset in range(HISTORY_DAYS)]
    outage = (END - dt.timedelta(days=6), END - dt.timedelta(days=4))
    small = [
        _row(TENANT, "small", day, 100.0, 0 if outage[0] <= day <= outage[1] else int(n), n * 50.0)
        for day, n in zip(days, rng.poisson(6.0, len(days)), strict=True)
    ]
    report = _report(_lake(tmp_path, [*_clean_rows(), *small]))
    found = _only(report, "tracking_outage", "small")
    assert (found.start, found.end) == outage and found.severity == "critical"


def test_a_collapse_that_recovered_is_reported_with_its_first_and_last_day(
    tmp_path: Path,
) -> None:
    first, last = WINDOW.start + dt.timedelta(days=6), WINDOW.start + dt.timedelta(days=15)
    rows = _with(
        _clean_rows(), "star", lambda day: first <= day <= last, revenue=0.3, conversions=0.3
    )
    collapse = _only(_report(_lake(tmp_path, rows)), "roas_collapse", "star")
    assert collapse.start is not None and collapse.end is not None
    assert abs((collapse.start - first).days) <= 1 and abs((collapse.end - last).days) <= 1
    assert f"to {collapse.end.isoformat()}" in collapse.title
    assert collapse.severity == "notice"  # over: nothing left to stop (the severity scale)
    assert collapse.change == pytest.approx(-0.7, abs=0.1)
