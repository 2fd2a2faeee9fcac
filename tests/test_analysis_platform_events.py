"""The platform events template: planted signals found with the right numbers, clean data quiet,
edge cases, parity between the embedded lake and the BigQuery emulator, and the demo's anomalies."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from marketing_intel.analysis import InsightReport, Window, run_template
from marketing_intel.analysis.platform_events import Options as EventOptions
from marketing_intel.analysis.platform_events import analyze as analyze_events
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.demo.anomalies import planted_anomalies
from marketing_intel.lake import DuckDBLake
from marketing_intel.lake.bigquery_lake import BigQueryLake
from tests.bigquery_emulator import BigQueryEmulator
from tests.lake_pair import assert_same, seeded_lake_pair

END = dt.date(2026, 5, 31)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
WINDOW = Window.last_days(14, today=END)
BASE_PER_DAY = {"shopify": 80, "stripe": 60, "meta": 80}
WEEKLY_FACTOR = (1.0, 1.1, 1.0, 0.95, 1.05, 0.7, 0.6)  # Monday .. Sunday
ALARMING = ("warning", "critical")
PLANTS = frozenset({"failures", "lag", "silence", "duplicates"})
FAILURE_DAY = END - dt.timedelta(days=5)
LAG_DAY = END - dt.timedelta(days=3)
SILENCE_START = dt.datetime.combine(END - dt.timedelta(days=1), dt.time(18), tzinfo=dt.UTC)


def _event(
    tenant: str, platform: str, number: int, occurred: dt.datetime, lag_us: int
) -> dict[str, Any]:
    return {
        "event_id": f"{tenant}-{platform}-{number}",
        "tenant_id": tenant,
        "platform": platform,
        "event_type": "order_created" if number % 3 else "checkout_started",
        "occurred_at": occurred,
        "received_at": occurred + dt.timedelta(microseconds=lag_us),
        "customer_key": f"customer-{number % 500}",
        "status": "ok",
        "raw_id": f"{tenant}-{platform}-raw-{number}",
    }


def synthetic_events(
    tenant: str, *, seed: int, days: int = 42, plants: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Poisson daily volumes with weekly seasonality, ~2 s lognormal lags and ~1% failures, up to
    END, plus the chosen plants: shopify 40% failed on FAILURE_DAY, stripe lags of 600-660 s on
    LAG_DAY, meta silent from SILENCE_START, and every 25th stripe event of the window a repeat
    of the previous delivery (raw_id)."""
    rng = np.random.default_rng(seed)
    rows = []
    for platform, base in BASE_PER_DAY.items():
        for offset in range(days - 1, -1, -1):
            day = END - dt.timedelta(days=offset)
            count = int(rng.poisson(base * WEEKLY_FACTOR[day.weekday()]))
            micros = np.sort(rng.integers(0, 86_400_000_000, count))
            lags = (rng.lognormal(math.log(2.0), 0.5, count) * 1e6).astype(np.int64)
            failed = rng.random(count) < 0.01
            if "lag" in plants and platform == "stripe" and day == LAG_DAY:
                lags = rng.integers(600_000_000, 660_000_000, count)
            if "failures" in plants and platform == "shopify" and day == FAILURE_DAY:
                failed = np.arange(count) < round(0.4 * count)
            midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            for index in range(count):
                occurred = midnight + dt.timedelta(microseconds=int(micros[index]))
                if "silence" in plants and platform == "meta" and occurred >= SILENCE_START:
                    continue
                row = _event(tenant, platform, len(rows), occurred, int(lags[index]))
                row["status"] = "failed" if failed[index] else "ok"
                rows.append(row)
    if "duplicates" in plants:
        _repeat_deliveries(rows)
    return rows


def _repeat_deliveries(rows: list[dict[str, Any]]) -> None:
    stripe = [
        row
        for row in rows
        if row["platform"] == "stripe" and row["occurred_at"].date() >= WINDOW.start
    ]
    for earlier, later in zip(stripe[24::25], stripe[25::25], strict=False):
        later["raw_id"] = earlier["raw_id"]


def _report(lake: DuckDBLake, tenant: str = "t1", window: Window = WINDOW) -> InsightReport:
    return run_template("platform_events", lake, tenant, window, now=NOW)


def _alarms(report: InsightReport) -> set[tuple[str, str | None]]:
    return {(i.kind, i.subject) for i in report.insights if i.severity in ALARMING}


def _only(report: InsightReport, kind: str) -> Any:
    found = [insight for insight in report.insights if insight.kind == kind]
    assert len(found) == 1, f"expected one {kind}, got {found}"
    return found[0]


def _lag_seconds(rows: list[dict[str, Any]]) -> np.ndarray:
    return (
        np.array(
            [(r["received_at"] - r["occurred_at"]) / dt.timedelta(microseconds=1) for r in rows]
        )
        / 1e6
    )


@pytest.fixture(scope="module")
def planted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[dict[str, Any]], InsightReport]:
    """The planted rows and their report (built once: the rows take a moment to insert)."""
    rows = synthetic_events("t1", seed=7, plants=PLANTS)
    lake = DuckDBLake(tmp_path_factory.mktemp("planted") / "lake.duckdb")
    lake.insert("platform_events", rows)
    return rows, _report(lake)


def test_planted_signals_are_reported_and_nothing_else(
    planted: tuple[list[dict[str, Any]], InsightReport],
) -> None:
    _, report = planted
    assert _alarms(report) == {
        ("failure_spike", "shopify"),
        ("lag_spike", "stripe"),
        ("silent_integration", "meta"),
        ("volume_drop", "meta"),  # END itself has no meta events at all
    }
    assert {(i.kind, i.subject) for i in report.insights if i.severity == "notice"} == {
        ("duplicate_events", "stripe")
    }
    statuses = {row["platform"]: row["status"] for row in report.table}
    assert statuses == {
        "meta": "silent_integration",
        "shopify": "failure_spike",
        "stripe": "lag_spike",
    }


def test_failure_spike_numbers(planted: tuple[list[dict[str, Any]], InsightReport]) -> None:
    rows, report = planted
    spike = _only(report, "failure_spike")
    day_rows = [
        r for r in rows if r["platform"] == "shopify" and r["occurred_at"].date() == FAILURE_DAY
    ]
    failed = sum(r["status"] == "failed" for r in day_rows)
    assert spike.evidence[0]["day"] == FAILURE_DAY.isoformat()
    assert spike.value == failed / len(day_rows)
    assert spike.value == pytest.approx(0.4, abs=0.01)
    assert spike.baseline == pytest.approx(0.01, abs=0.006)  # the ~1% background
    assert spike.severity == "critical"  # 40% is past the critical rate


def test_lag_spike_median_is_exact(planted: tuple[list[dict[str, Any]], InsightReport]) -> None:
    rows, report = planted
    spike = _only(report, "lag_spike")
    day_rows = [r for r in rows if r["platform"] == "stripe" and r["occurred_at"].date() == LAG_DAY]
    assert spike.evidence[0]["day"] == LAG_DAY.isoformat()
    assert spike.value == pytest.approx(float(np.median(_lag_seconds(day_rows))), rel=1e-12)
    assert 600 <= spike.value <= 660
    assert spike.baseline == pytest.approx(2.0, rel=0.15)  # lognormal median of 2 s


def test_silence_is_timed_from_the_last_delivery(
    planted: tuple[list[dict[str, Any]], InsightReport],
) -> None:
    rows, report = planted
    silent = _only(report, "silent_integration")
    last = max(r["received_at"] for r in rows if r["platform"] == "meta")
    assert silent.value == pytest.approx((NOW - last).total_seconds() / 3600, rel=1e-12)
    assert 30.0 <= silent.value < 31.5  # the last event came shortly before the silence
    assert silent.evidence[0]["active_days"] == 13  # every day of the last 14 but END


def test_duplicates_and_table_percentiles(
    planted: tuple[list[dict[str, Any]], InsightReport],
) -> None:
    rows, report = planted
    in_window = [r for r in rows if WINDOW.start <= r["occurred_at"].date() <= WINDOW.end]
    table = {row["platform"]: row for row in report.table}
    for platform in BASE_PER_DAY:
        mine = [r for r in in_window if r["platform"] == platform]
        p50, p95 = np.percentile(_lag_seconds(mine), [50, 95])  # linear, as PERCENTILE_CONT
        assert table[platform]["events"] == len(mine)
        assert table[platform]["lag_p50_s"] == pytest.approx(p50, rel=1e-9)
        assert table[platform]["lag_p95_s"] == pytest.approx(p95, rel=1e-9)
        failed = sum(r["status"] == "failed" for r in mine)
        assert table[platform]["failure_rate"] == failed / len(mine)
    stripe = [r for r in in_window if r["platform"] == "stripe"]
    repeats = len(stripe) - len({r["raw_id"] for r in stripe})
    assert repeats > 0
    assert table["stripe"]["duplicates"] == repeats
    assert _only(report, "duplicate_events").value == pytest.approx(0.04, abs=0.002)
    assert table["shopify"]["duplicates"] == table["meta"]["duplicates"] == 0


def test_event_volume_by_platform_type_and_day(
    planted: tuple[list[dict[str, Any]], InsightReport],
) -> None:
    rows, report = planted
    volume = _only(report, "event_volume")
    in_window = [r for r in rows if WINDOW.start <= r["occurred_at"].date() <= WINDOW.end]
    assert volume.value == len(in_window)
    expected: dict[tuple[str, str, str], int] = {}
    for r in in_window:
        key = (r["occurred_at"].date().isoformat(), r["platform"], r["event_type"])
        expected[key] = expected.get(key, 0) + 1
    assert {
        (e["day"], e["platform"], e["event_type"]): e["events"] for e in volume.evidence
    } == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_seasonal_data_raises_nothing_alarming(lake: DuckDBLake, seed: int) -> None:
    lake.insert("platform_events", synthetic_events("t1", seed=seed))
    report = _report(lake)
    assert not [i for i in report.insights if i.severity != "info"], report.narrative
    assert {row["status"] for row in report.table} == {"ok"}


def test_a_window_without_events_says_there_is_no_data(lake: DuckDBLake) -> None:
    lake.insert("platform_events", synthetic_events("t1", seed=1, days=7))
    report = _report(lake, window=Window.last_days(7, today=END - dt.timedelta(days=30)))
    assert [(i.kind, i.severity) for i in report.insights] == [("no_data", "info")]
    assert report.table == [] and report.data_watermark is None
    assert "No platform events" in report.narrative


def test_a_tenant_without_rows_gets_a_no_data_report(lake: DuckDBLake) -> None:
    lake.insert("platform_events", synthetic_events("someone-else", seed=1, days=7))
    report = _report(lake, tenant="t1")
    assert [i.kind for i in report.insights] == ["no_data"]
    assert report.table == []


def test_one_day_of_data_is_summarised_without_alarms(lake: DuckDBLake) -> None:
    rows = synthetic_events("t1", seed=4, days=1)
    lake.insert("platform_events", rows)
    report = _report(lake)
    assert [i.kind for i in report.insights] == ["event_volume"]
    table = {row["platform"]: row for row in report.table}
    assert sum(row["events"] for row in report.table) == len(rows)
    assert all(row["lag_p50_s"] > 0 and row["status"] == "ok" for row in table.values())
    assert report.data_watermark == max(r["received_at"] for r in rows)


def test_zero_lags_zero_failures_and_idle_platforms_divide_safely(lake: DuckDBLake) -> None:
    """Lags of exactly 0 (a baseline of 0 s), no failures ever (a pooled rate of 0), a day with
    no events and a platform that only sends after the window: no division error anywhere."""
    rows = []
    for offset in range(40):
        occurred = dt.datetime.combine(END - dt.timedelta(days=offset), dt.time(12), tzinfo=dt.UTC)
        lag_us = 120_000_000 if offset == 0 else 0
        rows += [_event("t1", "instant", offset * 100 + k, occurred, lag_us) for k in range(20)]
    late = dt.datetime.combine(END, dt.time(9), tzinfo=dt.UTC)
    rows += [_event("t1", "newcomer", 10_000 + k, late, 1_000_000) for k in range(5)]
    lake.insert("platform_events", rows)
    window = Window.last_days(14, today=END - dt.timedelta(days=1))
    report = _report(lake, window=window)
    assert not [i for i in report.insights if i.severity != "info"]  # 0-lag days are normal
    report = _report(lake)  # END's 120 s lags against a usual 0 s
    spike = _only(report, "lag_spike")
    assert (spike.value, spike.baseline, spike.change) == (120.0, 0.0, None)
    window_report = _report(lake, window=window)
    newcomer = next(row for row in window_report.table if row["platform"] == "newcomer")
    assert newcomer["events"] == 0
    assert newcomer["failure_rate"] is None and newcomer["duplicate_rate"] is None
    instant = next(row for row in window_report.table if row["platform"] == "instant")
    assert (instant["failure_rate"], instant["lag_p50_s"], instant["lag_p95_s"]) == (0.0, 0.0, 0.0)


def test_another_tenants_rows_never_change_the_report(tmp_path: Path) -> None:
    alone = DuckDBLake(tmp_path / "alone.duckdb")
    shared = DuckDBLake(tmp_path / "shared.duckdb")
    mine = synthetic_events("t1", seed=5)
    alone.insert("platform_events", mine)
    shared.insert("platform_events", mine)
    shared.insert("platform_events", synthetic_events("t2", seed=6, plants=PLANTS))
    assert _report(shared).model_dump() == _report(alone).model_dump()
    assert _alarms(_report(shared, tenant="t2"))  # the other tenant's plants are there


PARITY_SPEC = DemoSpec(end_date=END, tenants=2, days=35, seed=3, scale=0.3)


@pytest.fixture(scope="module")
def parity_lakes(
    bigquery_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DuckDBLake, BigQueryLake]]:
    with seeded_lake_pair(
        bigquery_emulator, tmp_path_factory.mktemp("parity"), PARITY_SPEC
    ) as lakes:
        yield lakes


@pytest.mark.parametrize("tenant", ["demo-1", "demo-2"])
def test_same_report_on_duckdb_and_bigquery(
    parity_lakes: tuple[DuckDBLake, BigQueryLake], tenant: str
) -> None:
    duckdb_lake, bigquery_lake = parity_lakes
    embedded = run_template("platform_events", duckdb_lake, tenant, WINDOW, now=NOW)
    production = run_template("platform_events", bigquery_lake, tenant, WINDOW, now=NOW)
    assert embedded.table and len(embedded.insights) > 1  # something to compare
    assert_same(embedded.model_dump(), production.model_dump())


DEMO_SPEC = DemoSpec(end_date=END, tenants=3, days=90)


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, InsightReport]:
    """The 14-day report of each demo tenant, with now = the day after the demo ends."""
    lake = DuckDBLake(tmp_path_factory.mktemp("demo") / "lake.duckdb")
    seed_lake(lake, DEMO_SPEC)
    return {tenant: _report(lake, tenant=tenant) for tenant in DEMO_SPEC.tenant_ids}


def test_demo_anomalies_are_found(demo_reports: dict[str, InsightReport]) -> None:
    planted = {a.name: a for a in planted_anomalies(DEMO_SPEC) if a.table == "platform_events"}
    silent, failures, lag = (
        planted["silent_integration"],
        planted["webhook_failures"],
        planted["delivery_lag_spike"],
    )
    found = {
        (tenant, i.kind, i.subject, i.evidence[0].get("day"))
        for tenant, report in demo_reports.items()
        for i in report.insights
        if i.severity in ALARMING
    }
    expected = {
        (silent.tenant_id, "silent_integration", silent.platform, None),
        (failures.tenant_id, "failure_spike", failures.platform, failures.first_day.isoformat()),
        (lag.tenant_id, "lag_spike", lag.platform, lag.first_day.isoformat()),
    }
    # The silent platform's empty last day is also a volume drop when its usual volume is high
    # enough for an empty day to be improbable (tiktok is the smallest platform).
    silent_day = (silent.tenant_id, "volume_drop", silent.platform, END.isoformat())
    assert expected <= found <= expected | {silent_day}
    hours = _only(demo_reports[silent.tenant_id], "silent_integration").value
    assert 30 <= hours < 33  # the planted 30 hours plus the quiet night-time gap before them
    failure = _only(demo_reports[failures.tenant_id], "failure_spike")
    assert failure.value == pytest.approx(0.35, abs=0.1) and failure.baseline < 0.02
    lag_spike = _only(demo_reports[lag.tenant_id], "lag_spike")
    assert lag_spike.value == pytest.approx(600, rel=0.2) and lag_spike.baseline < 5
    print("\n\n".join(report.narrative for report in demo_reports.values()))


def test_the_day_still_filling_up_is_not_called_a_volume_drop(tmp_path: Path) -> None:
    """Data through yesterday, a window through today: today's empty count is no anomaly."""
    lake = DuckDBLake(tmp_path / "lake.duckdb")
    end = dt.date(2026, 11, 26)
    seed_lake(lake, DemoSpec(end_date=end, tenants=1, days=60, seed=3))
    now = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
    window = Window(start=end - dt.timedelta(days=12), end=now.date())
    report = run_template("platform_events", lake, "demo-1", window, now=now)
    judged_days = {
        row["day"] for i in report.insights if i.kind.startswith("volume") for row in i.evidence
    }
    assert str(now.date()) not in judged_days


def _with_failures(rows: list[dict[str, Any]], days: set[dt.date], percent: int) -> None:
    """Shopify events of `days` fail at `percent`% (spread evenly over the events)."""
    shopify = [r for r in rows if r["platform"] == "shopify" and r["occurred_at"].date() in days]
    for index, row in enumerate(shopify):
        row["status"] = "failed" if index * percent % 100 < percent else "ok"


def test_consecutive_failure_days_are_one_finding(lake: DuckDBLake) -> None:
    rows = synthetic_events("t1", seed=8)
    run = (END - dt.timedelta(days=6), END - dt.timedelta(days=5))
    _with_failures(rows, set(run), 40)
    lake.insert("platform_events", rows)
    spike = _only(_report(lake), "failure_spike")
    assert (spike.start, spike.end) == run and spike.severity == "critical"
    assert [e["day"] for e in spike.evidence] == [day.isoformat() for day in run]
    assert spike.value == pytest.approx(0.4, abs=0.02)
    assert spike.chart is not None and [m.x for m in spike.chart.markers] == list(run)


def test_a_lasting_failure_rate_rise_is_reported_once_with_its_first_day(
    lake: DuckDBLake,
) -> None:
    rows = synthetic_events("t1", seed=9)
    start = END - dt.timedelta(days=7)
    _with_failures(rows, {start + dt.timedelta(days=k) for k in range(8)}, 10)
    lake.insert("platform_events", rows)
    report = _report(lake)
    rise = _only(report, "failure_rate_rise")
    assert rise.subject == "shopify" and rise.severity == "warning"
    assert rise.start is not None and abs((rise.start - start).days) <= 2
    assert rise.value == pytest.approx(0.1, abs=0.03) and (rise.baseline or 1.0) < 0.02
    assert not [i for i in report.insights if i.kind == "failure_spike"]  # part of the rise


def test_a_lasting_lag_rise_is_reported_once_with_its_first_day(lake: DuckDBLake) -> None:
    rows = synthetic_events("t1", seed=10)
    start = END - dt.timedelta(days=6)
    for row in rows:
        if row["platform"] == "meta" and row["occurred_at"].date() >= start:
            row["received_at"] += dt.timedelta(seconds=300)
    lake.insert("platform_events", rows)
    report = _report(lake)
    rise = _only(report, "lag_rise")
    assert rise.subject == "meta" and rise.start is not None
    assert abs((rise.start - start).days) <= 2
    assert rise.value == pytest.approx(302, rel=0.05) and rise.baseline == pytest.approx(2, rel=0.2)
    assert not [i for i in report.insights if i.kind == "lag_spike"]  # part of the rise


def test_a_failure_spike_on_a_holiday_names_it(lake: DuckDBLake) -> None:
    rows = synthetic_events("t1", seed=7, plants=frozenset({"failures"}))
    lake.insert("platform_events", rows)
    holidays = {FAILURE_DAY: "Test Day", FAILURE_DAY - dt.timedelta(days=20): "Old Day"}
    report = analyze_events(lake, "t1", WINDOW, EventOptions(), now=NOW, holidays=holidays)
    spike = _only(report, "failure_spike")
    assert "It was on Test Day, which may explain it." in spike.title
