"""The bridge's own database: sources, API keys and the inbox (SQLAlchemy 2 Core).

PostgreSQL in production (`MI_BRIDGE_DATABASE_URL`, driven by psycopg 3); SQLite embedded under
`<MI_HOME>/bridge.db` in WAL mode with `synchronous=FULL`, so an acknowledged webhook survives a
power cut. The tables are created on first use (idempotent).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from marketing_intel.bridge.errors import BridgeUnavailable
from marketing_intel.config import Settings
from marketing_intel.sqlite_wal import use_wal

metadata = MetaData()

# Primary keys are BIGINT on PostgreSQL and INTEGER (the rowid alias) on SQLite.
_ID = BigInteger().with_variant(Integer(), "sqlite")

sources = Table(
    "mi_bridge_sources",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("tenant_id", String(200), nullable=False, index=True),
    Column("platform", String(40), nullable=False),
    Column("secrets", LargeBinary, nullable=False),  # Fernet token of a JSON list
    Column("verify_token", LargeBinary),  # Fernet token (Meta handshake)
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True)),
)

tenant_salts = Table(
    "mi_bridge_tenant_salts",
    metadata,
    Column("tenant_id", String(200), primary_key=True),
    Column("salt", LargeBinary, nullable=False),  # Fernet token of 32 random bytes
)

api_keys = Table(
    "mi_bridge_api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("tenant_id", String(200)),  # None: an operator (admin) key
    Column("secret_sha256", LargeBinary, nullable=False),
    Column("label", String(200)),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

inbox = Table(
    "mi_bridge_inbox",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("tenant_id", String(200), nullable=False),
    Column("platform", String(40), nullable=False),
    Column("dedupe_key", String(512), nullable=False),
    Column("source_id", String(64), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("occurred_at", DateTime(timezone=True)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("headers", JSON, nullable=False),
    Column("body", LargeBinary, nullable=False),
    # pending -> flushed, or pending -> dead after too many failed attempts (replayable).
    Column("state", String(10), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True)),
    Column("claim_token", String(32)),
    Column("last_error", Text),
    Column("flushed_at", DateTime(timezone=True)),
    UniqueConstraint("tenant_id", "platform", "dedupe_key", name="mi_bridge_inbox_dedupe"),
    Index("mi_bridge_inbox_due", "state", "next_attempt_at"),
)


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL of the bridge database (psycopg 3 for PostgreSQL URLs)."""
    if settings.bridge.database_url is None:
        return f"sqlite:///{settings.home / 'bridge.db'}"
    url = make_url(settings.bridge.database_url.get_secret_value())
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def bridge_engine(settings: Settings) -> Engine:
    """An engine for the bridge database; its tables are created if missing."""
    if settings.bridge.database_url is None:
        settings.home.mkdir(parents=True, exist_ok=True)
    url = database_url(settings)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_durable)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    else:
        engine = create_engine(
            url,
            pool_size=8,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 3},
        )
    with transaction(engine) as connection:
        metadata.create_all(connection)
    return engine


def _sqlite_durable(dbapi_connection: Any, _record: Any) -> None:
    # The driver would open transactions lazily, at the first write, leaving a claim's SELECT
    # outside its transaction; SQLAlchemy emits BEGIN itself instead (see below).
    dbapi_connection.isolation_level = None
    use_wal(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Connection) -> None:
    # SQLite has one writer at a time: taking the write lock up front makes a claim's SELECT and
    # UPDATE atomic (two flushers never claim one row) and avoids deadlocking lock upgrades.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction; a database that cannot be reached raises `BridgeUnavailable`."""
    try:
        with engine.begin() as connection:
            yield connection
    except (OperationalError, DBAPIError) as error:
        if isinstance(error, DBAPIError) and not _is_outage(error):
            raise
        raise BridgeUnavailable(
            f"The bridge database is unavailable ({_first_line(error.orig)}); retry shortly."
        ) from error


def _is_outage(error: DBAPIError) -> bool:
    """Connection loss, lock timeouts and the like, as opposed to a bug in our SQL."""
    return bool(error.connection_invalidated) or isinstance(error, OperationalError)


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if error and str(error).strip() else "no detail"


# Rows per INSERT statement: 500 rows of the widest table stay under every engine's limit on
# bound parameters (SQLite 32,766, PostgreSQL 65,535).
_ROWS_PER_STATEMENT = 500


def insert_new_only(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (all with the same keys), skipping each one whose unique key is already
    there (ON CONFLICT DO NOTHING on both engines), in the caller's transaction.

    The rows go as one multi-row INSERT per 500, built here rather than compiled by SQLAlchemy:
    this is the inbox's hot path, and an executemany costs a statement step (and a GIL handoff
    between the writer thread and the event loop) per row, while SQLAlchemy would compile a new
    statement for every batch size. Values still go through each column type's bind processor,
    so they are stored exactly as SQLAlchemy stores them.
    """
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) VALUES "
    values = "(" + ", ".join([marker] * len(names)) + ")"
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        parameters = tuple(
            process(row[name]) if process else row[name]
            for row in chunk
            for name, process in zip(names, processors, strict=True)
        )
        statement = head + ", ".join([values] * len(chunk)) + " ON CONFLICT DO NOTHING"
        connection.exec_driver_sql(statement, parameters)
