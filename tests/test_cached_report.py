"""`cached_report`: a template run through the cache, keyed by the lake's data watermark."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketing_intel.analysis import Window
from marketing_intel.analysis.cached import WATERMARK_SOURCES, cached_report, data_watermark
from marketing_intel.cache.sqlite_cache import SQLiteInsightCache
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.lake import DuckDBLake

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
WINDOW = Window(start=dt.date(2026, 10, 23), end=dt.date(2026, 11, 19))


@pytest.fixture
def seeded(lake: DuckDBLake) -> DuckDBLake:
    seed_lake(lake, DemoSpec(end_date=dt.date(2026, 11, 19), tenants=2, days=45))
    return lake


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[SQLiteInsightCache]:
    opened = SQLiteInsightCache(tmp_path / "cache.sqlite3")
    yield opened
    opened.close()


@pytest.mark.parametrize("template", list(WATERMARK_SOURCES))
def test_every_template_is_served_from_the_cache_the_second_time(
    template: str, seeded: DuckDBLake, cache: SQLiteInsightCache
) -> None:
    first = cached_report(cache, template, seeded, "demo-1", WINDOW, now=NOW)
    second = cached_report(cache, template, seeded, "demo-1", WINDOW, now=NOW)
    assert (first.hit, second.hit) == (False, True)
    assert second.report == first.report
    other_tenant = cached_report(cache, template, seeded, "demo-2", WINDOW, now=NOW)
    assert other_tenant.hit is False and other_tenant.report.tenant_id == "demo-2"


def test_the_window_options_and_day_are_part_of_the_key(
    seeded: DuckDBLake, cache: SQLiteInsightCache
) -> None:
    cached_report(cache, "platform_events", seeded, "demo-1", WINDOW, now=NOW)
    shorter = Window(start=dt.date(2026, 11, 1), end=WINDOW.end)
    assert not cached_report(cache, "platform_events", seeded, "demo-1", shorter, now=NOW).hit
    next_day = NOW + dt.timedelta(days=1)
    assert not cached_report(cache, "platform_events", seeded, "demo-1", WINDOW, now=next_day).hit


def test_the_watermark_moves_when_rows_land(seeded: DuckDBLake) -> None:
    before = data_watermark(seeded, "audience_trends", "demo-1")
    assert before.startswith("audience_insights:2026-11-19:")
    assert data_watermark(seeded, "audience_trends", "nobody") == "audience_insights:none:0"
    row = {
        "tenant_id": "demo-1",
        "platform": "meta",
        "segment_id": "new-segment",
        "date": "2026-11-19",
        "audience_size": 10,
        "active_users": 5,
        "engaged_users": 2,
        "conversions": 1,
        "revenue": "3",
    }
    seeded.insert("audience_insights", [row])
    assert data_watermark(seeded, "audience_trends", "demo-1") != before
    with pytest.raises(ValueError, match="unknown template"):
        data_watermark(seeded, "no_such_template", "demo-1")


def test_an_unreadable_stored_report_is_recomputed(
    seeded: DuckDBLake, cache: SQLiteInsightCache
) -> None:
    cached_report(cache, "roi_optimization", seeded, "demo-1", WINDOW, now=NOW)
    with sqlite3.connect(cache.path) as connection:
        connection.execute("UPDATE insight_cache SET value = '{\"tenant_id\": 3}'")
    again = cached_report(cache, "roi_optimization", seeded, "demo-1", WINDOW, now=NOW)
    assert again.hit is False and again.discarded_malformed
    assert again.report.template == "roi_optimization"
    assert cached_report(cache, "roi_optimization", seeded, "demo-1", WINDOW, now=NOW).hit
