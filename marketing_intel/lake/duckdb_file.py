"""One sandboxed DuckDB connection per lake file in a process, kept open only while in use.

Opening a DuckDB file costs ~20 ms, more than many lake queries, so a process keeps its
connection while it works and hands each caller its own cursor. DuckDB also lets only one process
open a file for writing, so the connection closes after `idle_s` without use: `mi query` in a
terminal gets in while a Langflow server that queried a moment ago sits idle. Opening waits (with
jitter) while another process holds the file, up to `busy_timeout_s`, then says so.

Every connection is sandboxed: no file system or network access beyond the lake file, no
extension loading, UTC, a memory limit, and a locked configuration that SQL cannot change.
"""

from __future__ import annotations

import atexit
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from marketing_intel.lake.errors import LakeBusy, LakeError
from marketing_intel.lake.watchdog import WATCHDOG, Deadline

_SANDBOX: dict[str, str | bool] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
}
DEFAULT_MEMORY_LIMIT = 2**30


class DuckDBFile:
    """The shared connection to one DuckDB file; `cursor()` is safe from many threads."""

    def __init__(
        self,
        path: Path,
        *,
        on_open: Callable[[duckdb.DuckDBPyConnection], None],
        busy_timeout_s: float,
        idle_s: float,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.idle_s = idle_s
        # DuckDB's limit is per database instance: all of the process's queries on this file
        # share it. Locked with the rest of the configuration, so SQL cannot raise it.
        self.config: dict[str, str | bool] = {**_SANDBOX, "memory_limit": f"{memory_limit}B"}
        self._on_open = on_open
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._idle_timer: Deadline | None = None

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the shared connection, opening the file if it is closed."""
        with self._lock:
            if self._idle_timer:
                self._idle_timer.cancel()
                self._idle_timer = None
            if self._connection is None:
                self._connection = self._open()
            self._users += 1
            cursor = self._connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._idle_timer = WATCHDOG.call_later(self.idle_s, self._close_if_idle)

    def close(self) -> None:
        """Close the connection now if nobody is using it, releasing the file to other processes."""
        self._close_if_idle()

    def _close_if_idle(self) -> None:
        with self._lock:
            if self._users == 0 and self._connection is not None:
                self._connection.close()
                self._connection = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                connection = duckdb.connect(str(self.path), config=dict(self.config))
                break
            except duckdb.ConnectionException as error:
                raise LakeError(
                    f"The lake file {self.path} is open in this process with other settings "
                    f"({first_line(error)}); close that connection first."
                ) from None
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise LakeError(
                        f"The lake file {self.path} could not be opened: {error}"
                    ) from None
                if time.monotonic() > deadline:
                    raise LakeBusy(
                        f"The embedded lake {self.path} stayed locked by another process for "
                        f"{self.busy_timeout_s:g} s (DuckDB lets one process write at a time). "
                        "Wait for it to finish, stop it, or set MI_DUCKDB_PATH to another file."
                    ) from None
                time.sleep(random.uniform(0.02, 0.1))  # noqa: S311 - jitter, not security
        _sandbox(connection)
        self._on_open(connection)
        return connection


def _sandbox(connection: duckdb.DuckDBPyConnection) -> None:
    # DuckDB shares one database instance per file and configuration within a process;
    # another connection may have locked it already.
    locked = connection.execute("SELECT current_setting('lock_configuration')").fetchone()
    if not (locked and locked[0]):
        connection.execute("SET GLOBAL TimeZone = 'UTC'")
        connection.execute("SET GLOBAL lock_configuration = true")


def first_line(error: Exception) -> str:
    """The first line of an engine error (DuckDB appends the SQL, which is ours, not the user's)."""
    return str(error).strip().splitlines()[0]


_FILES: dict[Path, DuckDBFile] = {}
_FILES_LOCK = threading.Lock()


def shared_file(
    path: Path,
    *,
    on_open: Callable[[duckdb.DuckDBPyConnection], None],
    busy_timeout_s: float,
    idle_s: float,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> DuckDBFile:
    """The process's `DuckDBFile` for `path` (the first caller's timeouts and limit apply)."""
    with _FILES_LOCK:
        if path not in _FILES:
            _FILES[path] = DuckDBFile(
                path,
                on_open=on_open,
                busy_timeout_s=busy_timeout_s,
                idle_s=idle_s,
                memory_limit=memory_limit,
            )
        return _FILES[path]


@atexit.register
def _close_all() -> None:
    # A clean close checkpoints the write-ahead log into the file.
    for file in list(_FILES.values()):
        file.close()
