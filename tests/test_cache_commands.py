"""`mi cache stats|purge|invalidate` on the embedded cache, and their errors as sentences."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from typer.testing import CliRunner

from marketing_intel.cache import CacheKey, shared_cache
from marketing_intel.cli import app
from marketing_intel.config import load_settings
from marketing_intel.shared_instances import close_shared

runner = CliRunner()


@pytest.fixture(autouse=True)
def _close_caches() -> Iterator[None]:
    yield
    close_shared()


def test_stats_invalidate_and_purge() -> None:
    cache = shared_cache(load_settings())
    cache.put(CacheKey.of("t1", "campaign_insights"), {"n": 1})
    cache.put(CacheKey.of("t1", "roi_optimization"), {"n": 2})
    cache.put(CacheKey.of("t2", "roi_optimization"), {"n": 3}, ttl_s=0.05)
    time.sleep(0.2)
    stats = runner.invoke(app, ["cache", "stats"])
    assert stats.exit_code == 0, stats.output
    assert "sqlite insight cache at" in stats.output
    assert "3 entries (1 expired, not yet purged) of 2 tenant(s)" in stats.output
    one = runner.invoke(app, ["cache", "stats", "--tenant", "t1"])
    assert "2 entries (0 expired, not yet purged) of 1 tenant(s)" in one.output
    dropped = runner.invoke(
        app, ["cache", "invalidate", "--tenant", "t1", "--template", "roi_optimization"]
    )
    assert (
        dropped.exit_code == 0
        and "Dropped 1 cached roi_optimization reports of t1." in dropped.output
    )
    purged = runner.invoke(app, ["cache", "purge"])
    assert purged.exit_code == 0 and "Purged 1 expired entries." in purged.output
    assert cache.get(CacheKey.of("t1", "campaign_insights")) == {"n": 1}
    assert cache.stats().entries == 1


def test_postgres_stats_with_a_url_from_the_environment(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = f"mi_cache_test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("MI_CACHE_BACKEND", "postgres")
    monkeypatch.setenv("MI_CACHE_URL", postgres_url)
    monkeypatch.setenv("MI_CACHE_SCHEMA", schema)
    try:
        shared_cache(load_settings()).put(CacheKey.of("t1", "audience_trends"), [1])
        stats = runner.invoke(app, ["cache", "stats"])
        assert stats.exit_code == 0, stats.output
        output = " ".join(stats.output.split())  # the console wraps long lines
        assert f"postgres insight cache at 127.0.0.1:5432/test (schema {schema})" in output
        assert "1 entries" in stats.output
    finally:
        close_shared()
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.parametrize(
    ("environment", "sentence"),
    [
        ({"MI_CACHE_BACKEND": "postgres"}, "MI_CACHE_BACKEND=postgres needs MI_CACHE_URL"),
        (
            {"MI_CACHE_BACKEND": "postgres", "MI_CACHE_URL": "postgresql://nobody@127.0.0.1:1/x"},
            "check that PostgreSQL is running",
        ),
        ({"MI_CACHE_TTL_S": "5"}, "MI_CACHE_TTL_S"),
    ],
)
def test_errors_are_one_sentence_and_exit_1(
    environment: dict[str, str], sentence: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["cache", "stats"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert sentence in output and "Traceback" not in output
