"""What only the PostgreSQL cache has: versioned migrations, row-level security proven with a
restricted (non-superuser) role, the split of an owning (migrating) role from a runtime role
that owns nothing (throwaway roles, dropped afterwards) with `mi cache`'s warnings, and recovery
from a server restart in the middle of use.

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
from marketing_intel.cache.postgres_cache import PostgresInsightCache, migrate_cache
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


def test_an_entry_python_cannot_decode_is_a_miss_not_an_outage(
    postgres_url: str, schema: str
) -> None:
    """An expiry of 'infinity' (as a bulk load may write) is past Python's year 9999: the fast read
    said the whole cache was unavailable (issue 18); it is now a miss. The locked read of
    `get_or_compute` decodes it (no expiry) and serves the stored value."""
    cache = PostgresInsightCache(postgres_url, schema=schema)
    try:
        cache.put(A, {"report": 1})
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f"UPDATE {schema}.insight_cache SET expires_at = 'infinity'")
        assert cache.get(A) is None
        found = cache.get_or_compute(A, lambda: {"report": 2})
        assert (found.value, found.hit, found.expires_at) == ({"report": 1}, True, None)
    finally:
        cache.close()


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


def as_role(url: str, role: str) -> str:
    """`url` with `role` as its user (trust authentication: no password)."""
    return make_url(url).set(username=role).render_as_string(hide_password=False)


@pytest.fixture
def roles(postgres_url: str, schema: str) -> Iterator[tuple[str, str]]:
    """URLs of two throwaway roles: an owner that may create schemas in the test database, and
    a runtime role (not superuser, no BYPASSRLS, owning nothing). Dropped afterwards, with the
    schema and every grant they hold."""
    suffix = uuid.uuid4().hex[:10]
    owner, runtime = f"mi_cache_owner_{suffix}", f"mi_cache_runtime_{suffix}"
    database = make_url(postgres_url).database
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for role in (owner, runtime):
            connection.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
        connection.execute(f"GRANT CREATE ON DATABASE {database} TO {owner}")
    yield as_role(postgres_url, owner), as_role(postgres_url, runtime)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        for role in (runtime, owner):
            connection.execute(f"DROP OWNED BY {role}")  # grants on the database included
            connection.execute(f"DROP ROLE {role}")


def test_the_owner_migrates_and_the_runtime_role_can_use_the_cache_but_not_lift_the_policy(
    schema: str, roles: tuple[str, str]
) -> None:
    owner_url, runtime_url = roles
    with pytest.raises(CacheConfigError, match="run `mi cache migrate` with MI_CACHE_MIGRATE_URL"):
        PostgresInsightCache(runtime_url, schema=schema)  # it may not create the schema itself
    assert migrate_cache(owner_url, runtime_url, schema) == list(range(1, HEAD + 1))
    assert migrate_cache(owner_url, runtime_url, schema) == []  # grants again, changes nothing
    cache = PostgresInsightCache(runtime_url, schema=schema)
    try:
        assert cache.policy_warnings() == []
        cache.put(A, {"secret": "a"})
        assert cache.get(A) == {"secret": "a"} and cache.get(B) is None
    finally:
        cache.close()
    table = f"{schema}.insight_cache"
    with psycopg.connect(runtime_url, autocommit=True) as connection:
        for statement in (
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
            f"DROP POLICY tenant_isolation ON {table}",
            f"CREATE POLICY open ON {table} USING (true)",
            f"TRUNCATE {table}",
            f"CREATE SCHEMA {schema}_mine",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
        owner = connection.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = %s::regclass", (table,)
        ).fetchone()
    assert owner is not None and owner[0] == make_url(owner_url).username


def test_policy_warnings_name_each_way_the_runtime_role_could_bypass_the_policy(
    postgres_url: str, schema: str, roles: tuple[str, str]
) -> None:
    owner_url, runtime_url = roles
    runtime = make_url(runtime_url).username
    owner = make_url(owner_url).username
    migrate_cache(owner_url, runtime_url, schema)

    def warnings(url: str) -> str:
        cache = PostgresInsightCache(url, schema=schema)
        try:
            return " ".join(cache.policy_warnings())
        finally:
            cache.close()

    assert "is a superuser" in warnings(postgres_url)
    assert f"role '{owner}' owns {schema}.insight_cache" in warnings(owner_url)
    assert warnings(runtime_url) == ""
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"ALTER ROLE {runtime} BYPASSRLS")
        assert f"role '{runtime}' has BYPASSRLS" in warnings(runtime_url)
        connection.execute(f"ALTER ROLE {runtime} NOBYPASSRLS")
        connection.execute(f"GRANT {owner} TO {runtime}")  # a member may act as the owner
        assert "is a member of its owner's role" in warnings(runtime_url)
        connection.execute(f"REVOKE {owner} FROM {runtime}")
    assert warnings(runtime_url) == ""


def test_mi_cache_warns_about_an_owning_runtime_role_and_migrate_sets_up_the_split(
    schema: str, roles: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from marketing_intel.cli import app
    from marketing_intel.shared_instances import close_shared

    owner_url, runtime_url = roles
    monkeypatch.setenv("MI_CACHE_BACKEND", "postgres")
    monkeypatch.setenv("MI_CACHE_SCHEMA", schema)
    monkeypatch.setenv("MI_CACHE_URL", owner_url)  # one role for everything: the usual setup
    try:
        single = CliRunner().invoke(app, ["cache", "stats"])
        monkeypatch.setenv("MI_CACHE_MIGRATE_URL", owner_url)
        monkeypatch.setenv("MI_CACHE_URL", runtime_url)
        migrated = CliRunner().invoke(app, ["cache", "migrate"])
        split = CliRunner().invoke(app, ["cache", "stats"])
    finally:
        close_shared()
    assert single.exit_code == 0, single.output
    assert "Warning: The insight cache's runtime role could bypass tenant isolation" in " ".join(
        single.output.split()
    )
    assert migrated.exit_code == 0, migrated.output
    assert f"Cache schema {schema}: already up to date." in migrated.output
    assert "Warning" not in migrated.output
    assert split.exit_code == 0 and "Warning" not in split.output, split.output
