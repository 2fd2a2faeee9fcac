"""`PostgresInsightCache`: insight reports in PostgreSQL (SQLAlchemy 2 pools, psycopg 3).

Two pools, because reads and writes want different connections:
- reads (the hot path, ~1 ms budget): autocommit connections, no reset on return, the tenant
  scope set once per connection and remembered (set again only when a lookup is for another
  tenant), and one server-side prepared SELECT. A hit is one round trip, like a bare client.
- writes and single-flight: a transaction per operation, the tenant scope set for the
  transaction only, and on a miss a transaction-level advisory lock on the key, held while
  the value is computed and stored on that same connection (so waiters never starve the
  holder of a pooled connection, and a crashed holder's lock goes with its session).

Row-level security (forced, see `postgres_schema`) limits every statement to the scope's
tenant, on top of the tenant filter each statement has anyway. The runtime connection runs only
the fixed statements of this module, with the tenant and every value as parameters (the schema
name, from the operator's settings, is a checked identifier): no caller's SQL ever reaches it,
so no caller can `SET` the tenant scope. Migrations run as the owning role (`migrate_cache`,
`mi cache migrate`); the runtime role should own nothing (`policy_warnings`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from marketing_intel.cache.errors import CacheConfigError, CacheUnavailable
from marketing_intel.cache.key import CacheKey
from marketing_intel.cache.postgres_schema import (
    TENANT_SETTING,
    checked_schema,
    grant_runtime,
    migrate,
    policy_warnings,
)
from marketing_intel.cache.protocol import CacheStats
from marketing_intel.cache.single_flight import (
    Counters,
    SingleFlightCache,
    StoredEntry,
    still_computing,
)

_log = logging.getLogger(__name__)

SCOPE_SQL = "SELECT set_config(%s, %s, false)"
_TENANT = "mi_tenant"  # the read connection's remembered scope, in the pool record's info


class PostgresInsightCache(SingleFlightCache):
    """The insight cache in a PostgreSQL schema, with row-level security per tenant."""

    backend = "postgres"

    def __init__(
        self,
        url: str,
        *,
        schema: str = "mi_cache",
        default_ttl_s: float = 600.0,
        read_pool_size: int = 8,
        write_pool_size: int = 4,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self.schema = checked_schema(schema)
        self.default_ttl_s = default_ttl_s
        self.counters = Counters()
        target = psycopg_url(url)
        self.location = f"{target.host}:{target.port or 5432}/{target.database} (schema {schema})"
        connect_args = {"connect_timeout": max(1, round(connect_timeout_s))}
        self._reads = create_engine(
            target,
            pool_size=read_pool_size,
            max_overflow=read_pool_size,
            pool_reset_on_return=None,  # autocommit: nothing to roll back, no round trip
            connect_args={**connect_args, "autocommit": True, "prepare_threshold": 0},
        )
        # Misses wait for the key's lock on a connection of their own: allow many.
        self._writes = create_engine(
            target,
            pool_size=write_pool_size,
            max_overflow=64,
            pool_pre_ping=True,  # after a restart the next write reconnects instead of failing
            connect_args=connect_args,
        )
        self._read_sql = (
            f"SELECT value, created_at, expires_at FROM {self.schema}.insight_cache "
            "WHERE tenant_id = %s AND digest = %s AND expires_at > now()"
        )
        with self._errors("set up"), self._writes.connect() as connection:
            migrate(connection, self.schema)
        for warning in self.policy_warnings():
            _log.warning("%s", warning)

    def policy_warnings(self) -> list[str]:
        """One sentence per way the runtime role could get past row security (none: [])."""
        with self._transaction(None, "check its role") as connection:
            return policy_warnings(connection, self.schema)

    def _read(self, key: CacheKey) -> StoredEntry | None:
        # One retry: after a server restart every pooled connection is dead; the first failure
        # empties the pool and the retry connects afresh.
        for attempt in (1, 2):
            try:
                return self._read_once(key)
            except psycopg.OperationalError as error:
                self._reads.dispose()
                if attempt == 2:
                    raise self._unavailable("read", error) from None
            except (psycopg.Error, SQLAlchemyError) as error:
                raise self._unavailable("read", error) from None
        raise AssertionError("unreachable")

    def _read_once(self, key: CacheKey) -> StoredEntry | None:
        pooled = self._reads.raw_connection()
        try:
            connection: psycopg.Connection[Any] = pooled.driver_connection  # type: ignore[assignment]
            if pooled.info.get(_TENANT) != key.tenant_id:
                connection.execute(SCOPE_SQL, (TENANT_SETTING, key.tenant_id), prepare=True)
                pooled.info[_TENANT] = key.tenant_id
            row = connection.execute(
                self._read_sql, (key.tenant_id, key.digest), prepare=True
            ).fetchone()
        except psycopg.OperationalError as error:
            pooled.invalidate(error)
            raise
        except psycopg.DataError as error:
            # A stored row Python cannot decode (an expiry of 'infinity' is past datetime's year
            # 9999) is a miss, never an outage: the value is computed again and stored over it.
            _log.warning("Insight cache: a stored entry cannot be read (%s); a miss", error)
            return None
        finally:
            pooled.close()  # back to the pool (an invalidated one is discarded)
        return None if row is None else StoredEntry(row[0], row[1], row[2])

    @contextmanager
    def _flight(self, key: CacheKey) -> Iterator[_PostgresFlight]:
        with self._transaction(key.tenant_id, "lock a key") as connection:
            connection.execute(
                text("SELECT set_config('lock_timeout', :wait, true)"),
                {"wait": f"{round(self.lock_wait_s * 1000)}ms"},
            )
            try:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _advisory_lock(key)}
                )
            except DBAPIError as error:
                if isinstance(error.orig, psycopg.errors.LockNotAvailable):
                    raise still_computing(key, self.lock_wait_s) from None
                raise
            yield _PostgresFlight(connection, self.schema)

    def invalidate(self, tenant_id: str, template: str | None = None) -> int:
        """Drop a tenant's entries (of one template, or all); how many were dropped."""
        sql = f"DELETE FROM {self.schema}.insight_cache WHERE tenant_id = :tenant"
        if template is not None:
            sql += " AND template = :template"
        with self._transaction(tenant_id, "invalidate") as connection:
            result = connection.execute(text(sql), {"tenant": tenant_id, "template": template})
            return int(result.rowcount)

    def purge_expired(self) -> int:
        """Delete every expired entry (of all tenants); how many were deleted."""
        table = f"{self.schema}.insight_cache"
        with self._transaction(None, "purge") as connection:
            secured = connection.execute(
                text("SELECT row_security_active(CAST(:table AS regclass))"), {"table": table}
            ).scalar_one()
            # Under row security a WHERE on the rows would need read access to them, which no
            # unscoped connection has: the unfiltered DELETE is limited to expired rows by the
            # purge_expired policy instead. Without row security (an owner that bypasses it)
            # the filter is written out.
            sql = (
                f"DELETE FROM {table}"
                if secured
                else f"DELETE FROM {table} WHERE expires_at <= now()"
            )
            return int(connection.execute(text(sql)).rowcount)

    def stats(self, tenant_id: str | None = None) -> CacheStats:
        """Entries this connection may see (of one tenant, or all) and this process's counters."""
        where = "WHERE tenant_id = :tenant" if tenant_id else ""
        with self._transaction(tenant_id, "read statistics") as connection:
            rows = connection.execute(
                text(
                    "SELECT template, count(*), count(*) FILTER (WHERE expires_at <= now()) "
                    f"FROM {self.schema}.insight_cache {where} GROUP BY template"
                ),
                {"tenant": tenant_id},
            ).all()
            tenants = connection.execute(
                text(f"SELECT count(DISTINCT tenant_id) FROM {self.schema}.insight_cache {where}"),
                {"tenant": tenant_id},
            ).scalar_one()
        counters = self.counters
        return CacheStats(
            backend=self.backend,
            location=self.location,
            entries=sum(row[1] for row in rows),
            expired=sum(row[2] for row in rows),
            tenants=int(tenants),
            hits=counters.hits,
            misses=counters.misses,
            computes=counters.computes,
            malformed=counters.malformed,
            by_template={row[0]: row[1] for row in rows},
        )

    def close(self) -> None:
        """Close both pools' connections."""
        self._reads.dispose()
        self._writes.dispose()

    @contextmanager
    def _transaction(self, tenant_id: str | None, doing: str) -> Iterator[Connection]:
        """A transaction scoped to `tenant_id` (None: no tenant, so row security shows none)."""
        with self._errors(doing), self._writes.connect() as connection, connection.begin():
            if tenant_id is not None:
                connection.execute(
                    text("SELECT set_config(:name, :tenant, true)"),
                    {"name": TENANT_SETTING, "tenant": tenant_id},
                )
            yield connection

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except DBAPIError as error:
            if isinstance(error.orig, psycopg.errors.InsufficientPrivilege):
                raise CacheConfigError(
                    f"The insight cache's database role may not {doing} in schema {self.schema} "
                    f"({error.orig}); run `mi cache migrate` with MI_CACHE_MIGRATE_URL set to "
                    "the owning role: it creates the schema and grants MI_CACHE_URL's role."
                ) from None
            raise self._unavailable(doing, error.orig or error) from None
        except ArgumentError as error:
            raise CacheConfigError(f"The insight cache URL is not usable: {error}") from None

    def _unavailable(self, doing: str, error: BaseException) -> CacheUnavailable:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return CacheUnavailable(
            f"The insight cache at {self.location} could not {doing} ({reason}); check that "
            "PostgreSQL is running and MI_CACHE_URL is right, then retry."
        )


class _PostgresFlight:
    """Reads and writes inside the transaction that holds a key's advisory lock."""

    def __init__(self, connection: Connection, schema: str) -> None:
        self._connection = connection
        self._schema = schema

    def read(self, key: CacheKey) -> StoredEntry | None:
        """The key's unexpired entry."""
        row = self._connection.execute(
            text(
                f"SELECT value, created_at FROM {self._schema}.insight_cache "
                "WHERE tenant_id = :tenant AND digest = :digest AND expires_at > now()"
            ),
            {"tenant": key.tenant_id, "digest": key.digest},
        ).first()
        return None if row is None else StoredEntry(row[0], row[1])

    def write(self, key: CacheKey, value_json: str, ttl_s: float) -> None:
        """Store (or replace) the key's entry."""
        self._connection.execute(
            text(
                f"INSERT INTO {self._schema}.insight_cache "
                "(tenant_id, digest, template, value, created_at, expires_at) "
                "VALUES (:tenant, :digest, :template, CAST(:value AS jsonb), now(), "
                "now() + make_interval(secs => :ttl)) "
                "ON CONFLICT (tenant_id, digest) DO UPDATE SET template = excluded.template, "
                "value = excluded.value, created_at = excluded.created_at, "
                "expires_at = excluded.expires_at"
            ),
            {
                "tenant": key.tenant_id,
                "digest": key.digest,
                "template": key.template,
                "value": value_json,
                "ttl": ttl_s,
            },
        )


def migrate_cache(owner_url: str, runtime_url: str, schema: str) -> list[int]:
    """Create or upgrade the cache schema as `owner_url`'s role and grant `runtime_url`'s role
    what the cache needs (unless it is the same role); the migration versions applied."""
    schema = checked_schema(schema)
    runtime = psycopg_url(runtime_url)
    target = psycopg_url(owner_url)
    engine = create_engine(target, poolclass=NullPool, connect_args={"connect_timeout": 5})
    where = f"{target.host}:{target.port or 5432}/{target.database}"
    try:
        with engine.connect() as connection:
            applied = migrate(connection, schema)
            if runtime.username and runtime.username != target.username:
                grant_runtime(connection, schema, runtime.username)
        return applied
    except DBAPIError as error:
        if isinstance(error.orig, psycopg.errors.InsufficientPrivilege):
            raise CacheConfigError(
                f"The cache's owning role may not migrate schema {schema} ({error.orig}); give "
                "MI_CACHE_MIGRATE_URL a role that may create schemas in the database."
            ) from None
        reason = str(error.orig or error).strip().splitlines()[0]
        raise CacheUnavailable(
            f"The insight cache at {where} could not be migrated ({reason}); check that "
            "PostgreSQL is running and MI_CACHE_MIGRATE_URL is right, then retry."
        ) from None
    finally:
        engine.dispose()


def psycopg_url(url: str) -> URL:
    """The URL with SQLAlchemy's psycopg 3 driver (people write postgresql://...)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CacheConfigError(
            "MI_CACHE_URL is not a database URL; write postgresql://user:password@host:5432/db."
        ) from None
    if parsed.drivername not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise CacheConfigError(
            f"MI_CACHE_URL must be a postgresql:// URL, not {parsed.drivername}://."
        )
    return parsed.set(drivername="postgresql+psycopg")


def _advisory_lock(key: CacheKey) -> int:
    """A signed 64-bit lock number from the key's digest (collisions only serialize)."""
    return int.from_bytes(bytes.fromhex(key.digest[:16]), "big", signed=True)
