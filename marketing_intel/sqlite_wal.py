"""Putting an embedded SQLite file in WAL mode, safely when many processes open it at once."""

from __future__ import annotations

import time
from typing import Any

SWITCH_WAIT_S = 10.0


def use_wal(connection: Any, wait_s: float = SWITCH_WAIT_S) -> None:
    """Put the file of `connection` (sqlite3 or pysqlite3) in WAL mode.

    The mode is kept in the file, so this switches it once. While another connection switches
    it, the switch answers "database is locked" at once, without the busy wait other statements
    get: processes opening a new file together retry until one of them has switched it.
    """
    deadline = time.monotonic() + wait_s
    while connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            connection.execute("PRAGMA journal_mode = WAL")
        except Exception as error:  # the driver's OperationalError (two drivers use this)
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
