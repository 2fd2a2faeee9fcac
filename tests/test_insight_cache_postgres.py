"""What only the PostgreSQL cache has: versioned migrations, row-level security proven with a
restricted (non-superuser) role, and recovery from a server restart in the middle of use.

The restart test runs a throwaway PostgreSQL server of its own (the machine's binaries, a temp
folder, a free port): the shared server must never be restarted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from marketing_intel.cache import CacheConfigError, CacheKey, CacheUnavailable
from marketing_intel.cache.postgres_cache import PostgresInsightCache
from marketing_intel.cache.postgres_schema import HEAD
from tests.throwaway_postgres import throwaway_postgres

A = CacheKey.of("tenant-a", "campaign_insights", {"days": 28}, "w1")
B = CacheKey.of("tenant-b", "campaign_insights", {"days": 28}, "w1")


@pytest.fixture
def schema(postgres_url: str) -> Iterator[str]:
    """A schema name of this test's own, dropped afterwards."""
    name = f"mi_cache_test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture
def restricted_url(postgres_url: str, schema: str) -> Iterator[str]:
    """A URL of a new LOGIN role that is no superuser, may use the cache table and owns nothing."""
    role = f"mi_cache_app_{uuid.uuid4().hex[:12]}"
    PostgresInsightCache(postgres_url, schema=schema).close()  # migrated by the owner
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
        connection.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        connection.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
        )
    yield make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.execute(f"DROP OWNED BY {role}")
        connection.execute(f"DROP ROLE {role}")


def test_migrations_are_recorded_and_run_once(postgres_url: str, schema: str) -> None:
    PostgresInsightCache(postgres_url, schema=schema).close()
    PostgresInsightCache(postgres_url, schema=schema).close()
    with psycopg.connect(postgres_url) as connection:
        versions = connection.execute(
            f"SELECT version FROM {schema}.schema_migrations ORDER BY version"
        ).fetchall()
        forced = connection.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
            (f"{schema}.insight_cache",),
        ).fetchone()
    assert [row[0] for row in versions] == list(range(1, HEAD + 1))
    assert forced == (True, True)


def test_a_bad_schema_name_is_refused_before_any_sql(postgres_url: str) -> None:
    with pytest.raises(CacheConfigError, match="not a plain identifier"):
        PostgresInsightCache(postgres_url, schema="x; DROP TABLE y")


def test_a_tenant_scoped_connection_cannot_read_or_write_other_tenants_rows(
    postgres_url: str, schema: str, restricted_url: str
) -> None:
    cache = PostgresInsightCache(restricted_url, schema=schema)  # no DDL: already at head
    try:
        cache.put(A, {"secret": "a"})
        cache.put(B, {"secret": "b"})
        assert cache.get(A) == {"secret": "a"} and cache.get(B) == {"secret": "b"}
    finally:
        cache.close()
    table = f"{schema}.insight_cache"
    with psycopg.connect(restricted_url, autocommit=True) as connection:
        # Unscoped: row security shows nothing at all.
        assert connection.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
        connection.execute("SELECT set_config('mi.tenant_id', 'tenant-a', false)")
        # Hand-written SQL without a tenant filter, or filtering for tenant-b, sees only tenant-a.
        rows = connection.execute(f"SELECT tenant_id, value FROM {table}").fetchall()
        assert rows == [("tenant-a", {"secret": "a"})]
        assert connection.execute(
            f"SELECT count(*) FROM {table} WHERE tenant_id = 'tenant-b'"
        ).fetchone() == (0,)
        assert (
            connection.execute(
                f"UPDATE {table} SET value = '{{}}' WHERE tenant_id = 'tenant-b'"
            ).rowcount
            == 0
        )
        assert connection.execute(f"DELETE FROM {table} WHERE tenant_id = 'tenant-b'").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            connection.execute(
                f"INSERT INTO {table} (tenant_id, digest, template, value, expires_at) "
                "VALUES ('tenant-b', 'forged', 'x', '{}', now() + interval '1 hour')"
            )
    with psycopg.connect(postgres_url) as owner:
        assert owner.execute(
            f"SELECT value FROM {table} WHERE tenant_id = 'tenant-b'"
        ).fetchall() == [({"secret": "b"},)]


def test_the_restricted_role_cannot_turn_row_security_off(schema: str, restricted_url: str) -> None:
    with psycopg.connect(restricted_url, autocommit=True) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(f"ALTER TABLE {schema}.insight_cache DISABLE ROW LEVEL SECURITY")
        connection.execute("SET row_security = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            connection.execute(f"SELECT count(*) FROM {schema}.insight_cache")


def test_purge_deletes_every_tenants_expired_rows_under_row_security(
    schema: str, restricted_url: str
) -> None:
    cache = PostgresInsightCache(restricted_url, schema=schema)
    try:
        cache.put(A, "a", ttl_s=0.01)
        cache.put(B, "b", ttl_s=0.01)
        cache.put(CacheKey.of("tenant-b", "roi_optimization"), "live", ttl_s=60)
        with psycopg.connect(restricted_url) as connection:
            connection.execute("SELECT pg_sleep(0.2)")
        assert cache.purge_expired() == 2
        assert cache.stats("tenant-b").entries == 1
    finally:
        cache.close()


def test_a_restart_gives_clear_errors_then_the_pool_recovers() -> None:
    with throwaway_postgres() as server:
        cache = PostgresInsightCache(server.url, schema="mi_cache", connect_timeout_s=2)
        try:
            for number in range(20):  # fill both pools with live connections
                cache.put(CacheKey.of("t", "x", {"n": number}), {"n": number})
                assert cache.get(CacheKey.of("t", "x", {"n": number})) == {"n": number}
            server.stop()
            with pytest.raises(CacheUnavailable, match="check that PostgreSQL is running"):
                cache.get(A)
            with pytest.raises(CacheUnavailable, match="could not read"):
                cache.get_or_compute(A, lambda: "never stored")
            with pytest.raises(CacheUnavailable, match="could not lock a key"):
                cache.put(A, "never stored")
            server.start()
            # Every pooled connection died with the old server; callers see none of that.
            for number in range(20):
                assert cache.get(CacheKey.of("t", "x", {"n": number})) == {"n": number}
            assert cache.get_or_compute(A, lambda: "after").value == "after"
            assert cache.get(A) == "after"
            assert cache.stats().entries == 21  # nothing lost, nothing half-written
        finally:
            cache.close()
