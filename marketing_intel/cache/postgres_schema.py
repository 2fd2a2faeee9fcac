"""The PostgreSQL cache schema, created and upgraded by numbered migrations, and the two roles
that use it.

Roles: the migrating role (`MI_CACHE_MIGRATE_URL`, `mi cache migrate`) owns the schema and its
tables and grants the runtime role (`MI_CACHE_URL`'s user) USAGE on the schema, SELECT, INSERT,
UPDATE and DELETE on the cache table and SELECT on the migration record: nothing it could turn
row security off with. Row security binds the runtime role only while it is neither a superuser,
nor BYPASSRLS, nor the table's owner (or a member of the owner's role): `policy_bypasses` says
which of these holds, and `mi cache` warns about each.

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
from sqlalchemy.engine import Dialect

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


# What the runtime role needs, and no more (no TRUNCATE, REFERENCES, TRIGGER or ownership).
RUNTIME_GRANTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.insight_cache TO {role}",
    "GRANT SELECT ON {schema}.schema_migrations TO {role}",
)


def grant_runtime(connection: Connection, schema: str, role: str) -> None:
    """Grant the runtime `role` what the cache's statements need in `schema`, in one
    transaction (`connection` must not be in one); repeating it changes nothing."""
    quoted = _quoted(connection.dialect, role)
    with connection.begin():
        for grant in RUNTIME_GRANTS:
            connection.execute(text(grant.format(schema=schema, role=quoted)))


def policy_bypasses(connection: Connection, schema: str) -> list[str]:
    """How the connection's role could get past the cache's row security: being a superuser,
    having BYPASSRLS, or owning the table (or being a member of its owner's role, which lets it
    turn row security off or drop the policy). Empty when none holds."""
    row = connection.execute(
        text(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, "
            "coalesce(pg_has_role(r.oid, c.relowner, 'MEMBER'), false) "
            "FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass(:table) "
            "WHERE r.rolname = current_user"
        ),
        {"table": f"{schema}.insight_cache"},
    ).one()
    role, superuser, bypass, owner = row
    reasons = [
        (superuser, f"role {role!r} is a superuser"),
        (bypass, f"role {role!r} has BYPASSRLS"),
        (owner, f"role {role!r} owns {schema}.insight_cache (or is a member of its owner's role)"),
    ]
    return [reason for holds, reason in reasons if holds]


def policy_warnings(connection: Connection, schema: str) -> list[str]:
    """`policy_bypasses` as sentences that say what to do, one per way (none: [])."""
    return [
        f"The insight cache's runtime role could bypass tenant isolation: {reason}; give "
        "MI_CACHE_URL a role that owns nothing, with only the grants `mi cache migrate` makes "
        "(run it as the owner, MI_CACHE_MIGRATE_URL)."
        for reason in policy_bypasses(connection, schema)
    ]


def _quoted(dialect: Dialect, role: str) -> str:
    """The role name as an SQL identifier (it is written into GRANT, which takes no parameters)."""
    return str(dialect.identifier_preparer.quote_identifier(role))
