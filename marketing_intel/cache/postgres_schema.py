"""The PostgreSQL cache schema, created and upgraded by numbered migrations.

Why not Alembic: the cache owns one table and two migrations, and it migrates itself when it
opens (a node or a worker may be the first to touch a new database). Alembic would add an ini
file, an env.py and a dependency to the bundle for that. The mechanism here is the part of it we
need: `schema_migrations` records each applied version; the missing migrations run in order in
one transaction with their records (DDL is transactional in PostgreSQL: a failure leaves the
previous version), under an advisory lock so that concurrent openers apply each one once.
Add a migration by appending to `MIGRATIONS`; never edit one that has shipped.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from sqlalchemy import Connection, text

from marketing_intel.cache.errors import CacheConfigError

# The session setting a connection's tenant scope lives in; row security reads it.
TENANT_SETTING = "mi.tenant_id"


@dataclass(frozen=True)
class Migration:
    """One step of the schema; `sql` may use {schema}."""

    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "insight_cache table with JSONB values and an expiry",
        """
        CREATE TABLE {schema}.insight_cache (
          tenant_id text NOT NULL,
          digest text NOT NULL,
          template text NOT NULL,
          value jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          PRIMARY KEY (tenant_id, digest)
        );
        CREATE INDEX insight_cache_expiry ON {schema}.insight_cache (expires_at);
        CREATE INDEX insight_cache_template ON {schema}.insight_cache (tenant_id, template);
        """,
    ),
    Migration(
        2,
        "row-level security: a connection sees and writes only its tenant's rows",
        """
        ALTER TABLE {schema}.insight_cache ENABLE ROW LEVEL SECURITY;
        -- FORCE: the table's owner is held to the policies too (only superusers and BYPASSRLS
        -- roles are not).
        ALTER TABLE {schema}.insight_cache FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON {schema}.insight_cache
          USING (tenant_id = current_setting('mi.tenant_id', true))
          WITH CHECK (tenant_id = current_setting('mi.tenant_id', true));
        -- Purging may remove any tenant's expired rows (never read them: DELETE only).
        CREATE POLICY purge_expired ON {schema}.insight_cache FOR DELETE
          USING (expires_at <= now());
        """,
    ),
)

HEAD = MIGRATIONS[-1].version
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def checked_schema(name: str) -> str:
    """`name` if it is a plain lower-case PostgreSQL identifier (it is written into SQL)."""
    if not _IDENTIFIER.fullmatch(name):
        raise CacheConfigError(
            f"The cache schema name {name!r} is not a plain identifier; use lower-case letters, "
            "digits and underscores (at most 63), starting with a letter or underscore."
        )
    return name


def schema_version(connection: Connection, schema: str) -> int:
    """The schema's applied version; 0 when the cache was never set up there."""
    exists = connection.execute(
        text("SELECT to_regclass(:table) IS NOT NULL"), {"table": f"{schema}.schema_migrations"}
    ).scalar_one()
    if not exists:
        return 0
    version = connection.execute(
        text(f"SELECT coalesce(max(version), 0) FROM {schema}.schema_migrations")
    ).scalar_one()
    return int(version)


def migrate(connection: Connection, schema: str) -> list[int]:
    """Apply the missing migrations in one transaction; the versions applied.

    `connection` must not be in a transaction. Openers racing on a new database wait for one
    another on an advisory lock, so each migration runs once.
    """
    version = schema_version(connection, schema)
    connection.rollback()  # end the check's implicit transaction
    if version == HEAD:
        return []  # the common case: no lock, no DDL privilege needed
    applied = []
    with connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _lock(schema)})
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        connection.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {schema}.schema_migrations ("
                "version integer PRIMARY KEY, description text NOT NULL, "
                "applied_at timestamptz NOT NULL DEFAULT now())"
            )
        )
        current = schema_version(connection, schema)
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            connection.exec_driver_sql(migration.sql.format(schema=schema))
            connection.execute(
                text(
                    f"INSERT INTO {schema}.schema_migrations (version, description) "
                    "VALUES (:version, :description)"
                ),
                {"version": migration.version, "description": migration.description},
            )
            applied.append(migration.version)
    return applied


def _lock(schema: str) -> int:
    return zlib.crc32(f"marketing_intel.cache.migrations:{schema}".encode())
