"""The bridge inbox: PostgreSQL (production, `MI_BRIDGE_DATABASE_URL`) or SQLite under the home.

The bridge creates its tables itself (no migrations), so the schema "applied" is which of its
tables exist. Read-only: doctor builds its own engine instead of `bridge_engine`, which creates
the tables.
"""

from __future__ import annotations

import datetime as dt
import stat
from typing import TYPE_CHECKING

from marketing_intel.config import Settings
from marketing_intel.doctor.embedded_files import embedded_layer
from marketing_intel.doctor.report import LayerReport, SecretSource
from marketing_intel.doctor.secret_sources import secret_source, server_location
from marketing_intel.errors import MarketingIntelError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

ISOLATION = (
    "each event's tenant comes from its source id or API key, never from the body; "
    "API reads are scoped to the key's tenant"
)
KEY_FILE_NAME = "bridge.key"  # marketing_intel.bridge.secret_box.KEY_FILE_NAME (no Fernet import)


def describe(settings: Settings) -> LayerReport:
    """What the settings configure for the bridge inbox."""
    key = _key_source(settings)
    if settings.bridge.database_url is not None:
        return LayerReport(
            layer="bridge inbox",
            engine="PostgreSQL",
            production=True,
            location=server_location(settings.bridge.database_url.get_secret_value(), 5432),
            tenant_isolation=f"{ISOLATION}; the bridge's role reads every tenant's rows",
            isolation_in_force=True,
            secrets=[secret_source("MI_BRIDGE_DATABASE_URL"), key],
        )
    path = settings.home / "bridge.db"
    return embedded_layer("bridge inbox", "SQLite", path, ISOLATION, [key])


def _key_source(settings: Settings) -> SecretSource:
    if settings.bridge.secret_key is not None:
        return secret_source("MI_BRIDGE_SECRET_KEY")
    path = settings.home / KEY_FILE_NAME
    if path.exists():
        return SecretSource(setting="MI_BRIDGE_SECRET_KEY", source=f"generated key file {path}")
    return SecretSource(
        setting="MI_BRIDGE_SECRET_KEY", source=f"missing: generated into {path} on first use"
    )


def needs(settings: Settings) -> tuple[str, ...]:
    """The modules the check of the bridge database imports."""
    return ("marketing_intel.bridge.database", "marketing_intel.bridge.inbox")


def check(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    """Reach the bridge database and fill in the report."""
    from marketing_intel.bridge.database import database_url

    _check_key(settings, report)
    path = settings.home / "bridge.db"
    if settings.bridge.database_url is None and not path.exists():
        report.schema_version = "not created yet"
        report.last_write_note = (
            f"no file yet; the first `mi bridge serve` or `mi sources add` creates {path}"
        )
        return
    engine = _read_engine(database_url(settings), timeout_s)
    try:
        _check_tables(engine, report)
    finally:
        engine.dispose()


def _check_key(settings: Settings, report: LayerReport) -> None:
    """The configured key must be Fernet keys; a generated key file must be private."""
    if settings.bridge.secret_key is not None:
        from marketing_intel.bridge.secret_box import secret_box

        try:
            secret_box(settings)  # parses the configured keys; touches no file
        except MarketingIntelError as error:
            report.fail(str(error))
        return
    path = settings.home / KEY_FILE_NAME
    if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        report.warn(
            f"The bridge's key file {path} may be read by other users "
            f"(mode {stat.S_IMODE(path.stat().st_mode):04o}); run `chmod 600 {path}`."
        )


def _read_engine(url: str, timeout_s: float) -> Engine:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    if url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": timeout_s})
    milliseconds = max(1, round(timeout_s * 1000))
    return create_engine(
        url,
        poolclass=NullPool,
        connect_args={
            "connect_timeout": max(2, round(timeout_s)),  # libpq's least
            "options": f"-c statement_timeout={milliseconds}",
        },
    )


def _check_tables(engine: Engine, report: LayerReport) -> None:
    from sqlalchemy import inspect, select
    from sqlalchemy.exc import DBAPIError

    from marketing_intel.bridge.database import inbox, metadata
    from marketing_intel.bridge.errors import BridgeUnavailable
    from marketing_intel.bridge.inbox import Inbox

    try:
        with engine.connect() as connection:
            report.reachable = True
            found = set(inspect(connection).get_table_names())
            present = [name for name in metadata.tables if name in found]
            report.schema_version = f"{len(present)} of {len(metadata.tables)} bridge tables"
            if inbox.name not in found:
                report.last_write_note = "no inbox yet; the bridge creates it when it starts"
                return
            newest = connection.execute(
                select(inbox.c.received_at).order_by(inbox.c.id.desc()).limit(1)
            ).scalar()
        status = Inbox(engine).status(count_flushed=False)
    except (DBAPIError, BridgeUnavailable) as error:
        cause = error.orig if isinstance(error, DBAPIError) else error
        reason = str(cause or error).strip().splitlines()[0]
        report.reachable = False
        report.fail(
            f"The bridge database at {report.location} could not be read ({reason}); check that "
            "it is running and MI_BRIDGE_DATABASE_URL is right."
        )
        return
    report.details.update(pending=status.pending, dead=status.dead)
    if status.dead:
        report.warn(
            f"{status.dead} webhook events are dead letters; see `mi inbox status`, fix the "
            "cause, then `mi inbox replay`."
        )
    report.last_write = _aware(newest)
    report.last_write_note = "newest event received" if newest else "no events received yet"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive times that were stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
