"""The audience trends template: planted trends are found with the right numbers, clean data
raises nothing, edge cases do not break it, both lakes agree, and the demo's plants are found."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from scipy import stats

from marketing_intel.analysis import InsightReport, Window, run_template
from marketing_intel.analysis._audience_trends_fit import fit_trend
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake
from marketing_intel.lake.bigquery_lake import BigQueryLake
from tests.bigquery_emulator import BigQueryEmulator
from tests.lake_pair import assert_same, seeded_lake_pair

TENANT = "acme"
END = dt.date(2026, 3, 31)
NOW = dt.datetime(2026, 4, 1, 6, tzinfo=dt.UTC)
WINDOW = Window.last_days(35, today=END)
# A weekly growth estimate from 35 days with 0.5% daily noise is within +-0.3 points (the
# standard error is about 0.03 points); 0.5 points of tolerance is still tight.
WEEKLY_TOLERANCE = 0.005


def _segment_rows(
    segment_id: str,
    sizes: list[int],
    *,
    tenant: str = TENANT,
    platform: str = "meta",
    engagement: list[float] | None = None,
    conversions: int = 5,
    order_value: float = 40.0,
) -> list[dict[str, Any]]:
    """Daily rows of one segment ending on END: 30% active, `engagement` of them engaged."""
    first = END - dt.timedelta(days=len(sizes) - 1)
    rates = engagement or [0.2] * len(sizes)
    rows = []
    for day, (size, rate) in enumerate(zip(sizes, rates, strict=True)):
        active = round(size * 0.3)
        rows.append(
            {
                "tenant_id": tenant,
                "platform": platform,
                "segment_id": segment_id,
                "segment_name": f"Segment {segment_id}",
                "date": first + dt.timedelta(days=day),
                "audience_size": size,
                "active_users": active,
                "engaged_users": round(active * rate),
                "conversions": conversions,
                "revenue": conversions * order_value,
                "attributes": None,
            }
        )
    return rows


def _compounding(
    start: float, weekly: float, days: int, seed: int, noise: float = 0.005
) -> list[int]:
    """Sizes growing by `weekly` a week with multiplicative lognormal noise (seeded)."""
    jitter = np.random.default_rng(seed).lognormal(0.0, noise, days)
    return [round(start * (1 + weekly) ** (day / 7) * jitter[day]) for day in range(days)]


def _run(
    lake: DuckDBLake | BigQueryLake, tenant: str = TENANT, window: Window = WINDOW
) -> InsightReport:
    return run_template("audience_trends", lake, tenant, window, now=NOW)


def _by_kind(report: InsightReport) -> dict[str, list[str | None]]:
    kinds: dict[str, list[str | None]] = {}
    for insight in report.insights:
        kinds.setdefault(insight.kind, []).append(insight.subject)
    return kinds


def _row(report: InsightReport, segment_id: str) -> dict[str, Any]:
    return next(row for row in report.table if row["segment_id"] == segment_id)


@pytest.fixture
def planted(lake: DuckDBLake) -> DuckDBLake:
    """Five segments over the 35-day window, each with one known truth."""
    days = WINDOW.days
    fading = [0.30 * 0.97**day for day in range(days)]  # engagement -3% a day
    lake.insert("audience_insights", _segment_rows("grow", _compounding(20_000, 0.05, days, 1)))
    lake.insert("audience_insights", _segment_rows("shrink", _compounding(30_000, -0.10, days, 2)))
    lake.insert("audience_insights", _segment_rows("steady", _compounding(50_000, 0.0, days, 3)))
    lake.insert(
        "audience_insights",
        _segment_rows("fatigue", _compounding(40_000, 0.0, days, 4), engagement=fading),
    )
    tiny = [40 + day % 5 for day in range(days)]
    lake.insert("audience_insights", _segment_rows("tiny", tiny, platform="tiktok"))
    return lake


def test_planted_trends_are_reported_with_their_numbers(planted: DuckDBLake) -> None:
    report = _run(planted)

    assert _by_kind(report) == {
        "segment_rising": ["grow"],
        "segment_declining": ["shrink"],
        "engagement_falling": ["fatigue"],
        "too_small": [None],
    }
    # A ranking is context: the table numbers segments by conversions per member.
    assert _row(report, "grow")["conversion_rank"] == 1  # the smallest judged segment
    assert _row(report, "tiny")["conversion_rank"] is None
    grow = _row(report, "grow")
    assert grow["label"] == "rising"
    assert grow["weekly_growth"] == pytest.approx(0.05, abs=WEEKLY_TOLERANCE)
    assert grow["weekly_growth_low"] < 0.05 < grow["weekly_growth_high"]
    assert grow["growth_per_day"] == pytest.approx(1.05 ** (1 / 7) - 1, abs=WEEKLY_TOLERANCE / 7)
    shrink = _row(report, "shrink")
    assert shrink["label"] == "declining"
    assert shrink["weekly_growth"] == pytest.approx(-0.10, abs=WEEKLY_TOLERANCE)
    declining = next(i for i in report.insights if i.kind == "segment_declining")
    assert declining.severity == "warning"  # -10% a week is past the 5% warning line
    assert declining.value == shrink["size_end"] and declining.baseline == shrink["size_start"]
    assert {_row(report, s)["label"] for s in ("steady", "fatigue")} == {"stable"}
    # Most money at stake first within a severity; each finding covers the window, with a chart.
    assert [i.severity for i in report.ranked_insights()][:3] == ["warning", "notice", "notice"]
    for insight in report.insights:
        if insight.kind.startswith(("segment_", "engagement_")):
            assert (insight.start, insight.end) == (WINDOW.start, WINDOW.end)
            assert insight.impact is not None and insight.impact > 0
            assert insight.chart is not None and insight.chart.kind == "trend"
            assert len(insight.chart.points) == WINDOW.days
    assert declining.impact == pytest.approx(shrink["revenue_at_stake"])
    # 200 revenue a day per ~24k average members, times the ~11k members the trend lost.
    assert declining.impact == pytest.approx(
        shrink["revenue_per_user"] * (shrink["size_start"] - shrink["size_end"]), rel=0.05
    )
    chart = declining.chart
    assert chart is not None
    assert chart.points[0].y == shrink["size_start"] and chart.points[-1].y == shrink["size_end"]
    assert chart.points[-1].expected == pytest.approx(shrink["size_end"], rel=0.02)


def test_engagement_and_outcomes_per_segment(planted: DuckDBLake) -> None:
    report = _run(planted)

    fatigue = _row(report, "fatigue")
    assert fatigue["engagement_trend"] == "falling"
    # -3% a day from 0.30: over the window the fitted line falls by roughly half.
    assert fatigue["engagement_end"] < 0.6 * fatigue["engagement_start"]
    assert _row(report, "steady")["engagement_trend"] == "flat"
    grow = _row(report, "grow")
    sizes = _compounding(20_000, 0.05, WINDOW.days, 1)
    average = sum(sizes) / len(sizes)
    assert grow["conversions"] == 5 * WINDOW.days
    assert grow["conversions_per_1000"] == pytest.approx(
        1000 * 5 * WINDOW.days / average, rel=1e-12
    )
    assert grow["revenue_per_user"] == pytest.approx(200 * WINDOW.days / average, rel=1e-12)
    assert (grow["size_start"], grow["size_end"]) == (sizes[0], sizes[-1])


def test_too_small_segments_are_labelled_not_ranked(planted: DuckDBLake) -> None:
    report = _run(planted)

    tiny = _row(report, "tiny")
    assert tiny["label"] == "too_small"
    assert tiny["too_small_reason"] == "median audience too small"
    assert tiny["weekly_growth"] is None and tiny["engagement_trend"] is None
    too_small = next(i for i in report.insights if i.kind == "too_small")
    assert [row["segment_id"] for row in too_small.evidence] == ["tiny"]
    assert all(i.subject != "tiny" for i in report.insights)
    assert report.table[-1]["segment_id"] == "tiny"  # judged segments first


def test_clean_weekly_seasonality_raises_nothing_alarming(lake: DuckDBLake) -> None:
    rng = np.random.default_rng(7)
    days = 42
    weekly = 1 + 0.05 * np.sin(2 * np.pi * np.arange(days) / 7)
    for number in range(6):
        sizes = np.rint(10_000 * (number + 1) * weekly * rng.lognormal(0, 0.01, days))
        engagement = (0.25 * rng.lognormal(0, 0.02, days)).tolist()
        rows = _segment_rows(f"s{number}", sizes.astype(int).tolist(), engagement=engagement)
        lake.insert("audience_insights", rows)

    report = _run(lake, window=Window.last_days(days, today=END))

    assert {row["label"] for row in report.table} == {"stable"}
    assert {row["engagement_trend"] for row in report.table} == {"flat"}
    assert not [i for i in report.insights if i.severity in ("warning", "critical")]
    assert report.insights == []  # no rankings dressed as findings on a steady tenant


def test_empty_window_and_unknown_tenant_say_there_is_no_data(planted: DuckDBLake) -> None:
    before_data = Window(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    for report in (_run(planted, window=before_data), _run(planted, tenant="nobody")):
        assert [(i.kind, i.severity) for i in report.insights] == [("no_data", "info")]
        assert report.table == [] and report.data_watermark is None
        assert "no audience data" in report.narrative


def test_one_day_of_data_is_too_small_to_judge(planted: DuckDBLake) -> None:
    report = _run(planted, window=Window(start=END, end=END))

    assert {row["label"] for row in report.table} == {"too_small"}
    assert {row["too_small_reason"] for row in report.table} == {"too few days of data"}
    assert [i.kind for i in report.insights] == ["too_small"]
    assert report.data_watermark == dt.datetime.combine(END, dt.time.max, tzinfo=dt.UTC)


def test_empty_audiences_and_inactive_days_divide_by_nothing(lake: DuckDBLake) -> None:
    empty = _segment_rows("empty", [0] * 14, conversions=0)
    half_idle = _segment_rows("idle", [5_000] * 14)
    for row in half_idle[::2]:  # nobody active on every other day: no engagement rate then
        row["active_users"] = row["engaged_users"] = 0
    lake.insert("audience_insights", empty + half_idle)

    report = _run(lake, window=Window.last_days(14, today=END))

    empty_row = _row(report, "empty")
    assert empty_row["label"] == "too_small"
    assert empty_row["conversions_per_1000"] is None and empty_row["revenue_per_user"] is None
    assert empty_row["engagement_rate"] is None
    idle = _row(report, "idle")
    assert idle["label"] == "stable" and idle["weekly_growth"] == 0.0
    assert idle["engagement_rate"] == pytest.approx(0.2, abs=1e-3)  # the active days only


def test_other_tenants_rows_never_change_the_report(planted: DuckDBLake) -> None:
    alone = _run(planted)
    rival = _compounding(10, 1.0, WINDOW.days, 5)
    planted.insert("audience_insights", _segment_rows("grow", rival, tenant="rival"))
    planted.insert("audience_insights", _segment_rows("rival-only", rival, tenant="rival"))

    assert _run(planted).model_dump() == alone.model_dump()


def test_trend_interval_is_the_t_interval_of_the_ols_slope() -> None:
    x = np.arange(20, dtype=float).tolist()
    y = (3.0 + 0.2 * np.asarray(x) + np.random.default_rng(3).normal(0.0, 0.5, 20)).tolist()
    reference = stats.linregress(x, y)
    half_width = stats.t.ppf(0.95, 18) * reference.stderr  # a 90% interval, 18 dof

    trend = fit_trend(x, y, confidence=0.90)

    assert trend is not None
    assert trend.slope == pytest.approx(reference.slope, rel=1e-12)
    assert trend.intercept == pytest.approx(reference.intercept, rel=1e-12)
    assert (trend.slope_low, trend.slope_high) == pytest.approx(
        (reference.slope - half_width, reference.slope + half_width), rel=1e-12
    )
    assert fit_trend(x[:2], y[:2], confidence=0.9) is None  # no degrees of freedom left
    assert fit_trend([4.0] * 5, y[:5], confidence=0.9) is None  # no spread in x


# -- Demo data -------------------------------------------------------------------------------

DEMO_END = END
DEMO_WINDOW = Window.last_days(28, today=DEMO_END)


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> DuckDBLake:
    lake = DuckDBLake(tmp_path_factory.mktemp("demo") / "lake.duckdb")
    seed_lake(lake, DemoSpec(end_date=DEMO_END, tenants=3, days=90))
    return lake


def test_demo_planted_rising_and_declining_segments(demo_lake: DuckDBLake) -> None:
    report = run_template("audience_trends", demo_lake, "demo-1", DEMO_WINDOW, now=NOW)

    rising = [i for i in report.insights if i.kind == "segment_rising"]
    declining = [i for i in report.insights if i.kind == "segment_declining"]
    assert rising[0].subject == "demo-1-meta-s01"  # planted +2.5% a day: the fastest
    assert declining[0].subject == "demo-1-meta-s02"  # planted -1.5% a day
    assert declining[0].severity == "warning"
    # The planted daily log growth plus the segment's own small drift (|drift| <= 0.005).
    assert _row(report, "demo-1-meta-s01")["weekly_growth"] == pytest.approx(
        math.expm1(7 * 0.025), abs=0.04
    )
    assert _row(report, "demo-1-meta-s02")["weekly_growth"] == pytest.approx(
        math.expm1(7 * -0.015), abs=0.04
    )
    print(report.narrative)


@pytest.mark.parametrize("tenant", ["demo-1", "demo-2", "demo-3"])
def test_demo_beta_testers_are_too_small_everywhere(demo_lake: DuckDBLake, tenant: str) -> None:
    report = run_template("audience_trends", demo_lake, tenant, DEMO_WINDOW, now=NOW)

    beta = [row for row in report.table if row["segment_name"] == "Beta testers list"]
    assert [(row["platform"], row["label"]) for row in beta] == [("tiktok", "too_small")]
    too_small = next(i for i in report.insights if i.kind == "too_small")
    assert [row["segment_id"] for row in too_small.evidence] == [beta[0]["segment_id"]]
    assert all(i.subject != beta[0]["segment_id"] for i in report.insights)


# -- Parity: the same report from DuckDB and from BigQuery (the emulator) ----------------------

PARITY_SPEC = DemoSpec(end_date=END, tenants=2, days=35, seed=5, scale=0.3)


@pytest.fixture(scope="module")
def parity_lakes(
    bigquery_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DuckDBLake, BigQueryLake]]:
    folder = tmp_path_factory.mktemp("parity")
    with seeded_lake_pair(bigquery_emulator, folder, PARITY_SPEC) as lakes:
        yield lakes


@pytest.mark.parametrize("tenant", ["demo-1", "demo-2"])
def test_both_lakes_give_the_same_report(
    parity_lakes: tuple[DuckDBLake, BigQueryLake], tenant: str
) -> None:
    duckdb_lake, bigquery_lake = parity_lakes
    window = Window.last_days(28, today=PARITY_SPEC.end_date)
    embedded = run_template("audience_trends", duckdb_lake, tenant, window, now=NOW)
    production = run_template("audience_trends", bigquery_lake, tenant, window, now=NOW)

    assert embedded.table, "parity needs segments to compare"
    assert_same(embedded.model_dump(), production.model_dump())


def test_planted_trends_among_many_clean_segments_and_only_they_are_findings(
    lake: DuckDBLake,
) -> None:
    """100 steady but noisy segments (12% day-to-day) beside six planted trends of 1.5-4% a day
    each way: the plants are found as what they are, the steady ones stay quiet although some
    pass an uncorrected 5% test with a material slope by chance, and the report leads with at
    most five findings."""
    days, rng = 28, np.random.default_rng(11)
    window = Window.last_days(days, today=END)
    for number in range(100):
        sizes = np.rint(20_000 * rng.lognormal(0, 0.12, days)).astype(int).tolist()
        lake.insert("audience_insights", _segment_rows(f"clean-{number:03d}", sizes))
    planted = {"up-15": 0.015, "up-25": 0.025, "up-40": 0.04}
    planted |= {"down-15": -0.015, "down-25": -0.025, "down-40": -0.04}
    for segment_id, daily in planted.items():
        weekly_rate = (1 + daily) ** 7 - 1
        sizes = _compounding(20_000, weekly_rate, days, seed=len(segment_id), noise=0.12)
        lake.insert("audience_insights", _segment_rows(segment_id, sizes))

    report = _run(lake, window=window)

    labels = {row["segment_id"]: row["label"] for row in report.table}
    assert {s: labels[s] for s in planted} == {
        s: "rising" if daily > 0 else "declining" for s, daily in planted.items()
    }
    clean = [row for row in report.table if row["segment_id"].startswith("clean")]
    assert {row["label"] for row in clean} == {"stable"}
    chance = [r for r in clean if r["growth_p_value"] < 0.05 and abs(r["weekly_growth"]) >= 0.04]
    assert chance  # false alarms without the false-discovery control
    findings = [i for i in report.insights if i.severity != "info"]
    assert len(findings) == 5
    assert {i.subject for i in findings} <= set(planted)
    for insight in findings:
        direction = "rising" if planted[str(insight.subject)] > 0 else "declining"
        assert insight.kind == f"segment_{direction}"
        assert (insight.start, insight.end) == (window.start, window.end)
    (more,) = [i for i in report.insights if i.kind == "more_findings"]
    assert more.value == 1.0
    ranked = report.ranked_insights()
    warnings = [i for i in ranked if i.severity == "warning"]
    assert [i.subject for i in warnings] == ["down-40", "down-25", "down-15"]  # most money lost
