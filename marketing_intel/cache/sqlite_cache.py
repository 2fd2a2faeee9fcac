"""`SQLiteInsightCache`: the embedded default, one SQLite file under the MI home.

Every statement filters by tenant (there is no row-level security in SQLite). Reads use one
connection per thread (WAL mode: readers never wait for the writer). Single-flight across
threads and processes uses `flock` on one of 256 lock files next to the database: separate
`open()`s of a file exclude each other even inside one process, and the kernel releases the
lock if a process dies.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from marketing_intel.cache.errors import CacheUnavailable
from marketing_intel.cache.key import CacheKey
from marketing_intel.cache.protocol import CacheStats
from marketing_intel.cache.single_flight import (
    Counters,
    SingleFlightCache,
    StoredEntry,
    lock_bucket,
    still_computing,
)
from marketing_intel.sqlite_wal import use_wal

LOCK_BUCKETS = 256

# Versioned schema: migration N runs when PRAGMA user_version < N, in one transaction with it.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE insight_cache (
      tenant_id TEXT NOT NULL,
      digest TEXT NOT NULL,
      template TEXT NOT NULL,
      value TEXT NOT NULL,
      created_at REAL NOT NULL,
      expires_at REAL NOT NULL,
      PRIMARY KEY (tenant_id, digest)
    ) WITHOUT ROWID;
    CREATE INDEX insight_cache_expiry ON insight_cache (expires_at);
    CREATE INDEX insight_cache_template ON insight_cache (tenant_id, template);
    """,
)

READ = (
    "SELECT value, created_at, expires_at FROM insight_cache "
    "WHERE tenant_id = ? AND digest = ? AND expires_at > ?"
)
WRITE = (
    "INSERT INTO insight_cache (tenant_id, digest, template, value, created_at, expires_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, digest) DO UPDATE SET "
    "template = excluded.template, value = excluded.value, "
    "created_at = excluded.created_at, expires_at = excluded.expires_at"
)


class SQLiteInsightCache(SingleFlightCache):
    """The insight cache in one SQLite file (WAL), shared by the threads and processes using it."""

    backend = "sqlite"

    def __init__(self, path: Path, *, default_ttl_s: float = 600.0) -> None:
        self.path = Path(path)
        self.default_ttl_s = default_ttl_s
        self.counters = Counters()
        self._locks = self.path.with_name(self.path.name + ".locks")
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._locks.mkdir(exist_ok=True)
            self._migrate()
        except (OSError, sqlite3.Error) as error:
            raise CacheUnavailable(
                f"The insight cache file {self.path} cannot be opened ({error}); check that its "
                "folder is writable (MI_HOME)."
            ) from None

    # The fast path: one indexed SELECT on this thread's connection.
    def _read(self, key: CacheKey) -> StoredEntry | None:
        return self._select(self._connection(), key)

    def _parse(self, payload: Any) -> Any:
        return json.loads(payload)

    @contextmanager
    def _flight(self, key: CacheKey) -> Iterator[_SQLiteFlight]:
        lock_file = self._locks / f"{lock_bucket(key, LOCK_BUCKETS):02x}.lock"
        descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + self.lock_wait_s
            while not _try_lock(descriptor):
                if time.monotonic() > deadline:
                    raise still_computing(key, self.lock_wait_s)
                time.sleep(0.005)
            yield _SQLiteFlight(self)
        finally:
            os.close(descriptor)  # closing releases the lock

    def invalidate(self, tenant_id: str, template: str | None = None) -> int:
        """Drop a tenant's entries (of one template, or all); how many were dropped."""
        if template is None:
            return self._write("DELETE FROM insight_cache WHERE tenant_id = ?", (tenant_id,))
        return self._write(
            "DELETE FROM insight_cache WHERE tenant_id = ? AND template = ?", (tenant_id, template)
        )

    def purge_expired(self) -> int:
        """Delete every expired entry (of all tenants); how many were deleted."""
        return self._write("DELETE FROM insight_cache WHERE expires_at <= ?", (time.time(),))

    def stats(self, tenant_id: str | None = None) -> CacheStats:
        """Entries (of one tenant, or all) and this process's counters."""
        where, params = ("WHERE tenant_id = ?", (tenant_id,)) if tenant_id else ("", ())
        now = time.time()
        with self._errors():
            rows = (
                self._connection()
                .execute(
                    "SELECT template, COUNT(*), SUM(expires_at <= ?) "
                    f"FROM insight_cache {where} GROUP BY template",
                    (now, *params),
                )
                .fetchall()
            )
            tenants = (
                self._connection()
                .execute(f"SELECT COUNT(DISTINCT tenant_id) FROM insight_cache {where}", params)
                .fetchone()[0]
            )
        counters = self.counters
        return CacheStats(
            backend=self.backend,
            location=str(self.path),
            entries=sum(row[1] for row in rows),
            expired=sum(row[2] or 0 for row in rows),
            tenants=tenants,
            hits=counters.hits,
            misses=counters.misses,
            computes=counters.computes,
            malformed=counters.malformed,
            by_template={row[0]: row[1] for row in rows},
        )

    def policy_warnings(self) -> list[str]:
        """None: the embedded file has no roles; whoever can read the file reads every tenant."""
        return []

    def close(self) -> None:
        """Close every thread's connection."""
        with self._opened_lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
        self._local = threading.local()

    def _select(self, connection: sqlite3.Connection, key: CacheKey) -> StoredEntry | None:
        with self._errors():
            row = connection.execute(READ, (key.tenant_id, key.digest, time.time())).fetchone()
        if row is None:
            return None
        return StoredEntry(
            row[0],
            dt.datetime.fromtimestamp(row[1], dt.UTC),
            dt.datetime.fromtimestamp(row[2], dt.UTC),
        )

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        connection = self._connection()
        with self._errors(), connection:
            return connection.execute(sql, params).rowcount

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a forked child opens its own: SQLite handles must not
        cross a fork)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.connection = self._connect()
            local.pid = os.getpid()
        connection: sqlite3.Connection = local.connection
        return connection

    def _connect(self) -> sqlite3.Connection:
        with self._errors():
            # Used by its own thread only; `close()` may close it from another.
            connection = sqlite3.connect(
                self.path, timeout=10.0, isolation_level=None, check_same_thread=False
            )
            use_wal(connection)
            connection.execute("PRAGMA synchronous = NORMAL")
        # Statements run in autocommit unless `with connection:` opens a transaction.
        connection.isolation_level = "DEFERRED"
        with self._opened_lock:
            self._opened.append(connection)
        return connection

    def _migrate(self) -> None:
        connection = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")  # one process migrates at a time
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for number, migration in enumerate(MIGRATIONS, start=1):
                if version < number:
                    for statement in filter(str.strip, migration.split(";")):
                        connection.execute(statement)
                    connection.execute(f"PRAGMA user_version = {number}")
            connection.execute("COMMIT")
        finally:
            connection.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise CacheUnavailable(
                f"The insight cache file {self.path} failed ({error}); check the disk and that "
                "no other program holds the file."
            ) from None


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _SQLiteFlight:
    """Reads and writes of the caller holding a key's lock (on its thread's connection)."""

    def __init__(self, cache: SQLiteInsightCache) -> None:
        self._cache = cache

    def read(self, key: CacheKey) -> StoredEntry | None:
        """The key's unexpired entry."""
        return self._cache._select(self._cache._connection(), key)

    def write(self, key: CacheKey, value_json: str, ttl_s: float) -> None:
        """Store (or replace) the key's entry."""
        now = time.time()
        params = (key.tenant_id, key.digest, key.template, value_json, now, now + ttl_s)
        self._cache._write(WRITE, params)
