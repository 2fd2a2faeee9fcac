"""Code the single-flight tests run in child processes (spawned, so it must be importable)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from marketing_intel.cache import CacheKey, InsightCache


def open_backend(backend: str, location: str) -> InsightCache:
    """A cache like the test's: `location` is the SQLite file, or 'url|schema' for PostgreSQL."""
    if backend == "sqlite":
        from marketing_intel.cache.sqlite_cache import SQLiteInsightCache

        return SQLiteInsightCache(Path(location))
    from marketing_intel.cache.postgres_cache import PostgresInsightCache

    url, schema = location.split("|")
    return PostgresInsightCache(url, schema=schema)


def slow_compute(log: Path, value: Any) -> Any:
    """Record one computation (one line, appended atomically) and take a while, like a report."""
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, f"{os.getpid()}\n".encode())
    finally:
        os.close(descriptor)
    time.sleep(0.3)
    return value


def miss_together(
    backend: str, location: str, key: CacheKey, log: str, threads: int, start: Any, results: Any
) -> None:
    """Open the cache, wait for every process, then look `key` up from `threads` threads at once;
    put each answer's value on `results`."""
    cache = open_backend(backend, location)
    barrier = threading.Barrier(threads)
    answers: list[Any] = []

    def look_up() -> None:
        barrier.wait()
        lookup = cache.get_or_compute(key, lambda: slow_compute(Path(log), {"n": 42}), 60)
        answers.append(lookup.value)

    start.wait()
    workers = [threading.Thread(target=look_up) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    cache.close()
    for answer in answers:
        results.put(answer)
