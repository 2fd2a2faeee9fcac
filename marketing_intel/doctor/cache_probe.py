"""The insight cache: PostgreSQL (production) or the embedded SQLite file.

On PostgreSQL the checks are the cache's own (`postgres_schema`): the migration version it
records, and `policy_warnings` for each way the runtime role could get past row security; doctor
also verifies that row security is on, forced, and has its tenant policy. It never migrates:
it reads as the runtime role (`MI_CACHE_URL`), exactly what the nodes and the bridge connect as.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from marketing_intel.cache.errors import CacheConfigError
from marketing_intel.config import Settings
from marketing_intel.doctor.embedded_files import (
    embedded_layer,
    from_epoch,
    not_created_yet,
    read_only_sqlite,
)
from marketing_intel.doctor.report import LayerReport
from marketing_intel.doctor.secret_sources import secret_source

if TYPE_CHECKING:
    from sqlalchemy import Connection

RLS = "row-level security per tenant (forced), plus a tenant filter in every statement"
ROW_SECURITY_VERSION = 2  # postgres_schema.MIGRATIONS: the migration that turns it on
CREATED_BY = "the first cached report (an Insight Cache node, or /v1/insights)"


def describe(settings: Settings) -> LayerReport:
    """What the settings configure for the insight cache."""
    if settings.cache.backend == "postgres":
        report = LayerReport(
            layer="cache",
            engine="PostgreSQL",
            production=True,
            location=f"MI_CACHE_URL (schema {settings.cache.schema_name})",
            tenant_isolation=RLS,
            secrets=[secret_source("MI_CACHE_URL")],
        )
        if settings.cache.migrate_url is not None:
            report.secrets.append(secret_source("MI_CACHE_MIGRATE_URL"))
        _postgres_location(settings, report)
        return report
    path = settings.cache_path
    return embedded_layer("cache", "SQLite", path, "a tenant filter in every statement")


def _postgres_location(settings: Settings, report: LayerReport) -> None:
    from marketing_intel.cache.postgres_cache import psycopg_url

    assert settings.cache.url is not None  # validated by the settings
    try:
        url = psycopg_url(settings.cache.url.get_secret_value())
    except CacheConfigError as error:
        report.fail(str(error))
        return
    report.location = (
        f"{url.host}:{url.port or 5432}/{url.database} (schema {settings.cache.schema_name})"
    )


def needs(settings: Settings) -> tuple[str, ...]:
    """The modules the check of the configured cache imports."""
    if settings.cache.backend == "postgres":
        return ("marketing_intel.cache.postgres_cache",)
    return ("marketing_intel.cache.sqlite_cache",)


def check(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    """Reach the configured cache and fill in the report."""
    if settings.cache.backend == "postgres":
        if not report.problems:  # an unusable URL was reported already
            _check_postgres(settings, report, timeout_s)
        return
    _check_sqlite(settings, report, timeout_s)


def _check_postgres(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    import psycopg
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool

    from marketing_intel.cache.postgres_cache import psycopg_url
    from marketing_intel.cache.postgres_schema import HEAD, checked_schema, schema_version

    assert settings.cache.url is not None  # validated by the settings
    schema = checked_schema(settings.cache.schema_name)
    milliseconds = max(1, round(timeout_s * 1000))
    engine = create_engine(
        psycopg_url(settings.cache.url.get_secret_value()),
        poolclass=NullPool,
        connect_args={
            "connect_timeout": max(2, round(timeout_s)),  # libpq's least
            "options": f"-c statement_timeout={milliseconds}",
        },
    )
    try:
        with engine.connect() as connection:
            report.reachable = True
            version = connection.execute(text("SHOW server_version")).scalar_one()
            report.engine = f"PostgreSQL {str(version).split()[0]}"
            applied = schema_version(connection, schema)
            report.schema_version = f"{applied} of {HEAD}" if applied else "not set up"
            migrate = "run `mi cache migrate` as the owning role (MI_CACHE_MIGRATE_URL)"
            if _schema_is_current(report, applied, HEAD, f"schema {schema}", migrate):
                _check_isolation(connection, schema, report)
            elif applied < ROW_SECURITY_VERSION:
                report.isolation_in_force = False
    except DBAPIError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        if isinstance(error.orig, psycopg.errors.InsufficientPrivilege):
            report.fail(
                f"The cache's runtime role may not read schema {schema} ({reason}); run `mi cache "
                "migrate` with MI_CACHE_MIGRATE_URL set to the owning role: it grants it."
            )
            return
        report.reachable = False
        report.fail(
            f"The insight cache at {report.location} could not be reached ({reason}); check that "
            "PostgreSQL is running and MI_CACHE_URL is right."
        )
    finally:
        engine.dispose()


def _schema_is_current(
    report: LayerReport, applied: int, head: int, where: str, upgrade: str
) -> bool:
    """Whether the cache at `where` has every migration; else a finding saying what to do."""
    if applied > head:
        report.fail(
            f"The insight cache's {where} is at version {applied}, newer than this release "
            f"knows ({head}); upgrade lfx-marketing-intel here to the release that migrated it."
        )
        return False
    if applied < head:
        state = f"is at version {applied} of {head}" if applied else "is not set up"
        report.warn(f"The insight cache's {where} {state}; {upgrade}.")
        return False
    return True


def _check_isolation(connection: Connection, schema: str, report: LayerReport) -> None:
    from sqlalchemy import text

    from marketing_intel.cache.postgres_schema import policy_warnings

    table = f"{schema}.insight_cache"
    secured = connection.execute(
        text(
            "SELECT c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (SELECT 1 FROM "
            "pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') "
            "FROM pg_class c WHERE c.oid = to_regclass(:table)"
        ),
        {"table": table},
    ).scalar_one()
    warnings = policy_warnings(connection, schema)
    role = connection.execute(text("SELECT current_user")).scalar_one()
    report.isolation_in_force = bool(secured) and not warnings
    if not secured:
        report.warn(
            f"Row security on {table} is off, not forced, or without its tenant_isolation "
            "policy; someone changed the table: run `mi cache migrate` as the owner and check "
            "who altered it."
        )
    for warning in warnings:
        report.warn(warning)
    if report.isolation_in_force:
        report.tenant_isolation = (
            f"{RLS}; the runtime role {role!r} is not superuser, not BYPASSRLS and owns nothing"
        )
        report.last_write_note = "not visible to the runtime role: row security hides every row"
        return
    latest = connection.execute(text(f"SELECT MAX(created_at) FROM {table}")).scalar_one()
    report.last_write = latest
    report.last_write_note = "newest stored report" if latest else "no reports stored yet"


def _check_sqlite(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    import sqlite3

    from marketing_intel.cache.sqlite_cache import MIGRATIONS

    path = settings.cache_path
    if not_created_yet(report, path, CREATED_BY):
        return
    try:
        with read_only_sqlite(path, timeout_s) as connection:
            report.reachable = True
            applied = int(connection.execute("PRAGMA user_version").fetchone()[0])
            report.schema_version = f"{applied} of {len(MIGRATIONS)}"
            upgrade = "the cache migrates it when it next opens it"
            if not _schema_is_current(report, applied, len(MIGRATIONS), f"file {path}", upgrade):
                return
            latest, entries, expired = connection.execute(
                "SELECT MAX(created_at), COUNT(*), COUNT(*) FILTER (WHERE expires_at <= ?) "
                "FROM insight_cache",
                (time.time(),),
            ).fetchone()
    except sqlite3.Error as error:
        report.reachable = False
        report.fail(
            f"The insight cache file {path} cannot be read ({error}); check its permissions "
            "(MI_HOME), or move it aside if it is damaged (the cache starts a new one)."
        )
        return
    report.details.update(entries=int(entries), expired=int(expired))
    report.last_write = from_epoch(latest)
    report.last_write_note = "newest stored report" if latest else "no reports stored yet"
