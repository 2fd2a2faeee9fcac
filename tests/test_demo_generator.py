"""The demo generator: lake schemas, determinism, realistic shapes and the planted anomalies."""

from __future__ import annotations

import datetime
import hashlib
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from marketing_intel.demo import DemoSpec, expected_rows, generate, planted_anomalies
from marketing_intel.demo.plan import tenant_plan
from marketing_intel.demo.spec import MAX_BATCH_ROWS
from marketing_intel.lake.arrow_schema import arrow_schema
from marketing_intel.lake.schema import lake_tables

END = datetime.date(2026, 3, 31)
SPEC = DemoSpec(end_date=END, tenants=3, days=60, seed=7, scale=1.0)
# 10 tenants x 90 days x 2.5 scale: the benchmark size, ~1M rows in total.
MILLION = DemoSpec(end_date=END, tenants=10, days=90, seed=7, scale=2.5)


def collect(spec: DemoSpec) -> dict[str, pa.Table]:
    """All batches of `spec`, concatenated per table."""
    batches: dict[str, list[pa.Table]] = {}
    for name, batch in generate(spec):
        batches.setdefault(name, []).append(batch)
    return {name: pa.concat_tables(parts) for name, parts in batches.items()}


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return collect(SPEC)


def rows(table: pa.Table, **equal: object) -> pa.Table:
    """The rows of `table` whose columns equal the given values."""
    mask = None
    for column, value in equal.items():
        match = pc.equal(table[column], pa.scalar(value, type=table.schema.field(column).type))
        mask = match if mask is None else pc.and_(mask, match)
    return table.filter(mask)


def numbers(table: pa.Table, column: str) -> np.ndarray:
    return np.asarray(table[column].to_numpy(zero_copy_only=False), dtype=float)


def days_before(days: int) -> datetime.date:
    return END - datetime.timedelta(days=days)


def test_every_table_gets_rows_with_the_ddl_schema(tables: dict[str, pa.Table]) -> None:
    assert set(tables) == set(lake_tables())
    for name, spec in lake_tables().items():
        assert tables[name].num_rows > 0
        assert tables[name].schema == arrow_schema(spec)
        assert tuple(tables[name].column_names) == spec.column_names


def test_arrow_types_follow_the_bigquery_types() -> None:
    events = arrow_schema(lake_tables()["platform_events"])
    assert events.field("value").type == pa.decimal128(38, 9)
    assert events.field("occurred_at").type == pa.timestamp("us", tz="UTC")
    assert events.field("attributes").type == pa.string()
    assert not events.field("event_id").nullable
    assert events.field("campaign_id").nullable


def test_required_columns_are_never_null(tables: dict[str, pa.Table]) -> None:
    for name, spec in lake_tables().items():
        for column in spec.columns:
            if column.required:
                assert tables[name][column.name].null_count == 0, (name, column.name)


def test_optional_columns_are_sometimes_null_and_sometimes_set(tables: dict[str, pa.Table]) -> None:
    events = tables["platform_events"]
    for column in ("campaign_id", "customer_key", "value", "currency", "raw_id"):
        assert 0 < events[column].null_count < events.num_rows, column


def test_keys_are_unique(tables: dict[str, pa.Table]) -> None:
    for name, spec in lake_tables().items():
        table = tables[name]
        distinct = table.group_by(list(spec.key)).aggregate([]).num_rows
        assert distinct == table.num_rows, name


def test_same_spec_gives_identical_tables_and_another_seed_differs(
    tables: dict[str, pa.Table],
) -> None:
    tenant_plan.cache_clear()  # replay the plan too, not just the per-table draws
    again = collect(SPEC)
    other = collect(DemoSpec(end_date=END, tenants=3, days=60, seed=8, scale=1.0))
    for name, table in tables.items():
        assert again[name].equals(table), name
        assert not other[name].equals(table), name


@pytest.mark.parametrize(
    "spec",
    [
        SPEC,
        DemoSpec(end_date=END, tenants=1, days=3, seed=1),
        DemoSpec(end_date=END, tenants=2, days=30, seed=3, scale=0.2),
    ],
)
def test_expected_rows_match_what_generate_yields(spec: DemoSpec) -> None:
    counts = {name: table.num_rows for name, table in collect(spec).items()}
    assert counts == expected_rows(spec)


def test_benchmark_spec_yields_about_a_million_rows_in_bounded_batches() -> None:
    counts: dict[str, int] = {}
    for name, batch in generate(MILLION):
        assert 0 < batch.num_rows <= MAX_BATCH_ROWS
        counts[name] = counts.get(name, 0) + batch.num_rows
    assert counts == expected_rows(MILLION)
    assert 950_000 <= sum(counts.values()) <= 1_150_000
    # About 400 events per tenant per day at scale 1.
    per_tenant_day = counts["platform_events"] / (10 * 90 * 2.5)
    assert 360 <= per_tenant_day <= 440


def test_a_large_tenant_is_split_into_batches() -> None:
    spec = DemoSpec(end_date=END, tenants=1, days=90, scale=6.0)
    sizes = [batch.num_rows for name, batch in generate(spec) if name == "platform_events"]
    assert len(sizes) >= 2
    assert max(sizes) <= MAX_BATCH_ROWS
    assert sum(sizes) == expected_rows(spec)["platform_events"]


def test_events_link_to_their_raw_deliveries(tables: dict[str, pa.Table]) -> None:
    events, raw = tables["platform_events"], tables["integration_raw_data"]
    linked = events.filter(pc.is_valid(events["raw_id"]))
    assert sorted(linked["raw_id"].to_pylist()) == sorted(raw["raw_id"].to_pylist())
    assert 0.07 < raw.num_rows / events.num_rows < 0.13
    for body, digest, headers in zip(
        raw["body"].to_pylist()[:500],
        raw["body_sha256"].to_pylist()[:500],
        raw["headers"].to_pylist()[:500],
        strict=True,
    ):
        assert hashlib.sha256(body.encode()).hexdigest() == digest
        assert json.loads(body)["customer"] == "[redacted]"
        assert not any("signature" in h or "auth" in h for h in json.loads(headers))


def test_event_contents_fit_their_platform(tables: dict[str, pa.Table]) -> None:
    events = tables["platform_events"]
    shopify = rows(events, platform="shopify")
    assert set(shopify["event_type"].to_pylist()) == {
        "order_created",
        "checkout_started",
        "refund_created",
    }
    assert shopify["campaign_id"].null_count == shopify.num_rows
    meta = rows(events, platform="meta")
    assert meta["campaign_id"].null_count == 0
    assert all(
        c.startswith(f"{t}-meta-")
        for c, t in zip(meta["campaign_id"].to_pylist(), meta["tenant_id"].to_pylist(), strict=True)
    )
    lag = pc.subtract(events["received_at"], events["occurred_at"]).cast(pa.int64()).to_numpy()
    assert (lag > 0).all()
    keys = pc.drop_null(events["customer_key"]).to_pylist()
    assert all(len(k) == 64 for k in keys[:1000])
    failed = pc.sum(pc.equal(events["status"], "failed")).as_py() / events.num_rows
    assert 0.002 < failed < 0.05


def test_weekly_seasonality_differs_by_tenant_kind(tables: dict[str, pa.Table]) -> None:
    metrics = tables["campaign_metrics"]
    for tenant, weekend_busier in (("demo-1", True), ("demo-2", False)):
        daily = rows(metrics, tenant_id=tenant).group_by("date").aggregate([("spend", "sum")])
        weekday = np.array([d.weekday() for d in daily["date"].to_pylist()])
        spend = numbers(daily, "spend_sum")
        ratio = spend[weekday >= 5].mean() / spend[weekday < 5].mean()
        assert (ratio > 1.1) if weekend_busier else (ratio < 0.8), (tenant, ratio)


def test_revenue_has_diminishing_returns_on_spend(tables: dict[str, pa.Table]) -> None:
    metrics = tables["campaign_metrics"]
    slopes = []
    for tenant in ("demo-2", "demo-3"):  # demo-1 carries planted anomalies
        tenant_rows = rows(metrics, tenant_id=tenant)
        for campaign in set(tenant_rows["campaign_id"].to_pylist()):
            campaign_rows = rows(tenant_rows, campaign_id=campaign)
            spend, revenue = numbers(campaign_rows, "spend"), numbers(campaign_rows, "revenue")
            sold = revenue > 0
            if sold.sum() >= 30:
                slopes.append(np.polyfit(np.log(spend[sold]), np.log(revenue[sold]), 1)[0])
    assert len(slopes) >= 10
    assert 0.2 < np.median(slopes) < 0.95
    assert np.mean(np.array(slopes) < 1.0) > 0.75


def test_planted_spend_spike(tables: dict[str, pa.Table]) -> None:
    campaign = rows(tables["campaign_metrics"], campaign_id="demo-1-meta-c01")
    dates = campaign["date"].to_pylist()
    spend, conversions = numbers(campaign, "spend"), numbers(campaign, "conversions")
    spike = np.isin(dates, [days_before(10), days_before(9)])
    before = np.isin(dates, [days_before(d) for d in range(11, 25)])
    assert spend[spike].min() > 2.2 * np.median(spend[before])
    assert conversions[spike].mean() < 1.6 * np.median(conversions[before])


def test_planted_tracking_outage(tables: dict[str, pa.Table]) -> None:
    campaign = rows(tables["campaign_metrics"], campaign_id="demo-1-google_ads-c02")
    dates = campaign["date"].to_pylist()
    outage = np.isin(dates, [days_before(20), days_before(19)])
    assert outage.sum() == 2
    assert (numbers(campaign, "conversions")[outage] == 0).all()
    assert (numbers(campaign, "revenue")[outage] == 0).all()
    assert (numbers(campaign, "clicks")[outage] > 0).all()
    assert (numbers(campaign, "conversions")[~outage] > 0).mean() > 0.9


def test_planted_silent_tiktok_integration(tables: dict[str, pa.Table]) -> None:
    events = tables["platform_events"]
    end = datetime.datetime.combine(END, datetime.time(), datetime.UTC) + datetime.timedelta(days=1)
    cutoff = end - datetime.timedelta(hours=30)
    silent = rows(events, tenant_id="demo-2", platform="tiktok")["occurred_at"].to_pylist()
    assert max(silent) < cutoff
    assert sum(cutoff - datetime.timedelta(hours=24) <= t for t in silent) > 5
    for tenant, platform in (("demo-1", "tiktok"), ("demo-2", "meta")):
        others = rows(events, tenant_id=tenant, platform=platform)["occurred_at"].to_pylist()
        assert sum(t >= cutoff for t in others) > 10, (tenant, platform)


def test_planted_shopify_failure_spike(tables: dict[str, pa.Table]) -> None:
    shopify = rows(tables["platform_events"], tenant_id="demo-2", platform="shopify")
    day = np.array([t.date() for t in shopify["occurred_at"].to_pylist()])
    failed = np.array(shopify["status"].to_pylist()) == "failed"
    spike = day == days_before(5)
    assert failed[spike].mean() > 0.25
    assert failed[~spike].mean() < 0.03


def test_planted_delivery_lag_spike(tables: dict[str, pa.Table]) -> None:
    events = tables["platform_events"]
    for tenant, spiked in (("demo-3", True), ("demo-1", False)):
        stripe = rows(events, tenant_id=tenant, platform="stripe")
        lag = pc.subtract(stripe["received_at"], stripe["occurred_at"]).cast(pa.int64())
        seconds = lag.to_numpy() / 1e6
        day = np.array([t.date() for t in stripe["occurred_at"].to_pylist()])
        on_day = day == days_before(3)
        assert np.median(seconds[~on_day]) < 10
        assert (np.median(seconds[on_day]) > 300) == spiked, tenant
    assert np.percentile(seconds, 99.5) > 60  # the retry tail reaches minutes


def test_planted_audience_trends_and_tiny_segments(tables: dict[str, pa.Table]) -> None:
    audiences = tables["audience_insights"]

    def growth(segment_id: str) -> float:
        size = numbers(rows(audiences, segment_id=segment_id), "audience_size")
        return size[-7:].mean() / size[:7].mean()

    assert growth("demo-1-meta-s01") > 3.0
    assert growth("demo-1-meta-s02") < 0.5
    assert 0.6 < growth("demo-2-meta-s01") < 1.6
    for tenant in SPEC.tenant_ids:
        tiny = rows(audiences, tenant_id=tenant, segment_name="Beta testers list")
        assert tiny.num_rows == SPEC.days
        assert pc.max(tiny["audience_size"]).as_py() < 50
    sizes = numbers(audiences, "audience_size")
    assert (numbers(audiences, "active_users") <= sizes).all()
    assert (numbers(audiences, "engaged_users") <= numbers(audiences, "active_users")).all()


def test_anomalies_of_missing_tenants_are_skipped() -> None:
    one = DemoSpec(end_date=END, tenants=1, days=60)
    listed = planted_anomalies(one)
    assert {a.tenant_id for a in listed} == {"demo-1"}
    assert "delivery_lag_spike" in {a.name for a in listed}
    events = collect(one)["platform_events"]
    stripe = rows(events, platform="stripe")
    lag = pc.subtract(stripe["received_at"], stripe["occurred_at"]).cast(pa.int64()).to_numpy()
    day = np.array([t.date() for t in stripe["occurred_at"].to_pylist()])
    assert np.median(lag[day == days_before(3)]) > 300e6
    assert {a.name for a in planted_anomalies(SPEC)} >= {"silent_integration", "webhook_failures"}
