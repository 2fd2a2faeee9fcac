"""The insight cache contract, run on both backends: SQLite (a file in the test's folder) and the
machine's real PostgreSQL (a schema of its own per test, dropped afterwards).

Single-flight is tested with 50 callers on one key: 50 threads, and 5 spawned processes of
10 threads each. Expiry tests let a short TTL run out (they assert what is served, never timings).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import BaseModel

from marketing_intel.cache import CacheKey, CacheUnavailable, InsightCache
from marketing_intel.cache.postgres_cache import PostgresInsightCache
from marketing_intel.cache.sqlite_cache import SQLiteInsightCache
from tests.cache_workers import miss_together, open_backend, slow_compute

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(backend, location): a fresh SQLite file, or a fresh PostgreSQL schema ('url|schema')."""
    backend = request.param
    if backend == "sqlite":
        yield backend, str(tmp_path / "insight_cache.sqlite3")
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"mi_cache_test_{uuid.uuid4().hex[:12]}"
    yield backend, f"{url}|{schema}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def cache(location: tuple[str, str]) -> Iterator[InsightCache]:
    """The backend under test, opened (and migrated) on the fresh location."""
    opened = open_backend(*location)
    yield opened
    opened.close()


def key(
    tenant: str = "tenant-a", template: str = "campaign_insights", **parameters: Any
) -> CacheKey:
    return CacheKey.of(tenant, template, parameters or {"days": 28}, "2026-11-01T00:00:00+00:00")


def corrupt(cache: InsightCache, entry: CacheKey, text: str) -> None:
    """Overwrite an entry's stored value behind the cache's back."""
    if isinstance(cache, SQLiteInsightCache):
        with sqlite3.connect(cache.path) as connection:
            connection.execute(
                "UPDATE insight_cache SET value = ? WHERE digest = ?", (text, entry.digest)
            )
        return
    assert isinstance(cache, PostgresInsightCache)
    with cache._writes.connect() as connection, connection.begin():
        connection.exec_driver_sql(
            f"UPDATE {cache.schema}.insight_cache SET value = %s::jsonb WHERE digest = %s",
            (text, entry.digest),
        )


class Report(BaseModel):
    """A stand-in for InsightReport's strictness: a value the decoder accepts."""

    n: int


pytestmark = pytest.mark.parametrize("location", BACKENDS, indirect=True)


def test_a_miss_computes_and_stores_then_hits(cache: InsightCache) -> None:
    entry = key()
    assert cache.get(entry) is None
    first = cache.get_or_compute(entry, lambda: {"n": 1, "rows": [1.5, "x", None]})
    assert (first.hit, first.value) == (False, {"n": 1, "rows": [1.5, "x", None]})
    second = cache.get_or_compute(entry, lambda: pytest.fail("a hit must not compute"))
    assert second.hit and second.value == first.value and second.stored_at is not None
    assert cache.get(entry) == first.value
    stats = cache.stats()
    assert (stats.entries, stats.tenants, stats.hits, stats.misses, stats.computes) == (
        1,
        1,
        2,
        1,
        1,
    )
    assert stats.by_template == {"campaign_insights": 1}


def test_put_replaces_and_refuses_values_json_cannot_hold(cache: InsightCache) -> None:
    entry = key()
    cache.put(entry, [1])
    cache.put(entry, {"replaced": True})
    assert cache.get(entry) == {"replaced": True}
    with pytest.raises(ValueError, match="plain JSON"):
        cache.put(entry, {"when": object()})
    with pytest.raises(ValueError, match="more than 0 seconds"):
        cache.put(entry, 1, ttl_s=0)


def test_other_parameters_watermarks_and_tenants_are_other_entries(cache: InsightCache) -> None:
    cache.put(key(days=28), "a28")
    assert cache.get(key(days=7)) is None
    newer = CacheKey.of("tenant-a", "campaign_insights", {"days": 28}, "2026-11-02T00:00:00+00:00")
    assert cache.get(newer) is None  # new data in the lake: a new key
    # The tenant filter is in the statement itself: another tenant asking for tenant-a's digest
    # finds nothing.
    assert cache.get(CacheKey("tenant-b", "campaign_insights", key(days=28).digest)) is None
    assert cache.get(key(days=28)) == "a28"


def test_entries_expire_and_purge_removes_only_expired_ones(cache: InsightCache) -> None:
    short, long = key(days=1), key(days=2)
    cache.put(short, "short", ttl_s=0.2)
    cache.put(long, "long", ttl_s=60)
    time.sleep(0.5)
    assert cache.get(short) is None
    assert cache.stats().expired == 1
    assert cache.purge_expired() == 1
    assert cache.stats().entries == 1 and cache.get(long) == "long"
    recomputed = cache.get_or_compute(short, lambda: "again", 60)
    assert (recomputed.hit, recomputed.value) == (False, "again")


def test_invalidate_drops_one_tenants_template_or_all_its_entries(cache: InsightCache) -> None:
    a_campaigns, a_roi = key(), key(template="roi_optimization")
    b_campaigns = key(tenant="tenant-b")
    for entry in (a_campaigns, a_roi, b_campaigns):
        cache.put(entry, entry.template)
    assert cache.invalidate("tenant-a", "campaign_insights") == 1
    assert cache.get(a_campaigns) is None and cache.get(a_roi) == "roi_optimization"
    assert cache.invalidate("tenant-a") == 1
    assert cache.get(a_roi) is None
    assert cache.get(b_campaigns) == "campaign_insights"
    assert cache.stats("tenant-b").entries == 1


def test_a_malformed_entry_is_a_reported_miss_and_is_replaced(
    cache: InsightCache, caplog: pytest.LogCaptureFixture
) -> None:
    entry = key()
    cache.put(entry, {"n": 1})
    # SQLite stores text, so the JSON itself can break; JSONB always parses, so there the value
    # breaks what the caller expects.
    corrupt(cache, entry, '{"n": "not a number"' if cache.backend == "sqlite" else '{"n": "x"}')
    lookup = cache.get_or_compute(entry, lambda: {"n": 2}, decode=Report.model_validate)
    assert lookup.hit is False and lookup.discarded_malformed and lookup.value == Report(n=2)
    assert "malformed" in caplog.text and entry.digest[:12] in caplog.text
    assert cache.stats().malformed == 1
    again = cache.get_or_compute(entry, lambda: {"n": 3}, decode=Report.model_validate)
    assert again.hit and again.value == Report(n=2)


def test_fifty_threads_missing_one_key_compute_once(cache: InsightCache, tmp_path: Path) -> None:
    log, entry, callers = tmp_path / "computations.log", key(), 50
    barrier = threading.Barrier(callers)
    answers: list[Any] = []

    def look_up() -> None:
        barrier.wait()
        answers.append(cache.get_or_compute(entry, lambda: slow_compute(log, {"n": 42})).value)

    threads = [threading.Thread(target=look_up) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(log.read_text().splitlines()) == 1
    assert answers == [{"n": 42}] * callers
    assert cache.stats().computes == 1


def test_fifty_callers_in_five_processes_compute_once(
    location: tuple[str, str], cache: InsightCache, tmp_path: Path
) -> None:
    log, entry, processes, threads = tmp_path / "computations.log", key(), 5, 10
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(
            target=miss_together,
            args=(*location, entry, str(log), threads, start, results),
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.5)  # let the children import and open the cache, then release them together
        start.set()
        answers = [results.get(timeout=120) for _ in range(processes * threads)]
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
    assert answers == [{"n": 42}] * (processes * threads)
    assert len(log.read_text().splitlines()) == 1
    assert cache.get(entry) == {"n": 42}


def test_a_failed_computation_stores_nothing_and_releases_the_key(cache: InsightCache) -> None:
    entry = key()

    def broken() -> Any:
        raise RuntimeError("the lake is down")

    with pytest.raises(RuntimeError, match="the lake is down"):
        cache.get_or_compute(entry, broken)
    assert cache.get(entry) is None
    assert cache.get_or_compute(entry, lambda: "ok").value == "ok"


def test_a_caller_waits_a_bounded_time_for_a_computation_that_hangs(cache: InsightCache) -> None:
    entry, release, started = key(), threading.Event(), threading.Event()

    def hanging() -> Any:
        started.set()
        release.wait(timeout=60)
        return "late"

    holder = threading.Thread(target=lambda: cache.get_or_compute(entry, hanging))
    holder.start()
    try:
        assert started.wait(timeout=30)
        cache.lock_wait_s = 0.3
        with pytest.raises(CacheUnavailable, match="Another caller has been computing"):
            cache.get_or_compute(entry, lambda: "never")
    finally:
        release.set()
        holder.join(timeout=30)
    assert cache.get(entry) == "late"
