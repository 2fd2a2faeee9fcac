"""Insight cache hits against bare clients reading the same rows, in one run.

PostgreSQL: 10k entries of ~2 KiB JSONB (10 tenants). Ours is `PostgresInsightCache.get` as a
restricted role, so row-level security is on; the baselines are a bare psycopg connection with a
prepared primary-key SELECT of the same rows, as the superuser (no row security: the strict
baseline) and as the same restricted role. Targets: hit p50 within 1.5x of the bare SELECT and
under 1 ms. Then 8 concurrent reader threads, ours against 8 bare connections.
SQLite: `SQLiteInsightCache.get` against a bare sqlite3 SELECT of the same rows.
Set MI_BENCH_DATABASE_URL to use another server (default: the test server at 127.0.0.1:5432).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.engine import make_url

from bench.size import sized
from bench.timing import p50_p95
from marketing_intel.cache import CacheKey
from marketing_intel.cache.postgres_cache import PostgresInsightCache
from marketing_intel.cache.sqlite_cache import SQLiteInsightCache

URL = os.environ.get("MI_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# (Tiny: 4 tenants, the fewest that hold bench-3, the tenant the hit latencies read.)
TENANTS, PER_TENANT, LOOKUPS, READERS, READ_SECONDS = sized(
    (10, 1000, 5000, 8, 3.0), (4, 10, 20, 2, 0.2)
)


def report_value(tenant: str, number: int) -> dict[str, Any]:
    """About 2 KiB of report-like JSON."""
    rows = [{"campaign_id": f"c{i}", "roas": 1.5 + i / 7, "spend": 100.0 + i} for i in range(18)]
    return {"tenant_id": tenant, "n": number, "narrative": "x" * 300, "table": rows}


def keys() -> list[CacheKey]:
    return [
        CacheKey.of(f"bench-{t}", "campaign_insights", {"n": n}, "w")
        for t in range(TENANTS)
        for n in range(PER_TENANT)
    ]


def latencies_ms(
    lookups: dict[str, Callable[[CacheKey], object]], sample: Sequence[CacheKey]
) -> dict[str, list[float]]:
    """Each lookup's wall time per variant. The variants take turns key by key, in a rotating
    order, so a busy moment of the shared machine hits them alike; a warm-up pass first."""
    times: dict[str, list[float]] = {name: [] for name in lookups}
    for lookup in lookups.values():
        for key in sample[:500]:
            lookup(key)
    order = list(lookups.items())
    for number, key in enumerate(sample):
        turn = number % len(order)
        for name, lookup in order[turn:] + order[:turn]:
            started = time.perf_counter_ns()
            found = lookup(key)
            times[name].append((time.perf_counter_ns() - started) / 1e6)
            assert found is not None
    return times


def timing(label: str, p50_and_p95: tuple[float, float]) -> str:
    """One aligned line of a variant's p50 and p95."""
    return f"  {label:<42}: p50 {p50_and_p95[0]:.3f} ms  p95 {p50_and_p95[1]:.3f} ms"


def throughput(
    make_reader: Callable[[], Callable[[CacheKey], object]], sample: list[CacheKey]
) -> float:
    """Lookups per second of READERS threads, each with its own reader, for READ_SECONDS."""
    counts = [0] * READERS
    stop = threading.Event()
    start = threading.Barrier(READERS + 1)

    def run(index: int) -> None:
        reader, rng = make_reader(), random.Random(index)
        reader(sample[0])
        start.wait()
        while not stop.is_set():
            reader(sample[rng.randrange(len(sample))])
            counts[index] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(READERS)]
    for thread in threads:
        thread.start()
    start.wait()
    time.sleep(READ_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts) / READ_SECONDS


def bare_postgres(url: str, schema: str) -> Callable[[CacheKey], object]:
    """A bare psycopg connection with the same SELECT, prepared."""
    connection = psycopg.connect(url, autocommit=True, prepare_threshold=0)
    sql = (
        f"SELECT value, created_at FROM {schema}.insight_cache "
        "WHERE tenant_id = %s AND digest = %s AND expires_at > now()"
    )
    scoped: list[str] = []

    def lookup(key: CacheKey) -> object:
        if scoped != [key.tenant_id]:  # the restricted role needs its scope, like ours
            connection.execute("SELECT set_config('mi.tenant_id', %s, false)", (key.tenant_id,))
            scoped[:] = [key.tenant_id]
        return connection.execute(sql, (key.tenant_id, key.digest), prepare=True).fetchone()

    return lookup


def restricted_role(schema: str) -> tuple[str, Callable[[], None]]:
    """A LOGIN role without superuser or BYPASSRLS that may use the cache table; its URL and
    a function that drops it."""
    role = f"mi_cache_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(URL, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
        connection.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        connection.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
        )

    def drop() -> None:
        with psycopg.connect(URL, autocommit=True) as connection:
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")

    return make_url(URL).set(username=role).render_as_string(hide_password=False), drop


# Entries that never expire within the bench; not 'infinity', which Python cannot decode.
NEVER = "9999-12-31 00:00:00+00"


def bench_postgres(all_keys: list[CacheKey]) -> None:
    schema = f"mi_cache_bench_{uuid.uuid4().hex[:8]}"
    owner = PostgresInsightCache(URL, schema=schema)
    app_url, drop_role = restricted_role(schema)
    try:
        with psycopg.connect(URL, autocommit=True) as connection:  # load in one statement
            connection.execute(f"ALTER TABLE {schema}.insight_cache NO FORCE ROW LEVEL SECURITY")
            with connection.cursor().copy(
                f"COPY {schema}.insight_cache (tenant_id, digest, template, value, expires_at) "
                "FROM STDIN"
            ) as copy:
                for number, key in enumerate(all_keys):
                    value = Jsonb(report_value(key.tenant_id, number))
                    copy.write_row((key.tenant_id, key.digest, key.template, value, NEVER))
            connection.execute(f"ALTER TABLE {schema}.insight_cache FORCE ROW LEVEL SECURITY")
            connection.execute(f"ANALYZE {schema}.insight_cache")
        cache = PostgresInsightCache(app_url, schema=schema)
        one_tenant = [key for key in all_keys if key.tenant_id == "bench-3"]
        sample = [random.Random(7).choice(one_tenant) for _ in range(LOOKUPS)]
        # Every lookup of this variant is for a random tenant of 10: a rescoped connection
        # (a cache of its own, so the others keep their scope).
        switching_cache = PostgresInsightCache(app_url, schema=schema)
        other_tenants = iter(random.Random(8).choices(all_keys, k=LOOKUPS + 500))
        measured = latencies_ms(
            {
                "bare": bare_postgres(URL, schema),
                "bare_rls": bare_postgres(app_url, schema),
                "ours": cache.get,
                "decoded": lambda key: cache.get_or_compute(key, lambda: None).value,
                "switching": lambda _: switching_cache.get(next(other_tenants)),
            },
            sample,
        )
        bare, bare_rls, ours, decoded, switching = (
            p50_p95(measured[name]) for name in ("bare", "bare_rls", "ours", "decoded", "switching")
        )
        print(f"PostgreSQL hit latency ({LOOKUPS} lookups of ~2 KiB JSONB, 10k rows)")
        print(timing("bare psycopg prepared PK SELECT, superuser", bare))
        print(timing("bare psycopg prepared PK SELECT, RLS role", bare_rls))
        print(
            timing("PostgresInsightCache.get, RLS role", ours)
            + f"  ratio p50 {ours[0] / bare[0]:.2f}x vs superuser,"
            f" {ours[0] / bare_rls[0]:.2f}x vs RLS role (target <= 1.5x, < 1 ms)"
        )
        print(
            timing("get_or_compute hit, RLS role", decoded)
            + f"  ratio p50 {decoded[0] / bare[0]:.2f}x vs superuser"
        )
        print(
            timing("get, each lookup a random tenant of 10", switching)
            + "  (a rescoped connection: one more round trip)"
        )
        ours_rps = throughput(lambda: cache.get, one_tenant)
        bare_rps = throughput(lambda: bare_postgres(URL, schema), one_tenant)
        print(
            f"  {READERS} concurrent readers: ours {ours_rps:,.0f} lookups/s, bare psycopg "
            f"{bare_rps:,.0f} lookups/s (ratio {ours_rps / bare_rps:.2f})"
        )
        cache.close()
        switching_cache.close()
    finally:
        owner.close()
        drop_role()
        with psycopg.connect(URL, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def bench_sqlite(all_keys: list[CacheKey]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = SQLiteInsightCache(Path(folder) / "cache.sqlite3")
        for number, key in enumerate(all_keys):
            cache.put(key, report_value(key.tenant_id, number), ttl_s=3600)
        sample = [random.Random(7).choice(all_keys) for _ in range(LOOKUPS)]
        bare_connection = sqlite3.connect(cache.path)

        def bare(key: CacheKey) -> Any:
            return bare_connection.execute(
                "SELECT value, created_at FROM insight_cache "
                "WHERE tenant_id = ? AND digest = ? AND expires_at > ?",
                (key.tenant_id, key.digest, time.time()),
            ).fetchone()

        def bare_parsed(key: CacheKey) -> object:
            row = bare(key)
            return None if row is None else json.loads(row[0])

        measured = latencies_ms({"bare": bare, "parsed": bare_parsed, "ours": cache.get}, sample)
        bare_times, parsed, ours = (p50_p95(measured[name]) for name in ("bare", "parsed", "ours"))
        print("SQLite hit latency (10k entries of ~2 KiB JSON text, WAL)")
        print(timing("bare sqlite3 SELECT (no JSON parse)", bare_times))
        print(timing("bare sqlite3 SELECT + json.loads", parsed))
        print(
            timing("SQLiteInsightCache.get", ours)
            + f"  ratio p50 {ours[0] / bare_times[0]:.2f}x vs SELECT,"
            f" {ours[0] / parsed[0]:.2f}x vs SELECT + json.loads"
        )
        ours_rps = throughput(lambda: cache.get, all_keys)
        print(f"  {READERS} concurrent readers: {ours_rps:,.0f} lookups/s")
        bare_connection.close()
        cache.close()


def main() -> None:
    all_keys = keys()
    bench_postgres(all_keys)
    bench_sqlite(all_keys)


if __name__ == "__main__":
    main()
